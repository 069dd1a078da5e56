"""GSL: GLE's Gremlin-like Graph Sampling Language, built on a `tfgle.Graph`.

A query is a small DAG of steps. Sources pick seeds (`g.V`, `g.E`); traversal
steps sample vertices or edges from the current step (`outV`, `inV`, `outE`,
`inE` with `.sample(k).by(strategy)`); negative steps draw non-neighbors
(`outNeg`, `inNeg`, `Neg`); `random_walk(edge_type, length, p=, q=)` walks from
each vertex (DeepWalk, node2vec). `values()` lowers the whole DAG into a `tf.data`
pipeline of TensorFlow ops (see tfgle.gsl.lowering) whose elements are
`{alias: {"ids": ..., "mask": ..., <features>...}}` for every aliased step.

Time: on edge types with timestamps, `before(t)` bounds a sampling step to the
edges with timestamp < t, where t is an int (one cut-off for every seed) or the
alias of an ancestor step whose elements have times, each bounding the samples
below it: an `E()` source (each seed edge's timestamp), an endpoint of edges
(its edge's), a `V()` source given times with `at(times)`, or a sampling step
(its sampled edge's). Rows of timed edge types are ordered latest first, so
`.sample(k).by("topk").before(t)` takes the latest k edges before t. A step
with before() also yields "timestamp" (the sampled edge's) and "time_delta"
(its bound minus that), as TGAT's time encodings take them.

Example:
  ds = (g.V("user").batch(512).shuffle(traverse=True).alias("seed")
         .outV("buys").sample(10).by("random").alias("hop1")
         .outV("bought_by").sample(5).by("random").alias("hop2")
         .values())

Example (temporal link prediction: no edge at or after a seed edge's time is sampled):
  e = g.E("rates").batch(256).shuffle().alias("edge")
  user = e.outV().alias("user")
  user.outV("rates").sample(10).by("topk").before("edge").alias("hop1")

Construction errors are ValueErrors that name the offending step.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Optional, Sequence, Union

import numpy as np

from tfgle.ops.conditional_negatives import negative_condition

NEIGHBOR_STRATEGIES = ("random", "random_without_replacement", "edge_weight", "topk",
                       "in_degree", "full")
NEGATIVE_STRATEGIES = ("random", "in_degree", "node_weight", "conditional")
VERTEX, EDGE = "vertex", "edge"


@dataclasses.dataclass(eq=False)
class Step:
  """One node of a query DAG."""
  index: int
  op: str                               # V, E, outV, inV, outE, inE, outNeg, inNeg, Neg
  parent: Optional["Step"]
  kind: str                             # VERTEX or EDGE: what the step yields
  node_type: Optional[str] = None       # vertex steps: the node type yielded
  edge_type: Optional[tuple] = None     # EdgeType the step follows or yields
  reverse: bool = False                 # follows edges dst -> src
  count: Optional[int] = None           # .sample(count)
  strategy: Optional[str] = None        # .by(strategy)
  alias: Optional[str] = None
  where: Optional[tuple] = None         # (target alias, attribute name or NegativeCondition)
  filter: Optional[str] = None          # target alias whose ids are masked out
  before: Union[None, int, str] = None  # time bound: an int, or the alias of a step with times
  # Sources only.
  batch_size: Optional[int] = None
  drop_remainder: bool = False
  order: str = "ordered"
  mask: object = None                   # V: split name or ids restricting the seeds
  times: object = None                  # V: int64 numpy [N], the time of each seed (at())
  # random_walk only: the edge types the walk cycles through, its steps, node2vec's p and q.
  walk_edge_types: Optional[tuple] = None
  walk_length: Optional[int] = None
  p: float = 1.0
  q: float = 1.0

  @property
  def negative(self) -> bool:
    return self.op in ("outNeg", "inNeg", "Neg")

  @property
  def endpoint(self) -> bool:
    """An outV()/inV() of edges: the edges' ends, nothing sampled."""
    return self.parent is not None and self.parent.kind == EDGE and self.op in ("outV", "inV")

  @property
  def samples_neighbors(self) -> bool:
    """An outV/inV/outE/inE from vertices: samples along edges."""
    return (self.parent is not None and self.parent.kind == VERTEX
            and self.op in ("outV", "inV", "outE", "inE"))

  def describe(self) -> str:
    arg = self.node_type if self.op in ("V", "Neg") else (
        self.edge_type.name if self.edge_type is not None else "")
    return f"step {self.index} {self.op}({arg!r})" if arg else f"step {self.index} {self.op}()"


class _Dag:
  """The steps of one query, in creation order, and the Sampler they sample."""

  def __init__(self, sampler):
    self.sampler = sampler
    self.steps: list[Step] = []

  @property
  def graph(self):
    """The sampled graph: its schema, ids and features."""
    return self.sampler.graph

  def add(self, **kwargs) -> Step:
    step = Step(index=len(self.steps), **kwargs)
    self.steps.append(step)
    return step

  def aliases(self) -> dict[str, Step]:
    return {s.alias: s for s in self.steps if s.alias is not None}


class Query:
  """A handle on one step of a query; every method returns a handle to continue."""

  def __init__(self, dag: _Dag, step: Step):
    self._dag = dag
    self._step = step

  @property
  def step(self) -> Step:
    return self._step

  # ---------------------------------------------------------------- sources

  @classmethod
  def vertices(cls, sampler, node_type: str, mask=None) -> "Query":
    """A query over vertices of `node_type` of a tfgle.graph.Sampler (see Sampler.V)."""
    graph = sampler.graph
    if node_type not in graph.node_types:
      raise ValueError(f"step 0 V({node_type!r}): unknown node type; the graph has "
                       f"{graph.node_types}")
    if isinstance(mask, str) and mask not in graph.splits(node_type):
      raise ValueError(f"step 0 V({node_type!r}): node type has no split {mask!r}; it has "
                       f"{graph.splits(node_type)}")
    dag = _Dag(sampler)
    return cls(dag, dag.add(op="V", parent=None, kind=VERTEX, node_type=node_type, mask=mask))

  @classmethod
  def edges(cls, sampler, edge_type, reverse: bool = False) -> "Query":
    """A query over the edges of `edge_type` of a tfgle.graph.Sampler (see Sampler.E)."""
    try:
      edge_type = sampler.graph.edge_type(edge_type)
    except ValueError as e:
      raise ValueError(f"step 0 E({edge_type!r}): {e}") from None
    dag = _Dag(sampler)
    return cls(dag, dag.add(op="E", parent=None, kind=EDGE, edge_type=edge_type,
                            reverse=reverse))

  def batch(self, batch_size: int, drop_remainder: bool = False) -> "Query":
    """Seeds per batch (sources only); drop_remainder drops an epoch's short last batch."""
    self._require_source("batch")
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
      raise ValueError(f"{self._step.describe()}: batch size must be a positive int, got "
                       f"{batch_size!r}")
    self._step.batch_size = batch_size
    self._step.drop_remainder = drop_remainder
    return self

  def shuffle(self, traverse: bool = True) -> "Query":
    """traverse=True: each seed once per epoch, shuffled; False: endless random seeds."""
    self._require_source("shuffle")
    self._step.order = "shuffle" if traverse else "random"
    return self

  def at(self, times) -> "Query":
    """Gives every seed of a V() source a time, for before(<this source's alias>).

    Example (PyG's `input_time`, TGL's root times):
      q = (g.V("user", mask=user_ids).at(query_times).batch(64).alias("seed")
           .outV("rates").sample(10).by("topk").before("seed").alias("hop1"))

    Args:
      times: ints, one per seed in the order of the seeds: the ids of `mask`
        as given, or the nodes in dense-index order (no mask, or a split).

    Raises:
      ValueError: not on a V() source, times that are not ints, not a vector,
        or not one per seed.
    """
    step = self._step
    if step.op != "V":
      raise ValueError(f"{step.describe()}: at() applies to V() sources (an E() source's times "
                       "are its edges' timestamps)")
    values = np.asarray(times.numpy() if hasattr(times, "numpy") else times)
    if values.dtype.kind not in "iu" or values.ndim != 1:
      raise ValueError(f"{step.describe()}: at(times) takes a vector of ints (one time per "
                       f"seed), got {_summary(times)}")
    graph, mask = self._dag.graph, step.mask
    if mask is None:
      num_seeds = graph.num_nodes(step.node_type)
    elif isinstance(mask, str):
      num_seeds = int(graph.split_indices(step.node_type, mask).shape[0])
    else:
      num_seeds = int(np.size(mask.numpy() if hasattr(mask, "numpy") else mask))
    if len(values) != num_seeds:
      raise ValueError(f"{step.describe()}: at(times) needs one time per seed ({num_seeds}), "
                       f"got {len(values)}")
    step.times = values.astype(np.int64)
    return self

  def alias(self, name: str) -> "Query":
    """Names this step; aliased steps appear in `values()`."""
    if not isinstance(name, str) or not name:
      raise ValueError(f"{self._step.describe()}: alias must be a non-empty string, got "
                       f"{name!r}")
    if name in self._dag.aliases():
      raise ValueError(f"{self._step.describe()}: duplicate alias {name!r} (already used by "
                       f"{self._dag.aliases()[name].describe()})")
    self._step.alias = name
    return self

  # ---------------------------------------------------------------- traversal

  def outV(self, edge_type=None) -> "Query":  # pylint: disable=invalid-name
    """From vertices: sampled out-neighbors along `edge_type`. From edges: the source vertex."""
    return self._traverse("outV", edge_type, reverse=False, yields=VERTEX)

  def inV(self, edge_type=None) -> "Query":  # pylint: disable=invalid-name
    """From vertices: sampled in-neighbors along `edge_type`. From edges: the destination."""
    return self._traverse("inV", edge_type, reverse=True, yields=VERTEX)

  def outE(self, edge_type) -> "Query":  # pylint: disable=invalid-name
    """Sampled out-edges of the current vertices."""
    return self._traverse("outE", edge_type, reverse=False, yields=EDGE)

  def inE(self, edge_type) -> "Query":  # pylint: disable=invalid-name
    """Sampled in-edges of the current vertices."""
    return self._traverse("inE", edge_type, reverse=True, yields=EDGE)

  def _traverse(self, op, edge_type, *, reverse, yields) -> "Query":
    current = self._step
    describe = f"step {len(self._dag.steps)} {op}({edge_type!r})"
    if current.kind == EDGE:
      if yields != VERTEX or edge_type is not None:
        raise ValueError(f"{describe}: from edges only outV() (source) and inV() (destination) "
                         f"apply, without an edge type")
      et = current.edge_type
      # An edge's outV is its source; traversing a reversed edge swaps the ends.
      take_src = (op == "outV") != current.reverse
      node_type = et.src if take_src else et.dst
      return self._then(op=op, kind=VERTEX, node_type=node_type, edge_type=et,
                        reverse=not take_src)
    if edge_type is None:
      raise ValueError(f"{describe}: from vertices {op} needs an edge type")
    et, end = self._follow(describe, op, edge_type, reverse, current)
    return self._then(op=op, kind=yields, node_type=end, edge_type=et, reverse=reverse)

  def _follow(self, describe, op, edge_type, reverse, current):
    """(EdgeType, node type reached) of following `edge_type` from `current`'s vertices."""
    try:
      et = self._dag.graph.edge_type(edge_type)
    except ValueError as e:
      raise ValueError(f"{describe}: {e}") from None
    start, end = (et.dst, et.src) if reverse else (et.src, et.dst)
    if start != current.node_type:
      raise ValueError(
          f"{describe}: edge type {et.name!r} goes {et.src!r} -> {et.dst!r}, so {op} needs "
          f"{start!r} vertices, but {current.describe()} yields {current.node_type!r} vertices")
    return et, end

  def random_walk(self, edge_type, length: int, *, p: float = 1.0, q: float = 1.0) -> "Query":
    """Random walks of `length` steps from each current vertex.

    The step yields vertices with one more axis, [..., length + 1]: position
    0 is the start, position s the vertex after step s (see
    tfgle.ops.sample_random_walks). A walk that reaches a vertex without
    out-neighbors ends; the rest is padding (mask False). p = q = 1 walks
    uniformly (DeepWalk); other values apply node2vec's second-order bias.

    Example:
      ds = (g.V("paper").batch(256).shuffle().alias("start")
             .random_walk("cites", 80, p=0.25, q=4.0).alias("walk").values())
      # element["walk"]["ids"]: int64 [256, 81]

    Args:
      edge_type: an edge type whose ends have the current vertices' type, or a
        list of such edge types that the walk cycles through (uniform walks).
      length: steps per walk (> 0).
      p, q: node2vec's return and in-out parameters (finite, > 0).

    Raises:
      ValueError: naming the step: not from vertices, an unknown edge type,
        edge types that leave the current node type, bad length, p or q.
    """
    current = self._step
    describe = f"step {len(self._dag.steps)} random_walk({edge_type!r})"
    if current.kind != VERTEX:
      raise ValueError(f"{describe}: random_walk follows a vertex step, not {current.describe()}")
    try:
      types = self._dag.sampler.walk_path(edge_type, length, p, q)
    except ValueError as e:
      raise ValueError(f"{describe}: {e}") from None
    for et in types:
      if et.src != current.node_type or et.dst != current.node_type:
        raise ValueError(
            f"{describe}: a walk step yields vertices of one node type, the type of "
            f"{current.describe()} ({current.node_type!r}), but edge type {et.name!r} goes "
            f"{et.src!r} -> {et.dst!r}")
    return self._then(op="random_walk", kind=VERTEX, node_type=current.node_type,
                      edge_type=types[0], walk_edge_types=tuple(types), walk_length=int(length),
                      p=float(p), q=float(q))

  def sample(self, count: Optional[int] = None) -> "Query":
    """Samples `count` per current element.

    With by("full"), `count` caps the neighbors taken (a uniform subset of
    larger neighborhoods, in the table's order), and None takes them all;
    the step's trailing axis is then as long as the batch's longest list.
    """
    self._require_sampling("sample")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool)
                              or count <= 0):
      raise ValueError(f"{self._step.describe()}: sample count must be a positive int, got "
                       f"{count!r}")
    self._step.count = count
    self._step.strategy = self._step.strategy or ""  # marks sample() as called
    return self

  def by(self, strategy: str) -> "Query":
    """The sampling strategy of the preceding sample()."""
    self._require_sampling("by")
    if self._step.strategy is None:
      raise ValueError(f"{self._step.describe()}: by() must follow sample()")
    allowed = NEGATIVE_STRATEGIES if self._step.negative else NEIGHBOR_STRATEGIES
    if strategy not in allowed:
      kind = "negative" if self._step.negative else "neighbor"
      hint = ""
      if not self._step.negative and strategy in NEGATIVE_STRATEGIES:
        hint = " (negative strategies apply after outNeg/inNeg/Neg)"
      raise ValueError(f"{self._step.describe()}: unknown {kind} strategy {strategy!r}{hint}; "
                       f"allowed: {allowed}")
    if self._step.count is None and strategy != "full":
      raise ValueError(f"{self._step.describe()}: sample() without a count needs by('full')")
    self._step.strategy = strategy
    return self

  def before(self, bound: Union[int, str]) -> "Query":
    """Samples only edges with timestamp < bound (a time filter on a sampling step).

    `bound` is an int, one cut-off for every seed, or the alias of an ancestor
    step whose elements have times: each element's time then bounds the
    samples below it (broadcast over the axes added since). Steps with times:
    an E() source of a timed edge type (each edge's timestamp), an endpoint
    outV()/inV() of such edges (its edge's timestamp), a V() source given
    times by at(), and a sampling step of a timed edge type (the timestamp of
    each sampled edge: before(<it>) on a later hop gives TGAT's recursive
    bound). Timed rows are ordered latest first, so by("topk") takes the
    latest edges before the bound; by("full") all of them. The step also
    yields "timestamp" (int64, the sampled edge's; 0 where padded) and
    "time_delta" (int64, the bound minus it, > 0; 0 where padded).

    Example:
      e = g.E("rates").batch(256).alias("edge")
      (e.outV().alias("user").outV("rates").sample(10).by("topk").before("edge")
        .alias("items").outV("rates_reverse").sample(5).by("random").before("edge"))
      g.V("user").batch(64).outV("rates").sample(10).by("topk").before(880000000)

    Raises:
      ValueError: naming the step: not a neighbor sampling step
        (outV/inV/outE/inE from vertices), an edge type without timestamps,
        a bound that is neither an int nor an alias, an alias that is no
        ancestor of the step or whose step has no times.
    """
    step = self._step
    if not step.samples_neighbors:
      raise ValueError(f"{step.describe()}: before() applies to neighbor sampling steps "
                       "(outV/inV/outE/inE from vertices), not to sources, endpoints of edges, "
                       "negatives or random walks")
    if not self._timed(step.edge_type):
      raise ValueError(f"{step.describe()}: before() needs edge timestamps, and edge type "
                       f"{step.edge_type.name!r} has none (Decoder timestamp=)")
    if isinstance(bound, str):
      target = self._target(bound, "before")
      ancestor = step.parent
      while ancestor is not None and ancestor is not target:
        ancestor = ancestor.parent
      if ancestor is None:
        raise ValueError(f"{step.describe()}: before({bound!r}): {target.describe()} is not an "
                         "ancestor of this step; a bound comes from the step's own source or "
                         "the steps between")
      if not self._has_times(target):
        raise ValueError(
            f"{step.describe()}: before({bound!r}): {target.describe()} has no times; steps "
            "with times: an E() source or sampling step of a timed edge type, an endpoint "
            "of such edges, or a V() source given times by at()")
    elif isinstance(bound, (int, np.integer)) and not isinstance(bound, bool):
      bound = int(bound)
    else:
      raise ValueError(f"{step.describe()}: before() takes an int time or the alias of a step "
                       f"with times, got {bound!r}")
    step.before = bound
    return self

  def _timed(self, edge_type) -> bool:
    return self._dag.graph.csr(edge_type.name).timed

  def _has_times(self, step: Step) -> bool:
    if step.op == "V":
      return step.times is not None
    if step.endpoint:
      return self._has_times(step.parent)
    if step.op == "E" or step.samples_neighbors:
      return self._timed(step.edge_type)
    return False

  # ---------------------------------------------------------------- negatives

  def outNeg(self, edge_type) -> "Query":  # pylint: disable=invalid-name
    """Negative destinations of `edge_type` for the current (source-type) vertices."""
    return self._negative("outNeg", edge_type, reverse=False)

  def inNeg(self, edge_type) -> "Query":  # pylint: disable=invalid-name
    """Negative sources of `edge_type` for the current (destination-type) vertices."""
    return self._negative("inNeg", edge_type, reverse=True)

  def Neg(self, node_type: str) -> "Query":  # pylint: disable=invalid-name
    """Random vertices of `node_type` (no neighbor exclusion)."""
    describe = f"step {len(self._dag.steps)} Neg({node_type!r})"
    if self._step.kind != VERTEX:
      raise ValueError(f"{describe}: Neg follows a vertex step, not {self._step.describe()}")
    if node_type not in self._dag.graph.node_types:
      raise ValueError(f"{describe}: unknown node type; the graph has "
                       f"{self._dag.graph.node_types}")
    return self._then(op="Neg", kind=VERTEX, node_type=node_type)

  def _negative(self, op, edge_type, *, reverse) -> "Query":
    describe = f"step {len(self._dag.steps)} {op}({edge_type!r})"
    if self._step.kind != VERTEX:
      raise ValueError(f"{describe}: {op} follows a vertex step, not {self._step.describe()}")
    et, end = self._follow(describe, op, edge_type, reverse, self._step)
    return self._then(op=op, kind=VERTEX, node_type=end, edge_type=et, reverse=reverse)

  def where(self, target: str, condition, *, batch_share: bool = False,
            unique: bool = False) -> "Query":
    """Conditional negatives, matched to the vertex of step `target` (e.g. the positive).

    `where(target, attr)` after by("conditional"): every negative shares the
    categorical attribute `attr` with the target's vertex.

    `where(target, {attr: proportion, ...}, batch_share=, unique=)`: GLE's
    condition. Of the k negatives of each row, floor(k * proportion) share
    each attribute with the target (in that column order), the rest follow
    the base strategy of by(): "random" (also what "conditional" means here),
    "in_degree" or "node_weight", which also weighs the attribute draws.
    batch_share: no negative is the target of any row of the step (the
    parent's rows, flattened); unique: no negative repeats within a row.
    Details: Sampler.sample_conditional_negatives.

    Example:
      e = g.E("buys").batch(64).alias("e")
      dst = e.inV().alias("dst")
      neg = (e.outV().alias("src").outNeg("buys").sample(8).by("random")
              .where("dst", {"genre": 0.5, "year": 0.25}, unique=True).alias("neg"))

    Args:
      target: the alias of a step yielding vertices of the negatives' type,
        with the leading shape of this step's parent.
      condition: a single-valued categorical attribute name, or an ordered
        mapping name -> proportion (or (name, proportion) pairs), each in
        (0, 1], summing to at most 1.
      batch_share, unique: GLE's options (only with a mapping condition).

    Raises:
      ValueError: naming the step: not an outNeg/inNeg step, an unknown
        target alias or one of another node type, an unknown or
        non-categorical attribute, bad proportions or options.
    """
    step = self._step
    if not step.negative:
      raise ValueError(f"{step.describe()}: where() applies to negative steps only")
    if step.op == "Neg":
      raise ValueError(f"{step.describe()}: where() applies to outNeg/inNeg steps (Neg draws "
                       "from the whole node type)")
    target_step = self._target(target, "where")
    if not isinstance(condition, str):
      try:
        condition = negative_condition(condition, batch_share=batch_share, unique=unique)
      except ValueError as e:
        raise ValueError(f"{step.describe()}: where({target!r}): {e}") from None
    elif batch_share or unique:
      raise ValueError(f"{step.describe()}: where({target!r}, {condition!r}): batch_share and "
                       f"unique need a condition mapping, e.g. {{{condition!r}: 1.0}}")
    attrs = self._dag.graph.node_attrs(step.node_type)
    for attr in [condition] if isinstance(condition, str) else condition.attrs:
      if attr not in attrs:
        raise ValueError(f"{step.describe()}: where(): node type {step.node_type!r} has no "
                         f"attribute {attr!r}; it has {sorted(attrs)}")
      try:
        self._dag.sampler.categories(step.node_type, attr)
      except ValueError as e:
        raise ValueError(f"{step.describe()}: where(): {e}") from None
    if target_step.node_type != step.node_type:
      raise ValueError(f"{step.describe()}: where({target!r}): the target yields "
                       f"{target_step.node_type!r} vertices, negatives are "
                       f"{step.node_type!r}")
    step.where = (target, condition)
    return self

  def filter(self, target: str) -> "Query":
    """Masks out samples equal to the vertex of step `target` (same leading shape)."""
    if self._step.kind != VERTEX or self._step.parent is None:
      raise ValueError(f"{self._step.describe()}: filter() applies to sampled vertex steps")
    target_step = self._target(target, "filter")
    if target_step.node_type != self._step.node_type:
      raise ValueError(f"{self._step.describe()}: filter({target!r}): the target yields "
                       f"{target_step.node_type!r} vertices, this step "
                       f"{self._step.node_type!r}")
    self._step.filter = target
    return self

  # ---------------------------------------------------------------- structure

  def each(self, branches: Callable[["Query"], Sequence["Query"]]) -> "Query":
    """Branches: `branches(q)` builds several continuations of the current step."""
    result = branches(Query(self._dag, self._step))
    for branch in (result if isinstance(result, (list, tuple)) else [result]):
      if not isinstance(branch, Query) or branch._dag is not self._dag:  # pylint: disable=protected-access
        raise ValueError(f"{self._step.describe()}: each() must return queries built from "
                         f"its argument, got {branch!r}")
    return self

  def values(self, *, features: Union[bool, dict] = True, labels: bool = False,
             num_parallel_calls: Optional[int] = None, prefetch: Optional[int] = None,
             deterministic: bool = True, seed=0, shard: Optional[tuple] = None,
             position: Optional[tuple] = None, edge_features: Optional[dict] = None):
    """Lowers the query into a tf.data.Dataset.

    Args:
      features: True gathers every node/edge feature for aliased steps; False
        none; a dict alias -> feature names picks them.
      edge_features: a dict alias -> edge feature names: an aliased outV/inV
        sampling step then also yields "edges", {name: the feature of the edge
        that reached each sampled vertex} with the vertices' leading shape,
        zero (empty, "") where padded. None: none.
      labels: also gather node labels ("label") for aliased vertex steps.
      num_parallel_calls: parallel batches being sampled (default AUTOTUNE).
      prefetch: batches to prefetch (default AUTOTUNE).
      deterministic: keep batch order under parallelism.
      seed: base seed of traversal and sampling (an int; with
        shuffle(traverse=False) also an int64 scalar tensor).
      shard: (index, count): this worker's shard of the seeds in multi-worker
        training; every shard of a pass has the same number of batches (see
        tfgle.gsl.traversal.seed_batches).
      position: None: one pass over the seeds per iteration. (epoch, batch): an
        endless stream of passes, each a pure function of (seed, pass), that
        starts at batch `batch` of pass `epoch`: rebuilding the query at the
        position a job reached resumes it exactly (tfgle.gsl.seed_batches).
    """
    self._validate()
    from tfgle.gsl import lowering  # pylint: disable=g-import-not-at-top
    return lowering.lower(self._dag, features=features, labels=labels,
                          num_parallel_calls=num_parallel_calls, prefetch=prefetch,
                          deterministic=deterministic, seed=seed, shard=shard,
                          position=position, edge_features=edge_features)

  # ---------------------------------------------------------------- helpers

  def _then(self, **kwargs) -> "Query":
    return Query(self._dag, self._dag.add(parent=self._step, **kwargs))

  def _require_source(self, method):
    if self._step.parent is not None:
      raise ValueError(f"{self._step.describe()}: {method}() applies to V()/E() sources only")

  def _require_sampling(self, method):
    step = self._step
    if step.op == "random_walk":
      raise ValueError(f"{step.describe()}: {method}() does not apply to random_walk (its "
                       "options are its arguments)")
    if step.parent is None or (step.parent.kind == EDGE and step.op in ("outV", "inV")):
      raise ValueError(f"{step.describe()}: {method}() applies to sampling steps "
                       "(outV/inV/outE/inE from vertices, outNeg/inNeg/Neg)")

  def _target(self, target, method) -> Step:
    aliases = self._dag.aliases()
    if target not in aliases:
      raise ValueError(f"{self._step.describe()}: {method}({target!r}): no step has that alias; "
                       f"aliases so far: {sorted(aliases)}")
    return aliases[target]

  def _validate(self):
    source = self._dag.steps[0]
    if source.batch_size is None:
      raise ValueError(f"{source.describe()}: call batch(n) on the source")
    for step in self._dag.steps[1:]:
      sampling = not (step.parent.kind == EDGE and step.op in ("outV", "inV")
                      or step.op == "random_walk")
      if sampling and not step.strategy:
        what = "sample() without by()" if step.strategy == "" else "no sample(k).by(strategy)"
        raise ValueError(f"{step.describe()}: {what}")
      if (step.where is not None and isinstance(step.where[1], str)
          and step.strategy != "conditional"):
        raise ValueError(f"{step.describe()}: where(target, attr) needs by('conditional'); with "
                         f"by({step.strategy!r}) as the base strategy pass a condition mapping, "
                         f"e.g. where(target, {{{step.where[1]!r}: 1.0}})")
      if step.strategy == "conditional" and step.where is None:
        raise ValueError(f"{step.describe()}: by('conditional') needs where(target, attr)")
      if step.op == "Neg" and step.strategy != "random":
        raise ValueError(f"{step.describe()}: Neg() samples uniformly: by('random'); for "
                         "weighted negatives use outNeg/inNeg")
    if not self._dag.aliases():
      raise ValueError("the query has no aliased step: name the steps to return with alias()")


def _summary(value) -> str:
  """A short description of an argument (arrays by dtype and shape)."""
  array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
  if array.ndim == 0:
    return repr(value)
  return f"an array of dtype {array.dtype} and shape {array.shape}"
