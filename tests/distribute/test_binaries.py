"""The training binaries' --strategy: each runs as a local cluster under the launcher.

Small synthetic graphs keep these runs short; tests/distribute/test_*.py
check the accuracy of distributed training on Cora against one process.
"""
import json
import os
import re
import subprocess
import sys

import pytest

from tests.distribute import cluster_runs

_EXAMPLES = os.path.join(cluster_runs.REPO, "examples")
_SMALL_GRAPH = ["--synthetic_nodes=2000", "--synthetic_edges=10000", "--epochs=2"]
_CLUSTERS = {"multi_worker_mirrored": ["--workers", "2"],
             "parameter_server": ["--workers", "2", "--ps", "2"]}


def _launch(binary, strategy, tmp_path, *flags):
  """Runs `binary` as a cluster for `strategy`; returns (chief's metrics, every task's)."""
  metrics_json = tmp_path / "metrics.json"
  command = [sys.executable, "-m", "tfgle.distribute.launch", *_CLUSTERS[strategy], "--",
             os.path.join(_EXAMPLES, binary), f"--strategy={strategy}", *_SMALL_GRAPH,
             f"--model_dir={tmp_path / 'model_dir'}", f"--metrics_json={metrics_json}", *flags]
  proc = subprocess.run(command, capture_output=True, text=True, env=cluster_runs.env(),
                        cwd=cluster_runs.REPO, timeout=cluster_runs.TIMEOUT_S, check=False)
  assert proc.returncode == 0, proc.stdout[-10000:] + proc.stderr[-5000:]
  finals = {m.group(1): json.loads(m.group(2))
            for m in re.finditer(r"^\[(\S+)\] final metrics: (.*)$", proc.stdout, re.M)}
  with open(metrics_json) as f:
    return json.load(f), finals


@pytest.mark.parametrize("strategy", sorted(_CLUSTERS))
def test_train_supervised(strategy, tmp_path):
  metrics, finals = _launch("train_supervised.py", strategy, tmp_path, "--batch_size=64",
                            "--progress=2")
  assert metrics["epochs_run"] == 2
  assert metrics["test_accuracy"] > 0.5, metrics  # 16 classes: chance is 1/16
  assert metrics["examples_per_second"] > 0
  model_dir = tmp_path / "model_dir"
  assert (model_dir / "model" / "saved_model.pb").exists()
  if strategy == "multi_worker_mirrored":
    # Both workers trained the same model (all-reduced) on equal step counts;
    # worker 0 (the chief) wrote the metrics and the model, worker 1 its copy.
    assert metrics["num_replicas"] == 2
    assert sorted(finals) == ["worker:0", "worker:1"]
    assert finals["worker:0"]["test_accuracy"] == finals["worker:1"]["test_accuracy"]
    assert metrics == finals["worker:0"]
    assert (model_dir / "workers" / "worker-1" / "model" / "saved_model.pb").exists()
  else:
    # Only the chief (coordinator) reports; it validated every epoch itself.
    assert sorted(finals) == ["chief:0"]
    assert metrics["best_epoch"] in (1, 2)
    assert 0 < metrics["best_val_accuracy"] <= 1


@pytest.mark.parametrize("strategy", sorted(_CLUSTERS))
def test_train_link_prediction(strategy, tmp_path):
  metrics, _ = _launch("train_link_prediction.py", strategy, tmp_path, "--batch_size=256")
  assert metrics["epochs"] == 2
  assert 0.5 < metrics["auc"] <= 1.0, metrics
  assert (tmp_path / "model_dir" / "model" / "saved_model.pb").exists()
