"""The single-process reference run that the cluster tests compare with (run once)."""
import pytest

from tests.conftest import require_dataset
from tests.distribute import cluster_runs


@pytest.fixture(scope="session")
def cora_dir():
  return require_dataset("cora")


@pytest.fixture(scope="session")
def single_process_metrics(cora_dir):
  metrics, _ = cluster_runs.run(cora_dir)
  print(f"single process: {metrics}")
  return metrics
