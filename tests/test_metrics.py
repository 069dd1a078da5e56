"""Tests of tfgle.metrics against plain-python references."""
import math

import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tfgle import metrics


def _f1_reference(labels, preds, average):
  pairs = [(t, p) for t, p in zip(labels, preds) if t >= 0]
  classes = sorted({t for t, _ in pairs} | {p for _, p in pairs})
  tp = {c: sum(t == p == c for t, p in pairs) for c in classes}
  fp = {c: sum(p == c and t != c for t, p in pairs) for c in classes}
  fn = {c: sum(t == c and p != c for t, p in pairs) for c in classes}
  if average == "micro":
    t, f, n = sum(tp.values()), sum(fp.values()), sum(fn.values())
    return 2 * t / (2 * t + f + n)
  return np.mean([2 * tp[c] / (2 * tp[c] + fp[c] + fn[c]) for c in classes])


def _rank_reference(row, target):
  higher = sum(s > row[target] for s in row)
  same = sum(s == row[target] for s in row) - 1
  return 1 + higher + same / 2


class ClassificationMetricsTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    rng = np.random.default_rng(0)
    self.logits = rng.normal(size=(40, 5)).astype(np.float32)
    self.labels = rng.integers(-1, 5, 40)
    self.preds = self.logits.argmax(-1)

  def test_accuracy(self):
    labeled = self.labels >= 0
    self.assertAllClose(metrics.accuracy(self.labels, self.logits),
                        (self.preds == self.labels)[labeled].mean())
    self.assertAllClose(metrics.accuracy(self.labels, self.preds),
                        (self.preds == self.labels)[labeled].mean())

  @parameterized.expand([("micro",), ("macro",)])
  def test_f1_function_and_streaming(self, average):
    expected = _f1_reference(self.labels, self.preds, average)
    self.assertAllClose(metrics.f1_score(self.labels, self.logits, num_classes=5,
                                         average=average), expected)
    metric = metrics.F1Score(5, average=average)
    for start in range(0, 40, 15):
      metric.update_state(self.labels[start:start + 15], self.logits[start:start + 15])
    self.assertAllClose(metric.result(), expected)
    metric.reset_state()
    self.assertAllClose(metric.result(), 0.0)
    clone = metrics.F1Score.from_config(metric.get_config())
    self.assertEqual((clone.num_classes, clone.average, clone.name),
                     (5, average, f"{average}_f1"))

  def test_micro_f1_of_single_label_is_accuracy(self):
    self.assertAllClose(metrics.f1_score(self.labels, self.logits, num_classes=5,
                                         average="micro"),
                        metrics.accuracy(self.labels, self.logits))

  def test_f1_in_keras_compile(self):
    model = tf.keras.Sequential([tf.keras.layers.Dense(3)])
    model.compile(loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[metrics.F1Score(3, average="macro")])
    x = np.random.default_rng(0).normal(size=(16, 4)).astype(np.float32)
    y = np.arange(16) % 3
    result = model.evaluate(x, y, verbose=0, return_dict=True)
    self.assertAllClose(result["macro_f1"],
                        _f1_reference(y, model.predict(x, verbose=0).argmax(-1), "macro"),
                        atol=1e-6)

  def test_auc_exact_with_ties(self):
    rng = np.random.default_rng(1)
    scores = rng.integers(0, 4, 30).astype(np.float32)  # many ties
    labels = rng.integers(0, 2, 30)
    pos, neg = scores[labels == 1], scores[labels == 0]
    expected = np.mean([[1.0 if p > n else 0.5 if p == n else 0.0 for n in neg] for p in pos])
    self.assertAllClose(metrics.auc(labels, scores), expected)
    self.assertAllClose(metrics.auc([1, 1, 0], [3.0, 2.0, 1.0]), 1.0)
    self.assertTrue(np.isnan(metrics.auc([1, 1], [0.1, 0.2]).numpy()))

  def test_bad_arguments(self):
    with self.assertRaisesRegex(ValueError, "num_classes must be a positive int, got 0"):
      metrics.F1Score(0)
    with self.assertRaisesRegex(ValueError, r"average must be one of \['micro', 'macro'\]"):
      metrics.f1_score([0], [[1.0]], num_classes=1, average="weighted")
    with self.assertRaisesRegex(ValueError, r"y_pred must be scores \[B, C\]"):
      metrics.accuracy([0], [0.5])


class RankingMetricsTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    rng = np.random.default_rng(2)
    self.scores = rng.integers(0, 6, (12, 8)).astype(np.float32)  # ties included
    self.targets = rng.integers(0, 8, 12)
    self.relevance = (rng.random((12, 8)) < 0.3).astype(np.float32) * rng.integers(1, 3, (12, 8))
    self.relevance[0] = 0  # a row without relevant candidates

  def test_ranks_hits_mrr(self):
    expected = [_rank_reference(r, t) for r, t in zip(self.scores, self.targets)]
    self.assertAllClose(metrics.ranks(self.scores, self.targets), expected)
    self.assertAllClose(metrics.hits_at_k(self.scores, self.targets, 3),
                        [float(r <= 3) for r in expected])
    self.assertAllClose(metrics.mrr(self.scores, self.targets), np.mean(1 / np.array(expected)))

  def _top(self, row, k):
    return sorted(range(len(row)), key=lambda i: (-row[i], i))[:k]

  def test_recall_at_k(self):
    for k in (1, 3, 20):
      expected = []
      for row, rel in zip(self.scores, self.relevance):
        relevant = {i for i in range(8) if rel[i] > 0}
        found = len(relevant & set(self._top(row, k)))
        expected.append(found / len(relevant) if relevant else 0.0)
      self.assertAllClose(metrics.recall_at_k(self.scores, self.relevance, k), expected)

  def test_ndcg_at_k(self):
    for k in (1, 4, 8):
      expected = []
      for row, rel in zip(self.scores, self.relevance):
        dcg = sum((2 ** rel[i] - 1) / math.log2(pos + 2)
                  for pos, i in enumerate(self._top(row, k)))
        ideal = sorted(rel, reverse=True)[:k]
        idcg = sum((2 ** r - 1) / math.log2(pos + 2) for pos, r in enumerate(ideal))
        expected.append(dcg / idcg if idcg else 0.0)
      self.assertAllClose(metrics.ndcg_at_k(self.scores, self.relevance, k), expected,
                          atol=1e-6)
    perfect = metrics.ndcg_at_k(self.relevance, self.relevance, 3).numpy()
    self.assertAllClose(perfect[1:], np.ones(11), atol=1e-6)

  def test_streaming_classes(self):
    cases = [
        (metrics.HitsAtK(2), self.targets, metrics.hits_at_k(self.scores, self.targets, 2)),
        (metrics.MeanReciprocalRank(), self.targets,
         metrics.reciprocal_rank(self.scores, self.targets)),
        (metrics.RecallAtK(3), self.relevance,
         metrics.recall_at_k(self.scores, self.relevance, 3)),
        (metrics.NDCGAtK(3), self.relevance, metrics.ndcg_at_k(self.scores, self.relevance, 3)),
    ]
    for metric, y_true, per_row in cases:
      metric.update_state(y_true[:5], self.scores[:5])
      metric.update_state(y_true[5:], self.scores[5:])
      self.assertAllClose(metric.result(), np.mean(per_row), msg=metric.name)
      clone = type(metric).from_config(metric.get_config())
      self.assertEqual(clone.get_config(), metric.get_config())
    self.assertEqual(metrics.HitsAtK(10).name, "hits_at_10")

  def test_link_prediction_layout(self):
    pos = np.array([3.0, 0.0])
    neg = np.array([[1.0, 2.0, 5.0], [1.0, 2.0, 0.0]])
    scores = np.concatenate([pos[:, None], neg], 1)
    self.assertAllClose(metrics.ranks(scores, [0, 0]), [2.0, 3.5])

  def test_bad_arguments(self):
    with self.assertRaisesRegex(ValueError, "k must be a positive int, got 0"):
      metrics.hits_at_k(self.scores, self.targets, 0)
    with self.assertRaisesRegex(ValueError, "k must be a positive int"):
      metrics.RecallAtK(-1)
    with self.assertRaisesRegex(ValueError, r"scores must be a score matrix \[B, C\]"):
      metrics.mrr(self.scores[0], self.targets[:1])
