"""Tests of encode_ego_batch: EgoGraph batch dicts -> (hops, masks) for EgoGNN."""
import numpy as np
import tensorflow as tf

from tfgle import features as F
from tfgle.layers import EgoGNN, EgoLayer, EgoRGCNConv, EgoSAGEConv, encode_ego_batch, num_hops


def _batch():
  rng = np.random.default_rng(0)
  batch = {}
  for i, shape in enumerate([(3,), (3, 2), (3, 2, 2)]):
    batch[f"hop{i}"] = {"ids": rng.integers(0, 10, shape), "x": rng.normal(size=shape),
                        "mask": rng.random(shape) < 0.7, "rel": rng.integers(0, 2, shape)}
  batch["hop0"].pop("mask")
  return batch


def _node_batch(seed=0):
  """An EgoGraph batch whose entries are per node: x of node i is X[i] wherever it occurs."""
  rng = np.random.default_rng(seed)
  values = rng.normal(size=(6,)).astype(np.float32)
  batch = {}
  for i, shape in enumerate([(3,), (3, 2), (3, 2, 2)]):
    ids = rng.integers(0, 6, shape)
    batch[f"hop{i}"] = {"ids": ids, "x": values[ids], "mask": rng.random(shape) < 0.7,
                        "rel": rng.integers(0, 2, shape)}
  batch["hop0"].pop("mask")
  return batch


class EncodeEgoBatchTest(tf.test.TestCase):

  def test_homogeneous(self):
    batch = _batch()
    encoder = F.FeatureEncoder({"x": F.numeric()}, output_dim=4)
    hops, masks = encode_ego_batch(batch, encoder)
    self.assertEqual(num_hops(batch), 2)
    self.assertEqual([h.shape for h in hops], [(3, 4), (3, 2, 4), (3, 2, 2, 4)])
    self.assertAllClose(hops[2], encoder(batch["hop2"]))
    self.assertAllEqual(masks[0], [True] * 3)
    self.assertAllEqual(masks[1], batch["hop1"]["mask"])
    self.assertEqual(EgoGNN([EgoSAGEConv(3), EgoSAGEConv(2)])((hops, masks)).shape, (3, 2))

  def test_heterogeneous_with_relations(self):
    batch = _batch()
    encoder = F.HeteroFeatureEncoder({"a": {"x": F.numeric()},
                                      "b": {"ids": F.node_id(embedding_dim=3, num_ids=10)}})
    hops, masks, relations = encode_ego_batch(batch, encoder, node_types=["a", "b", "a"],
                                              relation_key="rel")
    self.assertEqual([h.shape[-1] for h in hops], [1, 3, 1])
    self.assertLen(relations, 2)
    self.assertAllEqual(relations[1], batch["hop2"]["rel"])
    shared = EgoGNN([EgoRGCNConv(4, num_relations=2), EgoRGCNConv(2, num_relations=2)])
    with self.assertRaisesRegex(ValueError, "was built for feature dims 1 \\(x\\) and 3 "
                                "\\(neighbors\\) but got 3 and 1"):
      shared((hops, masks, relations))  # hop pairs (a, b) and (b, a) have different dims
    gnn = EgoGNN([EgoLayer(convs=[EgoRGCNConv(4, num_relations=2),
                                  EgoRGCNConv(4, num_relations=2)]),
                  EgoRGCNConv(2, num_relations=2)])
    self.assertEqual(gnn((hops, masks, relations)).shape, (3, 2))
    per_type = {"a": encoder["a"], "b": encoder["b"]}
    hops2, _ = encode_ego_batch(batch, per_type, node_types=["a", "b", "a"])
    self.assertAllClose(hops2[1], hops[1])

  def test_dedupe_encodes_each_distinct_node_once(self):
    batch = _node_batch()
    encoder = F.FeatureEncoder({"x": F.numeric()}, output_dim=4)
    hops, masks = encode_ego_batch(batch, encoder, dedupe_key="ids")
    per_entry, _ = encode_ego_batch(batch, encoder)
    self.assertIs(hops[0][0], hops[2][0])  # one table of distinct nodes for every hop
    real_ids = np.concatenate([batch["hop0"]["ids"].ravel()] + [
        batch[f"hop{i}"]["ids"][batch[f"hop{i}"]["mask"]] for i in (1, 2)])
    self.assertEqual(hops[0][0].shape[0], len(set(real_ids)) + 1)  # + the padding slot
    for (nodes, positions), dense, mask in zip(hops, per_entry, masks):
      self.assertAllClose(tf.boolean_mask(tf.gather(nodes, positions), mask),
                          tf.boolean_mask(dense, mask))
    gnn = EgoGNN([EgoSAGEConv(3), EgoSAGEConv(2)])
    self.assertAllClose(gnn((hops, masks)), gnn((per_entry, masks)), atol=1e-6)

  def test_dedupe_per_node_type(self):
    batch = _node_batch()
    del batch["hop1"]["ids"]  # node type "b" cannot be deduplicated: encoded entry by entry
    encoder = {"a": F.FeatureEncoder({"x": F.numeric()}, output_dim=3),
               "b": F.FeatureEncoder({"x": F.numeric()}, output_dim=2)}
    hops, masks, relations = encode_ego_batch(batch, encoder, node_types=["a", "b", "a"],
                                              relation_key="rel", dedupe_key="ids")
    self.assertIs(hops[0][0], hops[2][0])
    self.assertEqual(hops[1].shape, (3, 2, 2))
    self.assertAllEqual(relations[1], batch["hop2"]["rel"])
    del batch["hop2"]["x"]
    with self.assertRaisesRegex(ValueError, "hops of one node type must have the same entries, "
                                "but one has 'x' and another not"):
      encode_ego_batch(batch, encoder, node_types=["a", "b", "a"], dedupe_key="ids")

  def test_errors(self):
    batch = _batch()
    encoder = F.FeatureEncoder({"x": F.numeric()})
    with self.assertRaisesRegex(ValueError, "keys hop0..hopK"):
      encode_ego_batch({"hop1": batch["hop1"]}, encoder)
    with self.assertRaisesRegex(ValueError, r"keys hop0..hop1, got \['hop0', 'hop2'\]"):
      encode_ego_batch({"hop0": batch["hop0"], "hop2": batch["hop2"]}, encoder)
    with self.assertRaisesRegex(ValueError, "node_types must name the node type of each of "
                                "the 3 hops"):
      encode_ego_batch(batch, encoder, node_types=["a"])
    with self.assertRaisesRegex(ValueError, "node_types is required"):
      encode_ego_batch(batch, {"a": encoder})
    with self.assertRaisesRegex(ValueError, "has no relation entry 'r'"):
      encode_ego_batch(batch, encoder, relation_key="r")
    del batch["hop1"]["mask"]
    with self.assertRaisesRegex(ValueError, r"batch\['hop1'\] has no 'mask'"):
      encode_ego_batch(batch, encoder)
