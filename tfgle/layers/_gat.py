"""Graph attention's math, shared by `EgoGATConv` and `GATConv` (private)."""
from __future__ import annotations

import tensorflow as tf

from tfgle.layers import _common
from tfgle.layers import _conv_base


class GATBase(_conv_base.Conv):
  """Multi-head GAT: z = x W; e = LeakyReLU(a_recv . z_recv + a_send . z_send) per edge;
  alpha = softmax of e over each receiver's edges; out = sum alpha z_send.

  Heads are concatenated or averaged, then bias and activation. Subclasses
  create the weights (`build_weights`, with `_add_edge_kernel`), name them by
  role in `_roles()` and say whether receivers attend to themselves
  (`adds_self_loops`).

  With use_edge_features each edge's features e (self loops: the mean of the
  receiver's real edges', as PyG's fill_value="mean") join its sender's
  projection: z_send' = z_send + e W_edge, in the attention logit and in the
  message, as TF-GNN's GATv2Conv(sender_edge_feature=...) does. (PyG's
  `edge_dim` adds them to the logits only; a receiver whose senders look alike
  could then not tell its edges apart in its output, whatever the attention.)
  """

  def __init__(self, units: int, *, heads: int = 1, concat_heads: bool = True,
               negative_slope: float = 0.2, attention_dropout: float = 0.0,
               use_edge_features: bool = False, **kwargs):
    super().__init__(units, **kwargs)
    cls = type(self).__name__
    if not isinstance(use_edge_features, bool):
      raise ValueError(f"{cls}: use_edge_features must be True or False, got "
                       f"{use_edge_features!r}")
    self.use_edge_features = use_edge_features
    self.takes_relations = self.takes_edge_features = use_edge_features
    self.heads = _common.check_positive_int(cls, "heads", heads)
    self.concat_heads = bool(concat_heads)
    self.negative_slope = _common.check_non_negative(cls, "negative_slope", negative_slope)
    self.attention_dropout = _common.check_rate(cls, "attention_dropout", attention_dropout)
    self._dropout = tf.keras.layers.Dropout(self.attention_dropout, dtype=self.dtype_policy)

  @property
  def output_dim(self) -> int:
    return self.heads * self.units if self.concat_heads else self.units

  @property
  def adds_self_loops(self) -> bool:
    raise NotImplementedError

  def _roles(self):
    """(receiver kernel, sender kernel, receiver attention, sender attention)."""
    raise NotImplementedError

  def _add_edge_kernel(self):
    """W_edge [F, heads * units] with use_edge_features, else None."""
    self.edge_kernel = None
    if self.use_edge_features:
      self.edge_kernel = self._add_kernel("edge_kernel", (self._edge_dim, self.heads * self.units))

  def _project(self, x, kernel):
    """x W split into heads: [..., heads, units]."""
    z = _common.linear(x, kernel)
    return tf.reshape(z, tf.concat([tf.shape(z)[:-1], [self.heads, self.units]], 0))

  def pretransform(self, nodes):
    """z = x W of each node, when receivers and senders share W."""
    receiver_kernel, sender_kernel, _, _ = self._roles()
    return self._project(nodes, receiver_kernel) if sender_kernel is receiver_kernel else None

  def convolve(self, receiver, sender, adjacency, *, training=None, pretransformed=False):
    receiver_kernel, sender_kernel, receiver_attention, sender_attention = self._roles()
    if pretransformed:
      z_receiver, z_sender = receiver, sender
    else:
      z_receiver = self._project(receiver, receiver_kernel)
      z_sender = (z_receiver if sender is receiver and sender_kernel is receiver_kernel
                  else self._project(sender, sender_kernel))
    if self.adds_self_loops:
      adjacency = adjacency.with_self_loops()
    # With Ego self loops each receiver is also a sender: of its own z.
    own = z_receiver if adjacency.needs_receiver_values else None
    own_score = (None if own is None
                 else tf.reduce_sum(own * sender_attention, axis=-1))
    logits = adjacency.from_receiver(tf.reduce_sum(z_receiver * receiver_attention, axis=-1))
    logits += adjacency.from_sender(tf.reduce_sum(z_sender * sender_attention, axis=-1),
                                    own_score)
    z_edge = None
    if self.use_edge_features:  # z_send' = z_send + e W_edge, per edge
      z_edge = self._project(adjacency.edge_values(), self.edge_kernel)  # [edges..., H, U]
      logits += tf.reduce_sum(z_edge * sender_attention, axis=-1)
    logits = tf.nn.leaky_relu(logits, alpha=self.negative_slope)  # [edges..., H]
    alpha = self._dropout(adjacency.softmax(logits), training=training)
    values = adjacency.from_sender(z_sender, own)  # [edges..., H, U]
    if z_edge is not None:
      values += z_edge
    out = adjacency.pool(values * alpha[..., tf.newaxis], "sum")  # [..., H, U]
    if self.concat_heads:
      out = tf.reshape(out, tf.concat([tf.shape(out)[:-2], [self.heads * self.units]], 0))
    else:
      out = tf.reduce_mean(out, axis=-2)
    return self._output(out)

  def compute_output_shape(self, input_shape):
    x_shape = tf.TensorShape(input_shape[0])
    return x_shape[:-1].concatenate([self.output_dim])

  def _conv_config(self) -> dict:
    return {"heads": self.heads, "concat_heads": self.concat_heads,
            "negative_slope": self.negative_slope, "attention_dropout": self.attention_dropout,
            "use_edge_features": self.use_edge_features}
