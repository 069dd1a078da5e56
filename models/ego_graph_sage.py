"""`EgoGraphSAGE`: GraphSAGE over EgoGraph batches (node classification, embeddings)."""
from __future__ import annotations

from typing import Sequence

import tensorflow as tf

from tfgle.layers import EgoSAGEConv
from tfgle.layers.ego_sage_conv import AGGREGATORS
from . import _ego  # pylint: disable=g-bad-import-order


@tf.keras.utils.register_keras_serializable(package="tfgle")
class EgoGraphSAGE(_ego.EgoModel):
  """GraphSAGE (Hamilton et al. 2017) on K-hop EgoGraphs, as in GLE's EgoGraphSAGE.

  Every hop is encoded by a FeatureEncoder; K levels of `EgoSAGEConv`
  aggregate hop i+1 into hop i; hop 0's result, after the activation, is the
  embedding of the batch's seeds. With `num_classes` a Dense head turns it
  into logits (supervised node classification). Without, the model returns
  the embeddings, and trains unsupervised on `link_ego_graph_dataset` batches
  ({"src", "dst", "neg"} EgoGraphs): it then outputs link scores [B, 1 + N]
  and `compute_loss` uses the sigmoid cross-entropy of positives (column 0)
  and negatives, so `model.fit(link_dataset)` needs no loss argument.

  Example:
    graph, info = tfgle.datasets.load_citation(path)
    model = EgoGraphSAGE.from_graph(graph, "paper", multi_hot=["words"],
                                    hidden_dims=[64, 64], num_classes=7, dropout=0.5)
    model.compile("adam", loss=tfgle.losses.SoftmaxCrossEntropy())
    model.fit(tfgle.data.ego_graph_dataset(graph, "train", ["cites", "cites"], [10, 5]))
    embeddings = model.embed(ego_batch)            # [B, 64]

    # Unsupervised (link prediction):
    model = EgoGraphSAGE.from_graph(graph, "paper", hidden_dims=[64, 64], normalize=True)
    model.compile("adam")
    model.fit(tfgle.data.link_ego_graph_dataset(graph, "cites", ["cites"] * 2, ["cites"] * 2,
                                             [10, 5]))

  Args:
    features: feature name -> spec of the nodes (node type -> specs with
      node_types).
    hidden_dims: width of each level; K = len(hidden_dims) hops.
    num_classes: the number of classes (logits [B, num_classes]), or None
      (embeddings / link prediction).
    head: "dense" (a Dense layer on the embeddings) or "conv" (a last
      convolution of width num_classes) gives the logits.
    aggregator: "mean", "sum", "max", "gcn" or "pool" (see EgoSAGEConv).
    node_types, encoder_dim, activation, dropout, normalize,
    kernel_regularizer, dedupe_nodes, raw: see `models._ego.EgoModel`.

  Call args:
    inputs: an EgoGraph {"hop0": ..., "hopK": ...} (hop i: "mask" and the
      features, leading shape [B, k1..ki]); or {"src", "dst", "neg"} EgoGraphs.
    training: enables dropout.

  Call returns:
    logits [B, num_classes], or embeddings [B, D]; link scores [B, 1 + N].

  Raises:
    ValueError: bad arguments (naming them), or a batch whose number of hops
      is not len(hidden_dims).
  """

  def __init__(self, features, *, hidden_dims: Sequence[int] = (64, 64),
               aggregator: str = "mean", **kwargs):
    super().__init__(features, hidden_dims=hidden_dims, **kwargs)
    if aggregator not in AGGREGATORS:
      raise ValueError(f"EgoGraphSAGE: aggregator must be one of {list(AGGREGATORS)}, got "
                       f"{aggregator!r}")
    self.aggregator = aggregator
    self._make_levels()

  def _make_conv(self, units, logits):
    return EgoSAGEConv(units, aggregator=self.aggregator,
                       kernel_regularizer=self.kernel_regularizer)

  def _model_config(self) -> dict:
    return {**super()._model_config(), "aggregator": self.aggregator}
