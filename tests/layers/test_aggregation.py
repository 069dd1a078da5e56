"""Tests of the masked and segment reductions in tfgle.layers.aggregation."""
import numpy as np
import tensorflow as tf

from tfgle.layers import aggregation


class MaskedTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    rng = np.random.default_rng(0)
    self.values = rng.normal(size=(2, 3, 4, 5)).astype(np.float32)
    self.mask = rng.random((2, 3, 4)) < 0.5
    self.mask[0, 0] = False
    self.poisoned = np.where(self.mask[..., None], self.values, np.nan).astype(np.float32)

  def _per_row(self, fn):
    out = np.zeros((2, 3, 5), np.float32)
    for idx in np.ndindex(2, 3):
      real = self.values[idx][self.mask[idx]]
      out[idx] = fn(real) if len(real) else 0
    return out

  def test_reductions_ignore_padding(self):
    cases = [(aggregation.masked_sum, lambda r: r.sum(0)),
             (aggregation.masked_mean, lambda r: r.mean(0)),
             (aggregation.masked_max, lambda r: r.max(0))]
    for fn, reference in cases:
      self.assertAllClose(fn(self.poisoned, self.mask), self._per_row(reference), atol=1e-6)
    self.assertAllEqual(aggregation.masked_count(self.mask)[..., 0], self.mask.sum(-1))

  def test_where_rows_is_where_over_the_leading_axes(self):
    fill = np.full_like(self.values, -7.0)
    for mask in [self.mask, self.mask[:1], self.mask[:, :, :1], self.mask[..., 0]]:
      expanded = mask.reshape(mask.shape + (1,) * (4 - mask.ndim))
      self.assertAllEqual(aggregation.where_rows(mask, self.poisoned, fill),
                          np.where(expanded, self.poisoned, fill))
    # Unknown leading and trailing sizes, as in a traced Keras model; NaN-free gradients.
    where = tf.function(aggregation.where_rows, input_signature=[
        tf.TensorSpec([None, 3, 4], tf.bool), tf.TensorSpec([None, 3, 4, None]),
        tf.TensorSpec([None, 3, 4, None])])
    values = tf.constant(self.poisoned)
    with tf.GradientTape() as tape:
      tape.watch(values)
      total = tf.reduce_sum(where(self.mask, values, tf.zeros_like(values)))
    self.assertAllEqual(tape.gradient(total, values),
                        np.broadcast_to(self.mask[..., None], self.values.shape).astype(float))

  def test_masked_softmax(self):
    logits = self.poisoned[..., 0]
    probs = aggregation.masked_softmax(logits, self.mask).numpy()
    self.assertAllEqual(probs[0, 0], np.zeros(4))  # all padding: zeros, not NaN
    self.assertAllEqual(probs[~self.mask], np.zeros((~self.mask).sum()))
    sums = probs.sum(-1)
    self.assertAllClose(sums[self.mask.any(-1)], np.ones(self.mask.any(-1).sum()))
    idx = (1, 2)
    real = self.values[idx][..., 0][self.mask[idx]]
    self.assertAllClose(probs[idx][self.mask[idx]], np.exp(real) / np.exp(real).sum())

  def test_masked_softmax_gradients_are_finite(self):
    logits = tf.constant(self.poisoned[..., 0])
    with tf.GradientTape() as tape:
      tape.watch(logits)
      out = tf.reduce_sum(aggregation.masked_softmax(logits, self.mask) * self.values[..., 1])
    self.assertTrue(np.all(np.isfinite(tape.gradient(out, logits).numpy())))


class SegmentTest(tf.test.TestCase):

  def test_segment_reductions_with_empty_segments(self):
    data = np.array([[1.0, -2.0], [3.0, 4.0], [-5.0, 0.5]], np.float32)
    ids = np.array([0, 0, 2])
    self.assertAllClose(aggregation.segment_mean(data, ids, 4),
                        [[2.0, 1.0], [0, 0], [-5.0, 0.5], [0, 0]])
    self.assertAllClose(aggregation.segment_max(data, ids, 4),
                        [[3.0, 4.0], [0, 0], [-5.0, 0.5], [0, 0]])
    probs = aggregation.segment_softmax(np.array([1.0, 2.0, 30.0], np.float32), ids, 4)
    self.assertAllClose(probs, [np.exp(1) / (np.exp(1) + np.exp(2)),
                                np.exp(2) / (np.exp(1) + np.exp(2)), 1.0])

  def test_add_remaining_self_loops_keeps_existing_ones(self):
    src, dst, w = aggregation.add_remaining_self_loops(
        tf.constant([0, 1, 2], tf.int64), tf.constant([1, 1, 0], tf.int64), 3,
        tf.constant([0.5, 2.0, 1.5]), fill_value=1.0)
    self.assertAllEqual(src, [0, 1, 2, 0, 2])
    self.assertAllEqual(dst, [1, 1, 0, 0, 2])
    self.assertAllClose(w, [0.5, 2.0, 1.5, 1.0, 1.0])

  def test_prepare_edges(self):
    src, dst, w = aggregation.prepare_edges(
        tf.constant([[0, -1, 2], [1, 50, 0]]), 3, [1.0, 2.0, 3.0], [True, False, True],
        layer="conv")
    self.assertAllEqual(src, [0, 2])
    self.assertAllEqual(dst, [1, 0])
    self.assertAllClose(w, [1.0, 3.0])
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, "conv: edge_index has ids < 0"):
      aggregation.prepare_edges(tf.constant([[0, -1], [1, 1]]), 3, layer="conv")
