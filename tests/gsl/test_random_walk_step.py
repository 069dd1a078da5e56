"""The GSL random_walk step: construction errors and lowered values."""
import numpy as np
import tensorflow as tf

import tfgle
from tests.gsl.test_lowering import _as_numpy, _ring_graph
from tests.ops import sampling_graphs


class RandomWalkStepTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.g = _ring_graph()
    # Out-neighbors by external id (ids are 1000 + dense index).
    rows = cls.g.csr("e").neighbors(tf.range(30, dtype=tf.int64))[0].to_list()
    cls.adj = {1000 + i: {1000 + j for j in row} for i, row in enumerate(rows)}

  def _check_walk(self, start, walk, mask, x=None):
    self.assertEqual(walk[0], start)
    valid = int(mask.sum())
    self.assertTrue(mask[:valid].all())        # padding only after the end
    self.assertTrue((walk[valid:] == -1).all())
    for a, b in zip(walk[:valid - 1], walk[1:valid]):
      self.assertIn(b, self.adj[a])
    if x is not None:  # feature "x" is 10 * (id - 1000)
      self.assertAllClose(x[:valid], (walk[:valid] - 1000) * 10.0)

  def test_walk_values_follow_edges_with_features(self):
    for p, q in ((1.0, 1.0), (0.25, 4.0)):
      ds = (self.g.V("n").batch(8).alias("seed")
            .random_walk("e", 6, p=p, q=q).alias("walk").values(seed=2))
      batches = 0
      for batch in ds:
        b = _as_numpy(batch)
        seeds, walk = b["seed"], b["walk"]
        self.assertEqual(walk["ids"].shape, seeds["ids"].shape + (7,))
        self.assertEqual(walk["x"].shape, walk["ids"].shape)
        self.assertTrue((walk["index"][~walk["mask"]] == 0).all())
        for i, start in enumerate(seeds["ids"]):
          self._check_walk(start, walk["ids"][i], walk["mask"][i], walk["x"][i])
        batches += 1
      self.assertEqual(batches, 4)  # 30 nodes in batches of 8
      # The ring's last node has no out-edges: some walks end early.
      last = _as_numpy(next(iter(self.g.V("n", mask=[1029]).batch(1).alias("s")
                                 .random_walk("e", 3).alias("w").values())))
      self.assertAllEqual(last["w"]["ids"], [[1029, -1, -1, -1]])
      self.assertAllEqual(last["w"]["mask"], [[True, False, False, False]])

  def test_walks_from_sampled_vertices_and_determinism(self):
    query = (self.g.V("n").batch(5).alias("seed")
             .outV("e").sample(2).by("random").alias("h1")
             .random_walk(("n", "n", "e"), 4, p=2.0, q=0.5).alias("walk"))
    first = [_as_numpy(b) for b in query.values(seed=7, features=False)]
    again = [_as_numpy(b) for b in query.values(seed=7, features=False)]
    for a, b in zip(first, again):
      self.assertAllEqual(a["walk"]["ids"], b["walk"]["ids"])
    for b in first:
      h1, walk = b["h1"], b["walk"]
      self.assertEqual(walk["ids"].shape, h1["ids"].shape + (5,))
      for i in range(h1["ids"].shape[0]):
        for j in range(2):
          if h1["mask"][i, j]:
            self._check_walk(h1["ids"][i, j], walk["ids"][i, j], walk["mask"][i, j])
          else:  # walks from padding are padding
            self.assertFalse(walk["mask"][i, j].any())

  def test_on_a_partitioned_graph(self):
    pg = tfgle.distribute.PartitionedGraph(self.g, ["/device:CPU:0"] * 2)
    b = _as_numpy(next(iter(pg.V("n").batch(10).alias("seed").random_walk("e", 5, q=2.0)
                            .alias("walk").values(features=False))))
    for i, start in enumerate(b["seed"]["ids"]):
      self._check_walk(start, b["walk"]["ids"][i], b["walk"]["mask"][i])

  def test_construction_errors_name_the_step(self):
    g = self.g
    with self.assertRaisesRegex(ValueError, r"step 1 random_walk\('nope'\): .*nope"):
      g.V("n").batch(4).random_walk("nope", 3)
    with self.assertRaisesRegex(ValueError, r"step 1 random_walk\('e'\): length must be a "
                                "positive int"):
      g.V("n").batch(4).random_walk("e", 0)
    with self.assertRaisesRegex(ValueError, r"step 1 random_walk\('e'\): q must be a finite "
                                "number > 0"):
      g.V("n").batch(4).random_walk("e", 3, q=-1.0)
    with self.assertRaisesRegex(ValueError, r"step 1 random_walk\('e'\): random_walk follows a "
                                "vertex step"):
      g.E("e").batch(4).random_walk("e", 3)
    with self.assertRaisesRegex(ValueError, r"sample\(\) does not apply to random_walk"):
      g.V("n").batch(4).random_walk("e", 3).sample(2)
    with self.assertRaisesRegex(ValueError, r"by\(\) does not apply to random_walk"):
      g.V("n").batch(4).random_walk("e", 3).by("random")
    bip = sampling_graphs.bipartite([0, 1], [0, 1], 2, 2)
    with self.assertRaisesRegex(ValueError, "a walk step yields vertices of one node type, the "
                                "type of step 0 V\\('u'\\) \\('u'\\), but edge type 'buys' goes "
                                "'u' -> 'i'"):
      bip.V("u").batch(2).random_walk("buys", 1)
    with self.assertRaisesRegex(ValueError, "edge types do not chain"):
      bip.V("u").batch(2).random_walk("buys", 3)
    with self.assertRaisesRegex(ValueError, "needs a single edge type"):
      bip.V("u").batch(2).random_walk(["buys", "bought_by"], 4, p=0.5)
    # A valid walk step needs no sample()/by(): the query validates.
    ds = g.V("n").batch(4).random_walk("e", 2).alias("w").values(features=False)
    self.assertIsInstance(ds, tf.data.Dataset)


if __name__ == "__main__":
  tf.test.main()
