"""`GCNConv`: graph convolution (Kipf & Welling) over a SubGraph's edge_index."""
from __future__ import annotations

import dataclasses

import tensorflow as tf

from tfgle.layers import _common
from tfgle.layers import _conv_base


@tf.keras.utils.register_keras_serializable(package="tfgle")
class GCNConv(_conv_base.SubGraphConv):
  """GCN: out_i = sum_{j -> i} w_ji / sqrt(d_j d_i) (x_j W) + b.

  Messages flow along edges src -> dst. With add_self_loops every node also
  gets an edge to itself of weight 1 (unless it has one), and d_i is the
  weighted in-degree including it, as in PyG's GCNConv. normalize=False sums
  the weighted messages unnormalized. Between two node sets (inputs
  ((x_src, x_dst), edge_index), as for one edge type of a heterogeneous
  SubGraph) messages are weighted w_ji / sqrt(d_out_j d_in_i), and self loops
  do not apply (add_self_loops=False).

  Example:
    conv = tfgle.layers.GCNConv(16, activation="relu")
    h = conv((x, edge_index))          # x [N, D], edge_index [2, E] -> [N, 16]

  Args:
    units: output dimension.
    add_self_loops: add the missing (i, i) edges.
    normalize: symmetric degree normalization.
    activation, use_bias, kernel_initializer, bias_initializer,
    kernel_regularizer, bias_regularizer: as in `tf.keras.layers.Dense`.

  Call args:
    inputs: (x, edge_index): node features [N, D] and int edge_index [2, E]
      (row 0 source, row 1 destination); ids must be in [0, N). x may be a
      pair (x_src [N_src, D_src], x_dst [N, D_dst]) of two node sets.
    edge_weight: optional float [E] edge weights (>= 0).
    edge_mask: optional bool [E]; False edges (padding) are ignored, whatever
      their ids.

  Call returns:
    [N, units].

  Raises:
    ValueError: units <= 0, x not [N, D] with known D, edge_index not [2, E],
      add_self_loops with (x_src, x_dst).
  """

  def __init__(self, units: int, *, add_self_loops: bool = True, normalize: bool = True,
               **kwargs):
    super().__init__(units, **kwargs)
    self.add_self_loops = bool(add_self_loops)
    self.normalize = bool(normalize)

  def build_weights(self, d_receiver, d_sender):
    self.kernel = self._add_kernel("kernel", (d_sender, self.units))
    self.bias = self._add_bias("bias", (self.units,))

  def convolve(self, receiver, sender, adjacency, *, training=None, pretransformed=False):
    if adjacency.weight is None:
      ones = tf.ones(tf.shape(adjacency.src), sender.dtype)
      adjacency = dataclasses.replace(adjacency, weight=ones)
    if self.add_self_loops:
      adjacency = adjacency.with_self_loops()
    weight = adjacency.weight
    if self.normalize:
      inv_sqrt = _inv_sqrt(adjacency.pool(weight, "sum"))
      # One node set: the in-degree at both ends, as PyG's gcn_norm. Two node
      # sets: the senders' out-degree at the sender end.
      sender_inv_sqrt = (_inv_sqrt(adjacency.sender_degree(weight)) if adjacency.bipartite
                         else inv_sqrt)
      weight = adjacency.from_sender(sender_inv_sqrt) * weight * adjacency.from_receiver(inv_sqrt)
    messages = adjacency.from_sender(_common.linear(sender, self.kernel))
    return self._output(adjacency.pool(messages * weight[:, tf.newaxis], "sum"))

  def _conv_config(self) -> dict:
    return {"add_self_loops": self.add_self_loops, "normalize": self.normalize}


def _inv_sqrt(degree: tf.Tensor) -> tf.Tensor:
  """1 / sqrt(degree), 0 where the degree is 0."""
  return tf.where(degree > 0, tf.math.rsqrt(tf.maximum(degree, 1e-12)), tf.zeros_like(degree))
