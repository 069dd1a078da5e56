"""`EgoGAT`: graph attention over EgoGraph batches (node classification, embeddings)."""
from __future__ import annotations

from typing import Sequence

import tensorflow as tf

from tfgle.layers import EgoGATConv
from . import _base  # pylint: disable=g-bad-import-order
from . import _edges
from . import _ego


@tf.keras.utils.register_keras_serializable(package="tfgle")
class EgoGAT(_edges.EdgeFeatureArgs, _base.AttentionArgs, _ego.EgoModel):
  """GAT (Velickovic et al. 2018) on K-hop EgoGraphs, as in GLE's EgoGAT.

  Every hop is encoded by a FeatureEncoder; K levels of multi-head
  `EgoGATConv` let hop i attend over its sampled neighbors in hop i+1 (and
  itself); hop 0's result, after the activation, is the seeds' embedding of
  width heads * hidden_dims[-1] (concat_heads) or hidden_dims[-1]. With
  `num_classes` a Dense head gives logits. Without, the model returns the
  embeddings and trains on link batches as `EgoGraphSAGE` does.

  With `edge_features` the batches' edge features (hop i's "edges", sampled
  with `ego_graph_dataset(..., edge_features=...)`) are encoded by an edge
  FeatureEncoder and join each neighbor's projection in every level
  (`EgoGATConv(use_edge_features=True)`): in the attention and in the message.

  Example:
    model = EgoGAT.from_graph(graph, "paper", multi_hot=["words"], hidden_dims=[8, 8],
                              heads=8, num_classes=7, dropout=0.6, attention_dropout=0.6,
                              activation="elu")
    logits = model(ego_batch)        # [B, 7]
    embeddings = model.embed(ego_batch)   # [B, 64]

    # Edge features: the attributes of the edges of type "cites".
    model = EgoGAT.from_graph(graph, "paper", edge_type="cites", hidden_dims=[8, 8],
                              num_classes=7)
    ds = tfgle.data.ego_graph_dataset(graph, "train", ["cites", "cites"], [10, 5],
                                      edge_features=True)

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
    edge_features: edge feature name -> spec of the edges of every hop (None:
      the model reads no edge features); `from_graph(..., edge_type=...)`
      takes them from the graph.
    node_types, encoder_dim, activation, dropout, normalize,
    kernel_regularizer, dedupe_nodes, raw: see `models._ego.EgoModel`.

  Call args / returns: as `EgoGraphSAGE`.

  Raises:
    ValueError: bad arguments (naming them, e.g. heads <= 0), a batch whose
      number of hops is not len(hidden_dims), or (with edge_features) whose
      hops lack "edges".
  """

  def __init__(self, features, *, hidden_dims: Sequence[int] = (8, 8), heads: int = 8,
               concat_heads: bool = True, attention_dropout: float = 0.0,
               negative_slope: float = 0.2, activation="elu", edge_features=None, **kwargs):
    super().__init__(features, hidden_dims=hidden_dims, activation=activation, **kwargs)
    self._init_attention(heads=heads, concat_heads=concat_heads,
                         attention_dropout=attention_dropout, negative_slope=negative_slope)
    self._init_edge_features(edge_features)
    self._make_levels()

  def _make_conv(self, units, logits):
    # Neighbors of another node type (node_types) get their own projection.
    return EgoGATConv(units, share_weights=self.node_types is None,
                      use_edge_features=self.uses_edge_features,
                      **self._attention_conv_args(logits))

  def _relations(self, batch, masks):
    """The encoded edge features of hops 1..K (EgoLayer passes them where relations go)."""
    return self.ego_edge_inputs(batch, masks)

  def _dummy_batch(self):
    return self.with_dummy_edges(super()._dummy_batch())

  def _model_config(self) -> dict:
    return {**super()._model_config(), **self._attention_config(), **self._edge_config()}
