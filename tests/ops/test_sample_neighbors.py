"""Tests of tfgle.ops.sample_neighbors and sample_full_neighbors (the custom C++ ops)."""
import collections
import os
import subprocess
import sys
import textwrap

import numpy as np
from parameterized import parameterized
from scipy import stats
import tensorflow as tf

from tfgle import ops
from tfgle.ops._library import ops as raw
from tests.ops import sampling_graphs

# Significance level of the statistical tests. Seeds are fixed, so a test
# either always passes or always fails; a wrong distribution fails by far.
_ALPHA = 1e-4


def _star(degree=8, **kwargs):
  """Node 0 -> 1..degree (edge i is 0 -> i + 1), node degree+1 -> 0; others isolated."""
  src = [0] * degree + [degree + 1]
  dst = list(range(1, degree + 1)) + [0]
  return sampling_graphs.homogeneous(src, dst, degree + 3, **kwargs)


class SampleNeighborsTest(tf.test.TestCase):

  def test_random_is_uniform(self):
    g = _star(8)
    nbrs = g.sampler.sample_neighbors("e", [0], 8000, seed=1)
    self.assertAllEqual(nbrs.mask, np.ones([1, 8000], bool))
    ids = nbrs.ids.numpy().ravel()
    self.assertAllInSet(ids, range(1, 9))
    self.assertAllEqual(nbrs.edge_ids.numpy().ravel(), ids - 1)
    counts = np.bincount(ids - 1, minlength=8)
    self.assertGreater(stats.chisquare(counts).pvalue, _ALPHA)

  def test_random_rows_are_independent(self):
    g = _star(8)
    nbrs = g.sampler.sample_neighbors("e", np.zeros(4000, np.int64), 2, seed=3).ids.numpy()
    # Pairs (first, second) of a row are uniform over the 64 combinations.
    counts = np.bincount((nbrs[:, 0] - 1) * 8 + nbrs[:, 1] - 1, minlength=64)
    self.assertGreater(stats.chisquare(counts).pvalue, _ALPHA)

  def test_without_replacement_is_distinct_and_uniform(self):
    g = _star(10)
    nbrs = g.sampler.sample_neighbors("e", np.zeros(3000, np.int64), 4,
                                strategy="random_without_replacement", seed=5)
    ids = nbrs.ids.numpy()
    self.assertTrue(all(len(set(row)) == 4 for row in ids))
    self.assertAllEqual(nbrs.mask, np.ones_like(ids, bool))
    counts = np.bincount(ids.ravel() - 1, minlength=10)
    self.assertGreater(stats.chisquare(counts).pvalue, _ALPHA)

  def test_without_replacement_returns_all_neighbors_of_small_nodes(self):
    g = _star(3)
    nbrs = g.sampler.sample_neighbors("e", [0, 4, 2], 5, strategy="random_without_replacement",
                                seed=1)
    self.assertAllEqual(nbrs.ids[0], [1, 2, 3, -1, -1])
    self.assertAllEqual(nbrs.mask[0], [True, True, True, False, False])
    self.assertAllEqual(nbrs.ids[1], [0, -1, -1, -1, -1])
    self.assertAllEqual(nbrs.mask[2], [False] * 5)

  def test_without_replacement_large_fanout_is_distinct(self):
    g, _, _ = sampling_graphs.random_graph(50, 5000, seed=2)
    nbrs = g.sampler.sample_neighbors("e", [3, 7], 80, strategy="random_without_replacement",
                                seed=2)
    for row, mask in zip(nbrs.edge_ids.numpy(), nbrs.mask.numpy()):
      self.assertTrue(mask.all())
      self.assertLen(set(row), 80)

  def test_edge_weight_frequencies_follow_weights(self):
    weights = [1, 2, 3, 4, 0, 10, 0.5, 6]
    g = _star(8, weights=weights + [1])
    nbrs = g.sampler.sample_neighbors("e", [0], 20000, strategy="edge_weight", seed=7)
    eids = nbrs.edge_ids.numpy().ravel()
    counts = np.bincount(eids, minlength=9)[:8]
    self.assertEqual(counts[4], 0)  # weight 0 is never drawn
    expected = np.array(weights) / np.sum(weights) * counts.sum()
    keep = expected > 0
    self.assertGreater(stats.chisquare(counts[keep], expected[keep]).pvalue, _ALPHA)

  def test_edge_weight_needs_weights(self):
    with self.assertRaisesRegex(ValueError, "strategy 'edge_weight' needs edge weights"):
      _star(3).sampler.sample_neighbors("e", [0], 2, strategy="edge_weight", seed=1)

  def test_topk_returns_the_heaviest_in_order(self):
    g = _star(6, weights=[3, 9, 1, 7, 5, 2, 1])
    nbrs = g.sampler.sample_neighbors("e", [0, 7, 1], 4, strategy="topk", seed=1)
    self.assertAllEqual(nbrs.ids[0], [2, 4, 5, 1])  # weights 9, 7, 5, 3
    self.assertAllEqual(nbrs.edge_ids[0], [1, 3, 4, 0])
    self.assertAllEqual(nbrs.ids[1], [0, -1, -1, -1])
    self.assertAllEqual(nbrs.mask[2], [False] * 4)

  def test_topk_on_timestamps_is_latest_first(self):
    g = _star(4, timestamps=[5, 20, 10, 15, 0])
    nbrs = g.sampler.sample_neighbors("e", [0], 3, strategy="topk", seed=1)
    self.assertAllEqual(nbrs.ids[0], [2, 4, 3])

  def test_in_degree_follows_neighbor_in_degree(self):
    # 0 -> 1, 2, 3; extra edges give 1, 2, 3 in-degrees 1, 3, 6.
    src = [0, 0, 0] + [4, 5] + [4, 5, 6, 7, 8]
    dst = [1, 2, 3] + [2, 2] + [3, 3, 3, 3, 3]
    g = sampling_graphs.homogeneous(src, dst, 9)
    nbrs = g.sampler.sample_neighbors("e", [0], 10000, strategy="in_degree", seed=11)
    counts = np.bincount(nbrs.ids.numpy().ravel(), minlength=4)[1:]
    self.assertGreater(stats.chisquare(counts, np.array([1, 3, 6]) / 10 * 10000).pvalue, _ALPHA)

  @parameterized.expand([("default", -1), ("custom", 99)])
  def test_default_padding(self, _, default_id):
    g = _star(2)
    nbrs = g.sampler.sample_neighbors("e", [0, 3], 3, strategy="random_without_replacement",
                                seed=1, default_id=default_id)
    self.assertAllEqual(nbrs.ids, [[1, 2, default_id], [0, default_id, default_id]])
    self.assertAllEqual(nbrs.edge_ids, [[0, 1, -1], [2, -1, -1]])
    self.assertAllEqual(nbrs.mask, [[True, True, False], [True, False, False]])

  def test_circular_padding_repeats(self):
    g = _star(2)
    nbrs = g.sampler.sample_neighbors("e", [0, 3, 4], 5, strategy="topk", seed=1,
                                padding="circular")
    self.assertAllEqual(nbrs.ids, [[1, 2, 1, 2, 1], [0, 0, 0, 0, 0], [-1] * 5])
    self.assertAllEqual(nbrs.edge_ids[0], [0, 1, 0, 1, 0])
    self.assertAllEqual(nbrs.mask, [[True, True, False, False, False],
                                    [True, False, False, False, False], [False] * 5])

  @parameterized.expand([(s,) for s in ops.sampling.NEIGHBOR_STRATEGIES])
  def test_zero_degree_rows_are_all_padding(self, strategy):
    g = _star(3, weights=[1, 1, 1, 1])
    nbrs = g.sampler.sample_neighbors("e", [5, 0], 2, strategy=strategy, seed=1)
    self.assertAllEqual(nbrs.ids[0], [-1, -1])
    self.assertAllEqual(nbrs.mask, [[False, False], [True, True]])

  # (An edge table without rows has no weight column in the CSR, so edge_weight
  # is not among these.)
  @parameterized.expand([(s,) for s in ("random", "random_without_replacement", "topk",
                                        "in_degree")])
  def test_graph_without_edges_gives_padding(self, strategy):
    g = sampling_graphs.homogeneous([], [], 4)
    nbrs = g.sampler.sample_neighbors("e", [0, 3], 3, strategy=strategy, seed=1,
                                padding="circular")
    self.assertAllEqual(nbrs.ids, -np.ones([2, 3]))
    self.assertAllEqual(nbrs.mask, np.zeros([2, 3], bool))

  def test_empty_batch(self):
    nbrs = _star(3).sampler.sample_neighbors("e", np.zeros([0], np.int64), 4, seed=1)
    for t in nbrs:
      self.assertEqual(t.shape, [0, 4])

  @parameterized.expand([(s,) for s in ("random", "random_without_replacement", "edge_weight",
                                        "in_degree", "topk")])
  def test_temporal_filter(self, strategy):
    # 0 -> 1, 2, 3, 4 at times 10, 40, 20, 30.
    g = sampling_graphs.homogeneous([0, 0, 0, 0], [1, 2, 3, 4], 5, weights=[1, 1, 1, 1],
                                    timestamps=[10, 40, 20, 30])
    nbrs = g.sampler.sample_neighbors("e", [0, 0, 0], 50, strategy=strategy, seed=1,
                                before=[25, 11, 10])
    ids, mask = nbrs.ids.numpy(), nbrs.mask.numpy()
    self.assertAllInSet(ids[0][mask[0]], [1, 3])
    self.assertAllInSet(ids[1][mask[1]], [1])
    self.assertFalse(mask[2].any())
    if strategy != "topk" and strategy != "random_without_replacement":
      self.assertEqual(set(ids[0]), {1, 3})
    # A scalar applies to every id.
    all_before = g.sampler.sample_neighbors("e", [0, 0], 3, strategy=strategy, seed=1, before=15)
    self.assertAllInSet(all_before.ids.numpy()[all_before.mask.numpy()], [1])

  def test_temporal_filter_needs_timestamps(self):
    with self.assertRaisesRegex(ValueError, "before= needs edge timestamps"):
      _star(3).sampler.sample_neighbors("e", [0], 2, seed=1, before=[5])

  def test_same_seed_same_output_different_seed_differs(self):
    g, _, _ = sampling_graphs.random_graph(100, 3000, seed=1, weights=np.ones(3000))
    ids = np.arange(100)
    for strategy in ops.sampling.NEIGHBOR_STRATEGIES:
      a = g.sampler.sample_neighbors("e", ids, 5, strategy=strategy, seed=[4, 2])
      b = g.sampler.sample_neighbors("e", ids, 5, strategy=strategy, seed=tf.constant([4, 2]))
      self.assertAllEqual(a.edge_ids, b.edge_ids)
      if strategy != "topk":
        c = g.sampler.sample_neighbors("e", ids, 5, strategy=strategy, seed=[4, 3])
        self.assertNotAllEqual(a.edge_ids, c.edge_ids)
    # A Python int seed s means [s, 0].
    self.assertAllEqual(g.sampler.sample_neighbors("e", ids, 5, seed=9).ids,
                        g.sampler.sample_neighbors("e", ids, 5, seed=[9, 0]).ids)

  def test_without_edge_ids_same_neighbors(self):
    g, _, _ = sampling_graphs.random_graph(100, 3000, seed=1)
    for strategy in ("random", "random_without_replacement", "topk"):
      with_ids = g.sampler.sample_neighbors("e", np.arange(100), 5, strategy=strategy, seed=3)
      without = g.sampler.sample_neighbors("e", np.arange(100), 5, strategy=strategy, seed=3,
                                     edge_ids=False)
      self.assertIsNone(without.edge_ids)
      self.assertAllEqual(with_ids.ids, without.ids)
      self.assertAllEqual(with_ids.mask, without.mask)
    raw_out = raw.tfgle_sample_neighbors(g.csr("e").resource_handle, [0, 1], [1, 2],
                                         tf.zeros([0], tf.int64), fanout=3,
                                         return_edge_ids=False)
    self.assertEqual(raw_out.edge_ids.shape, [2, 0])
    with self.assertRaisesRegex(ValueError, "edge_ids must be True or False"):
      g.sampler.sample_neighbors("e", [0], 2, seed=1, edge_ids="no")

  def test_output_does_not_depend_on_batch_composition(self):
    # Row r draws from (seed, r): a batch's first rows equal a shorter batch's.
    g, _, _ = sampling_graphs.random_graph(100, 3000, seed=1)
    long = g.sampler.sample_neighbors("e", np.arange(100), 5, seed=3)
    short = g.sampler.sample_neighbors("e", np.arange(10), 5, seed=3)
    self.assertAllEqual(long.ids[:10], short.ids)

  def test_static_shapes_in_tf_function_and_dataset(self):
    g = _star(3)
    fn = tf.function(lambda ids: g.sampler.sample_neighbors("e", ids, 4, seed=1),
                     input_signature=[tf.TensorSpec([None], tf.int64)])
    out = fn.get_concrete_function().structured_outputs
    self.assertEqual(out.ids.shape.as_list(), [None, 4])
    self.assertEqual(out.mask.dtype, tf.bool)
    ds = tf.data.Dataset.from_tensor_slices(np.array([[0, 1], [2, 0]], np.int64)).map(
        lambda ids: g.sampler.sample_neighbors("e", ids, 4, seed=1).ids)
    self.assertEqual(ds.element_spec.shape.as_list(), [2, 4])
    self.assertLen(list(ds), 2)

  def test_seed_per_batch_in_dataset(self):
    g = _star(8)
    ds = tf.data.Dataset.range(3).map(
        lambda i: g.sampler.sample_neighbors("e", [0], 6, seed=tf.stack([i, i])).ids)
    batches = [b.numpy() for b in ds]
    again = [b.numpy() for b in ds]
    self.assertAllEqual(batches, again)
    self.assertNotAllEqual(batches[0], batches[1])


class SampleNeighborsBadInputTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.g = _star(3)
    self.table = self.g.csr("e").resource_handle

  def test_ids_out_of_range_name_index_and_range(self):
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                r"ids\[2\] = 6 is not in \[0, 6\)"):
      self.g.sampler.sample_neighbors("e", [0, 1, 6], 2, seed=1)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                r"ids\[0\] = -1 is not in \[0, 6\)"):
      self.g.sampler.sample_neighbors("e", [-1], 2, seed=1)

  @parameterized.expand([("zero", 0), ("negative", -3), ("float", 2.0), ("bool", True)])
  def test_bad_fanout(self, _, fanout):
    with self.assertRaisesRegex(ValueError, "fanout must be a positive int"):
      self.g.sampler.sample_neighbors("e", [0], fanout, seed=1)

  def test_unknown_strategy_names_it_and_the_allowed(self):
    with self.assertRaisesRegex(ValueError, r"unknown strategy 'uniform'; allowed: random, "
                                r"random_without_replacement, edge_weight, topk, in_degree"):
      self.g.sampler.sample_neighbors("e", [0], 2, strategy="uniform", seed=1)
    with self.assertRaisesRegex(ValueError, "unknown padding 'zeros'"):
      self.g.sampler.sample_neighbors("e", [0], 2, padding="zeros", seed=1)

  def test_bad_seeds(self):
    with self.assertRaisesRegex(ValueError, r"seed must be an int or have shape \[2\]"):
      self.g.sampler.sample_neighbors("e", [0], 2, seed=[1, 2, 3])
    with self.assertRaisesRegex(TypeError, "seed must be integers"):
      self.g.sampler.sample_neighbors("e", [0], 2, seed=1.5)
    with self.assertRaisesRegex(ValueError, "seed must fit in int64"):
      self.g.sampler.sample_neighbors("e", [0], 2, seed=2**64)
    with self.assertRaisesRegex(TypeError, "seed"):
      self.g.sampler.sample_neighbors("e", [0], 2)  # pylint: disable=missing-kwoa

  def test_bad_ids(self):
    with self.assertRaisesRegex(ValueError, "ids must be a vector"):
      self.g.sampler.sample_neighbors("e", [[0]], 2, seed=1)
    with self.assertRaisesRegex(TypeError, "ids must be integers"):
      self.g.sampler.sample_neighbors("e", [0.5], 2, seed=1)
    with self.assertRaisesRegex(ValueError, "unknown edge type 'nope'"):
      self.g.sampler.sample_neighbors("nope", [0], 2, seed=1)

  def test_raw_op_validates_everything(self):
    e = tf.zeros([0], tf.int64)
    call = lambda **kw: raw.tfgle_sample_neighbors(
        **{"table": self.table, "ids": [0], "seed": [1, 2], "before": e, "fanout": 2, **kw})
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, r"ids must be a vector"):
      call(ids=[[0]])
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, r"seed must have shape \[2\]"):
      call(seed=[1, 2, 3])
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                r"before must be empty or have one value per id \(1\), got 2"):
      call(before=[1, 2])
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                r"unknown neighbor sampling strategy 'x'"):
      call(strategy="x")
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, "unknown padding 'x'"):
      call(padding="x")
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, "fanout"):
      call(fanout=0)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                "a temporal filter .* needs an edge type with timestamps"):
      call(before=[3])
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                "strategy 'edge_weight' needs an edge type with weights"):
      call(strategy="edge_weight")
    with self.assertRaisesRegex((TypeError, ValueError, tf.errors.InvalidArgumentError),
                                "int32"):
      call(ids=tf.constant([0], tf.int32))
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, "one call may produce"):
      call(ids=tf.zeros([4], tf.int64), fanout=2**39)

  def test_shape_function_rejects_bad_ranks(self):
    @tf.function
    def build(ids, seed):
      return raw.tfgle_sample_neighbors(self.table, ids, seed, tf.zeros([0], tf.int64), fanout=3)
    with self.assertRaisesRegex(ValueError, "must be rank 1"):
      build.get_concrete_function(tf.TensorSpec([2, 2], tf.int64), tf.TensorSpec([2], tf.int64))
    with self.assertRaisesRegex(ValueError, "must be 2"):
      build.get_concrete_function(tf.TensorSpec([None], tf.int64), tf.TensorSpec([3], tf.int64))
    out = build.get_concrete_function(tf.TensorSpec([5], tf.int64),
                                      tf.TensorSpec([2], tf.int64)).structured_outputs
    self.assertEqual([t.shape.as_list() for t in out], [[5, 3]] * 3)

  def test_uninitialized_or_wrong_table(self):
    e = tf.zeros([0], tf.int64)
    with self.assertRaisesRegex(tf.errors.NotFoundError, "does not exist"):
      raw.tfgle_sample_neighbors(raw.tfgle_csr_handle(shared_name="never_created"), [0],
                                 [1, 2], e, fanout=2)
    # An init that fails validation leaves the table created but empty.
    handle = raw.tfgle_csr_handle(shared_name="failed_init")
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, "src must be a vector"):
      raw.tfgle_csr_init(handle, [[0]], [[0]], e, tf.zeros([0], tf.float32), e,
                         tf.constant(1, tf.int64), tf.constant(1, tf.int64))
    with self.assertRaisesRegex(tf.errors.FailedPreconditionError, "not initialized"):
      raw.tfgle_sample_neighbors(handle, [0], [1, 2], e, fanout=2)
    id_map = self.g.id_map("n").resource_handle
    with self.assertRaises(tf.errors.InvalidArgumentError):
      raw.tfgle_sample_neighbors(id_map, [0], [1, 2], tf.zeros([0], tf.int64), fanout=2)


class SampleFullNeighborsTest(tf.test.TestCase):

  def test_all_neighbors_in_row_order(self):
    g = _star(4, weights=[1, 4, 2, 3, 1])
    full = g.sampler.sample_full_neighbors("e", [0, 6, 5])
    self.assertAllEqual(full.ids.to_list(), [[2, 4, 3, 1], [], [0]])
    self.assertAllEqual(full.edge_ids.to_list(), [[1, 3, 2, 0], [], [4]])

  def test_cap_is_a_random_subset_in_row_order(self):
    g = _star(10)
    seen = collections.Counter()
    for seed in range(300):
      full = g.sampler.sample_full_neighbors("e", [0, 11], max_neighbors=3, seed=seed)
      row = full.ids.to_list()[0]
      self.assertLen(row, 3)
      self.assertEqual(row, sorted(row))
      self.assertLen(set(row), 3)
      self.assertEqual(full.ids.to_list()[1], [0])
      seen.update(row)
    counts = [seen[v] for v in range(1, 11)]
    self.assertGreater(stats.chisquare(counts).pvalue, _ALPHA)

  def test_temporal_filter(self):
    g = sampling_graphs.homogeneous([0, 0, 0], [1, 2, 3], 4, timestamps=[5, 1, 9])
    full = g.sampler.sample_full_neighbors("e", [0, 0, 1], before=[6, 1, 100])
    self.assertAllEqual(full.ids.to_list(), [[1, 2], [], []])

  def test_errors(self):
    g = _star(3)
    with self.assertRaisesRegex(ValueError, "max_neighbors must be None or an int >= 0"):
      g.sampler.sample_full_neighbors("e", [0], max_neighbors=-1, seed=1)
    with self.assertRaisesRegex(ValueError, "pass seed="):
      g.sampler.sample_full_neighbors("e", [0], max_neighbors=2)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, r"ids\[1\] = 9 is not in"):
      g.sampler.sample_full_neighbors("e", [0, 9])
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, "max_neighbors must be >= 0"):
      raw.tfgle_sample_full_neighbors(g.csr("e").resource_handle, [0], [1, 1],
                                      tf.zeros([0], tf.int64), max_neighbors=-5)
    empty = g.sampler.sample_full_neighbors("e", tf.zeros([0], tf.int64))
    self.assertEqual(empty.ids.shape.as_list(), [0, None])


class ThreadCountTest(tf.test.TestCase):
  """Outputs are bit-identical whatever the intra-op thread count."""

  _SCRIPT = textwrap.dedent("""
      import hashlib, sys
      import numpy as np
      import tensorflow as tf
      tf.config.threading.set_intra_op_parallelism_threads(int(sys.argv[1]))
      from tfgle import ops
      from tests.ops import sampling_graphs
      g, _, _ = sampling_graphs.random_graph(2000, 60000, seed=3, weights=np.ones(60000),
                                             timestamps=np.arange(60000) % 97)
      ids = np.random.default_rng(0).integers(0, 2000, 20000)
      h = hashlib.sha256()
      for strategy in ops.sampling.NEIGHBOR_STRATEGIES:
        out = g.sampler.sample_neighbors("e", ids, 7, strategy=strategy, seed=[5, 6])
        h.update(out.ids.numpy().tobytes() + out.edge_ids.numpy().tobytes())
        out = g.sampler.sample_neighbors("e", ids, 7, strategy=strategy, seed=[5, 6], before=50)
        h.update(out.ids.numpy().tobytes())
      for hop in g.sampler.sample_fanouts("e", ids[:2000], [10, 5], seed=[1, 2],
                                    strategy="random_without_replacement"):
        h.update(hop.ids.numpy().tobytes() + hop.mask.numpy().tobytes())
      full = g.sampler.sample_full_neighbors("e", ids, max_neighbors=20, seed=4)
      h.update(full.ids.flat_values.numpy().tobytes())
      for strategy in ("random", "in_degree"):
        neg = g.sampler.sample_negatives("e", ids, 5, strategy=strategy, seed=[7, 8])
        h.update(neg.ids.numpy().tobytes() + neg.mask.numpy().tobytes())
      print(h.hexdigest())
      """)

  def _digest(self, threads):
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=repo + os.pathsep + os.environ.get("PYTHONPATH", ""),
               TF_CPP_MIN_LOG_LEVEL="2", TF_USE_LEGACY_KERAS="1")
    proc = subprocess.run([sys.executable, "-c", self._SCRIPT, str(threads)], cwd=repo,
                          env=env, capture_output=True, text=True, timeout=600, check=False)
    self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
    return proc.stdout.strip().splitlines()[-1]

  def test_one_and_two_threads_agree(self):
    self.assertEqual(self._digest(1), self._digest(2))
