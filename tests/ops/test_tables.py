"""Tests of the in-graph tables: IdMapTable and CsrTable (C++ resources)."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tfgle.ops.tables import CsrTable, IdMapTable


class IdMapTableTest(tf.test.TestCase):

  @parameterized.expand([
      ("contiguous", [5, 6, 7, 8]),
      ("hashed", [100, -3, 7, 2**62]),
  ])
  def test_lookup_roundtrip(self, _, ids):
    table = IdMapTable(ids)
    self.assertEqual(table.size, len(ids))
    self.assertAllEqual(table.lookup(ids), np.arange(len(ids)))
    self.assertAllEqual(table.lookup([[ids[1]], [ids[0]]]), [[1], [0]])

  @parameterized.expand([("contiguous", [0, 1, 2]), ("hashed", [10, 30, 20])])
  def test_unknown_id_is_an_error_naming_it(self, _, ids):
    table = IdMapTable(ids)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                r"ids\[1\] = 99 is not a known id"):
      table.lookup([ids[0], 99])
    self.assertAllEqual(table.lookup([99, ids[2]], allow_missing=True), [-1, 2])

  def test_duplicate_ids_name_both_rows(self):
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                "duplicate id 7 at rows 1 and 3"):
      IdMapTable([3, 7, 9, 7])

  def test_empty(self):
    table = IdMapTable(np.zeros(0, np.int64))
    self.assertEqual(table.size, 0)
    self.assertAllEqual(table.lookup(np.zeros(0, np.int64)), [])

  def test_non_integer_ids_rejected(self):
    with self.assertRaisesRegex(TypeError, "ids must be integers"):
      IdMapTable([1.5, 2.5])

  def test_works_inside_tf_function_and_dataset(self):
    table = IdMapTable([10, 20, 30])
    ds = tf.data.Dataset.from_tensor_slices([30, 10]).map(table.lookup)
    self.assertAllEqual(list(ds.as_numpy_iterator()), [2, 0])
    self.assertAllEqual(tf.function(table.lookup)(tf.constant([20])), [1])


class CsrTableTest(tf.test.TestCase):

  def test_neighbors_keep_input_order_and_degrees(self):
    csr = CsrTable([2, 0, 0, 1, 0], [0, 2, 1, 2, 2], 3, 3)
    self.assertEqual(csr.num_edges, 5)
    nbrs, eids, weights, times = csr.neighbors([0, 1, 2])
    self.assertAllEqual(nbrs.to_list(), [[2, 1, 2], [2], [0]])
    self.assertAllEqual(eids.to_list(), [[1, 2, 4], [3], [0]])
    self.assertIsNone(weights)
    self.assertIsNone(times)
    self.assertAllEqual(csr.degree([0, 1, 2]), [3, 1, 1])
    self.assertAllEqual(csr.degree([0, 1, 2], "in"), [1, 1, 3])

  def test_weight_order_is_descending_and_stable(self):
    csr = CsrTable([0, 0, 0, 0], [1, 2, 3, 4], 1, 5, weights=[1.0, 3.0, 1.0, 2.0],
                   order="weight")
    nbrs, eids, weights, _ = csr.neighbors([0])
    self.assertAllEqual(nbrs.to_list(), [[2, 4, 1, 3]])
    self.assertAllEqual(weights.to_list(), [[3.0, 2.0, 1.0, 1.0]])

  def test_timestamp_order_is_latest_first(self):
    csr = CsrTable([0, 0, 0], [1, 2, 3], 1, 4, timestamps=[5, 9, 7], order="timestamp")
    nbrs, _, _, times = csr.neighbors([0])
    self.assertAllEqual(nbrs.to_list(), [[2, 3, 1]])
    self.assertAllEqual(times.to_list(), [[9, 7, 5]])

  def test_symmetric_adds_reverse_except_self_loops(self):
    csr = CsrTable([0, 1, 2], [1, 2, 2], 3, 3, symmetric=True)
    self.assertEqual(csr.num_edges, 5)
    nbrs, eids, _, _ = csr.neighbors([0, 1, 2])
    self.assertAllEqual(nbrs.to_list(), [[1], [2, 0], [2, 1]])
    self.assertAllEqual(eids.to_list(), [[0], [1, 0], [2, 1]])

  def test_matches_scipy_on_random_graph(self):
    rng = np.random.default_rng(0)
    n, e = 300, 5000
    src, dst = rng.integers(0, n, e), rng.integers(0, n, e)
    csr = CsrTable(src, dst, n, n)
    nbrs, eids, _, _ = csr.neighbors(np.arange(n))
    for v in range(0, n, 37):
      expected = np.flatnonzero(src == v)
      self.assertAllEqual(eids[v], expected)
      self.assertAllEqual(nbrs[v], dst[expected])
    self.assertAllEqual(csr.degree(np.arange(n), "in"), np.bincount(dst, minlength=n))

  def test_zero_edges(self):
    csr = CsrTable(np.zeros(0, np.int64), np.zeros(0, np.int64), 4, 4)
    self.assertEqual(csr.num_edges, 0)
    self.assertAllEqual(csr.degree([0, 3]), [0, 0])
    self.assertAllEqual(csr.neighbors([1])[0].to_list(), [[]])

  @parameterized.expand([
      ("src_range", dict(src=[0, 3], dst=[0, 1]), r"src\[1\] = 3 is not in \[0, 3\)"),
      ("negative_dst", dict(src=[0, 1], dst=[-1, 1]), r"dst\[0\] = -1 is not in \[0, 3\)"),
      ("length_mismatch", dict(src=[0, 1], dst=[1]), "same length|Dimensions must be equal"),
      ("nan_weight", dict(src=[0, 1], dst=[1, 2], weights=[1.0, np.nan]),
       r"weights\[1\] = nan is not a finite number >= 0"),
      ("negative_weight", dict(src=[0, 1], dst=[1, 2], weights=[-1.0, 1.0]),
       r"weights\[0\] = -1"),
      ("subnormal_weight", dict(src=[0, 1], dst=[1, 2], weights=[1.0, 1e-40]),
       r"weights\[1\] = 1e-40 is subnormal; weights must be 0 or >= 1.17549435e-38"),
      ("weights_length", dict(src=[0, 1], dst=[1, 2], weights=[1.0, 1.0, 1.0]),
       "weights must be empty or have one value per edge"),
      ("weight_order_without_weights", dict(src=[0], dst=[1], order="weight"),
       "needs edge weights"),
  ])
  def test_bad_input(self, _, kwargs, message):
    kwargs = dict(kwargs)
    with self.assertRaisesRegex((tf.errors.InvalidArgumentError, ValueError), message):
      CsrTable(kwargs.pop("src"), kwargs.pop("dst"), 3, 3, **kwargs)

  def test_symmetric_needs_one_node_type(self):
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, "num_src == num_dst"):
      CsrTable([0], [1], 2, 3, symmetric=True)

  def test_lookups_with_out_of_range_indices(self):
    csr = CsrTable([0, 1], [1, 0], 2, 2)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                r"indices\[1\] = 2 is not in \[0, 2\)"):
      csr.neighbors([0, 2])
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                r"indices\[0\] = -5 is not in \[0, 2\)"):
      csr.degree([-5], "in")
    with self.assertRaisesRegex(ValueError, "direction must be 'out' or 'in'"):
      csr.degree([0], "sideways")

  def test_every_kernel_checks_the_rank_of_its_vectors(self):
    from tfgle.ops._library import ops  # pylint: disable=g-import-not-at-top
    csr = CsrTable([0], [1], 2, 2)
    matrix = tf.constant([[0]], tf.int64)
    cases = [
        ("indices", lambda: ops.tfgle_csr_neighbors(csr.resource_handle, matrix)),
        ("positions", lambda: ops.tfgle_csr_edges_at(csr.resource_handle, matrix)),
        ("ids", lambda: ops.tfgle_id_map_init(
            ops.tfgle_id_map_handle(shared_name="rank_test_ids"), matrix)),
        ("src", lambda: ops.tfgle_csr_init(
            ops.tfgle_csr_handle(shared_name="rank_test_csr"), matrix, [1],
            tf.zeros([0], tf.int64), tf.zeros([0]), tf.zeros([0], tf.int64),
            tf.constant(2, tf.int64), tf.constant(2, tf.int64))),
    ]
    for name, call in cases:
      with self.subTest(name), self.assertRaisesRegex(
          tf.errors.InvalidArgumentError, f"{name} must be a vector, got shape \\[1,1\\]"):
        call()

  def test_raw_csr_init_checks_weights_and_timestamps(self):
    from tfgle.ops._library import ops  # pylint: disable=g-import-not-at-top
    empty = tf.zeros([0], tf.int64)

    def init(case, weights, timestamps=empty, src=(0, 0), **attrs):
      dst = [1] * len(src)
      ops.tfgle_csr_init(ops.tfgle_csr_handle(shared_name=f"raw_csr_{case}"), list(src), dst,
                         empty, tf.constant(weights, tf.float32), timestamps,
                         tf.constant(2, tf.int64), tf.constant(2, tf.int64), **attrs)

    cases = [
        # A subnormal edge weight would never be drawn where TensorFlow flushes
        # denormals to zero: it is refused, naming it.
        (dict(weights=[1e-40, 1.0]),
         r"weights\[0\] = 1e-40 is subnormal; weights must be 0 or >= 1.17549435e-38"),
        (dict(weights=[1.0, -1e-40]), r"weights\[1\] = -1e-40 is not a finite number >= 0"),
        (dict(weights=[], weighted=True),
         r"weighted=true needs one weight per edge \(2\), got none"),
        (dict(weights=[], timed=True),
         r"timed=true needs one timestamp per edge \(2\), got none"),
    ]
    for case, (kwargs, message) in enumerate(cases):
      with self.subTest(message), self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                                         message):
        init(case, **kwargs)
    # Declared but empty columns are fine without edges; 0 and the smallest
    # normal float32 are valid weights.
    init("no_edges", [], src=(), weighted=True, timed=True)
    init("smallest", [0.0, np.finfo(np.float32).tiny])

  def test_shape_functions(self):
    from tfgle.ops._library import ops  # pylint: disable=g-import-not-at-top
    table, vector = tf.TensorSpec([], tf.resource), tf.TensorSpec([5], tf.int64)

    def shapes(fn, *specs):
      outputs = tf.function(fn).get_concrete_function(*specs).structured_outputs
      return [t.shape.as_list() for t in tf.nest.flatten(outputs)]

    self.assertEqual(shapes(ops.tfgle_id_map_lookup, table, tf.TensorSpec([2, 3], tf.int64)),
                     [[2, 3]])
    self.assertEqual(shapes(ops.tfgle_csr_degree, table, tf.TensorSpec([4, 1], tf.int64)),
                     [[4, 1]])
    self.assertEqual(shapes(ops.tfgle_id_map_size, table), [[]])
    self.assertEqual(shapes(ops.tfgle_csr_info, table), [[], [], []])
    self.assertEqual(shapes(ops.tfgle_csr_fingerprint, table), [[]])
    self.assertEqual(shapes(ops.tfgle_csr_edges_at, table, vector), [[5], [5], [5]])
    self.assertEqual(shapes(ops.tfgle_csr_neighbors, table, vector),
                     [[None], [None], [None], [None], [6]])
    matrix = tf.TensorSpec([2, 2], tf.int64)
    for name, fn, specs in [
        ("id_map_size", ops.tfgle_id_map_size, [tf.TensorSpec([2], tf.resource)]),
        ("id_map_init", ops.tfgle_id_map_init, [table, matrix]),
        ("csr_edges_at", ops.tfgle_csr_edges_at, [table, matrix]),
        ("csr_neighbors", ops.tfgle_csr_neighbors, [table, matrix]),
    ]:
      with self.subTest(name), self.assertRaisesRegex(ValueError, "must be rank"):
        tf.function(fn).get_concrete_function(*specs)

    def csr_init(src, num_src):
      empty = tf.zeros([0], tf.int64)
      return ops.tfgle_csr_init(ops.tfgle_csr_handle(), src, tf.zeros([3], tf.int64), empty,
                                tf.zeros([0]), empty, num_src, tf.constant(2, tf.int64))

    with self.assertRaisesRegex(ValueError, "must be equal, but are 4 and 3"):
      tf.function(csr_init).get_concrete_function(tf.TensorSpec([4], tf.int64),
                                                  tf.TensorSpec([], tf.int64))
    with self.assertRaisesRegex(ValueError, "must be rank 0"):
      tf.function(csr_init).get_concrete_function(tf.TensorSpec([3], tf.int64),
                                                  tf.TensorSpec([1], tf.int64))

  def test_init_twice_is_rejected(self):
    csr = CsrTable([0], [1], 2, 2)
    from tfgle.ops._library import ops  # pylint: disable=g-import-not-at-top
    empty = tf.zeros([0], tf.int64)
    with self.assertRaisesRegex(tf.errors.FailedPreconditionError, "already initialized"):
      ops.tfgle_csr_init(csr.resource_handle, [0], [1], empty, tf.zeros([0]), empty,
                         tf.constant(2, tf.int64), tf.constant(2, tf.int64))



class ToTensorTest(tf.test.TestCase):

  def test_large_arrays_owned_copy(self):
    from tfgle.ops.tables import to_tensor  # pylint: disable=g-import-not-at-top
    array = np.arange(400_000, dtype=np.int64)
    tensor = to_tensor(array, np.int64)
    array[0] = -5
    self.assertEqual(int(tensor[0]), 0)  # owns its data
    self.assertEqual(tensor.dtype, tf.int64)
    self.assertAllEqual(tensor[1:], np.arange(1, 400_000))

  def test_strided_and_converted(self):
    from tfgle.ops.tables import to_tensor  # pylint: disable=g-import-not-at-top
    pairs = np.arange(800_000, dtype=np.int32).reshape(-1, 2)
    tensor = to_tensor(pairs[:, 1], np.int64)
    self.assertEqual(tensor.dtype, tf.int64)
    self.assertAllEqual(tensor, np.arange(1, 800_000, 2))
    feats = np.random.default_rng(0).normal(size=(10_000, 64))
    self.assertAllClose(to_tensor(feats, np.float32), feats.astype(np.float32))

  def test_alias_only_when_allowed_and_aligned(self):
    from tfgle.ops.tables import aligned_empty, to_tensor  # pylint: disable=g-import-not-at-top
    array = aligned_empty((300_000,), np.int64)
    self.assertEqual(array.ctypes.data % 64, 0)
    array[:] = 7
    alias = to_tensor(array, np.int64, copy=False)
    array[0] = 9
    self.assertEqual(int(alias[0]), 9)

  def test_small_values_and_tensors(self):
    from tfgle.ops.tables import to_tensor  # pylint: disable=g-import-not-at-top
    self.assertAllEqual(to_tensor([1, 2], np.int64), [1, 2])
    self.assertEqual(to_tensor(tf.constant([1, 2], tf.int32), np.int64).dtype, tf.int64)
    self.assertEqual(to_tensor(np.zeros((0, 3), np.float64), np.float32).shape, (0, 3))

  def test_csr_from_strided_columns(self):
    edges = np.array([[2, 0], [0, 2], [0, 1], [1, 2], [0, 2]] * 60_000, np.int64)
    csr = CsrTable(edges[:, 0], edges[:, 1], 3, 3)
    self.assertEqual(csr.num_edges, 300_000)
    self.assertAllEqual(csr.degree([0, 1, 2]), [180_000, 60_000, 60_000])
    nbrs, eids, _, _ = csr.neighbors([1])
    self.assertAllEqual(nbrs.to_list()[0][:2], [2, 2])
    self.assertAllEqual(eids.to_list()[0][:2], [3, 8])

  @parameterized.expand([
      ("input", "input", False), ("weight", "weight", False),
      ("timestamp", "timestamp", False), ("weight_symmetric", "weight", True),
  ])
  def test_large_build_matches_reference(self, _, order, symmetric):
    # Big enough to be split over several chunks and threads.
    rng = np.random.default_rng(3)
    n, e = 500, 200_000
    src, dst = rng.integers(0, n, e), rng.integers(0, n, e)
    weights = rng.integers(0, 4, e).astype(np.float32)  # many ties
    times = rng.integers(0, 50, e)
    edge_ids = rng.permutation(e) + 1000
    csr = CsrTable(src, dst, n, n, edge_ids=edge_ids, weights=weights, timestamps=times,
                   symmetric=symmetric, order=order)
    # Reference: entries in input order (reverse entries after forward ones),
    # stably sorted by row, then by descending key within a row.
    rows, cols, ids = src, dst, np.arange(e)
    if symmetric:
      loop = src == dst
      rows = np.concatenate([src, dst[~loop]])
      cols = np.concatenate([dst, src[~loop]])
      ids = np.concatenate([ids, np.flatnonzero(~loop)])
    key = {"input": np.zeros(len(ids)), "weight": -weights[ids], "timestamp": -times[ids]}[order]
    perm = np.lexsort((np.arange(len(ids)), key, rows))
    nbrs, eids, ws, ts = csr.neighbors(np.arange(n))
    self.assertAllEqual(nbrs.flat_values, cols[perm])
    self.assertAllEqual(eids.flat_values, edge_ids[ids[perm]])
    self.assertAllEqual(ws.flat_values, weights[ids[perm]])
    self.assertAllEqual(ts.flat_values, times[ids[perm]])
    self.assertAllEqual(csr.degree(np.arange(n), "in"), np.bincount(cols, minlength=n))

  def test_read_only_arrays_are_copied(self):
    from tfgle.ops.tables import aligned_empty, to_tensor  # pylint: disable=g-import-not-at-top
    array = aligned_empty((300_000,), np.int64)
    array[:] = 3
    array.flags.writeable = False
    self.assertAllEqual(to_tensor(array, np.int64, copy=False)[:2], [3, 3])

if __name__ == "__main__":
  tf.test.main()
