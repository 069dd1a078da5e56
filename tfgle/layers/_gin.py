"""GIN's math, shared by `EgoGINConv` and `GINConv` (private)."""
from __future__ import annotations

from typing import Optional

import tensorflow as tf

from tfgle.layers import _common
from tfgle.layers import _conv_base


class GINBase(_conv_base.Conv):
  """GIN (Xu et al. 2019): out = MLP((1 + eps) x + sum of the senders' messages).

  The MLP has `num_mlp_layers` dense layers: hidden ones of width
  `hidden_units` with `hidden_activation`, the last of width `units` with
  `activation`. `eps` is a constant, or a trained scalar with train_eps=True.
  Edge weights (SubGraph convs only) scale the messages.
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
    messages = adjacency.from_sender(sender)
    if adjacency.weight is not None:
      messages *= adjacency.weight[:, tf.newaxis]
    h = (1.0 + eps) * receiver + adjacency.pool(messages, "sum", senders=True)
    last = len(self.mlp_kernels) - 1
    for i, (kernel, bias) in enumerate(zip(self.mlp_kernels, self.mlp_biases)):
      h = _common.linear(h, kernel, bias)
      h = self.activation(h) if i == last else self.hidden_activation(h)
    return h

  def _conv_config(self) -> dict:
    return {"eps": self.eps, "train_eps": self.train_eps, "hidden_units": self.hidden_units,
            "num_mlp_layers": self.num_mlp_layers,
            "hidden_activation": tf.keras.activations.serialize(self.hidden_activation)}
