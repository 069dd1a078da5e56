"""Tests of tfgle.ops.sample_negatives and NodeDistribution."""
import numpy as np
from parameterized import parameterized
from scipy import stats
import tensorflow as tf

from tfgle import ops
from tfgle.ops._library import ops as raw
from tests.ops import sampling_graphs

_ALPHA = 1e-4


class SampleNegativesTest(tf.test.TestCase):

  def test_random_excludes_neighbors_and_is_uniform_over_the_rest(self):
    # Node 0 links to 0..9 of 20 nodes; negatives are uniform over 10..19.
    g = sampling_graphs.homogeneous([0] * 10, range(10), 20)
    neg = g.sampler.sample_negatives("e", np.zeros(1000, np.int64), 10, seed=1)
    ids = neg.ids.numpy().ravel()
    self.assertTrue(neg.mask.numpy().all())
    self.assertEqual(int(neg.num_give_ups), 0)
    self.assertAllInSet(ids, range(10, 20))
    self.assertGreater(stats.chisquare(np.bincount(ids - 10, minlength=10)).pvalue, _ALPHA)

  def test_random_on_a_real_sized_graph_never_returns_neighbors(self):
    g, src, dst = sampling_graphs.random_graph(300, 20000, seed=3)
    nbrs = [set() for _ in range(300)]
    for s, d in zip(src, dst):
      nbrs[s].add(d)
    ids = np.arange(300)
    for strategy in ("random", "in_degree"):
      neg = g.sampler.sample_negatives("e", ids, 20, strategy=strategy, seed=2)
      self.assertTrue(neg.mask.numpy().all())
      for s, row in zip(ids, neg.ids.numpy()):
        self.assertEmpty(nbrs[s] & set(row))

  def test_saturated_sources_give_up_and_are_counted(self):
    # Node 0 links to every node, node 1 to none.
    g = sampling_graphs.homogeneous([0] * 6, range(6), 6)
    neg = g.sampler.sample_negatives("e", [0, 1], 4, seed=1, max_trials=3)
    self.assertAllEqual(neg.mask, [[False] * 4, [True] * 4])
    self.assertEqual(int(neg.num_give_ups), 4)
    self.assertAllInSet(neg.ids[0], range(6))  # the last (true-neighbor) candidate

  @parameterized.expand([("default", 0.75), ("linear", 1.0), ("inverse", -0.5)])
  def test_in_degree_follows_degree_power(self, _, exponent):
    # In-degrees of nodes 1..5 are 1, 2, 4, 8, 16 (from sources 6..21); node 0 has none.
    src, dst = [], []
    for node, degree in zip(range(1, 6), (1, 2, 4, 8, 16)):
      src += list(range(6, 6 + degree))
      dst += [node] * degree
    g = sampling_graphs.homogeneous(src, dst, 22)
    neg = g.sampler.sample_negatives("e", [0], 20000, strategy="in_degree", exponent=exponent,
                               seed=4)
    counts = np.bincount(neg.ids.numpy().ravel(), minlength=22)
    self.assertEqual(counts[0], 0)  # in-degree 0: never drawn
    self.assertEqual(counts[6:].sum(), 0)
    p = np.array([1, 2, 4, 8, 16], float) ** exponent
    self.assertGreater(stats.chisquare(counts[1:6], p / p.sum() * 20000).pvalue, _ALPHA)

  def test_node_weight_from_the_node_table(self):
    weights = [0, 1, 2, 3, 4, 0]
    g = sampling_graphs.homogeneous([5], [5], 6, node_weights=weights)
    neg = g.sampler.sample_negatives("e", [5], 10000, strategy="node_weight", seed=5)
    counts = np.bincount(neg.ids.numpy().ravel(), minlength=6)
    self.assertEqual(counts[0] + counts[5], 0)
    self.assertGreater(stats.chisquare(counts[1:5], np.array([1, 2, 3, 4]) * 1000).pvalue,
                       _ALPHA)

  def test_node_weight_with_an_explicit_distribution(self):
    g = sampling_graphs.homogeneous([0], [1], 3)
    dist = ops.NodeDistribution(3, weights=[5.0, 0.0, 1.0])
    neg = g.sampler.sample_negatives("e", [0], 6000, strategy="node_weight", distribution=dist,
                               seed=6)
    counts = np.bincount(neg.ids.numpy().ravel(), minlength=3)
    self.assertEqual(counts[1], 0)
    self.assertGreater(stats.chisquare(counts[[0, 2]], [5000, 1000]).pvalue, _ALPHA)

  def test_conditional_shares_the_targets_category(self):
    category = np.arange(30) % 3
    g = sampling_graphs.homogeneous([0, 0, 1], [3, 6, 1], 30, node_attrs={"c": category})
    targets = np.array([1, 2, 5, 0])
    neg = g.sampler.sample_negatives("e", [0, 0, 1, 1], 50, strategy="conditional", attr="c",
                               targets=targets, seed=7)
    ids, mask = neg.ids.numpy(), neg.mask.numpy()
    self.assertTrue(mask.all())
    for row, target in zip(ids, targets):
      self.assertAllEqual(category[row], np.full(50, category[target]))
    self.assertNotIn(3, ids[:2])  # true neighbors of node 0
    self.assertNotIn(6, ids[:2])
    self.assertNotIn(1, ids[2:])
    # Uniform within the category (minus the neighbors).
    counts = np.bincount(ids[3], minlength=30)[0::3]
    self.assertGreater(stats.chisquare(counts).pvalue, _ALPHA)
    # target_categories directly; a category no node has gives -1 and mask False.
    neg = g.sampler.sample_negatives("e", [1, 1], 3, strategy="conditional", attr="c",
                               target_categories=[2, 7], seed=7)
    self.assertAllEqual(category[neg.ids.numpy()[0]], [2, 2, 2])
    self.assertAllEqual(neg.ids[1], [-1, -1, -1])
    self.assertAllEqual(neg.mask, [[True] * 3, [False] * 3])

  def test_conditional_with_weights(self):
    g = sampling_graphs.homogeneous([0], [0], 6)
    dist = ops.NodeDistribution(6, weights=[1, 1, 3, 0, 9, 1],
                                categories=[1, 2, 1, 2, 1, 2])
    neg = g.sampler.sample_negatives("e", [1], 13000, strategy="conditional", distribution=dist,
                               targets=[0], seed=8)
    counts = np.bincount(neg.ids.numpy().ravel(), minlength=6)
    self.assertEqual(counts[[1, 3, 5]].sum(), 0)
    self.assertGreater(stats.chisquare(counts[[0, 2, 4]], [1000, 3000, 9000]).pvalue, _ALPHA)

  def test_bipartite_negatives_are_destination_nodes(self):
    g = sampling_graphs.bipartite([0, 0, 1], [0, 1, 2], 2, 50)
    neg = g.sampler.sample_negatives("buys", [0, 1], 100, seed=1)
    ids = neg.ids.numpy()
    self.assertAllInSet(ids, range(50))
    self.assertNotIn(0, ids[0])
    self.assertNotIn(1, ids[0])
    self.assertNotIn(2, ids[1])

  def test_graph_without_edges(self):
    g = sampling_graphs.homogeneous([], [], 5)
    neg = g.sampler.sample_negatives("e", [0, 1], 3, seed=1)
    self.assertTrue(neg.mask.numpy().all())
    neg = g.sampler.sample_negatives("e", [0, 1], 3, strategy="in_degree", seed=1)
    self.assertAllEqual(neg.ids, -np.ones([2, 3]))
    self.assertFalse(neg.mask.numpy().any())

  def test_empty_batch_and_static_shape(self):
    g = sampling_graphs.homogeneous([0], [1], 3)
    neg = g.sampler.sample_negatives("e", np.zeros([0], np.int64), 4, seed=1)
    self.assertEqual(neg.ids.shape, [0, 4])
    fn = tf.function(lambda ids: g.sampler.sample_negatives("e", ids, 4, strategy="in_degree",
                                                      seed=1),
                     input_signature=[tf.TensorSpec([None], tf.int64)])
    self.assertEqual(fn.get_concrete_function().structured_outputs.ids.shape.as_list(),
                     [None, 4])
    self.assertAllEqual(fn(tf.constant([0, 2], tf.int64)).ids.shape, [2, 4])

  def test_empty_distribution_keeps_its_columns(self):
    # A distribution of 0 nodes built with weights= / categories= has them (an
    # empty column alone would read as absent): node_weight and conditional
    # negatives on an empty batch of a 0-node table are empty, not refused.
    table = ops.CsrTable([], [], 0, 0)
    empty = np.zeros([0], np.int64)
    for kwargs, strategy, extra in [
        (dict(weights=np.zeros(0, np.float32)), "node_weight", {}),
        (dict(categories=empty), "conditional", dict(target_categories=[])),
        (dict(weights=np.zeros(0, np.float32), categories=empty), "conditional",
         dict(target_categories=empty))]:
      with self.subTest(strategy=strategy, columns=sorted(kwargs)):
        neg = ops.sample_negatives(table, [], 3, strategy=strategy, seed=1,
                                   distribution=ops.NodeDistribution(0, **kwargs), **extra)
        self.assertEqual(neg.ids.shape, [0, 3])
        self.assertEqual(neg.mask.shape, [0, 3])

  def test_distributions_are_built_once_and_work_in_tf_function(self):
    g = sampling_graphs.homogeneous([0], [1], 4, node_weights=[1, 1, 1, 1],
                                    node_attrs={"c": [0, 0, 1, 1]})
    fn = tf.function(lambda ids, targets: (
        g.sampler.sample_negatives("e", ids, 2, strategy="node_weight", seed=1).ids,
        g.sampler.sample_negatives("e", ids, 2, strategy="conditional", attr="c",
                             targets=targets, seed=1).ids))
    a = fn(tf.constant([0]), tf.constant([2]))
    b = fn(tf.constant([0]), tf.constant([2]))
    self.assertAllEqual(a, b)
    self.assertAllInSet(a[1], [2, 3])
    self.assertLen(g.sampler._cache, 2)  # pylint: disable=protected-access

  def test_deterministic(self):
    g, _, _ = sampling_graphs.random_graph(100, 1000, seed=9)
    for strategy in ("random", "in_degree"):
      a = g.sampler.sample_negatives("e", np.arange(100), 5, strategy=strategy, seed=[1, 2])
      b = g.sampler.sample_negatives("e", np.arange(100), 5, strategy=strategy, seed=[1, 2])
      c = g.sampler.sample_negatives("e", np.arange(100), 5, strategy=strategy, seed=[2, 2])
      self.assertAllEqual(a.ids, b.ids)
      self.assertNotAllEqual(a.ids, c.ids)


class SampleNegativesBadInputTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.g = sampling_graphs.homogeneous([0, 1], [1, 2], 3, node_attrs={"c": [0, 1, 0]})

  def test_unknown_strategy(self):
    with self.assertRaisesRegex(ValueError, "unknown strategy 'popularity'; allowed: random, "
                                "in_degree, node_weight, conditional"):
      self.g.sampler.sample_negatives("e", [0], 2, strategy="popularity", seed=1)

  @parameterized.expand([("num", {"num": 0}, "num must be a positive int"),
                         ("max_trials", {"max_trials": 0}, "max_trials must be a positive int"),
                         ("max_trials_big", {"max_trials": 1025},
                          "max_trials must be at most 1024"),
                         ("exponent", {"exponent": float("nan")}, "exponent must be a finite")])
  def test_bad_numbers(self, _, kwargs, message):
    kwargs = {"num": 2, **kwargs}
    with self.assertRaisesRegex(ValueError, message):
      self.g.sampler.sample_negatives("e", [0], seed=1, **kwargs)

  def test_ids_out_of_range(self):
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                r"ids\[1\] = 3 is not in \[0, 3\)"):
      self.g.sampler.sample_negatives("e", [0, 3], 2, seed=1)

  def test_node_weight_needs_weights(self):
    with self.assertRaisesRegex(ValueError, "node type 'n' has no weight column"):
      self.g.sampler.sample_negatives("e", [0], 2, strategy="node_weight", seed=1)
    with self.assertRaisesRegex(ValueError, "needs a NodeDistribution with weights"):
      self.g.sampler.sample_negatives("e", [0], 2, strategy="node_weight", seed=1,
                           distribution=ops.NodeDistribution(3))

  def test_conditional_needs_categories_and_targets(self):
    with self.assertRaisesRegex(ValueError, "needs attr="):
      self.g.sampler.sample_negatives("e", [0], 2, strategy="conditional", targets=[0], seed=1)
    with self.assertRaisesRegex(ValueError, "exactly one of targets= .* or target_categories="):
      self.g.sampler.sample_negatives("e", [0], 2, strategy="conditional", attr="c", seed=1)
    with self.assertRaisesRegex(ValueError, "has no attribute 'x'"):
      self.g.sampler.sample_negatives("e", [0], 2, strategy="conditional", attr="x", targets=[0],
                           seed=1)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, r"indices\[0\] = 5"):
      self.g.sampler.sample_negatives("e", [0], 2, strategy="conditional", attr="c", targets=[5],
                           seed=1)

  def test_distribution_must_cover_the_destination_nodes(self):
    with self.assertRaisesRegex(ValueError, "distribution covers 4 nodes but edge type 'e' "
                                "has 3 destination nodes"):
      self.g.sampler.sample_negatives("e", [0], 2, strategy="node_weight", seed=1,
                           distribution=ops.NodeDistribution(4, weights=np.ones(4)))

  def test_node_distribution_errors(self):
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                r"weights\[1\] = -1 is not a finite number >= 0"):
      ops.NodeDistribution(2, weights=[1.0, -1.0])
    with self.assertRaisesRegex(ValueError, r"weights must have shape \[3\]"):
      ops.NodeDistribution(3, weights=[1.0])
    with self.assertRaisesRegex(ValueError, "num_nodes must be an int >= 0"):
      ops.NodeDistribution(-1)

  def test_raw_node_distribution_init_checks(self):
    def init(case, num_nodes, weights, categories, attrs=None):
      handle = raw.tfgle_node_distribution_handle(shared_name=f"bad_init_{case}")
      raw.tfgle_node_distribution_init(handle, tf.constant(num_nodes, tf.int64),
                                       tf.constant(weights, tf.float32),
                                       tf.constant(categories, tf.int64), **(attrs or {}))
    cases = [
        ((-1, [], []), "num_nodes must be >= 0, got -1"),
        ((2, [[1.0, 1.0]], []), r"weights must be a vector, got shape \[1,2\]"),
        ((2, [], [[0, 1]]), r"categories must be a vector, got shape \[1,2\]"),
        ((2, [1.0], []), r"weights must be empty or have one value per node \(2\), got 1"),
        ((2, [], [0, 1, 2]), r"categories must be empty or have one value per node \(2\)"),
        ((2, [], [], dict(weighted=True)), r"weighted=true needs one weight per node \(2\), "
         "got none"),
        ((3, [], [], dict(categorized=True)), r"categorized=true needs one category per node "
         r"\(3\), got none"),
    ]
    for case, (args, message) in enumerate(cases):
      with self.subTest(message), self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                                         message):
        init(case, *args)

  def test_raw_node_distribution_init_refuses_subnormal_weights(self):
    # Where TensorFlow flushes denormals to zero a subnormal weight would pass
    # ">= 0" but never be drawn: it is refused, naming it.
    cases = [
        ([1.0, 1e-40, 1.0],
         r"weights\[1\] = 1e-40 is subnormal; weights must be 0 or >= 1.17549435e-38"),
        ([-1e-40, 1.0, 1.0], r"weights\[0\] = -1e-40 is not a finite number >= 0"),
    ]
    for case, (weights, message) in enumerate(cases):
      handle = raw.tfgle_node_distribution_handle(shared_name=f"subnormal_{case}")
      with self.subTest(message), self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                                         message):
        raw.tfgle_node_distribution_init(handle, tf.constant(3, tf.int64),
                                         tf.constant(weights, tf.float32),
                                         tf.zeros([0], tf.int64))
    # The smallest normal float32 is a valid weight, and the only one drawn.
    tiny = ops.NodeDistribution(3, weights=[0.0, np.finfo(np.float32).tiny, 0.0])
    negatives, mask = raw.tfgle_sample_negatives(
        self.g.csr("e").resource_handle, [2, 2], [1, 1], [tiny.resource_handle],
        tf.zeros([0], tf.int64), num=4, strategy="node_weight")
    self.assertAllEqual(negatives, [[1] * 4] * 2)
    self.assertAllEqual(mask, [[True] * 4] * 2)

  def test_raw_op_checks(self):
    table = self.g.csr("e").resource_handle
    e = tf.zeros([0], tf.int64)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                "strategy 'node_weight' takes 1 node distributions, got 0"):
      raw.tfgle_sample_negatives(table, [0], [1, 1], [], e, num=2, strategy="node_weight")
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                "unknown negative sampling strategy 'x'"):
      raw.tfgle_sample_negatives(table, [0], [1, 1], [], e, num=2, strategy="x")
    dist = ops.NodeDistribution(3, categories=[0, 1, 2])
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                r"needs target_categories with one value per id \(1\)"):
      raw.tfgle_sample_negatives(table, [0], [1, 1], [dist.resource_handle], e, num=2,
                                 strategy="conditional")
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                "strategy 'node_weight' needs a node distribution with weights"):
      raw.tfgle_sample_negatives(table, [0], [1, 1], [dist.resource_handle], e, num=2,
                                 strategy="node_weight")
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, r"exponent must be a finite"):
      raw.tfgle_sample_negatives(table, [0], [1, 1], [], e, num=2, strategy="in_degree",
                                 exponent=float("inf"))
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, "one call may produce"):
      raw.tfgle_sample_negatives(table, [0, 0], [1, 1], [], e, num=2**40)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                r"max_trials must be in \[1, 1024\], got 5000"):
      raw.tfgle_sample_negatives(table, [0], [1, 1], [], e, num=2, max_trials=5000)
