"""The binaries refuse bad command lines and misconfiguration with a clear error, no traceback.

A bad flag value ends with absl's one-line usage error ("FATAL Flags parsing
error: ...", exit status 1); a strategy that the TF_CONFIG cluster cannot use,
a --model_dir of another run configuration and an export from a directory
without a trained model are refused the same way.
"""
import json
import os
import subprocess
import sys
import tempfile

from absl.testing import parameterized
import tensorflow as tf

from tfgle import training

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_SMALL = ["--synthetic_nodes=300", "--synthetic_edges=1500", "--epochs=1", "--progress=0"]


def _run(binary, *flags, tf_config=None):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2",
             PYTHONPATH=os.pathsep.join(filter(None, [_ROOT, os.environ.get("PYTHONPATH")])))
  env.pop("TF_CONFIG", None)
  if tf_config is not None:
    env["TF_CONFIG"] = json.dumps(tf_config)
  return subprocess.run([sys.executable, os.path.join(_ROOT, "examples", binary), *flags],
                        capture_output=True, text=True, env=env, timeout=600, check=False)


def _cluster(**tasks):
  return {"cluster": {t: [f"127.0.0.1:{2000 + 10 * i + j}" for j in range(n)]
                      for i, (t, n) in enumerate(tasks.items())},
          "task": {"type": "worker", "index": 0}}


class UsageErrorTest(tf.test.TestCase, parameterized.TestCase):

  def assertUsageError(self, proc, *messages):
    """Exit status 1, absl's one-line flags error naming `messages`, and no traceback."""
    self.assertEqual(proc.returncode, 1, proc.stderr[-3000:])
    self.assertNotIn("Traceback", proc.stderr)
    fatal = [line for line in proc.stderr.splitlines()
             if line.startswith("FATAL Flags parsing error: ")]
    self.assertLen(fatal, 1, proc.stderr[-3000:])
    for message in messages:
      self.assertIn(message, fatal[0])

  @parameterized.named_parameters(
      ("fanouts", "train_supervised.py", ["--fanouts=10,x"], ["--fanouts must be positive ints"]),
      ("epochs", "train_supervised.py", ["--epochs=0"], ["--epochs must be a positive int, got 0"]),
      ("link_epochs", "train_link_prediction.py", ["--epochs=0"], ["--epochs must be >= 1"]),
      ("dropout", "train_supervised.py", ["--dropout=1.5"],
       ["--dropout must be a rate in [0, 1), got 1.5"]),
      ("preset", "train_supervised.py", ["--preset=cora"],
       ["no hyper-parameter preset named 'cora'; the presets are ['citation', 'synthetic']"]),
      ("tables_without_preset", "train_supervised.py",
       ["--dataset=tables", "--node_table=a=x.tsv", "--edge_table=a,a,e=y.tsv"],
       ["--dataset=tables has no hyper-parameter preset; pick one with --preset (the presets "
        "are ['citation', 'synthetic'])"]),
      ("table_entry", "train_supervised.py",
       ["--dataset=tables", "--node_table=x.tsv", "--edge_table=a,a,e=y.tsv", "--preset=citation"],
       ["node_tables entry 'x.tsv' must be NODE_TYPE=PATH"]),
      ("data_dir", "train_supervised.py", ["--dataset=citation"],
       ["dataset 'citation' needs data_dir"]),
      ("multi_worker_subgraph", "train_supervised.py",
       ["--model=gcn", "--strategy=multi_worker_mirrored"],
       ["multi-worker strategies train the EgoGraph models"]),
      ("parameter_server_without_cluster", "train_supervised.py", ["--strategy=parameter_server"],
       ["strategy 'parameter_server' needs a TF_CONFIG cluster with ps tasks"]),
      ("negatives", "train_link_prediction.py", ["--num_negatives=0"],
       ["--num_negatives must be >= 1"]),
      ("holdout", "train_link_prediction.py", ["--holdout_edges=1.5"],
       ["--holdout_edges must be a fraction in (0, 1)"]),
      ("format", "export_embeddings.py", ["--model_dir=/tmp", "--output_dir=/tmp/x",
                                          "--format=csv"], ["--format=csv"]),
  )
  def test_bad_flag_values(self, binary, flags, messages):
    self.assertUsageError(_run(binary, *flags), *messages)

  def test_export_from_a_directory_without_a_trained_model(self):
    empty = tempfile.mkdtemp(dir=self.get_temp_dir())
    proc = _run("export_embeddings.py", f"--model_dir={empty}", f"--output_dir={empty}/out")
    self.assertUsageError(proc, f"model directory {empty} holds no trained model (no "
                          "model_info.json): train a model into it first")
    self.assertFalse(os.path.exists(os.path.join(empty, "out")))
    missing = os.path.join(empty, "missing")
    proc = _run("export_embeddings.py", f"--model_dir={missing}", f"--output_dir={empty}/out")
    self.assertUsageError(proc, f"model directory {missing} does not exist: train a model into "
                          "it first")

  def test_export_from_a_malformed_manifest(self):
    directory = tempfile.mkdtemp(dir=self.get_temp_dir())
    with open(os.path.join(directory, "model_info.json"), "w") as f:
      json.dump({"format_version": 1, "model": "model"}, f)
    proc = _run("export_embeddings.py", f"--model_dir={directory}", f"--output_dir={directory}/o")
    self.assertUsageError(proc, "model_info.json is not a valid model manifest: format_version "
                          "is 1, but this tfgle reads manifests of version 2")

  def test_export_refuses_a_graph_servable_of_a_subgraph_model(self):
    # Two-tower models export both towers now (tests/examples/test_export_embeddings.py).
    directory = tempfile.mkdtemp(dir=self.get_temp_dir())
    training.write_manifest(directory, training.ModelManifest(
        task="node_classification", model="gcn", model_class="tfgle>GCN", batch="subgraph",
        data={"dataset": "synthetic", "seed": 0},
        towers={"node": training.Tower("node", ("links",), ("node", "node"))},
        edge_type=("node", "node", "links"), fanouts=(5,), features={"node": ()},
        embedding_dim=8, num_classes=2))
    proc = _run("export_embeddings.py", f"--model_dir={directory}", f"--output_dir={directory}/o",
                "--graph_servable")
    self.assertUsageError(proc, f"--graph_servable needs an EgoGraph model; {directory} holds a "
                          "SubGraph model")

  @parameterized.parameters("train_supervised.py", "train_link_prediction.py")
  def test_one_process_strategy_in_a_cluster_is_refused(self, binary):
    proc = _run(binary, tf_config=_cluster(worker=2))
    self.assertUsageError(proc, "TF_CONFIG describes a cluster of 2 tasks (2 worker), but "
                          "strategy 'default' trains in one process",
                          "made for: 'multi_worker_mirrored'")
    proc = _run(binary, "--strategy=mirrored", tf_config=_cluster(chief=1, worker=1, ps=1))
    self.assertUsageError(proc, "strategy 'mirrored' trains in one process",
                          "made for: 'parameter_server'")
    proc = _run(binary, "--strategy=multi_worker_mirrored",
                tf_config=_cluster(chief=1, worker=1, ps=1))
    self.assertUsageError(proc, "strategy 'multi_worker_mirrored' cannot use the ps tasks")

  def test_model_dir_of_another_run_configuration_is_refused(self):
    model_dir = os.path.join(tempfile.mkdtemp(dir=self.get_temp_dir()), "run")
    first = _run("train_supervised.py", *_SMALL, f"--model_dir={model_dir}")
    self.assertEqual(first.returncode, 0, first.stderr[-3000:])
    with open(os.path.join(model_dir, "run_config.json")) as f:
      self.assertEqual(json.load(f)["settings"]["hidden_dim"], 64)
    other = _run("train_supervised.py", *_SMALL, "--hidden_dim=8", f"--model_dir={model_dir}")
    self.assertEqual(other.returncode, 1, other.stderr[-3000:])
    self.assertNotIn("Traceback", other.stderr)
    self.assertIn(f"model directory {model_dir} holds a run of another configuration "
                  "(settings.hidden_dim: 64 -> 8): resume it with the flags it was started with, "
                  "or train into a fresh model directory", other.stderr)
    self.assertNotIn("final metrics", other.stdout)
    link = _run("train_link_prediction.py", *_SMALL[:3], f"--model_dir={model_dir}")
    self.assertEqual(link.returncode, 1, link.stderr[-3000:])
    self.assertIn("binary: 'train_supervised' -> 'train_link_prediction'", link.stderr)
    # The same flags (more epochs included) go on with the directory's run.
    again = _run("train_supervised.py", *_SMALL[:2], "--epochs=2", "--progress=0",
                 f"--model_dir={model_dir}")
    self.assertEqual(again.returncode, 0, again.stderr[-3000:])
    self.assertIn("final metrics", again.stdout)


if __name__ == "__main__":
  tf.test.main()
