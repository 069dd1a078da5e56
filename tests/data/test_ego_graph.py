"""Tests of EgoGraph datasets (node classification and link prediction)."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

import tfgle
from tfgle.data import ego_graph_dataset, link_ego_graph_dataset, ego_spec


def _bipartite():
  users = {"id": np.arange(6), "age": np.arange(6, dtype=np.float32),
           "label": np.array([0, 1, 0, 1, 0, 1]),
           "split": np.array(["train", "train", "train", "train", "test", "test"])}
  items = {"id": np.arange(50, 54), "genre": np.array(["a", "b", "a", "c"])}
  rates = {"src_id": np.array([0, 0, 1, 2, 3, 4, 5, 5]),
           "dst_id": np.array([50, 51, 51, 52, 53, 50, 52, 53])}
  return (tfgle.Graph()
          .node(users, node_type="user", decoder=tfgle.Decoder(
              label="label", split="split", attrs={"age": tfgle.FloatAttr()}))
          .node(items, node_type="item",
                decoder=tfgle.Decoder(attrs={"genre": tfgle.CategoricalAttr()}))
          .edge(rates, edge_type=("user", "item", "rates"), directed=False)
          .build())


class EgoGraphDatasetTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.g = _bipartite()

  def test_heterogeneous_hops_shapes_features_and_labels(self):
    ds = ego_graph_dataset(self.g, seeds="train", meta_path=["rates", "rates_reverse"],
                         fanouts=[3, 2], batch_size=4, shuffle=False)
    ego, label = next(iter(ds))
    self.assertEqual(sorted(ego), ["hop0", "hop1", "hop2"])
    self.assertAllEqual(ego["hop0"]["ids"], [0, 1, 2, 3])
    self.assertAllEqual(label, [0, 1, 0, 1])
    self.assertEqual(ego["hop1"]["ids"].shape, (4, 3))
    self.assertEqual(ego["hop2"]["ids"].shape, (4, 3, 2))
    self.assertIn("age", ego["hop0"])
    self.assertIn("genre", ego["hop1"])           # hop 1 holds items
    self.assertIn("age", ego["hop2"])             # hop 2 holds users again
    self.assertTrue(np.all(np.isin(ego["hop1"]["ids"].numpy(), [50, 51, 52, 53])))

  def test_spec_and_bad_configuration(self):
    spec = ego_spec(self.g, "user", ["rates", "rates_reverse"], [3, 2])
    self.assertEqual(spec.node_types, ("user", "item", "user"))
    with self.assertRaisesRegex(ValueError, "one entry per meta_path"):
      ego_graph_dataset(self.g, meta_path=["rates"], fanouts=[3, 2], batch_size=2)
    with self.assertRaisesRegex(ValueError, "fanouts must be positive ints"):
      ego_graph_dataset(self.g, meta_path=["rates"], fanouts=[0], batch_size=2)
    with self.assertRaisesRegex(ValueError, r"meta_path\[1\] = 'rates' goes 'user' -> 'item', "
                                "but hop 1 holds 'item' nodes"):
      ego_graph_dataset(self.g, meta_path=["rates", "rates"], fanouts=[2, 2], batch_size=2)
    with self.assertRaisesRegex(ValueError, "neither node type 'user' nor one of its splits"):
      ego_graph_dataset(self.g, seeds="val", meta_path=["rates"], fanouts=[2], batch_size=2)

  def test_model_fit_consumes_ego_batches(self):
    ds = ego_graph_dataset(self.g, seeds="train", meta_path=["rates"], fanouts=[2],
                         batch_size=2)

    class Tiny(tf.keras.Model):
      def __init__(self):
        super().__init__()
        self.dense = tf.keras.layers.Dense(2)

      def call(self, ego):
        x = ego["hop0"]["age"][:, tf.newaxis]
        n = tf.reduce_sum(tf.cast(ego["hop1"]["mask"], tf.float32), -1, keepdims=True)
        return self.dense(tf.concat([x, n], -1))

    model = Tiny()
    model.compile("adam", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(ds, epochs=2, verbose=0)
    self.assertLen(history.history["loss"], 2)

  @parameterized.expand([("random",), ("in_degree",)])
  def test_link_dataset(self, neg_strategy):
    ds = link_ego_graph_dataset(self.g, "rates", src_meta_path=["rates"],
                             dst_meta_path=["rates_reverse"], fanouts=[2], batch_size=4,
                             num_negatives=2, neg_strategy=neg_strategy)
    nbrs = self.g.neighbors("rates", np.arange(6)).ids.to_list()
    rated = {u: set(row) for u, row in enumerate(nbrs)}
    edges = 0
    for batch in ds:
      src, dst, neg = batch["src"], batch["dst"], batch["neg"]
      self.assertEqual(neg["hop0"]["ids"].shape[1:], (2,))
      self.assertEqual(neg["hop1"]["ids"].shape[1:], (2, 2))
      for u, i, negs in zip(src["hop0"]["ids"].numpy(), dst["hop0"]["ids"].numpy(),
                            neg["hop0"]["ids"].numpy()):
        self.assertIn(i, rated[u])
        edges += 1
        for n in negs:
          if len(rated[u]) < 4:  # not saturated: negatives are true non-neighbors
            self.assertNotIn(n, rated[u])
    self.assertEqual(edges, 8)

  def test_features_per_node_type(self):
    ego = next(iter(ego_graph_dataset(self.g, meta_path=["rates", "rates_reverse"],
                                    fanouts=[2, 2], batch_size=3, label=False,
                                    features={"item": ["genre"]})))
    self.assertNotIn("age", ego["hop0"])
    self.assertIn("genre", ego["hop1"])
    self.assertNotIn("age", ego["hop2"])
    batch = next(iter(link_ego_graph_dataset(
        self.g, "rates", ["rates"], ["rates_reverse"], [2], batch_size=3,
        features={"user": ["age"], "item": []})))
    self.assertIn("age", batch["src"]["hop0"])
    self.assertNotIn("genre", batch["dst"]["hop0"])
    self.assertIn("age", batch["dst"]["hop1"])
    self.assertIn("age", batch["neg"]["hop1"])
    self.assertNotIn("genre", batch["neg"]["hop0"])


if __name__ == "__main__":
  tf.test.main()
