"""`EgoGINConv`: graph isomorphism network convolution on dense per-hop tensors."""
from __future__ import annotations

import tensorflow as tf

from tfgle.layers import _conv_base
from tfgle.layers import _gin


@tf.keras.utils.register_keras_serializable(package="tfgle")
class EgoGINConv(_gin.GINBase, _conv_base.EgoConv):
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
