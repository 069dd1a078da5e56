"""`EgoGATConv`: multi-head graph attention on dense per-hop (EgoGraph) tensors."""
from __future__ import annotations

import tensorflow as tf

from tfgle.layers import _conv_base
from tfgle.layers import _gat


@tf.keras.utils.register_keras_serializable(package="tfgle")
class EgoGATConv(_gat.GATBase, _conv_base.EgoConv):
  """Graph attention (GAT): each node attends over its real neighbors (and itself).

  Per head h: z = x W, z_j = n_j W (W_nbr when share_weights=False),
  e_j = LeakyReLU(a_dst . z + a_src . z_j), alpha = softmax of e over the real
  neighbors (plus the node itself when add_self_loop=True; padding gets
  probability 0), out_h = sum_j alpha_j z_j. Heads are concatenated
  ([..., heads * units]) or averaged ([..., units]); then bias and activation.
  A node with no real neighbors and no self loop gets zeros (plus bias).

  With use_edge_features=True each neighbor's edge features e_j [F] join its
  projection, z_j' = z_j + e_j W_edge, in the attention and in the message
  (the self loop's e is the mean of the node's real edges'); in an EgoLayer /
  EgoGNN they go where relations go: inputs (hops, masks, edge_features),
  edge_features[i] [B, k1, ..., k(i+1), F] (for example hop i+1's encoded
  "edges" of an ego_graph_dataset(..., edge_features=...) batch).

  Example:
    conv = tfgle.layers.EgoGATConv(8, heads=8, attention_dropout=0.6, activation="elu")
    h0 = conv((x0, x1, mask1))   # -> [B, 64]
    conv = tfgle.layers.EgoGATConv(8, heads=8, use_edge_features=True)
    h0 = conv((x0, x1, mask1, e1))   # e1: [B, k1, F]

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
    use_edge_features: the inputs carry each neighbor's edge features.
    activation, use_bias, kernel_initializer, bias_initializer,
    kernel_regularizer, bias_regularizer: as in `tf.keras.layers.Dense`.

  Call args:
    inputs: (x, neighbors) or (x, neighbors, mask): x [..., D_self],
      neighbors [..., k, D_nbr], mask bool [..., k] (False = padding); with
      use_edge_features (x, neighbors, mask, edge_features [..., k, F]).
    training: enables attention dropout.

  Call returns:
    [..., heads * units] with concat_heads, else [..., units].

  Raises:
    ValueError: units or heads <= 0, a bad dropout rate, unknown feature dims,
      or share_weights=True with different self and neighbor dims.
  """

  def __init__(self, units: int, *, add_self_loop: bool = True, share_weights: bool = True,
               **kwargs):
    super().__init__(units, **kwargs)
    self.add_self_loop = bool(add_self_loop)
    self.share_weights = bool(share_weights)

  @property
  def adds_self_loops(self) -> bool:
    return self.add_self_loop

  def build_weights(self, d_receiver, d_sender):
    if self.share_weights and d_receiver != d_sender:
      raise ValueError(
          f"{type(self).__name__}: share_weights=True projects x and neighbors with one kernel, "
          f"so their feature dims must match, got {d_receiver} (x) and {d_sender} (neighbors); "
          "pass share_weights=False for different node types")
    width = self.heads * self.units
    self.self_kernel = self._add_kernel("kernel", (d_receiver, width))
    self.neighbor_kernel = (self.self_kernel if self.share_weights
                            else self._add_kernel("neighbor_kernel", (d_sender, width)))
    self.attention_self = self._add_kernel("attention_self", (self.heads, self.units))
    self.attention_neighbor = self._add_kernel("attention_neighbor", (self.heads, self.units))
    self._add_edge_kernel()
    self.bias = self._add_bias("bias", (self.output_dim,))

  def _roles(self):
    return self.self_kernel, self.neighbor_kernel, self.attention_self, self.attention_neighbor

  def _conv_config(self) -> dict:
    return {**super()._conv_config(), "add_self_loop": self.add_self_loop,
            "share_weights": self.share_weights}
