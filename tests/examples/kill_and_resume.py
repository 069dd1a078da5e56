"""Kills a training binary mid-epoch (SIGKILL) once it has saved a mid-epoch checkpoint, and
compares the weights of two runs bit for bit: the resume tests of the training binaries."""
import os
import re
import signal
import subprocess
import time

import numpy as np
import tensorflow as tf

_CHECKPOINT = re.compile(r"ckpt-(\d+)\.index$")


def mid_epoch_checkpoints(backup_dir, steps_per_epoch):
  """The steps of the checkpoints in `backup_dir` that lie inside an epoch after the first."""
  names = os.listdir(backup_dir) if os.path.isdir(backup_dir) else []
  steps = [int(m.group(1)) for m in map(_CHECKPOINT.search, names) if m]
  return [s for s in steps if s > steps_per_epoch and s % steps_per_epoch]


def kill_mid_epoch(test, command, env, backup_dir, steps_per_epoch, log_path):
  """Runs `command` until it saves a checkpoint inside its second epoch or later, then SIGKILLs
  it; returns the checkpoint steps seen."""
  with open(log_path, "w") as log:
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 600
    while not mid_epoch_checkpoints(backup_dir, steps_per_epoch) and proc.poll() is None:
      test.assertLess(time.monotonic(), deadline, "no mid-epoch checkpoint after 600 s")
      time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    code = proc.wait()
  with open(log_path) as f:
    test.assertEqual(code, -signal.SIGKILL, f"the run ended before it was killed:\n{f.read()}")
  return mid_epoch_checkpoints(backup_dir, steps_per_epoch)


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
