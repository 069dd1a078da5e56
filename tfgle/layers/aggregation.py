"""Masked and segment reductions that the convolution layers aggregate with.

Ego (dense per-hop) layers reduce over a neighbor axis with a boolean mask
marking real neighbors; SubGraph layers reduce edge messages into their
destination nodes with segment ops. Padding never contributes: masked entries
are replaced (not multiplied) by zeros, so even NaN or Inf padding cannot leak
into outputs or gradients, and a node without real neighbors aggregates to
zeros.
"""
from __future__ import annotations

from typing import Optional, Tuple

import tensorflow as tf


def _expand_mask(mask: tf.Tensor, values: tf.Tensor) -> tf.Tensor:
  """A [..., k] mask broadcast to [..., k, 1, ...] to match `values`."""
  mask = tf.cast(mask, tf.bool)
  for _ in range(values.shape.rank - mask.shape.rank):
    mask = mask[..., tf.newaxis]
  return mask


def _neighbor_axis(mask: tf.Tensor) -> int:
  """The axis of `values` [..., k, ...] that a mask [..., k] marks: its own last one."""
  return tf.convert_to_tensor(mask).shape.rank - 1


def where_rows(mask: tf.Tensor, values: tf.Tensor, fill: tf.Tensor) -> tf.Tensor:
  """tf.where(mask [...], values [..., D...], fill [..., D...]), mask over leading axes.

  The mask (broadcast to the leading shape of `values`) picks whole rows of the
  flattened values with the row-wise Select kernel: tf.where's broadcast of a
  [..., 1] condition copies one element at a time (it took 40% of a GraphSAGE
  training step on CPU).
  """
  values = tf.convert_to_tensor(values)
  mask = tf.cast(mask, tf.bool)
  rank = mask.shape.rank
  if values.shape.rank == rank:
    return tf.where(mask, values, fill)
  shape = tf.shape(values)
  rows = tf.stack([-1, tf.reduce_prod(shape[rank:])])
  out = tf.raw_ops.Select(condition=tf.reshape(tf.broadcast_to(mask, shape[:rank]), [-1]),
                          x=tf.reshape(values, rows), y=tf.reshape(fill, rows))
  return tf.reshape(out, shape)


def zero_masked(values: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
  """`values` [..., k, ...] with entries where mask [..., k] is False set to 0."""
  values = tf.convert_to_tensor(values)
  return where_rows(mask, values, tf.zeros_like(values))


def masked_count(mask: tf.Tensor, dtype=tf.float32) -> tf.Tensor:
  """Number of True entries over the last axis of mask [..., k] -> [..., 1]."""
  return tf.reduce_sum(tf.cast(mask, dtype), axis=-1, keepdims=True)


def masked_sum(values: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
  """Sum of values [..., k, D...] over k where mask [..., k] -> [..., D...]."""
  return tf.reduce_sum(zero_masked(values, mask), axis=_neighbor_axis(mask))


def masked_mean(values: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
  """Mean of values [..., k, D...] over k where mask [..., k]; zeros where none."""
  values = tf.convert_to_tensor(values)
  return mean_of_sum(masked_sum(values, mask), mask)


def mean_of_sum(total: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
  """total [..., D...] (a sum over the k entries of mask [..., k]) divided by the number of
  True entries; zeros where none."""
  count = masked_count(mask, total.dtype)  # [..., 1]: one more axis per extra value axis
  for _ in range(total.shape.rank - count.shape.rank):
    count = count[..., tf.newaxis]
  return total / tf.maximum(count, 1.0)


def masked_max(values: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
  """Max of values [..., k, D...] over k where mask [..., k]; zeros where none."""
  values = tf.convert_to_tensor(values)
  axis = _neighbor_axis(mask)
  lowest = tf.fill(tf.shape(values), tf.constant(values.dtype.min, values.dtype))
  result = tf.reduce_max(where_rows(mask, values, lowest), axis=axis)
  any_valid = tf.reduce_any(_expand_mask(mask, values), axis=axis)
  return tf.where(any_valid, result, tf.zeros_like(result))


def masked_softmax(logits: tf.Tensor, mask: tf.Tensor, axis: int = -1) -> tf.Tensor:
  """Softmax of `logits` over `axis` where `mask` (broadcastable) is True.

  Masked entries get probability 0; where every entry is masked the result is
  all zeros (not NaN).
  """
  logits = tf.convert_to_tensor(logits)
  mask = tf.broadcast_to(tf.cast(mask, tf.bool), tf.shape(logits))
  lowest = tf.fill(tf.shape(logits), tf.constant(logits.dtype.min, logits.dtype))
  masked = tf.where(mask, logits, lowest)
  shift = tf.stop_gradient(tf.reduce_max(masked, axis=axis, keepdims=True))
  exp = tf.where(mask, tf.exp(tf.where(mask, masked - shift, tf.zeros_like(masked))),
                 tf.zeros_like(masked))
  return tf.math.divide_no_nan(exp, tf.reduce_sum(exp, axis=axis, keepdims=True))


def segment_softmax(logits: tf.Tensor, segment_ids: tf.Tensor, num_segments) -> tf.Tensor:
  """Softmax of logits [E, ...] within each segment (e.g. the in-edges of a node)."""
  logits = tf.convert_to_tensor(logits)
  shift = tf.stop_gradient(tf.math.unsorted_segment_max(logits, segment_ids, num_segments))
  exp = tf.exp(logits - tf.gather(shift, segment_ids))
  total = tf.math.unsorted_segment_sum(exp, segment_ids, num_segments)
  return exp / tf.gather(total, segment_ids)


def segment_mean(data: tf.Tensor, segment_ids: tf.Tensor, num_segments) -> tf.Tensor:
  """Mean of data [E, D] per segment; zeros for empty segments."""
  data = tf.convert_to_tensor(data)
  total = tf.math.unsorted_segment_sum(data, segment_ids, num_segments)
  count = tf.math.unsorted_segment_sum(tf.ones_like(segment_ids, data.dtype), segment_ids,
                                       num_segments)
  return total / tf.maximum(count, 1.0)[:, tf.newaxis]


def segment_max(data: tf.Tensor, segment_ids: tf.Tensor, num_segments) -> tf.Tensor:
  """Max of data [E, D] per segment; zeros for empty segments."""
  data = tf.convert_to_tensor(data)
  result = tf.math.unsorted_segment_max(data, segment_ids, num_segments)
  count = tf.math.unsorted_segment_sum(tf.ones_like(segment_ids, tf.int32), segment_ids,
                                       num_segments)
  return tf.where((count > 0)[:, tf.newaxis], result, tf.zeros_like(result))


def prepare_edges(edge_index: tf.Tensor, num_nodes, edge_weight: Optional[tf.Tensor] = None,
                  edge_mask: Optional[tf.Tensor] = None, *, layer: str, dtype=tf.float32
                  ) -> Tuple[tf.Tensor, tf.Tensor, Optional[tf.Tensor]]:
  """(src, dst, weight) of the unmasked edges of edge_index [2, E], checked.

  Masked edges are dropped before their ids are looked at (padding may hold any
  value). Remaining ids must lie in [0, num_nodes): an InvalidArgumentError
  names the layer otherwise. num_nodes is a scalar, or [2] (the sizes of the
  source and the destination node sets) when the edges join two node sets.
  Weights are cast to `dtype`.
  """
  edge_index = tf.convert_to_tensor(edge_index)
  if not edge_index.dtype.is_integer:
    raise ValueError(f"{layer}: edge_index must be an int32/int64 tensor, got {edge_index.dtype}")
  edge_index = tf.cast(edge_index, tf.int64)
  if edge_weight is not None:
    edge_weight = tf.cast(edge_weight, dtype)
  if edge_mask is not None:
    edge_mask = tf.convert_to_tensor(edge_mask, tf.bool)
    edge_index = tf.boolean_mask(edge_index, edge_mask, axis=1)
    if edge_weight is not None:
      edge_weight = tf.boolean_mask(edge_weight, edge_mask)
  src, dst = edge_index[0], edge_index[1]
  num_nodes = tf.cast(num_nodes, tf.int64)
  message = f"{layer}: edge_index has ids >= the number of nodes"
  if num_nodes.shape.rank == 1:  # [num_src, num_dst]: row 0 and row 1 have their own bound
    num_nodes = num_nodes[:, tf.newaxis]
    message += " (row 0 indexes the source node set, row 1 the destination node set)"
  checks = [
      tf.debugging.assert_non_negative(edge_index, message=f"{layer}: edge_index has ids < 0"),
      tf.debugging.assert_less(edge_index, num_nodes, message=message),
  ]
  with tf.control_dependencies(checks):
    src, dst = tf.identity(src), tf.identity(dst)
  return src, dst, edge_weight


def add_remaining_self_loops(src: tf.Tensor, dst: tf.Tensor, num_nodes,
                             edge_weight: Optional[tf.Tensor] = None, fill_value: float = 1.0
                             ) -> Tuple[tf.Tensor, tf.Tensor, Optional[tf.Tensor]]:
  """Adds the edge (i, i) for every node i that does not have one yet.

  Existing self loops (and their weights) are kept, as in PyG.
  """
  num_nodes = tf.cast(num_nodes, tf.int64)
  is_loop = tf.cast(tf.equal(src, dst), tf.int32)
  has_loop = tf.math.unsorted_segment_max(is_loop, dst, num_nodes) > 0
  loops = tf.where(tf.logical_not(has_loop))[:, 0]
  src = tf.concat([src, loops], 0)
  dst = tf.concat([dst, loops], 0)
  if edge_weight is not None:
    edge_weight = tf.concat(
        [edge_weight, tf.fill(tf.shape(loops), tf.cast(fill_value, edge_weight.dtype))], 0)
  return src, dst, edge_weight
