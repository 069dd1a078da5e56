"""Tests of tfgle.data.skip_gram_dataset: windows over walks, negatives, determinism, errors."""
import numpy as np
from scipy import stats
import tensorflow as tf

import tfgle
from tests.ops import sampling_graphs


def _ring(n):
  """A directed ring i -> i + 1 (mod n): every walk from s is s, s + 1, s + 2, ..."""
  return sampling_graphs.homogeneous(np.arange(n), (np.arange(n) + 1) % n, n)


def _epoch(ds):
  batches = [{k: v.numpy() for k, v in b.items()} for b in ds]
  return {k: np.concatenate([b[k] for b in batches]) for k in batches[0]}


class SkipGramDatasetTest(tf.test.TestCase):

  def test_pairs_are_the_windows_of_every_walk(self):
    n, walks_per_node, length, window = 10, 3, 6, 2
    ds = tfgle.data.skip_gram_dataset(_ring(n), "e", walk_length=length, window_size=window,
                                      num_negatives=4, batch_size=64,
                                      walks_per_node=walks_per_node, walks_per_batch=4,
                                      dynamic_window=False, negatives="uniform", seed=3)
    spec = ds.element_spec
    self.assertEqual(spec["target"].shape.as_list(), [None])
    self.assertEqual(spec["context"].shape.as_list(), [None])
    self.assertEqual(spec["negatives"].shape.as_list(), [None, 4])
    self.assertEqual(spec["target"].dtype, tf.int64)
    batches = [{k: v.numpy() for k, v in b.items()} for b in ds]
    self.assertTrue(all(len(b["target"]) == 64 for b in batches[:-1]))
    epoch = {k: np.concatenate([b[k] for b in batches]) for k in batches[0]}
    # Every walk has length + 1 nodes; each distance d gives length + 1 - d pairs, both ways.
    pairs_per_walk = 2 * sum(length + 1 - d for d in range(1, window + 1))
    self.assertLen(epoch["target"], n * walks_per_node * pairs_per_walk)
    distance = (epoch["context"] - epoch["target"]) % n
    self.assertAllInSet(distance, [1, 2, n - 1, n - 2])
    # Each node starts walks_per_node walks: it is the target of its walks' first pairs
    # and of the others' walks, by symmetry of the ring: every node equally often.
    self.assertAllEqual(np.bincount(epoch["target"], minlength=n),
                        np.full(n, walks_per_node * pairs_per_walk))
    self.assertAllInSet(epoch["negatives"], range(n))

  def test_dynamic_window_keeps_near_contexts_more_often(self):
    n, length, window = 50, 10, 4
    epoch = _epoch(tfgle.data.skip_gram_dataset(_ring(n), "e", walk_length=length,
                                                window_size=window, walks_per_node=40,
                                                batch_size=4096, seed=1))
    distance = (epoch["context"] - epoch["target"]) % n
    distance = np.minimum(distance, n - distance)
    counts = np.bincount(distance, minlength=window + 1)[1:]
    expected = np.array([(length + 1 - d) * (window - d + 1) / window
                         for d in range(1, window + 1)])
    self.assertAllClose(counts / counts.sum(), expected / expected.sum(), rtol=0.05)

  def test_degree_negatives_follow_degree_to_the_three_quarters(self):
    # In-degrees 6, 3, 1, 1, 1, 0, ...: nodes 1..6 -> 0, 1..3 -> 7 ... and a cycle so all walk.
    src = [1, 2, 3, 4, 5, 6, 1, 2, 3, 0, 7, 8]
    dst = [0, 0, 0, 0, 0, 0, 7, 7, 7, 8, 9, 1]
    g = sampling_graphs.homogeneous(src, dst, 10)
    epoch = _epoch(tfgle.data.skip_gram_dataset(g, "e", walk_length=3, window_size=1,
                                                num_negatives=20, walks_per_node=50,
                                                batch_size=4096, seed=2))
    degree = np.bincount(dst, minlength=10)
    weights = np.where(degree > 0, degree ** 0.75, 0.0)
    counts = np.bincount(epoch["negatives"].ravel(), minlength=10)
    self.assertAllEqual(counts[degree == 0], np.zeros(np.sum(degree == 0)))
    keep = degree > 0
    expected = weights[keep] / weights.sum() * counts.sum()
    self.assertGreater(stats.chisquare(counts[keep], expected).pvalue, 1e-3)
    # The test can fail: in-degree ** 1 is far off.
    wrong = degree[keep] / degree.sum() * counts.sum()
    self.assertLess(stats.chisquare(counts[keep], wrong).pvalue, 1e-6)

  def test_uniform_negatives(self):
    epoch = _epoch(tfgle.data.skip_gram_dataset(_ring(12), "e", walk_length=4, window_size=1,
                                                num_negatives=10, walks_per_node=20,
                                                negatives="uniform", seed=2))
    counts = np.bincount(epoch["negatives"].ravel(), minlength=12)
    self.assertGreater(stats.chisquare(counts).pvalue, 1e-3)

  def test_same_seed_same_batches_and_fresh_epochs(self):
    g, _, _ = sampling_graphs.random_graph(40, 200, seed=1)
    make = lambda seed: tfgle.data.skip_gram_dataset(g, "e", walk_length=5, window_size=2,
                                                     walks_per_node=2, batch_size=100,
                                                     p=0.5, q=2.0, seed=seed)
    first = _epoch(make(7))
    self.assertAllEqual(first["target"], _epoch(make(7))["target"])
    self.assertAllEqual(first["negatives"], _epoch(make(7))["negatives"])
    self.assertNotAllEqual(first["negatives"], _epoch(make(8))["negatives"])
    ds = make(7)
    one, two = _epoch(ds), _epoch(ds)
    self.assertNotAllEqual(one["negatives"][:50], two["negatives"][:50])

  def test_walks_on_a_partitioned_graph(self):
    pg = tfgle.distribute.PartitionedGraph(_ring(10), ["/device:CPU:0"] * 2)
    epoch = _epoch(tfgle.data.skip_gram_dataset(pg, "e", walk_length=3, window_size=1,
                                                walks_per_node=1, dynamic_window=False,
                                                p=2.0, seed=1))
    self.assertLen(epoch["target"], 10 * 2 * 3)
    self.assertAllInSet((epoch["context"] - epoch["target"]) % 10, [1, 9])

  def test_bad_arguments(self):
    g = _ring(5)
    make = lambda **kw: tfgle.data.skip_gram_dataset(g, "e", **{"walk_length": 4, **kw})
    for name in ("window_size", "num_negatives", "batch_size", "walks_per_node",
                 "walks_per_batch"):
      for bad in (0, -1, 2.5, True):
        with self.assertRaisesRegex(ValueError, f"{name} must be a positive int"):
          make(**{name: bad})
    with self.assertRaisesRegex(ValueError, "length must be a positive int"):
      make(walk_length=0)
    with self.assertRaisesRegex(ValueError, "q must be a finite number > 0"):
      make(q=0.0)
    with self.assertRaisesRegex(ValueError, "negatives must be one of"):
      make(negatives="in_degree")
    with self.assertRaisesRegex(ValueError, "exponent must be a finite number"):
      make(exponent=float("nan"))
    with self.assertRaisesRegex(ValueError, "dynamic_window must be True or False"):
      make(dynamic_window=1)
    for seed in (1.5, 2**63 - 1):
      with self.assertRaisesRegex(ValueError, "seed must be an int"):
        make(seed=seed)
    with self.assertRaisesRegex(ValueError, r"window_size \(5\) must be at most walk_length"):
      make(window_size=5)
    with self.assertRaisesRegex(ValueError, "nope"):
      tfgle.data.skip_gram_dataset(g, "nope")
    bip = sampling_graphs.bipartite([0, 1], [0, 1], 2, 2)
    with self.assertRaisesRegex(ValueError, "skip-gram walks embed one node type, but edge type "
                                "'buys' goes 'u' -> 'i'"):
      tfgle.data.skip_gram_dataset(bip, ["buys", "bought_by"], walk_length=4)
    empty = sampling_graphs.homogeneous([], [], 3)
    with self.assertRaisesRegex(ValueError, "have no edges"):
      tfgle.data.skip_gram_dataset(empty, "e", walk_length=5)
    with self.assertRaisesRegex(TypeError, "expected a built tfgle.Graph"):
      tfgle.data.skip_gram_dataset("graph", "e")


if __name__ == "__main__":
  tf.test.main()
