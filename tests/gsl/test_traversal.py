"""Tests of seed traversal: orders, epochs, determinism, checkpointing."""
import os

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
      ("even", 40, 4, 3, "shuffle", False),
      ("uneven", 41, 4, 3, "shuffle", False),       # shards of 11, 10, 10, 10 seeds
      ("uneven_batches", 9, 2, 4, "ordered", False),  # 5 and 4 seeds: 2 and 1 batches unpadded
      ("fewer_seeds_than_workers", 2, 3, 5, "shuffle", False),
      ("drop_remainder", 41, 4, 3, "shuffle", True),
  ])
  def test_shards_are_disjoint_cover_the_pass_and_have_equal_batch_counts(
      self, _, size, count, batch_size, order, drop_remainder):
    population = np.arange(1000, 1000 + size)
    for epoch in range(2):
      del epoch
      shards = [_epoch(seed_batches(population, batch_size, order=order, seed=3,
                                    shard=(i, count), drop_remainder=drop_remainder))
                for i in range(count)]
      # (A fresh pipeline per shard and epoch: the same seed gives the same pass.)
      self.assertLen({len(shard) for shard in shards}, 1)
      items = [sum((b for b, _ in shard), []) for shard in shards]
      per_shard = -(-size // count)
      padding = per_shard * count - size
      if drop_remainder:
        self.assertTrue(all(len(i) == (per_shard // batch_size) * batch_size for i in items))
        continue
      self.assertTrue(all(len(i) == per_shard for i in items), [len(i) for i in items])
      every = sum(items, [])
      self.assertCountEqual(set(every), population.tolist())                   # covering
      self.assertLen(every, size + padding)                                    # disjoint
      # Different shards sample with different seeds.
      self.assertLen({tuple(shard[0][1]) for shard in shards}, count)

  def test_shards_follow_each_epochs_permutation(self):
    count = 3
    datasets = [seed_batches(30, 4, order="shuffle", seed=8, shard=(i, count))
                for i in range(count)]
    for _ in range(3):  # re-iterating a dataset: the next epoch's permutation
      items = [sum((b for b, _ in _epoch(ds)), []) for ds in datasets]
      self.assertCountEqual(sum(items, []), range(30))
    full = [b for b, _ in _epoch(seed_batches(30, 12, order="shuffle", seed=8))]
    first_shard = [b for b, _ in _epoch(seed_batches(30, 4, order="shuffle", seed=8,
                                                     shard=(0, count)))]
    # Shard 0 holds entries 0, 3, 6, ... of the unsharded pass: a global batch of
    # 12 is the union of the 3 shards' batches of 4.
    self.assertEqual(sum(first_shard, []), sum(full, [])[::count])

  def test_random_order_shards_take_interleaved_batches_of_one_stream(self):
    whole = [b for b, _ in _epoch(seed_batches(100, 5, order="random", seed=4).take(6))]
    for index in range(3):
      shard = _epoch(seed_batches(100, 5, order="random", seed=4, shard=(index, 3)).take(2))
      self.assertEqual([b for b, _ in shard], whole[index::3])

  def test_random_order_takes_a_tensor_seed(self):
    one = _epoch(seed_batches(50, 4, order="random", seed=tf.constant(9, tf.int64)).take(3))
    two = _epoch(seed_batches(50, 4, order="random", seed=9).take(3))
    self.assertEqual(one, two)

  def test_shard_count_one_is_the_whole_pass(self):
    self.assertEqual(_epoch(seed_batches(20, 3, order="shuffle", seed=1, shard=(0, 1))),
                     _epoch(seed_batches(20, 3, order="shuffle", seed=1)))

  def test_position_streams_are_pure_functions_of_the_position(self):
    stream = seed_batches(np.arange(100, 123), 5, order="shuffle", seed=7, position=(0, 0))
    first = _epoch(stream.take(15))   # 3 passes of 5 batches (23 = 4 x 5 + 3)
    passes = [sorted(sum((b for b, _ in first[5 * e:5 * e + 5]), [])) for e in range(3)]
    self.assertEqual(passes, [list(range(100, 123))] * 3)   # each pass: every seed once
    self.assertNotEqual(first[0][0], first[5][0])           # reshuffled every pass
    later = _epoch(seed_batches(np.arange(100, 123), 5, order="shuffle", seed=7,
                                position=(1, 3)).take(7))
    self.assertEqual(later, first[8:15])
    # Sampling seeds too are the same at the same position.
    self.assertEqual([k for _, k in later], [k for _, k in first[8:15]])
    self.assertEqual(len({tuple(k) for _, k in first}), 15)
    random = _epoch(seed_batches(50, 4, order="random", seed=2, position=(0, 3)).take(2))
    self.assertEqual(random, _epoch(seed_batches(50, 4, order="random", seed=2).take(5))[3:])

  def test_position_streams_shard_each_pass_like_one_pass(self):
    for count in (2, 3):
      shards = [_epoch(seed_batches(30, 4, order="shuffle", seed=8, shard=(i, count),
                                    position=(2, 0)).take(-(-30 // count // 4)))
                for i in range(count)]
      seen = sorted(set(sum((b for shard in shards for b, _ in shard), [])))
      self.assertEqual(seen, list(range(30)))
      self.assertEqual(len({len(shard) for shard in shards}), 1)

  def test_position_stream_iterator_checkpoint_spans_epochs(self):
    # A repeated one-pass-per-iteration stream restored from an iterator
    # checkpoint used to differ after the epoch boundary; a position stream
    # restores exactly, epochs later too.
    def stream():
      return seed_batches(20, 6, order="shuffle", seed=3, position=(0, 0))
    it = iter(stream())
    for _ in range(2):
      next(it)
    path = tf.train.Checkpoint(iterator=it).write(os.path.join(self.get_temp_dir(), "it"))
    expected = [next(it) for _ in range(12)]
    fresh = iter(stream())
    tf.train.Checkpoint(iterator=fresh).read(path).assert_consumed()
    for want, got in zip(expected, [next(fresh) for _ in range(12)]):
      self.assertAllEqual(want[0], got[0])
      self.assertAllEqual(want[1], got[1])

  @parameterized.expand([
      ("position_type", dict(population=5, batch_size=2, position=3), "position must be"),
      ("position_negative", dict(population=5, batch_size=2, position=(0, -1)),
       r"position must be \(epoch, batch\) with ints >= 0, got \(0, -1\)"),
      ("position_random_epoch", dict(population=5, batch_size=2, order="random",
                                     position=(1, 0)), "order 'random' has no epochs"),
  ])
  def test_bad_positions(self, _, kwargs, message):
    with self.assertRaisesRegex(ValueError, message):
      seed_batches(**kwargs)

  @parameterized.expand([
      ("batch_zero", dict(population=5, batch_size=0), "batch_size must be a positive int"),
      ("shard_index", dict(population=5, batch_size=2, shard=(2, 2)),
       r"shard must be \(index, count\) with 0 <= index < count, got \(2, 2\)"),
      ("shard_count", dict(population=5, batch_size=2, shard=(0, 0)), "shard must be"),
      ("shard_type", dict(population=5, batch_size=2, shard=3), "shard must be"),
      ("tensor_seed_shuffle", dict(population=5, batch_size=2, seed=tf.constant(1, tf.int64)),
       "seed may be a tensor only with order='random'"),
      ("tensor_seed_dtype", dict(population=5, batch_size=2, order="random",
                                 seed=tf.constant(1)), "int64 scalar"),
      ("float_seed", dict(population=5, batch_size=2, seed=1.5), "seed must be an int"),
      ("bad_order", dict(population=5, batch_size=2, order="sorted"), "order must be one of"),
      ("empty", dict(population=[], batch_size=2), "empty population"),
      ("matrix", dict(population=[[1, 2]], batch_size=2), "must be a vector"),
  ])
  def test_bad_arguments(self, _, kwargs, message):
    with self.assertRaisesRegex(ValueError, message):
      seed_batches(**kwargs)


if __name__ == "__main__":
  tf.test.main()
