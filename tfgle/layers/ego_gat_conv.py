"""`EgoGATConv`: multi-head graph attention on dense per-hop (EgoGraph) tensors."""
from __future__ import annotations

import tensorflow as tf

from tfgle.layers import _common
from tfgle.layers import aggregation


@tf.keras.utils.register_keras_serializable(package="tfgle")
class EgoGATConv(_common.DenseArgs, tf.keras.layers.Layer):
  """Graph attention (GAT): each node attends over its real neighbors (and itself).

  Per head h: z = x W, z_j = n_j W (W_nbr when share_weights=False),
  e_j = LeakyReLU(a_dst . z + a_src . z_j), alpha = softmax of e over the real
  neighbors (plus the node itself when add_self_loop=True; padding gets
  probability 0), out_h = sum_j alpha_j z_j. Heads are concatenated
  ([..., heads * units]) or averaged ([..., units]); then bias and activation.
  A node with no real neighbors and no self loop gets zeros (plus bias).

  Example:
    conv = tfgle.layers.EgoGATConv(8, heads=8, attention_dropout=0.6, activation="elu")
    h0 = conv((x0, x1, mask1))   # -> [B, 64]

  Args:
    units: output dimension per head.
    heads: number of attention heads.
    concat_heads: concatenate the heads (True) or average them (False).
    add_self_loop: the node attends to itself too.
    negative_slope: slope of the LeakyReLU on attention logits.
    attention_dropout: dropout rate on the attention coefficients (training).
    share_weights: one projection for the node and its neighbors (their dims
      must match); False gives neighbors their own projection (different node
      types in heterogeneous graphs).
    activation, use_bias, kernel_initializer, bias_initializer,
    kernel_regularizer, bias_regularizer: as in `tf.keras.layers.Dense`.

  Call args:
    inputs: (x, neighbors) or (x, neighbors, mask): x [..., D_self],
      neighbors [..., k, D_nbr], mask bool [..., k] (False = padding).
    training: enables attention dropout.

  Call returns:
    [..., heads * units] with concat_heads, else [..., units].

  Raises:
    ValueError: units or heads <= 0, a bad dropout rate, unknown feature dims,
      or share_weights=True with different self and neighbor dims.
  """

  def __init__(self, units: int, *, heads: int = 1, concat_heads: bool = True,
               add_self_loop: bool = True, negative_slope: float = 0.2,
               attention_dropout: float = 0.0, share_weights: bool = True,
               activation=None, use_bias: bool = True,
               kernel_initializer="glorot_uniform", bias_initializer="zeros",
               kernel_regularizer=None, bias_regularizer=None, **kwargs):
    super().__init__(**kwargs)
    cls = type(self).__name__
    self.units = _common.check_positive_int(cls, "units", units)
    self.heads = _common.check_positive_int(cls, "heads", heads)
    self.concat_heads = bool(concat_heads)
    self.add_self_loop = bool(add_self_loop)
    if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float)) or (
        negative_slope < 0):
      raise ValueError(f"{cls}: negative_slope must be a float >= 0, got {negative_slope!r}")
    self.negative_slope = float(negative_slope)
    self.attention_dropout = _common.check_rate(cls, "attention_dropout", attention_dropout)
    self.share_weights = bool(share_weights)
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
    cls = type(self).__name__
    d_self, d_nbr = _common.ego_dims(cls, input_shape)
    self._ego_dims = (d_self, d_nbr)
    width = self.heads * self.units
    if self.share_weights and d_self != d_nbr:
      raise ValueError(
          f"{cls}: share_weights=True projects x and neighbors with one kernel, so their "
          f"feature dims must match, got {d_self} (x) and {d_nbr} (neighbors); pass "
          "share_weights=False for different node types")
    self.self_kernel = self._add_kernel("kernel", (d_self, width))
    self.neighbor_kernel = (self.self_kernel if self.share_weights
                            else self._add_kernel("neighbor_kernel", (d_nbr, width)))
    self.attention_self = self._add_kernel("attention_self", (self.heads, self.units))
    self.attention_neighbor = self._add_kernel("attention_neighbor", (self.heads, self.units))
    self.bias = self._add_bias("bias", (self.output_dim,))
    super().build(input_shape)

  def call(self, inputs, training=None):
    x, neighbors, mask, _ = _common.unpack_ego_inputs(type(self).__name__, inputs)
    _common.check_call_dims(self, x, neighbors)
    mask = _common.neighbor_mask(neighbors, mask)
    neighbors = aggregation.zero_masked(neighbors, mask)
    heads_shape = [self.heads, self.units]
    z_self = _common.linear(x, self.self_kernel)
    z_self = tf.reshape(z_self, tf.concat([tf.shape(z_self)[:-1], heads_shape], 0))
    z_nbr = _common.linear(neighbors, self.neighbor_kernel)
    z_nbr = tf.reshape(z_nbr, tf.concat([tf.shape(z_nbr)[:-1], heads_shape], 0))
    # Attention logits: [..., k, H] for neighbors, [..., 1, H] for the node itself.
    score_dst = tf.reduce_sum(z_self * self.attention_self, axis=-1)[..., tf.newaxis, :]
    logits = score_dst + tf.reduce_sum(z_nbr * self.attention_neighbor, axis=-1)
    values, attend = z_nbr, mask
    if self.add_self_loop:
      self_logit = score_dst + tf.reduce_sum(
          z_self * self.attention_neighbor, axis=-1)[..., tf.newaxis, :]
      logits = tf.concat([self_logit, logits], axis=-2)
      values = tf.concat([z_self[..., tf.newaxis, :, :], z_nbr], axis=-3)
      attend = tf.concat([tf.ones_like(mask[..., :1]), mask], axis=-1)
    logits = tf.nn.leaky_relu(logits, alpha=self.negative_slope)
    alpha = aggregation.masked_softmax(logits, attend[..., tf.newaxis], axis=-2)
    alpha = self._dropout(alpha, training=training)
    out = tf.reduce_sum(alpha[..., tf.newaxis] * values, axis=-3)  # [..., H, U]
    if self.concat_heads:
      out = tf.reshape(out, tf.concat([tf.shape(out)[:-2], [self.heads * self.units]], 0))
    else:
      out = tf.reduce_mean(out, axis=-2)
    if self.bias is not None:
      out = tf.nn.bias_add(out, self.bias)
    return self.activation(out)

  def compute_output_shape(self, input_shape):
    x_shape = tf.TensorShape(input_shape[0])
    return x_shape[:-1].concatenate([self.output_dim])

  def get_config(self):
    config = super().get_config()
    config.update({
        "units": self.units,
        "heads": self.heads,
        "concat_heads": self.concat_heads,
        "add_self_loop": self.add_self_loop,
        "negative_slope": self.negative_slope,
        "attention_dropout": self.attention_dropout,
        "share_weights": self.share_weights,
        **self._dense_config(),
    })
    return config
