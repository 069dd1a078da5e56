"""`SAGEConv`: GraphSAGE convolution over a SubGraph's edge_index."""
from __future__ import annotations

import tensorflow as tf

from tfgle.layers import _conv_base
from tfgle.layers import _sage

AGGREGATORS = ("mean", "sum", "max")


@tf.keras.utils.register_keras_serializable(package="tfgle")
class SAGEConv(_sage.SAGEBase, _conv_base.SubGraphConv):
  """GraphSAGE: out_i = agg_{j -> i}(x_j) W_nbr + x_i W_self + b.

  Messages flow along edges src -> dst; agg is the mean, sum or max over a
  node's in-edges (zeros for a node without any). Then the activation and, with
  normalize=True, L2 normalization.

  Example:
    conv = tfgle.layers.SAGEConv(64, aggregator="mean", activation="relu")
    h = conv((x, edge_index))          # x [N, D], edge_index [2, E] -> [N, 64]

  Args:
    units: output dimension.
    aggregator: "mean", "sum" or "max".
    root_weight: add the self term x_i W_self.
    normalize: L2-normalize the output.
    activation, use_bias, kernel_initializer, bias_initializer,
    kernel_regularizer, bias_regularizer: as in `tf.keras.layers.Dense`.

  Call args:
    inputs: (x, edge_index): node features [N, D] and int edge_index [2, E]
      (row 0 source, row 1 destination); ids must be in [0, N). x may be a
      pair (x_src [N_src, D_src], x_dst [N, D_dst]) of two node sets (one
      edge type of a heterogeneous SubGraph): x_dst takes the self term.
    edge_weight: optional float [E]: messages are scaled by it.
    edge_mask: optional bool [E]; False edges (padding) are ignored.

  Call returns:
    [N, units].

  Raises:
    ValueError: units <= 0, an unknown aggregator, x not [N, D] with known D,
      edge_index not [2, E].
  """

  AGGREGATORS = AGGREGATORS
