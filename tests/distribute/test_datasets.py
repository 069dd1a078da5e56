"""Tests of the tf.distribute dataset functions: shards per input pipeline, step counts."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

import tfgle
from tfgle.distribute import ego_dataset_fn, link_ego_dataset_fn, steps_per_epoch, worker_seed


def _context(index, count, replicas=None):
  return tf.distribute.InputContext(num_input_pipelines=count, input_pipeline_id=index,
                                    num_replicas_in_sync=replicas or count)


class _FakeStrategy:
  """What steps_per_epoch reads of a multi-worker strategy."""

  def __init__(self, workers, replicas_per_worker=1, chief=False):
    cluster = {"worker": [f"127.0.0.1:{1000 + i}" for i in range(workers)]}
    if chief:
      cluster["chief"] = ["127.0.0.1:999"]
    self.cluster_resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
        tf.train.ClusterSpec(cluster))
    self.num_replicas_in_sync = (workers + int(chief)) * replicas_per_worker


class DatasetFnTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.g, cls.info = tfgle.datasets.synthetic(num_nodes=203, num_edges=1000, dim=4,
                                               num_classes=3)
    cls.train = cls.g.split_indices("node", "train").numpy()

  @parameterized.expand([(2,), (3,)])
  def test_pipelines_get_disjoint_covering_shards_with_equal_batch_counts(self, count):
    fn = ego_dataset_fn(self.g, "train", ["links"], [2], batch_size=8 * count, seed=5)
    shards = []
    for index in range(count):
      batches = [ego["hop0"]["index"].numpy() for ego, _ in fn(_context(index, count))]
      self.assertTrue(all(len(b) <= 8 for b in batches))   # per-replica batches
      shards.append(batches)
    self.assertLen({len(b) for b in shards}, 1)            # equal step counts
    seeds = np.concatenate([np.concatenate(b) for b in shards])
    self.assertCountEqual(set(seeds), self.train)          # covering
    padding = -len(self.train) % count
    self.assertLen(seeds, len(self.train) + padding)       # disjoint (but the padding)
    self.assertEqual(
        len(shards[0]),
        steps_per_epoch(_FakeStrategy(count), len(self.train), 8 * count))

  def test_global_batches_of_the_shards_are_the_single_pipeline_batches(self):
    whole = ego_dataset_fn(self.g, "train", ["links"], [2], batch_size=16, seed=2)
    halves = [ego_dataset_fn(self.g, "train", ["links"], [2], batch_size=16, seed=2)(
        _context(i, 2)) for i in range(2)]
    one = [ego["hop0"]["index"].numpy() for ego, _ in whole(_context(0, 1))]
    two = [[ego["hop0"]["index"].numpy() for ego, _ in ds] for ds in halves]
    for step, batch in enumerate(one):
      self.assertCountEqual(np.concatenate([two[0][step], two[1][step]]), batch)

  def test_repeat_continues_with_the_next_epochs_permutation(self):
    fn = ego_dataset_fn(self.g, "train", ["links"], [2], batch_size=32, seed=1, repeat=True)
    steps = steps_per_epoch(_FakeStrategy(2), len(self.train), 32)
    epochs = [[], []]
    for index in range(2):
      batches = [ego["hop0"]["index"].numpy()
                 for ego, _ in fn(_context(index, 2)).take(2 * steps)]
      epochs[0].append(np.concatenate(batches[:steps]))
      epochs[1].append(np.concatenate(batches[steps:]))
    for epoch in epochs:   # each pass of the repeated shards is one epoch
      self.assertCountEqual(set(np.concatenate(epoch)), self.train)
    self.assertNotAllEqual(epochs[0][0], epochs[1][0])   # in a new order

  def test_link_pipelines_share_the_edges(self):
    fn = link_ego_dataset_fn(self.g, "links", ["links"], ["links"], [2], batch_size=200,
                             num_negatives=2)
    edges = [np.concatenate([b["src"]["hop0"]["index"].numpy() * 1000 +
                             b["dst"]["hop0"]["index"].numpy() for b in fn(_context(i, 2))])
             for i in range(2)]
    self.assertLen(edges[0], len(edges[1]))
    csr = self.g.csr("links")
    src, dst, _ = csr.edges_at(tf.range(csr.num_edges, dtype=tf.int64))
    self.assertCountEqual(np.concatenate(edges), src.numpy() * 1000 + dst.numpy())

  @parameterized.expand([
      ("one_worker", 1, 1, False, 140, 20, False, 7),
      ("two_workers", 2, 1, False, 140, 20, False, 7),
      ("uneven", 2, 1, False, 141, 20, False, 8),        # shards of 71: 8 batches of 10
      ("drop_remainder", 2, 1, False, 141, 20, True, 7),
      ("chief_and_worker", 1, 1, True, 140, 20, False, 7),
      # 8 batches of 10 per worker; a step takes one per local replica.
      ("two_replicas_a_worker", 2, 2, False, 160, 40, False, 4),
  ])
  def test_steps_per_epoch(self, _, workers, per_worker, chief, seeds, batch, drop, steps):
    strategy = _FakeStrategy(workers, per_worker, chief)
    self.assertEqual(steps_per_epoch(strategy, seeds, batch, drop_remainder=drop), steps)

  def test_steps_per_epoch_of_a_local_strategy(self):
    self.assertEqual(steps_per_epoch(tf.distribute.get_strategy(), 100, 30), 4)

  def test_worker_seed_differs_where_seeded_ops_agree(self):
    # Each worker runs the same traced dataset function: a seeded op draws the
    # same value on every worker, worker_seed does not.
    values, seeded = [], []
    for _ in range(2):
      tf.random.set_seed(7)
      values.append(int(tf.function(worker_seed)()))
      seeded.append(int(tf.function(lambda: tf.random.uniform([], maxval=2**30,
                                                              dtype=tf.int64))()))
    self.assertEqual(seeded[0], seeded[1])
    self.assertNotEqual(values[0], values[1])
    ds = tfgle.data.ego_graph_dataset(self.g, "train", ["links"], [2], 4, shuffle="random",
                                    seed=worker_seed())
    self.assertEqual(next(iter(ds))[0]["hop0"]["index"].shape, (4,))

  def test_errors(self):
    with self.assertRaisesRegex(ValueError, "shard comes from the input context"):
      ego_dataset_fn(self.g, "train", ["links"], [2], shard=(0, 2))
    with self.assertRaisesRegex(ValueError, "batch_size must be a positive int, got 0"):
      ego_dataset_fn(self.g, "train", ["links"], [2], batch_size=0)(_context(0, 1))
    with self.assertRaisesRegex(ValueError, "batch_size must be a positive multiple of the 2 "
                                "replicas in sync, got 21"):
      steps_per_epoch(_FakeStrategy(2), 100, 21)
    with self.assertRaisesRegex(ValueError, "num_seeds must be a positive int, got 0"):
      steps_per_epoch(_FakeStrategy(2), 0, 20)


if __name__ == "__main__":
  tf.test.main()
