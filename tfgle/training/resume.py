"""Resuming a killed run: Keras' BackupAndRestore, and the epoch a restarted run begins with.

`backup_and_restore(model_dir)` is the callback that saves the training state
at the end of every epoch under `model_dir`/backup; a run restarted with the
same flags restores it in `model.fit`. The input pipeline must skip the epochs
already trained, so the binary needs the epoch to begin with before `fit`
runs: `resume_epoch` reads it from the backup. Keras keeps it under a private
checkpoint key; this module is the one place that knows it (and its test
fails if a Keras upgrade moves it).

Example:
  initial_epoch = tfgle.training.resume_epoch(tfgle.training.backup_dir(model_dir))
  train = dataset.repeat().skip(initial_epoch * steps)
  model.fit(train, epochs=epochs, steps_per_epoch=steps,
            callbacks=[tfgle.training.backup_and_restore(model_dir)])
"""
from __future__ import annotations

import os

import tensorflow as tf

BACKUP_DIR = "backup"
# tf-keras 2.17: BackupAndRestore checkpoints the chief's state (which the
# chief writes under "chief") with the last finished epoch (0-based) here.
_CHIEF_DIR = "chief"
_SAVED_EPOCH_KEY = "ckpt_saved_epoch/.ATTRIBUTES/VARIABLE_VALUE"


def backup_dir(model_dir: str) -> str:
  """Where `backup_and_restore(model_dir)` keeps the training state."""
  return os.path.join(model_dir, BACKUP_DIR)


def backup_and_restore(model_dir: str) -> tf.keras.callbacks.BackupAndRestore:
  """The BackupAndRestore callback of a run under `model_dir` (state saved every epoch)."""
  return tf.keras.callbacks.BackupAndRestore(backup_dir(model_dir))


def resume_epoch(backup_directory: str) -> int:
  """The epoch (0-based) a run restarted on `backup_directory` begins with: 0 without a backup.

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
