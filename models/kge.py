"""`KGEModel`: the base of the knowledge-graph embedding models (TransE, DistMult, RotatE).

A KG embedding model keeps one vector per entity and per relation and a score
function f(head, relation, tail) (higher: more plausible), and trains on
`tfgle.data.triple_dataset` batches as BPRMF trains on its own: the model adds
its loss. `tfgle.ranking.evaluate_triples` ranks with its `score_tails` and
`score_heads`.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

import tensorflow as tf

from ._base import check_positive_int
from .mf_bpr import MASKED_LOGIT, check_l2, embedding_l2

LOSSES = ("margin", "softplus", "self_adversarial")


class KGEModel(tf.keras.Model):
  """Base of the KG embedding models: entity and relation tables, a score and its loss.

  Calling the model on a `tfgle.data.triple_dataset` batch gives the scores
  of the true triples and of their corruptions and adds the batch's loss,
  over a true triple's score s and its negatives' scores s_n (masked
  negatives left out):
    "margin"            mean_n max(0, margin - s + s_n)
    "softplus"          softplus(-s) + mean_n softplus(s_n)   (logistic)
    "self_adversarial"  -log sigmoid(margin + s) - sum_n w_n log sigmoid(-s_n - margin),
                        w = softmax(adversarial_temperature * s_n), held constant
  averaged over the batch, plus l2 / 2 * (the squared norms of the
  embeddings the batch uses) / B. `model.compile(optimizer)` needs no loss.

  A subclass defines `score_embeddings(head, relation, tail)` (broadcasting
  rows of the tables to scores) and `_default_entity_initializer()` /
  `_default_relation_initializer()`, and may widen the tables
  (`entity_width`, `relation_width`) or add config (`_model_config()`).

  Example:
    model = tfgle.models.DistMult(num_entities, num_relations, embedding_dim=64)
    scores = model({"head": [0], "relation": [2], "tail": [5],
                    "neg": [[1, 7]], "neg_head": [[True, False]]})   # [1, 3]
    model.score_tails([0], [2])                                      # [1, num_entities]

  Args:
    num_entities, num_relations: table sizes (dense indices).
    embedding_dim: the embedding width (RotatE: complex dimensions).
    loss: "margin", "softplus" or "self_adversarial" (default: the model's
      `default_loss`).
    margin: of "margin" (> 0) and "self_adversarial" (>= 0: RotatE's gamma);
      default: the model's `default_margin`.
    adversarial_temperature: of "self_adversarial" (>= 0; 0 weighs the
      negatives evenly).
    l2: weight of the embeddings' L2 penalty (>= 0).
    entity_initializer, relation_initializer: of the tables (defaults per model).

  Call args:
    inputs: {"head", "relation", "tail": int [B]; optionally "neg": int [B, N]
      entity indices, "neg_head": bool [B, N] (True: the negative replaces
      the head, else the tail; default all False) and "neg_mask": bool [B, N]}.

  Call returns:
    scores [B, 1 + N]: column 0 the true triples', then the negatives' (-1e9
    where neg_mask is False); [B, 1] without "neg".

  Raises:
    ValueError: a bad argument or inputs (naming them).
  """

  # Each model's defaults of `loss` and `margin` (those of its paper).
  default_loss: str = "margin"
  default_margin: float = 1.0

  def __init__(self, num_entities: int, num_relations: int, *, embedding_dim: int = 100,
               loss: Optional[str] = None, margin: Optional[float] = None,
               adversarial_temperature: float = 1.0, l2: float = 0.0,
               entity_initializer=None, relation_initializer=None, **kwargs):
    super().__init__(**kwargs)
    cls = type(self).__name__
    loss = self.default_loss if loss is None else loss
    margin = self.default_margin if margin is None else margin
    self.num_entities = check_positive_int(cls, "num_entities", num_entities)
    self.num_relations = check_positive_int(cls, "num_relations", num_relations)
    self.embedding_dim = check_positive_int(cls, "embedding_dim", embedding_dim)
    if loss not in LOSSES:
      raise ValueError(f"{cls}: loss must be one of {list(LOSSES)}, got {loss!r}")
    self.loss_name = loss
    strict = loss == "margin"  # a margin loss with margin 0 would not separate anything
    if (isinstance(margin, bool) or not isinstance(margin, (int, float)) or
        not (margin > 0 if strict else margin >= 0)):
      raise ValueError(f"{cls}: margin must be a number {'> 0' if strict else '>= 0'} with "
                       f"loss={loss!r}, got {margin!r}")
    self.margin = float(margin)
    if (isinstance(adversarial_temperature, bool) or
        not isinstance(adversarial_temperature, (int, float)) or
        not adversarial_temperature >= 0):
      raise ValueError(f"{cls}: adversarial_temperature must be a number >= 0, got "
                       f"{adversarial_temperature!r}")
    self.adversarial_temperature = float(adversarial_temperature)
    self.l2 = check_l2(cls, l2)
    self.entity_initializer = tf.keras.initializers.get(
        entity_initializer or self._default_entity_initializer())
    self.relation_initializer = tf.keras.initializers.get(
        relation_initializer or self._default_relation_initializer())

  @classmethod
  def from_knowledge_graph(cls, kg, **kwargs) -> "KGEModel":
    """A model for the entities and relations of `kg` (a tfgle.datasets.KnowledgeGraph)."""
    return cls(kg.num_entities, kg.num_relations, **kwargs)

  # ------------------------------------------------------------ subclasses

  @property
  def entity_width(self) -> int:
    """Columns of the entity table."""
    return self.embedding_dim

  @property
  def relation_width(self) -> int:
    """Columns of the relation table."""
    return self.embedding_dim

  def _default_entity_initializer(self):
    raise NotImplementedError

  def _default_relation_initializer(self):
    raise NotImplementedError

  def score_embeddings(self, head, relation, tail) -> tf.Tensor:
    """Scores of embedded triples: broadcastable [..., width] tables rows -> [...]."""
    raise NotImplementedError

  def _model_config(self) -> dict:
    return {}

  # ------------------------------------------------------------------ Keras

  def build(self, input_shape=None):
    """Creates both tables; their shapes follow from the config alone."""
    if self.built:
      return
    self.entity_embeddings = self.add_weight(
        "entity_embeddings", shape=(self.num_entities, self.entity_width),
        initializer=self.entity_initializer)
    self.relation_embeddings = self.add_weight(
        "relation_embeddings", shape=(self.num_relations, self.relation_width),
        initializer=self.relation_initializer)
    # Not Model.build: it would call the model on placeholders of `input_shape`.
    self.built = True

  def get_build_config(self):
    # Keras' loaders call build_from_config only with a non-empty build config.
    return {"weights_from_config": True}

  def build_from_config(self, config):
    self.build(None)

  # ------------------------------------------------------------------- API

  def embed_entities(self, entities=None) -> tf.Tensor:
    """Rows of the entity table for dense indices `entities` (any shape), or the whole table."""
    self.build(None)
    return _gather(self.entity_embeddings, entities)

  def embed_relations(self, relations=None) -> tf.Tensor:
    """Rows of the relation table for dense indices `relations`, or the whole table."""
    self.build(None)
    return _gather(self.relation_embeddings, relations)

  def score(self, head, relation, tail) -> tf.Tensor:
    """Scores of triples of dense indices (head, relation and tail of one shape) -> that shape."""
    return self.score_embeddings(self.embed_entities(head), self.embed_relations(relation),
                                 self.embed_entities(tail))

  def score_tails(self, head, relation, entities=None) -> tf.Tensor:
    """Scores [B, C] of (head[b], relation[b], entities[c]) (default: every entity)."""
    h = self.embed_entities(head)[:, tf.newaxis]
    r = self.embed_relations(relation)[:, tf.newaxis]
    return self.score_embeddings(h, r, self.embed_entities(entities)[tf.newaxis])

  def score_heads(self, relation, tail, entities=None) -> tf.Tensor:
    """Scores [B, C] of (entities[c], relation[b], tail[b]) (default: every entity)."""
    r = self.embed_relations(relation)[:, tf.newaxis]
    t = self.embed_entities(tail)[:, tf.newaxis]
    return self.score_embeddings(self.embed_entities(entities)[tf.newaxis], r, t)

  @tf.autograph.experimental.do_not_convert
  def call(self, inputs, training=None):
    cls = type(self).__name__
    if not isinstance(inputs, Mapping) or not {"head", "relation", "tail"} <= set(inputs):
      keys = sorted(inputs) if isinstance(inputs, Mapping) else type(inputs).__name__
      raise ValueError(f"{cls}: inputs must be a dict with 'head', 'relation', 'tail' and "
                       f"optionally 'neg', 'neg_head' and 'neg_mask' (dense indices, as "
                       f"tfgle.data.triple_dataset gives), got {keys}")
    head, relation, tail = (tf.cast(inputs[k], tf.int64) for k in ("head", "relation", "tail"))
    h, r, t = (self.embed_entities(head), self.embed_relations(relation),
               self.embed_entities(tail))
    pos = self.score_embeddings(h, r, t)
    if inputs.get("neg") is None:
      return pos[:, tf.newaxis]
    neg = tf.cast(inputs["neg"], tf.int64)
    if neg.shape.rank != 2:
      raise ValueError(f"{cls}: inputs['neg'] must be [B, N] entity indices, got shape "
                       f"{neg.shape}")
    neg_head = _optional_bool(inputs, "neg_head", neg, False)
    mask = _optional_bool(inputs, "neg_mask", neg, True)
    neg_heads = tf.where(neg_head, neg, head[:, tf.newaxis])
    neg_tails = tf.where(neg_head, tail[:, tf.newaxis], neg)
    neg_scores = self.score_embeddings(self.embed_entities(neg_heads), r[:, tf.newaxis],
                                       self.embed_entities(neg_tails))
    self.add_loss(self._loss(pos, neg_scores, mask) +
                  self._l2_penalty(head, relation, tail, neg))
    neg_scores = tf.where(mask, neg_scores, tf.constant(MASKED_LOGIT, neg_scores.dtype))
    return tf.concat([pos[:, tf.newaxis], neg_scores], axis=1)

  def _loss(self, pos, neg, mask) -> tf.Tensor:
    weight = tf.cast(mask, neg.dtype)
    pos = pos[:, tf.newaxis]
    if self.loss_name == "margin":
      return tf.math.divide_no_nan(
          tf.reduce_sum(tf.nn.relu(self.margin - pos + neg) * weight), tf.reduce_sum(weight))
    if self.loss_name == "softplus":
      return tf.reduce_mean(tf.nn.softplus(-pos)) + tf.math.divide_no_nan(
          tf.reduce_sum(tf.nn.softplus(neg) * weight), tf.reduce_sum(weight))
    logits = tf.where(mask, self.adversarial_temperature * neg,
                      tf.constant(-1e30, neg.dtype))
    adversary = tf.stop_gradient(tf.nn.softmax(logits, axis=-1) * weight)
    per_row = (tf.nn.softplus(-(self.margin + pos[:, 0])) +
               tf.reduce_sum(adversary * tf.nn.softplus(neg + self.margin), axis=-1))
    return tf.reduce_mean(per_row)

  def _l2_penalty(self, head, relation, tail, neg) -> tf.Tensor:
    return embedding_l2(self.l2, [(self.entity_embeddings, head),
                                  (self.relation_embeddings, relation),
                                  (self.entity_embeddings, tail), (self.entity_embeddings, neg)])

  def get_config(self):
    return {
        "name": self.name,
        "trainable": self.trainable,
        "num_entities": self.num_entities,
        "num_relations": self.num_relations,
        "embedding_dim": self.embedding_dim,
        "loss": self.loss_name,
        "margin": self.margin,
        "adversarial_temperature": self.adversarial_temperature,
        "l2": self.l2,
        "entity_initializer": tf.keras.initializers.serialize(self.entity_initializer),
        "relation_initializer": tf.keras.initializers.serialize(self.relation_initializer),
        **self._model_config(),
    }

  @classmethod
  def from_config(cls, config):
    return cls(**config)


def _gather(table, indices) -> tf.Tensor:
  table = tf.convert_to_tensor(table)
  return table if indices is None else tf.gather(table, tf.cast(indices, tf.int64))


def _optional_bool(inputs: Mapping[str, Any], key: str, like: tf.Tensor,
                   default: bool) -> tf.Tensor:
  value: Optional[Any] = inputs.get(key)
  if value is None:
    return tf.fill(tf.shape(like), default)
  return tf.reshape(tf.cast(value, tf.bool), tf.shape(like))
