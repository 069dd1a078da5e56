"""`MPNNConv`: an edge-network MPNN (NNConv / ECC) over a SubGraph's edge_index."""
from __future__ import annotations

import tensorflow as tf

from tfgle.layers import _conv_base
from tfgle.layers import _mpnn


@tf.keras.utils.register_keras_serializable(package="tfgle")
class MPNNConv(_mpnn.MPNNBase, _conv_base.SubGraphConv):
  """Edge-conditioned convolution (PyG's NNConv, ECC) with segment ops over edge_index.

  For every edge j -> i with features e_ji:
    Theta_ji = reshape(act(e_ji W_e + b_e) W_h + b_h, [D, units])
    out_i = x_i W_root + agg_{j -> i}(x_j Theta_ji) + b,   agg = mean, sum or max
  then the activation; a node without in-edges gets x_i W_root + b. The
  matrices are never built (see `tfgle.layers._mpnn`): the senders'
  x_j [W_b | W_h] is computed per node, then gathered per edge.

  Example:
    conv = tfgle.layers.MPNNConv(32, edge_units=16, activation="relu")
    h = conv((x, edge_index, edge_features))   # [N, D], [2, E], [E, F] -> [N, 32]

  Args:
    units: output dimension.
    edge_units: width of the edge network's hidden layer.
    edge_activation: its activation.
    aggregator: "mean", "sum" or "max" of the messages.
    root_weight: add the self term x_i W_root.
    activation, use_bias, kernel_initializer, bias_initializer,
    kernel_regularizer, bias_regularizer: as in `tf.keras.layers.Dense`.

  Call args:
    inputs: (x, edge_index, edge_features): node features [N, D], int
      edge_index [2, E] (row 0 source, row 1 destination), edge features
      [E, F] float. x may be a pair (x_src [N_src, D_src], x_dst [N, D_dst])
      of two node sets.
    edge_weight: optional float [E]: messages are scaled by it.
    edge_mask: optional bool [E]; False edges (padding) are ignored.

  Call returns:
    [N, units].

  Raises:
    ValueError: units or edge_units <= 0, an unknown aggregator, inputs that
      are not (x, edge_index, edge_features), x not [N, D] or edge features
      not [E, F] with known D and F.
  """
