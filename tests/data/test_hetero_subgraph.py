"""Tests of heterogeneous SubGraph batches, HeteroConv training and TF-GNN training on them."""
import numpy as np
import tensorflow as tf

import tfgle
from tfgle.data import (hetero_graph_tensor, hetero_spec, hetero_subgraph_dataset,
                        induced_hetero_subgraph)
from tfgle.layers import HeteroConv, SAGEConv

HOPS = [{"buys": 3}, {"bought_by": 2, "similar": 2}]


def _graph(num_users=300, num_items=60, seed=0):
  """Users who buy mostly items of their label's category, and items' reverse edges.

  A user's own features are noise and its label is the category of most of the
  items it bought (an item's first feature is +-1 by category, plus noise), so
  a model must read its items. "similar" joins items of one category; users
  split 2:1 into train and test.
  """
  rng = np.random.default_rng(seed)
  labels = rng.integers(0, 2, num_users)
  category = np.arange(num_items) % 2
  item_x = rng.normal(0, 0.5, (num_items, 4))
  item_x[:, 0] += 2 * category - 1
  bought = []
  for u in range(num_users):
    same = rng.choice(np.flatnonzero(category == labels[u]), 5, replace=False)
    other = rng.choice(np.flatnonzero(category != labels[u]), 1)
    bought += [(u, i) for i in np.concatenate([same, other])]
  users, items = np.array(bought).T
  sim_src = rng.integers(0, num_items, 120)
  sim_dst = (sim_src + 2 * rng.integers(1, num_items // 2, 120)) % num_items  # same category
  split = np.where(np.arange(num_users) % 3 == 0, "test", "train")
  return (tfgle.Graph()
          .node({"id": np.arange(num_users), "x": rng.normal(size=(num_users, 4)),
                 "label": labels, "split": split}, node_type="user",
                decoder=tfgle.Decoder(label="label", split="split",
                                      attrs={"x": tfgle.FloatAttr(dim=4)}))
          .node({"id": np.arange(num_items) + 1000, "x": item_x}, node_type="item",
                decoder=tfgle.Decoder(attrs={"x": tfgle.FloatAttr(dim=4)}))
          .edge({"src_id": users, "dst_id": items + 1000}, edge_type=("user", "item", "buys"))
          .edge({"src_id": items + 1000, "dst_id": users},
                edge_type=("item", "user", "bought_by"))
          .edge({"src_id": sim_src + 1000, "dst_id": sim_dst + 1000},
                edge_type=("item", "item", "similar"))
          .build())


def _numpy(structure):
  return tf.nest.map_structure(lambda t: t.numpy(), structure)


class HeteroSubGraphTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.g = _graph(num_users=40, num_items=12)
    cls.edges = {}
    for et in cls.g.edge_types:
      ids = cls.g.node_ids(et.src).numpy()
      nbrs = cls.g.neighbors(et.name, ids).ids.to_list()
      cls.edges[et.name] = {(u, v) for u, row in zip(ids, nbrs) for v in row}

  def test_spec(self):
    spec = hetero_spec(self.g, HOPS)
    self.assertEqual(spec.seed_type, "user")
    self.assertEqual(spec.node_types, ("user", "item"))
    self.assertEqual([et.name for et in spec.edge_types], ["buys", "bought_by", "similar"])
    self.assertEqual(spec.num_hops, 2)
    self.assertEqual([(et.name, k) for et, k in spec.hops[1]], [("bought_by", 2), ("similar", 2)])
    spec = hetero_spec(self.g, HOPS, edge_types=["bought_by"])
    self.assertEqual(spec.edge_types, (("item", "user", "bought_by"),))

  def test_batches_hold_the_sampled_nodes_and_their_induced_edges(self):
    ds = hetero_subgraph_dataset(self.g, hops=HOPS, batch_size=5, shuffle=False)
    for sub, labels in ds.take(3):
      sub = _numpy(sub)
      users = sub["node_sets"]["user"]["ids"]
      items = sub["node_sets"]["item"]["ids"]
      self.assertEqual(sub["num_seeds"], 5)
      self.assertLen(set(users), len(users))
      self.assertLen(set(items), len(items))
      self.assertAllEqual(labels, self.g.labels("user").numpy()[users[:5]])
      self.assertAllEqual(sub["node_sets"]["user"]["x"],
                          self.g.feature_tensors("user")["x"].numpy()[users])
      # Hop 1 reaches items from the seeds; hop 2 users and items from those items.
      hop1 = {i for i in items if any((s, i) in self.edges["buys"] for s in users[:5])}
      for i in set(items) - hop1:
        self.assertTrue(any((h, i) in self.edges["similar"] for h in hop1))
      for u in users[5:]:
        self.assertTrue(any((h, u) in self.edges["bought_by"] for h in hop1))
      ends = {"buys": (users, items), "bought_by": (items, users), "similar": (items, items)}
      for name, (src_ids, dst_ids) in ends.items():
        edge_index = sub["edge_sets"][name]["edge_index"]
        got = sorted((src_ids[s], dst_ids[d]) for s, d in edge_index.T)
        expected = {(u, v) for u, v in self.edges[name] if u in src_ids and v in dst_ids}
        self.assertEqual(set(got), expected, name)
        self.assertLen(sub["edge_sets"][name]["edge_ids"], edge_index.shape[1])

  def test_first_batch_seeds_in_order(self):
    ds = hetero_subgraph_dataset(self.g, seeds="test", hops=HOPS, batch_size=4, shuffle=False,
                                 label=False, features={"item": ["x"]})
    sub = next(iter(ds))
    test_ids = self.g.node_ids("user").numpy()[self.g.split_indices("user", "test").numpy()]
    self.assertAllEqual(sub["node_sets"]["user"]["ids"][:4], test_ids[:4])
    self.assertNotIn("x", sub["node_sets"]["user"])
    self.assertIn("x", sub["node_sets"]["item"])

  def test_same_seed_same_batches_and_position_resumes(self):
    def batches(seed, position=None, n=3):
      ds = hetero_subgraph_dataset(self.g, hops=HOPS, batch_size=6, seed=seed,
                                   position=position)
      return [_numpy(b) for b in ds.take(n)]
    first, again, other = batches(3), batches(3), batches(4)
    tf.nest.map_structure(np.testing.assert_array_equal, first, again)
    self.assertFalse(all(np.array_equal(a[1], b[1]) for a, b in zip(first, other)))
    resumed = batches(3, position=(0, 1), n=2)
    tf.nest.map_structure(np.testing.assert_array_equal, resumed, batches(3, (0, 0))[1:])

  def test_repeated_seeds_and_empty_sets(self):
    spec = hetero_spec(self.g, HOPS)
    seeds = tf.constant([3, 3, 5], tf.int64)
    sub = induced_hetero_subgraph(self.g, spec, seeds, {}, {})
    self.assertEqual(sub["num_seeds"], 2)
    self.assertAllEqual(sub["node_sets"]["user"]["index"], [3, 5])
    self.assertEqual(sub["node_sets"]["item"]["x"].shape, (0, 4))
    for edge_set in sub["edge_sets"].values():
      self.assertEqual(edge_set["edge_index"].shape, (2, 0))
    graph = hetero_graph_tensor(sub, spec.edge_types)
    self.assertAllEqual(graph.node_sets["item"].sizes, [0])
    self.assertAllEqual(graph.edge_sets["buys"].sizes, [0])
    out = HeteroConv({et: SAGEConv(2) for et in spec.edge_types})(
        ({t: s["x"] for t, s in sub["node_sets"].items()},
         {n: s["edge_index"] for n, s in sub["edge_sets"].items()}))
    self.assertEqual(out["user"].shape, (2, 2))
    self.assertEqual(out["item"].shape, (0, 2))

  def test_graph_tensor(self):
    ds = hetero_subgraph_dataset(self.g, hops=HOPS, batch_size=5, shuffle=False,
                                 graph_tensor=True)
    graph, labels = next(iter(ds))
    sub, _ = next(iter(hetero_subgraph_dataset(self.g, hops=HOPS, batch_size=5,
                                               shuffle=False)))
    self.assertEqual(sorted(graph.node_sets), ["item", "user"])
    self.assertEqual(sorted(graph.edge_sets), ["bought_by", "buys", "similar"])
    self.assertAllEqual(graph.context["num_seeds"], [5])
    self.assertLen(labels, 5)
    for name, (src, dst) in {"buys": ("user", "item"), "bought_by": ("item", "user"),
                             "similar": ("item", "item")}.items():
      adjacency = graph.edge_sets[name].adjacency
      self.assertEqual((adjacency.source_name, adjacency.target_name), (src, dst))
      self.assertAllEqual(tf.stack([adjacency.source, adjacency.target]),
                          sub["edge_sets"][name]["edge_index"])
    self.assertAllEqual(graph.node_sets["user"]["x"], sub["node_sets"]["user"]["x"])
    with self.assertRaisesRegex(ValueError, "edge set 'similar' has no \\(src, dst, name\\)"):
      hetero_graph_tensor(sub, [("user", "item", "buys"), ("item", "user", "bought_by")])
    with self.assertRaisesRegex(ValueError, "edge set 'buys' goes 'user' -> 'shop', but the "
                                "SubGraph has node sets"):
      hetero_graph_tensor(sub, [("user", "shop", "buys"), ("item", "user", "bought_by"),
                                ("item", "item", "similar")])

  def test_bad_arguments(self):
    cases = [
        (dict(hops=[]), "hops must be a non-empty list of dicts"),
        (dict(hops={"buys": 3}), "hops must be a non-empty list of dicts"),
        (dict(hops=[{}]), r"hops\[0\] must be a non-empty dict edge type -> fanout"),
        (dict(hops=[{"buys": 0}]), r"hops\[0\]\['buys'\] = 0: fanouts must be positive ints"),
        (dict(hops=[{"sells": 2}]), r"hops\[0\]: unknown edge type 'sells'"),
        (dict(hops=[{"buys": 2, "similar": 2}]),
         r"hops\[0\] must start at one node type \(the seeds'\), but its edge types start at "
         r"\['item', 'user'\]"),
        (dict(hops=[{"buys": 2}, {"buys": 2}]),
         r"hops\[1\]\['buys'\] goes 'user' -> 'item', but hop 1 starts from node types "
         r"\['item'\]"),
        (dict(hops=[{"buys": 2}], edge_types=["sells"]), "edge_types: unknown edge type 'sells'"),
        (dict(hops=[{"buys": 2}], edge_types="buys"),
         "edge_types must be a non-empty list of edge type names, got 'buys'"),
        (dict(hops=[{"buys": 2}], edge_types=["bought_by", "buys", "bought_by"]),
         "edge_types names 'bought_by' twice"),
        (dict(hops=[{"similar": 2}], edge_types=["buys"]),
         r"edge_types: 'buys' goes 'user' -> 'item', but the hops sample node types "
         r"\['item'\] only"),
        (dict(hops=HOPS, features={"shop": ["x"]}),
         r"features names node types \['shop'\] that the hops do not sample"),
        (dict(hops=HOPS, features=["x", "age"]),
         r"features: node type 'user' has no features \['age'\]; it has \['x'\]"),
        (dict(hops=HOPS, seeds="val"), "seeds 'val' is neither node type"),
        (dict(hops=HOPS, shuffle="yes"), "shuffle must be True, False or 'random'"),
    ]
    for kwargs, message in cases:
      with self.subTest(message=message):
        with self.assertRaisesRegex(ValueError, message):
          hetero_subgraph_dataset(self.g, **kwargs)


class _HeteroSage(tf.keras.Model):
  """Two HeteroConv levels over users and items; logits of the seed users.

  use_edges=False drops every edge (the control: users' own features only).
  """

  def __init__(self, use_edges=True):
    super().__init__()
    self.use_edges = use_edges
    self.level1 = HeteroConv({("user", "item", "buys"): SAGEConv(16, activation="relu"),
                              ("item", "user", "bought_by"): SAGEConv(16, activation="relu")})
    self.level2 = HeteroConv({("item", "user", "bought_by"): SAGEConv(16, activation="relu")})
    self.head = tf.keras.layers.Dense(2)

  def call(self, sub, training=None):
    states = {t: node_set["x"] for t, node_set in sub["node_sets"].items()}
    edge_index = {n: edge_set["edge_index"] for n, edge_set in sub["edge_sets"].items()}
    if not self.use_edges:
      edge_index = {n: e[:, :0] for n, e in edge_index.items()}
    states = self.level2((self.level1((states, edge_index)), edge_index))
    return self.head(states["user"][:sub["num_seeds"]])


class HeteroTrainingTest(tf.test.TestCase):
  """tfgle's HeteroConv and a TF-GNN model learn user labels that only their items reveal."""

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.g = _graph()

  def _datasets(self, **kwargs):
    def dataset(seeds, shuffle):
      return hetero_subgraph_dataset(self.g, seeds=seeds, hops=[{"buys": 4}, {"bought_by": 3}],
                                     batch_size=50, shuffle=shuffle, seed=1, **kwargs)
    return dataset("train", True), dataset("test", False)

  def _fit(self, model, train, test, epochs=12):
    """(first loss, last loss, test accuracy) of `model` trained on `train`."""
    model.compile(tf.keras.optimizers.Adam(0.01),
                  tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    first_loss, _ = model.evaluate(train, verbose=0)
    history = model.fit(train, epochs=epochs, verbose=0)
    _, accuracy = model.evaluate(test, verbose=0)
    return first_loss, history.history["loss"][-1], accuracy

  def _assert_learns(self, model, train, test):
    first_loss, last_loss, accuracy = self._fit(model, train, test)
    self.assertLess(last_loss, first_loss / 2)
    self.assertGreater(accuracy, 0.85)  # chance: 0.5; users' own features are noise

  def test_hetero_conv_trains(self):
    tf.keras.utils.set_random_seed(0)
    self._assert_learns(_HeteroSage(), *self._datasets())

  def test_without_edges_a_model_is_at_chance(self):
    tf.keras.utils.set_random_seed(0)
    _, _, accuracy = self._fit(_HeteroSage(use_edges=False), *self._datasets(), epochs=4)
    self.assertLess(accuracy, 0.7)

  def test_tfgnn_vanilla_mpnn_trains(self):
    import tensorflow_gnn as tfgnn  # pylint: disable=g-import-not-at-top
    from tensorflow_gnn.models import vanilla_mpnn  # pylint: disable=g-import-not-at-top
    tf.keras.utils.set_random_seed(0)
    train, test = self._datasets(graph_tensor=True)
    inputs = tf.keras.layers.Input(type_spec=train.element_spec[0])

    def node_features(node_set, node_set_name):
      return tf.keras.layers.Dense(16, name=f"embed_{node_set_name}")(node_set["x"])
    graph = tfgnn.keras.layers.MapFeatures(node_sets_fn=node_features)(inputs)
    for _ in range(2):
      graph = vanilla_mpnn.VanillaMPNNGraphUpdate(
          units=16, message_dim=16, receiver_tag=tfgnn.TARGET, reduce_type="mean")(graph)
    states = graph.node_sets["user"][tfgnn.HIDDEN_STATE]
    num_seeds = tf.cast(graph.context["num_seeds"][0], tf.int32)
    model = tf.keras.Model(inputs, tf.keras.layers.Dense(2)(states[:num_seeds]))
    self._assert_learns(model, train, test)


if __name__ == "__main__":
  tf.test.main()
