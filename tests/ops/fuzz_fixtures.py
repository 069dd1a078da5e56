"""The fixtures of the op fuzz (tests/ops/fuzz_harness.py): tables, distributions, id maps,
a heterogeneous graph and its samplers, each with its numpy oracle.

Every forked child builds them from the same seed, so every child sees the same data.
"""
import numpy as np
import tensorflow as tf

from tests.ops import fuzz_oracle as oracle
from tests.ops import sampling_graphs
import tfgle
import tfgle.distribute
from tfgle.ops import CsrTable, IdMapTable, NodeDistribution
from tfgle.ops._library import ops as raw


def i64(values):
  return tf.constant(np.asarray(values, np.int64).reshape(-1), tf.int64)


def empty_i64():
  return tf.zeros([0], tf.int64)


# ---------------------------------------------------------------- fixtures

class Fixtures:
  """The tables, distributions, id maps and graphs every child builds (same seed, same data).

  tables: name -> (CsrTable, CsrOracle); dists: name -> (NodeDistribution,
  DistributionOracle); id_maps: name -> (IdMapTable, ids); bad_handles: name
  -> a resource handle no CSR op may accept.
  """

  def __init__(self, seed: int):
    rng = np.random.default_rng([seed, 0])
    self.names = {}
    self.tables = {}

    def weights(n):
      w = rng.random(n).astype(np.float32) * 3
      w[rng.random(n) < 0.2] = 0.0
      w[rng.random(n) < 0.05] = -0.0
      return w

    def table(name, num_src, num_dst, num_edges, *, weighted=False, timed=False,
              order="input", symmetric=False, custom_ids=False, src=None, dst=None,
              zero_weights=False):
      src = rng.integers(0, max(num_src, 1), num_edges) if src is None else src
      dst = rng.integers(0, max(num_dst, 1), num_edges) if dst is None else dst
      w = weights(num_edges) if weighted else None
      if zero_weights:
        w = np.zeros(num_edges, np.float32)
      t = rng.integers(0, 50, num_edges) if timed else None
      e = (rng.permutation(num_edges) * 3 + 7) if custom_ids else None
      csr = CsrTable(src, dst, num_src, num_dst, edge_ids=e, weights=w, timestamps=t,
                     symmetric=symmetric, order=order, name=name)
      self.add(name, csr)
      self.tables[name] = (csr, oracle.CsrOracle(src, dst, num_src, num_dst, edge_ids=e,
                                                 weights=w, timestamps=t, symmetric=symmetric,
                                                 order=order, name=name))

    table("ts_sorted", 20, 20, 150, weighted=True, timed=True, order="timestamp",
          custom_ids=True)
    table("by_weight", 20, 20, 150, weighted=True, order="weight")
    table("ts_input", 20, 20, 150, weighted=True, timed=True, order="input")
    table("bipartite", 30, 20, 100, custom_ids=True)
    table("zero_weights", 20, 30, 100, weighted=True, zero_weights=True)
    table("empty", 5, 5, 0, weighted=True, timed=True)
    table("saturated", 3, 3, 60, src=np.repeat(np.arange(3), 20), dst=np.tile(np.arange(3), 20))
    table("symmetric", 15, 15, 60, weighted=True, timed=True, symmetric=True)
    table("hub", 4, 120, 400, timed=True, order="timestamp",
          src=np.where(np.arange(400) < 300, 0, np.arange(400) % 4))
    table("no_nodes", 0, 0, 0)
    self.chainable = {n: [m for m, (t2, _) in self.tables.items()
                          if t2.num_src == t.num_dst and t2.num_src > 0]
                      for n, (t, _) in self.tables.items()}
    self.timed = [n for n, (t, _) in self.tables.items() if t.timed]

    self.dists = {}

    def dist(name, n, *, weighted=False, categories=False, zero_group=False, w=None, c=None):
      if weighted and w is None:
        w = rng.random(n).astype(np.float32)
        w[rng.random(n) < 0.25] = 0
      if categories and c is None:
        c = rng.integers(0, 4, n)
      if zero_group:
        w[c == 2] = 0  # category 2 cannot be drawn
      d = NodeDistribution(n, weights=w, categories=c)
      self.add(name, d)
      self.dists[name] = (d, oracle.DistributionOracle(n, w, c))

    for n in (3, 20, 30, 120):
      dist(f"uniform{n}", n)
      dist(f"weighted{n}", n, weighted=True)
      dist(f"categories{n}", n, categories=True)
      dist(f"weighted_categories{n}", n, weighted=True, categories=True, zero_group=True)
    dist("all_zero20", 20, weighted=True, categories=True, w=np.zeros(20, np.float32),
         c=np.zeros(20, np.int64))
    dist("empty0", 0, weighted=True, categories=True)
    dist("uniform5", 5)

    self.id_maps = {}
    for name, ids in (("ids_small", np.arange(10) * 3 + 100),
                      ("ids_wide", rng.choice([-2**63, -7, 0, 5, 2**40, 2**63 - 1, 12, -1],
                                              8, replace=False)),
                      ("ids_empty", np.zeros(0, np.int64))):
      table_ = IdMapTable(ids)
      self.add(name, table_)
      self.id_maps[name] = (table_, np.asarray(ids, np.int64))

    never = raw.tfgle_csr_handle(shared_name=f"fuzz_never_created_{seed}")
    failed = raw.tfgle_csr_handle(shared_name=f"fuzz_failed_init_{seed}")
    try:
      raw.tfgle_csr_init(failed, i64([5]), i64([0]), empty_i64(), tf.zeros([0]), empty_i64(),
                         i64(1)[0], i64(1)[0])
    except tf.errors.InvalidArgumentError:
      pass
    destroyed = CsrTable([0], [0], 1, 1)
    destroyed_handle = destroyed.resource_handle
    tf.raw_ops.DestroyResourceOp(resource=destroyed_handle, ignore_lookup_error=True)
    self.destroyed_table = destroyed  # a CsrTable whose resource is gone
    self.add("<destroyed CsrTable>", destroyed)
    self.bad_handles = {"never_created": never, "failed_init": failed,
                        "destroyed": destroyed_handle,
                        "id_map_handle": self.id_maps["ids_small"][0].resource_handle,
                        "distribution_handle": self.dists["uniform20"][0].resource_handle}
    for name, handle in self.bad_handles.items():
      self.add(f"<{name}>", handle)

    self._build_graph(rng)

  def add(self, name, obj):
    """Names `obj` (and its resource handle) in call descriptions; the first name stays."""
    self.names.setdefault(id(obj), name)
    if hasattr(obj, "resource_handle"):
      self.names.setdefault(id(obj.resource_handle), f"{name}.resource_handle")

  def _build_graph(self, rng):
    """A heterogeneous graph: users "u", items "i"; two u->i edge types, so a sample from
    the wrong table is caught."""
    nu, ni = 18, 12
    self.node_weights = {"u": rng.random(nu).astype(np.float32),
                         "i": rng.random(ni).astype(np.float32)}
    self.node_weights["i"][rng.random(ni) < 0.3] = 0
    self.categories = {"u": rng.integers(0, 3, nu), "i": rng.integers(0, 4, ni)}
    self.num_nodes = {"u": nu, "i": ni}
    # name -> (src type, dst type, src, dst, weights, timestamps, directed)
    specs = {
        "buys": ("u", "i", 70, True, True, True),
        "likes": ("u", "i", 50, True, False, False),
        "follows": ("u", "u", 40, False, True, False),
        "views": ("i", "u", 45, False, False, True),
    }
    g = tfgle.Graph()
    for t in ("u", "i"):
      attr = "grp" if t == "u" else "genre"
      g.node(sampling_graphs.node_table(self.num_nodes[t], nw=self.node_weights[t],
                                        **{attr: self.categories[t]}),
             node_type=t, decoder=tfgle.Decoder(weight="nw", attrs={attr: tfgle.IntAttr()}))
    self.graph_oracles = {}   # (edge type name, reverse) -> CsrOracle
    self.edge_types = {}      # name -> (src type, dst type)
    for name, (s, d, n, weighted, timed, directed) in specs.items():
      src = rng.integers(0, self.num_nodes[s], n)
      dst = rng.integers(0, self.num_nodes[d], n)
      w = rng.random(n).astype(np.float32) if weighted else None
      if weighted:
        w[rng.random(n) < 0.2] = 0
      t = rng.integers(0, 50, n) if timed else None
      columns = {}
      decoder = {}
      if weighted:
        columns["w"], decoder["weight"] = w, "w"
      if timed:
        columns["t"], decoder["timestamp"] = t, "t"
      g.edge(sampling_graphs.edge_table(src, dst, **columns), edge_type=(s, d, name),
             decoder=tfgle.Decoder(**decoder), directed=directed)
      order = "timestamp" if timed else ("weight" if weighted else "input")
      same = s == d
      forward = oracle.CsrOracle(src, dst, self.num_nodes[s], self.num_nodes[d], weights=w,
                                 timestamps=t, symmetric=not directed and same, order=order,
                                 name=name)
      self.graph_oracles[(name, False)] = forward
      self.graph_oracles[(name, True)] = oracle.reverse_oracle(forward, order, f"{name} rev")
      self.edge_types[name] = (s, d)
      if not directed and not same:
        rname = f"{name}_reverse"
        back = oracle.CsrOracle(dst, src, self.num_nodes[d], self.num_nodes[s], weights=w,
                                timestamps=t, order=order, name=rname)
        self.graph_oracles[(rname, False)] = back
        self.graph_oracles[(rname, True)] = oracle.reverse_oracle(back, order, f"{rname} rev")
        self.edge_types[rname] = (d, s)
    self.graph = g.build()
    self.sampler = self.graph.sampler
    self.partitioned = tfgle.distribute.PartitionedGraph(self.graph, ["/cpu:0"] * 3)

  def graph_table(self, name, reverse):
    return self.graph_oracles[(name, bool(reverse))]

  def end_types(self, name, reverse):
    s, d = self.edge_types[name]
    return (d, s) if reverse else (s, d)
