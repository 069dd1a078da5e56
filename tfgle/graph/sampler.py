"""`Sampler`: the one interface through which everything samples a graph.

GSL queries, the EgoGraph/SubGraph datasets and users call a Sampler by edge
type name; a Sampler picks the in-graph tables of those edge types and calls
the table-level ops of `tfgle.ops` (as PyG's loaders call any `BaseSampler`).
Implementations:
  - `LocalSampler`: the tables of one built `tfgle.Graph` (`graph.sampler`).
  - `tfgle.distribute.PartitionedGraph`: topology partitioned over devices.
The per-node data that pipelines gather (feature rows, labels, external ids,
id lookups) is read through the sampler too (`gather_features`,
`gather_labels`, `gather_ids`, `lookup_indices`): from the graph's own tensors
by default, from the partitions' devices on a PartitionedGraph. Metadata
(node types, attribute specs, splits) is the `graph`'s; caches that sampling
needs (node distributions for negatives) live on the sampler object.

Example:
  sampler = g.sampler
  hop1, hop2 = sampler.sample_fanouts(["cites", "cites"], seeds, [10, 5], seed=[7, step])
  negs = sampler.sample_negatives("cites", seeds, 5, strategy="in_degree", seed=7)
  negs = sampler.sample_conditional_negatives("buys", users, 8, condition={"genre": 0.5},
                                              targets=items, unique=True, seed=7)
  walks = sampler.sample_random_walks("cites", seeds, 80, p=0.25, q=4.0, seed=7)
  ds = sampler.V("paper").batch(64).outV("cites").sample(10).by("random").values()
"""
from __future__ import annotations

import abc
from typing import Callable, Optional, Sequence, Union

import numpy as np
import tensorflow as tf

from tfgle.graph.encoding import Feature
from tfgle.gsl.query import Query
from tfgle.ops import conditional_negatives
from tfgle.ops import gather
from tfgle.ops import random_walk
from tfgle.ops import sampling
from tfgle.ops.random_walk import RandomWalks
from tfgle.ops.sampling import (FullNeighbors, NodeDistribution, SampledNegatives,
                                SampledNeighbors)

# The base strategies of conditional negatives (GLE's by() before where(condition)).
CONDITION_BASE_STRATEGIES = ("random", "in_degree", "node_weight")


class Sampler(abc.ABC):
  """Samples one graph's neighbors and negatives by edge type.

  Arguments shared by the methods: `edge_type` is an edge type's name or its
  (src, dst, name) triple; `ids` are int [B] DENSE indices of the source nodes
  (`graph.to_index`); `seed` is a Python int or an int64 tensor [2] (same seed,
  same result); `reverse=True` follows edges backwards (ids are destination
  nodes). Options and results are those of the table-level ops in
  `tfgle.ops.sampling`, which also raise the errors on bad options.
  """

  def __init__(self):
    self._cache = {}

  @property
  @abc.abstractmethod
  def graph(self):
    """The built tfgle.Graph whose ids, features, labels and splits pipelines read."""

  # ------------------------------------------------------------ per-node data

  def gather_features(self, node_type: str, indices, names: Optional[Sequence[str]] = None
                      ) -> dict[str, Feature]:
    """Feature rows of dense `indices` (any shape) of `node_type`: all attributes, or `names`.

    Each entry is tf.gather(feature tensor, indices): shape indices.shape +
    the feature's own (ragged for multi-valued attributes). This default reads
    the graph's tensors; dense numeric ones with `tfgle.ops.gather_rows`, which
    reads rows ahead (sampled rows are scattered over tables larger than the
    caches).

    Raises:
      ValueError: a name that is not an attribute of `node_type` (naming the
        ones it has).
    """
    tensors = self.graph.feature_tensors(node_type)
    return {name: _gather(tensors[name], indices)
            for name in feature_names(tensors, f"node type {node_type!r}", names)}

  def gather_labels(self, node_type: str, indices) -> tf.Tensor:
    """int64 labels of dense `indices` (any shape) of `node_type`.

    Raises:
      ValueError: the node type has no labels.
    """
    return tf.gather(self.graph.labels(node_type), indices)

  def gather_ids(self, node_type: str, indices) -> Union[tf.Tensor, tf.RaggedTensor]:
    """External ids of dense `indices` of `node_type` (any shape, also ragged)."""
    return self.graph.to_id(node_type, indices)

  def lookup_indices(self, node_type: str, ids, allow_missing: bool = False) -> tf.Tensor:
    """Dense indices of external `ids` (any shape) of `node_type`.

    Unknown ids raise tf.errors.InvalidArgumentError ("ids[i] = x is not a
    known id of this node type (n ids)"), or map to -1 with allow_missing.
    """
    return self.graph.id_map(node_type).lookup(ids, allow_missing=allow_missing)

  # ------------------------------------------------------------ sampling

  @abc.abstractmethod
  def sample_neighbors(self, edge_type, ids, fanout: int, *, strategy: str = "random", seed,
                       padding: str = "default", default_id: int = -1, before=None,
                       edge_ids: bool = True, reverse: bool = False) -> SampledNeighbors:
    """`fanout` neighbors per node (tfgle.ops.sample_neighbors), [B, fanout] each."""

  @abc.abstractmethod
  def sample_fanouts(self, meta_path, ids, fanouts: Sequence[int], *, strategy="random", seed,
                     padding: str = "default", default_id: int = -1, before=None,
                     edge_ids: bool = True) -> list[SampledNeighbors]:
    """Multi-hop samples along `meta_path` (one edge type per hop, or one for all).

    Hop i's tensors are [B * fanouts[0] * ... * fanouts[i-1], fanouts[i]], as
    tfgle.ops.sample_fanouts.
    """

  @abc.abstractmethod
  def sample_full_neighbors(self, edge_type, ids, *, max_neighbors: Optional[int] = None,
                            seed=None, before=None, reverse: bool = False) -> FullNeighbors:
    """All (or at most max_neighbors) neighbors per node, ragged [B, None]."""

  @abc.abstractmethod
  def sample_negatives(self, edge_type, ids, num: int, *, strategy: str = "random", seed,
                       exponent: float = 0.75, max_trials: int = 16,
                       distribution: Optional[NodeDistribution] = None,
                       attr: Optional[str] = None, targets=None, target_categories=None,
                       reverse: bool = False) -> SampledNegatives:
    """`num` non-neighbors per node (tfgle.ops.sample_negatives), [B, num].

    Besides the op's arguments: "node_weight" without `distribution` draws by
    the destination node table's weight column; "conditional" without
    `distribution` matches the destination attribute `attr`, and `targets`
    (dense destination indices, e.g. the positive edges' destinations) may
    stand for `target_categories`. Several attributes, `batch_share` and
    `unique`: `sample_conditional_negatives`.
    """

  def sample_conditional_negatives(self, edge_type, ids, num: int, *, condition, targets, seed,
                                   strategy: str = "random", batch_share: bool = False,
                                   unique: bool = False, target_mask=None,
                                   exponent: float = 0.75, max_trials: int = 16,
                                   reverse: bool = False) -> SampledNegatives:
    """GLE's conditional negatives: shares of `num` that match the targets on several attributes.

    Row i's first floor(num * p_1) negatives share categorical attribute 1
    with its target `targets[i]` (e.g. the positive edge's destination), the
    next floor(num * p_2) attribute 2, and so on; the remaining ones follow
    `strategy` (GLE's by()). Within an attribute's columns the draws are
    weighted as `strategy` weighs them: uniform ("random"), ∝ in-degree ^
    exponent ("in_degree"), ∝ the node table's weights ("node_weight").
    True neighbors of the source are excluded as in `sample_negatives` (up to
    max_trials draws per entry, then the entry is given up: mask False).
    Layout, options and redraws: tfgle.ops.conditional_negatives.

    Example:
      negs = sampler.sample_conditional_negatives(
          "buys", users, 8, condition={"genre": 0.5, "year": 0.25}, targets=items, seed=3)
      # negs.ids[:, :4] share the genre of `items`, [:, 4:6] the year, [:, 6:] uniform.

    Args:
      edge_type, ids, seed, exponent, max_trials, reverse: as sample_negatives.
      num: negatives per row (> 0).
      condition: an ordered mapping attribute name -> proportion (or a list
        of (name, proportion) pairs): single-valued categorical (or int)
        attributes of the destination node type; proportions in (0, 1] that
        sum to at most 1. May be empty (all negatives by `strategy`).
      targets: int [B] dense destination indices whose attributes row i
        matches (also the batch's targets of batch_share).
      strategy: the base distribution: "random", "in_degree" or "node_weight".
      batch_share: GLE's batch_share: no row's negative is any row's target
        (every negative is a negative of every positive of the batch, for
        in-batch losses). Rows still exclude their own true neighbors (GLE
        excludes only the batch's targets then). Offending entries are redrawn.
      unique: no repeated negative within a row; repeats are redrawn.
        Entries still offending after max_trials rounds of redraws are given
        up (mask False), e.g. when an attribute's group is smaller than its
        share of the row.
      target_mask: bool [B] or None: False keeps row i's target out of the
        batch_share exclusion set (a padded target).

    Returns:
      SampledNegatives(ids [B, num], mask [B, num]).

    Raises:
      ValueError: a bad condition (see
        tfgle.ops.conditional_negatives.negative_condition), an unknown
        attribute or one that is not single-valued categorical, an unknown
        strategy, num <= 0, targets of another length than ids, bad options of
        sample_negatives.
    """
    condition = conditional_negatives.negative_condition(condition, batch_share=batch_share,
                                                         unique=unique)
    if strategy not in CONDITION_BASE_STRATEGIES:
      raise ValueError(f"unknown strategy {strategy!r} for conditional negatives; allowed: "
                       f"{', '.join(CONDITION_BASE_STRATEGIES)}")
    if not isinstance(num, (int, np.integer)) or isinstance(num, bool) or num <= 0:
      raise ValueError(f"num must be a positive int, got {num!r}")
    ids = sampling.int64_vector(ids)
    targets = sampling.int64_vector(targets, "targets")
    if ids.shape[0] is not None and targets.shape[0] is not None:
      if ids.shape[0] != targets.shape[0]:
        raise ValueError(f"targets has {targets.shape[0]} entries but there are "
                         f"{ids.shape[0]} ids; give one target per id")
    else:
      with tf.control_dependencies([tf.debugging.assert_equal(
          tf.size(targets), tf.size(ids), message="targets must have one entry per id")]):
        targets = tf.identity(targets)
    distributions = [self.condition_distribution(edge_type, attr, strategy, exponent=exponent,
                                                 reverse=reverse)
                     for attr in condition.attrs]
    categories = [tf.gather(d.categories, targets) for d in distributions]

    def draw(part, rows, count, part_seed):
      sources = tf.gather(ids, rows)
      if part is None:
        return self.sample_negatives(edge_type, sources, count, strategy=strategy,
                                     seed=part_seed, exponent=exponent, max_trials=max_trials,
                                     reverse=reverse)
      return self.sample_negatives(edge_type, sources, count, strategy="conditional",
                                   seed=part_seed, max_trials=max_trials,
                                   distribution=distributions[part],
                                   target_categories=tf.gather(categories[part], rows),
                                   reverse=reverse)
    return conditional_negatives.sample_conditional(
        draw, tf.size(ids), num, condition, seed=seed, max_trials=max_trials, targets=targets,
        target_mask=target_mask)

  @abc.abstractmethod
  def sample_random_walks(self, edge_types, starts, length: int, *, p: float = 1.0,
                          q: float = 1.0, seed) -> RandomWalks:
    """Walks of `length` steps from each start (tfgle.ops.sample_random_walks), [B, length + 1].

    `edge_types` is one edge type (its source and destination node types
    must be equal for walks longer than one step), or a list of them that the
    walk cycles through (a meta-path, p = q = 1). `starts` are dense indices
    of the first edge type's source nodes. p != 1 or q != 1 applies node2vec's
    second-order bias. Column 0 holds the starts; a walk that reaches a node
    without out-neighbors ends there (ids -1, mask False for the rest).
    """

  @abc.abstractmethod
  def num_edge_positions(self, edge_type, reverse: bool = False) -> int:
    """The number of edges of `edge_type`: edge positions are 0..this-1 (GSL E() sources)."""

  @abc.abstractmethod
  def edges_at(self, edge_type, positions, reverse: bool = False):
    """(src indices, dst indices, edge ids) of the edges at `positions`."""

  def edge_timestamps(self, edge_type, edge_ids) -> tf.Tensor:
    """The int64 timestamp of each edge of a timed `edge_type`, by edge id (same shape).

    Edge ids must be real (>= 0); mask padding (-1) out first. The lookup
    table (one int64 per edge id) is built from the edge type's CSR table on
    first use, once per table version, and kept on this sampler: a pipeline
    built before an update of the graph looks up the version it was built on.

    Raises:
      ValueError: the edge type has no timestamps.
    """
    csr = self.graph.csr(edge_type)
    if not csr.timed:
      raise ValueError(f"edge type {csr.name!r} has no timestamps (Decoder timestamp=)")

    def build():
      _, eids, _, times = csr.neighbors(tf.range(csr.num_src, dtype=tf.int64))
      eids, times = eids.flat_values, times.flat_values
      size = tf.reduce_max(tf.concat([eids, [-1]], 0)) + 1
      # Both directions of a symmetric table carry one edge id and one time:
      # an update, not a sum.
      return tf.tensor_scatter_nd_update(tf.zeros(tf.reshape(size, [1]), tf.int64),
                                         eids[:, tf.newaxis], times)
    with tf.init_scope():
      version = csr.version
    table = self.cached(("timestamps", csr.name, version), build)
    return tf.gather(table, edge_ids)

  # ------------------------------------------------------------ GSL sources

  def V(self, node_type: str, mask=None) -> Query:  # pylint: disable=invalid-name
    """A GSL query over vertices of `node_type` (mask: a split name or ids)."""
    return Query.vertices(self, node_type, mask)

  def E(self, edge_type, reverse: bool = False) -> Query:  # pylint: disable=invalid-name
    """A GSL query over the edges of `edge_type` (reverse: dst -> src)."""
    return Query.edges(self, edge_type, reverse)

  # ------------------------------------------------------------ shared checks

  def meta_path(self, meta_path, fanouts) -> list:
    """The EdgeType of each hop of a multi-hop sample; checks that the hops chain.

    A single edge type (name or triple) stands for every hop.

    Raises:
      ValueError: bad fanouts, a meta_path of another length, an unknown edge
        type, or a meta_path that does not chain.
    """
    sampling.check_fanouts(fanouts)
    if isinstance(meta_path, str) or (isinstance(meta_path, tuple) and len(meta_path) == 3 and
                                      all(isinstance(p, str) for p in meta_path)):
      meta_path = [meta_path] * len(fanouts)
    meta_path = list(meta_path)
    if len(meta_path) != len(fanouts):
      raise ValueError(f"fanouts has {len(fanouts)} entries but meta_path has "
                       f"{len(meta_path)} edge types: {meta_path!r}")
    types = [self.graph.edge_type(e) for e in meta_path]
    for i in range(len(types) - 1):
      if types[i].dst != types[i + 1].src:
        raise ValueError(
            f"meta_path does not chain: hop {i} ({types[i].name!r}) ends at node type "
            f"{types[i].dst!r} but hop {i + 1} ({types[i + 1].name!r}) starts at "
            f"{types[i + 1].src!r}")
    return types

  def walk_path(self, edge_types, length, p=1.0, q=1.0) -> list:
    """The EdgeType of each table a walk cycles through; checks the walk's options.

    Raises:
      ValueError: bad length, p or q; no or an unknown edge type; edge types
        whose node types do not chain (cyclically, for walks longer than the
        list); node2vec's bias over several edge types.
    """
    if isinstance(edge_types, str) or (isinstance(edge_types, tuple) and len(edge_types) == 3
                                       and all(isinstance(e, str) for e in edge_types)):
      edge_types = [edge_types]
    if not isinstance(edge_types, (list, tuple)) or not edge_types:
      raise ValueError(f"edge_types must be an edge type or a non-empty list of them, got "
                       f"{edge_types!r}")
    random_walk.check_walk_options(length, p, q, len(edge_types))
    types = [self.graph.edge_type(e) for e in edge_types]
    for step, a, b in random_walk.consecutive_steps(types, length):
      if a.dst != b.src:
        raise ValueError(
            f"the walk's edge types do not chain: step {step} follows {a.name!r} to node type "
            f"{a.dst!r}, but step {step + 1} follows {b.name!r}, which starts at {b.src!r}")
    return types

  def negative_inputs(self, edge_type, strategy: str, *, distribution, attr, targets,
                      target_categories, reverse: bool):
    """(distribution, target categories) for tfgle.ops.sample_negatives.

    Fills in the graph's distributions (cached on this sampler) where the
    caller gave none, and the categories of `targets`.
    """
    et = self.graph.edge_type(edge_type)
    dst_type = et.src if reverse else et.dst
    num_dst = self.graph.num_nodes(dst_type)
    if strategy == "node_weight" and distribution is None:
      distribution = self.cached(("weight", dst_type), lambda: NodeDistribution(
          num_dst, weights=self.graph.node_weights(dst_type)))
    elif strategy == "conditional":
      if distribution is None:
        if attr is None:
          raise ValueError("strategy 'conditional' needs attr= (a categorical attribute of "
                           f"node type {dst_type!r}) or distribution=")
        distribution = self.cached(("attr", dst_type, attr), lambda: NodeDistribution(
            num_dst, categories=self.categories(dst_type, attr)))
      if distribution.categories is None:
        raise ValueError("strategy 'conditional' needs a NodeDistribution with categories")
      if (targets is None) == (target_categories is None):
        raise ValueError("strategy 'conditional' needs exactly one of targets= (dense "
                         "destination indices) or target_categories=")
      if target_categories is None:
        target_categories = tf.gather(distribution.categories,
                                      sampling.int64_vector(targets, "targets"))
    return distribution, target_categories

  def categories(self, node_type: str, attr: str) -> tf.Tensor:
    """int64 [N]: each node's value of `node_type`'s single-valued categorical attribute `attr`.

    Raises:
      ValueError: naming the attribute: unknown, or not single-valued
        categorical (or int).
    """
    return category_column(self.graph, node_type, attr)

  def condition_distribution(self, edge_type, attr: str, strategy: str = "random", *,
                             exponent: float = 0.75, reverse: bool = False) -> NodeDistribution:
    """The NodeDistribution (cached) of conditional draws on destination attribute `attr`.

    Categories: `attr`'s values; weights: none ("random"), the node table's
    ("node_weight") or in-degree ^ exponent in `edge_type`'s table ("in_degree").
    """
    et = self.graph.edge_type(edge_type)
    dst_type = et.src if reverse else et.dst
    num_dst = self.graph.num_nodes(dst_type)
    if strategy == "random":  # the distribution of sample_negatives(strategy="conditional")
      return self.cached(("attr", dst_type, attr), lambda: NodeDistribution(
          num_dst, categories=self.categories(dst_type, attr)))
    if strategy == "node_weight":
      return self.cached(("attr", dst_type, attr, strategy), lambda: NodeDistribution(
          num_dst, weights=self.graph.node_weights(dst_type),
          categories=self.categories(dst_type, attr)))
    if not isinstance(exponent, (int, float)) or isinstance(exponent, bool) or not np.isfinite(
        exponent):
      raise ValueError(f"exponent must be a finite number, got {exponent!r}")
    return self.cached(
        ("attr", dst_type, attr, strategy, et.name, bool(reverse), float(exponent)),
        lambda: NodeDistribution(
            num_dst, weights=in_degree_weights(self.graph.csr(et.name, reverse=reverse), exponent),
            categories=self.categories(dst_type, attr)))

  def cached(self, key, build: Callable[[], object]):
    """The object `build()` makes for `key`, made once per sampler, outside any tf.function."""
    if key not in self._cache:
      with tf.init_scope():
        self._cache[key] = build()
    return self._cache[key]


class LocalSampler(Sampler):
  """Samples the in-graph tables of one built tfgle.Graph (`graph.sampler`)."""

  def __init__(self, graph):
    super().__init__()
    self._graph = graph

  @property
  def graph(self):
    return self._graph

  def __repr__(self):
    return f"LocalSampler({self._graph!r})"

  def sample_neighbors(self, edge_type, ids, fanout, *, reverse=False, **options):
    return sampling.sample_neighbors(self._graph.csr(edge_type, reverse=reverse), ids, fanout,
                                     **options)

  def sample_fanouts(self, meta_path, ids, fanouts, **options):
    tables = [self._graph.csr(t.name) for t in self.meta_path(meta_path, fanouts)]
    return sampling.sample_fanouts(tables, ids, fanouts, **options)

  def sample_full_neighbors(self, edge_type, ids, *, reverse=False, **options):
    return sampling.sample_full_neighbors(self._graph.csr(edge_type, reverse=reverse), ids,
                                          **options)

  def sample_negatives(self, edge_type, ids, num, *, strategy="random", distribution=None,
                       attr=None, targets=None, target_categories=None, reverse=False,
                       **options):
    csr = self._graph.csr(edge_type, reverse=reverse)
    distribution, target_categories = self.negative_inputs(
        edge_type, strategy, distribution=distribution, attr=attr, targets=targets,
        target_categories=target_categories, reverse=reverse)
    return sampling.sample_negatives(csr, ids, num, strategy=strategy,
                                     distribution=distribution,
                                     target_categories=target_categories, **options)

  def sample_random_walks(self, edge_types, starts, length, *, p=1.0, q=1.0, seed):
    tables = [self._graph.csr(t.name) for t in self.walk_path(edge_types, length, p, q)]
    return random_walk.sample_random_walks(tables, starts, length, p=p, q=q, seed=seed)

  def num_edge_positions(self, edge_type, reverse=False):
    return self._graph.csr(edge_type, reverse=reverse).num_edges

  def edges_at(self, edge_type, positions, reverse=False):
    return self._graph.csr(edge_type, reverse=reverse).edges_at(positions)


def in_degree_weights(csr, exponent: float) -> np.ndarray:
  """float32 [num_dst]: in-degree ** exponent of each destination node of `csr` (0: no edges)."""
  with tf.init_scope():
    degree = csr.degree(tf.range(csr.num_dst, dtype=tf.int64), "in").numpy()
  weights = np.where(degree > 0, degree.astype(np.float64) ** exponent, 0.0)
  return weights.astype(np.float32)


def _gather(feature: Feature, indices) -> Feature:
  """tf.gather(feature, indices): gather_rows for dense tensors of the dtypes it copies."""
  if isinstance(feature, tf.Tensor) and feature.dtype in gather.DTYPES:
    return gather.gather_rows(feature, indices)
  return tf.gather(feature, indices)


def feature_names(features, what: str, names: Optional[Sequence[str]]) -> list[str]:
  """`names` (all of `features` when None), checked to be attributes of `what` (e.g.
  "node type 'user'").

  Raises:
    ValueError: unknown names, naming the attributes there are.
  """
  names = list(features) if names is None else list(names)
  unknown = [n for n in names if n not in features]
  if unknown:
    raise ValueError(f"{what} has no attributes {unknown}; it has {sorted(features)}")
  return names


def category_column(graph, node_type: str, attr: str) -> tf.Tensor:
  """The int64 [N] category of each node of `node_type` in attribute `attr`."""
  features = graph.feature_tensors(node_type)
  if attr not in features:
    raise ValueError(f"node type {node_type!r} has no attribute {attr!r}; it has "
                     f"{sorted(features)}")
  column = features[attr]
  if isinstance(column, tf.RaggedTensor) or column.dtype != tf.int64 or column.shape.rank != 1:
    raise ValueError(f"attribute {attr!r} of node type {node_type!r} must be a single-valued "
                     f"categorical (or int) attribute, got {column!r}")
  return column
