"""Metrics: classification (accuracy, micro/macro F1, AUC) and ranking (hits@K,
recall@K, NDCG@K, MRR).

Functions compute a metric on whole tensors; Keras `Metric` classes stream it
over batches (`F1Score`, `HitsAtK`, `RecallAtK`, `NDCGAtK`, `MeanReciprocalRank`).
For a streaming, approximate AUC use `tf.keras.metrics.AUC(from_logits=True)`.

Ranking metrics take a score matrix [B, C] (each row scores C candidates) and
either `targets` [B] (the index of each row's one true candidate: hits@K, MRR)
or `relevance` [B, C] (0/1 or graded: recall@K, NDCG@K). For link prediction
with one positive and N negatives per row use
`scores = tf.concat([pos[:, None], neg], 1)` and `targets = zeros`.

Ties: the rank of a true candidate is 1 + the number of candidates scoring
higher + half the number of others scoring the same (the mean of the
optimistic and pessimistic ranks, as OGB does); top-K lists break ties by
candidate index.
"""
from __future__ import annotations

import math

import tensorflow as tf

AVERAGES = ("micro", "macro")


def _predictions(y_pred) -> tf.Tensor:
  """Class ids of logits/probabilities [B, C] or of int predictions [B]."""
  y_pred = tf.convert_to_tensor(y_pred)
  if y_pred.shape.rank == 2:
    return tf.argmax(y_pred, axis=-1)
  if y_pred.shape.rank == 1 and y_pred.dtype.is_integer:
    return tf.cast(y_pred, tf.int64)
  raise ValueError(f"y_pred must be scores [B, C] or int predictions [B], got shape "
                   f"{y_pred.shape} and dtype {y_pred.dtype.name}")


def accuracy(labels, y_pred, *, sample_weight=None) -> tf.Tensor:
  """Share of labeled rows (labels >= 0) whose predicted class is the label.

  Args:
    labels: int [B]; < 0 marks unlabeled rows, which do not count.
    y_pred: scores [B, C] (argmax is the prediction) or int predictions [B].
    sample_weight: optional [B] weights.
  """
  labels = tf.reshape(tf.cast(labels, tf.int64), [-1])
  weight = tf.cast(labels >= 0, tf.float32)
  if sample_weight is not None:
    weight *= tf.cast(sample_weight, tf.float32)
  correct = tf.cast(tf.equal(_predictions(y_pred), labels), tf.float32)
  return tf.math.divide_no_nan(tf.reduce_sum(correct * weight), tf.reduce_sum(weight))


def _confusion_counts(labels, y_pred, num_classes, sample_weight=None):
  """(true positives, false positives, false negatives) per class, float [C]."""
  labels = tf.reshape(tf.cast(labels, tf.int64), [-1])
  predictions = _predictions(y_pred)
  weight = tf.cast(labels >= 0, tf.float32)
  if sample_weight is not None:
    weight *= tf.reshape(tf.cast(sample_weight, tf.float32), [-1])
  true_onehot = tf.one_hot(tf.where(labels >= 0, labels, 0), num_classes) * weight[:, None]
  pred_onehot = tf.one_hot(predictions, num_classes) * weight[:, None]
  tp = tf.reduce_sum(true_onehot * pred_onehot, axis=0)
  return tp, tf.reduce_sum(pred_onehot, axis=0) - tp, tf.reduce_sum(true_onehot, axis=0) - tp


def _f1_from_counts(tp, fp, fn, average):
  if average == "micro":
    tp, fp, fn = tf.reduce_sum(tp), tf.reduce_sum(fp), tf.reduce_sum(fn)
    return tf.math.divide_no_nan(2 * tp, 2 * tp + fp + fn)
  per_class = tf.math.divide_no_nan(2 * tp, 2 * tp + fp + fn)
  present = tf.cast(tp + fp + fn > 0, per_class.dtype)  # in the labels or predictions
  return tf.math.divide_no_nan(tf.reduce_sum(per_class * present), tf.reduce_sum(present))


def _check_f1_args(num_classes, average):
  if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes <= 0:
    raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
  if average not in AVERAGES:
    raise ValueError(f"average must be one of {list(AVERAGES)}, got {average!r}")


def f1_score(labels, y_pred, *, num_classes: int, average: str = "macro",
             sample_weight=None) -> tf.Tensor:
  """Micro or macro F1 of single-label multi-class predictions.

  Macro F1 averages the per-class F1 over the classes that occur in the labels
  or the predictions (as scikit-learn does). Labels < 0 are ignored.

  Raises:
    ValueError: num_classes not positive, an unknown average.
  """
  _check_f1_args(num_classes, average)
  return _f1_from_counts(*_confusion_counts(labels, y_pred, num_classes, sample_weight),
                         average)


@tf.keras.utils.register_keras_serializable(package="tfgle")
class F1Score(tf.keras.metrics.Metric):
  """Streaming micro/macro F1: accumulates per-class confusion counts.

  update_state(y_true, y_pred): y_true int labels [B] (< 0 ignored), y_pred
  scores [B, C] or int predictions [B].
  """

  def __init__(self, num_classes: int, *, average: str = "macro", name=None, **kwargs):
    _check_f1_args(num_classes, average)
    super().__init__(name=name or f"{average}_f1", **kwargs)
    self.num_classes = num_classes
    self.average = average
    self.true_positives = self.add_weight("true_positives", (num_classes,), initializer="zeros")
    self.false_positives = self.add_weight("false_positives", (num_classes,),
                                           initializer="zeros")
    self.false_negatives = self.add_weight("false_negatives", (num_classes,),
                                           initializer="zeros")

  def update_state(self, y_true, y_pred, sample_weight=None):
    tp, fp, fn = _confusion_counts(y_true, y_pred, self.num_classes, sample_weight)
    self.true_positives.assign_add(tp)
    self.false_positives.assign_add(fp)
    self.false_negatives.assign_add(fn)

  def result(self):
    return _f1_from_counts(self.true_positives, self.false_positives, self.false_negatives,
                           self.average)

  def reset_state(self):
    for variable in self.variables:
      variable.assign(tf.zeros_like(variable))

  def get_config(self):
    return {**super().get_config(), "num_classes": self.num_classes, "average": self.average}


def auc(labels, scores) -> tf.Tensor:
  """Exact ROC AUC: P(score of a positive > score of a negative), ties count 1/2.

  Args:
    labels: [N] binary (nonzero = positive).
    scores: [N] any real scores (logits or probabilities).

  Returns:
    a scalar; NaN when there are no positives or no negatives.
  """
  labels = tf.reshape(tf.cast(labels, tf.bool), [-1])
  scores = tf.reshape(tf.cast(scores, tf.float64), [-1])
  positives = tf.boolean_mask(scores, labels)
  negatives = tf.sort(tf.boolean_mask(scores, tf.logical_not(labels)))
  below = tf.searchsorted(negatives, positives, side="left")
  not_above = tf.searchsorted(negatives, positives, side="right")
  wins = tf.reduce_sum(tf.cast(below, tf.float64) +
                       0.5 * tf.cast(not_above - below, tf.float64))
  pairs = tf.cast(tf.size(positives), tf.float64) * tf.cast(tf.size(negatives), tf.float64)
  return wins / pairs


def _check_k(k):
  if isinstance(k, bool) or not isinstance(k, int) or k <= 0:
    raise ValueError(f"k must be a positive int, got {k!r}")


def _scores(scores) -> tf.Tensor:
  scores = tf.convert_to_tensor(scores)
  if scores.shape.rank is not None and scores.shape.rank != 2:
    raise ValueError(f"scores must be a score matrix [B, C], got shape {scores.shape}")
  return scores


def ranks(scores, targets) -> tf.Tensor:
  """1-based rank of each row's true candidate, float [B] (ties: see module doc)."""
  scores = _scores(scores)
  targets = tf.reshape(tf.cast(targets, tf.int32), [-1])
  true = tf.gather(scores, targets, batch_dims=1)[:, tf.newaxis]
  higher = tf.reduce_sum(tf.cast(scores > true, tf.float32), axis=1)
  same = tf.reduce_sum(tf.cast(tf.equal(scores, true), tf.float32), axis=1) - 1.0
  return 1.0 + higher + 0.5 * same


def hits_at_k(scores, targets, k: int) -> tf.Tensor:
  """Per-row 1.0 where the true candidate ranks within the top k, float [B]."""
  _check_k(k)
  return tf.cast(ranks(scores, targets) <= k, tf.float32)


def reciprocal_rank(scores, targets) -> tf.Tensor:
  """Per-row 1 / rank of the true candidate, float [B]; MRR is its mean."""
  return 1.0 / ranks(scores, targets)


def mrr(scores, targets) -> tf.Tensor:
  """Mean reciprocal rank of the true candidates."""
  return tf.reduce_mean(reciprocal_rank(scores, targets))


def _top_k_relevance(scores, relevance, k):
  scores = _scores(scores)
  relevance = tf.cast(relevance, tf.float32)
  k_eff = tf.minimum(k, tf.shape(scores)[1])
  top = tf.math.top_k(scores, k=k_eff, sorted=True).indices
  return tf.gather(relevance, top, batch_dims=1), relevance, k_eff


def recall_at_k(scores, relevance, k: int) -> tf.Tensor:
  """Per-row share of relevant candidates found in the top k, float [B].

  relevance [B, C] is 0/1 (nonzero counts as relevant). Rows without
  relevant candidates get 0.
  """
  _check_k(k)
  top, relevance, _ = _top_k_relevance(scores, relevance, k)
  relevant = tf.cast(relevance > 0, tf.float32)
  return tf.math.divide_no_nan(tf.reduce_sum(tf.cast(top > 0, tf.float32), axis=1),
                               tf.reduce_sum(relevant, axis=1))


def ndcg_at_k(scores, relevance, k: int) -> tf.Tensor:
  """Per-row NDCG@k, float [B], with gain 2^rel - 1 and discount 1/log2(rank + 1).

  relevance [B, C] is 0/1 or graded (>= 0). Rows without relevant candidates
  get 0.
  """
  _check_k(k)
  top, relevance, k_eff = _top_k_relevance(scores, relevance, k)
  discount = 1.0 / (tf.math.log(tf.cast(tf.range(k_eff), tf.float32) + 2.0) / math.log(2.0))
  dcg = tf.reduce_sum((tf.pow(2.0, top) - 1.0) * discount, axis=1)
  ideal = tf.math.top_k(relevance, k=k_eff, sorted=True).values
  idcg = tf.reduce_sum((tf.pow(2.0, ideal) - 1.0) * discount, axis=1)
  return tf.math.divide_no_nan(dcg, idcg)


class _RankingMean(tf.keras.metrics.Mean):
  """Mean over rows of a per-row ranking metric."""

  def _per_row(self, y_true, y_pred):
    raise NotImplementedError

  def update_state(self, y_true, y_pred, sample_weight=None):
    return super().update_state(self._per_row(y_true, y_pred), sample_weight=sample_weight)


@tf.keras.utils.register_keras_serializable(package="tfgle")
class HitsAtK(_RankingMean):
  """Streaming hits@k: y_true targets [B], y_pred scores [B, C]."""

  def __init__(self, k: int, *, name=None, **kwargs):
    _check_k(k)
    super().__init__(name=name or f"hits_at_{k}", **kwargs)
    self.k = k

  def _per_row(self, y_true, y_pred):
    return hits_at_k(y_pred, y_true, self.k)

  def get_config(self):
    return {**super().get_config(), "k": self.k}


@tf.keras.utils.register_keras_serializable(package="tfgle")
class MeanReciprocalRank(_RankingMean):
  """Streaming MRR: y_true targets [B], y_pred scores [B, C]."""

  def __init__(self, *, name="mrr", **kwargs):
    super().__init__(name=name, **kwargs)

  def _per_row(self, y_true, y_pred):
    return reciprocal_rank(y_pred, y_true)


@tf.keras.utils.register_keras_serializable(package="tfgle")
class RecallAtK(_RankingMean):
  """Streaming recall@k: y_true relevance [B, C], y_pred scores [B, C]."""

  def __init__(self, k: int, *, name=None, **kwargs):
    _check_k(k)
    super().__init__(name=name or f"recall_at_{k}", **kwargs)
    self.k = k

  def _per_row(self, y_true, y_pred):
    return recall_at_k(y_pred, y_true, self.k)

  def get_config(self):
    return {**super().get_config(), "k": self.k}


@tf.keras.utils.register_keras_serializable(package="tfgle")
class NDCGAtK(_RankingMean):
  """Streaming NDCG@k: y_true relevance [B, C], y_pred scores [B, C]."""

  def __init__(self, k: int, *, name=None, **kwargs):
    _check_k(k)
    super().__init__(name=name or f"ndcg_at_{k}", **kwargs)
    self.k = k

  def _per_row(self, y_true, y_pred):
    return ndcg_at_k(y_pred, y_true, self.k)

  def get_config(self):
    return {**super().get_config(), "k": self.k}
