"""Tests of PartitionedGraph: partitioned tables, sampling distributions, GSL on partitions.

The partitions' devices are this process's CPU here (the tables are still
separate, one per partition); tests/distribute/test_parameter_server.py places
them on parameter servers.
"""
import numpy as np
from parameterized import parameterized
from scipy import stats
import tensorflow as tf

import tfgle
from tfgle.distribute import PartitionedGraph
from tfgle.ops._library import ops

CPU = "/device:CPU:0"
# Significance of the chi-square tests. The draws are seeded, so each test
# gives the same p-values on every run; a wrong distribution gives p-values far
# below this (see test_chi_square_detects_a_different_distribution).
ALPHA = 1e-3


def _graph(num_nodes=300, num_edges=6000, weighted=True):
  graph, _ = tfgle.datasets.synthetic(num_nodes=num_nodes, num_edges=num_edges, dim=4,
                                      num_classes=3, weighted=weighted)
  return graph


def _counts(values, num_values):
  return np.bincount(np.asarray(values).ravel(), minlength=num_values)


def _same_distribution(test, counts_a, counts_b, what):
  """Two-sample chi-square test of counts over the same categories."""
  keep = (counts_a + counts_b) > 0
  table = np.stack([counts_a[keep], counts_b[keep]])
  if table.shape[1] < 2:  # one category: nothing to compare
    test.assertTrue(np.array_equal(counts_a, counts_b) or keep.sum() == 1, what)
    return 1.0
  _, p, _, _ = stats.chi2_contingency(table)
  test.assertGreater(p, ALPHA, f"{what}: p = {p:.2e}\n{table}")
  return p


class PartitionedGraphTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.g = _graph()
    cls.pg = PartitionedGraph(cls.g, [CPU, CPU])
    cls.n = cls.g.num_nodes("node")
    degree = cls.g.csr("links").degree(tf.range(cls.n, dtype=tf.int64)).numpy()
    # Nodes of both partitions with a few and with many neighbors.
    order = np.argsort(degree)
    cls.nodes = np.array([order[len(order) // 2], order[len(order) // 2 + 1],
                          order[-1], order[-2], order[-3], order[-4]], np.int64)

  def test_partitions_hold_the_rows_of_the_nodes_they_own(self):
    base = self.g.csr("links")
    for p, partition in enumerate(self.pg.partitions):
      table = partition.tables[("links", False)]
      owned = np.arange(p, self.n, 2)
      self.assertEqual(table.num_src, len(owned))
      self.assertEqual(table.num_dst, self.n)   # destinations stay global
      got = table.neighbors(owned // 2)
      want = base.neighbors(owned)
      for i in range(3):  # neighbors, edge ids, weights: same rows, same order
        self.assertAllEqual(got[i].to_list(), want[i].to_list())
    self.assertEqual(sum(p.tables[("links", False)].num_edges for p in self.pg.partitions),
                     base.num_edges)
    self.assertAllEqual(self.pg.owner(tf.constant([0, 1, 2, 7], tf.int64)), [0, 1, 0, 1])

  @parameterized.expand([("synthetic", 2000, 40_000), ("sparse", 3000, 9000)])
  def test_each_partition_holds_about_half_the_topology_bytes(self, _, nodes, edges):
    graph = _graph(nodes, edges, weighted=False)
    whole = int(ops.tfgle_table_memory(graph.csr("links").resource_handle))
    halves = PartitionedGraph(graph, [CPU, CPU]).topology_bytes()
    self.assertLen(halves, 2)
    for half in halves:
      self.assertBetween(half / whole, 0.45, 0.6)
    # The split costs little beyond the whole: each partition keeps the in-degrees of
    # every destination node (8 bytes a node) for its sampling index.
    self.assertLess(sum(halves), whole + 8 * nodes * 2)

  @parameterized.expand([("random",), ("edge_weight",), ("random_without_replacement",)])
  def test_neighbor_samples_have_the_unpartitioned_distribution(self, strategy):
    rows = np.repeat(self.nodes, 400)
    split, whole = [], []
    for seed in range(3):
      split.append(self.pg.sample_neighbors("links", rows, 4, strategy=strategy,
                                              seed=seed).ids.numpy())
      whole.append(self.g.sampler.sample_neighbors("links", rows, 4, strategy=strategy,
                                              seed=100 + seed).ids.numpy())
    split, whole = np.concatenate(split, 1), np.concatenate(whole, 1)
    for i, node in enumerate(self.nodes):
      rows_of_node = slice(i * 400, (i + 1) * 400)
      a = split[rows_of_node]
      b = whole[rows_of_node]
      self.assertAllInSet(a[a >= 0], set(self.g.csr("links").neighbors([node])[0]
                                         .flat_values.numpy()))
      _same_distribution(self, _counts(a[a >= 0], self.n), _counts(b[b >= 0], self.n),
                         f"{strategy} neighbors of node {node}")

  def test_topk_takes_the_same_neighbors(self):
    rows = tf.constant(self.nodes)
    split = self.pg.sample_neighbors("links", rows, 3, strategy="topk", seed=1)
    whole = self.g.sampler.sample_neighbors("links", rows, 3, strategy="topk", seed=1)
    for a, b in zip(split, whole):
      self.assertAllEqual(a, b)

  def test_chi_square_detects_a_different_distribution(self):
    # The test of the statistics has power: uniform vs weighted draws differ.
    rows = np.repeat(self.nodes[2:3], 3000)
    uniform = self.pg.sample_neighbors("links", rows, 4, strategy="random", seed=1)
    weighted = self.g.sampler.sample_neighbors("links", rows, 4, strategy="edge_weight",
                                          seed=1)
    counts_a = _counts(uniform.ids.numpy(), self.n)
    counts_b = _counts(weighted.ids.numpy(), self.n)
    _, p, _, _ = stats.chi2_contingency(np.stack([counts_a, counts_b])[:, counts_a + counts_b > 0])
    self.assertLess(p, ALPHA)

  @parameterized.expand([("random",), ("in_degree",)])
  def test_negatives_come_from_the_whole_graph_with_the_unpartitioned_distribution(
      self, strategy):
    rows = np.repeat(self.nodes, 500)
    split = self.pg.sample_negatives("links", rows, 4, strategy=strategy, seed=3)
    whole = self.g.sampler.sample_negatives("links", rows, 4, strategy=strategy, seed=4)
    for i, node in enumerate(self.nodes):
      rows_of_node = slice(i * 500, (i + 1) * 500)
      # (Entries the sampler gave up on are masked out, in both.)
      a = split.ids.numpy()[rows_of_node][split.mask.numpy()[rows_of_node]]
      b = whole.ids.numpy()[rows_of_node][whole.mask.numpy()[rows_of_node]]
      self.assertGreater(len(a), 0.9 * 2000)
      neighbors = set(self.g.csr("links").neighbors([node])[0].flat_values.numpy())
      self.assertEmpty(set(a) & neighbors)            # true neighbors are excluded
      self.assertLen(set(a % 2), 2)                   # negatives of both partitions
      _same_distribution(self, _counts(a, self.n), _counts(b, self.n),
                         f"{strategy} negatives of node {node}")

  def test_in_degree_negatives_use_global_in_degrees(self):
    # A partition's own rows give in-degrees that count only its sources; the
    # partitioned sampler must weigh by the whole graph's (compare with the
    # partition-local distribution, which differs).
    rows = np.repeat(self.nodes[:1], 20_000)
    split = self.pg.sample_negatives("links", rows, 1, strategy="in_degree", seed=5)
    owner = int(self.nodes[0]) % 2
    local_table = self.pg.table(self.pg.partitions[owner], "links", False)
    local = tfgle.ops.sample_negatives(local_table, rows // 2, 1, strategy="in_degree",
                                       seed=5)
    whole = self.g.sampler.sample_negatives("links", rows, 1, strategy="in_degree", seed=6)
    a, b, c = (_counts(x.ids.numpy(), self.n) for x in (split, whole, local))
    _same_distribution(self, a, b, "in_degree negatives")
    _, p, _, _ = stats.chi2_contingency(np.stack([a, c])[:, a + c > 0])
    self.assertLess(p, ALPHA)

  def test_conditional_and_weighted_negatives(self):
    graph = _users_and_items()
    pg = PartitionedGraph(graph, [CPU, CPU])
    users = tf.constant(np.repeat(np.arange(6), 50), tf.int64)
    targets = tf.constant(np.repeat([0, 1, 2, 3, 0, 1], 50), tf.int64)
    negatives = pg.sample_negatives("rates", users, 3, strategy="conditional",
                                           attr="genre", targets=targets, seed=2)
    genre = graph.feature_tensors("item")["genre"].numpy()
    ids, mask = negatives.ids.numpy(), negatives.mask.numpy()
    self.assertTrue(mask.any())
    for row in range(len(ids)):
      for j in range(3):
        if mask[row, j]:
          self.assertEqual(genre[ids[row, j]], genre[targets.numpy()[row]])
    # A user-made distribution is copied to each partition's device.
    weights = tfgle.ops.NodeDistribution(6, weights=[0.0, 0.0, 0.0, 0.0, 1.0, 1.0])
    weighted = pg.sample_negatives("rates", users, 4, strategy="node_weight",
                                          distribution=weights, seed=3)
    chosen = weighted.ids.numpy()[weighted.mask.numpy()]
    self.assertNotEmpty(chosen)
    self.assertAllInSet(chosen, {4, 5})

  @parameterized.expand([("default",), ("circular",)])
  def test_fanouts_equal_the_fused_op_with_topk(self, padding):
    # topk takes no random draws, so partitioned and fused results are equal,
    # padding included (padding entries get padding children).
    graph = _ring_with_isolated_nodes()
    pg = PartitionedGraph(graph, [CPU, CPU, CPU])
    seeds = tf.constant([0, 1, 2, 3, 4, 5, 6], tf.int64)
    split = pg.sample_fanouts(["e", "e"], seeds, [3, 2], strategy="topk",
                                     padding=padding, default_id=-7, seed=1)
    whole = graph.sampler.sample_fanouts(["e", "e"], seeds, [3, 2], strategy="topk",
                                     padding=padding, default_id=-7, seed=1)
    for s, w in zip(split, whole):
      for a, b in zip(s, w):
        self.assertAllEqual(a, b)
    self.assertFalse(np.all(whole[1].mask.numpy()))   # there is padding to compare

  def test_ego_graph_datasets_on_a_partitioned_graph(self):
    ds = tfgle.data.ego_graph_dataset(self.pg, "train", ["links", "links"], [3, 2], 64, seed=2)
    base = self.g.csr("links")
    seen = []
    for ego, labels in ds:
      seen.extend(ego["hop0"]["index"].numpy())
      self.assertAllEqual(labels, tf.gather(self.g.labels("node"), ego["hop0"]["index"]))
      hop0, hop1 = ego["hop0"]["index"].numpy(), ego["hop1"]["index"].numpy()
      mask1 = ego["hop1"]["mask"].numpy()
      nbrs = base.neighbors(hop0)[0].to_list()
      for i in range(len(hop0)):
        self.assertAllInSet(hop1[i][mask1[i]], set(nbrs[i]))
      self.assertIn("feat", ego["hop2"])
    self.assertCountEqual(seen, self.g.split_indices("node", "train").numpy())

  def test_edge_traversal_visits_every_edge_once(self):
    ds = (self.pg.E("links").batch(1000).shuffle().alias("edge")
          .outV().alias("src").values(features=False))
    edge_ids, srcs = [], []
    for batch in ds:
      edge_ids.extend(batch["edge"]["edge_ids"].numpy())
      srcs.extend(zip(batch["edge"]["src_ids"].numpy(), batch["edge"]["dst_ids"].numpy()))
    base_src, base_dst, base_eid = self.g.csr("links").edges_at(
        tf.range(self.g.csr("links").num_edges, dtype=tf.int64))
    self.assertCountEqual(edge_ids, base_eid.numpy())
    ids = self.g.node_ids("node").numpy()
    self.assertCountEqual(srcs, zip(ids[base_src.numpy()], ids[base_dst.numpy()]))

  def test_link_dataset_with_negatives(self):
    ds = tfgle.data.link_ego_graph_dataset(self.pg, "links", ["links"], ["links"], [2], 50,
                                        num_negatives=3, neg_strategy="in_degree")
    batch = next(iter(ds))
    self.assertEqual(batch["neg"]["hop0"]["ids"].shape, (50, 3))
    self.assertEqual(batch["neg"]["hop1"]["ids"].shape, (50, 3, 2))

  def test_reverse_tables_are_partitioned_on_first_use(self):
    rows = tf.constant(self.nodes)
    split = self.pg.sample_neighbors("links", rows, 3, strategy="topk", seed=0,
                                       reverse=True)
    whole = self.g.sampler.sample_neighbors("links", rows, 3, strategy="topk", seed=0,
                                       reverse=True)
    self.assertAllEqual(split.ids, whole.ids)
    self.assertIn(("links", True), self.pg.partitions[0].tables)

  def test_everything_else_is_the_base_graphs(self):
    self.assertIs(self.pg.graph, self.g)
    self.assertIsInstance(self.pg, tfgle.graph.Sampler)
    self.assertEqual(self.pg.graph.num_nodes("node"), self.n)
    self.assertEqual(self.pg.num_edge_positions("links"), self.g.num_edges("links"))

  def test_full_neighbors_are_the_whole_graphs(self):
    rows = tf.constant(np.concatenate([self.nodes, self.nodes[::-1]]))
    split = self.pg.sample_full_neighbors("links", rows)
    whole = self.g.sampler.sample_full_neighbors("links", rows)
    self.assertAllEqual(split.ids.row_splits, whole.ids.row_splits)
    self.assertAllEqual(split.ids.flat_values, whole.ids.flat_values)
    self.assertAllEqual(split.edge_ids.flat_values, whole.edge_ids.flat_values)
    capped = self.pg.sample_full_neighbors("links", rows, max_neighbors=2, seed=3)
    self.assertAllLessEqual(capped.ids.row_lengths(), 2)
    self.assertAllEqual(capped.ids.row_lengths(),
                        np.minimum(whole.ids.row_lengths().numpy(), 2))
    empty = self.pg.sample_full_neighbors("links", tf.zeros([0], tf.int64))
    self.assertEqual(empty.ids.nrows(), 0)

  def test_edge_ids_false_drops_them_on_the_partitions(self):
    rows = tf.constant(self.nodes)
    out = self.pg.sample_neighbors("links", rows, 3, strategy="topk", seed=0, edge_ids=False)
    self.assertIsNone(out.edge_ids)
    self.assertAllEqual(out.ids, self.g.sampler.sample_neighbors(
        "links", rows, 3, strategy="topk", seed=0).ids)
    hops = self.pg.sample_fanouts(["links", "links"], rows, [2, 2], strategy="topk", seed=0,
                                  edge_ids=False)
    self.assertEqual([h.edge_ids for h in hops], [None, None])

  def test_errors(self):
    with self.assertRaisesRegex(ValueError, "devices must be a non-empty list"):
      PartitionedGraph(self.g, [])
    with self.assertRaisesRegex(ValueError, "devices must be a non-empty list"):
      PartitionedGraph(self.g, CPU)
    with self.assertRaisesRegex(ValueError, r"strategy 'in_degree' is not supported on a "
                                r"PartitionedGraph \(no partition knows the whole graph's "
                                r"in-degrees\); allowed: random, "):
      self.pg.sample_neighbors("links", [1], 2, strategy="in_degree", seed=1)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                r"ids must be dense node indices in \[0, 300\)"):
      self.pg.sample_neighbors("links", [1, 300], 2, seed=1)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                r"ids must be dense node indices in \[0, 300\)"):
      self.pg.sample_negatives("links", [-1], 2, seed=1)
    with self.assertRaisesRegex(ValueError, "unknown strategy 'nope'"):
      self.pg.sample_neighbors("links", [1], 2, strategy="nope", seed=1)
    with self.assertRaisesRegex(ValueError, "fanouts has 1 entries but meta_path has 2"):
      self.pg.sample_fanouts(["links", "links"], [1], [2], seed=1)
    with self.assertRaisesRegex(ValueError, "no parameter servers in {'worker'"):
      tfgle.distribute.ps_devices(tf.distribute.cluster_resolver.SimpleClusterResolver(
          tf.train.ClusterSpec({"worker": ["127.0.0.1:1"]})))
    with self.assertRaisesRegex(ValueError, "no parameter servers in <"):
      tfgle.distribute.ps_devices(tf.distribute.get_strategy())
    self.assertEqual(
        tfgle.distribute.ps_devices(tf.distribute.cluster_resolver.SimpleClusterResolver(
            tf.train.ClusterSpec({"worker": ["127.0.0.1:1"], "ps": ["a:1", "b:2"]}))),
        ["/job:ps/replica:0/task:0/device:CPU:0", "/job:ps/replica:0/task:1/device:CPU:0"])


def _users_and_items():
  """6 users rate 6 items of genres a, b, a, b, c, c (item i is dense index i)."""
  items = {"id": np.arange(50, 56), "genre": np.array(["a", "b", "a", "b", "c", "c"])}
  rates = {"src_id": np.array([0, 0, 1, 2, 3, 4, 5]),
           "dst_id": np.array([50, 51, 51, 52, 53, 50, 52])}
  return (tfgle.Graph()
          .node({"id": np.arange(6)}, node_type="user")
          .node(items, node_type="item",
                decoder=tfgle.Decoder(attrs={"genre": tfgle.CategoricalAttr()}))
          .edge(rates, edge_type=("user", "item", "rates"))
          .build())


def _ring_with_isolated_nodes():
  """Nodes 0..9: a ring over 0..5 plus chords; 6..9 have no out-edges."""
  src = [0, 1, 2, 3, 4, 5, 0, 2]
  dst = [1, 2, 3, 4, 5, 0, 7, 8]
  return (tfgle.Graph()
          .node({"id": np.arange(10)}, node_type="n")
          .edge({"src_id": np.array(src), "dst_id": np.array(dst)}, edge_type=("n", "n", "e"))
          .build())


if __name__ == "__main__":
  tf.test.main()
