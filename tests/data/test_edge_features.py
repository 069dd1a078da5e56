"""Tests of edge features in EgoGraph and SubGraph batches: aligned with the sampled
neighbors / edges, zero where padded, and clear errors."""
import numpy as np
import tensorflow as tf

import tfgle
from tfgle.data import (ego_graph_dataset, link_ego_graph_dataset, subgraph_dataset,
                        to_graph_tensor)

NUM_NODES = 12


def _graph():
  """Directed "e" (v -> v, no duplicate edges) whose attributes follow from its ends:
  w = 100 src + dst, kind = "k{(src + dst) % 3}", tags = [src % 4 + 1] * (dst % 3);
  and "buys" user -> v (undirected, so "buys_reverse" v -> user) with w = 100 user + v."""
  rng = np.random.default_rng(0)
  pairs = sorted({(int(s), int(d)) for s, d in rng.integers(0, NUM_NODES, (60, 2)) if s != d})
  src, dst = np.array(pairs).T
  edges = {"src_id": src, "dst_id": dst, "w": (100 * src + dst).astype(np.float32),
           "kind": np.array([f"k{(s + d) % 3}" for s, d in pairs], object),
           "tags": [[s % 4 + 1] * (d % 3) for s, d in pairs]}
  users, items = np.arange(5) + 50, rng.integers(0, NUM_NODES, 5)
  return (tfgle.Graph()
          .node({"id": np.arange(NUM_NODES), "x": np.ones((NUM_NODES, 1), np.float32)},
                node_type="v", decoder=tfgle.Decoder(attrs={"x": tfgle.FloatAttr(dim=1)}))
          .node({"id": np.arange(5) + 50}, node_type="user")
          .edge(edges, edge_type=("v", "v", "e"), decoder=tfgle.Decoder(attrs={
              "w": tfgle.FloatAttr(), "kind": tfgle.CategoricalAttr(),
              "tags": tfgle.CategoricalAttr(multivalued=True, dtype="int64")}))
          .edge({"src_id": users, "dst_id": items, "w": (100 * users + items).astype(np.float32)},
                edge_type=("user", "v", "buys"), directed=False,
                decoder=tfgle.Decoder(attrs={"w": tfgle.FloatAttr()}))
          .build()), dict(zip(pairs, range(len(pairs))))


class EgoEdgeFeaturesTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.g, cls.edge_id = _graph()
    ds = ego_graph_dataset(cls.g, None, ["e", "e"], [4, 3], 6, label=False, shuffle=False,
                           strategy="random_without_replacement", edge_features=True)
    cls.ego = next(iter(ds))

  def test_each_neighbor_gets_the_features_of_the_edge_that_reached_it(self):
    for i in (1, 2):
      hop, parent = self.ego[f"hop{i}"], self.ego[f"hop{i - 1}"]
      self.assertEqual(sorted(hop["edges"]), ["kind", "tags", "w"])
      mask = hop["mask"].numpy()
      parents = np.broadcast_to(parent["ids"].numpy()[..., None], mask.shape)[mask]
      edge_ids = [self.edge_id[(int(s), int(d))] for s, d in zip(parents, hop["ids"].numpy()[mask])]
      expected = self.g.edge_features("e", edge_ids)
      for name in ("w", "kind"):
        self.assertAllEqual(hop["edges"][name].numpy()[mask], expected[name])
      self.assertAllEqual(hop["edges"]["w"].numpy()[mask], 100 * parents + hop["ids"].numpy()[mask])
      tags = hop["edges"]["tags"].to_list()
      real = [tags_at(tags, idx) for idx in zip(*np.nonzero(mask))]
      self.assertEqual(real, expected["tags"].to_list())

  def test_padding_is_zero_or_empty(self):
    hop = self.ego["hop2"]
    mask = hop["mask"].numpy()
    self.assertFalse(mask.all())  # nodes with fewer out-edges than the fanout pad
    self.assertAllEqual(hop["edges"]["w"].numpy()[~mask], np.zeros((~mask).sum()))
    self.assertAllEqual(hop["edges"]["kind"].numpy()[~mask], np.zeros((~mask).sum()))
    tags = hop["edges"]["tags"].to_list()
    self.assertTrue(all(tags_at(tags, idx) == [] for idx in zip(*np.nonzero(~mask))))
    self.assertEqual(hop["edges"]["w"].shape, mask.shape)
    self.assertNotIn("edges", self.ego["hop0"])

  def test_reverse_edges_carry_the_features_of_their_edge(self):
    ds = ego_graph_dataset(self.g, None, ["buys", "buys_reverse"], [2, 2], 5, label=False,
                           shuffle=False, edge_features={"buys": ["w"], "buys_reverse": ["w"]})
    ego = next(iter(ds))
    hop1, hop2 = ego["hop1"], ego["hop2"]
    m1, m2 = hop1["mask"].numpy(), hop2["mask"].numpy()
    users = np.broadcast_to(ego["hop0"]["ids"].numpy()[:, None], m1.shape)
    self.assertAllEqual(hop1["edges"]["w"].numpy()[m1], 100 * users[m1] + hop1["ids"].numpy()[m1])
    items = np.broadcast_to(hop1["ids"].numpy()[..., None], m2.shape)  # item -> user
    self.assertAllEqual(hop2["edges"]["w"].numpy()[m2], 100 * hop2["ids"].numpy()[m2] + items[m2])

  def test_names_per_edge_type_and_none_by_default(self):
    plain = next(iter(ego_graph_dataset(self.g, None, ["e"], [2], 4, label=False)))
    self.assertNotIn("edges", plain["hop1"])
    picked = next(iter(ego_graph_dataset(self.g, None, ["e"], [2], 4, label=False,
                                         edge_features=["kind"])))
    self.assertEqual(list(picked["hop1"]["edges"]), ["kind"])

  def test_link_batches_have_edge_features_on_every_side(self):
    ds = link_ego_graph_dataset(self.g, "e", ["e"], ["e"], [3], 4, num_negatives=2,
                                edge_features=["w"])
    batch = next(iter(ds))
    for side in ("src", "dst", "neg"):
      hop = batch[side]["hop1"]
      mask = hop["mask"].numpy()
      parents = np.broadcast_to(batch[side]["hop0"]["ids"].numpy()[..., None], mask.shape)
      self.assertAllEqual(hop["edges"]["w"].numpy()[mask],
                          100 * parents[mask] + hop["ids"].numpy()[mask])
      self.assertNotIn("edges", batch[side]["hop0"])

  def test_bad_edge_feature_arguments(self):
    with self.assertRaisesRegex(ValueError, r"alias 'hop1' \(step 1 outV\('e'\)\) has no edge "
                                r"features \['colour'\]; edge type 'e' has \['w', 'kind', "
                                r"'tags'\]"):
      ego_graph_dataset(self.g, None, ["e"], [2], 4, edge_features=["colour"])
    with self.assertRaisesRegex(ValueError, "edge_features must be None, True \\(all\\), a list of "
                                "edge attribute names or a dict edge type -> names, got 'w'"):
      ego_graph_dataset(self.g, None, ["e"], [2], 4, edge_features="w")
    with self.assertRaisesRegex(ValueError, r"edge_features names edge types \['buys'\] that the "
                                r"meta-path does not follow; it follows \['e'\]"):
      ego_graph_dataset(self.g, None, ["e"], [2], 4, edge_features={"buys": ["w"]})
    with self.assertRaisesRegex(ValueError, r"values\(edge_features=...\): alias 'seed' \(step 0 "
                                r"V\('v'\)\) does not sample vertices along edges"):
      self.g.V("v").batch(2).alias("seed").values(edge_features={"seed": ["w"]})


def tags_at(nested, idx):
  for i in idx:
    nested = nested[i]
  return nested


class SubGraphEdgeFeaturesTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.g, _ = _graph()

  def test_features_follow_the_edges(self):
    ds = subgraph_dataset(self.g, None, ["e", "e"], [3, 2], 4, label=False, shuffle=False,
                          edge_features=["w", "kind"])
    sub = next(iter(ds))
    expected = self.g.edge_features("e", sub["edge_ids"], ["w", "kind"])
    self.assertAllEqual(sub["edges"]["w"], expected["w"])
    self.assertAllEqual(sub["edges"]["kind"], expected["kind"])
    ids, (neighbor, owner) = sub["ids"].numpy(), sub["edge_index"].numpy()
    # Edge owner -> neighbor sends its message neighbor -> owner.
    self.assertAllEqual(sub["edges"]["w"], 100 * ids[owner] + ids[neighbor])
    graph = to_graph_tensor(sub)
    self.assertAllEqual(graph.edge_sets["edges"]["w"], sub["edges"]["w"])
    self.assertNotIn("edges", graph.node_sets["nodes"].features)

  def test_none_by_default_and_bad_names(self):
    sub = next(iter(subgraph_dataset(self.g, None, ["e"], [3], 4, label=False)))
    self.assertNotIn("edges", sub)
    with self.assertRaisesRegex(ValueError, r"edge_features: edge type 'e' has no attributes "
                                r"\['colour'\]; it has \['w', 'kind', 'tags'\]"):
      subgraph_dataset(self.g, None, ["e"], [3], 4, edge_features=["colour"])
    with self.assertRaisesRegex(ValueError, "edge_features must be None, True \\(all\\) or a list "
                                "of edge attribute names, got 'w'"):
      subgraph_dataset(self.g, None, ["e"], [3], 4, edge_features="w")


if __name__ == "__main__":
  tf.test.main()
