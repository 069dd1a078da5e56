"""In-graph tables: TensorFlow resources that hold a graph's id maps and topology.

Like `tf.lookup` tables they are trackable resources: a handle op creates them,
an init op fills them once, and lookups read them from eager code, tf.functions
and tf.data pipelines alike. Their memory is released with the Python object.
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
  tensor = tf.convert_to_tensor(values)
  if tensor.dtype != tf.int64:
    if not tensor.dtype.is_integer:
      raise TypeError(f"{name} must be integers, got dtype {tensor.dtype.name}")
    tensor = tf.cast(tensor, tf.int64)
  return tensor


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

  def _create_resource(self):
    return type(self)._HANDLE_OP(shared_name=self._shared_name)

  def _destroy_resource(self):
    tf.raw_ops.DestroyResourceOp(resource=self.resource_handle, ignore_lookup_error=True)


class IdMapTable(_Table):
  """External int64 ids of one node type -> dense indices [0, n).

  Example:
    table = IdMapTable([10, 20, 30])
    table.lookup([30, 10])  # -> [2, 0]

  Raises:
    tf.errors.InvalidArgumentError: on duplicate ids (naming both rows).
  """

  _HANDLE_OP = ops.tfgle_id_map_handle

  def __init__(self, ids):
    super().__init__("id_map")
    ids = _as_int64_vector(ids, "ids")
    ops.tfgle_id_map_init(self.resource_handle, ids)
    self._size = int(ids.shape[0])

  @property
  def size(self) -> int:
    return self._size

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
    num_src, num_dst, num_edges = ops.tfgle_csr_info(self.resource_handle)
    self._num_src, self._num_dst = int(num_src), int(num_dst)
    self._num_edges = int(num_edges)
    self.weighted = weights is not None
    self.timed = timestamps is not None

  @property
  def num_src(self) -> int:
    return self._num_src

  @property
  def num_dst(self) -> int:
    return self._num_dst

  @property
  def num_edges(self) -> int:
    return self._num_edges

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
    """A 64-bit hash of the whole topology (changes when the graph does)."""
    return int(ops.tfgle_csr_fingerprint(self.resource_handle))
