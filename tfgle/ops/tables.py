"""In-graph tables: TensorFlow resources that hold a graph's id maps and topology.

Like `tf.lookup` tables they are trackable resources: a handle op creates them,
an init op fills them, and lookups read them from eager code, tf.functions
and tf.data pipelines alike. Their memory is released with the Python object.

Tables take updates in place (`CsrTable.append`, `CsrTable.remove_before`,
`IdMapTable.append`): each update publishes a new immutable version of the
table, and every op reads one whole version, so sampling may run in other
threads (or tf.data pipelines) while updates come in.
"""
import uuid

import numpy as np
import tensorflow as tf

from tfgle.ops._library import ops


# TensorFlow's CPU kernels need buffers aligned to EIGEN_MAX_ALIGN_BYTES (64).
_ALIGNMENT = 64
# Arrays smaller than this go through tf.convert_to_tensor (simpler, and their copies are cheap).
_DLPACK_MIN_BYTES = 1 << 20


def aligned_empty(shape, dtype) -> np.ndarray:
  """An uninitialized C-contiguous numpy array whose data is 64-byte aligned."""
  dtype = np.dtype(dtype)
  nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
  raw = np.empty(nbytes + _ALIGNMENT, np.uint8)
  offset = (-raw.ctypes.data) % _ALIGNMENT
  return raw[offset:offset + nbytes].view(dtype).reshape(shape)


def to_tensor(values, dtype, *, copy: bool = True) -> tf.Tensor:
  """A numeric array as a CPU tensor, with at most one copy of its data.

  `tf.constant` and `tf.convert_to_tensor` keep two copies of a numpy array's
  data per tensor (TensorFlow 2.17), which doubles the memory of large graph
  tables. Large numpy arrays are copied once into a 64-byte aligned buffer
  (converting the dtype on the way) and handed to TensorFlow through DLPack,
  which adopts the buffer without copying.

  Args:
    values: a numpy array (any strides), a tensor or anything
      tf.convert_to_tensor accepts.
    dtype: the numpy dtype of the result (np.int64, np.float32, ...).
    copy: False lets the tensor alias `values` when it is already a C-contiguous,
      aligned array of `dtype` (for inputs that an op consumes at once; a tensor
      kept for later should own its data).

  Returns:
    A tf.Tensor of `dtype`.
  """
  dtype = np.dtype(dtype)
  if isinstance(values, np.ndarray) and values.nbytes >= _DLPACK_MIN_BYTES:
    array = values
    # (numpy exports no read-only array, such as one backed by Arrow, through DLPack.)
    if (copy or array.dtype != dtype or not array.flags.c_contiguous
        or not array.flags.writeable or array.ctypes.data % _ALIGNMENT):
      array = aligned_empty(values.shape, dtype)
      np.copyto(array, values, casting="unsafe")
    return tf.experimental.dlpack.from_dlpack(array.__dlpack__())
  tensor = tf.convert_to_tensor(values)
  return tensor if tensor.dtype == dtype else tf.cast(tensor, dtype)


def _as_int64_vector(values, name):
  """int64 tensor of integer `values` (aliasing a suitable numpy array)."""
  if isinstance(values, np.ndarray) and values.dtype.kind in "iu":
    return to_tensor(values, np.int64, copy=False)
  if isinstance(values, (list, tuple)) and not values:
    return tf.zeros([0], tf.int64)  # an empty batch (convert_to_tensor would make it float32)
  tensor = tf.convert_to_tensor(values)
  if tensor.dtype != tf.int64:
    # (An empty list converts to float32: it holds no non-integer.)
    if not tensor.dtype.is_integer and tensor.shape.num_elements() != 0:
      raise TypeError(f"{name} must be integers, got dtype {tensor.dtype.name}")
    tensor = tf.cast(tensor, tf.int64)
  return tensor


def _as_int64_scalar(value, name):
  """int64 scalar tensor of an integer `value` (a Python or numpy int, or an integer tensor)."""
  if isinstance(value, (bool, np.bool_)) or not (
      isinstance(value, (int, np.integer)) or (tf.is_tensor(value) and value.dtype.is_integer)):
    raise TypeError(f"{name} must be an integer, got {value!r}")
  return tf.cast(value, tf.int64)


def _as_float32_vector(values):
  if isinstance(values, np.ndarray) and values.dtype.kind == "f":
    return to_tensor(values, np.float32, copy=False)
  return tf.convert_to_tensor(values, tf.float32)


class _Table(tf.saved_model.experimental.TrackableResource):
  """Shared plumbing: a uniquely named resource, destroyed with the object."""

  _HANDLE_OP = None  # set by subclasses

  def __init__(self, prefix):
    super().__init__()
    self._shared_name = f"tfgle_{prefix}_{uuid.uuid4().hex}"
    self._cached_sizes = None  # (generation, sizes)
    self._generation = 0
    self._updated_in_graph = False

  def _create_resource(self):
    return type(self)._HANDLE_OP(shared_name=self._shared_name)

  def _destroy_resource(self):
    tf.raw_ops.DestroyResourceOp(resource=self.resource_handle, ignore_lookup_error=True)

  def _sizes(self, read):
    """The table's sizes as Python ints: cached until an update, else `read()` (eagerly).

    The cache is stamped with the number of updates made through this object,
    so that sizes read while another thread updates are never kept.
    """
    generation = self._generation
    cached = self._cached_sizes
    if cached is not None and cached[0] == generation and not self._updated_in_graph:
      return cached[1]
    with tf.init_scope():
      sizes = tuple(int(x) for x in read())
    self._cached_sizes = (generation, sizes)
    return sizes

  def _updated(self):
    """Called after an update op: the sizes must be read again."""
    if not tf.executing_eagerly():
      # The update runs whenever the function does: never trust the cache again.
      self._updated_in_graph = True
    self._generation += 1


class IdMapTable(_Table):
  """External int64 ids of one node type -> dense indices [0, n).

  Example:
    table = IdMapTable([10, 20, 30])
    table.lookup([30, 10])  # -> [2, 0]
    table.append([7])       # 7 -> 3
    table.size              # 4

  Raises:
    tf.errors.InvalidArgumentError: on duplicate ids (naming both rows).
  """

  _HANDLE_OP = ops.tfgle_id_map_handle

  def __init__(self, ids):
    super().__init__("id_map")
    ids = _as_int64_vector(ids, "ids")
    ops.tfgle_id_map_init(self.resource_handle, ids)
    self._cached_sizes = (0, (int(ids.shape[0]),))

  @property
  def size(self) -> int:
    """The number of ids, including appended ones."""
    return self._sizes(lambda: [ops.tfgle_id_map_size(self.resource_handle)])[0]

  def append(self, ids) -> None:
    """Grows the map: ids[i] -> size + i (in place; lookups running meanwhile see either map).

    Args:
      ids: int [n] new ids.

    Raises:
      TypeError: if ids are not integers.
      tf.errors.InvalidArgumentError: if an id is already in the map or occurs
        twice in `ids` (naming it); the map is then unchanged.
    """
    ops.tfgle_id_map_append(self.resource_handle, _as_int64_vector(ids, "ids"))
    self._updated()

  def lookup(self, ids, allow_missing: bool = False) -> tf.Tensor:
    """Dense indices of `ids` (any shape); unknown ids are an error, or -1 if allowed."""
    return ops.tfgle_id_map_lookup(self.resource_handle, _as_int64_vector(ids, "ids"),
                                   allow_missing=allow_missing)


class CsrTable(_Table):
  """The CSR topology of one edge type over dense node indices.

  Args:
    src, dst: dense indices of each edge's endpoints.
    num_src, num_dst: number of nodes of the source and destination types.
    edge_ids: int64 id of each edge (default: its row).
    weights: float32 weight of each edge (0 or >= 1.17549435e-38, the smallest normal
      float32: subnormal weights are refused), or None.
    timestamps: int64 time of each edge, or None.
    symmetric: also add the reverse of every non-self-loop edge (same type at
      both ends; the reverse keeps the edge id).
    order: neighbor order per row: "input", "weight" (descending) or
      "timestamp" (descending, latest first).
    name: what error messages call the table (e.g. its edge type).
  """

  _HANDLE_OP = ops.tfgle_csr_handle

  def __init__(self, src, dst, num_src, num_dst, *, edge_ids=None, weights=None,
               timestamps=None, symmetric=False, order="input", name: str = "csr"):
    super().__init__("csr")
    self.name = name
    empty_i = tf.zeros([0], tf.int64)
    ops.tfgle_csr_init(
        self.resource_handle,
        src=_as_int64_vector(src, "src"),
        dst=_as_int64_vector(dst, "dst"),
        edge_ids=empty_i if edge_ids is None else _as_int64_vector(edge_ids, "edge_ids"),
        weights=(tf.zeros([0], tf.float32) if weights is None
                 else _as_float32_vector(weights)),
        timestamps=(empty_i if timestamps is None
                    else _as_int64_vector(timestamps, "timestamps")),
        num_src=tf.constant(num_src, tf.int64),
        num_dst=tf.constant(num_dst, tf.int64),
        symmetric=symmetric, order=order, weighted=weights is not None,
        timed=timestamps is not None)
    self._sizes(self._read_info)
    self.weighted = weights is not None
    self.timed = timestamps is not None
    # Whether `append` adds the reverse of each new edge (a table built with
    # both directions in its rows, such as a loaded snapshot's, is not).
    self.symmetric = bool(symmetric)

  def _read_info(self):
    return ops.tfgle_csr_info(self.resource_handle)

  @property
  def num_src(self) -> int:
    """Source nodes of the current version."""
    return self._sizes(self._read_info)[0]

  @property
  def num_dst(self) -> int:
    """Destination nodes of the current version."""
    return self._sizes(self._read_info)[1]

  @property
  def num_edges(self) -> int:
    """CSR entries of the current version (symmetric tables count both directions)."""
    return self._sizes(self._read_info)[2]

  @property
  def version(self) -> int:
    """The number of the current version: 0 when built, + 1 per update that changed it."""
    with tf.init_scope():
      return int(ops.tfgle_csr_version(self.resource_handle))

  def append(self, src, dst, *, edge_ids, weights=None, timestamps=None, num_src=None,
             num_dst=None) -> None:
    """Adds edges in place, publishing a new version of the table.

    Rows keep their entries and order; the new entries join them in the
    table's order: after the old ones (order "input"), or merged in by weight
    or timestamp, descending, after old entries of equal key. A symmetric
    table also adds the reverse of each new non-loop edge. Sampling running
    meanwhile (other threads, tf.data) sees either the old or the new version
    whole, never a mix. The same rows as a table built from scratch over all
    the edges (so the same `fingerprint()`), except for the tie order of a
    symmetric table's reverse entries.

    Cost: the k new edges are sorted into rows (O(k log k + num_src)), then
    the table is copied once in parallel with a row merge (O(num_edges) memory
    traffic, no re-sort); peak memory is two versions of the table.

    Example:
      csr.append([0, 5], [3, 3], edge_ids=[100, 101], num_src=6)

    Args:
      src, dst: int [k] dense indices of the new edges' endpoints, in the new
        ranges [0, num_src) and [0, num_dst).
      edge_ids: int [k] the id of each new edge.
      weights: float [k] weights (0 or >= 1.17549435e-38), exactly when the
        table has weights.
      timestamps: int [k] times, exactly when the table has timestamps.
      num_src, num_dst: the new node counts, at least the current ones (new
        nodes start without edges); None keeps the current count.

    Raises:
      TypeError: if indices, edge ids, timestamps or node counts are not integers.
      tf.errors.InvalidArgumentError: on mismatched lengths, indices out of
        the new ranges, shrinking node counts, a bad weight, or weights /
        timestamps given to a table without them or missing from a table
        with them (naming the input); the table is then unchanged.
    """
    empty_i = tf.zeros([0], tf.int64)
    ops.tfgle_csr_append(
        self.resource_handle,
        src=_as_int64_vector(src, "src"),
        dst=_as_int64_vector(dst, "dst"),
        edge_ids=_as_int64_vector(edge_ids, "edge_ids"),
        weights=(tf.zeros([0], tf.float32) if weights is None
                 else _as_float32_vector(weights)),
        timestamps=(empty_i if timestamps is None
                    else _as_int64_vector(timestamps, "timestamps")),
        num_src=_as_int64_scalar(-1 if num_src is None else num_src, "num_src"),
        num_dst=_as_int64_scalar(-1 if num_dst is None else num_dst, "num_dst"))
    self._updated()

  def remove_before(self, timestamp) -> None:
    """Drops the edges with timestamp < `timestamp` (a sliding window), in place.

    Rows keep their order; a new version is published when an edge is dropped.
    O(num_edges).

    Raises:
      TypeError: if timestamp is not an integer.
      tf.errors.InvalidArgumentError: if the table has no timestamps.
    """
    ops.tfgle_csr_remove_before(self.resource_handle, _as_int64_scalar(timestamp, "timestamp"))
    self._updated()

  def degree(self, indices, direction: str = "out") -> tf.Tensor:
    """Out-degrees of source indices, or in-degrees of destination indices."""
    if direction not in ("out", "in"):
      raise ValueError(f"direction must be 'out' or 'in', got {direction!r}")
    return ops.tfgle_csr_degree(self.resource_handle, _as_int64_vector(indices, "indices"),
                                direction=direction)

  def neighbors(self, indices):
    """All neighbors of each source index.

    Returns:
      (neighbors, edge_ids, weights, timestamps) as tf.RaggedTensors [B, None];
      weights/timestamps are None when the edge type has none.
    """
    nbrs, eids, weights, times, splits = ops.tfgle_csr_neighbors(
        self.resource_handle, _as_int64_vector(indices, "indices"))
    ragged = lambda v: tf.RaggedTensor.from_row_splits(v, splits, validate=False)
    return (ragged(nbrs), ragged(eids), ragged(weights) if self.weighted else None,
            ragged(times) if self.timed else None)

  def edges_at(self, positions):
    """(src indices, dst indices, edge ids) of the edges at CSR positions [0, num_edges)."""
    return ops.tfgle_csr_edges_at(self.resource_handle,
                                  _as_int64_vector(positions, "positions"))

  def fingerprint(self) -> int:
    """A 64-bit hash of the current version's content (changes when the graph does).

    A function of the content only (sizes, rows in order, edge ids, weights,
    timestamps): a table grown by `append` and one built from scratch with
    the same rows agree.
    """
    return int(ops.tfgle_csr_fingerprint(self.resource_handle))
