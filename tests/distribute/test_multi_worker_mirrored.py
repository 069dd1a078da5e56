"""MultiWorkerMirroredStrategy end to end: a 2-worker loopback cluster trains Cora.

Both workers hold the graph and read disjoint halves of each epoch's training
papers (tfgle.distribute.ego_dataset_fn) in batches of half the global batch,
so every global batch is the single-process run's batch; only the sampled
neighborhoods and dropout masks differ.
"""
import json

from tests.distribute import cluster_runs

# Accuracy points the distributed run may differ from the single-process one.
TOLERANCE = 0.01


def test_two_workers_train_cora_like_one_process(cora_dir, single_process_metrics):
  metrics, output = cluster_runs.run(
      cora_dir, launch_args=["--workers", "2"], flags=["--strategy=multi_worker_mirrored"])
  print(f"multi-worker mirrored: {metrics}")
  assert metrics["num_replicas"] == 2
  # Equal step counts: both workers ran every step of every epoch.
  assert metrics["steps"] == single_process_metrics["steps"]
  finals = [json.loads(line.split("final metrics: ")[1]) for line in output.splitlines()
            if line.startswith("[worker:") and "final metrics: " in line]
  assert len(finals) == 2, output[-5000:]
  # The all-reduced updates kept the workers' models identical.
  assert finals[0]["weights_checksum"] == finals[1]["weights_checksum"], finals
  assert abs(metrics["test_accuracy"] - single_process_metrics["test_accuracy"]) <= TOLERANCE
