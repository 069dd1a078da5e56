"""The edge-network MPNN's math, shared by `EgoMPNNConv` and `MPNNConv` (private)."""
from __future__ import annotations

import tensorflow as tf

from tfgle.layers import _common
from tfgle.layers import _conv_base

AGGREGATORS = ("mean", "sum", "max")


class MPNNBase(_conv_base.Conv):
  """Edge-conditioned convolution (NNConv / ECC; Gilmer et al. 2017, Simonovsky and Komodakis
  2017): each edge's features choose the matrix that maps its sender into a message.

    h_e = act(e W_e + b_e)                              the edge network's hidden layer [H]
    Theta(e) = reshape(h_e W_h + b_h, [D_send, units])  its output: a matrix per edge
    m = x_send Theta(e)                                 the message
    out = x_recv W_root + agg(m) + b                    agg over each receiver's edges

  Theta(e) is never built: with x_send [W_b | W_h] (W_h rearranged to
  [D_send, H * units]) the message is x_send W_b + sum_h h_e[h] (x_send W_h)[h],
  which costs [edges, (H + 1) * units] instead of [edges, D_send * units], and
  whose node-wise part x_send [W_b | W_h] is the `pretransform` (computed once
  per node). The result equals PyG's NNConv with nn = Linear -> act -> Linear.
  """

  takes_relations = True  # EgoLayer passes the edge features where relations go
  takes_edge_features = True

  def __init__(self, units: int, *, edge_units: int = 16, edge_activation="relu",
               aggregator: str = "mean", root_weight: bool = True, **kwargs):
    super().__init__(units, **kwargs)
    cls = type(self).__name__
    self.edge_units = _common.check_positive_int(cls, "edge_units", edge_units)
    self.edge_activation = tf.keras.activations.get(edge_activation)
    self.aggregator = _common.check_choice(cls, "aggregator", aggregator, AGGREGATORS)
    self.root_weight = bool(root_weight)

  def build_weights(self, d_receiver, d_sender):
    hidden = self.edge_units
    self.edge_kernel = self._add_kernel("edge_kernel", (self._edge_dim, hidden))
    self.edge_bias = self.add_weight(name="edge_bias", shape=(hidden,), initializer="zeros",
                                     trainable=True)
    # Columns [W_b | W_h[0] | ... | W_h[H-1]], each [D_send, units].
    self.message_kernel = self._add_kernel("message_kernel",
                                           (d_sender, (hidden + 1) * self.units))
    self.root_kernel = (self._add_kernel("root_kernel", (d_receiver, self.units))
                        if self.root_weight else None)
    self.bias = self._add_bias("bias", (self.units,))

  def pretransform(self, nodes):
    """x [W_b | W_h] (and x W_root) of each node, when receivers and senders have one dim."""
    if self.root_kernel is not None and self.root_kernel.shape[0] != self.message_kernel.shape[0]:
      return None
    out = {"message": _common.linear(nodes, self.message_kernel)}
    if self.root_kernel is not None:
      out["root"] = _common.linear(nodes, self.root_kernel)
    return out

  def convolve(self, receiver, sender, adjacency, *, training=None, pretransformed=False):
    del training
    if adjacency.edge_features is None:
      raise ValueError(f"{type(self).__name__}: the edge features are missing")
    sent = sender["message"] if pretransformed else _common.linear(sender, self.message_kernel)
    per_edge = adjacency.from_sender(sent)  # [edges..., (H + 1) * units]
    per_edge = tf.reshape(per_edge, tf.concat(
        [tf.shape(per_edge)[:-1], [self.edge_units + 1, self.units]], 0))
    hidden = self.edge_activation(_common.linear(adjacency.edge_values(), self.edge_kernel,
                                                 self.edge_bias))  # [edges..., H]
    weights = tf.concat([tf.ones_like(hidden[..., :1]), hidden], -1)  # 1 for the W_b part
    messages = tf.reduce_sum(per_edge * weights[..., tf.newaxis], axis=-2)  # [edges..., units]
    if adjacency.weight is not None:
      messages *= adjacency.weight[:, tf.newaxis]
    out = adjacency.pool(messages, self.aggregator)
    if self.root_kernel is not None:
      out += receiver["root"] if pretransformed else _common.linear(receiver, self.root_kernel)
    return self._output(out)

  def compute_output_shape(self, input_shape):
    return tf.TensorShape(input_shape[0])[:-1].concatenate([self.units])

  def _conv_config(self) -> dict:
    return {"edge_units": self.edge_units,
            "edge_activation": tf.keras.activations.serialize(self.edge_activation),
            "aggregator": self.aggregator, "root_weight": self.root_weight}
