"""`EgoMPNNConv`: an edge-network MPNN (NNConv / ECC) on dense per-hop (EgoGraph) tensors."""
from __future__ import annotations

import tensorflow as tf

from tfgle.layers import _conv_base
from tfgle.layers import _mpnn

AGGREGATORS = _mpnn.AGGREGATORS


@tf.keras.utils.register_keras_serializable(package="tfgle")
class EgoMPNNConv(_mpnn.MPNNBase, _conv_base.EgoConv):
  """Edge-conditioned convolution: each neighbor's message is mapped by a matrix that its edge's
  features choose (the MPNN edge network of Gilmer et al. 2017; ECC; PyG's NNConv).

  For a node x with real neighbors n_j reached by edges with features e_j:
    Theta_j = reshape(act(e_j W_e + b_e) W_h + b_h, [D_nbr, units])
    out = x W_root + agg_j(n_j Theta_j) + b,   agg = mean, sum or max
  then the activation. Padding (mask False) sends no message; a node without
  real neighbors gets x W_root + b. The matrices are never built (see
  `tfgle.layers._mpnn`): a level costs [B, k1..k(i+1), (edge_units + 1) *
  units] floats. In an EgoLayer / EgoGNN the edge features go where relations
  go: inputs (hops, masks, edge_features), edge_features[i]
  [B, k1, ..., k(i+1), F].

  Example:
    conv = tfgle.layers.EgoMPNNConv(32, edge_units=16, activation="relu")
    h0 = conv((x0, x1, mask1, e1))   # e1 [B, k1, F]: the edges' features -> [B, 32]

  Args:
    units: output dimension.
    edge_units: width of the edge network's hidden layer.
    edge_activation: its activation.
    aggregator: "mean", "sum" or "max" of the messages.
    root_weight: add the self term x W_root.
    activation, use_bias, kernel_initializer, bias_initializer,
    kernel_regularizer, bias_regularizer: as in `tf.keras.layers.Dense`.

  Call args:
    inputs: (x, neighbors, mask, edge_features): x [..., D_self], neighbors
      [..., k, D_nbr], mask bool [..., k] (False = padding), edge_features
      [..., k, F] float.

  Call returns:
    [..., units].

  Raises:
    ValueError: units or edge_units <= 0, an unknown aggregator, inputs that
      are not a 4-tuple, or unknown feature dims.
  """
