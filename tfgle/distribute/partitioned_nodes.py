"""The node data of a PartitionedGraph: feature rows, labels, external ids and id maps.

Partition p of P holds, on its device, the rows it owns (dense index i with
i mod P = p, local row i div P, as for the topology) of every per-node tensor
of the base graph: each feature (dense numbers or strings, or ragged
multi-values: their flat values and the owned rows' splits), the labels and
the external id of each dense index. The external id -> dense index map is
partitioned by id: partition id mod P holds an id map (tfgle.ops.IdMapTable)
of its ids and, beside it, the global dense index of each.

Everything is resource-backed state on the partition's device (non-trainable
variables and id-map tables): a tf.data pipeline that reads it captures
resource handles, so the workers' dataset graphs carry no copy of the data.
Variables are filled chunk by chunk, so that a server holds little more than
its share while they are loaded.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Optional

import numpy as np
import tensorflow as tf
# (UninitializedVariable: a variable no distribution strategy's creator moves or shards, made
# without an initial value; tf.Variable offers neither.)
# pylint: disable-next=g-direct-tensorflow-import
from tensorflow.python.ops import resource_variable_ops

from tfgle.ops.tables import IdMapTable

# The most bytes a variable receives in one assignment while it is filled.
CHUNK_BYTES = 4 << 20
# What a string element is counted as besides its characters (the tstring header).
_STRING_OVERHEAD = 32


def nbytes(tensor: tf.Tensor) -> int:
  """The bytes of a (chief-side) tensor's elements; strings: characters + header each."""
  if tensor.dtype == tf.string:
    return int(tf.reduce_sum(tf.strings.length(tensor), keepdims=False)) + (
        _STRING_OVERHEAD * int(tensor.shape.num_elements()))
  return int(tensor.shape.num_elements()) * tensor.dtype.size


def put(device: str, tensor: tf.Tensor, name: str) -> tf.Variable:
  """A non-trainable variable on `device` that holds `tensor` (a tensor where this runs).

  The variable starts as zeros made on `device` and receives `tensor` in
  row chunks of about CHUNK_BYTES, each updating it in place.
  """
  with tf.init_scope():
    with tf.device(device):
      # (Not tf.Variable: no distribution strategy's variable creator may move
      # or shard it.)
      variable = resource_variable_ops.UninitializedVariable(
          shape=tensor.shape, dtype=tensor.dtype, trainable=False,
          name=re.sub(r"[^A-Za-z0-9_.-]", "_", name))
    _fill_zeros(variable, device)
    rows = int(tensor.shape[0])
    row_bytes = max(1, nbytes(tensor) // max(rows, 1))
    step = max(1, CHUNK_BYTES // row_bytes)
    for start in range(0, rows, step):
      end = min(rows, start + step)
      chunk = tensor[start:end]   # sliced where the tensor is
      with tf.device(device):
        tf.raw_ops.ResourceStridedSliceAssign(ref=variable.handle, begin=[start], end=[end],
                                              strides=[1], value=chunk)
  return variable


def _fill_zeros(variable, device: str):
  """Sets `variable` to zeros made on `device` by a function, whose zeros the variable then
  owns alone (eager zeros would stay shared with their handle, and the first chunk's update
  would copy the whole variable). The shape is an input, so that no constant is folded."""
  @tf.function(autograph=False)
  def fill(shape):
    with tf.device(device):
      variable.assign(tf.zeros(shape, variable.dtype))
  fill(tf.constant(variable.shape.as_list(), tf.int64))


@dataclasses.dataclass
class Column:
  """The owned rows of one per-node tensor on one partition's device.

  values: the rows [n_local, ...] of a dense tensor, or the flat values of
    the owned rows of a ragged one (ragged_rank 1);
  row_splits: int64 [n_local + 1] of a ragged tensor (None: dense).
  """
  values: tf.Variable
  row_splits: Optional[tf.Variable] = None

  @property
  def ragged(self) -> bool:
    return self.row_splits is not None

  def gather(self, local):
    """The rows at `local` (int64 [m] local row indices): dense [m, ...] or ragged [m, None]."""
    if not self.ragged:
      return tf.gather(self.values, local)
    # Whole reads alias the variables' buffers (they are never read sparsely).
    rows = tf.RaggedTensor.from_row_splits(self.values.read_value(),
                                           self.row_splits.read_value(), validate=False)
    return tf.gather(rows, local)

  def nbytes(self) -> int:
    total = 0
    for variable in (self.values, self.row_splits):
      if variable is not None:
        total += int(variable.shape.num_elements()) * (
            _STRING_OVERHEAD if variable.dtype == tf.string else variable.dtype.size)
    return total


def owned_rows(tensor, p: int, num: int, device: str, name: str) -> Column:
  """The Column of `tensor`'s rows p, p + num, p + 2 num, ... on `device`.

  Raises:
    ValueError: a ragged tensor of ragged_rank > 1 (`name` says which).
  """
  if isinstance(tensor, tf.RaggedTensor):
    if tensor.ragged_rank != 1:
      raise ValueError(f"{name}: ragged node tensors of ragged_rank 1 can be partitioned, got "
                       f"ragged_rank {tensor.ragged_rank}")
    owned = tf.gather(tensor, tf.range(p, tensor.nrows(out_type=tf.int64), num, tf.int64))
    return Column(put(device, owned.flat_values, f"{name}_values"),
                  put(device, owned.row_splits, f"{name}_row_splits"))
  owned = tf.strided_slice(tensor, [p], [max(int(tensor.shape[0]), p)], [num])
  return Column(put(device, owned, name))


@dataclasses.dataclass
class IdMapPart:
  """Partition q's part of a node type's id map: its ids (id mod P = q) -> global dense index."""
  table: IdMapTable
  dense: tf.Variable   # int64: the dense index of the table's i-th id

  def lookup(self, ids):
    """Dense indices of `ids` (int64 [m]); -1 for ids not in this part."""
    local = self.table.lookup(ids, allow_missing=True)
    found = local >= 0
    dense = tf.gather(self.dense, tf.where(found, local, tf.zeros_like(local)))
    return tf.where(found, dense, tf.constant(-1, tf.int64))


def id_map_parts(ids: np.ndarray, devices, name: str) -> list[IdMapPart]:
  """The id map of one node type (`ids`: the external id of each dense index) split by id mod P."""
  owner = np.mod(ids, len(devices))
  parts = []
  for q, device in enumerate(devices):
    dense = np.flatnonzero(owner == q).astype(np.int64)
    with tf.init_scope(), tf.device(device):
      table = IdMapTable(ids[dense])
    parts.append(IdMapPart(table, put(device, tf.constant(dense), f"{name}_dense")))
  return parts


def stitch_ragged(positions, parts) -> tf.RaggedTensor:
  """The ragged [B, None] rows of `parts` (ragged [m_p, None] each) put at `positions` (as
  tf.dynamic_stitch puts dense rows)."""
  lengths = tf.dynamic_stitch(positions, [r.row_lengths() for r in parts])
  splits = tf.concat([tf.zeros([1], tf.int64), tf.cumsum(lengths)], 0)
  # Where each part's rows go in the stitched flat values.
  targets = [tf.cast(tf.ragged.range(tf.gather(splits, rows),
                                     tf.gather(splits, rows) + r.row_lengths()).flat_values,
                     tf.int32)
             for rows, r in zip(positions, parts)]
  flat = tf.dynamic_stitch(targets, [r.flat_values for r in parts])
  return tf.RaggedTensor.from_row_splits(flat, splits, validate=False)
