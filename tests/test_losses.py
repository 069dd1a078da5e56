"""Tests of tfgle.losses against numpy references."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tfgle import losses


def _log_sigmoid(x):
  return -np.logaddexp(0, -x)


def _log_softmax(x):
  shifted = x - x.max(-1, keepdims=True)
  return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


class LossesTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    rng = np.random.default_rng(0)
    self.src = rng.normal(size=(5, 4)).astype(np.float32)
    self.pos = rng.normal(size=(5, 4)).astype(np.float32)
    self.neg = rng.normal(size=(5, 3, 4)).astype(np.float32)

  def test_softmax_cross_entropy(self):
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(6, 4)).astype(np.float32)
    labels = np.array([0, 3, -1, 2, 1, -1])
    weight = np.array([1.0, 2.0, 5.0, 0.5, 1.0, 1.0], np.float32)
    rows = [i for i in range(6) if labels[i] >= 0]
    per_row = np.array([-_log_softmax(logits[i])[labels[i]] for i in rows])
    self.assertAllClose(losses.softmax_cross_entropy(labels, logits), per_row.mean())
    self.assertAllClose(losses.softmax_cross_entropy(labels, logits, sample_weight=weight),
                        (per_row * weight[rows]).sum() / weight[rows].sum())
    smooth = np.array([-(_log_softmax(logits[i]) * (0.9 * np.eye(4)[labels[i]] + 0.025)).sum()
                       for i in rows])
    self.assertAllClose(losses.softmax_cross_entropy(labels, logits, label_smoothing=0.1),
                        smooth.mean())
    self.assertAllClose(losses.softmax_cross_entropy([-1, -1], logits[:2]), 0.0)
    keras_loss = losses.SoftmaxCrossEntropy()
    self.assertAllClose(keras_loss(labels, logits), per_row.sum() / 6)  # Keras means all rows
    self.assertEqual(losses.SoftmaxCrossEntropy.from_config(keras_loss.get_config()).name,
                     "softmax_cross_entropy")

  def test_sigmoid_cross_entropy(self):
    pos_logits = (self.src * self.pos).sum(-1)
    neg_logits = np.einsum("bd,bnd->bn", self.src, self.neg)
    expected = -_log_sigmoid(pos_logits).mean() - 0.5 * _log_sigmoid(-neg_logits).mean()
    self.assertAllClose(losses.sigmoid_cross_entropy(self.src, self.pos, self.neg,
                                                     neg_weight=0.5), expected, atol=1e-6)
    one_neg = self.neg[:, 0]
    expected = (-_log_sigmoid(pos_logits).mean() -
                _log_sigmoid(-(self.src * one_neg).sum(-1)).mean())
    self.assertAllClose(losses.sigmoid_cross_entropy(self.src, self.pos, one_neg), expected,
                        atol=1e-6)

  def test_sampled_softmax(self):
    pos_logits = (self.src * self.pos).sum(-1, keepdims=True)
    logits = np.concatenate([pos_logits, np.einsum("bd,bnd->bn", self.src, self.neg)], 1) / 0.5
    self.assertAllClose(losses.sampled_softmax(self.src, self.pos, self.neg, temperature=0.5),
                        -_log_softmax(logits)[:, 0].mean(), atol=1e-5)
    shared = self.neg[0]
    logits = np.concatenate([pos_logits, self.src @ shared.T], 1)
    self.assertAllClose(losses.sampled_softmax(self.src, self.pos, shared),
                        -_log_softmax(logits)[:, 0].mean(), atol=1e-5)
    logits = self.src @ self.pos.T
    self.assertAllClose(losses.sampled_softmax(self.src, self.pos),
                        -np.diag(_log_softmax(logits)).mean(), atol=1e-5)

  def test_margin_ranking_and_triplet(self):
    pos, neg = self.src[:, 0], self.neg[:, :, 0]
    self.assertAllClose(losses.margin_ranking(pos, neg, margin=0.5),
                        np.maximum(0, 0.5 - pos[:, None] + neg).mean())
    self.assertAllClose(losses.margin_ranking(pos, neg[:, 0]),
                        np.maximum(0, 1 - pos + neg[:, 0]).mean())
    d_pos = ((self.src - self.pos) ** 2).sum(-1)
    d_neg = ((self.src[:, None] - self.neg) ** 2).sum(-1)
    self.assertAllClose(losses.triplet(self.src, self.pos, self.neg, margin=2.0),
                        np.maximum(0, d_pos[:, None] - d_neg + 2.0).mean(), atol=1e-5)
    self.assertAllClose(
        losses.triplet(self.src, self.pos, self.neg[:, 1], distance="euclidean"),
        np.maximum(0, np.sqrt(d_pos) - np.sqrt(d_neg[:, 1]) + 1).mean(), atol=1e-5)

    def cos(a, b):
      return (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
    self.assertAllClose(
        losses.triplet(self.src, self.pos, self.neg, distance="cosine", margin=0.1),
        np.maximum(0, (1 - cos(self.src, self.pos))[:, None] -
                   (1 - cos(self.src[:, None], self.neg)) + 0.1).mean(), atol=1e-5)

  def test_transe_score(self):
    rel = self.pos * 0.1
    self.assertAllClose(losses.transe_score(self.src, rel, self.pos),
                        -np.abs(self.src + rel - self.pos).sum(-1), atol=1e-5)
    self.assertAllClose(losses.transe_score(self.src, rel, self.neg, norm=2),
                        -np.linalg.norm((self.src + rel)[:, None] - self.neg, axis=-1),
                        atol=1e-5)
    # A perfect translation scores ~0, better than any other tail.
    self.assertAllClose(losses.transe_score(self.src, self.pos - self.src, self.pos),
                        np.zeros(5), atol=1e-5)

  def test_gradients_are_finite(self):
    src = tf.Variable(self.src)
    for fn in (lambda: losses.sigmoid_cross_entropy(src, self.pos, self.neg),
               lambda: losses.sampled_softmax(src, self.pos),
               lambda: losses.triplet(src, src, self.neg, distance="euclidean"),
               lambda: losses.transe_score(src, self.pos, src, norm=2)):
      with tf.GradientTape() as tape:
        value = tf.reduce_sum(fn())
      grad = tape.gradient(value, src)
      self.assertIsNotNone(grad)
      self.assertTrue(np.all(np.isfinite(grad.numpy())))

  @parameterized.expand([
      (lambda s: losses.softmax_cross_entropy([1], [[0.0, 1.0]], label_smoothing=1.0),
       r"label_smoothing must be in \[0, 1\)"),
      (lambda s: losses.sampled_softmax(s.src, s.pos, temperature=0), "temperature must be > 0"),
      (lambda s: losses.triplet(s.src, s.pos, s.neg, distance="l1"),
       r"distance must be one of \['squared_euclidean', 'euclidean', 'cosine'\]"),
      (lambda s: losses.transe_score(s.src, s.pos, s.pos, norm=3), "norm must be 1 or 2"),
      (lambda s: losses.sigmoid_cross_entropy(s.src, s.neg, s.neg),
       r"pos must be \[B, D\], got shape \(5, 3, 4\)"),
      (lambda s: losses.softmax_cross_entropy([[1]], [[0.0, 1.0]]), r"labels must be \[B\]"),
      (lambda s: losses.margin_ranking(s.neg, s.neg), r"pos_scores must be \[B\]"),
  ])
  def test_errors(self, call, message):
    with self.assertRaisesRegex(ValueError, message):
      call(self)


class BprTest(tf.test.TestCase):

  def test_matches_numpy_and_leaves_masked_negatives_out(self):
    rng = np.random.default_rng(2)
    pos = rng.normal(size=5).astype(np.float32)
    neg = rng.normal(size=(5, 3)).astype(np.float32)
    expected = -_log_sigmoid(pos[:, None] - neg)
    self.assertAllClose(losses.bpr(pos, neg), expected.mean(), rtol=1e-6)
    self.assertAllClose(losses.bpr(pos, neg[:, 0]), expected[:, 0].mean(), rtol=1e-6)
    mask = rng.random((5, 3)) < 0.5
    mask[0, 0] = True
    self.assertAllClose(losses.bpr(pos, neg, mask=mask), expected[mask].mean(), rtol=1e-6)
    self.assertAllEqual(losses.bpr(pos, neg, mask=np.zeros((5, 3), bool)), 0.0)
    # Large margins stay finite.
    self.assertAllClose(losses.bpr([100.0], [[-100.0]]), 0.0)
    self.assertAllClose(losses.bpr([-100.0], [[100.0]]), 200.0)

  @parameterized.expand([
      (lambda: losses.bpr([[1.0]], [[1.0]]), r"pos_scores must be \[B\]"),
      (lambda: losses.bpr([1.0], [[[1.0]]]), r"neg_scores must be \[B, N\] or \[B\]"),
      (lambda: losses.bpr([1.0], [[1.0]], mask=[True]), "mask must be of neg_scores' shape"),
  ])
  def test_errors(self, call, message):
    with self.assertRaisesRegex(ValueError, message):
      call()
