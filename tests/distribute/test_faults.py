"""Faults in a cluster: a parameter server killed mid-training, then the whole cluster restarted.

examples/train_supervised.py runs under the local launcher with
ParameterServerStrategy (1 chief, 2 workers, 2 parameter servers) on a small
synthetic graph, saving its training state every 4 steps. Its chief holds
after the first checkpoint (tests/distribute/hold_after_checkpoint.py), with
no step in flight; parameter server 1 is killed (SIGKILL) there. The chief
ends with a one-line error naming the lost server and saying to restart every
task, and the launcher stops the cluster. Started again with the same flags,
the run resumes at the checkpoint's step and trains the steps that remain:
the run's optimizer ends at epochs x steps per epoch, as planned.
"""
import json
import os
import re
import signal
import subprocess
import sys
import threading

import tensorflow as tf

from tests.distribute import cluster_runs

_EXAMPLES = os.path.join(cluster_runs.REPO, "examples")
_HOLD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hold_after_checkpoint.py")
_EPOCHS = 2
_CHECKPOINT_STEPS = 4
_FLAGS = ["--strategy=parameter_server", "--synthetic_nodes=2000", "--synthetic_edges=10000",
          f"--epochs={_EPOCHS}", "--batch_size=64", f"--checkpoint_steps={_CHECKPOINT_STEPS}"]


def _launch(command, on_line=None):
  """Runs `command` (a binary and its flags) as a cluster; returns (exit status, output)."""
  process = subprocess.Popen(
      [sys.executable, "-m", "tfgle.distribute.launch", "--workers", "2", "--ps", "2", "--",
       *command], env=cluster_runs.env(), cwd=cluster_runs.REPO, stdout=subprocess.PIPE,
      stderr=subprocess.STDOUT, text=True)
  timer = threading.Timer(cluster_runs.TIMEOUT_S, process.kill)
  timer.start()
  lines = []
  try:
    for line in process.stdout:
      lines.append(line)
      if on_line is not None:
        on_line(line)
    process.wait()
  finally:
    timer.cancel()
  return process.returncode, "".join(lines)


def _task_pids(output):
  return {m.group(1): int(m.group(2))
          for m in re.finditer(r"^\[launch\] (\S+) started: pid (\d+)", output, re.M)}


def _alive(pid):
  try:
    with open(f"/proc/{pid}/stat") as f:
      return f.read().split(")")[-1].split()[0] != "Z"
  except FileNotFoundError:
    return False


def test_a_lost_parameter_server_stops_the_run_and_a_restart_resumes_it(tmp_path):
  model_dir, metrics_json, go_on = tmp_path / "model_dir", tmp_path / "metrics.json", tmp_path / "go"
  flags = [*_FLAGS, f"--model_dir={model_dir}", f"--metrics_json={metrics_json}"]
  supervised = os.path.join(_EXAMPLES, "train_supervised.py")
  pids, held = {}, []

  def on_line(line):
    pids.update(_task_pids(line))
    hold = re.match(r"\[chief:0\] holding after checkpoint (\S+)", line)
    if hold:
      held.append(hold.group(1))
      os.kill(pids["ps:1"], signal.SIGKILL)
      go_on.touch()

  code, output = _launch([_HOLD, str(go_on), supervised, *flags], on_line)
  print("\n".join(line for line in output.splitlines()
                  if line.startswith(("[launch]", "[chief:0] holding", "[chief:0] tfgle",
                                      "[chief:0] error"))))
  assert held, f"the chief never held after a checkpoint:\n{output[-10000:]}"
  checkpoint = held[0]
  step = int(checkpoint.rsplit("-", 1)[1])
  assert step == _CHECKPOINT_STEPS
  # The chief ended with the one-line error, and the launcher with it (the
  # launcher's own line on ps:1 may come after the chief's end: not checked).
  assert re.search(
      r"^\[chief:0\] .*parameter server ps:1 \(127\.0\.0\.1:\d+\) failed; ParameterServerStrategy "
      r"cannot go on without it \(the variables it held are lost\): restart all tasks \(chief, "
      r"workers and parameter servers\) with the same flags to resume from the last checkpoint, "
      + re.escape(checkpoint) + "$", output, re.M), output[-10000:]
  assert "[launch] chief:0 exited with status 1" in output
  assert "[chief:0] Traceback" not in output  # a one-line error, not a traceback
  assert code == 1
  assert not metrics_json.exists()
  assert not [name for name, pid in pids.items() if _alive(pid)]

  # Every task started again with the same flags: the run resumes at the checkpoint.
  code, output = _launch([supervised, *flags])
  assert code == 0, output[-10000:]
  resumed = re.search(r"^\[chief:0\] resuming at epoch 1 from (\S+) at step (\d+) "
                      r"\(batch (\d+) of (\d+)\)$", output, re.M)
  assert resumed, output[-10000:]
  print(resumed.group(0))
  assert resumed.group(1) == os.path.dirname(checkpoint)
  assert int(resumed.group(2)) == int(resumed.group(3)) == step
  steps_per_epoch = int(resumed.group(4))
  assert step < steps_per_epoch
  with open(metrics_json) as f:
    metrics = json.load(f)
  assert metrics["resumed_at_step"] == step, metrics
  assert metrics["resumed_at_epoch"] == 1, metrics
  assert metrics["epochs_run"] == _EPOCHS
  assert metrics["test_accuracy"] > 0.5, metrics  # 16 classes: chance is 1/16
  # Nothing lost, nothing trained twice: at each epoch's end (its weights
  # checkpoint) the optimizer had taken that epoch's planned steps.
  for epoch in range(1, _EPOCHS + 1):
    saved = tf.train.load_checkpoint(str(model_dir / "checkpoints" / f"ckpt-{epoch}"))
    iterations = [k for k in saved.get_variable_to_shape_map() if re.match(
        r"optimizer/(_?iter|_iterations)/\.ATTRIBUTES", k)]
    assert len(iterations) == 1, sorted(saved.get_variable_to_shape_map())
    assert saved.get_tensor(iterations[0]) == epoch * steps_per_epoch
  assert not (model_dir / "backup").exists()  # a finished run leaves nothing to resume
