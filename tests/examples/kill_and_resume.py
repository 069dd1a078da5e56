"""Kills a training binary mid-epoch (SIGKILL) once it has saved a mid-epoch checkpoint, and
compares the weights of two runs bit for bit: the resume tests of the training binaries."""
import os
import re
import signal
import subprocess
import time

import numpy as np
import tensorflow as tf

_LATEST = re.compile(r'^model_checkpoint_path: "ckpt-(\d+)"')


def latest_step(backup_dir):
  """The step of the latest checkpoint that the CheckpointManager in `backup_dir` recorded."""
  try:
    with open(os.path.join(backup_dir, "checkpoint")) as f:
      match = _LATEST.match(f.read())
  except FileNotFoundError:
    return None
  return int(match.group(1)) if match else None


def kill_mid_epoch(test, command, env, backup_dir, steps_per_epoch, log_path):
  """Runs `command` until its latest checkpoint lies inside its second epoch or a later one,
  then SIGKILLs it; returns the step of the latest checkpoint after the kill."""

  def mid_epoch():
    step = latest_step(backup_dir)
    return step is not None and step > steps_per_epoch and step % steps_per_epoch
  with open(log_path, "w") as log:
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 600
    while not mid_epoch() and proc.poll() is None:
      test.assertLess(time.monotonic(), deadline, "no mid-epoch checkpoint after 600 s")
      time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    code = proc.wait()
  with open(log_path) as f:
    test.assertEqual(code, -signal.SIGKILL, f"the run ended before it was killed:\n{f.read()}")
  return latest_step(backup_dir)


def assert_same_weights(test, path_a, path_b):
  """The model variables of two checkpoints (weights files) are bit-identical."""
  a, b = tf.train.load_checkpoint(path_a), tf.train.load_checkpoint(path_b)
  names = sorted(n for n in a.get_variable_to_shape_map() if "OPTIMIZER_SLOT" not in n and
                 n != "_CHECKPOINTABLE_OBJECT_GRAPH")
  test.assertEqual(names, sorted(n for n in b.get_variable_to_shape_map()
                                 if "OPTIMIZER_SLOT" not in n and
                                 n != "_CHECKPOINTABLE_OBJECT_GRAPH"))
  test.assertGreater(len(names), 2)
  differ = [n for n in names if not np.array_equal(a.get_tensor(n), b.get_tensor(n))]
  test.assertEqual(differ, [], "weights differ from the uninterrupted run's")
