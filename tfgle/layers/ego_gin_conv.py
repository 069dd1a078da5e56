"""`EgoGINConv`: graph isomorphism network convolution on dense per-hop tensors."""
from __future__ import annotations

from typing import Optional

import tensorflow as tf

from tfgle.layers import _common
from tfgle.layers import aggregation


@tf.keras.utils.register_keras_serializable(package="tfgle")
class EgoGINConv(_common.DenseArgs, tf.keras.layers.Layer):
  """GIN (Xu et al. 2019): out = MLP((1 + eps) x + sum of real neighbors).

  The MLP has `num_mlp_layers` dense layers: hidden ones of width
  `hidden_units` with `hidden_activation`, the last of width `units` with
  `activation`. `eps` is a constant, or a trained scalar with train_eps=True.
  Padding neighbors contribute nothing; with none, the sum is zero.

  Example:
    conv = tfgle.layers.EgoGINConv(64, train_eps=True, activation="relu")
    h0 = conv((x0, x1, mask1))   # x0 [B, D], x1 [B, k1, D] -> [B, 64]

  Args:
    units: output dimension.
    eps: initial (or fixed) epsilon.
    train_eps: learn epsilon.
    hidden_units: width of hidden MLP layers (default: units).
    num_mlp_layers: number of dense layers in the MLP (>= 1).
    hidden_activation: activation of the hidden MLP layers.
    activation, use_bias, kernel_initializer, bias_initializer,
    kernel_regularizer, bias_regularizer: as in `tf.keras.layers.Dense`
      (activation applies to the last MLP layer).

  Call args:
    inputs: (x, neighbors) or (x, neighbors, mask): x [..., D],
      neighbors [..., k, D], mask bool [..., k] (False = padding).

  Call returns:
    [..., units].

  Raises:
    ValueError: units, hidden_units or num_mlp_layers not positive, unknown
      feature dims, or self and neighbor dims that differ.
  """

  def __init__(self, units: int, *, eps: float = 0.0, train_eps: bool = False,
               hidden_units: Optional[int] = None, num_mlp_layers: int = 2,
               hidden_activation="relu", activation=None, use_bias: bool = True,
               kernel_initializer="glorot_uniform", bias_initializer="zeros",
               kernel_regularizer=None, bias_regularizer=None, **kwargs):
    super().__init__(**kwargs)
    cls = type(self).__name__
    self.units = _common.check_positive_int(cls, "units", units)
    if isinstance(eps, bool) or not isinstance(eps, (int, float)):
      raise ValueError(f"{cls}: eps must be a float, got {eps!r}")
    self.eps = float(eps)
    self.train_eps = bool(train_eps)
    self.hidden_units = (units if hidden_units is None
                         else _common.check_positive_int(cls, "hidden_units", hidden_units))
    self.num_mlp_layers = _common.check_positive_int(cls, "num_mlp_layers", num_mlp_layers)
    self.hidden_activation = tf.keras.activations.get(hidden_activation)
    self._init_dense_args(activation=activation, use_bias=use_bias,
                          kernel_initializer=kernel_initializer,
                          bias_initializer=bias_initializer,
                          kernel_regularizer=kernel_regularizer,
                          bias_regularizer=bias_regularizer)

  def build(self, input_shape):
    cls = type(self).__name__
    d_self, d_nbr = _common.ego_dims(cls, input_shape)
    self._ego_dims = (d_self, d_nbr)
    if d_self != d_nbr:
      raise ValueError(f"{cls}: x and neighbors are summed, so their feature dims must "
                       f"match, got {d_self} (x) and {d_nbr} (neighbors)")
    if self.train_eps:
      self.eps_weight = self.add_weight(
          name="eps", shape=(), initializer=tf.keras.initializers.Constant(self.eps),
          trainable=True)
    else:
      self.eps_weight = None
    self.mlp_kernels, self.mlp_biases = [], []
    width = d_self
    for i in range(self.num_mlp_layers):
      out = self.units if i == self.num_mlp_layers - 1 else self.hidden_units
      self.mlp_kernels.append(self._add_kernel(f"mlp_kernel_{i}", (width, out)))
      self.mlp_biases.append(self._add_bias(f"mlp_bias_{i}", (out,)))
      width = out
    super().build(input_shape)

  def call(self, inputs, training=None):
    x, neighbors, mask, _ = _common.unpack_ego_inputs(type(self).__name__, inputs)
    _common.check_call_dims(self, x, neighbors)
    mask = _common.neighbor_mask(neighbors, mask)
    eps = self.eps_weight if self.eps_weight is not None else self.eps
    h = (1.0 + eps) * x + aggregation.masked_sum(neighbors, mask)
    last = len(self.mlp_kernels) - 1
    for i, (kernel, bias) in enumerate(zip(self.mlp_kernels, self.mlp_biases)):
      h = _common.linear(h, kernel, bias)
      h = self.activation(h) if i == last else self.hidden_activation(h)
    return h

  def get_config(self):
    config = super().get_config()
    config.update({
        "units": self.units,
        "eps": self.eps,
        "train_eps": self.train_eps,
        "hidden_units": self.hidden_units,
        "num_mlp_layers": self.num_mlp_layers,
        "hidden_activation": tf.keras.activations.serialize(self.hidden_activation),
        **self._dense_config(),
    })
    return config
