"""Losses for node classification, link prediction and knowledge-graph embeddings.

Link-prediction losses take embeddings: `src` [B, D] (the seed nodes), `pos`
[B, D] (one positive neighbor each) and `neg` [B, N, D] (N sampled negatives
each), and score pairs by dot product. Every loss returns a scalar: the mean
over the batch.

Example:
  loss = tfgle.losses.sigmoid_cross_entropy(src_emb, pos_emb, neg_emb)
  loss = tfgle.losses.margin_ranking(
      tfgle.losses.transe_score(h, r, t), tfgle.losses.transe_score(h, r, t_neg))
"""
from __future__ import annotations

import tensorflow as tf

DISTANCES = ("squared_euclidean", "euclidean", "cosine")


def _check_rank(name: str, tensor: tf.Tensor, ranks, what: str) -> tf.Tensor:
  tensor = tf.convert_to_tensor(tensor)
  if tensor.shape.rank is not None and tensor.shape.rank not in ranks:
    raise ValueError(f"{name} must be {what}, got shape {tensor.shape}")
  return tensor


def _float(tensor) -> tf.Tensor:
  tensor = tf.convert_to_tensor(tensor)
  return tensor if tensor.dtype.is_floating else tf.cast(tensor, tf.float32)


def pair_scores(src, other) -> tf.Tensor:
  """Dot-product scores of src [B, D] with other [B, D] -> [B] or [B, N, D] -> [B, N]."""
  src = _check_rank("src", _float(src), (2,), "[B, D]")
  other = _check_rank("other", tf.cast(other, src.dtype), (2, 3), "[B, D] or [B, N, D]")
  if other.shape.rank == 3:
    return tf.einsum("bd,bnd->bn", src, other)
  return tf.reduce_sum(src * other, axis=-1)


def softmax_cross_entropy(labels, logits, *, label_smoothing: float = 0.0,
                          sample_weight=None) -> tf.Tensor:
  """Mean softmax cross-entropy of int labels [B] and logits [B, C].

  Labels < 0 mark unlabeled rows: they are left out of the mean (as are rows
  of sample_weight 0). With no labeled rows the loss is 0.

  Raises:
    ValueError: a label_smoothing outside [0, 1) or ranks other than [B] and
      [B, C].
  """
  if not 0 <= label_smoothing < 1:
    raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}")
  logits = _check_rank("logits", _float(logits), (2,), "[B, C]")
  labels = _check_rank("labels", labels, (1,), "[B]")
  labels = tf.cast(labels, tf.int64)
  labeled = labels >= 0
  num_classes = tf.shape(logits)[-1]
  onehot = tf.one_hot(tf.where(labeled, labels, 0), num_classes, dtype=logits.dtype)
  if label_smoothing:
    onehot = onehot * (1 - label_smoothing) + label_smoothing / tf.cast(num_classes,
                                                                         logits.dtype)
  per_row = tf.nn.softmax_cross_entropy_with_logits(labels=onehot, logits=logits)
  weight = tf.cast(labeled, logits.dtype)
  if sample_weight is not None:
    weight *= tf.cast(sample_weight, logits.dtype)
  return tf.math.divide_no_nan(tf.reduce_sum(per_row * weight), tf.reduce_sum(weight))


@tf.keras.utils.register_keras_serializable(package="tfgle")
class SoftmaxCrossEntropy(tf.keras.losses.Loss):
  """Softmax cross-entropy as a Keras loss: y_true int labels [B], y_pred logits [B, C].

  Rows with labels < 0 (unlabeled) get loss 0; Keras' reduction then averages
  over all rows of the batch (the function `softmax_cross_entropy` averages
  over labeled rows only).
  """

  def __init__(self, *, label_smoothing: float = 0.0, name: str = "softmax_cross_entropy",
               **kwargs):
    if not 0 <= label_smoothing < 1:
      raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing!r}")
    super().__init__(name=name, **kwargs)
    self.label_smoothing = float(label_smoothing)

  def call(self, y_true, y_pred):
    # Per-row losses; Keras averages them. Unlabeled rows contribute 0.
    labels = tf.reshape(tf.cast(y_true, tf.int64), [-1])
    logits = _float(y_pred)
    labeled = labels >= 0
    num_classes = tf.shape(logits)[-1]
    onehot = tf.one_hot(tf.where(labeled, labels, 0), num_classes, dtype=logits.dtype)
    if self.label_smoothing:
      onehot = onehot * (1 - self.label_smoothing) + self.label_smoothing / tf.cast(
          num_classes, logits.dtype)
    per_row = tf.nn.softmax_cross_entropy_with_logits(labels=onehot, logits=logits)
    return tf.where(labeled, per_row, tf.zeros_like(per_row))

  def get_config(self):
    return {**super().get_config(), "label_smoothing": self.label_smoothing}


def sigmoid_cross_entropy(src, pos, neg, *, neg_weight: float = 1.0) -> tf.Tensor:
  """Binary cross-entropy of positive pairs (label 1) and sampled negatives (label 0).

  loss = mean_b xent(1, <src_b, pos_b>) + neg_weight * mean_{b,n} xent(0, <src_b, neg_bn>)

  Args:
    src: [B, D] seed embeddings.
    pos: [B, D] positive embeddings.
    neg: [B, N, D] negative embeddings (or [B, D]: one each).
    neg_weight: weight of the negative term.
  """
  pos_logits = pair_scores(src, _check_rank("pos", pos, (2,), "[B, D]"))
  neg_logits = pair_scores(src, neg)
  pos_loss = tf.nn.sigmoid_cross_entropy_with_logits(
      labels=tf.ones_like(pos_logits), logits=pos_logits)
  neg_loss = tf.nn.sigmoid_cross_entropy_with_logits(
      labels=tf.zeros_like(neg_logits), logits=neg_logits)
  return tf.reduce_mean(pos_loss) + neg_weight * tf.reduce_mean(neg_loss)


def sampled_softmax(src, pos, neg=None, *, temperature: float = 1.0) -> tf.Tensor:
  """Softmax cross-entropy of each positive against sampled negatives.

  Logits are dot products / temperature; each row's positive must win over:
  - neg [B, N, D]: its own N negatives;
  - neg [N, D]: N negatives shared by the batch;
  - neg None: the other rows' positives (in-batch negatives).

  Raises:
    ValueError: temperature <= 0, or embeddings of the wrong rank.
  """
  if not temperature > 0:
    raise ValueError(f"temperature must be > 0, got {temperature!r}")
  src = _check_rank("src", _float(src), (2,), "[B, D]")
  pos = tf.cast(_check_rank("pos", pos, (2,), "[B, D]"), src.dtype)
  if neg is None:
    logits = tf.matmul(src, pos, transpose_b=True) / temperature
    labels = tf.range(tf.shape(src)[0])
  else:
    neg = tf.cast(_check_rank("neg", neg, (2, 3), "[B, N, D] or [N, D]"), src.dtype)
    pos_logits = tf.reduce_sum(src * pos, axis=-1, keepdims=True)
    neg_logits = (tf.einsum("bd,bnd->bn", src, neg) if neg.shape.rank == 3
                  else tf.matmul(src, neg, transpose_b=True))
    logits = tf.concat([pos_logits, neg_logits], axis=1) / temperature
    labels = tf.zeros(tf.shape(src)[:1], tf.int32)
  return tf.reduce_mean(
      tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))


def margin_ranking(pos_scores, neg_scores, *, margin: float = 1.0) -> tf.Tensor:
  """Hinge loss asking positives to outscore negatives by `margin`.

  loss = mean over b, n of max(0, margin - pos_b + neg_bn).

  Args:
    pos_scores: [B].
    neg_scores: [B, N] (or [B]).
  """
  pos_scores = _check_rank("pos_scores", _float(pos_scores), (1,), "[B]")
  neg_scores = tf.cast(_check_rank("neg_scores", neg_scores, (1, 2), "[B, N] or [B]"),
                       pos_scores.dtype)
  if neg_scores.shape.rank == 2:
    pos_scores = pos_scores[:, tf.newaxis]
  return tf.reduce_mean(tf.nn.relu(margin - pos_scores + neg_scores))


def _distance(a, b, kind):
  if kind == "cosine":
    return 1.0 - tf.reduce_sum(tf.math.l2_normalize(a, -1) * tf.math.l2_normalize(b, -1), -1)
  squared = tf.reduce_sum(tf.math.squared_difference(a, b), -1)
  if kind == "squared_euclidean":
    return squared
  return tf.sqrt(squared + 1e-12)


def triplet(anchor, pos, neg, *, margin: float = 1.0,
            distance: str = "squared_euclidean") -> tf.Tensor:
  """Triplet loss: mean of max(0, d(anchor, pos) - d(anchor, neg) + margin).

  Args:
    anchor: [B, D]. pos: [B, D]. neg: [B, D] or [B, N, D].
    distance: "squared_euclidean", "euclidean" or "cosine" (1 - cosine).

  Raises:
    ValueError: an unknown distance or embeddings of the wrong rank.
  """
  if distance not in DISTANCES:
    raise ValueError(f"distance must be one of {list(DISTANCES)}, got {distance!r}")
  anchor = _check_rank("anchor", _float(anchor), (2,), "[B, D]")
  pos = tf.cast(_check_rank("pos", pos, (2,), "[B, D]"), anchor.dtype)
  neg = tf.cast(_check_rank("neg", neg, (2, 3), "[B, D] or [B, N, D]"), anchor.dtype)
  d_pos = _distance(anchor, pos, distance)
  if neg.shape.rank == 3:
    d_neg = _distance(anchor[:, tf.newaxis], neg, distance)
    d_pos = d_pos[:, tf.newaxis]
  else:
    d_neg = _distance(anchor, neg, distance)
  return tf.reduce_mean(tf.nn.relu(d_pos - d_neg + margin))


def transe_score(head, relation, tail, *, norm: int = 1) -> tf.Tensor:
  """TransE plausibility of typed edges: -||head + relation - tail||_norm.

  Shapes broadcast: head and relation [B, D] with tail [B, D] give [B]; with
  tail [B, N, D] (negative tails) they give [B, N].

  Raises:
    ValueError: norm not 1 or 2.
  """
  if norm not in (1, 2):
    raise ValueError(f"norm must be 1 or 2, got {norm!r}")
  head = _float(head)
  relation = tf.cast(relation, head.dtype)
  tail = tf.cast(tail, head.dtype)
  translated = head + relation
  if tail.shape.rank is not None and tail.shape.rank == translated.shape.rank + 1:
    translated = translated[..., tf.newaxis, :]
  diff = translated - tail
  if norm == 1:
    return -tf.reduce_sum(tf.abs(diff), axis=-1)
  return -tf.sqrt(tf.reduce_sum(tf.square(diff), axis=-1) + 1e-12)


def bpr(pos_scores, neg_scores, *, mask=None) -> tf.Tensor:
  """Bayesian personalized ranking: mean of -log sigmoid(pos - neg) = softplus(neg - pos).

  The loss of BPR-MF and LightGCN (Rendle et al. 2009): each positive pair
  should outscore its sampled negatives.

  Args:
    pos_scores: [B], the scores of the positive pairs.
    neg_scores: [B, N] (or [B]), the scores of each row's negatives.
    mask: optional bool of neg_scores' shape; False marks negatives to leave
      out of the mean (padding, or where the sampler gave up). With none left
      the loss is 0.

  Raises:
    ValueError: scores or mask of the wrong rank.
  """
  pos_scores = _check_rank("pos_scores", _float(pos_scores), (1,), "[B]")
  neg_scores = tf.cast(_check_rank("neg_scores", neg_scores, (1, 2), "[B, N] or [B]"),
                       pos_scores.dtype)
  if neg_scores.shape.rank == 2:
    pos_scores = pos_scores[:, tf.newaxis]
  losses = tf.nn.softplus(neg_scores - pos_scores)
  if mask is None:
    return tf.reduce_mean(losses)
  mask = tf.cast(_check_rank("mask", mask, (neg_scores.shape.rank,), "of neg_scores' shape"),
                 losses.dtype)
  return tf.math.divide_no_nan(tf.reduce_sum(losses * mask), tf.reduce_sum(mask))
