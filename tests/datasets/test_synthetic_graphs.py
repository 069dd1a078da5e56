"""Tests of synthetic_graph_collection: small random graphs labeled by their structure."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tfgle.datasets import synthetic_graph_collection
from tfgle.datasets.synthetic_graphs import count_triangles


def _adjacency(collection, g):
  _, edges = collection.graph(g)
  n = collection.node_offsets[g + 1] - collection.node_offsets[g]
  adjacency = np.zeros((n, n), bool)
  adjacency[edges[:, 0], edges[:, 1]] = True
  return adjacency, len(edges)


def _connected(adjacency):
  seen, todo = {0}, [0]
  while todo:
    for v in np.flatnonzero(adjacency[todo.pop()]):
      if v not in seen:
        seen.add(int(v))
        todo.append(int(v))
  return len(seen) == len(adjacency)


class SyntheticGraphCollectionTest(tf.test.TestCase):

  @parameterized.expand([("cycles",), ("triangles",)])
  def test_labels_are_the_structure(self, task):
    c = synthetic_graph_collection(200, task=task, num_classes=4, min_nodes=6, max_nodes=12,
                                   seed=3)
    self.assertEqual(c.num_classes, 4)
    self.assertAllEqual(np.bincount(c.labels), [50, 50, 50, 50])
    self.assertAllEqual(c.features["x"], np.ones((c.num_nodes, 1)))
    sizes = np.diff(c.node_offsets)
    self.assertBetween(sizes.min(), 6, 12)
    self.assertBetween(sizes.max(), 6, 12)
    for g in range(c.num_graphs):
      adjacency, num_directed = _adjacency(c, g)
      self.assertAllEqual(adjacency, adjacency.T)  # undirected: both directions stored
      self.assertFalse(adjacency.diagonal().any())
      self.assertEqual(num_directed, adjacency.sum())  # no repeated edges
      self.assertTrue(_connected(adjacency))
      if task == "cycles":
        self.assertEqual(adjacency.sum() // 2 - len(adjacency) + 1, c.labels[g])
      else:
        self.assertEqual(count_triangles(adjacency), c.labels[g])
    if task == "triangles":  # the number of edges does not give the label away
      extra = np.diff(c.edge_offsets) // 2 - sizes + 1
      means = [extra[c.labels == k].mean() for k in range(4)]
      self.assertLess(max(means) - min(means), 1.0)

  def test_splits_and_determinism(self):
    c = synthetic_graph_collection(50, seed=1)
    parts = [c.splits[name] for name in ("train", "val", "test")]
    self.assertEqual([len(p) for p in parts], [40, 5, 5])
    self.assertAllEqual(np.sort(np.concatenate(parts)), np.arange(50))
    again = synthetic_graph_collection(50, seed=1)
    self.assertAllEqual(again.edges, c.edges)
    self.assertAllEqual(again.labels, c.labels)
    self.assertNotAllEqual(synthetic_graph_collection(50, seed=2).labels, c.labels)

  def test_bad_arguments(self):
    cases = [
        (dict(task="squares"), r"task must be one of \['cycles', 'triangles'\], got 'squares'"),
        (dict(num_graphs=0), "num_graphs must be an int >= 1, got 0"),
        (dict(num_classes=1), "num_classes must be an int >= 2, got 1"),
        (dict(max_nodes=2.5), "max_nodes must be an int >= 1, got 2.5"),
        (dict(min_nodes=9, max_nodes=8), "min_nodes must be <= max_nodes, got 9 > 8"),
        (dict(min_nodes=3, num_classes=3),
         "task='cycles': a graph of min_nodes=3 nodes cannot have 2 independent cycles"),
        (dict(task="triangles", min_nodes=4, num_classes=4),
         r"task=.triangles. needs min_nodes >= max\(3, num_classes \+ 1\) = 5, got 4"),
        (dict(split_fractions=(0.5, 0.5, 0.5)), "split fractions must be three numbers"),
    ]
    for kwargs, message in cases:
      with self.assertRaisesRegex(ValueError, message):
        synthetic_graph_collection(**dict(dict(num_graphs=10), **kwargs))
