"""Readouts: the node states of a batch of graphs pooled into one vector per graph.

A batch of whole graphs (`tfgle.data.graph_batch_dataset`) is their disjoint
union: node states x [N, D] and `graph_index` [N], the graph (in [0,
num_graphs)) of each node. A readout reduces the nodes of each graph:
`GlobalSumPool`, `GlobalMeanPool`, `GlobalMaxPool` and `GlobalAttentionPool`
(gated attention, Li et al. 2016 as PyG's `AttentionalAggregation`).

Padding: a node whose graph_index is -1 is padding (as in a batch padded to
fixed sizes; from a bool node mask: `tf.where(mask, graph_index, -1)`). Padding
never contributes: its states are replaced (not multiplied) by zeros and it is
pooled into a separate segment that is dropped, so even NaN or Inf padding
cannot reach the outputs or the gradients. A graph without (real) nodes pools
to zeros.
"""
from __future__ import annotations

from typing import Optional

import tensorflow as tf

from tfgle.layers import _common
from tfgle.layers import aggregation


def _unpack(cls: str, inputs):
  if not isinstance(inputs, (tuple, list)) or len(inputs) != 2:
    if isinstance(inputs, (tuple, list)):
      got = f"a {len(inputs)}-tuple"
    elif isinstance(inputs, tf.TensorShape) or hasattr(inputs, "shape"):
      got = "a single tensor"  # (build sees its TensorShape)
    else:
      got = type(inputs).__name__
    raise ValueError(f"{cls}: inputs must be (x, graph_index), got {got}")
  return inputs[0], inputs[1]


def _check_shapes(cls: str, input_shape) -> int:
  """The feature dim of (x [N, D], graph_index [N]) shapes, all checked."""
  x_shape, g_shape = (tf.TensorShape(s) for s in _unpack(cls, input_shape))
  if x_shape.rank != 2:
    raise ValueError(f"{cls}: x (inputs[0]) must be node states [N, D], got shape {x_shape}")
  if g_shape.rank != 1 or not g_shape.is_compatible_with(x_shape[:1]):
    raise ValueError(f"{cls}: graph_index (inputs[1]) must have shape [N] (one graph per row "
                     f"of x {x_shape}), got {g_shape}")
  return _common.feature_dim(cls, "x (inputs[0])", x_shape)


def _segments(layer, x, graph_index, num_graphs):
  """(x with padding zeroed, segment ids, num_graphs): padding goes to segment num_graphs."""
  cls = type(layer).__name__
  graph_index = tf.convert_to_tensor(graph_index)
  if not graph_index.dtype.is_integer:
    raise ValueError(f"{cls}: graph_index (inputs[1]) must be an int32/int64 tensor, got "
                     f"{graph_index.dtype}")
  graph_index = tf.cast(graph_index, tf.int64)
  if num_graphs is None:
    num_graphs = tf.reduce_max(tf.concat([graph_index, [-1]], 0)) + 1
  elif isinstance(num_graphs, bool) or (isinstance(num_graphs, int) and num_graphs < 0):
    raise ValueError(f"{cls}: num_graphs must be an int >= 0, got {num_graphs!r}")
  num_graphs = tf.reshape(tf.cast(num_graphs, tf.int64), [])
  checks = [
      tf.debugging.assert_greater_equal(
          graph_index, tf.constant(-1, tf.int64),
          message=f"{layer.name}: graph_index has entries < -1 (-1 marks padding)"),
      tf.debugging.assert_less(
          graph_index, num_graphs,
          message=f"{layer.name}: graph_index has entries >= num_graphs"),
  ]
  with tf.control_dependencies(checks):
    valid = graph_index >= 0
  x = tf.where(valid[:, tf.newaxis], x, tf.zeros_like(x))
  return x, tf.where(valid, graph_index, num_graphs), num_graphs


class _GlobalPool(tf.keras.layers.Layer):
  """The call of the readouts; subclasses implement `pool(x, segment_ids, num_segments)`."""

  def build(self, input_shape):
    self._feature_dim = _check_shapes(type(self).__name__, input_shape)
    super().build(input_shape)

  def call(self, inputs, num_graphs=None):
    x, graph_index = _unpack(type(self).__name__, inputs)
    x, ids, num_graphs = _segments(self, x, graph_index, num_graphs)
    return self.pool(x, ids, num_graphs + 1)[:num_graphs]

  def pool(self, x, segment_ids, num_segments):
    raise NotImplementedError


_DOC = """

  Example:
    h = conv((x, batch["edge_index"]))                            # [N, D]
    g = tfgle.layers.{name}()((h, batch["graph_index"]), num_graphs=batch["num_graphs"])

  Call args:
    inputs: (x, graph_index): node states [N, D] and the int graph [N] of each
      node, in [0, num_graphs), or -1 for padding.
    num_graphs: the number of graphs B (an int or a scalar tensor); default
      max(graph_index) + 1.

  Call returns:
    [B, D]; zeros for a graph without real nodes.

  Raises:
    ValueError: x not [N, D] with known D, graph_index not an int [N].
    InvalidArgumentError: graph_index entries < -1 or >= num_graphs.
"""


@tf.keras.utils.register_keras_serializable(package="tfgle")
class GlobalSumPool(_GlobalPool):
  """Sum readout: out_g = sum of the states of graph g's nodes (GIN's readout)."""
  __doc__ += _DOC.format(name="GlobalSumPool")

  def pool(self, x, segment_ids, num_segments):
    return tf.math.unsorted_segment_sum(x, segment_ids, num_segments)


@tf.keras.utils.register_keras_serializable(package="tfgle")
class GlobalMeanPool(_GlobalPool):
  """Mean readout: out_g = the mean of the states of graph g's nodes."""
  __doc__ += _DOC.format(name="GlobalMeanPool")

  def pool(self, x, segment_ids, num_segments):
    return aggregation.segment_mean(x, segment_ids, num_segments)


@tf.keras.utils.register_keras_serializable(package="tfgle")
class GlobalMaxPool(_GlobalPool):
  """Max readout: out_g = the element-wise max of the states of graph g's nodes."""
  __doc__ += _DOC.format(name="GlobalMaxPool")

  def pool(self, x, segment_ids, num_segments):
    return aggregation.segment_max(x, segment_ids, num_segments)


@tf.keras.utils.register_keras_serializable(package="tfgle")
class GlobalAttentionPool(_common.DenseArgs, _GlobalPool):
  """Gated attention readout: out_g = sum_i softmax_g(gate(x_i)) * value(x_i).

  As PyG's `AttentionalAggregation` (Li et al. 2016): a scalar gate per node,
  normalized by a softmax over the nodes of its graph, weights the nodes'
  values. gate(x) = x w + b, or with `gate_units` a hidden layer first:
  relu(x W_h + b_h) w + b. value(x) = x, or with `units`
  activation(x W_v + b_v).

  Example:
    pool = tfgle.layers.GlobalAttentionPool(units=64, gate_units=32)
    g = pool((h, batch["graph_index"]), num_graphs=batch["num_graphs"])   # [B, 64]

  Args:
    units: width of the value transform (None: the values are x itself).
    gate_units: width of the gate's hidden layer (None: a linear gate).
    activation, use_bias, kernel_initializer, bias_initializer,
    kernel_regularizer, bias_regularizer: as in `tf.keras.layers.Dense`
      (activation applies to the value transform; use_bias to every layer).

  Call args: as `GlobalSumPool`'s.

  Call returns:
    [B, units or D]; zeros for a graph without real nodes.

  Raises:
    ValueError: units or gate_units not positive, x not [N, D] with known D,
      graph_index not an int [N].
    InvalidArgumentError: graph_index entries < -1 or >= num_graphs.
  """

  def __init__(self, units: Optional[int] = None, *, gate_units: Optional[int] = None,
               activation=None, use_bias: bool = True, kernel_initializer="glorot_uniform",
               bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
               **kwargs):
    super().__init__(**kwargs)
    cls = type(self).__name__
    self.units = None if units is None else _common.check_positive_int(cls, "units", units)
    self.gate_units = (None if gate_units is None
                       else _common.check_positive_int(cls, "gate_units", gate_units))
    self._init_dense_args(activation=activation, use_bias=use_bias,
                          kernel_initializer=kernel_initializer,
                          bias_initializer=bias_initializer,
                          kernel_regularizer=kernel_regularizer,
                          bias_regularizer=bias_regularizer)

  def build(self, input_shape):
    dim = _check_shapes(type(self).__name__, input_shape)
    width = dim
    self.gate_hidden_kernel = self.gate_hidden_bias = None
    if self.gate_units is not None:
      self.gate_hidden_kernel = self._add_kernel("gate_hidden_kernel", (dim, self.gate_units))
      self.gate_hidden_bias = self._add_bias("gate_hidden_bias", (self.gate_units,))
      width = self.gate_units
    self.gate_kernel = self._add_kernel("gate_kernel", (width, 1))
    self.gate_bias = self._add_bias("gate_bias", (1,))
    self.value_kernel = self.value_bias = None
    if self.units is not None:
      self.value_kernel = self._add_kernel("value_kernel", (dim, self.units))
      self.value_bias = self._add_bias("value_bias", (self.units,))
    super().build(input_shape)

  def pool(self, x, segment_ids, num_segments):
    hidden = x
    if self.gate_hidden_kernel is not None:
      hidden = tf.nn.relu(_common.linear(x, self.gate_hidden_kernel, self.gate_hidden_bias))
    gate = _common.linear(hidden, self.gate_kernel, self.gate_bias)  # [N, 1]
    weights = aggregation.segment_softmax(gate, segment_ids, num_segments)
    values = x
    if self.value_kernel is not None:
      values = self.activation(_common.linear(x, self.value_kernel, self.value_bias))
    return tf.math.unsorted_segment_sum(values * weights, segment_ids, num_segments)

  def get_config(self):
    config = super().get_config()
    config.update({"units": self.units, "gate_units": self.gate_units, **self._dense_config()})
    return config
