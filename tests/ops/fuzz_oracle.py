"""The numpy oracle of the op fuzz (tests/ops/test_ops_fuzz.py): what every op must return.

A `CsrOracle` rebuilds a CSR table from the same edge list the op got (rows,
neighbor order, edge ids, weights, timestamps, in-degrees and the 64-bit
fingerprint), and the `check_*` functions compare an op's outputs with it:
shapes, masks and padding, sampled edges that exist in the edge list (of the
right table), the time filter, distinct edges without replacement, topk order,
full neighbor lists, negatives that are no neighbors. Every comparison is
counted by kind in a `Checks`, so the fuzz can show (and assert) how much it
checked.

Nothing here imports TensorFlow: results arrive as numpy arrays.
"""
import collections

import numpy as np

_MASK64 = (1 << 64) - 1


class CheckFailure(Exception):
  """An op's output contradicts the oracle."""


class Checks:
  """Counts the checks of one fuzz call by kind; the first failures are kept.

  `check(kind, ok, message)` counts one item of `kind`; at the end of a call,
  `end_call()` adds 1 to the per-call count of every kind it evaluated.
  """

  def __init__(self):
    self.calls = collections.Counter()   # kind -> calls that evaluated it
    self.items = collections.Counter()   # kind -> items evaluated
    self.known = collections.Counter()   # known library defect -> times seen
    self.failures = []                   # messages of this call
    self._this_call = set()

  def check(self, kind: str, ok, message=""):
    self.items[kind] += 1
    self._this_call.add(kind)
    if not ok and len(self.failures) < 5:
      self.failures.append(f"{kind}: {message() if callable(message) else message}")
    return bool(ok)

  def known_defect(self, name: str):
    self.known[name] += 1

  def end_call(self):
    """Closes a call: returns its failures and counts its kinds."""
    for kind in self._this_call:
      self.calls[kind] += 1
    failures, self.failures, self._this_call = self.failures, [], set()
    return failures


def _i64(values):
  return np.asarray(values, np.int64).reshape(-1)


class CsrOracle:
  """The CSR table `tfgle_csr_init` must build from an edge list, in numpy.

  Row v lists the edges with src == v in input order, then (symmetric) the
  reverses of the edges with dst == v (self-loops excluded) in input order;
  order="weight" / "timestamp" then stable-sorts each row by descending
  weight / timestamp (ties keep that order).

  Args:
    src, dst, num_src, num_dst, edge_ids, weights, timestamps, symmetric,
      order: as `tfgle.ops.CsrTable`.
    weighted, timed: the edge type has weights / timestamps although it has
      no edges (the raw op's attrs); implied by non-empty columns.
    name: names the table in failure messages.
  """

  def __init__(self, src, dst, num_src, num_dst, *, edge_ids=None, weights=None,
               timestamps=None, symmetric=False, order="input", weighted=False, timed=False,
               name="csr"):
    src, dst = _i64(src), _i64(dst)
    n = len(src)
    self.name = name
    self.num_src, self.num_dst = int(num_src), int(num_dst)
    has_w = weights is not None and len(weights) > 0
    has_t = timestamps is not None and len(timestamps) > 0
    has_e = edge_ids is not None and len(edge_ids) > 0
    self.weighted = has_w or bool(weighted) or (weights is not None and n == 0)
    self.timed = has_t or bool(timed) or (timestamps is not None and n == 0)
    w_in = np.asarray(weights, np.float32).reshape(-1) if has_w else None
    t_in = _i64(timestamps) if has_t else None
    e_in = _i64(edge_ids) if has_e else np.arange(n, dtype=np.int64)
    rows = [[] for _ in range(self.num_src)]
    for i in range(n):
      rows[src[i]].append(i)
    if symmetric:
      for i in range(n):
        if src[i] != dst[i]:
          rows[dst[i]].append(n + i)
    if order == "weight":
      rows = [sorted(r, key=lambda k: -float(w_in[k % n] if k < n else w_in[k - n]))
              for r in rows]
    elif order == "timestamp":
      rows = [sorted(r, key=lambda k: -int(t_in[k if k < n else k - n])) for r in rows]
    keys = np.array([k for r in rows for k in r], np.int64)
    base = np.where(keys < n, keys, keys - n)
    forward = keys < n
    self.indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
    self.indices = np.where(forward, dst[base], src[base]).astype(np.int64)
    self.edge_ids = e_in[base] if len(base) else np.zeros(0, np.int64)
    self.weights = (w_in[base] if has_w else np.zeros(0, np.float32)).astype(np.float32)
    if order == "weight":
      self.weights = self.weights + np.float32(0.0)  # the sort stores -0.0 as 0.0
    self.timestamps = t_in[base] if has_t else np.zeros(0, np.int64)
    self.in_degree = np.bincount(self.indices, minlength=self.num_dst).astype(np.int64)
    self.row_of = np.repeat(np.arange(self.num_src, dtype=np.int64), np.diff(self.indptr))
    # Edge id -> CSR position within each row (None where a row repeats an id).
    self._position = []
    for v in range(self.num_src):
      b, e = self.indptr[v], self.indptr[v + 1]
      ids = self.edge_ids[b:e].tolist()
      self._position.append(dict(zip(ids, range(b, e))) if len(set(ids)) == len(ids) else None)

  @property
  def num_edges(self) -> int:
    return len(self.indices)

  def degree(self, v) -> int:
    return int(self.indptr[v + 1] - self.indptr[v])

  def row(self, v):
    return list(range(self.indptr[v], self.indptr[v + 1]))

  def eligible(self, v, before=None):
    """CSR positions of row v (timestamp < before, when given), in row order."""
    row = self.row(v)
    if before is None:
      return row
    return [p for p in row if self.timestamps[p] < before]

  def eligible_time_order(self, v, before):
    """The same positions in the ops' time order: timestamp descending, ties in row order."""
    return sorted(self.eligible(v, before), key=lambda p: -int(self.timestamps[p]))

  def position(self, v, edge_id):
    """The CSR position of edge `edge_id` in row v, or None if the row has no such edge."""
    return self._position[v].get(int(edge_id))

  def unique_edge_ids(self, v) -> bool:
    return self._position[v] is not None

  def neighbor_count(self, v, dst) -> int:
    return int(np.count_nonzero(self.indices[self.indptr[v]:self.indptr[v + 1]] == dst))

  def is_neighbor(self, v, dst) -> bool:
    return self.neighbor_count(v, dst) > 0

  def fingerprint(self) -> int:
    """The op's 64-bit topology hash (CsrGraph::Fingerprint), as a signed int64."""
    h = 0x243F6A8885A308D3

    def add(word):
      nonlocal h
      h = ((h ^ (int(word) & _MASK64)) * 0x9E3779B97F4A7C15) & _MASK64
      h ^= h >> 29

    add(self.num_src)
    add(self.num_dst)
    weight_bits = self.weights.view(np.uint32).astype(np.int64)
    for column in (self.indptr, self.indices, self.edge_ids, weight_bits, self.timestamps):
      add(len(column))
      for word in column.tolist():
        add(word)
    add((1 if self.weighted else 0) | (2 if self.timed else 0))
    return h - (1 << 64) if h >= 1 << 63 else h


def reverse_oracle(forward: CsrOracle, order: str, name: str) -> CsrOracle:
  """The in-edge table that `Graph.csr(reverse=True)` builds from a forward table."""
  return CsrOracle(forward.indices, forward.row_of, forward.num_dst, forward.num_src,
                   edge_ids=forward.edge_ids,
                   weights=forward.weights if forward.weighted else None,
                   timestamps=forward.timestamps if forward.timed else None, order=order,
                   name=name)


class DistributionOracle:
  """A NodeDistribution's nodes: which can be drawn, overall and per category."""

  def __init__(self, num_nodes, weights=None, categories=None):
    self.num_nodes = int(num_nodes)
    self.weights = None if weights is None else np.asarray(weights, np.float32).reshape(-1)
    self.categories = None if categories is None else _i64(categories)

  def drawable(self, category=None) -> np.ndarray:
    """Bool [num_nodes]: the nodes a draw can return (of `category`, if given)."""
    ok = np.ones(self.num_nodes, bool)
    if self.weights is not None:
      ok &= self.weights > 0
    if category is not None:
      ok &= self.categories == category
    return ok


def in_degree_distribution(table: CsrOracle) -> DistributionOracle:
  """What strategy "in_degree" draws negatives from: nodes of in-degree > 0."""
  return DistributionOracle(table.num_dst, weights=(table.in_degree > 0).astype(np.float32))


# ------------------------------------------------------------ sampled neighbors

def _expected_count(table, eligible, strategy, fanout):
  d = len(eligible)
  if strategy in ("random_without_replacement", "topk"):
    return min(d, fanout)
  if strategy == "edge_weight":
    return fanout if any(table.weights[p] > 0 for p in eligible) else 0
  return fanout if d else 0   # random, in_degree


def check_sampled_rows(checks, table, sources, ids, edge_ids, mask, *, fanout, strategy,
                       padding, default_id, before=None, row_valid=None, what=""):
  """Checks [rows, fanout] fixed-fanout samples of `sources` from `table` against the oracle.

  Args:
    checks: the Checks to count in.
    table: the CsrOracle sampled.
    sources: int [rows] the source node of each row.
    ids, edge_ids, mask: the op's outputs as numpy arrays (edge_ids None when
      not returned).
    fanout, strategy, padding, default_id: the call's options.
    before: int [rows] the time bound of each row, or None.
    row_valid: bool [rows], False for rows that must be all padding (children
      of default padding in multi-hop samples), or None.
    what: names the call's hop in failure messages.

  Returns:
    bool [rows, fanout]: the entries the next hop samples (real samples and
    circular repeats).
  """
  rows = len(sources)
  filled = np.zeros((rows, fanout), bool)
  for r in range(rows):
    where = lambda: (f"{what} row {r} (node {sources[r]}): ids {ids[r].tolist()} edge_ids "
                     f"{None if edge_ids is None else edge_ids[r].tolist()} mask "
                     f"{mask[r].astype(int).tolist()}")
    if row_valid is not None and not row_valid[r]:
      checks.check("padding_children",
                   (ids[r] == default_id).all() and not mask[r].any() and
                   (edge_ids is None or (edge_ids[r] == -1).all()),
                   lambda: f"a child of default padding is not all padding: {where()}")
      continue
    v = int(sources[r])
    t = None if before is None else int(before[r])
    eligible = table.eligible(v, t)
    count = _expected_count(table, eligible, strategy, fanout)
    checks.check("row_count", int(mask[r].sum()) == count,
                 lambda: f"expected {count} samples ({len(eligible)} eligible edges, {strategy}): "
                         f"{where()}")
    checks.check("mask_padding", mask[r, :count].all() and not mask[r, count:].any(),
                 lambda: f"mask is not True exactly on the first {count} entries: {where()}")
    if count == 0 or padding == "default":
      checks.check("padding_values",
                   (ids[r, count:] == default_id).all() and
                   (edge_ids is None or (edge_ids[r, count:] == -1).all()),
                   lambda: f"padding after {count} samples is not default_id {default_id} / "
                           f"edge id -1: {where()}")
    else:
      repeats = [j - count for j in range(count, fanout)]
      checks.check("padding_values",
                   all(ids[r, j] == ids[r, j % count] for j in range(count, fanout)) and
                   (edge_ids is None or
                    all(edge_ids[r, j] == edge_ids[r, j % count] for j in range(count, fanout))),
                   lambda: f"circular padding does not repeat the {count} samples "
                           f"({repeats}): {where()}")
      filled[r, count:] = True
    filled[r, :count] = True
    positions = []
    eligible_set = set(eligible)
    for j in range(min(count, int(mask[r].sum()))):
      if edge_ids is None or not table.unique_edge_ids(v):
        # Without edge ids: a neighbor that some eligible edge of the row reaches.
        reach = {int(table.indices[p]) for p in eligible}
        checks.check("real_edge", int(ids[r, j]) in reach,
                     lambda: f"entry {j} is no eligible neighbor of {v} in {table.name}: "
                             f"{where()}")
        continue
      p = table.position(v, edge_ids[r, j])
      ok = checks.check("real_edge", p is not None and table.indices[p] == ids[r, j],
                        lambda: f"entry {j} (dst {ids[r, j]}, edge id {edge_ids[r, j]}) is no "
                                f"edge of node {v} in {table.name}: {where()}")
      if not ok:
        continue
      positions.append(p)
      if t is not None:
        checks.check("time_filter", table.timestamps[p] < t,
                     lambda: f"entry {j} has timestamp {table.timestamps[p]}, not before {t}: "
                             f"{where()}")
      if strategy == "edge_weight":
        checks.check("weight_positive", table.weights[p] > 0,
                     lambda: f"entry {j} has weight {table.weights[p]}: {where()}")
    if edge_ids is None or not table.unique_edge_ids(v):
      if strategy in ("random_without_replacement", "topk"):
        got = collections.Counter(ids[r, :count].tolist())
        have = collections.Counter(int(table.indices[p]) for p in eligible)
        checks.check("distinct", all(have[d] >= c for d, c in got.items()),
                     lambda: f"more samples of a neighbor than eligible edges to it: {where()}")
      if strategy == "topk":
        first = [int(table.indices[p]) for p in eligible[:fanout]]
        checks.check("topk_order", ids[r, :count].tolist() == first,
                     lambda: f"topk is not the first {fanout} eligible neighbors {first}: "
                             f"{where()}")
      continue
    if len(positions) < count:
      continue
    if strategy == "random_without_replacement":
      checks.check("distinct", len(set(positions)) == len(positions),
                   lambda: f"without replacement repeats an edge: {where()}")
      if len(eligible) <= fanout:
        checks.check("all_when_few", set(positions) == eligible_set,
                     lambda: f"a node with {len(eligible)} <= fanout eligible edges must "
                             f"return them all: {where()}")
    if strategy == "topk":
      checks.check("topk_order", positions == eligible[:fanout],
                   lambda: f"topk is not the first {fanout} eligible edges in row order "
                           f"{table.edge_ids[eligible[:fanout]].tolist()}: {where()}")
  return filled


def check_shapes(checks, arrays, shapes, what=""):
  """Each array of `arrays` has the matching shape of `shapes` (None: skip)."""
  for i, (array, shape) in enumerate(zip(arrays, shapes)):
    if shape is None:
      continue
    checks.check("shape", tuple(array.shape) == tuple(shape),
                 lambda: f"{what} output {i} has shape {tuple(array.shape)}, expected "
                         f"{tuple(shape)}")


def check_fanouts(checks, tables, seeds, hops, *, fanouts, strategies, padding, default_id,
                  before=None, with_edge_ids=True):
  """Checks multi-hop samples: hop i's row r samples hop i-1's flattened entry r.

  Args:
    tables: one CsrOracle per hop.
    seeds: int [B].
    hops: one (ids, edge_ids or None, mask) numpy triple per hop.
    before: int [B] or None; every hop of seed b uses before[b].
  """
  sources = np.asarray(seeds, np.int64)
  row_valid = None
  rows = len(sources)
  for i, (table, (ids, eids, mask)) in enumerate(zip(tables, hops)):
    k = fanouts[i]
    check_shapes(checks, [ids, mask] + ([eids] if with_edge_ids else []),
                 [(rows, k)] * (3 if with_edge_ids else 2), f"hop {i}")
    if ids.shape != (rows, k):
      return
    per_seed = rows // max(len(seeds), 1) if len(seeds) else 1
    hop_before = None if before is None else np.repeat(np.asarray(before, np.int64), per_seed)
    filled = check_sampled_rows(
        checks, table, sources, ids, eids if with_edge_ids else None, mask, fanout=k,
        strategy=strategies[i], padding=padding, default_id=default_id, before=hop_before,
        row_valid=row_valid, what=f"hop {i}")
    sources = ids.reshape(-1)
    row_valid = filled.reshape(-1)
    rows = rows * k


def check_full_neighbors(checks, table, sources, ids_rows, eid_rows, *, max_neighbors=None,
                         before=None):
  """Checks ragged full-neighbor lists (lists of lists) against the oracle.

  Uncapped rows are the whole eligible list; capped rows a distinct subset of
  min(eligible, max_neighbors) edges, in the same order.
  """
  checks.check("shape", len(ids_rows) == len(sources) and len(eid_rows) == len(sources),
               lambda: f"{len(ids_rows)} rows for {len(sources)} ids")
  for r, v in enumerate(np.asarray(sources).tolist()):
    t = None if before is None else int(before[r])
    eligible = table.eligible(v, t)
    got_ids, got_eids = list(ids_rows[r]), list(eid_rows[r])
    where = lambda: (f"row {r} (node {v}, before {t}, max_neighbors {max_neighbors}) of "
                     f"{table.name}: ids {got_ids} edge ids {got_eids}")
    expected = len(eligible) if max_neighbors is None else min(len(eligible), max_neighbors)
    checks.check("row_count", len(got_ids) == expected == len(got_eids),
                 lambda: f"expected {expected} of {len(eligible)} eligible edges: {where()}")
    if len(got_ids) != expected or len(got_eids) != expected:
      continue
    if table.unique_edge_ids(v):
      positions = [table.position(v, e) for e in got_eids]
      if not checks.check("real_edge", all(p is not None and table.indices[p] == d
                                           for p, d in zip(positions, got_ids)), where):
        continue
      checks.check("distinct", len(set(positions)) == len(positions), where)
      if t is not None:
        checks.check("time_filter", all(table.timestamps[p] < t for p in positions), where)
      if max_neighbors is None or len(eligible) <= max_neighbors:
        checks.check("full_list", set(positions) == set(eligible),
                     lambda: f"not the whole neighbor list {table.edge_ids[eligible].tolist()}: "
                             f"{where()}")
      # Rows keep the table's neighbor order; with before= the eligible neighbors come
      # latest first (documented for sample_full_neighbors; the same order on tables
      # that tfgle.Graph builds, whose timed rows are latest first).
      if t is None:
        in_row_order = positions == sorted(positions)
      else:
        time_rank = {p: i for i, p in enumerate(table.eligible_time_order(v, t))}
        in_row_order = ([time_rank[p] for p in positions] ==
                        sorted(time_rank[p] for p in positions))
      checks.check("full_order", in_row_order,
                   lambda: f"rows must keep the table's order "
                           f"{table.edge_ids[eligible].tolist()}: {where()}")
    else:
      have = collections.Counter(int(table.indices[p]) for p in eligible)
      got = collections.Counter(got_ids)
      checks.check("real_edge", all(have[d] >= c for d, c in got.items()), where)


# ------------------------------------------------------------ negatives

def check_negatives(checks, table, sources, negatives, mask, *, num, distribution=None,
                    target_categories=None):
  """Checks [B, num] negatives of `sources` against the oracle.

  Where mask is True the entry is a drawable node that is no neighbor of its
  source; where False the entry is -1 (nothing drawable) or a true neighbor
  (every trial hit one); -1 appears exactly where nothing can be drawn.

  Args:
    distribution: the DistributionOracle drawn from (None: uniform over the
      destination nodes).
    target_categories: int [B] for "conditional", else None.
  """
  check_shapes(checks, [negatives, mask], [(len(sources), num)] * 2, "negatives")
  if negatives.shape != (len(sources), num):
    return
  for r, v in enumerate(np.asarray(sources).tolist()):
    if distribution is None:
      drawable = np.ones(table.num_dst, bool)
    else:
      drawable = distribution.drawable(
          None if target_categories is None else int(target_categories[r]))
    row = negatives[r]
    where = lambda: (f"row {r} (node {v}) of {table.name}: negatives {row.tolist()} mask "
                     f"{mask[r].astype(int).tolist()}")
    nothing = not drawable.any()
    checks.check("negative_none_drawable", (row == -1).all() == nothing and
                 ((row == -1) == nothing).all(),
                 lambda: f"-1 must appear exactly when no node can be drawn "
                         f"({int(drawable.sum())} can): {where()}")
    nbrs = set(table.indices[table.indptr[v]:table.indptr[v + 1]].tolist())
    for j in range(num):
      c = int(row[j])
      if c == -1:
        continue
      in_range = checks.check("negative_in_range", 0 <= c < table.num_dst,
                              lambda: f"entry {j} is not in [0, {table.num_dst}): {where()}")
      if not in_range:
        continue
      checks.check("negative_support", drawable[c],
                   lambda: f"entry {j} = {c} cannot be drawn (zero weight or another "
                           f"category): {where()}")
      if mask[r, j]:
        checks.check("negative_not_neighbor", c not in nbrs,
                     lambda: f"entry {j} = {c} is a neighbor of {v} but mask is True: {where()}")
      else:
        checks.check("negative_give_up", c in nbrs,
                     lambda: f"entry {j} = {c} is not a neighbor of {v} but mask is False: "
                             f"{where()}")
    if drawable.any() and all(drawable[d] <= (d in nbrs) for d in range(table.num_dst)):
      checks.check("negative_give_up_all", not mask[r].any(),
                   lambda: f"every drawable node is a neighbor of {v}, yet mask is True: "
                           f"{where()}")
