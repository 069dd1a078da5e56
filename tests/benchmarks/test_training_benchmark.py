"""benchmarks/training_benchmark.py on a tiny graph: its JSON lines (never its speed)."""
import re

import pytest

from tests.benchmarks import scripts

# The fields of every W4 result line (the schema of ../shared/peers/README.md and more).
FIELDS = ("system", "workload", "seeds_per_s", "steps", "seconds", "batch_size", "fanouts",
          "hidden", "threads", "peak_rss_mb", "loadavg1")


@pytest.fixture(name="bench", scope="module")
def _bench():
  return scripts.load("benchmarks/training_benchmark.py")


def _run(bench, capsys, argv):
  bench.main(argv)
  return scripts.json_lines(capsys.readouterr().out)


def test_fit_and_compute_only_lines(bench, capsys, tmp_path):
  data = scripts.write_graph(tmp_path)
  lines = _run(bench, capsys, [data, "--batch", "128", "--hidden", "16", "--steps", "4",
                               "--warmup", "2", "--steps-per-execution", "2",
                               "--cache-mb", "20"])
  load, fit, compute, ratio = lines
  assert load["event"] == "load" and load["nodes"] == 2000 and load["classes"] == 16
  for line, workload in ((fit, "W4_train_fit"), (compute, "W4_train_compute_only")):
    assert set(FIELDS) <= set(line), sorted(set(FIELDS) - set(line))
    assert line["system"] == "tfgle" and line["workload"] == workload
    assert line["seeds_per_s"] > 0 and line["seconds"] > 0
    assert (line["steps"], line["batch_size"], line["fanouts"], line["hidden"]) == (
        4, 128, [10, 5], 16)
    assert line["steps_per_execution"] == 2 and line["warmup_steps"] == 2
  assert compute["cached_batches"] == 6
  assert ratio["workload"] == "W4_fit_over_compute_only"
  assert ratio["ratio"] == pytest.approx(fit["seeds_per_s"] / compute["seeds_per_s"], rel=1e-3)


def test_three_layers_fit_only(bench, capsys, tmp_path):
  data = scripts.write_graph(tmp_path, nodes=500, edges=3000)
  lines = _run(bench, capsys, [data, "--fanouts", "3,2,2", "--batch", "32", "--hidden", "8",
                               "--steps", "3", "--warmup", "1", "--steps-per-execution", "1",
                               "--workloads", "fit", "--shuffle", "epoch"])
  assert [line.get("workload") for line in lines] == [None, "W4_train_fit"]
  fit = lines[1]
  assert fit["fanouts"] == [3, 2, 2] and fit["steps"] == 3 and fit["seeds_per_s"] > 0
  assert fit["model"].startswith("EgoGraphSAGE [8, 8, 8] mean")


@pytest.mark.parametrize("argv, message", [
    (["--fanouts", "10,x"], "--fanouts must be comma-separated positive ints, got '10,x'"),
    (["--fanouts", "10,0"], "--fanouts must be comma-separated positive ints, got '10,0'"),
    (["--batch", "0"], "--batch must be positive, got 0"),
    (["--steps-per-execution", "-1"], "--steps-per-execution must be positive, got -1"),
    (["--workloads", "fit,train"], "--workloads must name fit and/or compute_only, got "
                                   "'fit,train'"),
    (["--jit-compile", "--dedupe-nodes"], "--jit-compile cannot go with --dedupe-nodes"),
])
def test_bad_arguments(bench, argv, message, tmp_path):
  with pytest.raises(SystemExit, match=re.escape(message)) as caught:
    bench.main([str(tmp_path)] + argv)
  assert isinstance(caught.value.code, str)
