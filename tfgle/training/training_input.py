"""The training input of `model.fit` under each tf.distribute strategy.

- One process: the dataset, its epochs repeated (a resumed run skips the
  epochs already trained and sees the batches of an uninterrupted one).
- MultiWorkerMirroredStrategy: each worker its shard of every epoch, all with
  the same number of steps (`tfgle.distribute.ego_dataset_fn`).
- ParameterServerStrategy: the workers sample the topology where it lives,
  partitioned over the parameter servers (the chief's own tables are out of
  their reach); they all run the same dataset function with no worker index to
  shard by, so each draws endless random seeds, a stream of its own.
"""
from __future__ import annotations

import math
from typing import Callable, Optional

import tensorflow as tf

from tfgle import distribute

# make_dataset(graph, shuffle=..., seed=...) -> one epoch of batches.
MakeDataset = Callable[..., tf.data.Dataset]
# make_dataset_fn(graph, seed=...) -> fn(input_context) -> the context's shard, epochs repeated.
MakeDatasetFn = Callable[..., Callable[[tf.distribute.InputContext], tf.data.Dataset]]


def training_input(strategy: tf.distribute.Strategy, graph, make_dataset: MakeDataset,
                   make_dataset_fn: MakeDatasetFn, *, num_examples: int, batch_size: int,
                   seed: int, skip_epochs: int = 0, repeat: bool = True,
                   finish: Optional[Callable[[tf.data.Dataset], tf.data.Dataset]] = None):
  """(data, steps per epoch) for `model.fit(data, steps_per_epoch=steps)` under `strategy`.

  Args:
    strategy: the run's strategy.
    graph: the built graph (partitioned over the parameter servers under
      ParameterServerStrategy).
    make_dataset: make_dataset(graph, shuffle=True | "random", seed=...) ->
      one epoch of batches of `batch_size` examples.
    make_dataset_fn: make_dataset_fn(graph, seed=...) -> a dataset function of
      one worker's shard with the epochs repeated
      (`tfgle.distribute.ego_dataset_fn(..., repeat=True)`).
    num_examples: examples (seeds, edges) per epoch.
    batch_size: the global batch size.
    seed: the traversal and sampling seed.
    skip_epochs: epochs already trained (a resumed run), skipped.
    repeat: in one process, repeat the epochs in one dataset (with steps);
      False gives one epoch that Keras iterates anew (steps None). Either
      way no epoch can be skipped with repeat=False.
    finish: applied last to every dataset (e.g. prefetch).

  Raises:
    ValueError: skip_epochs with repeat=False.
  """
  finish = finish or (lambda ds: ds)
  if skip_epochs and not repeat:
    raise ValueError(f"skip_epochs={skip_epochs} needs repeat=True")

  def skip(ds, steps):
    return ds.skip(skip_epochs * steps) if skip_epochs else ds
  if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
    steps = distribute.steps_per_epoch(strategy, num_examples, batch_size)
    shard_fn = make_dataset_fn(graph, seed=seed)
    return strategy.distribute_datasets_from_function(
        lambda context: finish(skip(shard_fn(context), steps))), steps
  steps = math.ceil(num_examples / batch_size)
  if isinstance(strategy, tf.distribute.experimental.ParameterServerStrategy):
    partitioned = distribute.PartitionedGraph(graph, distribute.ps_devices(strategy))
    return tf.keras.utils.experimental.DatasetCreator(lambda context: finish(make_dataset(
        partitioned, shuffle="random", seed=distribute.worker_seed()))), steps
  ds = make_dataset(graph, shuffle=True, seed=seed)
  if not repeat:
    return finish(ds), None
  return finish(skip(ds.repeat(), steps)), steps
