"""Checkpoints of a training run: the standard `fit` callbacks and the best epoch's weights.

`fit_callbacks(model_dir)` wires ModelCheckpoint (weights after every epoch),
TensorBoard and, for multi-worker runs (backup=True), BackupAndRestore (resume
after a kill at an epoch start; one-process runs resume exactly with
tfgle.training.resume.TrainingCheckpoint) under `model_dir`. `BestCheckpoint`
keeps the weights of the epoch with the best validation accuracy, so that the
model evaluated and saved at the end is the one selected on validation, not
the last one.

Example:
  best = tfgle.training.BestCheckpoint(os.path.join(model_dir, "best"), resume=False)
  model.fit(train, validation_data=val, epochs=10,
            callbacks=tfgle.training.fit_callbacks(model_dir) + [best])
  best.restore(model)   # the best val epoch's weights
"""
from __future__ import annotations

import json
import os
import shutil
from typing import Optional

import tensorflow as tf

from tfgle.training import resume


def fit_callbacks(model_dir: str, *, backup: bool = True) -> list[tf.keras.callbacks.Callback]:
  """BackupAndRestore (`model_dir`/backup; only with backup=True), ModelCheckpoint
  (`model_dir`/checkpoints/ckpt-EPOCH, weights) and TensorBoard (`model_dir`/logs)."""
  return [
      *([resume.backup_and_restore(model_dir)] if backup else []),
      tf.keras.callbacks.ModelCheckpoint(os.path.join(model_dir, "checkpoints", "ckpt-{epoch}"),
                                         save_weights_only=True),
      tf.keras.callbacks.TensorBoard(os.path.join(model_dir, "logs")),
  ]


class BestCheckpoint(tf.keras.callbacks.Callback):
  """Keeps the weights of the epoch with the best `monitor` (ties: the lower `tie_breaker`).

  The weights go to `directory`/weights, and the best epoch (1-based) and its
  values to `directory`/best.json, so that a resumed run (resume=True) goes on
  comparing with the epochs of the killed one. A run that does not resume
  starts with an empty `directory`.

  A run killed while saving leaves the previous best epoch whole: the new
  weights and best.json are written to `directory`.new, which then replaces
  `directory` (two renames; a resumed run finishes a replacement that a kill
  interrupted).

  Put it after the callbacks that add validation values to the epoch logs.

  Args:
    directory: where the best weights and best.json go.
    resume: go on from the best epoch recorded in `directory`.
    monitor: the epoch log value to maximize.
    tie_breaker: the epoch log value that decides ties (lower wins).

  Raises (at the end of an epoch):
    KeyError: the epoch logs lack `monitor` or `tie_breaker` (no validation).
  """

  def __init__(self, directory: str, *, resume: bool, monitor: str = "val_accuracy",
               tie_breaker: str = "val_loss"):
    super().__init__()
    self.directory = directory
    self.monitor = monitor
    self.tie_breaker = tie_breaker
    self.weights_path = os.path.join(directory, "weights")
    self.info_path = os.path.join(directory, "best.json")
    self.best: Optional[dict] = None
    self._new, self._old = directory.rstrip(os.sep) + ".new", directory.rstrip(os.sep) + ".old"
    if resume:
      self._recover()
    if resume and os.path.exists(self.info_path):
      with open(self.info_path) as f:
        self.best = json.load(f)
    else:
      for path in (directory, self._new, self._old):
        _remove(path)

  def _recover(self):
    """Finishes (or undoes) a replacement of `directory` that a kill interrupted."""
    if not os.path.exists(self.directory):
      if os.path.exists(os.path.join(self._new, "best.json")):  # written whole
        os.rename(self._new, self.directory)
      elif os.path.exists(self._old):
        os.rename(self._old, self.directory)
    _remove(self._new)
    _remove(self._old)

  def on_epoch_end(self, epoch, logs=None):
    logs = logs or {}
    missing = [k for k in (self.monitor, self.tie_breaker) if k not in logs]
    if missing:
      raise KeyError(f"BestCheckpoint needs {missing} in the epoch logs (validate every epoch), "
                     f"got {sorted(logs)}")
    value, tie = float(logs[self.monitor]), float(logs[self.tie_breaker])
    if self.best is not None and (value, -tie) <= (self.best[self.monitor],
                                                   -self.best[self.tie_breaker]):
      return
    best = {"epoch": epoch + 1, self.monitor: value, self.tie_breaker: tie}
    _remove(self._new)
    self.model.save_weights(os.path.join(self._new, "weights"))
    info = os.path.join(self._new, "best.json")  # last, whole: the new directory is complete
    with open(info + ".tmp", "w") as f:
      json.dump(best, f)
    os.replace(info + ".tmp", info)
    if os.path.exists(self.directory):
      os.rename(self.directory, self._old)
    os.rename(self._new, self.directory)
    _remove(self._old)
    self.best = best

  def restore(self, model: tf.keras.Model) -> bool:
    """Loads the best epoch's weights into `model`; False when no epoch was kept."""
    if self.best is None:
      return False
    model.load_weights(self.weights_path).expect_partial()
    return True


def _remove(path: str) -> None:
  if os.path.isdir(path):
    shutil.rmtree(path)
