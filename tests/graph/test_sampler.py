"""Tests of the Sampler interface: the local graph's sampler and table-level ops agree."""
import numpy as np
import tensorflow as tf

import tfgle
from tfgle.graph import LocalSampler, Sampler, as_sampler
from tests.ops import sampling_graphs


class SamplerTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    # Node 0 -> 1, 2, 3 (times 10, 20, 30); node 1 -> 2 (time 5); node 3 has none.
    self.g = sampling_graphs.homogeneous([0, 0, 0, 1], [1, 2, 3, 2], 4,
                                         timestamps=[10, 20, 30, 5])

  def test_local_sampler_is_the_graphs_and_cached(self):
    self.assertIsInstance(self.g.sampler, LocalSampler)
    self.assertIsInstance(self.g.sampler, Sampler)
    self.assertIs(self.g.sampler, self.g.sampler)
    self.assertIs(self.g.sampler.graph, self.g)
    self.assertIs(as_sampler(self.g), self.g.sampler)
    self.assertIs(as_sampler(self.g.sampler), self.g.sampler)
    with self.assertRaisesRegex(TypeError, "expected a built tfgle.Graph or a "
                                "tfgle.graph.Sampler .*, got 'cites'"):
      as_sampler("cites")

  def test_sampler_calls_the_table_ops(self):
    ids = tf.constant([0, 1, 3], tf.int64)
    by_name = self.g.sampler.sample_neighbors("e", ids, 4, seed=7)
    by_table = tfgle.ops.sample_neighbors(self.g.csr("e"), ids, 4, seed=7)
    self.assertAllEqual(by_name.ids, by_table.ids)
    self.assertAllEqual(by_name.mask, by_table.mask)
    reverse = self.g.sampler.sample_full_neighbors("e", [2], reverse=True)
    self.assertAllEqual(reverse.ids.flat_values, [0, 1])
    hops = tfgle.ops.sample_fanouts([self.g.csr("e")] * 2, ids, [2, 2], strategy="topk",
                                    seed=1)
    self.assertAllEqual(hops[0].ids, self.g.sampler.sample_fanouts(
        "e", ids, [2, 2], strategy="topk", seed=1)[0].ids)

  def test_errors_name_the_table(self):
    with self.assertRaisesRegex(ValueError, "strategy 'edge_weight' needs edge weights, and "
                                "edge type 'e' has none"):
      tfgle.ops.sample_neighbors(self.g.csr("e"), [0], 2, strategy="edge_weight", seed=1)
    with self.assertRaisesRegex(ValueError, "strategy 'node_weight' needs a NodeDistribution "
                                "with weights"):
      tfgle.ops.sample_negatives(self.g.csr("e"), [0], 2, strategy="node_weight", seed=1)
    with self.assertRaisesRegex(ValueError, "needs target_categories="):
      tfgle.ops.sample_negatives(
          self.g.csr("e"), [0], 2, strategy="conditional", seed=1,
          distribution=tfgle.ops.NodeDistribution(4, categories=[0, 0, 1, 1]))

  def test_edge_type_none_is_a_clear_error(self):
    with self.assertRaisesRegex(ValueError, "edge_type must be an edge type name or a "
                                r"\(src, dst, name\) triple, got None"):
      self.g.sampler.sample_neighbors(None, [0], 2, seed=1)

  def test_empty_python_list_is_an_empty_batch(self):
    out = self.g.sampler.sample_neighbors("e", [], 3, seed=1)
    self.assertEqual(out.ids.shape, (0, 3))
    negs = self.g.sampler.sample_negatives("e", [], 2, seed=1)
    self.assertEqual(negs.ids.shape, (0, 2))
    full = self.g.sampler.sample_full_neighbors("e", [])
    self.assertEqual(full.ids.nrows(), 0)

  def test_before_needs_one_time_per_id(self):
    # An empty before= used to switch the time filter off for a whole batch.
    with self.assertRaisesRegex(ValueError, "before has 0 entries but there are 2 ids"):
      self.g.sampler.sample_neighbors("e", [0, 1], 3, seed=1, before=[])
    with self.assertRaisesRegex(ValueError, "before has 1 entries but there are 2 ids"):
      self.g.sampler.sample_full_neighbors("e", [0, 1], before=[15])
    with self.assertRaisesRegex(ValueError, "before must be a scalar or a vector"):
      self.g.sampler.sample_neighbors("e", [0, 1], 3, seed=1, before=[[15, 15]])
    fn = tf.function(lambda ids, before: self.g.sampler.sample_full_neighbors(
        "e", ids, before=before).ids.flat_values,
                     input_signature=[tf.TensorSpec([None], tf.int64)] * 2)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                "before must have one time per id"):
      fn(tf.constant([0, 1], tf.int64), tf.zeros([0], tf.int64))
    self.assertAllEqual(fn(tf.constant([0], tf.int64), tf.constant([15], tf.int64)), [1])
    # A scalar applies to every id; the filter holds.
    full = self.g.sampler.sample_full_neighbors("e", [0, 1], before=15)
    self.assertAllEqual(full.ids.to_list(), [[1], [2]])


if __name__ == "__main__":
  tf.test.main()
