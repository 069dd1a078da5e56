"""benchmarks/peers/tfgnn_train.py on a tiny graph: its JSON lines (never its speed)."""
import pytest

from tests.benchmarks import scripts
from tests.benchmarks.test_training_benchmark import FIELDS


@pytest.fixture(name="peer", scope="module")
def _peer():
  return scripts.load("benchmarks/peers/tfgnn_train.py")


def test_fit_and_compute_only_lines(peer, capsys, tmp_path):
  data = scripts.write_graph(tmp_path, nodes=500, edges=4000)
  peer.main([data, "--batch", "32", "--hidden", "8", "--steps", "2", "--warmup", "2",
             "--steps-per-execution", "2", "--workloads", "fit,compute_only"])
  load, fit, compute, ratio = scripts.json_lines(capsys.readouterr().out)
  assert load["event"] == "load" and load["nodes"] == 500 and load["classes"] == 16
  for line, workload in ((fit, "W4_train_fit"), (compute, "W4_train_compute_only")):
    assert set(FIELDS) <= set(line), sorted(set(FIELDS) - set(line))
    assert line["system"] == "tfgnn" and line["workload"] == workload
    assert line["seeds_per_s"] > 0
    assert (line["steps"], line["batch_size"], line["fanouts"]) == (2, 32, [10, 5])
    assert line["with_replacement"] is False
  assert ratio["workload"] == "W4_fit_over_compute_only" and ratio["ratio"] > 0


def test_bad_workloads(peer, tmp_path):
  with pytest.raises(SystemExit, match="--workloads must name fit and/or compute_only, got "
                                       "'train'"):
    peer.main([str(tmp_path), "--workloads", "train"])


def test_bad_fanouts(peer, tmp_path):
  with pytest.raises(SystemExit, match="--fanouts must be comma-separated positive ints, got "
                                       "'10,-5'"):
    peer.main([str(tmp_path), "--fanouts", "10,-5"])
