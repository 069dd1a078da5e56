"""Evaluation in this process: what `model.evaluate` gives, computed where the data is.

Under ParameterServerStrategy, Keras runs `evaluate` (and `fit`'s validation)
on the workers, which cannot reach graph tables that live in the chief's
process. `LocalEvaluation` computes the same loss and metrics on the chief,
reading the weights from the parameter servers; `LocalValidation` adds its
val_* values to every epoch's logs, as `validation_data` would.

Example:
  evaluate = tfgle.training.LocalEvaluation(model, loss, metrics)
  model.fit(train, epochs=10, steps_per_epoch=steps,
            callbacks=[tfgle.training.LocalValidation(evaluate, val)])
  results = evaluate(test)   # {"loss": ..., metric name: ...}
"""
from __future__ import annotations

from typing import Sequence

import tensorflow as tf


class LocalEvaluation:
  """The mean loss and the metrics of a model over a dataset, computed in this process.

  Args:
    model: the model (called with training=False).
    loss: a loss with reduction NONE: per-example losses (regularization
      losses are not added, unlike `model.evaluate`).
    metrics: Keras metrics updated with (labels, model outputs).

  Call args:
    dataset: (batch, labels) pairs.

  Call returns:
    {"loss": mean loss, metric.name: result, ...} as Python floats.
  """

  def __init__(self, model: tf.keras.Model, loss: tf.keras.losses.Loss,
               metrics: Sequence[tf.keras.metrics.Metric]):
    if getattr(loss, "reduction", None) != tf.keras.losses.Reduction.NONE:
      raise ValueError(f"loss must have reduction NONE (per-example losses), got "
                       f"{getattr(loss, 'reduction', None)!r}")
    self.loss = tf.keras.metrics.Mean(name="loss")
    self.metrics = list(metrics)

    @tf.function
    def update(batch, labels):
      outputs = model(batch, training=False)
      self.loss.update_state(loss(labels, outputs))
      for metric in self.metrics:
        metric.update_state(labels, outputs)
    self._update = update

  def __call__(self, dataset) -> dict[str, float]:
    for metric in [self.loss, *self.metrics]:
      metric.reset_state()
    for batch, labels in dataset:
      self._update(batch, labels)
    return {"loss": float(self.loss.result()),
            **{metric.name: float(metric.result()) for metric in self.metrics}}


class LocalValidation(tf.keras.callbacks.Callback):
  """Adds the val_* values of a LocalEvaluation over `dataset` to each epoch's logs."""

  def __init__(self, evaluate: LocalEvaluation, dataset):
    super().__init__()
    self.evaluate = evaluate
    self.dataset = dataset

  def on_epoch_end(self, epoch, logs=None):
    if logs is not None:
      logs.update({f"val_{name}": value for name, value in self.evaluate(self.dataset).items()})
