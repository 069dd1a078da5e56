"""`GATConv`: multi-head graph attention over a SubGraph's edge_index."""
from __future__ import annotations

import tensorflow as tf

from tfgle.layers import _common
from tfgle.layers import aggregation


@tf.keras.utils.register_keras_serializable(package="tfgle")
class GATConv(_common.DenseArgs, tf.keras.layers.Layer):
  """GAT (Velickovic et al. 2018) with segment softmax over each node's in-edges.

  Per head: z = x W, e_ji = LeakyReLU(a_dst . z_i + a_src . z_j) for every
  edge j -> i, alpha = softmax of e over i's in-edges, out_i = sum alpha_ji z_j.
  Heads are concatenated or averaged, then bias and activation. With
  add_self_loops every node also attends to itself (nodes that have a self loop
  keep theirs); a node without in-edges gets zeros (plus bias).

  Example:
    conv = tfgle.layers.GATConv(8, heads=8, attention_dropout=0.6, activation="elu")
    h = conv((x, edge_index))          # -> [N, 64]

  Args:
    units: output dimension per head.
    heads: number of attention heads.
    concat_heads: concatenate (True) or average (False) the heads.
    add_self_loops: add the missing (i, i) edges.
    negative_slope: slope of the LeakyReLU on attention logits.
    attention_dropout: dropout rate on attention coefficients (training).
    activation, use_bias, kernel_initializer, bias_initializer,
    kernel_regularizer, bias_regularizer: as in `tf.keras.layers.Dense`.

  Call args:
    inputs: (x, edge_index): node features [N, D] and int edge_index [2, E]
      (row 0 source, row 1 destination); ids must be in [0, N).
    edge_mask: optional bool [E]; False edges (padding) are ignored.
    training: enables attention dropout.

  Call returns:
    [N, heads * units] with concat_heads, else [N, units].

  Raises:
    ValueError: units or heads <= 0, a bad dropout rate, x not [N, D] with
      known D, edge_index not [2, E].
  """

  def __init__(self, units: int, *, heads: int = 1, concat_heads: bool = True,
               add_self_loops: bool = True, negative_slope: float = 0.2,
               attention_dropout: float = 0.0, activation=None, use_bias: bool = True,
               kernel_initializer="glorot_uniform", bias_initializer="zeros",
               kernel_regularizer=None, bias_regularizer=None, **kwargs):
    super().__init__(**kwargs)
    cls = type(self).__name__
    self.units = _common.check_positive_int(cls, "units", units)
    self.heads = _common.check_positive_int(cls, "heads", heads)
    self.concat_heads = bool(concat_heads)
    self.add_self_loops = bool(add_self_loops)
    if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float)) or (
        negative_slope < 0):
      raise ValueError(f"{cls}: negative_slope must be a float >= 0, got {negative_slope!r}")
    self.negative_slope = float(negative_slope)
    self.attention_dropout = _common.check_rate(cls, "attention_dropout", attention_dropout)
    self._init_dense_args(activation=activation, use_bias=use_bias,
                          kernel_initializer=kernel_initializer,
                          bias_initializer=bias_initializer,
                          kernel_regularizer=kernel_regularizer,
                          bias_regularizer=bias_regularizer)
    self._dropout = tf.keras.layers.Dropout(self.attention_dropout, dtype=self.dtype_policy)

  @property
  def output_dim(self) -> int:
    return self.heads * self.units if self.concat_heads else self.units

  def build(self, input_shape):
    dim = _common.subgraph_dim(type(self).__name__, input_shape)
    self._feature_dim = dim
    self.kernel = self._add_kernel("kernel", (dim, self.heads * self.units))
    self.attention_src = self._add_kernel("attention_src", (self.heads, self.units))
    self.attention_dst = self._add_kernel("attention_dst", (self.heads, self.units))
    self.bias = self._add_bias("bias", (self.output_dim,))
    super().build(input_shape)

  def call(self, inputs, edge_mask=None, training=None):
    x, edge_index = _common.unpack_subgraph_inputs(type(self).__name__, inputs)
    _common.check_subgraph_dim(self, x)
    num_nodes = tf.shape(x, out_type=tf.int64)[0]
    src, dst, _ = aggregation.prepare_edges(edge_index, num_nodes, None, edge_mask,
                                            layer=self.name, dtype=x.dtype)
    if self.add_self_loops:
      src, dst, _ = aggregation.add_remaining_self_loops(src, dst, num_nodes)
    z = tf.reshape(tf.matmul(x, self.kernel), [-1, self.heads, self.units])  # [N, H, U]
    score_src = tf.reduce_sum(z * self.attention_src, axis=-1)  # [N, H]
    score_dst = tf.reduce_sum(z * self.attention_dst, axis=-1)
    logits = tf.nn.leaky_relu(tf.gather(score_src, src) + tf.gather(score_dst, dst),
                              alpha=self.negative_slope)  # [E, H]
    alpha = aggregation.segment_softmax(logits, dst, num_nodes)
    alpha = self._dropout(alpha, training=training)
    messages = tf.gather(z, src) * alpha[..., tf.newaxis]  # [E, H, U]
    out = tf.math.unsorted_segment_sum(messages, dst, num_nodes)  # [N, H, U]
    if self.concat_heads:
      out = tf.reshape(out, [-1, self.heads * self.units])
    else:
      out = tf.reduce_mean(out, axis=1)
    if self.bias is not None:
      out = tf.nn.bias_add(out, self.bias)
    return self.activation(out)

  def get_config(self):
    config = super().get_config()
    config.update({
        "units": self.units,
        "heads": self.heads,
        "concat_heads": self.concat_heads,
        "add_self_loops": self.add_self_loops,
        "negative_slope": self.negative_slope,
        "attention_dropout": self.attention_dropout,
        **self._dense_config(),
    })
    return config
