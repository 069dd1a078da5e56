"""`GATConv`: multi-head graph attention over a SubGraph's edge_index."""
from __future__ import annotations

import tensorflow as tf

from tfgle.layers import _conv_base
from tfgle.layers import _gat


@tf.keras.utils.register_keras_serializable(package="tfgle")
class GATConv(_gat.GATBase, _conv_base.SubGraphConv):
  """GAT (Velickovic et al. 2018) with segment softmax over each node's in-edges.

  Per head: z = x W, e_ji = LeakyReLU(a_dst . z_i + a_src . z_j) for every
  edge j -> i, alpha = softmax of e over i's in-edges, out_i = sum alpha_ji z_j.
  Heads are concatenated or averaged, then bias and activation. With
  add_self_loops every node also attends to itself (nodes that have a self loop
  keep theirs); a node without in-edges gets zeros (plus bias).

  Between two node sets (inputs ((x_src, x_dst), edge_index), as for one edge
  type of a heterogeneous SubGraph) the senders are projected by `kernel` and
  the receivers by a `receiver_kernel` of their own; self loops do not apply
  there (add_self_loops=False).

  With use_edge_features=True each edge's features e_ji [F] join its sender's
  projection, z_j' = z_j + e_ji W_edge, in the attention and in the message
  (an added self loop's e is the mean of the node's in-edges').

  Example:
    conv = tfgle.layers.GATConv(8, heads=8, attention_dropout=0.6, activation="elu")
    h = conv((x, edge_index))          # -> [N, 64]
    conv = tfgle.layers.GATConv(8, heads=8, use_edge_features=True)
    h = conv((x, edge_index, edge_features))   # edge_features: [E, F]

  Args:
    units: output dimension per head.
    heads: number of attention heads.
    concat_heads: concatenate (True) or average (False) the heads.
    add_self_loops: add the missing (i, i) edges.
    negative_slope: slope of the LeakyReLU on attention logits.
    attention_dropout: dropout rate on attention coefficients (training).
    use_edge_features: the inputs carry each edge's features.
    activation, use_bias, kernel_initializer, bias_initializer,
    kernel_regularizer, bias_regularizer: as in `tf.keras.layers.Dense`.

  Call args:
    inputs: (x, edge_index): node features [N, D] and int edge_index [2, E]
      (row 0 source, row 1 destination); ids must be in [0, N). x may be a
      pair (x_src [N_src, D_src], x_dst [N, D_dst]) of two node sets. With
      use_edge_features (x, edge_index, edge_features [E, F]).
    edge_mask: optional bool [E]; False edges (padding) are ignored.
    training: enables attention dropout.

  Call returns:
    [N, heads * units] with concat_heads, else [N, units].

  Raises:
    ValueError: units or heads <= 0, a bad dropout rate, x not [N, D] with
      known D, edge_index not [2, E], add_self_loops with (x_src, x_dst).
  """

  def __init__(self, units: int, *, add_self_loops: bool = True, **kwargs):
    super().__init__(units, **kwargs)
    self.add_self_loops = bool(add_self_loops)

  @property
  def adds_self_loops(self) -> bool:
    return self.add_self_loops

  def build_weights(self, d_receiver, d_sender):
    self.kernel = self._add_kernel("kernel", (d_sender, self.heads * self.units))
    self.attention_src = self._add_kernel("attention_src", (self.heads, self.units))
    self.attention_dst = self._add_kernel("attention_dst", (self.heads, self.units))
    self._add_edge_kernel()
    self.bias = self._add_bias("bias", (self.output_dim,))
    # Two node sets (x_src, x_dst): the receivers get a kernel of their own.
    self.receiver_kernel = None
    if self.bipartite:
      self.receiver_kernel = self._add_kernel("receiver_kernel",
                                              (d_receiver, self.heads * self.units))

  def _roles(self):
    receiver_kernel = self.kernel if self.receiver_kernel is None else self.receiver_kernel
    return receiver_kernel, self.kernel, self.attention_dst, self.attention_src

  def call(self, inputs, edge_mask=None, training=None):  # pylint: disable=arguments-differ
    # GAT's attention takes no edge weights.
    return super().call(inputs, edge_mask=edge_mask, training=training)

  def _conv_config(self) -> dict:
    return {**super()._conv_config(), "add_self_loops": self.add_self_loops}
