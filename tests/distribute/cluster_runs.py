"""Runs tests/distribute/train_cora.py in one process or as a local cluster (shared by tests)."""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from typing import Callable, Optional

TRAINER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "train_cora.py")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The training recipe of every run (see train_cora.py). One model's test accuracy
# varies by about 0.6 points from run to run (sampling and batch order; 1 point
# with dropout 0.5); the mean of 4 models trained side by side by about 0.3.
NUM_MODELS = 4
RECIPE = ["--epochs=15", "--batch_size=20", "--seed=0", "--data_seed=0", "--dropout=0",
          f"--models={NUM_MODELS}"]
TIMEOUT_S = 900


def env():
  """The environment of the runs: the repository importable, TensorFlow quieter."""
  variables = dict(os.environ)
  variables["PYTHONPATH"] = REPO + os.pathsep + variables.get("PYTHONPATH", "")
  variables.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
  return variables


def run(data_dir: str, *, launch_args=(), flags=(),
        on_line: Optional[Callable[[str, subprocess.Popen], None]] = None):
  """Runs the trainer (under the launcher with launch_args); returns (metrics, output).

  on_line(line, process) sees every output line as it comes.
  """
  with tempfile.TemporaryDirectory() as tmp:
    metrics_path = os.path.join(tmp, "metrics.json")
    trainer = [TRAINER, f"--data_dir={data_dir}", f"--metrics_json={metrics_path}", *RECIPE,
               *flags]
    if launch_args:
      command = [sys.executable, "-m", "tfgle.distribute.launch", *launch_args, "--", *trainer]
    else:
      command = [sys.executable, *trainer]
    process = subprocess.Popen(command, env=env(), cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    lines = []
    timer = threading.Timer(TIMEOUT_S, process.kill)
    timer.start()
    start = time.monotonic()
    try:
      for line in process.stdout:
        lines.append(line)
        if on_line is not None:
          on_line(line, process)
      process.wait()
    finally:
      timer.cancel()
    output = "".join(lines)
    if process.returncode != 0 or not os.path.exists(metrics_path):
      raise AssertionError(f"{command} failed with status {process.returncode} after "
                           f"{time.monotonic() - start:.0f} s:\n{output[-20000:]}")
    with open(metrics_path) as f:
      metrics = json.load(f)
    metrics["wall_seconds"] = time.monotonic() - start
    return metrics, output
