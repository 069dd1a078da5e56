"""`SAGEConv`: GraphSAGE convolution over a SubGraph's edge_index."""
from __future__ import annotations

import tensorflow as tf

from tfgle.layers import _common
from tfgle.layers import aggregation

AGGREGATORS = ("mean", "sum", "max")


@tf.keras.utils.register_keras_serializable(package="tfgle")
class SAGEConv(_common.DenseArgs, tf.keras.layers.Layer):
  """GraphSAGE: out_i = agg_{j -> i}(x_j) W_nbr + x_i W_self + b.

  Messages flow along edges src -> dst; agg is the mean, sum or max over a
  node's in-edges (zeros for a node without any). Then the activation and, with
  normalize=True, L2 normalization.

  Example:
    conv = tfgle.layers.SAGEConv(64, aggregator="mean", activation="relu")
    h = conv((x, edge_index))          # x [N, D], edge_index [2, E] -> [N, 64]

  Args:
    units: output dimension.
    aggregator: "mean", "sum" or "max".
    root_weight: add the self term x_i W_self.
    normalize: L2-normalize the output.
    activation, use_bias, kernel_initializer, bias_initializer,
    kernel_regularizer, bias_regularizer: as in `tf.keras.layers.Dense`.

  Call args:
    inputs: (x, edge_index): node features [N, D] and int edge_index [2, E]
      (row 0 source, row 1 destination); ids must be in [0, N).
    edge_weight: optional float [E]: messages are scaled by it.
    edge_mask: optional bool [E]; False edges (padding) are ignored.

  Call returns:
    [N, units].

  Raises:
    ValueError: units <= 0, an unknown aggregator, x not [N, D] with known D,
      edge_index not [2, E].
  """

  def __init__(self, units: int, *, aggregator: str = "mean", root_weight: bool = True,
               normalize: bool = False, activation=None, use_bias: bool = True,
               kernel_initializer="glorot_uniform", bias_initializer="zeros",
               kernel_regularizer=None, bias_regularizer=None, **kwargs):
    super().__init__(**kwargs)
    cls = type(self).__name__
    self.units = _common.check_positive_int(cls, "units", units)
    self.aggregator = _common.check_choice(cls, "aggregator", aggregator, AGGREGATORS)
    self.root_weight = bool(root_weight)
    self.normalize = bool(normalize)
    self._init_dense_args(activation=activation, use_bias=use_bias,
                          kernel_initializer=kernel_initializer,
                          bias_initializer=bias_initializer,
                          kernel_regularizer=kernel_regularizer,
                          bias_regularizer=bias_regularizer)

  def build(self, input_shape):
    dim = _common.subgraph_dim(type(self).__name__, input_shape)
    self._feature_dim = dim
    self.neighbor_kernel = self._add_kernel("neighbor_kernel", (dim, self.units))
    self.self_kernel = (self._add_kernel("self_kernel", (dim, self.units))
                        if self.root_weight else None)
    self.bias = self._add_bias("bias", (self.units,))
    super().build(input_shape)

  def call(self, inputs, edge_weight=None, edge_mask=None, training=None):
    x, edge_index = _common.unpack_subgraph_inputs(type(self).__name__, inputs)
    _common.check_subgraph_dim(self, x)
    num_nodes = tf.shape(x, out_type=tf.int64)[0]
    src, dst, weight = aggregation.prepare_edges(edge_index, num_nodes, edge_weight, edge_mask,
                                                 layer=self.name, dtype=x.dtype)
    messages = tf.gather(x, src)
    if weight is not None:
      messages *= weight[:, tf.newaxis]
    if self.aggregator == "mean":
      agg = aggregation.segment_mean(messages, dst, num_nodes)
    elif self.aggregator == "sum":
      agg = tf.math.unsorted_segment_sum(messages, dst, num_nodes)
    else:
      agg = aggregation.segment_max(messages, dst, num_nodes)
    out = tf.matmul(agg, self.neighbor_kernel)
    if self.self_kernel is not None:
      out += tf.matmul(x, self.self_kernel)
    if self.bias is not None:
      out = tf.nn.bias_add(out, self.bias)
    out = self.activation(out)
    if self.normalize:
      out = tf.math.l2_normalize(out, axis=-1)
    return out

  def get_config(self):
    config = super().get_config()
    config.update({
        "units": self.units,
        "aggregator": self.aggregator,
        "root_weight": self.root_weight,
        "normalize": self.normalize,
        **self._dense_config(),
    })
    return config
