"""`DistMult`: knowledge-graph embeddings scored by a diagonal bilinear form."""
from __future__ import annotations

import tensorflow as tf

from .kge import KGEModel


@tf.keras.utils.register_keras_serializable(package="tfgle")
class DistMult(KGEModel):
  """DistMult (Yang et al., "Embedding Entities and Relations for Learning and Inference in
  Knowledge Bases", 2015).

  score(h, r, t) = sum_d h_d r_d t_d, trained with the logistic (softplus)
  loss against corrupted triples. The score is symmetric in head and tail:
  DistMult models symmetric relations, and an inverse pair up to direction.
  Ranking every entity is one matrix product.

  Example:
    model = tfgle.models.DistMult.from_knowledge_graph(kg, embedding_dim=64, l2=1e-3)
    model.compile(tf.keras.optimizers.Adam(0.01))
    model.fit(tfgle.data.triple_dataset(kg.train, num_entities=kg.num_entities,
                                        num_negatives=8), epochs=50)

  Args:
    num_entities, num_relations: table sizes (dense indices).
    embedding_dim: the embedding width.
    loss, margin, adversarial_temperature, l2: see tfgle.models.KGEModel
      (default: the softplus loss).
    entity_initializer, relation_initializer: default Glorot-uniform-like
      uniform in +-sqrt(6 / (2 * embedding_dim)).

  Call args / returns: as KGEModel (scores [B, 1 + N] of a triple_dataset batch).

  Raises:
    ValueError: a bad argument (naming it).
  """

  default_loss = "softplus"
  default_margin = 1.0

  def _default_entity_initializer(self):
    bound = (3 / self.embedding_dim) ** 0.5
    return tf.keras.initializers.RandomUniform(-bound, bound)

  _default_relation_initializer = _default_entity_initializer

  def score_embeddings(self, head, relation, tail) -> tf.Tensor:
    return tf.reduce_sum(head * relation * tail, axis=-1)

  def score_tails(self, head, relation, entities=None) -> tf.Tensor:
    query = self.embed_entities(head) * self.embed_relations(relation)
    return tf.matmul(query, self.embed_entities(entities), transpose_b=True)

  def score_heads(self, relation, tail, entities=None) -> tf.Tensor:
    query = self.embed_relations(relation) * self.embed_entities(tail)
    return tf.matmul(query, self.embed_entities(entities), transpose_b=True)
