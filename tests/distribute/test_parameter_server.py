"""ParameterServerStrategy end to end: 1 chief, 2 workers, 2 parameter servers on loopback.

One run checks it all (a cluster run is the expensive part of these tests):
the topology is partitioned over the parameter servers (PartitionedGraph,
sampled there from the workers' tf.data pipelines), the id embedding is
sharded over them (the variable partitioner), worker 1 is killed (SIGKILL)
mid-training with steps in flight and replaced by the launcher, the
coordinator retries its steps and takes the replacement back, and training
completes with every scheduled step applied once and Cora's test accuracy
within a point of the single-process run.
"""
import collections
import os
import re
import signal
import threading

from tests.distribute import cluster_runs

TOLERANCE = 0.01
HOLD_AT_STEP = 30
NUM_MODELS = cluster_runs.NUM_MODELS


def test_cluster_trains_cora_through_a_worker_failure(cora_dir, single_process_metrics, tmp_path):
  pids, killed = {}, []
  go_on = tmp_path / "go_on"

  def on_line(line, process):
    del process
    started = re.match(r"\[launch\] (\S+) started: pid (\d+)", line)
    if started:
      pids[started.group(1)] = int(started.group(2))
    if line.startswith(f"[chief:0] holding at step {HOLD_AT_STEP}"):
      # Steps are in flight on both workers.
      os.kill(pids["worker:1"], signal.SIGKILL)
      killed.append(pids["worker:1"])
    if killed and line.startswith("[worker:1]") and "Started server" in line:
      # The replacement serves, but the coordinator takes it back only when its
      # recovery probe succeeds; scheduling before that lets worker 0 run every
      # remaining step. Go on at the recovery, or after a grace period.
      timer = threading.Timer(60, go_on.touch)
      timer.daemon = True
      timer.start()
    if killed and "task:1 has been recovered" in line:
      go_on.touch()

  metrics, output = cluster_runs.run(
      cora_dir, launch_args=["--workers", "2", "--ps", "2", "--max_restarts", "1"],
      flags=["--strategy=parameter_server", "--partition_graph",
             f"--hold_at_step={HOLD_AT_STEP}", f"--hold_file={go_on}"],
      on_line=on_line)
  print(f"parameter server: { {k: v for k, v in metrics.items() if k != 'variable_devices'} }")
  print("\n".join(line for line in output.splitlines() if line.startswith("[launch]") or
                  "task:1 failed" in line or "task:1 has been recovered" in line))

  # Worker 1 died with steps in flight, the launcher replaced it, and the
  # coordinator took the replacement back.
  assert killed, f"the chief never held at step {HOLD_AT_STEP}"
  assert "[launch] worker:1 exited with status -9; restarting it (1 of 1)" in output
  assert len(re.findall(r"\[launch\] worker:1 started", output)) == 2
  assert "Worker /job:worker/replica:0/task:1 failed with UnavailableError" in output
  assert "Worker /job:worker/replica:0/task:1 has been recovered" in output
  # Every scheduled step ran once (the coordinator retried the failed ones).
  assert metrics["closures_done"] == metrics["scheduled_steps"] == metrics["steps"]
  assert metrics["scheduled_steps"] == single_process_metrics["steps"]
  assert "[Worker 1] Putting back a closure after it failed" in output
  # Both workers trained. Whether the replacement also runs steps after the hold
  # is timing: the coordinator first rebuilds its per-worker dataset, and on a
  # loaded machine worker 0 may finish Cora's remaining steps before that (seen
  # in CI), so new_worker_processes_after_hold is printed, not asserted.
  assert len(metrics["closures_per_worker_process"]) >= 2, metrics

  # Variables live on the parameter servers; each id embedding is sharded over both.
  devices = metrics["variable_devices"]
  assert all(d.startswith("/job:ps/") for d in sum(devices.values(), [])), devices
  shards = collections.defaultdict(list)
  for name, where in devices.items():
    if "ids_embedding" in name:
      shards[re.sub(r"/part_\d+:0$", "", name)].extend(where)
  assert len(shards) == NUM_MODELS, devices
  for where in shards.values():
    assert sorted(where) == ["/job:ps/replica:0/task:0/device:CPU:0",
                             "/job:ps/replica:0/task:1/device:CPU:0"], devices

  # Each parameter server holds about half of the topology (measured by the
  # tables on the servers).
  whole = _unpartitioned_topology_bytes(cora_dir)
  assert len(metrics["topology_bytes"]) == 2
  for part in metrics["topology_bytes"]:
    assert 0.45 <= part / whole <= 0.6, (metrics["topology_bytes"], whole)

  assert abs(metrics["test_accuracy"] - single_process_metrics["test_accuracy"]) <= TOLERANCE


def _unpartitioned_topology_bytes(cora_dir) -> int:
  import tfgle  # pylint: disable=g-import-not-at-top
  from tfgle.ops._library import ops  # pylint: disable=g-import-not-at-top
  graph, _ = tfgle.datasets.load_citation(cora_dir)
  return int(ops.tfgle_table_memory(graph.csr("cites").resource_handle))

