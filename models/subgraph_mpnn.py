"""`MPNN`: an edge-network MPNN over SubGraph batches with edge features."""
from __future__ import annotations

from typing import Sequence

import tensorflow as tf

from tfgle.layers import MPNNConv
from . import _edges  # pylint: disable=g-bad-import-order
from . import _subgraph


@tf.keras.utils.register_keras_serializable(package="tfgle")
class MPNN(_edges.EdgeNetworkArgs, _subgraph.SubGraphModel):
  """The MPNN of Gilmer et al. 2017 with its edge network (NNConv / ECC) on SubGraph batches.

  The nodes of a SubGraph are encoded by a FeatureEncoder and its edges'
  features ("edges", sampled with `subgraph_dataset(..., edge_features=...)`)
  by an edge FeatureEncoder; L `MPNNConv` layers send every edge's message
  through a matrix that its features choose. The seeds' rows, after the
  activation, are their embeddings; with `num_classes` a Dense head gives
  logits.

  Example:
    model = MPNN.from_graph(graph, "atom", edge_type="bond", hidden_dims=[32, 32],
                            num_classes=2)
    ds = tfgle.data.subgraph_dataset(graph, "train", ["bond", "bond"], [10, 5],
                                     edge_features=True)

  Args:
    features: feature name -> spec of the nodes.
    edge_features: edge feature name -> spec (required); `from_graph(...,
      edge_type=...)` takes them from the graph.
    hidden_dims: width of each layer.
    edge_units: width of the edge network's hidden layer.
    aggregator: "mean", "sum" or "max" of the messages.
    num_classes, head, encoder_dim, activation, dropout, normalize,
    kernel_regularizer, raw: see `models._subgraph.SubGraphModel`.

  Call args / returns: as `GCN`; the batch needs "edges".

  Raises:
    ValueError: bad arguments (naming them, e.g. no edge_features), a batch
      that is not a SubGraph or has no "edges".
  """

  def __init__(self, features, *, edge_features=None, hidden_dims: Sequence[int] = (32, 32),
               edge_units: int = 16, aggregator: str = "mean", **kwargs):
    super().__init__(features, hidden_dims=hidden_dims, **kwargs)
    self._init_edge_network(edge_features=edge_features, edge_units=edge_units,
                            aggregator=aggregator)
    self._make_convs()

  def _make_conv(self, units, logits):
    del logits
    return MPNNConv(units, **self._edge_network_conv_args())

  def _edge_inputs(self, batch):
    return self.subgraph_edge_inputs(batch)

  def _dummy_batch(self):
    return self.with_dummy_edges(super()._dummy_batch())

  def _model_config(self) -> dict:
    return {**super()._model_config(), **self._edge_network_config()}
