"""PartitionedGraph.sample_random_walks: walks step by step over the partitions.

The partitions' devices are this process's CPU (the tables are still separate,
one per partition).
"""
import numpy as np
import tensorflow as tf

from tfgle.distribute import PartitionedGraph
from tests.ops import sampling_graphs
from tests.ops.test_random_walk import _ALPHA, _EDGES, _N, _adjacency, _second_order_chi_square
from tests.ops.test_random_walk import _undirected

CPU = "/device:CPU:0"


class PartitionedRandomWalkTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.g = _undirected(_EDGES, _N)
    cls.pg = PartitionedGraph(cls.g, [CPU, CPU, CPU])
    cls.adj = _adjacency(_EDGES, _N)

  def test_transitions_follow_node2vec(self):
    starts = np.tile(np.arange(_N), 1500)
    for p, q in ((0.25, 4.0), (1.0, 1.0)):
      walks = self.pg.sample_random_walks("e", starts, 6, p=p, q=q, seed=3).ids.numpy()
      self.assertAllEqual(walks[:, 0], starts)
      chi2, df, pvalue = _second_order_chi_square(walks, self.adj, p, q)
      self.assertGreater(pvalue, _ALPHA, f"p={p}, q={q}: chi2 = {chi2:.1f}, df = {df}")
      # The test can tell the two apart.
      _, _, wrong = _second_order_chi_square(walks, self.adj, 4.0, 0.25)
      self.assertLess(wrong, 1e-12)

  def test_walks_follow_edges_and_end_at_dead_ends(self):
    g, src, dst = sampling_graphs.random_graph(60, 150, seed=2)
    pg = PartitionedGraph(g, [CPU, CPU])
    edges = set(zip(src.tolist(), dst.tolist()))
    for p, q in ((1.0, 1.0), (0.5, 2.0)):
      walks = pg.sample_random_walks("e", np.arange(60), 8, p=p, q=q, seed=[1, 2])
      ids = walks.ids.numpy()
      self.assertAllEqual(walks.mask, ids >= 0)
      for row in ids:
        valid = row[row >= 0]
        self.assertTrue((row[len(valid):] == -1).all())
        self.assertTrue(all((a, b) in edges for a, b in zip(valid[:-1], valid[1:])))
    chain = sampling_graphs.homogeneous([0, 1], [1, 2], 4)
    walks = PartitionedGraph(chain, [CPU, CPU]).sample_random_walks("e", [0, 3], 3, q=2.0,
                                                                    seed=1)
    self.assertAllEqual(walks.ids, [[0, 1, 2, -1], [3, -1, -1, -1]])

  def test_same_seed_same_walks(self):
    a = self.pg.sample_random_walks("e", np.arange(_N), 5, p=0.5, seed=4).ids
    self.assertAllEqual(a, self.pg.sample_random_walks("e", np.arange(_N), 5, p=0.5, seed=4).ids)

  def test_meta_path_and_errors(self):
    g = sampling_graphs.bipartite([0, 1, 1, 2], [0, 0, 1, 2], 3, 3)
    pg = PartitionedGraph(g, [CPU, CPU])
    ids = pg.sample_random_walks(["buys", "bought_by"], [0, 1, 2], 4, seed=1).ids.numpy()
    buys = {(0, 0), (1, 0), (1, 1), (2, 2)}
    for row in ids:
      for s in range(1, 5):
        self.assertIn((row[s - 1], row[s]) if s % 2 else (row[s], row[s - 1]), buys)
    with self.assertRaisesRegex(ValueError, "needs a single edge type"):
      pg.sample_random_walks(["buys", "bought_by"], [0], 4, p=0.5, seed=1)
    with self.assertRaisesRegex(ValueError, "length must be a positive int"):
      pg.sample_random_walks("buys", [0], 0, seed=1)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                r"starts must be dense node indices in \[0, 3\)"):
      pg.sample_random_walks("buys", [0, 3], 1, seed=1)


if __name__ == "__main__":
  tf.test.main()
