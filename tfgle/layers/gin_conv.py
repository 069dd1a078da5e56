"""`GINConv`: graph isomorphism network convolution over a SubGraph's edge_index."""
from __future__ import annotations

import tensorflow as tf

from tfgle.layers import _conv_base
from tfgle.layers import _gin


@tf.keras.utils.register_keras_serializable(package="tfgle")
class GINConv(_gin.GINBase, _conv_base.SubGraphConv):
  """GIN (Xu et al. 2019): out_i = MLP((1 + eps) x_i + sum_{j -> i} w_ji x_j).

  Messages flow along edges src -> dst and are summed (scaled by the edge
  weights, if given; a node without in-edges sums to zero). The MLP has
  `num_mlp_layers` dense layers: hidden ones of width `hidden_units` with
  `hidden_activation`, the last of width `units` with `activation`. `eps` is a
  constant, or a trained scalar with train_eps=True. The shared math is
  `EgoGINConv`'s, as in PyG's GINConv.

  Example:
    conv = tfgle.layers.GINConv(64, train_eps=True, activation="relu")
    h = conv((x, edge_index))          # x [N, D], edge_index [2, E] -> [N, 64]

  Args:
    units, eps, train_eps, hidden_units, num_mlp_layers, hidden_activation,
    activation, use_bias, kernel_initializer, bias_initializer,
    kernel_regularizer, bias_regularizer: as in `EgoGINConv`.

  Call args:
    inputs: (x, edge_index): node features [N, D] and int edge_index [2, E]
      (row 0 source, row 1 destination); ids must be in [0, N).
    edge_weight: optional float [E]: messages are scaled by it.
    edge_mask: optional bool [E]; False edges (padding) are ignored, whatever
      their ids.

  Call returns:
    [N, units].

  Raises:
    ValueError: units, hidden_units or num_mlp_layers not positive, a bad eps,
      x not [N, D] with known D, edge_index not [2, E].
  """
