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
  _run("train_supervised.py", f"--model_dir={model_dir}", "--verbose=0", *small)
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
