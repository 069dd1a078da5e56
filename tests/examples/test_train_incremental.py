"""examples/train_incremental.py: a trained model, warm-started after add_nodes, trains and exports.

The warm-start source is trained in this process (EgoGraphSAGE with an id
embedding on the synthetic graph, saved with its manifest as
train_supervised.py saves it) so that its id-embedding rows can be compared
with the incremental model's; the binary runs in a subprocess. The source has
dropout, so that a killed run resumes bit-identically only if its dropout
masks are those of the uninterrupted run.
"""
import json
import math
import os
import re
import subprocess
import sys
import unittest

import numpy as np
import pytest
import tensorflow as tf

import tfgle
import tfgle.models as models
from tfgle import training
from tfgle.training import node_classification as nc
from tests.examples import kill_and_resume

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "examples", "train_incremental.py")
NUM_OLD, NUM_NEW = 400, 20


def _env():
  return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=os.pathsep.join(filter(None, [
      ROOT, os.environ.get("PYTHONPATH")])))


def _run(*flags):
  return subprocess.run([sys.executable, SCRIPT, *flags], capture_output=True, text=True,
                        timeout=600, check=False, env=_env())


def _write_tsv(path, columns):
  with open(path, "w") as f:
    f.write("\t".join(columns) + "\n")
    for row in zip(*columns.values()):
      f.write("\t".join(":".join(f"{x:.6g}" for x in v) if np.ndim(v) else str(v)
                        for v in row) + "\n")
  return str(path)


def _index_table(model):
  rows = model.features["index"].num_ids + 1
  return next(w.numpy() for w in model.weights if w.shape[0] == rows)


@pytest.fixture(name="trained", scope="module")
def _trained(tmp_path_factory):
  """(model dir, snapshot dir, data) of a small trained node classifier with id embeddings."""
  data = training.DataConfig(synthetic_nodes=NUM_OLD, synthetic_edges=3000)
  graph, info = training.load_graph(data)
  s = training.resolve_preset("synthetic", "ego_graph_sage", dict(
      epochs=1, batch_size=64, fanouts=[3, 2], eval_fanouts=[3, 2], hidden_dim=16))
  meta_path = ["links", "links"]
  num_classes = nc.count_classes(graph, "node", info)
  model = models.EgoGraphSAGE.from_graph(graph, "node", id_embedding_dim=4, hidden_dims=[16, 16],
                                         num_classes=num_classes, dropout=0.3)
  model.compile(tf.keras.optimizers.Adam(0.01), loss=nc.classification_loss())
  train, steps = nc.training_data(graph, s, meta_path, batch="ego_graph",
                                  strategy=tf.distribute.get_strategy(), seed=0)
  model.fit(train, epochs=1, steps_per_epoch=steps, verbose=0)
  tmp_path = tmp_path_factory.mktemp("trained")
  model_dir = str(tmp_path / "run")
  model.save(os.path.join(model_dir, "model"), save_format="tf", save_traces=False)
  manifest = nc.classifier_manifest(
      model, graph, s, data_config=data.to_dict(), batch="ego_graph", node_type="node",
      meta_path=meta_path, num_classes=num_classes)
  assert manifest.features == {"node": ("feat",)}   # the id embedding is no graph attribute
  training.write_manifest(model_dir, manifest)
  return model_dir, graph.save(str(tmp_path / "snapshot")), graph


def _updates(tmp_path):
  """The --updates flags of NUM_NEW new nodes that link to each other."""
  rng = np.random.default_rng(0)
  new_ids = np.arange(NUM_OLD, NUM_OLD + NUM_NEW)
  nodes = _write_tsv(tmp_path / "nodes.tsv", {
      "id": new_ids, "feat": rng.normal(size=(NUM_NEW, 64)).astype(np.float32),
      "label": rng.integers(0, 2, NUM_NEW)})
  # The new nodes link to each other: training (no replay) reaches no old node.
  src = np.repeat(new_ids, 2)
  dst = new_ids[(np.arange(2 * NUM_NEW) // 2 + np.tile([1, 3], NUM_NEW)) % NUM_NEW]
  edges = _write_tsv(tmp_path / "edges.tsv", {"src_id": src, "dst_id": dst})
  return [f"--updates=node:node={nodes}", f"--updates=edge:links={edges}"]


def test_warm_started_after_add_nodes_trains_and_serves_new_nodes(tmp_path, trained):
  model_dir, snapshot, _ = trained
  new_ids = np.arange(NUM_OLD, NUM_OLD + NUM_NEW)
  new_dir, export_dir = str(tmp_path / "new"), str(tmp_path / "export")
  metrics_json = str(tmp_path / "metrics.json")
  proc = _run(f"--graph={snapshot}", f"--warm_start_from={model_dir}", f"--model_dir={new_dir}",
              *_updates(tmp_path), "--replay_fraction=0", "--epochs=2",
              f"--export_dir={export_dir}", f"--metrics_json={metrics_json}", "--progress=0")
  assert proc.returncode == 0, proc.stderr[-4000:]
  with open(metrics_json) as f:
    metrics = json.load(f)
  assert metrics["new_nodes"] == {"node": NUM_NEW}
  assert metrics["grown_tables"] and list(metrics["grown_tables"].values())[0] == [
      NUM_OLD + 1, NUM_OLD + NUM_NEW + 1]
  assert metrics["training_seeds"] >= NUM_NEW

  # The updated graph's snapshot is saved and named by the manifest.
  manifest = training.read_manifest(new_dir)
  assert manifest.data["snapshot"] == os.path.join(new_dir, "graph")
  updated = tfgle.Graph.load(manifest.data["snapshot"])
  assert updated.num_nodes("node") == NUM_OLD + NUM_NEW

  # New nodes get embeddings from the exported graph servable; unknown ids do not.
  servable = tf.saved_model.load(os.path.join(export_dir, "graph_servable"))
  answer = servable.signatures["serving_default"](
      ids=tf.constant(np.append(new_ids, 10**9), tf.int64))
  found, embeddings = answer["found"].numpy(), answer["embeddings"].numpy()
  assert found[:NUM_NEW].all() and not found[-1]
  assert np.isfinite(embeddings).all()
  assert not np.allclose(embeddings[:NUM_NEW], embeddings[0])
  ids = np.load(os.path.join(export_dir, "ids.npy"))
  assert sorted(ids.tolist()) == list(range(NUM_OLD + NUM_NEW))

  # Old nodes' id-embedding rows were kept (no training seed reaches them),
  # the new nodes' rows were added and trained.
  source = tf.keras.models.load_model(os.path.join(model_dir, "model"))
  new = tf.keras.models.load_model(os.path.join(new_dir, "model"))
  old_rows, new_rows = _index_table(source), _index_table(new)
  assert old_rows.shape[0] == NUM_OLD + 1 and new_rows.shape[0] == NUM_OLD + NUM_NEW + 1
  np.testing.assert_array_equal(new_rows[:NUM_OLD], old_rows[:NUM_OLD])
  assert np.isfinite(new_rows).all()
  assert not np.allclose(new_rows[NUM_OLD:NUM_OLD + NUM_NEW], new_rows[NUM_OLD])


def test_killed_mid_epoch_resumes_bit_identical(tmp_path, trained):
  """A run SIGKILLed inside its second epoch or later, restarted with the same flags, ends with
  the uninterrupted run's weights and metrics, bit for bit (the model has dropout)."""
  model_dir, snapshot, _ = trained
  batch_size = 8
  flags = [f"--graph={snapshot}", f"--warm_start_from={model_dir}", *_updates(tmp_path),
           "--replay_fraction=1", "--epochs=3", f"--batch_size={batch_size}",
           "--checkpoint_steps=3", "--progress=0"]
  whole, killed = str(tmp_path / "whole"), str(tmp_path / "killed")
  proc = _run(*flags, f"--model_dir={whole}", f"--metrics_json={whole}.json")
  assert proc.returncode == 0, proc.stderr[-4000:]
  with open(f"{whole}.json") as f:
    expected = json.load(f)
  assert expected["resumed_at_step"] is None
  steps = math.ceil(expected["training_seeds"] / batch_size)
  assert steps >= 20, expected  # epochs long enough to kill a run inside one

  checks = unittest.TestCase()  # the helpers assert with a TestCase's methods
  killed_at = kill_and_resume.kill_mid_epoch(
      checks, [sys.executable, SCRIPT, *flags, f"--model_dir={killed}"], _env(),
      os.path.join(killed, "backup"), steps, str(tmp_path / "killed.log"))
  assert not os.path.exists(os.path.join(killed, "model"))
  proc = _run(*flags, f"--model_dir={killed}", f"--metrics_json={killed}.json")
  assert proc.returncode == 0, proc.stderr[-4000:]
  match = re.search(r"resuming at epoch ([23]) from \S+ at step (\d+) \(batch (\d+) of "
                    rf"{steps}\)", proc.stdout)
  assert match, proc.stdout[-3000:]
  epoch, step, batch = map(int, match.groups())
  assert (epoch - 1, batch) == divmod(step, steps) and batch > 0 and step == killed_at
  with open(f"{killed}.json") as f:
    resumed = json.load(f)
  assert resumed["resumed_at_step"] == step
  kill_and_resume.assert_same_weights(checks, os.path.join(whole, "checkpoints", "ckpt-3"),
                                      os.path.join(killed, "checkpoints", "ckpt-3"))
  kill_and_resume.assert_same_weights(checks, os.path.join(whole, "model", "variables",
                                                           "variables"),
                                      os.path.join(killed, "model", "variables", "variables"))
  for key in ("test_accuracy", "test_micro_f1", "test_macro_f1", "test_loss",
              "final_val_accuracy", "training_seeds"):
    assert resumed[key] == expected[key], key
  assert not [f for _, _, files in os.walk(os.path.join(killed, "backup")) for f in files]


def test_usage_errors(tmp_path, trained):
  model_dir, snapshot, _ = trained
  base = [f"--graph={snapshot}", f"--warm_start_from={model_dir}",
          f"--model_dir={tmp_path / 'new'}"]
  proc = _run(*base, "--updates=paper=x.tsv")
  assert proc.returncode == 1
  assert ("updates entry 'paper=x.tsv' must be node:NODE_TYPE=PATH or edge:EDGE_TYPE=PATH"
          in proc.stderr)
  proc = _run(*base)
  assert "--updates must name at least one table" in proc.stderr
  proc = _run(*base, "--updates=node:node=x.tsv", "--replay_fraction=2")
  assert "--replay_fraction must be a fraction in [0, 1]" in proc.stderr
  proc = _run(*base, "--updates=node:node=x.tsv", "--synthetic_nodes=50")
  assert "['--synthetic_nodes'] do not apply" in proc.stderr
  proc = _run(*base[:1], f"--warm_start_from={tmp_path}", f"--model_dir={tmp_path / 'new'}",
              "--updates=node:node=x.tsv")
  assert f"model directory {tmp_path} holds no trained model" in proc.stderr
  proc = _run(*base, "--updates=node:paper=x.tsv")
  assert proc.returncode == 1 and "unknown node type 'paper'" in proc.stderr
