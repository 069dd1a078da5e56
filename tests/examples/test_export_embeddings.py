"""The README's main job: train on the synthetic graph, then export for serving."""
import json
import os
import subprocess
import sys

import numpy as np
import tensorflow as tf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples")


def _run(script, *flags):
  env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get(
      "PYTHONPATH")])))
  result = subprocess.run([sys.executable, os.path.join(EXAMPLES, script), *flags],
                          capture_output=True, text=True, timeout=600, check=False, env=env)
  assert result.returncode == 0, result.stderr[-4000:]
  return result.stdout


def test_train_then_export(tmp_path):
  model_dir, out = str(tmp_path / "model"), str(tmp_path / "export")
  small = ["--synthetic_nodes=2000", "--synthetic_edges=20000", "--epochs=1"]
  _run("train_supervised.py", f"--model_dir={model_dir}", "--progress=0", *small)
  stdout = _run("export_embeddings.py", f"--model_dir={model_dir}", f"--output_dir={out}")
  result = json.loads(stdout.strip().splitlines()[-1].split("exported: ", 1)[1])
  assert result["nodes"] == 2000
  ids = np.load(os.path.join(out, "ids.npy"))
  embeddings = np.load(os.path.join(out, "embeddings.npy"))
  assert sorted(ids.tolist()) == list(range(2000))
  table = tf.saved_model.load(os.path.join(out, "embedding_table"))
  served = table.signatures["serving_default"](ids=tf.constant(ids[:5]))
  np.testing.assert_allclose(served["embeddings"].numpy(), embeddings[:5], rtol=1e-6)
  encoder = tf.saved_model.load(os.path.join(out, "encoder"))
  assert "hop0_ids" in encoder.signatures["serving_default"].structured_input_signature[1]


def test_two_tower_model_exports_both_towers(tmp_path):
  """Each tower's served embeddings are the model's own (`embed_users` / `embed_items`)."""
  import tfgle  # pylint: disable=g-import-not-at-top
  import tfgle.models  # pylint: disable=g-import-not-at-top,unused-import
  from tfgle import training  # pylint: disable=g-import-not-at-top
  model_dir, out = str(tmp_path / "model"), str(tmp_path / "export")
  _run("train_link_prediction.py", f"--model_dir={model_dir}", "--synthetic_nodes=300",
       "--synthetic_edges=2000", "--epochs=1", "--batch_size=128", "--fanouts=3,2")
  stdout = _run("export_embeddings.py", f"--model_dir={model_dir}", f"--output_dir={out}",
                "--graph_servable")
  result = json.loads(stdout.strip().splitlines()[-1].split("exported: ", 1)[1])
  assert sorted(result["towers"]) == ["item", "user"]

  manifest = training.read_manifest(model_dir)
  graph, _ = training.load_graph(training.DataConfig.from_dict(manifest.data))
  model = tf.keras.models.load_model(os.path.join(model_dir, manifest.saved_model))
  for side in ("user", "item"):
    tower = manifest.tower(side)
    assert result["towers"][side]["nodes"] == graph.num_nodes(tower.node_type) == 300
    ids = np.load(os.path.join(out, side, "ids.npy"))
    embeddings = np.load(os.path.join(out, side, "embeddings.npy"))
    assert embeddings.shape == (300, manifest.embedding_dim)
    table = tf.saved_model.load(os.path.join(out, side, "embedding_table"))
    served = table.signatures["serving_default"](ids=tf.constant(ids[:5]))
    np.testing.assert_allclose(served["embeddings"].numpy(), embeddings[:5], rtol=1e-6)

    # The encoder serves model.embed(batch, side) of the very batch it is sent.
    features = training.bulk_inference.tower_features(manifest, side)
    spec = tfgle.data.ego_spec(graph, tower.node_type, list(tower.meta_path),
                               list(manifest.eval_fanouts))
    batch = next(iter(training.bulk_inference.node_batches(graph, manifest, batch_size=16,
                                                           seed=5, tower=side)))
    expected = model.embed(batch, side).numpy()
    encoder = tf.saved_model.load(os.path.join(out, side, "encoder"))
    got = encoder.signatures["serving_default"](**tfgle.export.raw_inputs(
        graph, batch, spec, features))["embeddings"].numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)

    # The graph servable: every id found, the tower's embeddings of its own samples.
    servable = tf.saved_model.load(os.path.join(out, side, "graph_servable"))
    answer = servable.signatures["serving_default"](ids=tf.constant(ids[:8]))
    assert answer["found"].numpy().all()
    assert np.isfinite(answer["embeddings"].numpy()).all()
  if not model.share_towers:  # the towers are different functions
    users = np.load(os.path.join(out, "user", "embeddings.npy"))
    items = np.load(os.path.join(out, "item", "embeddings.npy"))
    assert not np.allclose(users, items)
