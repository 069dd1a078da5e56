"""Tests of the graph servable: ids -> embeddings with in-model sampling, stock ops only."""
import os

import numpy as np
import tensorflow as tf

import tfgle
from tfgle.data import ego_graph_dataset, ego_spec
from tfgle.export import GraphServable, export_graph_servable
from tests.export.test_export import TinySage, _serve_elsewhere

_COLORS = ["red", "green", "blue"]


def _chain_graph(n, extra_edges=()):
  """Nodes 10, 20, ...: a chain i -> i+1 (out-degree 1, the last node 0) plus extra edges.

  With out-degree <= 1 every sampler draws the same neighbors, so the servable
  must equal the model on tfgle's own batches exactly.
  """
  rng = np.random.default_rng(n)
  ids = (np.arange(n) + 1) * 10
  nodes = {"id": ids, "color": rng.choice(_COLORS, n),
           "tags": [list(rng.choice([1, 2, 3], rng.integers(0, 3), replace=False))
                    for _ in range(n)],
           "x": rng.random((n, 3))}
  src = list(ids[:-1]) + [s for s, _ in extra_edges]
  dst = list(ids[1:]) + [d for _, d in extra_edges]
  return (tfgle.Graph()
          .node(nodes, node_type="n", decoder=tfgle.Decoder(attrs={
              "color": tfgle.CategoricalAttr(vocab=_COLORS),
              "tags": tfgle.CategoricalAttr(multivalued=True, dtype="int64", vocab=[1, 2, 3]),
              "x": tfgle.FloatAttr(dim=3)}))
          .edge({"src_id": np.array(src), "dst_id": np.array(dst)}, edge_type=("n", "n", "e"))
          .build())


class GraphServableTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.g = _chain_graph(12)
    cls.spec = ego_spec(cls.g, "n", ["e", "e"], [3, 2])
    cls.features = ["color", "tags", "x"]
    cls.model = TinySage(cls.g)

  def _expected(self, graph):
    ds = ego_graph_dataset(graph, meta_path=["e", "e"], fanouts=[3, 2], batch_size=1000,
                           shuffle=False, label=False)
    return self.model.embed(next(iter(ds))).numpy()

  def test_serves_the_models_embeddings_without_tfgle(self):
    path = export_graph_servable(os.path.join(self.get_temp_dir(), "servable"), self.model,
                                 self.g, self.spec, self.features)
    ids = self.g.node_ids("n").numpy()
    query = np.array([ids[3], 12345, ids[11], ids[0]], np.int64)
    out = _serve_elsewhere(path, {"ids": query})
    expected = self._expected(self.g)
    self.assertAllEqual(out["found"], [True, False, True, True])
    self.assertAllClose(out["embeddings"][[0, 2, 3]], expected[[3, 11, 0]], atol=1e-5)
    self.assertAllClose(out["embeddings"][1], np.zeros(expected.shape[1]))

  def test_nodes_added_after_training_are_served(self):
    # The model was built for the 12-node graph; the servable of the grown
    # graph (4 new nodes, one new edge into the old part) serves them all.
    grown = _chain_graph(16, extra_edges=[(160, 10)])
    servable = GraphServable(self.model, grown, ego_spec(grown, "n", ["e", "e"], [3, 2]),
                             self.features)
    query = tf.constant([150, 160, 30], tf.int64)
    out = servable.serve(query)
    self.assertAllEqual(out["found"], [True, True, True])
    expected = self._expected(grown)
    index = grown.to_index("n", query).numpy()
    self.assertAllClose(out["embeddings"], expected[index], atol=1e-5)
    batch, _ = servable.ego_batch(tf.constant([160], tf.int64))
    self.assertAllEqual(batch["hop1"]["ids"][0], [10, 10, 10])   # the new edge is sampled

  def test_samples_are_real_edges_and_keyed_by_id(self):
    rng = np.random.default_rng(3)
    ids = (np.arange(30) + 1) * 10
    src, dst = rng.choice(ids, 200), rng.choice(ids, 200)
    g = (tfgle.Graph().node({"id": ids}, node_type="n")
         .edge({"src_id": src, "dst_id": dst}, edge_type=("n", "n", "e")).build())
    adjacency = {s: set(dst[src == s]) for s in ids}
    model = tf.keras.Sequential()   # unused by ego_batch
    def embed(batch):
      return tf.zeros([tf.shape(batch["hop0"]["ids"])[0], 1])
    servable = GraphServable(model, g, ego_spec(g, "n", ["e", "e"], [4, 3]), [], embed=embed)
    batch, found = servable.ego_batch(tf.constant(ids, tf.int64))
    self.assertTrue(np.all(found))
    hop1, mask1 = batch["hop1"]["ids"].numpy(), batch["hop1"]["mask"].numpy()
    hop2, mask2 = batch["hop2"]["ids"].numpy(), batch["hop2"]["mask"].numpy()
    for i, s in enumerate(ids):
      self.assertEqual(mask1[i].all(), bool(adjacency[s]))
      for j in range(4):
        if mask1[i, j]:
          self.assertIn(hop1[i, j], adjacency[s])
          for k in range(3):
            if mask2[i, j, k]:
              self.assertIn(hop2[i, j, k], adjacency[hop1[i, j]])
        else:
          self.assertEqual(hop1[i, j], -1)
    self.assertGreater(len({tuple(row) for row in hop1[mask1.all(axis=1)]}), 5)  # random draws
    # The same id gets the same samples, whatever else the request holds.
    again, _ = servable.ego_batch(tf.constant([ids[7], ids[2]], tf.int64))
    self.assertAllEqual(again["hop1"]["ids"][0], hop1[7])
    self.assertAllEqual(again["hop2"]["ids"][1], hop2[2])
    other_seed = GraphServable(model, g, servable.spec, [], seed=5, embed=embed)
    differs, _ = other_seed.ego_batch(tf.constant(ids, tf.int64))
    self.assertNotAllEqual(differs["hop1"]["ids"], hop1)

  def test_errors(self):
    with self.assertRaisesRegex(ValueError, r"features \['nope'\] are not attributes"):
      GraphServable(self.model, self.g, self.spec, ["color", "nope"])
    with self.assertRaisesRegex(ValueError, r"seed must be an int in \[0, 2\*\*63\)"):
      GraphServable(self.model, self.g, self.spec, self.features, seed=-1)


if __name__ == "__main__":
  tf.test.main()
