"""Training throughput: examples per second of `model.fit`, validation excluded."""
from __future__ import annotations

import time
from typing import Optional

import tensorflow as tf


class Throughput(tf.keras.callbacks.Callback):
  """Training examples per second: batch_size x steps over the epochs' training time.

  It times whole epochs less their validation, with epoch-level hooks only
  (ParameterServerStrategy allows no batch-level callbacks), and counts the
  steps the optimizer took. Put it first among the callbacks, so that its
  clock stops before other callbacks validate.

  Args:
    batch_size: the global batch size.
  """

  def __init__(self, batch_size: int):
    super().__init__()
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
      raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    self.batch_size = batch_size
    self.examples = 0
    self.seconds = 0.0
    self._epoch: Optional[tuple[float, int]] = None  # (start time, optimizer steps)
    self._validation_start = 0.0
    self._validation_seconds = 0.0

  def on_epoch_begin(self, epoch, logs=None):
    self._epoch = (time.perf_counter(), int(self.model.optimizer.iterations.numpy()))
    self._validation_seconds = 0.0

  def on_test_begin(self, logs=None):
    self._validation_start = time.perf_counter()

  def on_test_end(self, logs=None):
    self._validation_seconds += time.perf_counter() - self._validation_start

  def on_epoch_end(self, epoch, logs=None):
    if self._epoch is None:
      return
    start, steps = self._epoch
    self.seconds += time.perf_counter() - start - self._validation_seconds
    self.examples += self.batch_size * (int(self.model.optimizer.iterations.numpy()) - steps)
    self._epoch = None

  @property
  def examples_per_second(self) -> float:
    return self.examples / self.seconds if self.seconds else 0.0
