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
"""
from __future__ import annotations

import tensorflow as tf

ORDERS = ("ordered", "shuffle", "random")


def seed_batches(population, batch_size: int, *, order: str = "shuffle",
                 drop_remainder: bool = False, seed: int = 0) -> tf.data.Dataset:
  """Batches of items drawn from `population`, each with a sampling seed.

  Args:
    population: int64 [N] items to traverse (dense node indices, or edge
      positions), or an int N meaning range(N).
    batch_size: items per batch (> 0).
    order: "ordered", "shuffle" or "random" (see the module docstring).
    drop_remainder: drop the last short batch of a pass.
    seed: base seed of the permutation and of the per-batch sampling seeds.

  Returns:
    A dataset of (items int64 [batch_size or fewer], sampling seed int64 [2]).
  """
  if not isinstance(batch_size, int) or batch_size <= 0:
    raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
  if order not in ORDERS:
    raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
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

  def pick(positions):
    return positions if items is None else tf.gather(items, positions)

  if order == "random":
    def draw(batch_index):
      positions = tf.random.stateless_uniform(
          [batch_size], seed=tf.stack([tf.constant(seed, tf.int64), batch_index]),
          minval=0, maxval=size, dtype=tf.int64)
      return pick(positions)
    batches = tf.data.Dataset.range(2**62).map(draw)
  else:
    positions = tf.data.Dataset.range(size)
    if order == "shuffle":
      # A full-size buffer gives a uniform permutation; reshuffled per iteration.
      positions = positions.shuffle(size, seed=seed, reshuffle_each_iteration=True)
    batches = positions.batch(batch_size, drop_remainder=drop_remainder).map(pick)
  # Fresh seeds per iteration, deterministic given `seed`, checkpointable.
  sampling_seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
  return tf.data.Dataset.zip((batches, sampling_seeds))
