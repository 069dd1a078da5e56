"""Dataset functions for tf.distribute: one shard of the seeds per input pipeline.

`strategy.distribute_datasets_from_function(fn)` calls `fn(input_context)`
once per worker (input pipeline). The functions here build tfgle's EgoGraph
datasets for one such call: the pipeline's shard of each epoch's seeds (every
shard with the same number of batches, see tfgle.gsl.traversal) in batches of
the per-replica size.

Example (MultiWorkerMirroredStrategy; every worker holds the graph):
  strategy = tf.distribute.MultiWorkerMirroredStrategy()
  graph, info = tfgle.datasets.load_citation(data_dir)
  train = strategy.distribute_datasets_from_function(tfgle.distribute.ego_dataset_fn(
      graph, seeds="train", meta_path=["cites", "cites"], fanouts=[10, 5],
      batch_size=64, repeat=True))   # the global batch: 32 seeds per worker with 2
  model.fit(train, epochs=10, steps_per_epoch=tfgle.distribute.steps_per_epoch(
      strategy, info.splits["train"], 64))

(Keras needs steps_per_epoch with a distributed dataset, which has no known
length, and then keeps one iterator across epochs, hence repeat=True: every
pass of the repeated dataset is one epoch, reshuffled, the same on all
workers.)

Under ParameterServerStrategy every worker runs the same dataset function and
TensorFlow gives no worker index (the input context is always pipeline 0 of
1), so there is nothing to shard by: there, use shuffle="random" with
seed=worker_seed() (endless random seeds, a different stream on every worker)
and bound training by steps.
"""
from __future__ import annotations

from typing import Callable

import tensorflow as tf

from tfgle.data import ego_graph


def ego_dataset_fn(graph, seeds=None, meta_path=(), fanouts=(), batch_size: int = 512, *,
                   repeat: bool = False,
                   **kwargs) -> Callable[[tf.distribute.InputContext], tf.data.Dataset]:
  """A dataset function of tfgle.data.ego_graph_dataset batches for one input pipeline.

  Args:
    graph: a built tfgle.Graph (or a tfgle.distribute.PartitionedGraph).
    seeds, meta_path, fanouts: as ego_graph_dataset.
    batch_size: the GLOBAL batch size; each replica gets
      input_context.get_per_replica_batch_size(batch_size) seeds per batch.
    repeat: repeat the epochs endlessly (for Keras fit with steps_per_epoch).
    **kwargs: further ego_graph_dataset arguments (label, features, strategy,
      shuffle, drop_remainder, seed, ...), but not shard: it comes from the
      input context.

  Returns:
    fn(input_context) -> tf.data.Dataset, for
    strategy.distribute_datasets_from_function.

  Raises:
    ValueError: kwargs holds shard.
  """
  _check_kwargs(kwargs)

  def dataset_fn(input_context: tf.distribute.InputContext) -> tf.data.Dataset:
    ds = ego_graph.ego_graph_dataset(
        graph, seeds, meta_path, fanouts, _per_replica(input_context, batch_size),
        shard=_shard(input_context), **kwargs)
    return ds.repeat() if repeat else ds
  return dataset_fn


def link_ego_dataset_fn(graph, edge_type, src_meta_path=(), dst_meta_path=(), fanouts=(),
                        batch_size: int = 512, *, repeat: bool = False, **kwargs
                        ) -> Callable[[tf.distribute.InputContext], tf.data.Dataset]:
  """As ego_dataset_fn, for tfgle.data.link_ego_graph_dataset (batch_size: global, in edges)."""
  _check_kwargs(kwargs)

  def dataset_fn(input_context: tf.distribute.InputContext) -> tf.data.Dataset:
    ds = ego_graph.link_ego_graph_dataset(
        graph, edge_type, src_meta_path, dst_meta_path, fanouts,
        _per_replica(input_context, batch_size), shard=_shard(input_context), **kwargs)
    return ds.repeat() if repeat else ds
  return dataset_fn


def steps_per_epoch(strategy, num_seeds: int, batch_size: int, *,
                    drop_remainder: bool = False) -> int:
  """Steps of one epoch of ego_dataset_fn batches under `strategy` (the same on every worker).

  Args:
    strategy: the tf.distribute strategy (its cluster gives the number of
      input pipelines: one per worker).
    num_seeds: seeds (or edges) per epoch, e.g. info.splits["train"].
    batch_size: the global batch size given to ego_dataset_fn.
    drop_remainder: as given to ego_dataset_fn.

  Raises:
    ValueError: num_seeds < 1, or a batch size that the replicas do not divide.
  """
  if not isinstance(num_seeds, int) or num_seeds < 1:
    raise ValueError(f"num_seeds must be a positive int, got {num_seeds!r}")
  replicas = strategy.num_replicas_in_sync
  if not isinstance(batch_size, int) or batch_size <= 0 or batch_size % replicas:
    raise ValueError(f"batch_size must be a positive multiple of the {replicas} replicas in "
                     f"sync, got {batch_size!r}")
  pipelines = _num_input_pipelines(strategy)
  shard = -(-num_seeds // pipelines)
  per_replica = batch_size // replicas
  batches = shard // per_replica if drop_remainder else -(-shard // per_replica)
  # Each step takes one batch per local replica.
  return batches // max(1, replicas // pipelines)


def _num_input_pipelines(strategy) -> int:
  """One input pipeline per worker (chief included) of a multi-worker strategy."""
  resolver = getattr(strategy, "cluster_resolver", None)
  if resolver is None:
    return 1
  cluster = resolver.cluster_spec().as_dict()
  return max(1, len(cluster.get("worker", [])) + len(cluster.get("chief", [])))


def worker_seed() -> tf.Tensor:
  """A nondeterministic int64 scalar, drawn anew wherever (and whenever) it runs.

  Under ParameterServerStrategy a dataset function runs on every worker as the
  same traced function, so a seed fixed in Python (or derived from the global
  seed) gives every worker the same stream. This op seeds itself from the
  operating system on each worker instead (seed=0, seed2=0), so the workers
  draw different seeds, for `shuffle="random"` pipelines.
  """
  return tf.raw_ops.RandomUniformInt(shape=tf.constant([], tf.int32),
                                     minval=tf.constant(0, tf.int64),
                                     maxval=tf.constant(2**62, tf.int64), seed=0, seed2=0)


def _check_kwargs(kwargs):
  if "shard" in kwargs:
    raise ValueError("shard comes from the input context; do not pass it to a dataset "
                     f"function, got shard={kwargs['shard']!r}")


def _per_replica(input_context, batch_size: int) -> int:
  if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
    raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
  return input_context.get_per_replica_batch_size(batch_size)


def _shard(input_context) -> tuple[int, int]:
  return input_context.input_pipeline_id, input_context.num_input_pipelines
