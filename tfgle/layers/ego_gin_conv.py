"""`EgoGINConv`: graph isomorphism network convolution on dense per-hop tensors."""
from __future__ import annotations

from typing import Optional

import tensorflow as tf

from tfgle.layers import _common
from tfgle.layers import _conv_base


@tf.keras.utils.register_keras_serializable(package="tfgle")
class EgoGINConv(_conv_base.EgoConv):
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
    inputs: (x [..., D], neighbors [..., k, D]), optionally with the bool
      mask [..., k] of the real neighbors (False = padding) as a third entry.

  Call returns:
    [..., units].

  Raises:
    ValueError: units, hidden_units or num_mlp_layers not positive, unknown
      feature dims, or self and neighbor dims that differ.
  """

  def __init__(self, units: int, *, eps: float = 0.0, train_eps: bool = False,
               hidden_units: Optional[int] = None, num_mlp_layers: int = 2,
               hidden_activation="relu", **kwargs):
    super().__init__(units, **kwargs)
    cls = type(self).__name__
    if isinstance(eps, bool) or not isinstance(eps, (int, float)):
      raise ValueError(f"{cls}: eps must be a float, got {eps!r}")
    self.eps = float(eps)
    self.train_eps = bool(train_eps)
    self.hidden_units = (units if hidden_units is None
                         else _common.check_positive_int(cls, "hidden_units", hidden_units))
    self.num_mlp_layers = _common.check_positive_int(cls, "num_mlp_layers", num_mlp_layers)
    self.hidden_activation = tf.keras.activations.get(hidden_activation)

  def build_weights(self, d_receiver, d_sender):
    if d_receiver != d_sender:
      raise ValueError(f"{type(self).__name__}: x and neighbors are summed, so their feature "
                       f"dims must match, got {d_receiver} (x) and {d_sender} (neighbors)")
    if self.train_eps:
      self.eps_weight = self.add_weight(
          name="eps", shape=(), initializer=tf.keras.initializers.Constant(self.eps),
          trainable=True)
    else:
      self.eps_weight = None
    self.mlp_kernels, self.mlp_biases = [], []
    width = d_receiver
    for i in range(self.num_mlp_layers):
      out = self.units if i == self.num_mlp_layers - 1 else self.hidden_units
      self.mlp_kernels.append(self._add_kernel(f"mlp_kernel_{i}", (width, out)))
      self.mlp_biases.append(self._add_bias(f"mlp_bias_{i}", (out,)))
      width = out

  def convolve(self, receiver, sender, adjacency, *, training=None, pretransformed=False):
    eps = self.eps_weight if self.eps_weight is not None else self.eps
    h = (1.0 + eps) * receiver + adjacency.pool(adjacency.from_sender(sender), "sum")
    last = len(self.mlp_kernels) - 1
    for i, (kernel, bias) in enumerate(zip(self.mlp_kernels, self.mlp_biases)):
      h = _common.linear(h, kernel, bias)
      h = self.activation(h) if i == last else self.hidden_activation(h)
    return h

  def _conv_config(self) -> dict:
    return {"eps": self.eps, "train_eps": self.train_eps, "hidden_units": self.hidden_units,
            "num_mlp_layers": self.num_mlp_layers,
            "hidden_activation": tf.keras.activations.serialize(self.hidden_activation)}
