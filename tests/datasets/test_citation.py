"""Tests of the citation data set loader on the shared Cora tables."""
import os

import numpy as np
import tensorflow as tf

import tfgle
from tfgle.datasets import citation
from tests.conftest import require_dataset


class CitationTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.data_dir = require_dataset("cora")
    cls.graph, cls.info = tfgle.datasets.load_citation(cls.data_dir)
    cls.npz = np.load(os.path.join(cls.data_dir, "cora.npz"))

  def test_sizes_classes_and_splits(self):
    g, info = self.graph, self.info
    self.assertEqual(g.node_types, ["paper"])
    self.assertEqual(g.edge_types, [tfgle.EdgeType("paper", "paper", "cites")])
    self.assertEqual(g.num_nodes("paper"), 2708)
    self.assertEqual(g.num_edges("cites"), 10556)  # 5278 undirected citations
    self.assertEqual(info.name, "cora")
    self.assertEqual(info.node_type, "paper")
    self.assertEqual(info.edge_type, ("paper", "paper", "cites"))
    self.assertEqual((info.num_nodes, info.num_edges), (2708, 10556))
    self.assertEqual(info.num_classes, 7)
    self.assertEqual(info.label, "label")
    self.assertEqual(info.feature_names, ("words",))
    self.assertEqual(info.splits, {"train": 140, "val": 500, "test": 1000})
    self.assertEqual(g.splits("paper"), ["test", "train", "val"])

  def test_labels_and_splits_equal_the_npz(self):
    g, npz = self.graph, self.npz
    self.assertAllEqual(g.node_ids("paper"), np.arange(2708))
    self.assertAllEqual(g.labels("paper"), npz["labels"])
    for name, key in (("train", "train_idx"), ("val", "val_idx"), ("test", "test_idx")):
      self.assertAllEqual(g.split("paper", name), np.sort(npz[key]))

  def test_words_are_a_multivalued_categorical_feature_equal_to_the_npz(self):
    g, npz = self.graph, self.npz
    spec = g.node_attrs("paper")["words"]
    self.assertIsInstance(spec, tfgle.CategoricalAttr)
    self.assertTrue(spec.multivalued)
    self.assertEqual(self.info.vocab_sizes, {"words": len(spec.vocab) + 1})
    words = g.node_features("paper", np.arange(2708))["words"]
    self.assertIsInstance(words, tf.RaggedTensor)
    # Category id i + 1 is word vocab[i]; rebuild the bag of words from them.
    vocab = np.asarray(spec.vocab)
    ids = words.flat_values.numpy()
    self.assertGreater(ids.min(), 0)  # every word is in the learned vocabulary
    rows = np.repeat(np.arange(2708), words.row_lengths().numpy())
    bag = np.zeros_like(npz["features"])
    bag[rows, vocab[ids - 1]] = 1
    self.assertAllEqual(bag, npz["features"])
    self.assertEqual(len(ids), int(npz["features"].sum()))  # no word listed twice

  def test_edges_equal_the_npz_in_both_directions(self):
    g, npz = self.graph, self.npz
    nbrs = g.neighbors("cites", np.arange(2708)).ids
    src = np.repeat(np.arange(2708), nbrs.row_lengths().numpy())
    got = set(zip(src.tolist(), nbrs.flat_values.numpy().tolist()))
    edges = npz["edges"]
    want = set(zip(edges[:, 0].tolist(), edges[:, 1].tolist()))
    want |= {(d, s) for s, d in want}
    self.assertEqual(len(got), 10556)
    self.assertEqual(got, want)

  def test_missing_files(self):
    empty = self.get_temp_dir()
    with self.assertRaisesRegex(FileNotFoundError, f"data_dir {empty!r} is not a citation data "
                                "set: .*nodes.tsv"):
      citation.load_citation(empty)

  def test_strict_and_lenient_on_a_broken_copy(self):
    out = self.get_temp_dir()
    with open(os.path.join(self.data_dir, "nodes.tsv")) as f:
      nodes = f.read().splitlines()
    nodes[5] = nodes[5].replace("\t", "\tx", 1)  # a label that is not a number
    with open(os.path.join(out, "nodes.tsv"), "w") as f:
      f.write("\n".join(nodes) + "\n")
    with open(os.path.join(self.data_dir, "edges.tsv")) as f:
      edges = f.read()
    with open(os.path.join(out, "edges.tsv"), "w") as f:
      f.write(edges)
    with self.assertRaisesRegex(ValueError, f"node table 'paper': {out}/nodes.tsv:6: column "
                                "'label': 'x"):
      citation.load_citation(out)
    g, info = citation.load_citation(out, strict=False)
    self.assertEqual(info.num_nodes, 2707)
    self.assertEqual(g.load_report["node table 'paper'"], {f"{out}/nodes.tsv": 1})
    dropped_edges = sum(g.load_report["edge table 'cites'"].values())
    self.assertGreater(dropped_edges, 0)  # the citations of paper 4 have no paper now
    self.assertEqual(info.num_edges, 2 * (5278 - dropped_edges))


if __name__ == "__main__":
  tf.test.main()
