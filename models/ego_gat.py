"""`EgoGAT`: graph attention over EgoGraph batches (node classification, embeddings)."""
from __future__ import annotations

from typing import Optional, Sequence

import tensorflow as tf

from tfgle.layers import EgoGATConv
from tfgle.layers import aggregation
from . import _base  # pylint: disable=g-bad-import-order
from . import _ego


@tf.keras.utils.register_keras_serializable(package="tfgle")
class EgoGAT(_ego.EgoModel):
  """GAT (Velickovic et al. 2018) on K-hop EgoGraphs, as in GLE's EgoGAT.

  Every hop is encoded by a FeatureEncoder; K levels of multi-head
  `EgoGATConv` let hop i attend over its sampled neighbors in hop i+1 (and
  itself); hop 0's result, after the activation, is the seeds' embedding of
  width heads * hidden_dims[-1] (concat_heads) or hidden_dims[-1]. With
  `num_classes` a Dense head gives logits. Without, the model returns the
  embeddings and trains on link batches as `EgoGraphSAGE` does.

  Example:
    model = EgoGAT.from_graph(graph, "paper", multi_hot=["words"], hidden_dims=[8, 8],
                              heads=8, num_classes=7, dropout=0.6, attention_dropout=0.6,
                              activation="elu")
    logits = model(ego_batch)        # [B, 7]
    embeddings = model.embed(ego_batch)   # [B, 64]

  Args:
    features: feature name -> spec of the nodes (node type -> specs with
      node_types).
    hidden_dims: width per head of each level; K = len(hidden_dims) hops.
    num_classes: the number of classes (logits [B, num_classes]), or None
      (embeddings / link prediction).
    head: "dense" (a Dense layer on the embeddings) or "conv" (a last
      convolution of width num_classes) gives the logits.
    heads: attention heads of every level.
    concat_heads: concatenate the heads (True) or average them.
    attention_dropout: dropout rate on the attention coefficients.
    negative_slope: LeakyReLU slope of the attention logits.
    node_types, encoder_dim, activation, dropout, normalize,
    kernel_regularizer, dedupe_nodes, raw: see `models._ego.EgoModel`.

  Call args / returns: as `EgoGraphSAGE`.

  Raises:
    ValueError: bad arguments (naming them, e.g. heads <= 0), or a batch whose
      number of hops is not len(hidden_dims).
  """

  def __init__(self, features, *, hidden_dims: Sequence[int] = (8, 8),
               num_classes: Optional[int] = None, head: str = "dense", heads: int = 8,
               concat_heads: bool = True,
               attention_dropout: float = 0.0, negative_slope: float = 0.2,
               node_types: Optional[Sequence[str]] = None, encoder_dim: Optional[int] = None,
               activation="elu", dropout: float = 0.0, normalize: bool = False,
               kernel_regularizer=None, dedupe_nodes: bool = True, raw: bool = False,
               **kwargs):
    super().__init__(features, hidden_dims=hidden_dims, num_classes=num_classes, head=head,
                     node_types=node_types, encoder_dim=encoder_dim, activation=activation,
                     dropout=dropout, normalize=normalize,
                     kernel_regularizer=kernel_regularizer, dedupe_nodes=dedupe_nodes, raw=raw,
                     **kwargs)
    self.heads = _base.check_positive_int("EgoGAT", "heads", heads)
    self.concat_heads = bool(concat_heads)
    self.attention_dropout = _base.check_rate("EgoGAT", "attention_dropout", attention_dropout)
    if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float)) or (
        negative_slope < 0):
      raise ValueError(f"EgoGAT: negative_slope must be a float >= 0, got {negative_slope!r}")
    self.negative_slope = float(negative_slope)
    self._make_levels()

  def _make_conv(self, units, logits):
    # The logits' level averages its heads (as the GAT paper's output layer).
    return EgoGATConv(units, heads=self.heads, concat_heads=self.concat_heads and not logits,
                      attention_dropout=self.attention_dropout,
                      negative_slope=self.negative_slope,
                      share_weights=self.node_types is None,
                      kernel_regularizer=self.kernel_regularizer)

  @property
  def embedding_dim(self) -> int:
    return self.hidden_dims[-1] * (self.heads if self.concat_heads else 1)

  def _first_level(self, nodes, positions, masks, training):
    """Level 0 with the projection z = x W applied to the distinct nodes.

    EgoGATConv projects every node before attending, so projecting the U
    distinct nodes once and gathering z computes exactly what the level's
    conv computes (one shared projection: homogeneous models only).
    """
    conv = self.levels[0].conv
    if not conv.built or not conv.share_weights:
      return None
    heads, units = conv.heads, conv.units
    z = tf.reshape(tf.matmul(nodes, conv.self_kernel), [-1, heads, units])  # [U, H, U']
    score_self = tf.reduce_sum(z * conv.attention_self, axis=-1)  # [U, H]
    score_neighbor = tf.reduce_sum(z * conv.attention_neighbor, axis=-1)
    out = []
    for i in range(len(positions) - 1):
      self_mask, neighbor_mask = masks[i], masks[i + 1]
      # Padding entries are zeros in the conv (EgoLayer zeroes them): so are their
      # projections and scores here.
      z_self = aggregation.zero_masked(tf.gather(z, positions[i]), self_mask)
      z_nbr = aggregation.zero_masked(tf.gather(z, positions[i + 1]), neighbor_mask)
      dst = aggregation.zero_masked(tf.gather(score_self, positions[i]), self_mask)
      dst = dst[..., tf.newaxis, :]
      logits = dst + aggregation.zero_masked(tf.gather(score_neighbor, positions[i + 1]),
                                             neighbor_mask)
      values, attend = z_nbr, neighbor_mask
      if conv.add_self_loop:
        self_logit = dst + aggregation.zero_masked(
            tf.gather(score_neighbor, positions[i]), self_mask)[..., tf.newaxis, :]
        logits = tf.concat([self_logit, logits], axis=-2)
        values = tf.concat([z_self[..., tf.newaxis, :, :], z_nbr], axis=-3)
        attend = tf.concat([tf.ones_like(neighbor_mask[..., :1]), neighbor_mask], axis=-1)
      logits = tf.nn.leaky_relu(logits, alpha=conv.negative_slope)
      alpha = aggregation.masked_softmax(logits, attend[..., tf.newaxis], axis=-2)
      alpha = conv._dropout(alpha, training=training)  # pylint: disable=protected-access
      h = tf.reduce_sum(alpha[..., tf.newaxis] * values, axis=-3)  # [..., H, U']
      if conv.concat_heads:
        h = tf.reshape(h, tf.concat([tf.shape(h)[:-2], [heads * units]], 0))
      else:
        h = tf.reduce_mean(h, axis=-2)
      if conv.bias is not None:
        h = tf.nn.bias_add(h, conv.bias)
      out.append(conv.activation(h))
    return out

  def _model_config(self) -> dict:
    return {**super()._model_config(), "heads": self.heads, "concat_heads": self.concat_heads,
            "attention_dropout": self.attention_dropout, "negative_slope": self.negative_slope}
