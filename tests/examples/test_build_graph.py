"""Runs examples/build_graph.py (the README's main job) in a subprocess."""
import json
import os
import subprocess

import tensorflow as tf

from tests.conftest import datasets_dir
from tests.examples import binaries



def _run(*flags):
  return binaries.run("build_graph.py", *flags, timeout=300)


def _records(stdout):
  return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


class BuildGraphTest(tf.test.TestCase):

  def test_small_synthetic_graph(self):
    proc = _run("--num_nodes=500", "--num_edges=3000", "--dim=8", "--num_classes=3",
                "--num_degrees=3")
    self.assertEqual(proc.returncode, 0, proc.stderr)
    graph, nodes, edges = _records(proc.stdout)
    self.assertEqual(graph["graph"], "synthetic")
    self.assertGreaterEqual(graph["build_seconds"], 0)
    self.assertEqual(graph["edge_types"], [["node", "node", "links"]])
    self.assertEqual(nodes["nodes"], 500)
    self.assertEqual(nodes["attributes"], ["feat"])
    self.assertEqual(nodes["splits"], {"train": 300, "val": 100, "test": 100})
    self.assertEqual(edges["edges"], 3000)
    self.assertLen(edges["out_degrees"], 3)
    self.assertEqual(edges["mean_out_degree"], 6.0)
    self.assertGreaterEqual(edges["max_out_degree"], max(edges["out_degrees"].values()))

  def test_data_set_needs_data_dir(self):
    proc = _run("--dataset=movielens")
    self.assertNotEqual(proc.returncode, 0)
    self.assertIn("--dataset=movielens needs --data_dir", proc.stderr)

  def test_movielens(self):
    root = datasets_dir()
    if root is None or not os.path.isdir(os.path.join(root, "ml-100k")):
      self.skipTest("the shared ml-100k data set is not available (set TFGLE_DATASETS)")
    proc = _run("--dataset=movielens", f"--data_dir={os.path.join(root, 'ml-100k')}")
    self.assertEqual(proc.returncode, 0, proc.stderr)
    records = _records(proc.stdout)
    self.assertEqual([r["edges"] for r in records if "edges" in r], [100_000, 100_000])

  def test_citation(self):
    from tfgle import datasets  # pylint: disable=g-import-not-at-top
    root = datasets_dir()
    if not hasattr(datasets, "load_citation"):
      self.skipTest("tfgle.datasets.load_citation is not available")
    if root is None or not os.path.isdir(os.path.join(root, "cora")):
      self.skipTest("the shared cora data set is not available (set TFGLE_DATASETS)")
    proc = _run("--dataset=citation", f"--data_dir={os.path.join(root, 'cora')}")
    self.assertEqual(proc.returncode, 0, proc.stderr)
    records = _records(proc.stdout)
    self.assertEqual([r["nodes"] for r in records if "nodes" in r], [2708])
    self.assertEqual([r["edges"] for r in records if "edges" in r], [2 * 5278])


if __name__ == "__main__":
  tf.test.main()
