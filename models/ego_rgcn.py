"""`EgoRGCN`: relational GCN over EgoGraph batches (node classification, embeddings)."""
from __future__ import annotations

from typing import Optional, Sequence

import tensorflow as tf

from tfgle.data.ego_graph import hop_name
from tfgle.layers import EgoRGCNConv
from tfgle.layers.ego_rgcn_conv import AGGREGATORS
from . import _base  # pylint: disable=g-bad-import-order
from . import _ego


@tf.keras.utils.register_keras_serializable(package="tfgle")
class EgoRGCN(_ego.EgoModel):
  """R-GCN (Schlichtkrull et al. 2018) on K-hop EgoGraphs, as in GLE's EgoRGCN.

  Every hop is encoded by a FeatureEncoder; K levels of `EgoRGCNConv`
  aggregate hop i+1 into hop i with one weight per relation (shared bases
  with num_bases). The relation of each sampled edge is read from the batch
  (hop i's entry `relation_key`, int [B, k1..ki]) or, without relation_key,
  is the relation of the meta-path step into hop i (`hop_relations[i - 1]`):
  an EgoGraph along the meta-path ["buys", "bought_by"] has relation 0 into
  hop 1 and 1 into hop 2 with hop_relations=[0, 1]. With `num_classes` a
  Dense head gives logits; without, the model returns embeddings.

  Example:
    model = EgoRGCN.from_graph(graph, node_types=["user", "item", "user"],
                               num_relations=2, hop_relations=[0, 1],
                               hidden_dims=[32, 32], encoder_dim=32, num_classes=4)

  Args:
    features: feature name -> spec of the nodes (node type -> specs with
      node_types).
    hidden_dims: width of each level; K = len(hidden_dims) hops.
    num_relations: number of relations R; relation ids are in [0, R).
    num_bases: basis decomposition of the relation weights (None: full).
    aggregator: "mean" (per relation) or "sum".
    relation_key: the batch entry (hops 1..K) holding each edge's relation.
    hop_relations: without relation_key, the relation into hop 1..K (default
      all 0).
    num_classes, head, node_types, encoder_dim, activation, dropout,
    normalize, kernel_regularizer, dedupe_nodes, raw: see `models._ego.EgoModel`.

  Call args / returns: as `EgoGraphSAGE`.

  Raises:
    ValueError: bad arguments (naming them), hop_relations outside
      [0, num_relations) or of the wrong length, a batch without the
      relation_key entry or whose number of hops is not len(hidden_dims).
  """

  def __init__(self, features, *, hidden_dims: Sequence[int] = (64, 64),
               num_relations: int = 1, num_bases: Optional[int] = None,
               aggregator: str = "mean", relation_key: Optional[str] = None,
               hop_relations: Optional[Sequence[int]] = None, **kwargs):
    super().__init__(features, hidden_dims=hidden_dims, **kwargs)
    cls = "EgoRGCN"
    self.num_relations = _base.check_positive_int(cls, "num_relations", num_relations)
    if num_bases is not None:
      _base.check_positive_int(cls, "num_bases", num_bases)
      if num_bases > num_relations:
        raise ValueError(f"{cls}: num_bases must be <= num_relations={num_relations}, got "
                         f"{num_bases}")
    self.num_bases = num_bases
    if aggregator not in AGGREGATORS:
      raise ValueError(f"{cls}: aggregator must be one of {list(AGGREGATORS)}, got "
                       f"{aggregator!r}")
    self.aggregator = aggregator
    if relation_key is not None and (not isinstance(relation_key, str) or not relation_key):
      raise ValueError(f"{cls}: relation_key must be a non-empty string or None, got "
                       f"{relation_key!r}")
    self.relation_key = relation_key
    k = self.num_hops
    if hop_relations is None:
      hop_relations = [0] * k
    if isinstance(hop_relations, (str, bytes)) or not isinstance(
        hop_relations, (list, tuple)) or len(hop_relations) != k or any(
            isinstance(r, bool) or not isinstance(r, int) or not 0 <= r < num_relations
            for r in hop_relations):
      raise ValueError(f"{cls}: hop_relations must hold the relation id in [0, "
                       f"num_relations={num_relations}) of each of the {k} hops after hop 0, "
                       f"got {hop_relations!r}")
    self.hop_relations = [int(r) for r in hop_relations]
    self._make_levels()

  def _make_conv(self, units, logits):
    return EgoRGCNConv(units, num_relations=self.num_relations, num_bases=self.num_bases,
                       aggregator=self.aggregator, kernel_regularizer=self.kernel_regularizer)

  def _relations(self, batch, masks):
    relations = []
    for i in range(1, len(masks)):
      hop = batch[hop_name(i)]
      if self.relation_key is None:
        relations.append(tf.fill(tf.shape(masks[i]),
                                 tf.constant(self.hop_relations[i - 1], tf.int64)))
      elif self.relation_key not in hop:
        raise ValueError(f"EgoRGCN: batch['{hop_name(i)}'] has no relation entry "
                         f"relation_key={self.relation_key!r}; it has {sorted(hop)}")
      else:
        relations.append(hop[self.relation_key])
    return relations

  def _dummy_batch(self):
    batch = super()._dummy_batch()
    if self.relation_key is not None:
      for i in range(1, self.num_hops + 1):
        batch[hop_name(i)][self.relation_key] = tf.zeros([1] * (i + 1), tf.int64)
    return batch

  def _model_config(self) -> dict:
    return {**super()._model_config(), "num_relations": self.num_relations,
            "num_bases": self.num_bases, "aggregator": self.aggregator,
            "relation_key": self.relation_key, "hop_relations": list(self.hop_relations)}
