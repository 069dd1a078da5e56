"""Runs examples/train_link_prediction.py in a subprocess: synthetic graph and MovieLens 100K."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import tensorflow as tf

import tfgle
from tests.conftest import require_dataset

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_SCRIPT = os.path.join(_ROOT, "examples", "train_link_prediction.py")


def _run(*flags, timeout=600):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2",
             PYTHONPATH=os.pathsep.join(filter(None, [_ROOT, os.environ.get("PYTHONPATH")])))
  return subprocess.run([sys.executable, _SCRIPT, *flags], capture_output=True, text=True,
                        env=env, timeout=timeout, check=False)


def _tempdir(test):
  path = tempfile.mkdtemp(prefix="tfgle_link_")
  test.addCleanup(shutil.rmtree, path, ignore_errors=True)
  return path


def _final_metrics(test, proc, metrics_json):
  test.assertEqual(proc.returncode, 0, proc.stderr[-5000:])
  lines = [l for l in proc.stdout.splitlines() if l.startswith("final metrics: ")]
  test.assertLen(lines, 1)
  with open(metrics_json) as f:
    metrics = json.load(f)
  test.assertEqual(json.loads(lines[0][len("final metrics: "):]), metrics)
  return metrics


class TrainLinkPredictionTest(tf.test.TestCase):

  def test_synthetic_link_prediction(self):
    model_dir = _tempdir(self)
    metrics_json = os.path.join(model_dir, "metrics.json")
    proc = _run("--synthetic_nodes=500", "--synthetic_edges=5000", "--epochs=2",
                "--batch_size=128", "--fanouts=5,3", f"--model_dir={model_dir}",
                f"--metrics_json={metrics_json}")
    metrics = _final_metrics(self, proc, metrics_json)
    self.assertEqual(metrics["dataset"], "synthetic")
    self.assertEqual(metrics["epochs"], 2)
    self.assertGreater(metrics["examples_per_second"], 0)
    self.assertGreater(metrics["test_edges"], 300)
    # Edges follow node popularity, which the model learns: random scores give
    # AUC 0.5, MRR ~0.05 and hits@20 ~0.2 against 100 random destinations.
    # (Measured: AUC 0.60, MRR 0.12, hits@20 0.37.)
    self.assertGreater(metrics["auc"], 0.58)
    self.assertGreater(metrics["mrr"], 0.08)
    self.assertGreater(metrics["hits_at_20"], 0.3)
    self.assertGreater(metrics["popularity_auc"], 0.6)  # the in-degree baseline
    self.assertIn("Epoch 2/2", proc.stdout)  # Keras progress bars

    with open(os.path.join(model_dir, "model_info.json")) as f:
      info = json.load(f)
    self.assertEqual(info["dataset"], {"dataset": "synthetic", "seed": 0,
                                       "synthetic_nodes": 500, "synthetic_edges": 5000,
                                       "holdout_edges": 0.1})
    self.assertEqual(info["edge_type"], ["node", "node", "links"])
    self.assertEqual(info["fanouts"], [5, 3])
    self.assertEqual(info["features"], {"node": ["feat"]})
    self.assertTrue(info["share_towers"])
    self.assertEqual(info["embeddings"]["item"]["meta_path"], ["links", "links"])

    # The saved model embeds EgoGraphs built as model_info.json says.
    import tfgle.models  # pylint: disable=g-import-not-at-top,unused-import
    model = tf.keras.models.load_model(os.path.join(model_dir, info["model"]), compile=False)
    self.assertEqual(model.embedding_dim, info["embedding_dim"])
    graph, _ = tfgle.datasets.synthetic(num_nodes=500, num_edges=5000, seed=20261121,
                                        holdout_edges=0.1)
    side = info["embeddings"]["user"]
    batch = next(iter(tfgle.data.ego_graph_dataset(
        graph, [1, 2, 3], side["meta_path"], info["fanouts"], label=False,
        features=info["features"])))
    embeddings = getattr(model, side["method"])(batch)
    self.assertEqual(embeddings.shape, (3, info["embedding_dim"]))
    self.assertTrue(np.all(np.isfinite(embeddings.numpy())))

  def test_movielens_beats_popularity(self):
    data_dir = require_dataset("ml-100k")
    model_dir = _tempdir(self)
    metrics_json = os.path.join(model_dir, "metrics.json")
    # The acceptance command, with the binary's defaults.
    proc = _run("--dataset=movielens", f"--data_dir={data_dir}", f"--model_dir={model_dir}",
                f"--metrics_json={metrics_json}", timeout=900)
    metrics = _final_metrics(self, proc, metrics_json)
    self.assertEqual(metrics["test_users"], 943)
    # Popularity ranking of the items each user has not rated in ua.base.
    self.assertAllClose(metrics["popularity_recall_at_20"], 0.1788, atol=5e-4)
    self.assertAllClose(metrics["popularity_ndcg_at_20"], 0.1652, atol=5e-4)
    self.assertGreaterEqual(metrics["recall_at_20"], 1.3 * metrics["popularity_recall_at_20"])
    self.assertGreater(metrics["ndcg_at_20"], metrics["popularity_ndcg_at_20"])
    with open(os.path.join(model_dir, "model_info.json")) as f:
      info = json.load(f)
    self.assertEqual(info["dataset"]["ratings_file"], "ua.base")
    self.assertEqual(info["embeddings"]["user"]["meta_path"], ["rates", "rates_reverse"])
    self.assertEqual(info["embeddings"]["item"]["hop_node_types"], ["item", "user", "item"])
    self.assertEqual(info["features"]["item"], ["genres", "year"])
    self.assertTrue(os.path.isdir(os.path.join(model_dir, "model")))

  def test_bad_flags(self):
    proc = _run("--dataset=citation", "--data_dir=/nonexistent")
    self.assertNotEqual(proc.returncode, 0)
    self.assertIn("--dataset=citation has no held-out edges", proc.stderr)
    proc = _run("--model=gcn")
    self.assertNotEqual(proc.returncode, 0)
    self.assertIn("--model must be one of ['ego_bipartite_sage'], got 'gcn'", proc.stderr)


if __name__ == "__main__":
  tf.test.main()
