"""BestCheckpoint keeps and restores the best validation epoch's weights; fit_callbacks."""
import json
import os
import tempfile

import numpy as np
import tensorflow as tf

from tfgle import training


def _model():
  model = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(2,))])
  model.compile("sgd", "mse")
  return model


def _fill(model, value):
  model.set_weights([np.full_like(w, value) for w in model.get_weights()])


class BestCheckpointTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.directory = os.path.join(tempfile.mkdtemp(dir=self.get_temp_dir()), "best")

  def _epochs(self, best, model, values, first=0):
    for epoch, (accuracy, loss, weight) in enumerate(values, start=first):
      _fill(model, weight)
      best.on_epoch_end(epoch, {"val_accuracy": accuracy, "val_loss": loss})

  def test_keeps_the_best_epoch_and_breaks_ties_by_lower_loss(self):
    model = _model()
    best = training.BestCheckpoint(self.directory, resume=False)
    best.set_model(model)
    self._epochs(best, model, [(0.5, 1.0, 1.0), (0.7, 0.9, 2.0), (0.7, 0.8, 3.0), (0.7, 0.85, 4.0),
                               (0.6, 0.1, 5.0)])
    self.assertEqual(best.best, {"epoch": 3, "val_accuracy": 0.7, "val_loss": 0.8})
    with open(os.path.join(self.directory, "best.json")) as f:
      self.assertEqual(json.load(f), best.best)
    _fill(model, 0.0)
    self.assertTrue(best.restore(model))
    for w in model.get_weights():
      self.assertAllEqual(w, np.full_like(w, 3.0))

  def test_a_resumed_run_goes_on_comparing_with_the_killed_one(self):
    model = _model()
    best = training.BestCheckpoint(self.directory, resume=False)
    best.set_model(model)
    self._epochs(best, model, [(0.5, 1.0, 1.0), (0.8, 0.9, 2.0)])
    resumed = training.BestCheckpoint(self.directory, resume=True)
    resumed.set_model(model)
    self.assertEqual(resumed.best["epoch"], 2)
    self._epochs(resumed, model, [(0.75, 0.1, 3.0)], first=2)
    self.assertEqual(resumed.best["epoch"], 2)
    self._epochs(resumed, model, [(0.9, 0.5, 4.0)], first=3)
    self.assertEqual(resumed.best["epoch"], 4)

  def test_a_fresh_run_starts_empty(self):
    model = _model()
    best = training.BestCheckpoint(self.directory, resume=False)
    best.set_model(model)
    self._epochs(best, model, [(0.5, 1.0, 1.0)])
    fresh = training.BestCheckpoint(self.directory, resume=False)
    self.assertIsNone(fresh.best)
    self.assertFalse(os.path.exists(self.directory))
    self.assertFalse(fresh.restore(model))

  def test_needs_validation_values(self):
    best = training.BestCheckpoint(self.directory, resume=False)
    best.set_model(_model())
    with self.assertRaisesRegex(KeyError, r"BestCheckpoint needs \['val_accuracy', 'val_loss'\] "
                                r"in the epoch logs \(validate every epoch\), got \['loss'\]"):
      best.on_epoch_end(0, {"loss": 1.0})

  def test_in_fit_restores_the_weights_of_the_best_epoch(self):
    model_dir = tempfile.mkdtemp(dir=self.get_temp_dir())
    tf.keras.utils.set_random_seed(1)
    x = np.random.default_rng(0).normal(size=(64, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int32)
    model = tf.keras.Sequential([tf.keras.layers.Dense(2, input_shape=(2,))])
    model.compile(tf.keras.optimizers.SGD(0.5),
                  tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[tf.keras.metrics.SparseCategoricalAccuracy(name="accuracy")])
    best = training.BestCheckpoint(os.path.join(model_dir, "best"), resume=False)
    history = model.fit(x, y, batch_size=8, epochs=4, validation_data=(x[:16], 1 - y[:16]),
                        callbacks=training.fit_callbacks(model_dir) + [best], verbose=0)
    # Validation labels are flipped: accuracy falls as training goes on, so
    # the best epoch is an early one, not the last.
    keys = [(a, -l) for a, l in zip(history.history["val_accuracy"],
                                    history.history["val_loss"])]
    expected = max(range(4), key=lambda i: (keys[i], -i)) + 1
    self.assertEqual(best.best["epoch"], expected)
    self.assertLess(expected, 4)
    reference = tf.keras.models.clone_model(model)
    reference.load_weights(os.path.join(model_dir, "checkpoints", f"ckpt-{expected}"))
    best.restore(model)
    for actual, wanted in zip(model.get_weights(), reference.get_weights()):
      self.assertAllEqual(actual, wanted)


class FitCallbacksTest(tf.test.TestCase):

  def test_backup_checkpoints_and_logs_under_the_model_dir(self):
    backup, checkpoints, logs = training.fit_callbacks("/m")
    self.assertIsInstance(backup, tf.keras.callbacks.BackupAndRestore)
    self.assertEqual(backup.backup_dir, training.backup_dir("/m"))
    self.assertEqual(checkpoints.filepath, "/m/checkpoints/ckpt-{epoch}")
    self.assertTrue(checkpoints.save_weights_only)
    self.assertEqual(logs.log_dir, "/m/logs")
    # One-process runs resume with TrainingCheckpoint instead.
    checkpoints, logs = training.fit_callbacks("/m", backup=False)
    self.assertIsInstance(checkpoints, tf.keras.callbacks.ModelCheckpoint)
    self.assertIsInstance(logs, tf.keras.callbacks.TensorBoard)


if __name__ == "__main__":
  tf.test.main()
