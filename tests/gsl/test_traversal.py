"""Tests of seed traversal: orders, epochs, determinism, checkpointing."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tfgle.gsl.traversal import seed_batches


def _epoch(ds):
  return [(b.numpy().tolist(), s.numpy().tolist()) for b, s in ds]


class SeedBatchesTest(tf.test.TestCase):

  def test_ordered_pass_keeps_order_and_last_short_batch(self):
    ds = seed_batches([5, 6, 7, 8, 9], 2, order="ordered")
    self.assertEqual([b for b, _ in _epoch(ds)], [[5, 6], [7, 8], [9]])
    ds = seed_batches(5, 2, order="ordered", drop_remainder=True)
    self.assertEqual([b for b, _ in _epoch(ds)], [[0, 1], [2, 3]])

  def test_shuffle_visits_each_seed_once_per_epoch_in_new_orders(self):
    ds = seed_batches(np.arange(100, 200), 7, order="shuffle", seed=3)
    first, second = _epoch(ds), _epoch(ds)
    for epoch in (first, second):
      self.assertCountEqual(sum((b for b, _ in epoch), []), list(range(100, 200)))
    self.assertNotEqual([b for b, _ in first], [b for b, _ in second])
    self.assertNotEqual([s for _, s in first], [s for _, s in second])

  def test_same_seed_same_stream_in_a_new_pipeline(self):
    one = _epoch(seed_batches(50, 8, order="shuffle", seed=11))
    two = _epoch(seed_batches(50, 8, order="shuffle", seed=11))
    self.assertEqual(one, two)
    self.assertNotEqual(one, _epoch(seed_batches(50, 8, order="shuffle", seed=12)))

  def test_random_is_endless_and_uniform(self):
    ds = seed_batches(10, 1000, order="random", seed=0)
    draws = np.concatenate([b.numpy() for b, _ in ds.take(20)])
    counts = np.bincount(draws, minlength=10)
    self.assertEqual(counts.sum(), 20000)
    self.assertTrue(np.all(np.abs(counts - 2000) < 250), counts)

  def test_checkpoint_resumes_the_stream(self):
    ds = seed_batches(40, 3, order="shuffle", seed=5)
    it = iter(ds)
    for _ in range(4):
      next(it)
    ckpt = tf.train.Checkpoint(iterator=it)
    path = ckpt.write(self.get_temp_dir() + "/it")
    expected = [(b.numpy().tolist(), s.numpy().tolist()) for b, s in [next(it) for _ in range(5)]]
    fresh = iter(seed_batches(40, 3, order="shuffle", seed=5))
    tf.train.Checkpoint(iterator=fresh).read(path).assert_consumed()
    got = [(b.numpy().tolist(), s.numpy().tolist()) for b, s in [next(fresh) for _ in range(5)]]
    self.assertEqual(got, expected)

  @parameterized.expand([
      ("batch_zero", dict(population=5, batch_size=0), "batch_size must be a positive int"),
      ("bad_order", dict(population=5, batch_size=2, order="sorted"), "order must be one of"),
      ("empty", dict(population=[], batch_size=2), "empty population"),
      ("matrix", dict(population=[[1, 2]], batch_size=2), "must be a vector"),
  ])
  def test_bad_arguments(self, _, kwargs, message):
    with self.assertRaisesRegex(ValueError, message):
      seed_batches(**kwargs)


if __name__ == "__main__":
  tf.test.main()
