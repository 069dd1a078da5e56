"""Tests of GSL's time filter: before(t | alias) on sampling steps and V().at(times)."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

import tfgle

NUM_USERS, NUM_ITEMS, NUM_EDGES = 12, 15, 120


def _timed_edges():
  """User -> item edges, each (user, item) pair once, with distinct times (no ties)."""
  rng = np.random.default_rng(11)
  pairs = rng.choice(NUM_USERS * NUM_ITEMS, NUM_EDGES, replace=False)
  return {"src_id": pairs // NUM_ITEMS, "dst_id": pairs % NUM_ITEMS + 100,
          "t": rng.permutation(NUM_EDGES).astype(np.int64) * 10 + 5}


def _graph(edges):
  return (tfgle.Graph()
          .node({"id": np.arange(NUM_USERS)}, node_type="user")
          .node({"id": np.arange(NUM_ITEMS) + 100}, node_type="item")
          .edge(edges, edge_type=("user", "item", "rates"), directed=False,
                decoder=tfgle.Decoder(timestamp="t"))
          .edge({"src_id": np.arange(NUM_USERS), "dst_id": (np.arange(NUM_USERS) + 1) % NUM_USERS},
                edge_type=("user", "user", "follows"))
          .build())


class BeforeTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.edges = _timed_edges()
    cls.g = _graph(cls.edges)
    e = cls.edges
    # (src, dst) -> time, in both directions: each pair is one edge.
    cls.time = {(int(s), int(d)): int(t) for s, d, t in zip(e["src_id"], e["dst_id"], e["t"])}
    cls.time.update({(d, s): t for (s, d), t in list(cls.time.items())})

  def _edge_time(self, a, b):
    return self.time[(int(a), int(b))]

  def _check_hop(self, parents, hop, bounds):
    """Every real sample of `hop` is an edge from its parent older than its bound, and the
    step's timestamp and time_delta are that edge's time and the bound minus it."""
    ids, mask = hop["ids"].numpy(), hop["mask"].numpy()
    stamps, deltas = hop["timestamp"].numpy(), hop["time_delta"].numpy()
    parents = np.broadcast_to(parents[..., None], ids.shape)
    bounds = np.broadcast_to(bounds.reshape(bounds.shape + (1,) * (ids.ndim - bounds.ndim)),
                             ids.shape)
    self.assertTrue(mask.any())
    for p, c, m, s, d, b in zip(parents.ravel(), ids.ravel(), mask.ravel(), stamps.ravel(),
                                deltas.ravel(), bounds.ravel()):
      if not m:
        self.assertEqual((s, d), (0, 0))
        continue
      self.assertEqual(s, self._edge_time(p, c))
      self.assertLess(s, b)
      self.assertEqual(d, b - s)

  def test_topk_before_int_is_the_latest_k_before_t(self):
    t, k = 600, 3
    ds = (self.g.V("user").batch(NUM_USERS).alias("seed")
          .outV("rates").sample(k).by("topk").before(t).alias("items").values())
    out = next(iter(ds))
    e = self.edges
    for row, user in enumerate(out["seed"]["ids"].numpy()):
      eligible = (e["src_id"] == user) & (e["t"] < t)
      order = np.argsort(-e["t"][eligible])[:k]
      want_items, want_times = e["dst_id"][eligible][order], e["t"][eligible][order]
      n = len(order)
      self.assertAllEqual(out["items"]["ids"][row, :n], want_items)
      self.assertAllEqual(out["items"]["timestamp"][row, :n], want_times)
      self.assertAllEqual(out["items"]["time_delta"][row, :n], t - want_times)
      self.assertAllEqual(out["items"]["mask"][row], np.arange(k) < n)
    self.assertFalse(out["items"]["mask"].numpy().all(), "some user must have < k edges")

  def test_edge_source_bounds_every_hop_by_its_edge_time(self):
    # Both chains are fused (one strategy, one bound): the op applies the bound to every hop.
    for strategy in ("random", "topk"):
      e = self.g.E("rates").batch(40).shuffle().alias("edge")
      user = e.outV().alias("user")
      (user.outV("rates").sample(4).by(strategy).before("edge").alias("hop1")
       .outV("rates_reverse").sample(3).by(strategy).before("edge").alias("hop2"))
      e.inV().alias("item").outV("rates_reverse").sample(4).by(strategy).before("item").alias(
          "item_hop1")
      out = next(iter(e.values(seed=3)))
      seed_times = np.array([self.time[(int(s), int(d))] for s, d in
                             zip(out["edge"]["src_ids"].numpy(), out["edge"]["dst_ids"].numpy())])
      self.assertAllEqual(self.g.sampler.edge_timestamps("rates", out["edge"]["edge_ids"]),
                          seed_times)
      with self.subTest(strategy=strategy):
        self._check_hop(out["user"]["ids"].numpy(), out["hop1"], seed_times)
        self._check_hop(out["hop1"]["ids"].numpy(), out["hop2"], seed_times)
        self._check_hop(out["item"]["ids"].numpy(), out["item_hop1"], seed_times)

  def test_before_a_sampling_step_bounds_by_the_sampled_edges_time(self):
    # TGAT's recursive bound: each hop-2 sample is older than the hop-1 edge that led to it.
    e = self.g.E("rates").batch(30).alias("edge")
    hop1 = (e.outV().outV("rates").sample(3).by("random").before("edge").alias("hop1"))
    hop1.outV("rates_reverse").sample(4).by("random").before("hop1").alias("hop2")
    out = next(iter(e.values(seed=1)))
    hop1_times = out["hop1"]["timestamp"].numpy()
    self._check_hop(out["hop1"]["ids"].numpy(), out["hop2"], hop1_times)
    # Under padding the bound is 0: nothing is sampled there.
    self.assertFalse(out["hop2"]["mask"].numpy()[~out["hop1"]["mask"].numpy()].any())

  def test_vertex_source_at_times_with_full_and_edge_steps(self):
    users = np.array([3, 0, 7, 3])
    times = np.array([300, 1200, 50, 900])
    q = self.g.V("user", mask=users).at(times).batch(4).alias("seed")
    q.outV("rates").sample().by("full").before("seed").alias("full")
    q.outE("rates").sample(2).by("topk").before("seed").alias("edges")
    out = next(iter(q.values()))
    self.assertAllEqual(out["seed"]["ids"], users)
    e = self.edges
    for row, (user, t) in enumerate(zip(users, times)):
      want = set(e["dst_id"][(e["src_id"] == user) & (e["t"] < t)])
      got = out["full"]["ids"][row].numpy()[out["full"]["mask"][row].numpy()]
      self.assertCountEqual(got, want)
    self._check_hop(users, out["full"], times)
    edges = out["edges"]
    self.assertAllEqual(edges["src_ids"].numpy()[edges["mask"].numpy()],
                        np.broadcast_to(users[:, None], (4, 2))[edges["mask"].numpy()])
    self._check_hop(users, dict(edges, ids=edges["dst_ids"]), times)

  def test_shuffled_times_follow_their_seeds(self):
    users = np.arange(NUM_USERS)
    times = users * 100 + 50
    ds = (self.g.V("user", mask=users).at(times).batch(5).shuffle().alias("seed")
          .outV("rates").sample(2).by("topk").before("seed").alias("hop1").values(seed=4))
    for out in ds:
      seeds = out["seed"]["ids"].numpy()
      self._check_hop(seeds, out["hop1"], seeds * 100 + 50)

  def test_without_before_nothing_changes(self):
    q = lambda: (self.g.V("user").batch(6).alias("seed").outV("rates").sample(3)
                 .by("random").alias("hop1"))
    plain = next(iter(q().values(seed=2)))
    self.assertNotIn("timestamp", plain["hop1"])
    late = next(iter(q().before(10**9).values(seed=2)))
    self.assertAllEqual(late["hop1"]["ids"], plain["hop1"]["ids"])

  def test_edge_timestamps_of_a_symmetric_table(self):
    # Both directions of an undirected edge share its id and time (not their sum).
    g = (tfgle.Graph().node({"id": np.arange(4)}, node_type="v")
         .edge({"src_id": [0, 1, 2], "dst_id": [1, 2, 3], "t": [7, 8, 9]},
               edge_type=("v", "v", "e"), directed=False, decoder=tfgle.Decoder(timestamp="t"))
         .build())
    self.assertAllEqual(g.sampler.edge_timestamps("e", [2, 0, 1]), [9, 7, 8])
    with self.assertRaisesRegex(ValueError, "edge type 'follows' has no timestamps"):
      self.g.sampler.edge_timestamps("follows", [0])

  @parameterized.expand([
      ("untimed_edge_type", lambda g: g.V("user").outV("follows").sample(2).by("random")
       .before(5), r"step 1 outV\('follows'\): before\(\) needs edge timestamps, and edge type "
       r"'follows' has none \(Decoder timestamp=\)"),
      ("source", lambda g: g.V("user").before(5),
       r"step 0 V\('user'\): before\(\) applies to neighbor sampling steps"),
      ("endpoint", lambda g: g.E("rates").outV().before(5),
       r"step 1 outV\('rates'\): before\(\) applies to neighbor sampling steps"),
      ("negatives", lambda g: g.V("user").outNeg("rates").sample(2).by("random").before(5),
       r"step 1 outNeg\('rates'\): before\(\) applies to neighbor sampling steps"),
      ("float_bound", lambda g: g.V("user").outV("rates").before(1.5),
       r"before\(\) takes an int time or the alias of a step with times, got 1.5"),
      ("bool_bound", lambda g: g.V("user").outV("rates").before(True),
       r"before\(\) takes an int time or the alias of a step with times, got True"),
      ("unknown_alias", lambda g: g.V("user").alias("s").outV("rates").before("t"),
       r"before\('t'\): no step has that alias; aliases so far: \['s'\]"),
      ("no_times", lambda g: g.V("user").alias("s").outV("rates").before("s"),
       r"before\('s'\): step 0 V\('user'\) has no times"),
      ("not_an_ancestor", lambda g: g.V("user").alias("s").each(lambda v: (
          v.outV("rates").sample(2).by("topk").before(9).alias("a"),
          v.outV("rates").sample(2).by("topk").before("a"))),
       r"step 2 outV\('rates'\): before\('a'\): step 1 outV\('rates'\) is not an ancestor"),
      ("at_on_edges", lambda g: g.E("rates").at([1]),
       r"step 0 E\('rates'\): at\(\) applies to V\(\) sources"),
      ("float_times", lambda g: g.V("user", mask=[1, 2]).at([1.0, 2.0]),
       r"at\(times\) takes a vector of ints .*dtype float64 and shape \(2,\)"),
      ("times_per_seed", lambda g: g.V("user", mask=[1, 2]).at([5]),
       r"at\(times\) needs one time per seed \(2\), got 1"),
      ("times_per_node", lambda g: g.V("user").at([5]),
       r"at\(times\) needs one time per seed \(12\), got 1"),
  ])
  def test_errors(self, _, build, pattern):
    with self.assertRaisesRegex(ValueError, pattern):
      build(self.g)


if __name__ == "__main__":
  tf.test.main()
