"""`EgoMPNN`: an edge-network MPNN over EgoGraph batches with edge features."""
from __future__ import annotations

from typing import Sequence

import tensorflow as tf

from tfgle.layers import EgoMPNNConv
from . import _edges  # pylint: disable=g-bad-import-order
from . import _ego


@tf.keras.utils.register_keras_serializable(package="tfgle")
class EgoMPNN(_edges.EdgeNetworkArgs, _ego.EgoModel):
  """The MPNN of Gilmer et al. 2017 with its edge network (NNConv / ECC) on K-hop EgoGraphs.

  Every hop is encoded by a FeatureEncoder, the edges that reached hops 1..K
  (hop i's "edges", sampled with `ego_graph_dataset(..., edge_features=...)`)
  by an edge FeatureEncoder; K levels of `EgoMPNNConv` send each neighbor's
  message through a matrix that its edge's features choose. Hop 0's result,
  after the activation, is the seeds' embedding. With `num_classes` a Dense
  head gives logits; without, the model returns embeddings and trains on link
  batches as `EgoGraphSAGE` does.

  Example:
    model = EgoMPNN.from_graph(graph, "atom", edge_type="bond", hidden_dims=[32, 32],
                               num_classes=2)
    ds = tfgle.data.ego_graph_dataset(graph, "train", ["bond", "bond"], [10, 5],
                                      edge_features=True)
    model.compile("adam", loss=tfgle.losses.SoftmaxCrossEntropy())
    model.fit(ds, epochs=10)

  Args:
    features: feature name -> spec of the nodes (node type -> specs with
      node_types).
    edge_features: edge feature name -> spec of the edges of every hop
      (required); `from_graph(..., edge_type=...)` takes them from the graph.
    hidden_dims: width of each level; K = len(hidden_dims) hops.
    edge_units: width of the edge network's hidden layer.
    aggregator: "mean", "sum" or "max" of the messages.
    num_classes, head, node_types, encoder_dim, activation, dropout,
    normalize, kernel_regularizer, dedupe_nodes, raw: see `models._ego.EgoModel`.

  Call args / returns: as `EgoGraphSAGE`; hops 1..K need "edges".

  Raises:
    ValueError: bad arguments (naming them, e.g. no edge_features), or a batch
      whose hops lack "edges" or whose number of hops is not len(hidden_dims).
  """

  def __init__(self, features, *, edge_features=None, hidden_dims: Sequence[int] = (32, 32),
               edge_units: int = 16, aggregator: str = "mean", **kwargs):
    super().__init__(features, hidden_dims=hidden_dims, **kwargs)
    self._init_edge_network(edge_features=edge_features, edge_units=edge_units,
                            aggregator=aggregator)
    self._make_levels()

  def _make_conv(self, units, logits):
    del logits
    return EgoMPNNConv(units, **self._edge_network_conv_args())

  def _relations(self, batch, masks):
    """The encoded edge features of hops 1..K (EgoLayer passes them where relations go)."""
    return self.ego_edge_inputs(batch, masks)

  def _dummy_batch(self):
    return self.with_dummy_edges(super()._dummy_batch())

  def _model_config(self) -> dict:
    return {**super()._model_config(), **self._edge_network_config()}
