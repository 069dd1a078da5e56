"""`BPRMF`: matrix factorization trained with the BPR loss, and its (user, pos, neg) batches.

The recommender baseline that GNN recommenders are measured against (Rendle
et al., "BPR: Bayesian Personalized Ranking from Implicit Feedback", 2009):
every user and item has a free embedding, a pair scores their dot product,
and training asks each observed (user, item) pair to outscore sampled
unobserved items. `bpr_dataset` makes its batches from a graph's edges, with
negatives drawn by the graph's sampler; `LightGCN` (tfgle.models.lightgcn)
trains on the same batches.

Example:
  model = tfgle.models.BPRMF.from_graph(graph, "rates", embedding_dim=64)
  model.compile(optimizer=tf.keras.optimizers.Adam(1e-2))  # the loss is the model's BPR
  model.fit(tfgle.models.bpr_dataset(graph, "rates", batch_size=1024), epochs=20,
            callbacks=[tfgle.ranking.RankingEvaluation(train_pairs, val_pairs)])
  users, items = model.embed_users(), model.embed_items()   # [U, D], [I, D]
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

import tensorflow as tf

from tfgle.graph import as_sampler
from tfgle.losses import bpr

from ._base import check_input_dict, check_positive_int

# The logit of a negative that is padding (the sampler gave up on it).
MASKED_LOGIT = -1e9


def bpr_dataset(graph, edge_type, *, batch_size: int = 1024, num_negatives: int = 1,
                strategy: str = "random", shuffle: bool = True, drop_remainder: bool = False,
                seed: int = 0, position: Optional[tuple] = None) -> tf.data.Dataset:
  """Batches of (user, positive item, negative items) from the edges of `edge_type`.

  One pass visits every edge once (shuffled each pass with `shuffle`); each
  edge's source gets `num_negatives` destinations that are not its neighbors,
  drawn by the graph's sampler (`sample_negatives` with `strategy`). Built
  with a GSL query, so it is deterministic by `seed` and resumable
  (`position`, see tfgle.gsl.Query.values).

  Args:
    graph: a built tfgle.Graph (or a tfgle.graph.Sampler).
    edge_type: the user -> item edge type (name or triple).
    batch_size: edges per batch.
    num_negatives: negatives per edge.
    strategy: the negative strategy ("random", "in_degree", ...).
    shuffle: visit the edges in a new random order every pass.
    drop_remainder: drop the last, smaller batch.
    seed: base seed of the order and the negatives.
    position: None (one pass per iteration) or (epoch, batch): an endless
      stream of passes from that position.

  Returns:
    a tf.data.Dataset of {"user": int64 [B], "pos": int64 [B], "neg": int64
    [B, N], "neg_mask": bool [B, N]}: dense indices (neg_mask is False where
    the sampler gave up).
  """
  query = as_sampler(graph).E(edge_type).batch(batch_size, drop_remainder=drop_remainder)
  if shuffle:
    query = query.shuffle(traverse=True)
  user = query.outV().alias("user")
  query.inV().alias("pos")
  user.outNeg(edge_type).sample(num_negatives).by(strategy).alias("neg")
  return query.values(features=False, seed=seed, position=position).map(
      lambda b: {"user": b["user"]["index"], "pos": b["pos"]["index"],
                 "neg": b["neg"]["index"], "neg_mask": b["neg"]["mask"]})


def check_l2(cls: str, value: Any) -> float:
  if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
    raise ValueError(f"{cls}: l2 must be a number >= 0, got {value!r}")
  return float(value)


@tf.keras.utils.register_keras_serializable(package="tfgle")
class BPRMF(tf.keras.Model):
  """Matrix factorization: score(u, i) = <P_u, Q_i>, trained with BPR.

  Calling the model on a batch of `bpr_dataset` gives the logits of each
  positive and its negatives, and adds the batch's loss (`model.losses`):
    bpr(<u, pos>, <u, neg>) + l2 / 2 * (|u|^2 + |pos|^2 + sum_n |neg_n|^2) / B
  over the embeddings the batch uses (the regularization of BPR-MF and
  LightGCN). So `model.compile(optimizer)` without a loss trains it.

  Example:
    model = BPRMF(num_users=943, num_items=1682, embedding_dim=64)
    logits = model({"user": [0, 1], "pos": [5, 7], "neg": [[3], [9]]})   # [2, 2]

  Args:
    num_users, num_items: the number of users and items (dense indices).
    embedding_dim: embedding width.
    l2: weight of the embeddings' L2 penalty (>= 0).
    embeddings_initializer: of both tables (default: normal, stddev 0.1).

  Call args:
    inputs: {"user": int [B], "pos": int [B], optionally "neg": int [B, N]
      (or [B]) and "neg_mask": bool [B, N]}: dense indices.

  Call returns:
    logits [B, 1 + N]: column 0 scores (user, pos), the others the negatives
    (-1e9 where neg_mask is False); [B, 1] without "neg".

  Raises:
    ValueError: a bad argument or inputs, naming them.
  """

  def __init__(self, num_users: int, num_items: int, *, embedding_dim: int = 64,
               l2: float = 1e-4, embeddings_initializer=None, **kwargs):
    super().__init__(**kwargs)
    cls = type(self).__name__
    self.num_users = check_positive_int(cls, "num_users", num_users)
    self.num_items = check_positive_int(cls, "num_items", num_items)
    self.embedding_dim = check_positive_int(cls, "embedding_dim", embedding_dim)
    self.l2 = check_l2(cls, l2)
    self.embeddings_initializer = tf.keras.initializers.get(
        embeddings_initializer or tf.keras.initializers.RandomNormal(stddev=0.1))

  @classmethod
  def from_graph(cls, graph, edge_type, **kwargs) -> "BPRMF":
    """A model for the source (user) and destination (item) nodes of `edge_type`."""
    et = graph.edge_type(edge_type)
    return cls(graph.num_nodes(et.src), graph.num_nodes(et.dst), **kwargs)

  def build(self, input_shape=None):
    """Creates every weight; their shapes follow from the config alone."""
    if self.built:
      return
    # A fresh initializer per table: one unseeded instance repeats its values.
    fresh = lambda: self.embeddings_initializer.from_config(
        self.embeddings_initializer.get_config())
    self.user_embeddings = self.add_weight(
        "user_embeddings", shape=(self.num_users, self.embedding_dim), initializer=fresh())
    self.item_embeddings = self.add_weight(
        "item_embeddings", shape=(self.num_items, self.embedding_dim), initializer=fresh())
    # Not Model.build: it would call the model on placeholders of `input_shape`.
    self.built = True

  def get_build_config(self):
    # Keras' loaders call build_from_config only with a non-empty build config.
    return {"weights_from_config": True}

  def build_from_config(self, config):
    self.build(None)

  def propagate(self) -> tuple[tf.Tensor, tf.Tensor]:
    """The final user [U, D] and item [I, D] embeddings (MF: the tables themselves)."""
    return tf.convert_to_tensor(self.user_embeddings), tf.convert_to_tensor(self.item_embeddings)

  def embed_users(self, users=None) -> tf.Tensor:
    """Embeddings of `users` (dense indices [B]), or of every user [U, D] when None."""
    self.build(None)
    return _gather(self.propagate()[0], users)

  def embed_items(self, items=None) -> tf.Tensor:
    """Embeddings of `items` (dense indices [B]), or of every item [I, D] when None."""
    self.build(None)
    return _gather(self.propagate()[1], items)

  def call(self, inputs, training=None):
    cls = type(self).__name__
    check_input_dict(cls, inputs, ("user", "pos"),
                     "a dict with 'user', 'pos' and optionally 'neg' and 'neg_mask' (dense "
                     "indices, as bpr_dataset gives)")
    users_final, items_final = self.propagate()
    user = tf.cast(inputs["user"], tf.int64)
    pos = tf.cast(inputs["pos"], tf.int64)
    u = tf.gather(users_final, user)
    pos_logits = tf.reduce_sum(u * tf.gather(items_final, pos), axis=-1)
    if inputs.get("neg") is None:
      return pos_logits[:, tf.newaxis]
    neg = tf.cast(inputs["neg"], tf.int64)
    if neg.shape.rank == 1:
      neg = neg[:, tf.newaxis]
    if neg.shape.rank != 2:
      raise ValueError(f"{cls}: inputs['neg'] must be [B, N] (or [B]) item indices, got shape "
                       f"{neg.shape}")
    mask = inputs.get("neg_mask")
    mask = tf.ones_like(neg, tf.bool) if mask is None else tf.reshape(
        tf.cast(mask, tf.bool), tf.shape(neg))
    neg_logits = tf.einsum("bd,bnd->bn", u, tf.gather(items_final, neg))
    self.add_loss(bpr(pos_logits, neg_logits, mask=mask) + self._l2_penalty(user, pos, neg))
    neg_logits = tf.where(mask, neg_logits, tf.constant(MASKED_LOGIT, neg_logits.dtype))
    return tf.concat([pos_logits[:, tf.newaxis], neg_logits], axis=1)

  def _l2_penalty(self, user, pos, neg) -> tf.Tensor:
    return embedding_l2(self.l2, [(self.user_embeddings, user), (self.item_embeddings, pos),
                                  (self.item_embeddings, neg)])

  def get_config(self):
    return {
        "name": self.name,
        "trainable": self.trainable,
        "num_users": self.num_users,
        "num_items": self.num_items,
        "embedding_dim": self.embedding_dim,
        "l2": self.l2,
        "embeddings_initializer": tf.keras.initializers.serialize(self.embeddings_initializer),
    }

  @classmethod
  def from_config(cls, config):
    return cls(**config)


def embedding_l2(l2: float, rows) -> tf.Tensor:
  """l2 / 2 * the squared norms of the embedding rows a batch uses / its size B.

  `rows` lists (table, indices) pairs; the first pair's indices are [B].
  """
  if not l2:
    return tf.constant(0.0)
  squares = tf.add_n([tf.reduce_sum(tf.square(tf.gather(table, indices)))
                      for table, indices in rows])
  batch = tf.cast(tf.maximum(tf.size(rows[0][1]), 1), squares.dtype)
  return l2 * 0.5 * squares / batch


def _gather(embeddings: tf.Tensor, indices) -> tf.Tensor:
  return embeddings if indices is None else tf.gather(embeddings,
                                                      tf.cast(indices, tf.int64))
