"""`GAT`: graph attention network over SubGraph batches."""
from __future__ import annotations

from typing import Sequence

import tensorflow as tf

from tfgle.layers import GATConv
from . import _base  # pylint: disable=g-bad-import-order
from . import _edges
from . import _subgraph


@tf.keras.utils.register_keras_serializable(package="tfgle")
class GAT(_edges.EdgeFeatureArgs, _base.AttentionArgs, _subgraph.SubGraphModel):
  """GAT (Velickovic et al. 2018) on SubGraph batches.

  The nodes of a SubGraph are encoded by a FeatureEncoder, then L multi-head
  `GATConv` layers attend over each node's in-edges (and itself); the seeds'
  rows, after the activation, are their embeddings (width heads *
  hidden_dims[-1] with concat_heads). With `num_classes` a Dense head gives
  logits. With `edge_features` the batch's edge features ("edges", sampled
  with `subgraph_dataset(..., edge_features=...)`) are encoded by an edge
  FeatureEncoder and join each edge's sender projection in every layer
  (`GATConv(use_edge_features=True)`).

  Example:
    model = GAT.from_graph(graph, "paper", multi_hot=["words"], hidden_dims=[8, 8],
                           heads=8, num_classes=7, dropout=0.6, attention_dropout=0.6)

  Args:
    features: feature name -> spec of the nodes.
    hidden_dims: width per head of each GAT layer.
    num_classes: the number of classes (logits [B, num_classes]), or None
      (embeddings).
    head: "dense" (a Dense layer on the embeddings) or "conv" (a last
      convolution of width num_classes) gives the logits.
    heads: attention heads of every layer.
    concat_heads: concatenate (True) or average the heads.
    attention_dropout: dropout rate on the attention coefficients.
    negative_slope: LeakyReLU slope of the attention logits.
    add_self_loops: every node also attends to itself.
    edge_features: edge feature name -> spec (None: none); `from_graph(...,
      edge_type=...)` takes them from the graph.
    encoder_dim, activation, dropout, normalize, kernel_regularizer, raw: see
      `models._subgraph.SubGraphModel`.

  Call args / returns: as `GCN`.

  Raises:
    ValueError: bad arguments (naming them, e.g. heads <= 0), a batch that is
      not a SubGraph.
  """

  def __init__(self, features, *, hidden_dims: Sequence[int] = (8, 8), heads: int = 8,
               concat_heads: bool = True, attention_dropout: float = 0.0,
               negative_slope: float = 0.2, add_self_loops: bool = True, activation="elu",
               edge_features=None, **kwargs):
    super().__init__(features, hidden_dims=hidden_dims, activation=activation, **kwargs)
    self._init_attention(heads=heads, concat_heads=concat_heads,
                         attention_dropout=attention_dropout, negative_slope=negative_slope)
    self.add_self_loops = bool(add_self_loops)
    self._init_edge_features(edge_features)
    self._make_convs()

  def _make_conv(self, units, logits):
    return GATConv(units, add_self_loops=self.add_self_loops,
                   use_edge_features=self.uses_edge_features,
                   **self._attention_conv_args(logits))

  def _edge_inputs(self, batch):
    return self.subgraph_edge_inputs(batch)

  def _dummy_batch(self):
    return self.with_dummy_edges(super()._dummy_batch())

  def _model_config(self) -> dict:
    return {**super()._model_config(), **self._attention_config(),
            "add_self_loops": self.add_self_loops, **self._edge_config()}
