"""A Keras progress bar that also shows a rate (rows/s, nodes/s), for long loads and bulk
inference."""
from __future__ import annotations

import time

import tensorflow as tf


class RateProgress:
  """Progbar over `total` units of work, showing `rate_name` (counted items per second).

  verbose: 1 a bar, 2 a line at the end, 0 nothing (then it only counts).
  """

  def __init__(self, total: int, *, unit: str, rate_name: str, verbose: int = 1):
    self._rate_name = rate_name
    self._bar = (tf.keras.utils.Progbar(total, verbose=verbose, unit_name=unit,
                                        stateful_metrics=[rate_name]) if verbose else None)
    self.done, self.items, self._start = 0, 0, time.perf_counter()

  def add(self, work: int, items: int) -> None:
    """Records `work` more units done (the bar) and `items` more items (the rate)."""
    self.done, self.items = self.done + work, self.items + items
    if self._bar is not None:
      rate = self.items / max(time.perf_counter() - self._start, 1e-9)
      self._bar.update(self.done, values=[(self._rate_name, rate)])
