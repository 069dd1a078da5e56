"""Exact resume (TrainingCheckpoint, fit_from) and, for multi-worker runs, resume_epoch, which
reads the epoch a restarted run begins with where BackupAndRestore keeps it."""
import os
import signal
import subprocess
import sys
import tempfile
import textwrap

from parameterized import parameterized
import numpy as np
import tensorflow as tf

from tfgle import gsl
from tfgle import training
from tfgle.training import resume

_X = np.random.RandomState(0).rand(64, 4).astype(np.float32)
_Y = (_X.sum(axis=1) > 2).astype(np.int64)
_STEPS = 8  # batches of 8 of 64 examples


class _Graph:
  """Stands for a built graph: its content fingerprint."""

  def __init__(self, fingerprint):
    self._fingerprint = fingerprint

  def fingerprint(self):
    return self._fingerprint


def _make_train(start_step):
  ds = gsl.seed_batches(64, 8, seed=5, position=divmod(start_step, _STEPS))
  return ds.map(lambda items, key: (tf.gather(_X, items), tf.gather(_Y, items))), _STEPS


def _model(seed):
  resume.seed_random(seed, exact_resume=True)
  model = tf.keras.Sequential([tf.keras.layers.Dense(16, activation="relu", input_shape=(4,)),
                               tf.keras.layers.Dropout(0.5), tf.keras.layers.Dense(2)])
  model.compile(tf.keras.optimizers.Adam(0.01),
                tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
  return model


class _KillAtStep(tf.keras.callbacks.Callback):

  def __init__(self, step):
    super().__init__()
    self.step = step

  def on_train_batch_end(self, batch, logs=None):
    if int(self.model.optimizer.iterations.numpy()) == self.step:
      raise KeyboardInterrupt(f"killed at step {self.step}")


class _EpochEnds(tf.keras.callbacks.Callback):

  def __init__(self):
    super().__init__()
    self.epochs = []

  def on_epoch_end(self, epoch, logs=None):
    self.epochs.append((epoch, sorted(k for k in logs if k.startswith("val_"))))


class ExactResumeTest(tf.test.TestCase):

  def tearDown(self):
    tf.keras.backend.experimental.disable_tf_random_generator()
    super().tearDown()

  def _fit(self, directory, seed, *callbacks, graph=_Graph("g")):
    model = _model(seed)
    checkpoint = resume.TrainingCheckpoint(directory, graph, model, every_steps=3)
    step = checkpoint.restore()
    ends = _EpochEnds()
    resume.fit_from(model, _make_train, start_step=step, epochs=3, checkpoint=checkpoint,
                    callbacks=[*callbacks, ends], validation_data=_make_train(0)[0].take(2),
                    verbose=0)
    return model, step, ends.epochs

  def test_killed_mid_epoch_with_dropout_ends_bit_identical(self):
    whole, _, ends = self._fit(tempfile.mkdtemp(dir=self.get_temp_dir()), seed=1)
    self.assertEqual([e for e, _ in ends], [0, 1, 2])
    directory = tempfile.mkdtemp(dir=self.get_temp_dir())
    with self.assertRaises(KeyboardInterrupt):
      self._fit(directory, 1, _KillAtStep(14))  # epoch 1, batch 6; checkpoint at step 12
    # A fresh process (other initial weights and RNG): the checkpoint's state wins.
    resumed, step, ends = self._fit(directory, seed=2)
    self.assertEqual(step, 12)
    # The rest of epoch 1, then epoch 2, each ending with its validation.
    self.assertEqual(ends, [(1, ["val_loss"]), (2, ["val_loss"])])
    for a, b in zip(whole.get_weights(), resumed.get_weights()):
      self.assertAllEqual(a, b)
    self.assertFalse(os.path.exists(directory))  # a finished run leaves nothing to resume

  def test_a_checkpoint_of_another_graph_is_refused_and_restores_nothing(self):
    directory = tempfile.mkdtemp(dir=self.get_temp_dir())
    with self.assertRaises(KeyboardInterrupt):
      self._fit(directory, 1, _KillAtStep(4), graph=_Graph("a"))
    model = _model(3)
    model.fit(_X, _Y, epochs=1, verbose=0)  # variables and optimizer state exist
    before = [v.numpy() for v in model.variables + model.optimizer.variables()]
    checkpoint = resume.TrainingCheckpoint(directory, _Graph("b"), model, every_steps=3)
    with self.assertRaisesRegex(ValueError, r"checkpoint .*ckpt-3 was written for a graph with "
                                r"fingerprint a, but this graph's is b"):
      checkpoint.restore()
    after = [v.numpy() for v in model.variables + model.optimizer.variables()]
    for a, b in zip(before, after):
      self.assertAllEqual(a, b)

  def test_a_checkpoint_not_written_by_training_checkpoint_is_refused(self):
    directory = tempfile.mkdtemp(dir=self.get_temp_dir())
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(v=tf.Variable(1)), directory, 1)
    manager.save()
    checkpoint = resume.TrainingCheckpoint(directory, _Graph("g"), _model(1), every_steps=3)
    with self.assertRaisesRegex(ValueError, "holds no graph fingerprint"):
      checkpoint.restore()

  def test_bad_arguments(self):
    with self.assertRaisesRegex(ValueError, "every_steps must be an int >= 1, got 0"):
      resume.TrainingCheckpoint("/tmp/x", _Graph("g"), _model(1), every_steps=0)
    model = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(2,))])
    with self.assertRaisesRegex(ValueError, "needs a compiled model"):
      resume.TrainingCheckpoint("/tmp/x", _Graph("g"), model, every_steps=1)

  def test_one_process_resumes_exactly_clusters_at_an_epoch_start(self):
    self.assertTrue(resume.exact(tf.distribute.get_strategy()))
    self.assertTrue(resume.step_resumable(tf.distribute.get_strategy()))
    model_dir = tempfile.mkdtemp(dir=self.get_temp_dir())
    r = training.resumption(tf.distribute.get_strategy(), model_dir, _Graph("g"), _model(1),
                            every_steps=5)
    self.assertIsInstance(r.checkpoint, training.TrainingCheckpoint)
    self.assertEqual((r.start_step, r.resumed, r.directory),
                     (0, False, os.path.join(model_dir, "backup")))


_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# A run (this file's model and data, 1 epoch of 8 steps, a checkpoint every 3
# steps) whose process is killed (SIGKILL) while saving its second checkpoint
# (step 6), at KILL_AT; it leaves the weights of its first (step 3) in WEIGHTS.
#   state_file: the checkpoint's files are written whole; `checkpoint` (the
#     state file that names the latest) is not updated yet.
#   data_file: the data file is half written and the index not yet.
_KILLED_WHILE_SAVING = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    from tensorflow.python.checkpoint import checkpoint_management
    from tests.training import test_resume as t
    from tfgle.training import resume
    directory, kill_at, weights = sys.argv[1:4]
    model = t._model(1)
    checkpoint = resume.TrainingCheckpoint(directory, t._Graph("g"), model, every_steps=3)
    save = resume.TrainingCheckpoint.save

    def die(*args, **kwargs):
      os.kill(os.getpid(), signal.SIGKILL)

    def write_half(prefix, options=None):
      path = type(checkpoint._checkpoint)._write(checkpoint._checkpoint, prefix)
      os.remove(path + ".index")
      data = path + ".data-00000-of-00001"
      os.truncate(data, os.path.getsize(data) // 2)
      die()

    def save_then_arm(self):
      path = save(self)
      np.savez(weights, *model.get_weights())
      if kill_at == "state_file":
        checkpoint_management.update_checkpoint_state_internal = die
      else:
        checkpoint._checkpoint._write = write_half
      return path
    resume.TrainingCheckpoint.save = save_then_arm
    resume.fit_from(model, t._make_train, start_step=0, epochs=1, checkpoint=checkpoint,
                    verbose=0)
    sys.exit(3)  # not reached
""")


class KilledWhileSavingTest(tf.test.TestCase):
  """A run killed while saving a checkpoint resumes from the one before, exactly."""

  def tearDown(self):
    tf.keras.backend.experimental.disable_tf_random_generator()
    super().tearDown()

  @parameterized.expand([("state_file",), ("data_file",)])
  def test_resumes_from_the_previous_checkpoint(self, kill_at):
    directory = tempfile.mkdtemp(dir=self.get_temp_dir())
    weights = os.path.join(self.get_temp_dir(), f"weights_{kill_at}.npz")
    env = dict(os.environ, PYTHONPATH=_REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_WHILE_SAVING, directory, kill_at, weights], env=env,
        cwd=_REPO, capture_output=True, text=True, timeout=300, check=False)
    self.assertEqual(killed.returncode, -signal.SIGKILL, killed.stderr[-5000:])
    files = os.listdir(directory)
    self.assertIn("ckpt-6.data-00000-of-00001", files)  # the killed save had begun
    self.assertEqual("ckpt-6.index" in files, kill_at == "state_file")

    model = _model(2)
    checkpoint = resume.TrainingCheckpoint(directory, _Graph("g"), model, every_steps=3)
    self.assertEqual(checkpoint.latest(), os.path.join(directory, "ckpt-3"))
    self.assertEqual(checkpoint.restore(), 3)
    saved = np.load(weights)
    for i, w in enumerate(model.get_weights()):
      self.assertAllEqual(w, saved[f"arr_{i}"])
    # The resumed run (saving over the killed save's files) ends as an uninterrupted one.
    resume.fit_from(model, _make_train, start_step=3, epochs=1, checkpoint=checkpoint, verbose=0)
    whole = _model(1)
    resume.fit_from(whole, _make_train, start_step=0, epochs=1, verbose=0,
                    checkpoint=resume.TrainingCheckpoint(
                        tempfile.mkdtemp(dir=self.get_temp_dir()), _Graph("g"), whole,
                        every_steps=3))
    self.assertEqual(int(model.optimizer.iterations.numpy()), _STEPS)
    for a, b in zip(whole.get_weights(), model.get_weights()):
      self.assertAllEqual(a, b)


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
