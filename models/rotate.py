"""`RotatE`: knowledge-graph embeddings where relations rotate complex entity vectors."""
from __future__ import annotations

import math

import tensorflow as tf

from .kge import KGEModel


@tf.keras.utils.register_keras_serializable(package="tfgle")
class RotatE(KGEModel):
  """RotatE (Sun et al., "RotatE: Knowledge Graph Embedding by Relational Rotation in Complex
  Space", ICLR 2019).

  Entities are complex vectors h in C^D (the entity table holds the real
  parts, then the imaginary parts: [E, 2D]); a relation is a rotation
  r = exp(i theta), theta in R^D (the relation table holds the phases). The
  score is -sum_d |h_d r_d - t_d|, trained with self-adversarial negative
  sampling and the margin gamma (`margin`). Rotations model symmetric
  (theta = 0 or pi), inverse (-theta) and composed (theta1 + theta2)
  relations.

  Example:
    model = tfgle.models.RotatE.from_knowledge_graph(kg, embedding_dim=32, margin=6.0)
    model.compile(tf.keras.optimizers.Adam(0.01))
    model.fit(tfgle.data.triple_dataset(kg.train, num_entities=kg.num_entities,
                                        num_negatives=16), epochs=50)

  Args:
    num_entities, num_relations: table sizes (dense indices).
    embedding_dim: complex dimensions D (the entity table has 2D columns).
    loss, margin, adversarial_temperature, l2: see tfgle.models.KGEModel
      (default: self-adversarial with gamma = 6 and temperature 1).
    entity_initializer: default uniform in +-(margin + 2) / D (the paper's).
    relation_initializer: of the phases, default uniform in [-pi, pi).

  Call args / returns: as KGEModel (scores [B, 1 + N] of a triple_dataset batch).

  Raises:
    ValueError: a bad argument (naming it).
  """

  default_loss = "self_adversarial"
  default_margin = 6.0

  @property
  def entity_width(self) -> int:
    return 2 * self.embedding_dim

  def _default_entity_initializer(self):
    bound = (self.margin + 2.0) / self.embedding_dim
    return tf.keras.initializers.RandomUniform(-bound, bound)

  def _default_relation_initializer(self):
    return tf.keras.initializers.RandomUniform(-math.pi, math.pi)

  def score_embeddings(self, head, relation, tail) -> tf.Tensor:
    head_re, head_im = tf.split(head, 2, axis=-1)
    tail_re, tail_im = tf.split(tail, 2, axis=-1)
    cos, sin = tf.cos(relation), tf.sin(relation)
    diff_re = head_re * cos - head_im * sin - tail_re
    diff_im = head_re * sin + head_im * cos - tail_im
    return -tf.reduce_sum(tf.sqrt(tf.square(diff_re) + tf.square(diff_im) + 1e-12), axis=-1)
