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


def _timed_bipartite():
  """Users rate items, each (user, item) pair once, at distinct times."""
  rng = np.random.default_rng(8)
  users, items, n = 10, 12, 70
  pairs = rng.choice(users * items, n, replace=False)
  edges = {"src_id": pairs // items, "dst_id": pairs % items + 50,
           "t": rng.permutation(n).astype(np.int64) * 3 + 1}
  graph = (tfgle.Graph()
           .node({"id": np.arange(users)}, node_type="user")
           .node({"id": np.arange(items) + 50}, node_type="item")
           .edge(edges, edge_type=("user", "item", "rates"), directed=False,
                 decoder=tfgle.Decoder(timestamp="t"))
           .build())
  return graph, edges


class TemporalEgoGraphTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.g, cls.edges = _timed_bipartite()
    e = cls.edges
    cls.time = {(int(s), int(d)): int(t) for s, d, t in zip(e["src_id"], e["dst_id"], e["t"])}
    cls.time.update({(d, s): t for (s, d), t in list(cls.time.items())})

  def _check_ego(self, ego, bounds):
    """No sampled edge has a timestamp >= its seed's bound; time_delta is bound - its time
    (0 under padding), hop by hop."""
    for i in (1, 2):
      parents, hop = ego[f"hop{i - 1}"]["ids"].numpy(), ego[f"hop{i}"]
      ids, mask, deltas = hop["ids"].numpy(), hop["mask"].numpy(), hop["time_delta"].numpy()
      self.assertEqual(deltas.shape, ids.shape)
      self.assertNotIn("timestamp", hop)
      parents = np.broadcast_to(parents[..., None], ids.shape)
      bound = np.broadcast_to(bounds.reshape(bounds.shape + (1,) * (ids.ndim - bounds.ndim)),
                              ids.shape)
      self.assertTrue(mask.any())
      self.assertAllEqual(deltas[~mask], np.zeros((~mask).sum()))
      times = np.array([self.time[(int(p), int(c))] for p, c in zip(parents[mask], ids[mask])])
      self.assertTrue(np.all(times < bound[mask]), (times, bound[mask]))
      self.assertAllEqual(deltas[mask], bound[mask] - times)

  def test_link_dataset_samples_only_edges_older_than_each_edge(self):
    ds = link_ego_graph_dataset(self.g, "rates", ["rates", "rates_reverse"],
                                ["rates_reverse", "rates"], [3, 2], batch_size=16,
                                num_negatives=3, before="edge", time_deltas=True, seed=2)
    edges = 0
    for batch in ds:
      src, dst = batch["src"]["hop0"]["ids"].numpy(), batch["dst"]["hop0"]["ids"].numpy()
      bounds = np.array([self.time[(int(u), int(i))] for u, i in zip(src, dst)])
      edges += len(bounds)
      for side in ("src", "dst", "neg"):
        with self.subTest(side=side):
          self._check_ego(batch[side], bounds)
    self.assertEqual(edges, len(self.edges["t"]))

  def test_per_seed_times_take_the_latest_edges_before_them(self):
    users = np.array([4, 1, 4, 7, 0])
    times = np.array([100, 210, 30, 2, 150])
    ds = ego_graph_dataset(self.g, users, ["rates", "rates_reverse"], [3, 2], batch_size=5,
                           shuffle=False, label=False, before=times, strategy="topk",
                           time_deltas=True)
    ego = next(iter(ds))
    self.assertAllEqual(ego["hop0"]["ids"], users)
    self._check_ego(ego, times)
    e = self.edges
    for row, (user, t) in enumerate(zip(users, times)):
      eligible = (e["src_id"] == user) & (e["t"] < t)
      latest = e["dst_id"][eligible][np.argsort(-e["t"][eligible])][:3]
      self.assertAllEqual(ego["hop1"]["ids"][row, :len(latest)], latest)
      self.assertAllEqual(ego["hop1"]["mask"][row], np.arange(3) < len(latest))

  def test_an_int_bound_for_every_seed(self):
    ds = ego_graph_dataset(self.g, None, ["rates", "rates_reverse"], [3, 2], batch_size=10,
                           shuffle=False, label=False, before=120, time_deltas=True)
    self._check_ego(next(iter(ds)), np.full([10], 120))
    plain = next(iter(ego_graph_dataset(self.g, None, ["rates"], [3], batch_size=10,
                                        label=False, before=120)))
    self.assertNotIn("time_delta", plain["hop1"])

  def test_bad_time_arguments(self):
    path = (["rates", "rates_reverse"], [3, 2])
    with self.assertRaisesRegex(ValueError, "time_deltas=True needs before="):
      ego_graph_dataset(self.g, None, *path, time_deltas=True)
    with self.assertRaisesRegex(ValueError, "time_deltas must be True or False, got 1"):
      ego_graph_dataset(self.g, None, *path, before=5, time_deltas=1)
    with self.assertRaisesRegex(ValueError, r"before must be None, an int time or one int time "
                                r"per seed: .*needs one time per seed \(3\), got 2"):
      ego_graph_dataset(self.g, [1, 2, 3], *path, before=[5, 6])
    with self.assertRaisesRegex(ValueError, r"before must be None, an int time or one int time "
                                r"per seed: .*takes a vector of ints"):
      ego_graph_dataset(self.g, None, *path, before=2.5)
    with self.assertRaisesRegex(ValueError, r"before must be None, an int time or 'edge' "
                                r"\(each edge's own timestamp\), got 'src'"):
      link_ego_graph_dataset(self.g, "rates", *path[:1], ["rates_reverse", "rates"], [3, 2],
                             before="src")
    with self.assertRaisesRegex(ValueError, r"step 1 outV\('rates'\): before\(\) needs edge "
                                "timestamps, and edge type 'rates' has none"):
      ego_graph_dataset(_bipartite(), None, ["rates"], [2], before=5)


if __name__ == "__main__":
  tf.test.main()
