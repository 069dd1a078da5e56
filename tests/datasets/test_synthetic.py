"""Tests of the synthetic graph generator (tfgle.datasets.synthetic)."""
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from parameterized import parameterized
import pyarrow.parquet as pq
import tensorflow as tf

from tests.conftest import datasets_dir
from tfgle.datasets import synthetic
from tfgle.datasets.synthetic import generate_arrays, split_ids, write_tables

SIZES = dict(num_nodes=300, num_edges=2000, dim=8, num_classes=5)


def _tmpdir(test):
  path = tempfile.mkdtemp(prefix="tfgle_synthetic_")
  test.addCleanup(shutil.rmtree, path, ignore_errors=True)
  return path


def _gen_graph_script():
  """Path of the shared gen_graph.py, or None."""
  root = datasets_dir()
  if root is None:
    return None
  path = os.path.join(root, os.pardir, "peers", "gen_graph.py")
  return path if os.path.isfile(path) else None


class GenerateArraysTest(tf.test.TestCase):

  def test_deterministic_and_seed_dependent(self):
    a, b = generate_arrays(**SIZES), generate_arrays(**SIZES)
    for name in ("edges", "feats", "labels", "weights"):
      self.assertAllEqual(getattr(a, name), getattr(b, name))
    other = generate_arrays(**SIZES, seed=7)
    self.assertNotAllEqual(a.edges, other.edges)

  def test_shapes_types_and_ranges(self):
    arrays = generate_arrays(**SIZES)
    self.assertEqual(arrays.edges.shape, (2000, 2))
    self.assertEqual(arrays.edges.dtype, np.int64)
    self.assertEqual(arrays.feats.shape, (300, 8))
    self.assertEqual(arrays.feats.dtype, np.float32)
    self.assertEqual(arrays.labels.dtype, np.int64)
    self.assertBetween(arrays.edges.min(), 0, 299)
    self.assertBetween(arrays.edges.max(), 0, 299)
    self.assertBetween(arrays.labels.min(), 0, 4)
    self.assertTrue(np.all((arrays.weights >= 0) & (arrays.weights < 1)))

  def test_degrees_follow_a_power_law(self):
    arrays = generate_arrays(num_nodes=2000, num_edges=40_000, dim=4, num_classes=2)
    degree = np.bincount(arrays.edges[:, 0], minlength=2000)
    # Zipf(0.8) popularity: the busiest node has far more than the mean degree of 20.
    self.assertGreater(degree.max(), 20 * 20)

  def test_features_cluster_by_class(self):
    arrays = generate_arrays(num_nodes=2000, num_edges=10, dim=16, num_classes=4)
    centers = np.stack([arrays.feats[arrays.labels == c].mean(0) for c in range(4)])
    nearest = np.argmin(((arrays.feats[:, None, :] - centers[None]) ** 2).sum(-1), axis=1)
    self.assertGreater(np.mean(nearest == arrays.labels), 0.5)

  @parameterized.expand([
      ("nodes", dict(num_nodes=0), "num_nodes must be an int >= 1, got 0"),
      ("edges", dict(num_edges=-1), "num_edges must be an int >= 0, got -1"),
      ("dim", dict(dim=2.5), "dim must be an int >= 1, got 2.5"),
      ("classes", dict(num_classes=True), "num_classes must be an int >= 1, got True"),
  ])
  def test_bad_sizes(self, _, kwargs, message):
    with self.assertRaisesRegex(ValueError, message):
      generate_arrays(**{**SIZES, **kwargs})

  def test_equals_gen_graph_output(self):
    script = _gen_graph_script()
    if script is None:
      self.skipTest("the shared gen_graph.py is not available (set TFGLE_DATASETS)")
    out = _tmpdir(self)
    subprocess.run([sys.executable, script, out, "--nodes", "300", "--edges", "2000",
                    "--dim", "8", "--classes", "5"], check=True, capture_output=True)
    mine = _tmpdir(self)
    write_tables(mine, **SIZES, parquet=False)
    for name in ("edges.npy", "feats.npy", "labels.npy", "edges.tsv", "vertices.tsv"):
      with open(os.path.join(out, name), "rb") as f, open(os.path.join(mine, name), "rb") as g:
        self.assertEqual(f.read(), g.read(), name)

  def test_equals_gen_graph_no_tsv(self):
    script = _gen_graph_script()
    if script is None:
      self.skipTest("the shared gen_graph.py is not available (set TFGLE_DATASETS)")
    out = _tmpdir(self)
    subprocess.run([sys.executable, script, out, "--nodes", "50", "--edges", "400", "--dim",
                    "3", "--classes", "2", "--no-tsv"], check=True, capture_output=True)
    arrays = generate_arrays(num_nodes=50, num_edges=400, dim=3, num_classes=2)
    self.assertAllEqual(np.load(os.path.join(out, "edges.npy")), arrays.edges)
    self.assertAllEqual(np.load(os.path.join(out, "feats.npy")), arrays.feats)
    self.assertAllEqual(np.load(os.path.join(out, "labels.npy")), arrays.labels)


class WriteTablesTest(tf.test.TestCase):

  def test_parquet_and_tsv_hold_the_arrays(self):
    out = _tmpdir(self)
    arrays = write_tables(out, **SIZES)
    edges = pq.read_table(os.path.join(out, "edges.parquet"))
    self.assertEqual(edges.column_names, ["src_id", "dst_id", "weight"])
    self.assertAllEqual(edges.column("src_id").to_numpy(), arrays.edges[:, 0])
    self.assertAllEqual(edges.column("dst_id").to_numpy(), arrays.edges[:, 1])
    self.assertAllEqual(edges.column("weight").to_numpy(), arrays.weights)
    vertices = pq.read_table(os.path.join(out, "vertices.parquet"))
    self.assertAllEqual(vertices.column("id").to_numpy(), np.arange(300))
    feats = np.stack(vertices.column("feature").to_numpy(zero_copy_only=False))
    self.assertAllEqual(feats, arrays.feats)
    self.assertAllEqual(vertices.column("label").to_numpy(), arrays.labels)
    with open(os.path.join(out, "vertices.tsv")) as f:
      header, first = f.readline(), f.readline()
    self.assertEqual(header, "id:int64\tfeature:string\tlabel:int64\n")
    node, feature, label = first.rstrip("\n").split("\t")
    self.assertEqual(int(node), 0)
    self.assertAllClose([float(v) for v in feature.split(":")], arrays.feats[0], atol=1e-4)
    self.assertEqual(int(label), arrays.labels[0])

  def test_deterministic_files(self):
    a, b = _tmpdir(self), _tmpdir(self)
    write_tables(a, **SIZES)
    write_tables(b, **SIZES)
    for name in sorted(os.listdir(a)):
      with open(os.path.join(a, name), "rb") as f, open(os.path.join(b, name), "rb") as g:
        self.assertEqual(f.read(), g.read(), name)


class SplitTest(tf.test.TestCase):

  @parameterized.expand([(10,), (1000,), (1001,)])
  def test_disjoint_and_covering(self, n):
    splits = split_ids(n)
    together = np.concatenate(list(splits.values()))
    self.assertLen(together, n)
    self.assertAllEqual(np.sort(together), np.arange(n))
    self.assertAllEqual(splits["train"], np.sort(splits["train"]))

  def test_fractions_and_determinism(self):
    splits = split_ids(1000, fractions=(0.5, 0.3, 0.2))
    self.assertEqual({k: len(v) for k, v in splits.items()},
                     {"train": 500, "val": 300, "test": 200})
    again = split_ids(1000, fractions=(0.5, 0.3, 0.2))
    self.assertAllEqual(splits["val"], again["val"])
    self.assertNotAllEqual(split_ids(1000, seed=1)["train"][:50], split_ids(1000)["train"][:50])

  @parameterized.expand([
      ("sum", (0.5, 0.5, 0.5)), ("negative", (1.2, -0.2, 0.0)), ("length", (0.5, 0.5)),
  ])
  def test_bad_fractions(self, _, fractions):
    with self.assertRaisesRegex(ValueError, "split fractions must be three numbers >= 0 that "
                                "sum to 1"):
      split_ids(100, fractions=fractions)


class SyntheticGraphTest(tf.test.TestCase):

  def test_graph_matches_arrays(self):
    graph, info = synthetic(**SIZES)
    arrays = generate_arrays(**SIZES)
    self.assertEqual(graph.node_types, ["node"])
    self.assertEqual([tuple(e) for e in graph.edge_types], [("node", "node", "links")])
    self.assertEqual(graph.num_nodes("node"), 300)
    self.assertEqual(graph.num_edges("links"), 2000)
    self.assertAllEqual(graph.node_features("node", [0, 7])["feat"], arrays.feats[[0, 7]])
    self.assertAllEqual(graph.labels("node"), arrays.labels)
    hub = int(np.bincount(arrays.edges[:, 0]).argmax())
    nbrs = graph.neighbors("links", [hub])
    self.assertAllEqual(nbrs.ids.to_list()[0], arrays.edges[arrays.edges[:, 0] == hub, 1])
    self.assertIsNone(nbrs.weights)
    self.assertEqual(info.num_classes, 5)
    self.assertEqual(info.dim, 8)
    self.assertEqual(info.feature, "feat")
    for name in ("train", "val", "test"):
      self.assertAllEqual(graph.split("node", name), info.splits[name])

  def test_weighted_and_undirected(self):
    graph, _ = synthetic(**SIZES, weighted=True, directed=False)
    arrays = generate_arrays(**SIZES)
    self.assertEqual(graph.num_edges("links"),
                     2000 + int(np.sum(arrays.edges[:, 0] != arrays.edges[:, 1])))
    weights = graph.neighbors("links", [int(arrays.edges[0, 0])]).weights.to_list()[0]
    self.assertAllEqual(weights, sorted(weights, reverse=True))

  @parameterized.expand([("directed", True), ("undirected", False)])
  def test_holdout_edges(self, _, directed):
    graph, info = synthetic(**SIZES, directed=directed, holdout_edges=0.2)
    arrays = generate_arrays(**SIZES)
    test = info.test_edges
    self.assertEqual(test.dtype, np.int64)
    self.assertEqual(test.shape[1], 2)
    self.assertBetween(len(test), 100, 400)
    self.assertLen({tuple(e) for e in test.tolist()}, len(test))
    self.assertTrue(np.all(test[:, 0] != test[:, 1]))
    self.assertTrue({tuple(e) for e in test.tolist()} <= set(map(tuple, arrays.edges.tolist())))
    nbrs = graph.neighbors("links", np.arange(300)).ids.to_list()
    kept = {(u, v) for u, row in enumerate(nbrs) for v in row}
    for src, dst in test.tolist():
      self.assertNotIn((src, dst), kept)
      if not directed:
        self.assertNotIn((dst, src), kept)
    if directed:
      self.assertEqual(graph.num_edges("links"), 2000 - 400)
    self.assertAllEqual(graph.node_features("node", [3])["feat"], arrays.feats[[3]])
    self.assertAllEqual(synthetic(**SIZES, directed=directed, holdout_edges=0.2)[1].test_edges,
                        test)
    self.assertEqual(synthetic(**SIZES)[1].test_edges.shape, (0, 2))
    with self.assertRaisesRegex(ValueError, r"holdout_edges must be a fraction in \[0, 1\), "
                                "got 1.0"):
      synthetic(**SIZES, holdout_edges=1.0)

  def test_default_sizes(self):
    graph, info = synthetic()
    self.assertEqual(graph.num_nodes("node"), 10_000)
    self.assertEqual(graph.num_edges("links"), 200_000)
    self.assertEqual(graph.node_features("node", [0])["feat"].shape, (1, 64))
    self.assertLen(info.splits["train"], 6000)


if __name__ == "__main__":
  tf.test.main()
