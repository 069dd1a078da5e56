"""Resuming a killed run: exactly (one process), at its last step (parameter servers), or at an
epoch start (MultiWorkerMirroredStrategy).

In one process (the default and mirrored strategies) a run resumes exactly:
`TrainingCheckpoint` saves the model, the optimizer (its iteration count is
the step), the dropout layers' random generators and the graph's fingerprint
every `every_steps` steps and at every epoch end (after the validation and
the epoch-end callbacks), under `model_dir`/backup. A restarted run restores
it (`restore()` gives the step), and `fit_from` rebuilds the input at that
step from a position stream, (epoch, batch) = divmod(step, steps per epoch),
trains the rest of the interrupted epoch and then the remaining epochs: the
batches, the dropout masks and the epoch-end work are those of an
uninterrupted run, and so are the final weights, bit for bit.

Dropout is resumable only with TF-Keras' tf.random.Generator RNG
(`seed_random(seed, exact_resume=True)` before the model is built): each Dropout
layer then draws from a generator whose state is a variable, saved in the
checkpoint. (Plain `tf.keras.utils.set_random_seed` seeds stateful ops whose
state no checkpoint holds.)

Under ParameterServerStrategy the chief (the coordinator) keeps the same
TrainingCheckpoint: it waits for the steps in flight before each save, so a
checkpoint holds the state after exactly its step. A run restarted after a
lost parameter server (which ends the run: tfgle.training.faults) resumes at
that step and trains the steps that remain, no more and no fewer; the
batches are not those of the lost run (each worker draws random batches).

A checkpoint is written whole before it becomes the latest: a run killed
while saving resumes from the checkpoint before (tf.train.CheckpointManager
writes the files under a new name, then replaces its `checkpoint` state file
atomically).

MultiWorkerMirroredStrategy resumes at the start of the last unfinished
epoch with Keras' BackupAndRestore (`backup_and_restore`, `resume_epoch`).

Example (any strategy; examples/train_supervised.py):
  resume.seed_random(seed, exact_resume=resume.exact(strategy))
  with strategy.scope():
    model = ...; model.compile(...)
  resumption = tfgle.training.resumption(strategy, model_dir, graph, model, every_steps=50)
  history, resumed_at = resumption.fit(
      model, lambda **start: nc.training_data(graph, ..., **start), epochs=10,
      validation_data=val, callbacks=tfgle.training.fit_callbacks(
          model_dir, backup=resumption.checkpoint is None) + [best])
"""
from __future__ import annotations

import dataclasses
import os
import shutil
from typing import Callable, Optional, Sequence

import tensorflow as tf

from tfgle import data
from tfgle.training import faults

BACKUP_DIR = "backup"
# tf-keras 2.17: BackupAndRestore checkpoints the chief's state (which the
# chief writes under "chief") with the last finished epoch (0-based) here.
_CHIEF_DIR = "chief"
_SAVED_EPOCH_KEY = "ckpt_saved_epoch/.ATTRIBUTES/VARIABLE_VALUE"
_MULTI_WORKER = (tf.distribute.MultiWorkerMirroredStrategy,
                 tf.distribute.experimental.ParameterServerStrategy)
_PARAMETER_SERVER = tf.distribute.experimental.ParameterServerStrategy

# make_train(start_step) -> (data from step `start_step` on, steps per epoch).
MakeTrain = Callable[[int], tuple]


def backup_dir(model_dir: str) -> str:
  """Where the training state of a run under `model_dir` is kept."""
  return os.path.join(model_dir, BACKUP_DIR)


def exact(strategy: tf.distribute.Strategy) -> bool:
  """Whether runs under `strategy` resume exactly (one process), bit for bit."""
  return not isinstance(strategy, _MULTI_WORKER)


def step_resumable(strategy: tf.distribute.Strategy) -> bool:
  """Whether runs under `strategy` resume at a step (TrainingCheckpoint), not at an epoch start:
  one process and ParameterServerStrategy."""
  return exact(strategy) or isinstance(strategy, _PARAMETER_SERVER)


def seed_random(seed: int, *, exact_resume: bool) -> None:
  """Seeds Python, numpy and TensorFlow; with exact_resume, Keras layers draw from
  tf.random.Generator variables that `TrainingCheckpoint` saves (call it before
  building the model)."""
  tf.keras.utils.set_random_seed(seed)
  if exact_resume:
    tf.keras.backend.experimental.enable_tf_random_generator()


def random_generators(model: tf.keras.Model) -> list[tf.random.Generator]:
  """The random generators of `model`'s layers (Dropout, ...), created now in layer order.

  TF-Keras creates a layer's generator on its first training call and does not
  track it for checkpoints; creating them here, in a fixed order, gives every
  run the same generators, which a checkpoint can then hold. Empty unless
  `seed_random(..., exact_resume=True)` ran before the model was built.
  """
  generators = []
  for layer in [model, *model.submodules]:
    rng = getattr(layer, "_random_generator", None)  # tf_keras BaseRandomLayer
    if rng is None or not hasattr(rng, "_maybe_init"):
      continue
    rng._maybe_init()  # pylint: disable=protected-access
    generator = getattr(rng, "_generator", None)
    if generator is not None and all(generator is not g for g in generators):
      generators.append(generator)
  return generators


class TrainingCheckpoint(tf.keras.callbacks.Callback):
  """The training state of a run, saved every `every_steps` steps (one process, parameter servers).

  Holds the model, its optimizer (whose iteration count is the step), the
  random generators of its layers (`random_generators`) and the graph's
  content fingerprint. It saves inside an epoch every `every_steps` steps
  (not at an epoch's last step) and at every epoch end; put it after the
  callbacks whose epoch-end work must not be lost (`fit_from` does), so that a
  checkpoint at an epoch end means that epoch's validation and best
  checkpoint are done. Under ParameterServerStrategy it first waits for the
  steps in flight (the coordinator's join), so that a checkpoint holds the
  state after exactly its step.

  Args:
    directory: where the checkpoints go (`backup_dir(model_dir)`).
    graph: the built graph the run samples (its fingerprint is recorded).
    model: the compiled model (build it under the strategy's scope).
    every_steps: steps between two checkpoints inside an epoch (>= 1).
    max_to_keep: checkpoints kept.

  Raises:
    ValueError: every_steps < 1, or a model that is not compiled.
  """

  def __init__(self, directory: str, graph, model: tf.keras.Model, *, every_steps: int,
               max_to_keep: int = 2):
    super().__init__()
    if not isinstance(every_steps, int) or isinstance(every_steps, bool) or every_steps < 1:
      raise ValueError(f"every_steps must be an int >= 1, got {every_steps!r}")
    if model.optimizer is None:
      raise ValueError("TrainingCheckpoint needs a compiled model (model.optimizer is None)")
    self.directory = directory
    self.every_steps = every_steps
    # The logs are not read: under ParameterServerStrategy they stay remote
    # values (Keras refuses other batch-level callbacks there).
    self._supports_tf_logs = True
    self._epoch_start = 0
    self._step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
    self._checkpoint = data.IteratorCheckpoint(
        graph, model=model, optimizer=model.optimizer, rng=random_generators(model),
        step=self._step)
    self._manager = tf.train.CheckpointManager(self._checkpoint, directory,
                                               max_to_keep=max_to_keep)

  def latest(self) -> Optional[str]:
    """The path of the latest checkpoint, or None."""
    return self._manager.latest_checkpoint

  def restore(self) -> int:
    """Restores the latest checkpoint; returns its step (0 without one).

    The model's variables are restored when they are created (on the first
    training step).

    Raises:
      ValueError: the checkpoint was written for a graph with other content, or
        holds no graph fingerprint (tfgle.data.IteratorCheckpoint's checks);
        nothing is restored then.
    """
    path = self.latest()
    if path is None:
      return 0
    self._checkpoint.restore(path)  # checks the graph fingerprint first
    return int(self._step.numpy())

  def save(self) -> str:
    """Saves the state now (checkpoint number: the step); returns its path.

    Under ParameterServerStrategy it waits for the steps scheduled so far.
    """
    self._join()
    step = int(self.model.optimizer.iterations.numpy())
    self._step.assign(step)
    return self._manager.save(checkpoint_number=step)

  def clear(self) -> None:
    """Removes the checkpoints (a finished run leaves nothing to resume)."""
    if os.path.isdir(self.directory):
      shutil.rmtree(self.directory)

  def _join(self):
    """Waits for the steps in flight (ParameterServerStrategy; in one process there are none)."""
    strategy = self.model.distribute_strategy
    if isinstance(strategy, _PARAMETER_SERVER):
      tf.distribute.experimental.coordinator.ClusterCoordinator(strategy).join()

  def on_epoch_begin(self, epoch, logs=None):
    self._join()
    self._epoch_start = int(self.model.optimizer.iterations.numpy())

  def on_train_batch_end(self, batch, logs=None):
    if batch + 1 == self.params.get("steps"):
      return  # the epoch's end: saved after the epoch-end work
    # The step this batch ends (under ParameterServerStrategy it may still run).
    if (self._epoch_start + batch + 1) % self.every_steps == 0:
      self.save()

  def on_epoch_end(self, epoch, logs=None):
    self.save()


def fit_from(model: tf.keras.Model, make_train: MakeTrain, *, start_step: int, epochs: int,
             checkpoint: TrainingCheckpoint,
             callbacks: Sequence[tf.keras.callbacks.Callback] = (), **fit_kwargs) -> dict:
  """model.fit from step `start_step` of a run of `epochs` epochs; returns the history.

  Trains the rest of the epoch that `start_step` is in (one fit of its
  remaining steps), then the remaining whole epochs, with `checkpoint` as the
  last callback; clears the checkpoint once every epoch is trained.

  Args:
    model: the compiled model (with `checkpoint` restored).
    make_train: make_train(step) -> (data from step `step` on, steps per epoch).
    start_step: the step to begin with (`checkpoint.restore()`).
    epochs: the run's epochs.
    checkpoint: the run's TrainingCheckpoint.
    callbacks: the other callbacks.
    **fit_kwargs: passed to every model.fit (validation_data, verbose, ...).

  Returns:
    The histories of the fits joined: metric name -> one value per epoch
    trained here.
  """
  data, steps = make_train(start_step)
  epoch, batch = divmod(start_step, steps)
  callbacks = [*callbacks, checkpoint]
  history = {}

  def fit(data, first, last, steps_per_epoch):
    run = model.fit(data, initial_epoch=first, epochs=last, steps_per_epoch=steps_per_epoch,
                    callbacks=callbacks, **fit_kwargs)
    for name, values in run.history.items():
      history.setdefault(name, []).extend(values)
  if batch and epoch < epochs:  # the rest of the interrupted epoch
    fit(data, epoch, epoch + 1, steps - batch)
    epoch += 1
    data, _ = make_train(epoch * steps)
  if epoch < epochs:
    fit(data, epoch, epochs, steps)
  checkpoint.clear()
  return history


@dataclasses.dataclass(frozen=True)
class Resumption:
  """Where a (re)started run begins: a step (one process, parameter servers) or an epoch start.

  Attributes:
    directory: where the training state is kept (`backup_dir(model_dir)`).
    checkpoint: the run's TrainingCheckpoint (one process, ParameterServerStrategy),
      restored; None under MultiWorkerMirroredStrategy, which resumes with
      BackupAndRestore.
    start_step: the step restored (0 for a fresh run).
    start_epoch: the epoch BackupAndRestore resumes at (MultiWorkerMirroredStrategy).
  """
  directory: str
  checkpoint: Optional[TrainingCheckpoint]
  start_step: int = 0
  start_epoch: int = 0

  @property
  def resumed(self) -> bool:
    """Whether the run goes on from a killed one."""
    return bool(self.start_step or self.start_epoch)

  def fit(self, model: tf.keras.Model, make_train: Callable[..., tuple], *, epochs: int,
          callbacks: Sequence[tf.keras.callbacks.Callback] = (),
          announce: Optional[Callable[[str], None]] = None,
          **fit_kwargs) -> tuple[dict, Optional[tuple[int, int]]]:
    """Trains the run's remaining steps; returns (history, (epoch, batch) resumed at or None).

    Args:
      model: the compiled model.
      make_train: make_train(start_step=...) in one process and under
        ParameterServerStrategy, make_train(skip_epochs=...) under
        MultiWorkerMirroredStrategy -> (data, steps per epoch) (e.g.
        tfgle.training.node_classification.training_data).
      epochs: the run's epochs.
      callbacks: the callbacks (with `fit_callbacks(model_dir, backup=
        self.checkpoint is None)`); the TrainingCheckpoint goes last.
      announce: called with a line saying where a resumed run begins.
      **fit_kwargs: passed to model.fit.

    Raises:
      tfgle.training.faults.ParameterServerFailure: a parameter server was
        lost (ParameterServerStrategy); restarting every task resumes the run.
    """
    with faults.parameter_server_failures(model.distribute_strategy, checkpoint=self.checkpoint):
      return self._fit(model, make_train, epochs=epochs, callbacks=callbacks, announce=announce,
                       **fit_kwargs)

  def _fit(self, model, make_train, *, epochs, callbacks, announce, **fit_kwargs):
    if self.checkpoint is None:
      start_epoch = min(self.start_epoch, epochs)
      data, steps = make_train(skip_epochs=start_epoch)
      position = (start_epoch, 0) if start_epoch else None
      if position and announce:
        announce(f"resuming at epoch {start_epoch + 1} from {self.directory}")
      run = model.fit(data, epochs=epochs, steps_per_epoch=steps, callbacks=list(callbacks),
                      **fit_kwargs)
      return run.history, position
    position = [None]

    def make(start_step):
      data, steps = make_train(start_step=start_step)
      if position[0] is None:
        position[0] = divmod(start_step, steps)
        if start_step and announce:
          announce(f"resuming at epoch {position[0][0] + 1} from {self.directory} "
                   f"at step {start_step} (batch {position[0][1]} of {steps})")
      return data, steps
    history = fit_from(model, make, start_step=self.start_step, epochs=epochs,
                       checkpoint=self.checkpoint, callbacks=callbacks, **fit_kwargs)
    return history, position[0] if self.start_step else None


def resumption(strategy: tf.distribute.Strategy, model_dir: str, graph, model: tf.keras.Model, *,
               every_steps: int) -> Resumption:
  """Restores the training state of a run under `model_dir`, if a killed one left it.

  One process and ParameterServerStrategy: a TrainingCheckpoint (every
  `every_steps` steps) under `backup_dir(model_dir)`, restored.
  MultiWorkerMirroredStrategy: the epoch that BackupAndRestore resumes at.
  Call it after compiling `model` (under the strategy's scope) and before
  training.

  Raises:
    ValueError: the checkpoint is of another graph (nothing is restored).
  """
  directory = backup_dir(model_dir)
  if not step_resumable(strategy):
    return Resumption(directory, None, start_epoch=resume_epoch(directory))
  with strategy.scope():
    checkpoint = TrainingCheckpoint(directory, graph, model, every_steps=every_steps)
  return Resumption(directory, checkpoint, start_step=checkpoint.restore())


def backup_and_restore(model_dir: str) -> tf.keras.callbacks.BackupAndRestore:
  """Multi-worker runs: the BackupAndRestore callback under `model_dir` (state saved every
  epoch; a restarted run resumes at the start of the last unfinished epoch)."""
  return tf.keras.callbacks.BackupAndRestore(backup_dir(model_dir))


def resume_epoch(backup_directory: str) -> int:
  """The epoch (0-based) a run restarted on `backup_and_restore`'s directory begins with: 0
  without a backup.

  Args:
    backup_directory: the directory given to BackupAndRestore (`backup_dir(model_dir)`).

  Raises:
    RuntimeError: a backup checkpoint without the epoch where tf-keras keeps
      it (a tf-keras whose layout this tfgle does not know).
  """
  path = tf.train.latest_checkpoint(os.path.join(backup_directory, _CHIEF_DIR))
  if path is None:
    return 0
  try:
    epoch = tf.train.load_variable(path, _SAVED_EPOCH_KEY)
  except (tf.errors.NotFoundError, ValueError) as e:
    raise RuntimeError(f"the BackupAndRestore checkpoint {path} has no {_SAVED_EPOCH_KEY!r}: "
                       f"this tf-keras ({getattr(tf.keras, '__version__', '?')}) keeps the epoch "
                       "elsewhere; update tfgle.training.resume") from e
  return int(epoch) + 1
