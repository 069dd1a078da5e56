"""Tests of tfgle.ops.sample_random_walks (the custom C++ op) and Sampler.sample_random_walks."""
import textwrap

import numpy as np
from parameterized import parameterized
from scipy import stats
import tensorflow as tf

from tfgle import ops
from tfgle.ops._library import ops as raw
from tests.ops import sampling_graphs
from tests.ops import test_sample_neighbors

# Significance of the chi-square tests. Seeds are fixed, so a test either
# always passes or always fails; a wrong distribution fails by far (see
# test_chi_square_detects_the_wrong_bias).
_ALPHA = 1e-3

# A small undirected graph with every kind of second step (return, stay at
# distance 1 from the previous node, move out to distance 2).
_EDGES = [(0, 1), (0, 2), (1, 2), (1, 3), (1, 4), (2, 4), (3, 4), (4, 5), (5, 6)]
_N = 7


def _undirected(edges, n):
  src = [a for a, b in edges] + [b for a, b in edges]
  dst = [b for a, b in edges] + [a for a, b in edges]
  return sampling_graphs.homogeneous(src, dst, n)


def _adjacency(edges, n):
  adj = np.zeros([n, n], bool)
  for a, b in edges:
    adj[a, b] = adj[b, a] = True
  return adj


def _second_order_chi_square(walks, adj, p, q):
  """Pooled chi-square of the transitions (t, v) -> x against node2vec's exact law.

  Returns (statistic, degrees of freedom, p-value).
  """
  n = adj.shape[0]
  t, v, x = walks[:, :-2].ravel(), walks[:, 1:-1].ravel(), walks[:, 2:].ravel()
  keep = x >= 0
  t, v, x = t[keep], v[keep], x[keep]
  assert adj[v, x].all(), "a walk left the edges"
  counts = np.bincount((t * n + v) * n + x, minlength=n ** 3).reshape(n, n, n)
  chi2, df = 0.0, 0
  for a in range(n):
    for b in range(n):
      observed = counts[a, b]
      total = observed.sum()
      if total == 0:
        continue
      candidates = np.flatnonzero(adj[b])
      alpha = np.where(candidates == a, 1 / p, np.where(adj[a, candidates], 1.0, 1 / q))
      expected = total * alpha / alpha.sum()
      chi2 += float(((observed[candidates] - expected) ** 2 / expected).sum())
      df += len(candidates) - 1
  return chi2, df, stats.chi2.sf(chi2, df)


class RandomWalkTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.g = _undirected(_EDGES, _N)
    cls.adj = _adjacency(_EDGES, _N)
    cls.starts = np.tile(np.arange(_N), 3000)

  def _walks(self, p, q, seed=5, length=8):
    return self.g.sampler.sample_random_walks("e", self.starts, length, p=p, q=q, seed=seed)

  @parameterized.expand([("bfs_like", 0.25, 4.0), ("dfs_like", 4.0, 0.25), ("uniform", 1.0, 1.0)])
  def test_transitions_follow_node2vec(self, _, p, q):
    walks = self._walks(p, q).ids.numpy()
    self.assertTrue((walks >= 0).all())  # no dead ends in this graph
    chi2, df, pvalue = _second_order_chi_square(walks, self.adj, p, q)
    self.assertGreater(df, 20)
    self.assertGreater(pvalue, _ALPHA, f"chi2 = {chi2:.1f} with {df} degrees of freedom")

  def test_chi_square_detects_the_wrong_bias(self):
    walks = self._walks(0.25, 4.0).ids.numpy()
    _, _, pvalue = _second_order_chi_square(walks, self.adj, 1.0, 1.0)
    self.assertLess(pvalue, 1e-12)
    _, _, pvalue = _second_order_chi_square(walks, self.adj, 4.0, 0.25)
    self.assertLess(pvalue, 1e-12)

  def test_first_step_is_uniform(self):
    walks = self.g.sampler.sample_random_walks("e", np.full(6000, 1), 1, p=0.25, q=4.0, seed=2)
    counts = np.bincount(walks.ids.numpy()[:, 1], minlength=_N)
    self.assertAllEqual(np.flatnonzero(counts), [0, 2, 3, 4])
    self.assertGreater(stats.chisquare(counts[[0, 2, 3, 4]]).pvalue, _ALPHA)

  def test_walks_follow_edges_of_a_directed_graph(self):
    g, src, dst = sampling_graphs.random_graph(200, 1000, seed=4)
    edges = set(zip(src.tolist(), dst.tolist()))
    starts = np.arange(200)
    for p, q in ((1.0, 1.0), (0.5, 2.0)):
      walks = ops.sample_random_walks(g.csr("e"), starts, 12, p=p, q=q, seed=[3, 4])
      ids, mask = walks.ids.numpy(), walks.mask.numpy()
      self.assertEqual(ids.shape, (200, 13))
      self.assertAllEqual(ids[:, 0], starts)
      self.assertAllEqual(mask, ids >= 0)
      for row in ids:
        valid = row[row >= 0]
        self.assertTrue((row[len(valid):] == -1).all())  # padding only after the end
        for a, b in zip(valid[:-1], valid[1:]):
          self.assertIn((a, b), edges)

  def test_dead_ends_end_the_walk(self):
    g = sampling_graphs.homogeneous([0, 1], [1, 2], 4)  # 0 -> 1 -> 2; 2, 3 without out-edges
    for q in (1.0, 2.0):
      walks = g.sampler.sample_random_walks("e", [0, 3, 1], 4, q=q, seed=1)
      self.assertAllEqual(walks.ids, [[0, 1, 2, -1, -1], [3, -1, -1, -1, -1],
                                      [1, 2, -1, -1, -1]])
      self.assertAllEqual(walks.mask, walks.ids.numpy() >= 0)

  def test_empty_starts(self):
    walks = self.g.sampler.sample_random_walks("e", tf.zeros([0], tf.int64), 3, seed=1)
    self.assertEqual(walks.ids.shape.as_list(), [0, 4])
    walks = self.g.sampler.sample_random_walks("e", [], 3, p=2.0, seed=1)
    self.assertEqual(walks.mask.shape.as_list(), [0, 4])

  def test_same_seed_same_walks(self):
    a = self._walks(0.5, 2.0, seed=[1, 2]).ids
    b = self._walks(0.5, 2.0, seed=[1, 2]).ids
    c = self._walks(0.5, 2.0, seed=[1, 3]).ids
    self.assertAllEqual(a, b)
    self.assertNotAllEqual(a, c)
    # A walk depends on its own row only.
    head = self.g.sampler.sample_random_walks("e", self.starts[:37], 8, p=0.5, q=2.0,
                                              seed=[1, 2]).ids
    self.assertAllEqual(head, a[:37])

  def test_meta_path_walks_alternate_node_types(self):
    g = sampling_graphs.bipartite([0, 1, 1, 2, 3], [0, 0, 1, 2, 2], 4, 3)
    walks = g.sampler.sample_random_walks(["buys", "bought_by"], [0, 1, 2, 3], 5, seed=1)
    ids = walks.ids.numpy()
    buys = {(0, 0), (1, 0), (1, 1), (2, 2), (3, 2)}
    for row in ids:
      for s in range(1, 6):
        a, b = row[s - 1], row[s]
        self.assertIn((a, b) if s % 2 else (b, a), buys)
    # One step needs no chain; a table between two node types walks one step only.
    self.assertEqual(g.sampler.sample_random_walks("buys", [0], 1, seed=1).ids.shape, [1, 2])

  def test_in_a_tf_function_and_static_shape(self):
    fn = tf.function(lambda s: ops.sample_random_walks(self.g.csr("e"), s, 6, p=2.0, seed=1),
                     input_signature=[tf.TensorSpec([None], tf.int64)])
    out = fn.get_concrete_function().structured_outputs
    self.assertEqual(out.ids.shape.as_list(), [None, 7])
    self.assertAllEqual(fn(tf.constant([0, 1], tf.int64)).ids, ops.sample_random_walks(
        self.g.csr("e"), [0, 1], 6, p=2.0, seed=1).ids)

  # ---------------------------------------------------------------- errors

  def test_bad_arguments_raise_value_errors(self):
    csr = self.g.csr("e")
    call = lambda **kw: ops.sample_random_walks(**{"tables": csr, "starts": [0], "length": 3,
                                                   "seed": 1, **kw})
    for length in (0, -2, 1.5, True, None, 2**40):
      with self.assertRaisesRegex(ValueError, "length must be"):
        call(length=length)
    for name in ("p", "q"):
      for value in (0, -1.0, float("nan"), float("inf"), "1", True, None, 1e-60, 1e60):
        with self.assertRaisesRegex(ValueError, f"{name}"):
          call(**{name: value})
    with self.assertRaisesRegex(ValueError, "more than the 10000 that rejection sampling"):
      call(p=1e-3, q=100.0)
    call(p=0.01, q=100.0)  # ratio 10^4: allowed
    with self.assertRaisesRegex(ValueError, "tables must be a CsrTable or a non-empty list"):
      call(tables=[])
    with self.assertRaisesRegex(ValueError, r"tables\[1\] must be a CsrTable"):
      call(tables=[csr, "e"])
    with self.assertRaisesRegex(ValueError, "seed must"):
      call(seed=[1, 2, 3])
    with self.assertRaisesRegex(ValueError, "starts must be a vector"):
      call(starts=[[0, 1]])
    with self.assertRaisesRegex(TypeError, "starts must be integers"):
      call(starts=[0.5])

  def test_bad_tables_for_the_walk(self):
    g = sampling_graphs.bipartite([0, 1], [0, 1], 2, 3)
    buys, bought_by = g.csr("buys"), g.csr("bought_by")
    with self.assertRaisesRegex(ValueError, "needs a single edge type"):
      ops.sample_random_walks([buys, bought_by], [0], 4, p=0.5, seed=1)
    with self.assertRaisesRegex(ValueError, "tables do not chain: step 1 follows 'buys' to its 3 "
                                "destination nodes, but step 2 follows 'buys', which has 2"):
      ops.sample_random_walks(buys, [0], 2, seed=1)
    with self.assertRaisesRegex(ValueError, "edge types do not chain: step 1 follows 'buys' to "
                                "node type 'i', but step 2 follows 'buys', which starts at 'u'"):
      g.sampler.sample_random_walks("buys", [0], 2, seed=1)
    with self.assertRaisesRegex(ValueError, "edge_types must be an edge type or a non-empty"):
      g.sampler.sample_random_walks([], [0], 2, seed=1)
    with self.assertRaisesRegex(ValueError, "needs a single edge type"):
      g.sampler.sample_random_walks(["buys", "bought_by"], [0], 2, q=2.0, seed=1)
    with self.assertRaisesRegex(ValueError, "nope"):
      g.sampler.sample_random_walks("nope", [0], 2, seed=1)

  def test_out_of_range_starts(self):
    for bad in (7, -1):
      with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                  rf"starts\[1\] = {bad} is not in \[0, 7\)"):
        self.g.sampler.sample_random_walks("e", [0, bad], 3, seed=1)

  def test_raw_op_validates_every_input(self):
    handle = self.g.csr("e").resource_handle
    call = lambda handles=(handle,), starts=(0,), seed=(1, 2), **kw: (
        raw.tfgle_sample_random_walks(list(handles), tf.constant(starts, tf.int64),
                                      tf.constant(seed, tf.int64), **{"length": 3, **kw}))
    cases = [
        ({"length": 0}, "length must be in \\[1, "),
        ({"length": -4}, "got -4"),
        ({"p": 0.0}, "p must be a finite number > 0, got 0"),
        ({"q": -2.0}, "q must be a finite number > 0, got -2"),
        ({"p": float("nan")}, "p must be a finite number > 0"),
        ({"q": float("inf")}, "q must be a finite number > 0, got inf"),
        ({"p": 1e-3, "q": 100.0}, "more than the 10000 rejection sampling allows"),
        ({"handles": (handle, handle), "p": 0.5}, "needs a single table"),
        ({"starts": (0, 9)}, "starts\\[1\\] = 9 is not in \\[0, 7\\)"),
        ({"starts": ((0, 1),)}, "starts must be a vector"),
        ({"seed": (1, 2, 3)}, "seed must have shape \\[2\\]"),
        ({"starts": (0, 1, 2, 3), "length": 2**39}, "one call may produce"),
    ]
    for kwargs, message in cases:
      with self.subTest(kwargs=kwargs):
        with self.assertRaisesRegex(tf.errors.InvalidArgumentError, message):
          call(**kwargs)
    with self.assertRaisesRegex(tf.errors.NotFoundError, "does not exist"):
      call(handles=(raw.tfgle_csr_handle(shared_name="never_created"),))

  def test_raw_op_checks_the_chain(self):
    g = sampling_graphs.bipartite([0, 1], [0, 1], 2, 3)
    buys = g.csr("buys").resource_handle
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                "do not chain: step 1 follows tables\\[0\\] to its 3 destination"):
      raw.tfgle_sample_random_walks([buys], [0], [1, 2], length=2)

  def test_shape_function(self):
    handle = self.g.csr("e").resource_handle

    def trace(starts_spec, seed_spec, **attrs):
      fn = tf.function(lambda s, k: raw.tfgle_sample_random_walks([handle], s, k, **attrs))
      return fn.get_concrete_function(starts_spec, seed_spec).structured_outputs

    ok = trace(tf.TensorSpec([5], tf.int64), tf.TensorSpec([2], tf.int64), length=4)
    self.assertEqual(ok.shape.as_list(), [5, 5])
    with self.assertRaisesRegex(ValueError, "must be rank 1"):
      trace(tf.TensorSpec([2, 2], tf.int64), tf.TensorSpec([2], tf.int64), length=4)
    with self.assertRaisesRegex(ValueError, "must be 2"):
      trace(tf.TensorSpec([None], tf.int64), tf.TensorSpec([3], tf.int64), length=4)
    with self.assertRaisesRegex(ValueError, "length must be in"):
      trace(tf.TensorSpec([None], tf.int64), tf.TensorSpec([2], tf.int64), length=0)
    with self.assertRaisesRegex(ValueError, "q must be a finite number > 0"):
      trace(tf.TensorSpec([None], tf.int64), tf.TensorSpec([2], tf.int64), length=2, q=0.0)


class RandomWalkThreadCountTest(test_sample_neighbors.ThreadCountTest):
  """Walks are bit-identical whatever the intra-op thread count (the neighbor tests' harness)."""

  _SCRIPT = textwrap.dedent("""
      import hashlib, sys
      import numpy as np
      import tensorflow as tf
      tf.config.threading.set_intra_op_parallelism_threads(int(sys.argv[1]))
      from tests.ops import sampling_graphs
      g, _, _ = sampling_graphs.random_graph(3000, 60000, seed=3)
      starts = np.random.default_rng(0).integers(0, 3000, 20000)
      h = hashlib.sha256()
      for p, q in ((1.0, 1.0), (0.25, 4.0)):
        walks = g.sampler.sample_random_walks("e", starts, 20, p=p, q=q, seed=[5, 6])
        h.update(walks.ids.numpy().tobytes())
      print(h.hexdigest())
      """)


if __name__ == "__main__":
  tf.test.main()
