"""Seed traversal: the tf.data sources of sampling pipelines.

A traversal yields batches of seeds (dense node indices, or CSR edge positions)
in one of three orders, built from stock tf.data ops only, so that pipelines
stay deterministic under any parallelism and their iterators checkpoint:

- "ordered": one pass in index order;
- "shuffle": one pass per iteration, each node (or edge) exactly once, in a
  new seeded permutation every time the dataset is iterated (every epoch);
- "random": an endless stream of uniformly drawn seeds (with replacement).

Each batch also carries an int64 [2] sampling seed that is a deterministic
function of the base seed, the epoch and the batch position.

With `position=(epoch, batch)` the traversal is instead an endless stream of
passes that starts at batch `batch` of pass `epoch`; each pass's order and
sampling seeds are a pure function of (seed, pass number), so the stream's
position is plain state: a training job that counts its steps can rebuild the
stream at the step it reached (exact resume) with no iterator checkpoint.

Multi-worker training reads one shard per worker (`shard=(index, count)`):
every worker traverses the same pass (same seed) and keeps every count-th
seed, starting at its index, so the shards of a pass are disjoint and cover it.
When the pass does not divide evenly, the short shards are topped up with
another worker's seed from the pass's last group of `count`, so that every
shard has ceil(N / count) seeds and every worker the same number of batches
(a worker that runs out of batches first would leave the others waiting in
their gradient all-reduce). In "random" order a shard takes every count-th
batch of the endless stream.
"""
from __future__ import annotations

import numbers
from typing import Optional, Union

import tensorflow as tf

ORDERS = ("ordered", "shuffle", "random")


def seed_batches(population, batch_size: int, *, order: str = "shuffle",
                 drop_remainder: bool = False, seed: Union[int, tf.Tensor] = 0,
                 shard: Optional[tuple[int, int]] = None,
                 position: Optional[tuple[int, int]] = None) -> tf.data.Dataset:
  """Batches of items drawn from `population`, each with a sampling seed.

  Example:
    # Worker 1 of 4: a quarter of each epoch's seeds, as many batches as the others.
    ds = seed_batches(graph.split_indices("paper", "train"), 128, seed=7, shard=(1, 4))

  Args:
    population: int64 [N] items to traverse (dense node indices, or edge
      positions), or an int N meaning range(N).
    batch_size: items per batch (> 0).
    order: "ordered", "shuffle" or "random" (see the module docstring).
    drop_remainder: drop the last short batch of a pass (of the shard).
    seed: base seed of the permutation and of the per-batch sampling seeds.
      With order="random" it may also be an int64 scalar tensor (for example
      one drawn on each worker, see tfgle.distribute.worker_seed).
    shard: (index, count): traverse only shard `index` of `count` (see the
      module docstring); None or count 1 traverses everything.
    position: None: one pass per iteration of the dataset (reshuffled every
      iteration). (epoch, batch): an endless stream of stateless passes from
      batch `batch` of pass `epoch` (see the module docstring); with
      order="random", which has no passes, epoch must be 0 and `batch` is the
      stream's batch index.

  Returns:
    A dataset of (items int64 [batch_size or fewer], sampling seed int64 [2]).
  """
  if not isinstance(batch_size, int) or batch_size <= 0:
    raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
  if order not in ORDERS:
    raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
  index, count = _check_shard(shard)
  if tf.is_tensor(seed):
    if order != "random" or seed.dtype != tf.int64 or seed.shape.rank != 0:
      raise ValueError(f"seed may be a tensor only with order='random', and then an int64 "
                       f"scalar; got {seed!r} with order={order!r}")
  elif not isinstance(seed, numbers.Integral) or isinstance(seed, bool):
    raise ValueError(f"seed must be an int, got {seed!r}")
  if isinstance(population, int):
    if population < 0:
      raise ValueError(f"population size must be >= 0, got {population}")
    items = None
    size = population
  else:
    items = tf.convert_to_tensor(population, tf.int64)
    if items.shape.rank != 1:
      raise ValueError(f"population must be a vector, got shape {items.shape}")
    size = int(items.shape[0])
  if size == 0:
    raise ValueError("cannot traverse an empty population of seeds")
  start_epoch, start_batch = _check_position(position, order)

  def pick(positions):
    return positions if items is None else tf.gather(items, positions)

  if order == "random":
    # Batch b of the whole stream is a pure function of (seed, b); shard
    # `index` takes the batches b = index, index + count, ...
    def draw(batch_index):
      key = tf.stack([tf.cast(seed, tf.int64), batch_index * count + index])
      positions = tf.random.stateless_uniform([batch_size], seed=key, minval=0, maxval=size,
                                              dtype=tf.int64)
      sampling_seed = tf.random.experimental.stateless_fold_in(key, 1)
      return pick(positions), sampling_seed
    return tf.data.Dataset.range(start_batch, 2**62).map(draw)
  if position is not None:
    passes = tf.data.Dataset.range(start_epoch, 2**62).flat_map(
        lambda epoch: _stateless_pass(size, batch_size, order, drop_remainder, seed, index,
                                      count, epoch))
    return passes.skip(start_batch).map(lambda positions, key: (pick(positions), key))
  positions = tf.data.Dataset.range(size)
  if order == "shuffle":
    # A full-size buffer gives a uniform permutation; reshuffled per iteration.
    positions = positions.shuffle(size, seed=seed, reshuffle_each_iteration=True)
  if count > 1:
    # Worker `index` takes entry `index` of each group of `count` consecutive
    # positions; in the short last group, entry index mod (group size).
    positions = positions.batch(count).map(lambda group: group[index % tf.size(group)])
  batches = positions.batch(batch_size, drop_remainder=drop_remainder).map(pick)
  # Fresh seeds per iteration, deterministic given `seed`, checkpointable.
  sampling_seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
  if count > 1:
    sampling_seeds = sampling_seeds.map(
        lambda s: tf.random.experimental.stateless_fold_in(s, index))
  return tf.data.Dataset.zip((batches, sampling_seeds))


def _stateless_pass(size, batch_size, order, drop_remainder, seed, index, count, epoch):
  """The batches of pass `epoch` (of shard `index` of `count`), with their sampling seeds."""
  key = tf.stack([tf.constant(seed, tf.int64), epoch])
  positions = tf.range(size, dtype=tf.int64)
  if order == "shuffle":
    positions = tf.random.experimental.stateless_shuffle(positions, seed=key)
  if count > 1:  # as in seed_batches: entry `index` of each group of `count`
    starts = tf.range(0, size, count, dtype=tf.int64)
    group_size = tf.minimum(tf.constant(count, tf.int64), size - starts)
    positions = tf.gather(positions, starts + tf.math.floormod(tf.constant(index, tf.int64),
                                                               group_size))
  batches = tf.data.Dataset.from_tensor_slices(positions).batch(batch_size, drop_remainder)

  def with_seed(batch_index, batch):
    batch_key = tf.random.experimental.stateless_fold_in(key, batch_index)
    return batch, tf.random.experimental.stateless_fold_in(batch_key, index)
  return batches.enumerate().map(with_seed)


def _check_position(position, order) -> tuple[int, int]:
  """(epoch, batch) of a position argument; (0, 0) for None."""
  if position is None:
    return 0, 0
  ok = (isinstance(position, (tuple, list)) and len(position) == 2 and
        all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 0
            for v in position))
  if not ok:
    raise ValueError(f"position must be (epoch, batch) with ints >= 0, got {position!r}")
  if order == "random" and position[0] != 0:
    raise ValueError(f"order 'random' has no epochs: position must be (0, batch index), got "
                     f"{position!r}")
  return int(position[0]), int(position[1])


def _check_shard(shard) -> tuple[int, int]:
  """(index, count) of a shard argument; (0, 1) for None."""
  if shard is None:
    return 0, 1
  ok = (isinstance(shard, (tuple, list)) and len(shard) == 2 and
        all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in shard))
  if not ok or shard[1] < 1 or not 0 <= shard[0] < shard[1]:
    raise ValueError(f"shard must be (index, count) with 0 <= index < count, got {shard!r}")
  return int(shard[0]), int(shard[1])
