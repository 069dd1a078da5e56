"""`EgoTGAT`: temporal graph attention (TGAT) over EgoGraph batches with time deltas."""
from __future__ import annotations

from typing import Sequence

import tensorflow as tf

from tfgle.data.ego_graph import hop_name
from tfgle.layers import EgoTGATConv
from . import _base  # pylint: disable=g-bad-import-order
from . import _ego


@tf.keras.utils.register_keras_serializable(package="tfgle")
class EgoTGAT(_ego.EgoModel):
  """TGAT (Xu et al. 2020) on K-hop EgoGraphs sampled before each seed's time, as GLE's EgoTGAT.

  Every hop is encoded by a FeatureEncoder; K levels of `EgoTGATConv` let hop
  i attend over its sampled neighbors in hop i+1, each with the encoding of
  its time span (`time_key` of hop i+1: the seed's time minus the time of the
  edge that reached it), and merge the result with its own features. Hop 0's
  result is the seeds' embedding (width hidden_dims[-1]). Batches come from
  `tfgle.data.ego_graph_dataset` / `link_ego_graph_dataset` with `before=`
  (no edge at or after a seed's time is sampled), usually
  `strategy="topk"` (the latest neighbors) and `time_deltas=True`. Without
  `num_classes` the model returns embeddings and trains on link batches as
  `EgoGraphSAGE` does.

  Example:
    ds = tfgle.data.link_ego_graph_dataset(g, "rates", ["rates", "rated_by"],
                                           ["rated_by", "rates"], [10, 5],
                                           before="edge", strategy="topk",
                                           time_deltas=True)
    model = EgoTGAT.from_graph(g, "node", id_embedding_dim=32, hidden_dims=[32, 32])
    model.compile(tf.keras.optimizers.Adam(1e-3))   # LinkPredictionLoss
    model.fit(ds, epochs=5)

  Args:
    features: feature name -> spec of the nodes (node type -> specs with
      node_types).
    hidden_dims: width of each level; K = len(hidden_dims) hops.
    heads: attention heads of every level (each of width hidden_dims[i]).
    time_dim: width of every level's time encoding.
    max_exponent: the time encodings' slowest initial frequency is
      10^-max_exponent (see `tfgle.layers.TimeEncoding`).
    attention_dropout: dropout rate on the attention coefficients.
    time_key: the entry of hops 1..K that holds the time spans.
    num_classes, head, node_types, encoder_dim, activation, dropout,
    normalize, kernel_regularizer, dedupe_nodes, raw: see `models._ego.EgoModel`.

  Call args / returns: as `EgoGraphSAGE`; hops 1..K need `time_key`.

  Raises:
    ValueError: bad arguments (naming them), a batch without the time_key
      entry or whose number of hops is not len(hidden_dims).
  """

  def __init__(self, features, *, hidden_dims: Sequence[int] = (32, 32), heads: int = 2,
               time_dim: int = 16, max_exponent: float = 9.0,
               attention_dropout: float = 0.0, time_key: str = "time_delta", **kwargs):
    super().__init__(features, hidden_dims=hidden_dims, **kwargs)
    cls = "EgoTGAT"
    self.heads = _base.check_positive_int(cls, "heads", heads)
    self.time_dim = _base.check_positive_int(cls, "time_dim", time_dim)
    if isinstance(max_exponent, bool) or not isinstance(max_exponent, (int, float)) or not (
        max_exponent > 0):
      raise ValueError(f"{cls}: max_exponent must be a number > 0, got {max_exponent!r}")
    self.max_exponent = float(max_exponent)
    self.attention_dropout = _base.check_rate(cls, "attention_dropout", attention_dropout)
    if not isinstance(time_key, str) or not time_key:
      raise ValueError(f"{cls}: time_key must be a non-empty string, got {time_key!r}")
    self.time_key = time_key
    self._make_levels()

  def _make_conv(self, units, logits):
    del logits  # the merge layer's output has any width
    return EgoTGATConv(units, heads=self.heads, time_dim=self.time_dim,
                       max_exponent=self.max_exponent,
                       attention_dropout=self.attention_dropout,
                       kernel_regularizer=self.kernel_regularizer)

  def _relations(self, batch, masks):
    """The time spans into hop 1..K (EgoLayer passes them where relations go)."""
    spans = []
    for i in range(1, len(masks)):
      hop = batch[hop_name(i)]
      if self.time_key not in hop:
        raise ValueError(
            f"EgoTGAT: batch['{hop_name(i)}'] has no time spans time_key={self.time_key!r}; "
            f"it has {sorted(hop)}. Sample with before= and time_deltas=True "
            "(tfgle.data.ego_graph_dataset, link_ego_graph_dataset)")
      spans.append(tf.cast(hop[self.time_key], tf.float32))
    return spans

  def _dummy_batch(self):
    batch = super()._dummy_batch()
    for i in range(1, self.num_hops + 1):
      batch[hop_name(i)][self.time_key] = tf.zeros([1] * (i + 1), tf.int64)
    return batch

  def _model_config(self) -> dict:
    return {**super()._model_config(), "heads": self.heads, "time_dim": self.time_dim,
            "max_exponent": self.max_exponent, "attention_dropout": self.attention_dropout,
            "time_key": self.time_key}
