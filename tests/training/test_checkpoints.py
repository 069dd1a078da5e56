"""BestCheckpoint keeps and restores the best validation epoch's weights; fit_callbacks."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap

from parameterized import parameterized
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


_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# A run whose epoch 1 is the best (weights 1.0), then epoch 2 (weights 2.0,
# better) is killed (SIGKILL) while being saved, at KILL_AT:
#   weights_written: its weights are written, its best.json is not.
#   1, 2: before the first (the kept directory moves aside) or the second
#     (the new one takes its place) rename of the replacement.
_KILLED_WHILE_SAVING = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    import tfgle
    import tensorflow as tf
    from tfgle import training
    directory, kill_at = sys.argv[1:3]
    model = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    best = training.BestCheckpoint(directory, resume=False)
    best.set_model(model)

    def epoch(e, accuracy):
      model.set_weights([np.full_like(w, e + 1.0) for w in model.get_weights()])
      best.on_epoch_end(e, {"val_accuracy": accuracy, "val_loss": 1.0})

    def die(*args, **kwargs):
      os.kill(os.getpid(), signal.SIGKILL)
    epoch(0, 0.5)
    if kill_at == "weights_written":
      save_weights = tf.keras.Sequential.save_weights
      tf.keras.Sequential.save_weights = lambda *a, **k: (save_weights(*a, **k), die())
    else:
      renames, rename = [], os.rename

      def counted(*args):
        renames.append(args)
        if len(renames) == int(kill_at):
          die()
        rename(*args)
      os.rename = counted
    epoch(1, 0.8)
    sys.exit(3)  # not reached
""")


class KilledWhileSavingTest(tf.test.TestCase):
  """A run killed while saving its best epoch resumes with a whole best epoch: the previous
  one, or the new one once it was written whole."""

  @parameterized.expand([("weights_written", 1), ("1", 1), ("2", 2)])
  def test_leaves_a_whole_best_epoch(self, kill_at, epoch):
    directory = os.path.join(tempfile.mkdtemp(dir=self.get_temp_dir()), "best")
    env = dict(os.environ, PYTHONPATH=_REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    killed = subprocess.run([sys.executable, "-c", _KILLED_WHILE_SAVING, directory, kill_at],
                            env=env, cwd=_REPO, capture_output=True, text=True, timeout=300,
                            check=False)
    self.assertEqual(killed.returncode, -signal.SIGKILL, killed.stderr[-5000:])
    resumed = training.BestCheckpoint(directory, resume=True)
    self.assertEqual(resumed.best, {"epoch": epoch, "val_accuracy": (0.5, 0.8)[epoch - 1],
                                    "val_loss": 1.0})
    model = _model()
    self.assertTrue(resumed.restore(model))
    for w in model.get_weights():
      self.assertAllEqual(w, np.full_like(w, float(epoch)))
    self.assertEqual(sorted(os.listdir(os.path.dirname(directory))), ["best"])
    # It goes on comparing with that epoch.
    resumed.set_model(model)
    self._epoch(resumed, model, 2, 0.7)
    self.assertEqual(resumed.best["epoch"], 3 if epoch == 1 else 2)

  def _epoch(self, best, model, epoch, accuracy):
    _fill(model, epoch + 1.0)
    best.on_epoch_end(epoch, {"val_accuracy": accuracy, "val_loss": 1.0})


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
