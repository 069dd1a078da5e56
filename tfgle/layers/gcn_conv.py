"""`GCNConv`: graph convolution (Kipf & Welling) over a SubGraph's edge_index."""
from __future__ import annotations

import tensorflow as tf

from tfgle.layers import _common
from tfgle.layers import aggregation


@tf.keras.utils.register_keras_serializable(package="tfgle")
class GCNConv(_common.DenseArgs, tf.keras.layers.Layer):
  """GCN: out_i = sum_{j -> i} w_ji / sqrt(d_j d_i) (x_j W) + b.

  Messages flow along edges src -> dst. With add_self_loops every node also
  gets an edge to itself of weight 1 (unless it has one), and d_i is the
  weighted in-degree including it, as in PyG's GCNConv. normalize=False sums
  the weighted messages unnormalized.

  Example:
    conv = tfgle.layers.GCNConv(16, activation="relu")
    h = conv((x, edge_index))          # x [N, D], edge_index [2, E] -> [N, 16]

  Args:
    units: output dimension.
    add_self_loops: add the missing (i, i) edges.
    normalize: symmetric degree normalization.
    activation, use_bias, kernel_initializer, bias_initializer,
    kernel_regularizer, bias_regularizer: as in `tf.keras.layers.Dense`.

  Call args:
    inputs: (x, edge_index): node features [N, D] and int edge_index [2, E]
      (row 0 source, row 1 destination); ids must be in [0, N).
    edge_weight: optional float [E] edge weights (>= 0).
    edge_mask: optional bool [E]; False edges (padding) are ignored, whatever
      their ids.

  Call returns:
    [N, units].

  Raises:
    ValueError: units <= 0, x not [N, D] with known D, edge_index not [2, E].
  """

  def __init__(self, units: int, *, add_self_loops: bool = True, normalize: bool = True,
               activation=None, use_bias: bool = True,
               kernel_initializer="glorot_uniform", bias_initializer="zeros",
               kernel_regularizer=None, bias_regularizer=None, **kwargs):
    super().__init__(**kwargs)
    self.units = _common.check_positive_int(type(self).__name__, "units", units)
    self.add_self_loops = bool(add_self_loops)
    self.normalize = bool(normalize)
    self._init_dense_args(activation=activation, use_bias=use_bias,
                          kernel_initializer=kernel_initializer,
                          bias_initializer=bias_initializer,
                          kernel_regularizer=kernel_regularizer,
                          bias_regularizer=bias_regularizer)

  def build(self, input_shape):
    dim = _common.subgraph_dim(type(self).__name__, input_shape)
    self._feature_dim = dim
    self.kernel = self._add_kernel("kernel", (dim, self.units))
    self.bias = self._add_bias("bias", (self.units,))
    super().build(input_shape)

  def call(self, inputs, edge_weight=None, edge_mask=None, training=None):
    x, edge_index = _common.unpack_subgraph_inputs(type(self).__name__, inputs)
    _common.check_subgraph_dim(self, x)
    num_nodes = tf.shape(x, out_type=tf.int64)[0]
    src, dst, weight = aggregation.prepare_edges(edge_index, num_nodes, edge_weight, edge_mask,
                                                 layer=self.name, dtype=x.dtype)
    if weight is None:
      weight = tf.ones(tf.shape(src), x.dtype)
    if self.add_self_loops:
      src, dst, weight = aggregation.add_remaining_self_loops(src, dst, num_nodes, weight)
    if self.normalize:
      degree = tf.math.unsorted_segment_sum(weight, dst, num_nodes)
      inv_sqrt = tf.where(degree > 0, tf.math.rsqrt(tf.maximum(degree, 1e-12)),
                          tf.zeros_like(degree))
      weight = tf.gather(inv_sqrt, src) * weight * tf.gather(inv_sqrt, dst)
    h = tf.matmul(x, self.kernel)
    messages = tf.gather(h, src) * weight[:, tf.newaxis]
    out = tf.math.unsorted_segment_sum(messages, dst, num_nodes)
    if self.bias is not None:
      out = tf.nn.bias_add(out, self.bias)
    return self.activation(out)

  def get_config(self):
    config = super().get_config()
    config.update({
        "units": self.units,
        "add_self_loops": self.add_self_loops,
        "normalize": self.normalize,
        **self._dense_config(),
    })
    return config
