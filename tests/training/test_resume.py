"""resume_epoch reads the epoch a restarted run begins with, where BackupAndRestore keeps it."""
import os
import tempfile

import numpy as np
import tensorflow as tf

from tfgle import training


class _Kill(tf.keras.callbacks.Callback):
  """Ends training (as a kill would) when epoch `at` begins."""

  def __init__(self, at):
    super().__init__()
    self.at = at

  def on_epoch_begin(self, epoch, logs=None):
    if epoch == self.at:
      raise KeyboardInterrupt(f"killed at epoch {epoch}")


class _FirstEpoch(tf.keras.callbacks.Callback):

  def __init__(self):
    super().__init__()
    self.epochs = []

  def on_epoch_begin(self, epoch, logs=None):
    self.epochs.append(epoch)


def _fit(model_dir, *callbacks):
  model = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(2,))])
  model.compile("sgd", "mse")
  x = np.ones((8, 2), np.float32)
  model.fit(x, np.ones((8,), np.float32), epochs=5, verbose=0,
            callbacks=[training.resume.backup_and_restore(model_dir), *callbacks])


class ResumeEpochTest(tf.test.TestCase):

  def test_without_a_backup_a_run_begins_at_epoch_0(self):
    model_dir = tempfile.mkdtemp(dir=self.get_temp_dir())
    self.assertEqual(training.resume_epoch(training.backup_dir(model_dir)), 0)

  def test_the_epoch_after_the_last_finished_one_as_keras_resumes(self):
    model_dir = tempfile.mkdtemp(dir=self.get_temp_dir())
    with self.assertRaises(KeyboardInterrupt):
      _fit(model_dir, _Kill(at=3))
    self.assertEqual(training.backup_dir(model_dir), os.path.join(model_dir, "backup"))
    self.assertEqual(training.resume_epoch(training.backup_dir(model_dir)), 3)
    # Keras itself resumes there (the input pipeline must skip the same epochs).
    first = _FirstEpoch()
    _fit(model_dir, first)
    self.assertEqual(first.epochs, [3, 4])
    # A finished run leaves nothing to resume.
    self.assertEqual(training.resume_epoch(training.backup_dir(model_dir)), 0)

  def test_a_backup_without_the_epoch_key_is_an_error(self):
    backup = training.backup_dir(tempfile.mkdtemp(dir=self.get_temp_dir()))
    tf.train.Checkpoint(step=tf.Variable(1)).save(os.path.join(backup, "chief", "chief"))
    with self.assertRaisesRegex(RuntimeError, r"the BackupAndRestore checkpoint .*chief-1 has no "
                                r"'ckpt_saved_epoch/.ATTRIBUTES/VARIABLE_VALUE'"):
      training.resume_epoch(backup)


if __name__ == "__main__":
  tf.test.main()
