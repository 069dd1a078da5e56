"""Tests of the raw Planetoid reader: restricted unpickling and the conversion rules."""
import collections
import os
import pickle
import tempfile

import numpy as np
import scipy.sparse as sp
import tensorflow as tf

import tfgle
from tfgle.datasets import planetoid
from tests.conftest import require_dataset


def read_nodes(path):
  """nodes.tsv as {id: (label, split, set of words)}."""
  with open(path) as f:
    header = f.readline().rstrip("\n").split("\t")
    rows = [line.rstrip("\n").split("\t") for line in f]
  assert header == ["id", "label", "split", "words"], header
  return {int(i): (int(label), split, frozenset(int(w) for w in words.split(",") if w))
          for i, label, split, words in rows}


def read_edges(path):
  with open(path) as f:
    assert f.readline() == "src_id\tdst_id\n"
    return [tuple(int(v) for v in line.split("\t")) for line in f]


class _RunsCommand:
  """Unpickling it would run `os.system(command)`."""

  def __init__(self, command):
    self.command = command

  def __reduce__(self):
    return (os.system, (self.command,))


class RestrictedUnpicklerTest(tf.test.TestCase):

  def test_rejects_os_system_without_running_it(self):
    tmp = tempfile.mkdtemp(dir=self.get_temp_dir())
    marker = os.path.join(tmp, "ran")
    path = os.path.join(tmp, "ind.cora.x")
    with open(path, "wb") as f:
      pickle.dump(_RunsCommand(f"touch {marker}"), f, protocol=2)
    with self.assertRaisesRegex(
        pickle.UnpicklingError,
        f"{path}: global '{os.system.__module__}.system' is not allowed in a Planetoid file"):
      planetoid.load_pickle(path)
    self.assertFalse(os.path.exists(marker))

  def test_rejects_other_globals(self):
    tmp = tempfile.mkdtemp(dir=self.get_temp_dir())
    for module, name in (("builtins", "eval"), ("__builtin__", "eval"), ("subprocess", "Popen"),
                         ("numpy", "load"), ("scipy.sparse", "load_npz"),
                         ("copy_reg", "_reconstructor")):
      path = os.path.join(tmp, f"{module}.{name}")
      with open(path, "wb") as f:
        f.write(f"c{module}\n{name}\n(S'1'\ntR.".encode())
      with self.assertRaisesRegex(pickle.UnpicklingError,
                                  f"global '{module}.{name}' is not allowed"):
        planetoid.load_pickle(path)

  def test_corrupt_pickle(self):
    path = os.path.join(tempfile.mkdtemp(dir=self.get_temp_dir()), "ind.cora.y")
    with open(path, "wb") as f:
      f.write(pickle.dumps(np.eye(3), protocol=2)[:40])
    with self.assertRaisesRegex(pickle.UnpicklingError,
                                f"{path}: not a valid Planetoid pickle"):
      planetoid.load_pickle(path)

  def test_reads_the_python2_cora_files(self):
    raw = require_dataset("planetoid")
    x = planetoid.load_pickle(os.path.join(raw, "ind.cora.x"))
    self.assertTrue(sp.issparse(x))
    self.assertEqual(x.shape, (140, 1433))
    ally = planetoid.load_pickle(os.path.join(raw, "ind.cora.ally"))
    self.assertIsInstance(ally, np.ndarray)
    self.assertEqual(ally.shape, (1708, 7))
    graph = planetoid.load_pickle(os.path.join(raw, "ind.cora.graph"))
    self.assertIsInstance(graph, collections.defaultdict)
    self.assertLen(graph, 2708)


class CoraConversionTest(tf.test.TestCase):

  def test_converted_cora_equals_the_shared_tables(self):
    raw, cora = require_dataset("planetoid"), require_dataset("cora")
    out = os.path.join(tempfile.mkdtemp(dir=self.get_temp_dir()), "cora")
    data = planetoid.read_planetoid(raw, "cora")
    planetoid.write_citation_tables(data, out)
    self.assertCountEqual(os.listdir(out), ["nodes.tsv", "edges.tsv", "cora.npz"])
    self.assertEqual(read_nodes(os.path.join(out, "nodes.tsv")),
                     read_nodes(os.path.join(cora, "nodes.tsv")))
    edges = read_edges(os.path.join(out, "edges.tsv"))
    self.assertLen(edges, 5278)
    self.assertTrue(all(s < d for s, d in edges))
    self.assertEqual(set(edges), set(read_edges(os.path.join(cora, "edges.tsv"))))
    got, want = np.load(os.path.join(out, "cora.npz")), np.load(os.path.join(cora, "cora.npz"))
    self.assertCountEqual(got.files, want.files)
    for key in want.files:
      self.assertEqual(got[key].dtype, want[key].dtype, key)
      self.assertAllEqual(got[key], want[key])


class SyntheticPlanetoidTest(tf.test.TestCase):
  """A small data set in the Planetoid format with Citeseer's quirks."""

  def write_raw(self, *, num_train=2, num_all=None, test_index=(506, 504, 507), graph=None,
                features=None):
    raw = tempfile.mkdtemp(dir=self.get_temp_dir())
    num_all = num_train + 500 + 2 if num_all is None else num_all
    rng = np.random.default_rng(0)
    if features is None:
      features = (rng.random((num_all + len(test_index), 6)) < 0.4).astype(np.float32)
    allx, tx = features[:num_all], features[num_all:]
    labels = rng.integers(0, 3, num_all + len(test_index))
    one_hot = np.eye(3, dtype=np.int32)[labels]
    one_hot[num_all - 1] = 0  # an unlabeled paper in allx
    if graph is None:
      graph = collections.defaultdict(list)
      graph[0] += [1, 1, 0, 506]  # a duplicate and a self-loop
      graph[1] += [0]
      graph[507] += [504, 2]
    parts = {"x": sp.csr_matrix(allx[:num_train]), "y": one_hot[:num_train],
             "tx": sp.csr_matrix(tx), "ty": one_hot[num_all:],
             "allx": sp.csr_matrix(allx), "ally": one_hot[:num_all], "graph": graph}
    for part, value in parts.items():
      with open(os.path.join(raw, f"ind.toy.{part}"), "wb") as f:
        pickle.dump(value, f, protocol=3)
    with open(os.path.join(raw, "ind.toy.test.index"), "w") as f:
      f.write("".join(f"{i}\n" for i in test_index))
    return raw, features, labels, one_hot

  def test_test_rows_gaps_splits_and_edges(self):
    raw, features, labels, one_hot = self.write_raw()
    data = planetoid.read_planetoid(raw, "toy")
    num_all = 504
    self.assertEqual(data.num_papers, 508)  # ids 0..507; 505 is a gap
    dense = data.features.toarray()
    self.assertAllEqual(dense[:num_all], features[:num_all])
    for row, paper in enumerate((506, 504, 507)):  # row i of tx is paper test.index[i]
      self.assertAllEqual(dense[paper], features[num_all + row])
      self.assertEqual(data.labels[paper], labels[num_all + row])
    self.assertAllEqual(dense[505], np.zeros(6))
    self.assertEqual(data.labels[505], -1)
    self.assertEqual(data.labels[num_all - 1], -1)  # all-zero label row
    self.assertAllEqual(data.labels[:num_all - 1], labels[:num_all - 1])
    self.assertAllEqual(data.train_idx, [0, 1])
    self.assertAllEqual(data.val_idx, np.arange(2, 502))
    self.assertAllEqual(data.test_idx, [504, 506, 507])
    self.assertAllEqual(data.edges, [[0, 1], [0, 506], [2, 507], [504, 507]])

  def test_written_tables_load_with_load_citation(self):
    features = (np.random.default_rng(1).random((507, 6)) < 0.4).astype(np.float32)
    features[3] = 0  # a paper without words: an empty words field
    raw, _, _, _ = self.write_raw(features=features)
    out = os.path.join(tempfile.mkdtemp(dir=self.get_temp_dir()), "toy")
    planetoid.write_citation_tables(planetoid.read_planetoid(raw, "toy"), out)
    nodes = read_nodes(os.path.join(out, "nodes.tsv"))
    self.assertEqual(nodes[3][2], frozenset())
    self.assertEqual(nodes[505], (-1, "none", frozenset()))
    self.assertEqual(nodes[506][1], "test")
    graph, info = tfgle.datasets.load_citation(out)
    self.assertEqual(info.name, "toy")
    self.assertEqual(info.num_nodes, 508)
    self.assertEqual(info.num_edges, 8)
    self.assertEqual(info.splits, {"train": 2, "val": 500, "test": 3})
    self.assertAllEqual(graph.labels("paper", [505, 506]), [-1, nodes[506][0]])
    npz = np.load(os.path.join(out, "toy.npz"))
    self.assertEqual(npz["features"].dtype, np.uint8)  # binary bags of words
    self.assertAllEqual(npz["features"], planetoid.read_planetoid(raw, "toy").features.toarray())

  def test_real_valued_features_are_kept_in_the_npz(self):
    features = np.zeros((507, 6), np.float32)
    features[:, 2] = 0.25
    raw, _, _, _ = self.write_raw(features=features)
    out = os.path.join(tempfile.mkdtemp(dir=self.get_temp_dir()), "toy")
    planetoid.write_citation_tables(planetoid.read_planetoid(raw, "toy"), out)
    npz = np.load(os.path.join(out, "toy.npz"))
    self.assertEqual(npz["features"].dtype, np.float32)
    self.assertAllClose(npz["features"][:504], features[:504])
    self.assertEqual(read_nodes(os.path.join(out, "nodes.tsv"))[0][2], frozenset([2]))

  def test_missing_files(self):
    raw, _, _, _ = self.write_raw()
    os.remove(os.path.join(raw, "ind.toy.ty"))
    with self.assertRaisesRegex(FileNotFoundError, "raw Planetoid files missing: .*ind.toy.ty"):
      planetoid.read_planetoid(raw, "toy")

  def test_bad_test_index_line(self):
    raw, _, _, _ = self.write_raw()
    path = os.path.join(raw, "ind.toy.test.index")
    with open(path, "w") as f:
      f.write("506\nabc\n507\n")
    with self.assertRaisesRegex(ValueError, f"{path}:2: expected a paper id .* got b'abc'"):
      planetoid.read_planetoid(raw, "toy")

  def test_test_id_inside_allx(self):
    raw, _, _, _ = self.write_raw(test_index=(506, 3, 507))
    with self.assertRaisesRegex(ValueError, "toy: test.index holds id 3, which is a row of "
                                "allx; test ids must be >= 504"):
      planetoid.read_planetoid(raw, "toy")

  def test_duplicate_test_id(self):
    raw, _, _, _ = self.write_raw(test_index=(506, 506, 507))
    with self.assertRaisesRegex(ValueError, "toy: test.index lists a paper id twice"):
      planetoid.read_planetoid(raw, "toy")

  def test_too_few_rows_for_the_validation_split(self):
    raw, _, _, _ = self.write_raw(num_all=400, test_index=(400, 401, 402))
    with self.assertRaisesRegex(ValueError, "toy: allx has 400 rows, fewer than the 2 training "
                                r"\+ 500 validation papers"):
      planetoid.read_planetoid(raw, "toy")

  def test_edge_to_an_unknown_paper(self):
    raw, _, _, _ = self.write_raw(graph={0: [1], 1: [508]})
    with self.assertRaisesRegex(ValueError, r"ind.toy.graph: paper id 508 is not in \[0, 508\)"):
      planetoid.read_planetoid(raw, "toy")

  def test_graph_of_the_wrong_type(self):
    raw, _, _, _ = self.write_raw(graph=[[0, 1]])
    with self.assertRaisesRegex(ValueError, "ind.toy.graph: expected a dict .*got list"):
      planetoid.read_planetoid(raw, "toy")
    raw, _, _, _ = self.write_raw(graph={0: 1})
    with self.assertRaisesRegex(ValueError, "the neighbors of paper 0 are of type int, expected "
                                "a list"):
      planetoid.read_planetoid(raw, "toy")

  def test_labels_of_the_wrong_type(self):
    raw, _, _, _ = self.write_raw()
    with open(os.path.join(raw, "ind.toy.y"), "wb") as f:
      pickle.dump([0, 1], f, protocol=3)
    with self.assertRaisesRegex(ValueError, "ind.toy.y: expected a 2-D one-hot label matrix, "
                                "got list"):
      planetoid.read_planetoid(raw, "toy")


if __name__ == "__main__":
  tf.test.main()
