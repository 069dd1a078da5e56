"""The training input of `model.fit` under each tf.distribute strategy.

- One process: an endless position stream of epochs (each epoch's order and
  sampling seeds a pure function of (seed, epoch)) starting at step
  `start_step`, i.e. at (epoch, batch) = divmod(start_step, steps per epoch):
  a resumed run sees the batches of an uninterrupted one from the step it
  reached (tfgle.training.resume).
- MultiWorkerMirroredStrategy: each worker its shard of every epoch, all with
  the same number of steps (`tfgle.distribute.ego_dataset_fn`).
- ParameterServerStrategy: the workers sample the topology and gather the
  node data where they live, partitioned over the parameter servers
  (PartitionedGraph with node_data: the chief's own tables are out of their
  reach, and the datasets carry no copy of the graph); they all run the
  same dataset function with no worker index to shard by, so each draws
  endless random seeds, a stream of its own. A run
  resumed at step `start_step` (tfgle.training.resume) draws the same way:
  there is no position to go back to, only the steps that remain.
"""
from __future__ import annotations

import math
from typing import Callable, Optional

import tensorflow as tf

from tfgle import distribute

# make_dataset(graph, shuffle=..., seed=..., position=...) -> batches (see ego_graph_dataset).
MakeDataset = Callable[..., tf.data.Dataset]
# make_dataset_fn(graph, seed=...) -> fn(input_context) -> the context's shard, epochs repeated.
MakeDatasetFn = Callable[..., Callable[[tf.distribute.InputContext], tf.data.Dataset]]


def training_input(strategy: tf.distribute.Strategy, graph, make_dataset: MakeDataset,
                   make_dataset_fn: MakeDatasetFn, *, num_examples: int, batch_size: int,
                   seed: int, start_step: int = 0, skip_epochs: int = 0,
                   finish: Optional[Callable[[tf.data.Dataset], tf.data.Dataset]] = None):
  """(data, steps per epoch) for `model.fit(data, steps_per_epoch=steps)` under `strategy`.

  Args:
    strategy: the run's strategy.
    graph: the built graph (partitioned over the parameter servers under
      ParameterServerStrategy).
    make_dataset: make_dataset(graph, shuffle=True | "random", seed=...,
      position=None | (epoch, batch)) -> batches of `batch_size` examples
      (tfgle.data.ego_graph_dataset's arguments).
    make_dataset_fn: make_dataset_fn(graph, seed=...) -> a dataset function of
      one worker's shard with the epochs repeated
      (`tfgle.distribute.ego_dataset_fn(..., repeat=True)`).
    num_examples: examples (seeds, edges) per epoch.
    batch_size: the global batch size.
    seed: the traversal and sampling seed.
    start_step: in one process, the step (batches already trained) the
      stream begins at; under ParameterServerStrategy it changes nothing
      (random streams).
    skip_epochs: under MultiWorkerMirroredStrategy, the epochs already
      trained (a resumed run), skipped.
    finish: applied last to every dataset (e.g. prefetch).

  Raises:
    ValueError: start_step < 0, or start_step under
      MultiWorkerMirroredStrategy (which resumes at an epoch start:
      skip_epochs), or skip_epochs in one process.
  """
  finish = finish or (lambda ds: ds)
  multi_worker = isinstance(strategy, (tf.distribute.MultiWorkerMirroredStrategy,
                                       tf.distribute.experimental.ParameterServerStrategy))
  if not isinstance(start_step, int) or isinstance(start_step, bool) or start_step < 0:
    raise ValueError(f"start_step must be an int >= 0, got {start_step!r}")
  if start_step and isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
    raise ValueError(f"start_step={start_step}: {type(strategy).__name__} resumes at an epoch "
                     "start (skip_epochs), not at a step")
  if skip_epochs and not multi_worker:
    raise ValueError(f"skip_epochs={skip_epochs}: in one process give start_step (exact resume)")

  def skip(ds, steps):
    return ds.skip(skip_epochs * steps) if skip_epochs else ds
  if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
    steps = distribute.steps_per_epoch(strategy, num_examples, batch_size)
    shard_fn = make_dataset_fn(graph, seed=seed)
    return strategy.distribute_datasets_from_function(
        lambda context: finish(skip(shard_fn(context), steps))), steps
  steps = math.ceil(num_examples / batch_size)
  if isinstance(strategy, tf.distribute.experimental.ParameterServerStrategy):
    partitioned = distribute.PartitionedGraph(graph, distribute.ps_devices(strategy),
                                              node_data=True)
    return tf.keras.utils.experimental.DatasetCreator(lambda context: finish(make_dataset(
        partitioned, shuffle="random", seed=distribute.worker_seed()))), steps
  return finish(make_dataset(graph, shuffle=True, seed=seed,
                            position=divmod(start_step, steps))), steps
