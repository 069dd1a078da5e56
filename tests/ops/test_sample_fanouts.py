"""Tests of tfgle.ops.sample_fanouts: fused multi-hop sampling in one op call."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tfgle import ops
from tfgle.ops._library import ops as raw
from tests.ops import sampling_graphs


def _neighbor_sets(src, dst, n):
  sets = [set() for _ in range(n)]
  for s, d in zip(src, dst):
    sets[s].add(d)
  return sets


class SampleFanoutsTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.g, self.src, self.dst = sampling_graphs.random_graph(200, 2000, seed=4,
                                                              weights=np.ones(2000))
    self.nbrs = _neighbor_sets(self.src, self.dst, 200)

  def test_shapes_and_hops_follow_edges(self):
    seeds = np.arange(50)
    hops = self.g.sampler.sample_fanouts(["e", "e", "e"], seeds, [4, 3, 2], seed=1)
    self.assertLen(hops, 3)
    self.assertEqual([h.ids.shape.as_list() for h in hops], [[50, 4], [200, 3], [600, 2]])
    parents = seeds
    for hop in hops:
      ids, mask = hop.ids.numpy(), hop.mask.numpy()
      for parent, row, row_mask in zip(parents, ids, mask):
        if parent < 0:
          self.assertFalse(row_mask.any())
          continue
        self.assertAllInSet(row[row_mask], self.nbrs[parent] or {-1})
        self.assertEqual(row_mask.any(), bool(self.nbrs[parent]))
      parents = ids.ravel()

  def test_first_hop_equals_sample_neighbors(self):
    seeds = np.arange(100)
    for strategy in ops.sampling.NEIGHBOR_STRATEGIES:
      hop1, _ = self.g.sampler.sample_fanouts("e", seeds, [5, 2], strategy=strategy, seed=[3, 4])
      single = self.g.sampler.sample_neighbors("e", seeds, 5, strategy=strategy, seed=[3, 4])
      self.assertAllEqual(hop1.ids, single.ids)
      self.assertAllEqual(hop1.edge_ids, single.edge_ids)

  def test_hops_draw_independently(self):
    # 0 <-> 1..50: hop 2 is node 0 again, in row 0 like the seed; hop 3 must not
    # repeat hop 1's draws.
    g = sampling_graphs.homogeneous([0] * 50 + list(range(1, 51)),
                                    list(range(1, 51)) + [0] * 50, 51)
    hop1, hop2, hop3 = g.sampler.sample_fanouts("e", [0], [20, 1, 20], seed=1)
    self.assertAllEqual(hop2.ids[0], [0])
    self.assertNotAllEqual(hop1.ids[0], hop3.ids[0])

  def test_per_hop_strategies(self):
    g = sampling_graphs.homogeneous([0, 0, 0, 1, 2, 3], [1, 2, 3, 0, 0, 0], 4,
                                    weights=[1, 5, 3, 1, 1, 1])
    hop1, hop2 = g.sampler.sample_fanouts("e", [0], [2, 2], strategy=["topk", "random"], seed=1)
    self.assertAllEqual(hop1.ids, [[2, 3]])
    self.assertAllEqual(hop2.ids, [[0, 0], [0, 0]])

  def test_padding_parents_have_padding_children(self):
    # 0 -> 1 only; 1 -> 2, 3. Without replacement, hop 1 of seed 0 is [1, pad].
    g = sampling_graphs.homogeneous([0, 1, 1], [1, 2, 3], 4)
    hop1, hop2 = g.sampler.sample_fanouts("e", [0], [2, 2], strategy="random_without_replacement",
                                    seed=1)
    self.assertAllEqual(hop1.ids, [[1, -1]])
    self.assertAllEqual(hop2.mask, [[True, True], [False, False]])
    self.assertAllEqual(hop2.ids[1], [-1, -1])
    # Circular repeats are real nodes: their children are sampled.
    hop1, hop2 = g.sampler.sample_fanouts("e", [0], [2, 2], strategy="random_without_replacement",
                                    padding="circular", seed=1)
    self.assertAllEqual(hop1.ids, [[1, 1]])
    self.assertAllEqual(hop1.mask, [[True, False]])
    self.assertAllEqual(hop2.mask, [[True, True], [True, True]])
    self.assertAllInSet(hop2.ids, [2, 3])

  def test_heterogeneous_meta_path(self):
    g = sampling_graphs.bipartite([0, 0, 1, 2], [0, 1, 1, 2], 3, 4)
    items, users = g.sampler.sample_fanouts(["buys", ("i", "u", "bought_by")], [0, 1, 2], [3, 2],
                                      seed=1)
    self.assertAllInSet(items.ids, [0, 1, 2])
    self.assertAllInSet(users.ids, [0, 1, 2])
    self.assertAllEqual(items.ids[1], [1, 1, 1])
    self.assertAllInSet(users.ids[3:6], [0, 1])  # item 1 was bought by users 0 and 1

  def test_temporal_filter_applies_to_every_hop(self):
    # 0 -> 1 at t=1, 0 -> 2 at t=9; 1 -> 3 at t=2, 1 -> 4 at t=8.
    g = sampling_graphs.homogeneous([0, 0, 1, 1], [1, 2, 3, 4], 5, timestamps=[1, 9, 2, 8])
    hop1, hop2 = g.sampler.sample_fanouts("e", [0, 0], [3, 3], seed=1, before=[5, 100])
    self.assertAllEqual(hop1.ids[0], [1, 1, 1])
    self.assertAllInSet(hop2.ids[:3], [3])
    self.assertAllInSet(hop2.ids.numpy()[3:][hop2.mask.numpy()[3:]], [3, 4])

  def test_empty_batch_and_static_shapes(self):
    hops = self.g.sampler.sample_fanouts("e", np.zeros([0], np.int64), [3, 2], seed=1)
    self.assertEqual([h.ids.shape.as_list() for h in hops], [[0, 3], [0, 2]])
    fn = tf.function(lambda ids: self.g.sampler.sample_fanouts("e", ids, [3, 2], seed=1),
                     input_signature=[tf.TensorSpec([None], tf.int64)])
    shapes = [h.ids.shape.as_list() for h in fn.get_concrete_function().structured_outputs]
    self.assertEqual(shapes, [[None, 3], [None, 2]])
    fn = tf.function(lambda ids: self.g.sampler.sample_fanouts("e", ids, [3, 2], seed=1),
                     input_signature=[tf.TensorSpec([8], tf.int64)])
    shapes = [h.ids.shape.as_list() for h in fn.get_concrete_function().structured_outputs]
    self.assertEqual(shapes, [[8, 3], [24, 2]])

  def test_one_op_call_per_batch(self):
    fn = tf.function(lambda ids: self.g.sampler.sample_fanouts("e", ids, [3, 2, 2], seed=1))
    graph = fn.get_concrete_function(tf.TensorSpec([None], tf.int64)).graph
    sampling_ops = [op.type for op in graph.get_operations() if op.type.startswith("Tfgle>")]
    self.assertEqual(sampling_ops, ["Tfgle>SampleFanouts"])

  def test_without_edge_ids(self):
    a = self.g.sampler.sample_fanouts("e", np.arange(30), [4, 3], seed=[1, 2])
    b = self.g.sampler.sample_fanouts("e", np.arange(30), [4, 3], seed=[1, 2], edge_ids=False)
    for x, y in zip(a, b):
      self.assertAllEqual(x.ids, y.ids)
      self.assertIsNone(y.edge_ids)
    fn = tf.function(lambda ids: raw.tfgle_sample_fanouts(
        [self.g.csr("e").resource_handle] * 2, ids, [1, 2], tf.zeros([0], tf.int64),
        fanouts=[4, 3], strategies=["random"] * 2, return_edge_ids=False))
    out = fn.get_concrete_function(tf.TensorSpec([5], tf.int64)).structured_outputs
    self.assertEqual([t.shape.as_list() for t in out.edge_ids], [[5, 0], [20, 0]])

  def test_deterministic(self):
    a = self.g.sampler.sample_fanouts("e", np.arange(30), [4, 4], seed=[1, 2])
    b = self.g.sampler.sample_fanouts("e", np.arange(30), [4, 4], seed=[1, 2])
    c = self.g.sampler.sample_fanouts("e", np.arange(30), [4, 4], seed=[1, 3])
    for x, y in zip(a, b):
      self.assertAllEqual(x.ids, y.ids)
    self.assertNotAllEqual(a[1].ids, c[1].ids)


class SampleFanoutsBadInputTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.g = sampling_graphs.bipartite([0, 1], [1, 2], 2, 5)

  @parameterized.expand([("empty", []), ("zero", [2, 0]), ("negative", [-1]),
                         ("not_a_list", 3)])
  def test_bad_fanouts(self, _, fanouts):
    with self.assertRaisesRegex(ValueError, "fanouts must be"):
      self.g.sampler.sample_fanouts("buys", [0], fanouts, seed=1)

  def test_fanouts_must_match_meta_path(self):
    with self.assertRaisesRegex(ValueError,
                                "fanouts has 3 entries but meta_path has 2 edge types"):
      self.g.sampler.sample_fanouts(["buys", "bought_by"], [0], [1, 2, 3], seed=1)
    with self.assertRaisesRegex(ValueError, "strategy must be one name or one per hop"):
      self.g.sampler.sample_fanouts(["buys", "bought_by"], [0], [1, 2],
                         strategy=["random"] * 3, seed=1)

  def test_meta_path_must_chain(self):
    with self.assertRaisesRegex(ValueError, "meta_path does not chain: hop 0 .* ends at node "
                                "type 'i' but hop 1 .* starts at 'u'"):
      self.g.sampler.sample_fanouts(["buys", "buys"], [0], [1, 2], seed=1)

  def test_unknown_strategy(self):
    with self.assertRaisesRegex(ValueError, "unknown strategy 'full'; allowed"):
      self.g.sampler.sample_fanouts("buys", [0], [1], strategy="full", seed=1)

  def test_ids_out_of_range(self):
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                r"ids\[1\] = 2 is not in \[0, 2\)"):
      self.g.sampler.sample_fanouts(["buys", "bought_by"], [0, 2], [1, 2], seed=1)

  def test_raw_op_checks(self):
    buys = self.g.csr("buys").resource_handle
    back = self.g.csr("bought_by").resource_handle
    e = tf.zeros([0], tf.int64)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                "fanouts has 1 entries but the meta-path has 2 edge types"):
      raw.tfgle_sample_fanouts([buys, back], [0], [1, 1], e, fanouts=[2],
                               strategies=["random"] * 2)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                "strategies has 1 entries but the meta-path has 2"):
      raw.tfgle_sample_fanouts([buys, back], [0], [1, 1], e, fanouts=[2, 2],
                               strategies=["random"])
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, r"fanouts\[1\] must be > 0"):
      raw.tfgle_sample_fanouts([buys, back], [0], [1, 1], e, fanouts=[2, 0],
                               strategies=["random"] * 2)
    with self.assertRaisesRegex(
        tf.errors.InvalidArgumentError,
        "the meta-path does not chain: edge type 0 has 5 destination nodes but edge type 1 "
        "has 2 source nodes"):
      raw.tfgle_sample_fanouts([buys, buys], [0], [1, 1], e, fanouts=[2, 2],
                               strategies=["random"] * 2)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, r"seed must have shape \[2\]"):
      raw.tfgle_sample_fanouts([buys], [0], [1], e, fanouts=[2], strategies=["random"])

  def test_batch_times_fanouts_overflow_is_an_error(self):
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, "overflows"):
      self.g.sampler.sample_fanouts(["buys", "bought_by", "buys"], [0, 1], [2**30, 2**30, 2**30],
                         seed=1)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, "overflows"):
      self.g.sampler.sample_fanouts(["buys", "bought_by", "buys", "bought_by"], [0],
                         [2**62, 2**62, 4, 4], seed=1)
