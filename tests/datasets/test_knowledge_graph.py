"""Tests of the KG triples loader and the synthetic knowledge graph."""
import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf

from tfgle.datasets import KnowledgeGraph, load_triples, synthetic_knowledge_graph
from tfgle.datasets.knowledge_graph import RELATIONS

TRAIN = [("/m/b", "likes", "/m/a"), ("/m/a", "likes", "/m/c"), ("/m/c", "knows", "/m/b")]


def _write(directory, name, lines):
  path = os.path.join(directory, name)
  with open(path, "w", encoding="utf-8") as f:
    f.write("".join(line + "\n" for line in lines))
  return path


class LoadTriplesTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.dir = tempfile.mkdtemp(prefix="tfgle_kg_")
    self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)

  def _dataset(self, valid=("/m/a\tknows\t/m/c",), test=("/m/c\tlikes\t/m/a", "")):
    _write(self.dir, "train.txt", ["\t".join(t) for t in TRAIN])
    _write(self.dir, "valid.txt", valid)
    _write(self.dir, "test.txt", test)
    return self.dir

  def test_directory_of_split_files(self):
    kg = load_triples(self._dataset())
    self.assertIsInstance(kg, KnowledgeGraph)
    self.assertAllEqual(kg.entities, ["/m/a", "/m/b", "/m/c"])  # sorted names
    self.assertAllEqual(kg.relations, ["knows", "likes"])
    self.assertEqual((kg.num_entities, kg.num_relations), (3, 2))
    self.assertAllEqual(kg.train, [[1, 1, 0], [0, 1, 2], [2, 0, 1]])
    self.assertEqual(kg.train.dtype, np.int64)
    self.assertAllEqual(kg.valid, [[0, 0, 2]])
    self.assertAllEqual(kg.test, [[2, 1, 0]])  # the blank line is skipped
    self.assertAllEqual(kg.all_triples(), np.concatenate([kg.train, kg.valid, kg.test]))
    self.assertAllEqual(kg.to_names(kg.train), np.array(TRAIN))
    self.assertAllEqual(kg.entity_index(["/m/c", "/m/a"]), [2, 0])
    self.assertAllEqual(kg.relation_index("likes"), 1)
    self.assertEqual(kg.dropped, {"valid": 0, "test": 0})

  def test_files_and_arrays_give_the_same_graph(self):
    path = self._dataset()
    from_files = load_triples(os.path.join(path, "train.txt"), os.path.join(path, "valid.txt"))
    from_arrays = load_triples(TRAIN, np.array([["/m/a", "knows", "/m/c"]]))
    for kg in (from_files, from_arrays):
      self.assertAllEqual(kg.train, [[1, 1, 0], [0, 1, 2], [2, 0, 1]])
      self.assertAllEqual(kg.valid, [[0, 0, 2]])
      self.assertEqual(kg.test.shape, (0, 3))
    # Other delimiters; a directory without valid/test files.
    only_train = os.path.join(self.dir, "only")
    os.mkdir(only_train)
    _write(only_train, "train.tsv", [" ".join(t) for t in TRAIN])
    kg = load_triples(only_train, delimiter=" ")
    self.assertAllEqual(kg.train, [[1, 1, 0], [0, 1, 2], [2, 0, 1]])
    self.assertEqual(kg.valid.shape, (0, 3))

  def test_unknown_names_in_held_out_splits(self):
    path = self._dataset(test=("/m/a\tlikes\t/m/b", "/m/z\tlikes\t/m/a", "/m/a\thates\t/m/b"))
    test_file = os.path.join(path, "test.txt")
    with self.assertRaisesRegex(ValueError, f"{test_file}:2: entity '/m/z' does not occur in "
                                r"the training triples \(pass unknown='drop'"):
      load_triples(path)
    kg = load_triples(path, unknown="drop")
    self.assertAllEqual(kg.test, [[0, 1, 1]])
    self.assertEqual(kg.dropped, {"valid": 0, "test": 2})
    self.assertEqual(kg.dropped_examples, [
        f"{test_file}:2: entity '/m/z' does not occur in the training triples",
        f"{test_file}:3: relation 'hates' does not occur in the training triples"])
    with self.assertRaisesRegex(ValueError, r"valid\[0\]: relation 'hates' does not occur"):
      load_triples(TRAIN, [("/m/a", "hates", "/m/b")])
    kg = load_triples(TRAIN)
    with self.assertRaisesRegex(ValueError, r"unknown entity '/m/q' \(the knowledge graph has 3 "
                                "entity names"):
      kg.entity_index(["/m/a", "/m/q"])
    with self.assertRaisesRegex(ValueError, "unknown relation 'zz'"):
      kg.relation_index(["zz"])
    with self.assertRaisesRegex(ValueError, r"triples must be an int array \[n, 3\] of dense "
                                "indices of this graph's 3 entities and 2 relations"):
      kg.to_names([[0, 2, 1]])

  def test_malformed_rows_name_file_and_line(self):
    path = _write(self.dir, "bad.txt", ["a\tr\tb", "a\tr", "x\tr\tb"])
    with self.assertRaisesRegex(ValueError, f"{path}:2: expected 3 non-empty fields `head "
                                r"relation tail` separated by '\\t', got 'a\\tr'"):
      load_triples(path)
    path = _write(self.dir, "empty_field.txt", ["a\tr\tb", "a\t \tb"])
    with self.assertRaisesRegex(ValueError, f"{path}:2: expected 3 non-empty fields"):
      load_triples(path)
    with self.assertRaisesRegex(ValueError, r"train\[1\]: expected 3 non-empty names"):
      load_triples([("a", "r", "b"), ("a", "", "b")])
    with self.assertRaisesRegex(ValueError, r"train must be a file, a directory \(train only\) "
                                r"or an array \[n, 3\].*shape \(2, 2\)"):
      load_triples([("a", "r"), ("b", "r")])
    empty = _write(self.dir, "empty.txt", [""])
    with self.assertRaisesRegex(ValueError, f"train has no triples \\(read from {empty}\\)"):
      load_triples(empty)

  def test_bad_arguments(self):
    with self.assertRaisesRegex(FileNotFoundError, "test: no such file '/no/such/file'"):
      load_triples(TRAIN, test="/no/such/file")
    with self.assertRaisesRegex(FileNotFoundError, r"has no training file \(one of \['train.txt'"):
      load_triples(self.dir)
    path = self._dataset()
    with self.assertRaisesRegex(ValueError, "train is a directory .* so valid and test must be "
                                "None"):
      load_triples(path, valid=TRAIN)
    with self.assertRaisesRegex(ValueError, r"unknown must be one of \['error', 'drop'\], got "
                                "'skip'"):
      load_triples(path, unknown="skip")
    with self.assertRaisesRegex(ValueError, "delimiter must be a non-empty string other than a "
                                "line break, got ''"):
      load_triples(path, delimiter="")


class SyntheticKnowledgeGraphTest(tf.test.TestCase):

  def test_planted_relations(self):
    kg, patterns = synthetic_knowledge_graph(width=6, height=5)
    self.assertEqual(kg.num_entities, 30)
    self.assertAllEqual(kg.relations, sorted(RELATIONS))
    self.assertEqual(patterns, {"translation": ["east", "north"],
                                "inverse": [("east", "west"), ("north", "south")],
                                "composition": [("east", "north", "northeast")],
                                "symmetric": ["mirror"]})
    moves = {"east": (1, 0), "west": (-1, 0), "north": (0, 1), "south": (0, -1),
             "northeast": (1, 1)}
    names = kg.to_names(kg.all_triples())
    counts = {}
    for head, relation, tail in names:
      (hx, hy), (tx, ty) = ([int(v) for v in name.split("_")[1:]] for name in (head, tail))
      if relation == "mirror":
        self.assertEqual((tx, ty), (5 - hx, hy))
      else:
        self.assertEqual((tx - hx, ty - hy), moves[relation])
      counts[relation] = counts.get(relation, 0) + 1
    # Every move that stays on the grid is a triple.
    self.assertEqual(counts, {"east": 25, "west": 25, "north": 24, "south": 24,
                              "northeast": 20, "mirror": 30})
    self.assertLen(np.unique(kg.all_triples(), axis=0), 148)

  def test_held_out_triples_are_implied_by_training_triples(self):
    kg, _ = synthetic_knowledge_graph(width=8, height=8, valid_fraction=0.15,
                                      test_fraction=0.2, seed=3)
    total = len(kg.all_triples())
    self.assertEqual(len(kg.valid), round(0.15 * total))
    self.assertEqual(len(kg.test), round(0.2 * total))
    train = {tuple(t) for t in kg.to_names(kg.train)}
    inverse = {"east": "west", "west": "east", "north": "south", "south": "north",
               "mirror": "mirror"}
    for head, relation, tail in kg.to_names(np.concatenate([kg.valid, kg.test])):
      self.assertNotIn((head, relation, tail), train)
      if relation in inverse:
        self.assertIn((tail, inverse[relation], head), train)
      else:
        x, y = (int(v) for v in head.split("_")[1:])
        self.assertIn((head, "east", f"cell_{x + 1}_{y}"), train)
        self.assertIn((f"cell_{x + 1}_{y}", "north", tail), train)
    # Every held-out entity and relation occurs in train.
    held = np.concatenate([kg.valid, kg.test])
    self.assertContainsSubset(set(held[:, [0, 2]].ravel()), set(kg.train[:, [0, 2]].ravel()))

  def test_deterministic_by_seed_and_relations_subset(self):
    a, _ = synthetic_knowledge_graph(width=6, height=6, seed=1)
    b, _ = synthetic_knowledge_graph(width=6, height=6, seed=1)
    c, _ = synthetic_knowledge_graph(width=6, height=6, seed=2)
    self.assertAllEqual(a.test, b.test)
    self.assertNotAllEqual(a.test, c.test)
    kg, patterns = synthetic_knowledge_graph(width=6, height=6, relations=["mirror", "east"])
    self.assertAllEqual(kg.relations, ["east", "mirror"])
    self.assertEqual(patterns, {"translation": ["east"], "inverse": [], "composition": [],
                                "symmetric": ["mirror"]})
    # Without west, no east triple is implied by another: only mirror triples are held out.
    self.assertAllEqual(np.unique(np.concatenate([kg.valid, kg.test])[:, 1]), [1])

  def test_bad_arguments(self):
    for kwargs, message in [
        (dict(width=1), "width must be an int >= 2, got 1"),
        (dict(height=2.0), "height must be an int >= 2, got 2.0"),
        (dict(relations=["east", "up"]), r"relations must be a non-empty list of names among "
         r"\['east', .*\], got \['east', 'up'\]"),
        (dict(relations=[]), "relations must be a non-empty list"),
        (dict(valid_fraction=-0.1), r"valid_fraction must be a number in \[0, 0.5\), got -0.1"),
        (dict(test_fraction=0.3, valid_fraction=0.3),
         r"valid_fraction \+ test_fraction must be < 0.5"),
        (dict(seed="a"), "seed must be an int, got 'a'"),
        (dict(relations=["east", "northeast"]), r"relations \['east', 'northeast'\] plant no "
         "pattern whose triples can be held out")]:
      with self.assertRaisesRegex(ValueError, message):
        synthetic_knowledge_graph(**kwargs)


if __name__ == "__main__":
  tf.test.main()
