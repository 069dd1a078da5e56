"""Loading benchmark scripts as modules and giving them a tiny graph in the peers' format."""
import importlib.util
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load(relative_path: str):
  """The benchmark script at ROOT/`relative_path` as a module (its main() not run), its
  directory on sys.path as `python SCRIPT` puts it."""
  path = os.path.join(ROOT, relative_path)
  if os.path.dirname(path) not in sys.path:
    sys.path.insert(0, os.path.dirname(path))
  name = os.path.splitext(os.path.basename(path))[0]
  spec = importlib.util.spec_from_file_location(name, path)
  module = importlib.util.module_from_spec(spec)
  sys.modules[name] = module  # the peers' scripts import training_benchmark by this name
  spec.loader.exec_module(module)
  return module


def write_graph(directory, *, nodes=2000, edges=20000, dim=64, classes=16) -> str:
  """edges.npy, feats.npy and labels.npy of a random graph, as gen_graph.py writes them."""
  rng = np.random.default_rng(0)
  np.save(os.path.join(directory, "edges.npy"),
          rng.integers(0, nodes, size=(edges, 2)).astype(np.int64))
  np.save(os.path.join(directory, "feats.npy"),
          rng.normal(size=(nodes, dim)).astype(np.float32))
  np.save(os.path.join(directory, "labels.npy"),
          rng.integers(0, classes, size=nodes).astype(np.int64))
  return str(directory)


def json_lines(text: str) -> list:
  """The JSON objects printed one a line in `text` (other lines skipped)."""
  return [json.loads(line) for line in text.splitlines() if line.startswith("{")]
