"""Tests of in-place table updates: CsrTable.append / remove_before, IdMapTable.append.

Updates publish new versions of a table while samplers may be reading it; the
stress test at the end samples from several threads while another appends.
"""
import bisect
import threading
import time

import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tfgle.ops import sampling
from tfgle.ops._library import ops
from tfgle.ops.tables import CsrTable, IdMapTable


def _random_edges(rng, num_src, num_dst, n, first_id=0):
  """Columns of n random edges (weights and timestamps from small sets: many ties)."""
  return {"src": rng.integers(0, num_src, n), "dst": rng.integers(0, num_dst, n),
          "edge_ids": np.arange(first_id, first_id + n),
          "weights": rng.integers(0, 4, n).astype(np.float32) * 0.5,
          "timestamps": rng.integers(-5, 5, n)}


def _rows(csr, num_src=None):
  """Every row of `csr` as lists: (dst, edge ids, weights or None, timestamps or None)."""
  nbrs, eids, weights, times = csr.neighbors(np.arange(num_src or csr.num_src))
  return (nbrs.to_list(), eids.to_list(), None if weights is None else weights.to_list(),
          None if times is None else times.to_list())


def _table(columns, num_src, num_dst, *, weighted, timed, order, symmetric=False):
  return CsrTable(columns["src"], columns["dst"], num_src, num_dst,
                  edge_ids=columns["edge_ids"],
                  weights=columns["weights"] if weighted else None,
                  timestamps=columns["timestamps"] if timed else None, order=order,
                  symmetric=symmetric)


def _append(csr, columns, *, weighted, timed, **sizes):
  csr.append(columns["src"], columns["dst"], edge_ids=columns["edge_ids"],
             weights=columns["weights"] if weighted else None,
             timestamps=columns["timestamps"] if timed else None, **sizes)


def _concat(a, b):
  return {k: np.concatenate([a[k], b[k]]) for k in a}


class CsrAppendTest(tf.test.TestCase):

  @parameterized.expand([
      ("input", "input", False, False), ("input_with_columns", "input", True, True),
      ("weight", "weight", True, False), ("timestamp", "timestamp", False, True),
      ("timestamp_weighted", "timestamp", True, True)])
  def test_equals_a_table_built_from_scratch(self, _, order, weighted, timed):
    rng = np.random.default_rng(1)
    sizes = [(50, 40, 800), (50, 40, 0), (60, 45, 1), (90, 70, 300), (90, 70, 2000)]
    columns = _random_edges(rng, *sizes[0])
    csr = _table(columns, sizes[0][0], sizes[0][1], weighted=weighted, timed=timed, order=order)
    self.assertEqual(csr.version, 0)
    for i, (num_src, num_dst, n) in enumerate(sizes[1:], 1):
      batch = _random_edges(rng, num_src, num_dst, n, first_id=len(columns["src"]))
      _append(csr, batch, weighted=weighted, timed=timed, num_src=num_src, num_dst=num_dst)
      columns = _concat(columns, batch)
      whole = _table(columns, num_src, num_dst, weighted=weighted, timed=timed, order=order)
      self.assertEqual((csr.num_src, csr.num_dst, csr.num_edges),
                       (num_src, num_dst, len(columns["src"])))
      self.assertEqual(_rows(csr), _rows(whole))
      self.assertEqual(csr.fingerprint(), whole.fingerprint())
      self.assertAllEqual(csr.degree(np.arange(num_dst), "in"),
                          whole.degree(np.arange(num_dst), "in"))
      # Batch 1 appends nothing and grows nothing: it publishes no version.
      self.assertEqual(csr.version, i - 1)

  def test_new_edges_join_rows_in_the_tables_order(self):
    csr = CsrTable([0, 0, 1], [1, 2, 0], 3, 3, timestamps=[5, 3, 1], order="timestamp")
    csr.append([0, 0, 2], [2, 0, 1], edge_ids=[10, 11, 12], timestamps=[4, 5, 9])
    nbrs, eids, _, times = csr.neighbors([0, 1, 2])
    # Latest first; the old edge comes first among equal timestamps.
    self.assertAllEqual(times.to_list(), [[5, 5, 4, 3], [1], [9]])
    self.assertAllEqual(eids.to_list(), [[0, 11, 10, 1], [2], [12]])
    self.assertAllEqual(nbrs.to_list(), [[1, 0, 2, 2], [0], [1]])
    plain = CsrTable([0, 1], [1, 0], 2, 2)
    plain.append([0, 0], [0, 1], edge_ids=[7, 8])
    self.assertAllEqual(plain.neighbors([0])[1].to_list(), [[0, 7, 8]])  # input order: last

  def test_symmetric_table_appends_reverses(self):
    csr = CsrTable([0, 1], [1, 2], 3, 3, symmetric=True)
    csr.append([2, 3, 1], [0, 3, 3], edge_ids=[5, 6, 7], num_src=4, num_dst=4)
    nbrs, eids, _, _ = csr.neighbors([0, 1, 2, 3])
    self.assertAllEqual(nbrs.to_list(), [[1, 2], [2, 0, 3], [1, 0], [3, 1]])
    self.assertAllEqual(eids.to_list(), [[0, 5], [1, 0, 7], [1, 5], [6, 7]])
    self.assertEqual(csr.num_edges, 9)

  def test_sampling_sees_new_edges(self):
    csr = CsrTable([0, 0], [1, 2], 4, 4, weights=[1.0, 2.0], order="weight")
    for strategy in ("random", "edge_weight", "in_degree", "topk"):
      before = sampling.sample_neighbors(csr, [3], 4, strategy=strategy, seed=1)
      self.assertFalse(np.any(before.mask))
    csr.append([3, 3], [0, 1], edge_ids=[7, 8], weights=[0.0, 5.0])
    for strategy in ("random", "edge_weight", "in_degree", "topk"):
      after = sampling.sample_neighbors(csr, [3], 4, strategy=strategy, seed=1)
      self.assertTrue(np.any(after.mask), strategy)
      self.assertContainsSubset(set(after.edge_ids.numpy()[after.mask.numpy()]), {7, 8})
    # Weighted draws: edge 7 has weight 0; in-degree draws: node 1 (in-degree 2) over node 0 (1).
    weighted = sampling.sample_neighbors(csr, [3], 50, strategy="edge_weight", seed=2)
    self.assertAllEqual(weighted.edge_ids, np.full([1, 50], 8))
    hop1, hop2 = sampling.sample_fanouts([csr, csr], [3], [3, 2], strategy="topk", seed=3)
    self.assertAllEqual(hop1.ids, [[1, 0, -1]])
    self.assertAllEqual(hop2.edge_ids, [[-1, -1], [1, 0], [-1, -1]])
    csr.append([1], [3], edge_ids=[9], weights=[1.0])
    hop1, hop2 = sampling.sample_fanouts([csr, csr], [3], [3, 2], strategy="topk", seed=3)
    self.assertAllEqual(hop2.edge_ids, [[9, -1], [1, 0], [-1, -1]])
    self.assertAllEqual(sampling.sample_full_neighbors(csr, [3, 1]).edge_ids.to_list(),
                        [[8, 7], [9]])

  def test_remove_before(self):
    rng = np.random.default_rng(3)
    columns = _random_edges(rng, 30, 30, 500)
    for order in ("input", "timestamp"):
      csr = _table(columns, 30, 30, weighted=True, timed=True, order=order)
      csr.remove_before(-10)  # nothing that old: no new version
      self.assertEqual(csr.version, 0)
      for i, t in enumerate([-2, 0, 3], 1):
        csr.remove_before(t)
        keep = columns["timestamps"] >= t
        recent = {k: v[keep] for k, v in columns.items()}
        whole = _table(recent, 30, 30, weighted=True, timed=True, order=order)
        self.assertEqual(csr.num_edges, int(keep.sum()))
        self.assertEqual(_rows(csr), _rows(whole))
        self.assertEqual(csr.fingerprint(), whole.fingerprint())
        self.assertEqual(csr.version, i)
      # Appending after a removal.
      batch = _random_edges(rng, 30, 30, 50, first_id=500)
      _append(csr, batch, weighted=True, timed=True)
      self.assertEqual(csr.num_edges, int(keep.sum()) + 50)

  def test_updates_inside_tf_function(self):
    csr = CsrTable([0], [1], 2, 2)

    @tf.function
    def grow(src, dst, ids):
      csr.append(src, dst, edge_ids=ids, num_src=tf.size(src, out_type=tf.int64) + 2)
      return ops.tfgle_csr_info(csr.resource_handle)

    num_src, _, num_edges = grow(tf.constant([0, 2]), tf.constant([0, 1]), tf.constant([5, 6]))
    self.assertEqual((int(num_src), int(num_edges)), (4, 3))
    self.assertEqual((csr.num_src, csr.num_edges), (4, 3))
    grow(tf.constant([1, 3, 4]), tf.constant([0, 0, 0]), tf.constant([7, 8, 9]))
    self.assertEqual((csr.num_src, csr.num_edges), (5, 6))  # read again after every call
    self.assertEqual(csr.version, 2)

  def test_memory_follows_the_current_version(self):
    csr = CsrTable([0], [1], 2, 2)
    before = int(ops.tfgle_table_memory(csr.resource_handle))
    n = 20_000
    csr.append(np.zeros(n, np.int64), np.ones(n, np.int64), edge_ids=np.arange(n))
    self.assertGreaterEqual(int(ops.tfgle_table_memory(csr.resource_handle)) - before, 16 * n)

  def test_fingerprint_is_a_function_of_the_content(self):
    a = CsrTable([0, 1], [1, 0], 2, 2)
    a.append([1], [1], edge_ids=[2])
    b = CsrTable([0, 1, 1], [1, 0, 1], 2, 2)
    self.assertEqual(a.fingerprint(), b.fingerprint())
    a.append([1], [1], edge_ids=[3])
    self.assertNotEqual(a.fingerprint(), b.fingerprint())


class CsrAppendErrorsTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.plain = CsrTable([0, 1], [1, 0], 3, 2)
    self.full = CsrTable([0, 1], [1, 0], 3, 2, weights=[1.0, 2.0], timestamps=[1, 2],
                         order="timestamp")

  @parameterized.expand([
      ("src_range", "plain", dict(src=[3], dst=[0]), r"src\[0\] = 3 is not in \[0, 3\)"),
      ("negative_src", "plain", dict(src=[0, -1], dst=[0, 0], edge_ids=[8, 9]), r"src\[1\] = -1 is not in"),
      ("dst_range_after_growth", "plain", dict(src=[0, 0], dst=[1, 3], edge_ids=[8, 9], num_dst=3),
       r"dst\[1\] = 3 is not in \[0, 3\)"),
      ("src_beyond_the_kept_count", "plain", dict(src=[3], dst=[0], num_src=3),
       r"src\[0\] = 3 is not in \[0, 3\)"),
      ("shrinking_src", "plain", dict(num_src=2),
       "num_src = 2 is less than the table's 3 source nodes; tables only grow"),
      ("shrinking_dst", "plain", dict(num_dst=1),
       "num_dst = 1 is less than the table's 2 destination nodes; tables only grow"),
      ("weights_to_unweighted", "plain", dict(weights=[1.0]),
       "the table has no weights; appended edges cannot have any"),
      ("timestamps_to_untimed", "plain", dict(timestamps=[1]),
       "the table has no timestamps; appended edges cannot have any"),
      ("missing_weights", "full", dict(timestamps=[1]),
       "the table has weights; appended edges need one each"),
      ("missing_timestamps", "full", dict(weights=[1.0]),
       "the table has timestamps; appended edges need one each"),
      ("negative_weight", "full", dict(weights=[-1.0], timestamps=[1]),
       r"weights\[0\] = -1 is not a finite number >= 0"),
      ("nan_weight", "full", dict(weights=[np.nan], timestamps=[1]),
       r"weights\[0\] = nan is not a finite number >= 0"),
      ("inf_weight", "full", dict(weights=[np.inf], timestamps=[1]),
       r"weights\[0\] = inf is not a finite number >= 0"),
      ("subnormal_weight", "full", dict(weights=[1e-40], timestamps=[1]),
       r"weights\[0\] = 1e-40 is subnormal; weights must be 0 or >= 1.17549435e-38"),
      ("weights_length", "full", dict(weights=[1.0, 2.0], timestamps=[1]),
       r"weights must be empty or have one value per edge \(1\), got 2"),
      ("timestamps_length", "full", dict(weights=[1.0], timestamps=[1, 2]),
       r"timestamps must be empty or have one value per edge \(1\), got 2"),
      ("edge_ids_length", "plain", dict(edge_ids=[1, 2]),
       r"edge_ids must be empty or have one value per edge \(1\), got 2"),
      ("edge_ids_missing", "plain", dict(edge_ids=np.zeros(0, np.int64)),
       r"edge_ids must have one value per appended edge \(1\), got 0"),
      ("length_mismatch", "plain", dict(src=[0, 1], dst=[0]),
       r"src and dst must have the same length, got 2 and 1"),
      ("too_many_nodes", "plain", dict(num_src=2**41),
       r"num_src and num_dst must be at most 2\^40"),
  ])
  def test_bad_append(self, _, table, kwargs, message):
    csr = getattr(self, table)
    args = dict(src=[0], dst=[0], edge_ids=[9])
    args.update(kwargs)
    fingerprint, version = csr.fingerprint(), csr.version
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, message):
      csr.append(args.pop("src"), args.pop("dst"), **args)
    # A failed append changes nothing.
    self.assertEqual((csr.fingerprint(), csr.version), (fingerprint, version))
    self.assertEqual(csr.num_edges, 2)

  def test_symmetric_table_needs_square_growth(self):
    csr = CsrTable([0], [1], 2, 2, symmetric=True)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                "symmetric edges need num_src == num_dst, got 3 and 2"):
      csr.append([2], [0], edge_ids=[1], num_src=3)

  def test_python_type_errors(self):
    with self.assertRaisesRegex(TypeError, "src must be integers"):
      self.plain.append([0.5], [0], edge_ids=[1])
    with self.assertRaisesRegex(TypeError, "edge_ids must be integers"):
      self.plain.append([0], [0], edge_ids=[1.5])
    with self.assertRaisesRegex(TypeError, "num_src must be an integer, got 3.5"):
      self.plain.append([0], [0], edge_ids=[1], num_src=3.5)
    with self.assertRaisesRegex(TypeError, "num_dst must be an integer, got True"):
      self.plain.append([0], [0], edge_ids=[1], num_dst=True)
    with self.assertRaisesRegex(TypeError, "edge_ids"):
      self.plain.append([0], [0])  # pylint: disable=missing-kwoa
    with self.assertRaisesRegex(TypeError, "timestamp must be an integer, got 1.5"):
      self.full.remove_before(1.5)

  def test_remove_before_needs_timestamps(self):
    with self.assertRaisesRegex(
        tf.errors.InvalidArgumentError,
        "removing edges before a timestamp needs a table with timestamps; this one has none"):
      self.plain.remove_before(0)

  def test_raw_ops_check_ranks_and_counts(self):
    empty_i, empty_f = tf.zeros([0], tf.int64), tf.zeros([0], tf.float32)
    handle = self.plain.resource_handle
    id_map = IdMapTable([1])
    two = tf.constant(2, tf.int64)
    minus = tf.constant(-1, tf.int64)
    cases = [
        (lambda: ops.tfgle_csr_append(handle, [[0]], [[0]], [[1]], empty_f, empty_i, minus,
                                      minus), r"src must be a vector, got shape \[1,1\]"),
        (lambda: ops.tfgle_csr_append(handle, [0], [0], [1], [[1.0]], empty_i, minus, minus),
         r"weights must be a vector, got shape \[1,1\]"),
        (lambda: ops.tfgle_csr_append(handle, [0], [0], [1], empty_f, empty_i, [3, 3], minus),
         r"num_src must be a scalar, got shape \[2\]"),
        (lambda: ops.tfgle_csr_append(handle, [0], [0], [1], empty_f, empty_i, minus, [3]),
         r"num_dst must be a scalar, got shape \[1\]"),
        (lambda: ops.tfgle_csr_append(handle, [0], [0], [1], empty_f, empty_i,
                                      tf.constant(-2, tf.int64), two),
         "num_src must be >= 0, or -1 to keep the table's, got -2"),
        (lambda: ops.tfgle_csr_remove_before(handle, [1, 2]),
         r"timestamp must be a scalar, got shape \[2\]"),
        (lambda: ops.tfgle_id_map_append(id_map.resource_handle, [[5]]),
         r"ids must be a vector, got shape \[1,1\]"),
    ]
    for call, message in cases:
      with self.subTest(message), self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                                         message):
        call()
    uninitialized = ops.tfgle_csr_handle(shared_name="live_tables_never_built")
    with self.assertRaisesRegex(tf.errors.NotFoundError, "live_tables_never_built"):
      ops.tfgle_csr_append(uninitialized, [0], [0], [1], empty_f, empty_i, minus, minus)

  def test_shape_functions(self):
    table, scalar = tf.TensorSpec([], tf.resource), tf.TensorSpec([], tf.int64)
    vector, matrix = tf.TensorSpec([3], tf.int64), tf.TensorSpec([3, 1], tf.int64)
    floats = tf.TensorSpec([None], tf.float32)

    def shapes(fn, *specs):
      outputs = tf.function(fn).get_concrete_function(*specs).structured_outputs
      return [t.shape.as_list() for t in tf.nest.flatten(outputs)]

    self.assertEqual(shapes(ops.tfgle_csr_append, table, vector, vector, vector, floats,
                            tf.TensorSpec([None], tf.int64), scalar, scalar), [[]])
    self.assertEqual(shapes(ops.tfgle_csr_remove_before, table, scalar), [[]])
    self.assertEqual(shapes(ops.tfgle_csr_version, table), [[]])
    self.assertEqual(shapes(ops.tfgle_id_map_append, table, vector), [[]])
    for name, fn, specs, message in [
        ("append_src_rank", ops.tfgle_csr_append,
         [table, matrix, vector, vector, floats, vector, scalar, scalar], "must be rank 1"),
        ("append_lengths", ops.tfgle_csr_append,
         [table, vector, tf.TensorSpec([4], tf.int64), vector, floats, vector, scalar, scalar],
         "must be equal, but are 3 and 4"),
        ("append_edge_ids", ops.tfgle_csr_append,
         [table, vector, vector, tf.TensorSpec([2], tf.int64), floats, vector, scalar, scalar],
         "must be equal, but are 3 and 2"),
        ("append_num_src", ops.tfgle_csr_append,
         [table, vector, vector, vector, floats, vector, vector, scalar], "must be rank 0"),
        ("append_table", ops.tfgle_csr_append,
         [tf.TensorSpec([2], tf.resource), vector, vector, vector, floats, vector, scalar,
          scalar], "must be rank 0"),
        ("remove_before", ops.tfgle_csr_remove_before, [table, vector], "must be rank 0"),
        ("version", ops.tfgle_csr_version, [tf.TensorSpec([1], tf.resource)], "must be rank 0"),
        ("id_map_append", ops.tfgle_id_map_append, [table, matrix], "must be rank 1"),
    ]:
      with self.subTest(name), self.assertRaisesRegex(ValueError, message):
        tf.function(fn).get_concrete_function(*specs)


class IdMapAppendTest(tf.test.TestCase):

  @parameterized.expand([("contiguous", [0, 1, 2], [3, 4]),
                                  ("to_hashed", [0, 1, 2], [10, -4]),
                                  ("hashed", [7, 3, 100], [5, 2**62])])
  def test_grows(self, _, ids, more):
    table = IdMapTable(ids)
    table.append(np.array(more))
    self.assertEqual(table.size, len(ids) + len(more))
    self.assertAllEqual(table.lookup(ids + more), np.arange(len(ids) + len(more)))
    self.assertAllEqual(table.lookup([99999], allow_missing=True), [-1])
    table.append([])
    self.assertEqual(table.size, len(ids) + len(more))

  def test_many_batches(self):
    rng = np.random.default_rng(5)
    ids = rng.permutation(100_000)[:6000] * 3 - 7
    table = IdMapTable(ids[:1000])
    for begin in range(1000, 6000, 500):
      table.append(ids[begin:begin + 500])
    self.assertEqual(table.size, 6000)
    self.assertAllEqual(table.lookup(ids), np.arange(6000))

  def test_errors_name_the_id(self):
    table = IdMapTable([10, 30, 20])
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                r"ids\[1\] = 30 is already in the id map \(at index 1\); only "
                                "new ids can be appended"):
      table.append([5, 30])
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                r"duplicate id 6 at ids\[1\] and ids\[3\]; appended ids must be "
                                "unique"):
      table.append([5, 6, 7, 6])
    with self.assertRaisesRegex(TypeError, "ids must be integers"):
      table.append([1.5])
    # Failed appends change nothing.
    self.assertEqual(table.size, 3)
    self.assertAllEqual(table.lookup([5, 6], allow_missing=True), [-1, -1])


class _Stream:
  """A growing timed graph for the stress test.

  Edge i has id i and timestamp i (so rows, latest first, list edge ids in
  descending order) and weight 1 + i % 3. Version v of the table holds edges
  [0, ends[v]) over counts[v] nodes.
  """

  def __init__(self, seed, first_nodes, first_edges, batches, batch_size, growth):
    rng = np.random.default_rng(seed)
    self.counts = [first_nodes + v * growth for v in range(batches + 1)]
    self.ends = [first_edges + v * batch_size for v in range(batches + 1)]
    src, dst = [], []
    for v in range(batches + 1):
      n = self.ends[v] - (self.ends[v - 1] if v else 0)
      src.append(rng.integers(0, self.counts[v], n))
      dst.append(rng.integers(0, self.counts[v], n))
    self.src, self.dst = np.concatenate(src), np.concatenate(dst)
    self.rows = {}  # source node -> its edge ids, ascending
    for i, s in enumerate(self.src.tolist()):
      self.rows.setdefault(s, []).append(i)

  def columns(self, v):
    """The edges version v appends (v = 0: the initial table)."""
    begin, end = (self.ends[v - 1] if v else 0), self.ends[v]
    ids = np.arange(begin, end)
    return self.src[begin:end], self.dst[begin:end], ids, (1 + ids % 3).astype(np.float32), ids

  def row(self, node, v, k=None):
    """Edge ids of `node`'s row in version v, latest first (the first k)."""
    ids = self.rows.get(node, [])
    found = ids[:bisect.bisect_left(ids, self.ends[v])][::-1]
    return found if k is None else found[:k]


class ConcurrentUpdateAndSampleTest(tf.test.TestCase):

  def test_samplers_see_whole_versions_while_edges_are_appended(self):
    stream = _Stream(seed=7, first_nodes=300, first_edges=3000, batches=150, batch_size=40,
                     growth=1)
    src, dst, ids, weights, times = stream.columns(0)
    csr = CsrTable(src, dst, stream.counts[0], stream.counts[0], edge_ids=ids,
                   weights=weights, timestamps=times, order="timestamp")
    seeds = np.arange(0, stream.counts[0], 5)  # sources that exist in every version
    errors, calls = [], {"neighbors": 0, "fanouts": 0, "full": 0, "pipeline": 0}
    started = threading.Barrier(5)
    done = threading.Event()

    def fail(what):
      errors.append(what)

    def check_edges(rows, eids, nbrs, mask, v_hi):
      """Every sampled edge is an edge of version <= v_hi leaving its row's node."""
      for r, row in enumerate(rows):
        for e, n, m in zip(eids[r], nbrs[r], mask[r]):
          if m and not (0 <= e < stream.ends[v_hi] and stream.src[e] == row
                        and stream.dst[e] == n):
            fail(f"edge {e} -> {n} of row {row} is not an edge of version <= {v_hi}")

    def versions_matching(v_lo, v_hi, expect):
      """The versions in [v_lo, v_hi] whose rows `expect(v)` says the call returned."""
      return [v for v in range(v_lo, v_hi + 1) if expect(v)]

    def sample_neighbors():
      started.wait()
      strategies = ["random", "edge_weight", "in_degree", "topk"]
      step = 0
      while not done.is_set() or step < 4:
        strategy = strategies[step % 4]
        v_lo = csr.version
        out = sampling.sample_neighbors(csr, seeds, 4, strategy=strategy, seed=[step, 1])
        v_hi = csr.version
        eids, nbrs, mask = out.edge_ids.numpy(), out.ids.numpy(), out.mask.numpy()
        check_edges(seeds, eids, nbrs, mask, v_hi)
        if strategy == "topk":  # each row's 4 latest edges, all from one version
          got = [list(e[m]) for e, m in zip(eids, mask)]
          if not versions_matching(
              v_lo, v_hi, lambda v: all(g == stream.row(s, v, 4) for s, g in zip(seeds, got))):
            fail(f"topk rows match no single version in [{v_lo}, {v_hi}]")
        calls["neighbors"] += 1
        step += 1

    def sample_fanouts():
      started.wait()
      step = 0
      while not done.is_set() or step < 4:
        strategy = ["topk", ["random", "edge_weight"], ["in_degree", "topk"]][step % 3]
        v_lo = csr.version
        hop1, hop2 = sampling.sample_fanouts([csr, csr], seeds, [3, 2], strategy=strategy,
                                             seed=[step, 2])
        v_hi = csr.version
        h1 = [t.numpy() for t in hop1]
        h2 = [t.numpy() for t in hop2]
        check_edges(seeds, h1[1], h1[0], h1[2], v_hi)
        parents = h1[0].reshape(-1)
        live = h1[2].reshape(-1)
        check_edges(parents[live], h2[1][live], h2[0][live], h2[2][live], v_hi)
        if strategy == "topk":  # both hops read one version
          def hops_match(v):
            return (all(list(e[m]) == stream.row(s, v, 3)
                        for s, e, m in zip(seeds, h1[1], h1[2])) and
                    all(list(e[m]) == stream.row(p, v, 2)
                        for p, e, m in zip(parents[live], h2[1][live], h2[2][live])))
          if not versions_matching(v_lo, v_hi, hops_match):
            fail(f"fanout hops match no single version in [{v_lo}, {v_hi}]")
        calls["fanouts"] += 1
        step += 1

    def sample_fanouts_pipeline():
      # Calls from TensorFlow's own threads, each long enough (every seed 200
      # times) for updates to land inside it; checked after the pipeline stops.
      handle = csr.resource_handle
      repeats = 200
      rows = np.repeat(seeds, repeats)

      def one(step):
        v_lo = ops.tfgle_csr_version(handle)
        hop1, hop2 = sampling.sample_fanouts([csr, csr], rows, [1, 2], strategy="topk",
                                             seed=tf.stack([step, tf.constant(3, tf.int64)]))
        v_hi = ops.tfgle_csr_version(handle)
        return v_lo, hop1.edge_ids, hop1.ids, hop2.edge_ids, v_hi

      iterator = iter(tf.data.Dataset.range(10**9).map(one, num_parallel_calls=2))
      results = [[t.numpy() for t in next(iterator)]]  # (traced before the updates start)
      started.wait()
      for element in iterator:
        results.append([t.numpy() for t in element])
        if done.is_set() and len(results) >= 4:
          break
      for v_lo, e1, n1, e2, v_hi in results:
        # Hop 1: the latest edge of each seed, the same in all its copies.
        e1 = e1.reshape(len(seeds), repeats)
        parents = n1.reshape(-1)
        unique, first, inverse = np.unique(parents, return_index=True, return_inverse=True)
        if not (np.all(e1 == e1[:, :1]) and np.all(e2 == e2[first][inverse])):
          fail("copies of one row were sampled from different versions in one call")
          continue

        def hops_match(v, e1=e1, e2=e2, unique=unique, first=first):
          return (all(list(r[r >= 0]) == stream.row(s, v, 1) for s, r in zip(seeds, e1[:, :1]))
                  and all(list(e2[i][e2[i] >= 0]) == stream.row(p, v, 2)
                          for p, i in zip(unique, first) if p >= 0))
        if not versions_matching(int(v_lo), int(v_hi), hops_match):
          fail(f"the hops of one call match no single version in [{v_lo}, {v_hi}]")
      calls["pipeline"] = len(results)

    def sample_full():
      started.wait()
      step = 0
      final = len(stream.ends) - 1
      while not done.is_set() or step < 4:
        v_lo = csr.version
        rows = sampling.sample_full_neighbors(csr, seeds).edge_ids.to_list()
        v_hi = csr.version
        for s, row in zip(seeds, rows):
          if len(row) > len(stream.row(s, final)):
            fail(f"row {s} has {len(row)} neighbors, more than its final degree")
        if not versions_matching(
            v_lo, v_hi, lambda v: all(r == stream.row(s, v) for s, r in zip(seeds, rows))):
          fail(f"full rows match no single version in [{v_lo}, {v_hi}]")
        calls["full"] += 1
        step += 1

    threads = [threading.Thread(target=fn) for fn in (sample_neighbors, sample_fanouts,
                                                       sample_fanouts_pipeline, sample_full)]
    for t in threads:
      t.start()
    started.wait()
    deadline = time.monotonic() + 4.0  # bounds the test's length, asserts nothing on time
    try:
      for v in range(1, len(stream.ends)):
        if time.monotonic() > deadline:
          break
        src, dst, ids, weights, times = stream.columns(v)
        csr.append(src, dst, edge_ids=ids, weights=weights, timestamps=times,
                   num_src=stream.counts[v], num_dst=stream.counts[v])
        self.assertEqual(csr.version, v)
    finally:
      done.set()
      for t in threads:
        t.join()
    self.assertEqual(errors, [])
    self.assertGreaterEqual(min(calls.values()), 4)
    # The last version equals the table built from its edges at once.
    v = csr.version
    src, dst, ids = stream.src[:stream.ends[v]], stream.dst[:stream.ends[v]], np.arange(
        stream.ends[v])
    whole = CsrTable(src, dst, stream.counts[v], stream.counts[v], edge_ids=ids,
                     weights=(1 + ids % 3).astype(np.float32), timestamps=ids,
                     order="timestamp")
    self.assertEqual(csr.fingerprint(), whole.fingerprint())
    self.assertEqual((csr.num_src, csr.num_edges), (stream.counts[v], stream.ends[v]))


if __name__ == "__main__":
  tf.test.main()
