"""Sampling ops: neighbors (fixed fanout, fused multi-hop, full lists) and negatives.

Every function here works on DENSE NODE INDICES: a node type numbers its nodes
0..N-1 in node-table order. `Graph.to_index(node_type, ids)` converts external
ids to dense indices and `Graph.to_id` converts back.

Randomness is stateless, as in `tf.random.stateless_*`: every sampler takes a
`seed` (a Python int or an int64 tensor of shape [2]); the same seed and inputs
give bit-identical outputs whatever the number of threads, so a `tf.data`
pipeline whose per-batch seeds derive from a base seed and the batch index is
reproducible and can resume exactly. Large batches are sharded over
TensorFlow's intra-op thread pool.

Example:
  g = tfgle.Graph().node(...).edge(..., edge_type=("user", "item", "buys")).build()
  seeds = g.to_index("user", user_ids)
  hop1, hop2 = tfgle.ops.sample_fanouts(g, ["buys", "bought_by"], seeds, [10, 5],
                                        seed=[7, batch_index])
  hop1.ids   # [B, 10] dense item indices; hop1.mask marks padding
  hop2.ids   # [B * 10, 5] dense user indices
  negs = tfgle.ops.sample_negatives(g, "buys", seeds, 5, strategy="in_degree", seed=7)
"""
from __future__ import annotations

import math
import weakref
from typing import NamedTuple, Optional, Sequence, Union

import numpy as np
import tensorflow as tf

from tfgle.ops._library import ops
from tfgle.ops.tables import _Table

NEIGHBOR_STRATEGIES = ("random", "random_without_replacement", "edge_weight", "topk",
                       "in_degree")
NEGATIVE_STRATEGIES = ("random", "in_degree", "node_weight", "conditional")
PADDINGS = ("default", "circular")


class SampledNeighbors(NamedTuple):
  """Fixed-fanout samples: three tensors of one shape [rows, fanout].

  ids: int64 dense indices of the sampled neighbors (destination node type).
  edge_ids: int64 ids of the sampled edges (-1 on default padding), or None
    when the sampler was asked not to return them (edge_ids=False).
  mask: bool, True for samples, False for padding.
  """
  ids: tf.Tensor
  edge_ids: tf.Tensor
  mask: tf.Tensor


class FullNeighbors(NamedTuple):
  """All (or capped) neighbors: two tf.RaggedTensors [B, None]."""
  ids: tf.RaggedTensor
  edge_ids: tf.RaggedTensor


class SampledNegatives(NamedTuple):
  """Negatives [B, num] and their mask [B, num].

  mask is False where the sampler gave up: every one of max_trials candidates
  was a true neighbor (the entry holds the last of them), or no node could be
  drawn at all (the entry is -1).
  """
  ids: tf.Tensor
  mask: tf.Tensor

  @property
  def num_give_ups(self) -> tf.Tensor:
    """int64 scalar: the number of entries the sampler gave up on."""
    return tf.math.count_nonzero(tf.logical_not(self.mask), dtype=tf.int64)


class NodeDistribution(_Table):
  """A distribution over the nodes of one type, for negative sampling.

  Draws are ∝ `weights` (uniform when None); with `categories`, draws can be
  restricted to the nodes of one category ("conditional" negatives).

  Example:
    items = NodeDistribution(g.num_nodes("item"), weights=g.node_weights("item"))
    sample_negatives(g, "buys", users, 5, strategy="node_weight",
                     distribution=items, seed=1)

  Args:
    num_nodes: number of nodes (dense indices 0..num_nodes-1).
    weights: float32 [num_nodes], finite and >= 0, or None.
    categories: int64 [num_nodes] category id of every node, or None.

  Raises:
    ValueError: when weights or categories do not have num_nodes entries.
    tf.errors.InvalidArgumentError: on a negative or non-finite weight (naming it).
  """

  _HANDLE_OP = ops.tfgle_node_distribution_handle

  def __init__(self, num_nodes: int, *, weights=None, categories=None):
    super().__init__("node_distribution")
    if not _is_int(num_nodes) or num_nodes < 0:
      raise ValueError(f"num_nodes must be an int >= 0, got {num_nodes!r}")
    self._num_nodes = int(num_nodes)
    self.weights = None if weights is None else tf.convert_to_tensor(weights, tf.float32)
    self.categories = None if categories is None else _int64(categories, "categories")
    for name, column in (("weights", self.weights), ("categories", self.categories)):
      if column is not None and column.shape != [num_nodes]:
        raise ValueError(f"{name} must have shape [{num_nodes}] (one value per node), got "
                         f"{column.shape}")
    ops.tfgle_node_distribution_init(
        self.resource_handle, num_nodes=tf.constant(num_nodes, tf.int64),
        weights=tf.zeros([0], tf.float32) if self.weights is None else self.weights,
        categories=tf.zeros([0], tf.int64) if self.categories is None else self.categories)

  @property
  def num_nodes(self) -> int:
    return self._num_nodes


def sample_neighbors(graph, edge_type, ids, fanout: int, *, strategy: str = "random", seed,
                     padding: str = "default", default_id: int = -1, before=None,
                     edge_ids: bool = True, reverse: bool = False) -> SampledNeighbors:
  """Samples `fanout` neighbors of each node along one edge type.

  Strategies:
    "random": uniform, with replacement.
    "random_without_replacement": distinct edges (O(fanout) per node); nodes
      of degree <= fanout return all their neighbors, then padding.
    "edge_weight": ∝ edge weight, with replacement (alias method, O(1) per draw).
    "topk": the first `fanout` neighbors in the table's neighbor order: weight
      descending for weighted edge types, latest timestamp first for timed
      ones (Graph orders rows by timestamp when there is one, else by weight).
    "in_degree": ∝ the neighbor's in-degree, with replacement.

  Example:
    nbrs = sample_neighbors(g, "cites", g.to_index("paper", [10, 11]), 5, seed=1)
    g.to_id("paper", nbrs.ids)   # [2, 5] external ids (padding: check nbrs.mask)

  Args:
    graph: a built tfgle.Graph.
    edge_type: the edge type's name or (src, dst, name).
    ids: int [B] dense indices of source nodes.
    fanout: samples per node (> 0).
    strategy: one of NEIGHBOR_STRATEGIES.
    seed: a Python int or an int64 tensor [2].
    padding: "default" pads with `default_id` (edge id -1); "circular" repeats
      the node's samples. Nodes without (eligible) neighbors always get
      default_id. mask marks padding either way.
    default_id: the padding node index.
    before: int [B] (or a scalar for all): only edges with timestamp < before[i]
      are used for node i. Needs an edge type with timestamps.
    edge_ids: False skips looking up edge ids (faster when only node ids are
      needed); the result's edge_ids is then None.
    reverse: follow the edges backwards: `ids` are destination-type nodes and
      the samples are their in-neighbors (source type).

  Returns:
    SampledNeighbors(ids, edge_ids, mask), each [B, fanout].

  Raises:
    ValueError: on an unknown strategy or padding, fanout <= 0, a bad seed,
      before= on an edge type without timestamps.
    tf.errors.InvalidArgumentError: on ids out of [0, number of source nodes)
      (naming the index and the range).
  """
  if getattr(graph, "samples_partitioned", False):  # tfgle.distribute.PartitionedGraph
    return graph.sample_neighbors(edge_type, ids, fanout, strategy=strategy, seed=seed,
                                  padding=padding, default_id=default_id, before=before,
                                  reverse=reverse)
  csr = graph.csr(edge_type, reverse=reverse)
  _check_strategy(strategy, NEIGHBOR_STRATEGIES, "strategy")
  _check_strategy(padding, PADDINGS, "padding")
  _check_positive(fanout, "fanout")
  _check_int(default_id, "default_id")
  _check_weighted(csr, strategy, edge_type)
  _check_bool(edge_ids, "edge_ids")
  ids = _ids(ids)
  nbrs, eids, mask = ops.tfgle_sample_neighbors(
      csr.resource_handle, ids, _seed(seed), _before(before, ids, csr, edge_type),
      fanout=fanout, strategy=strategy, padding=padding, default_id=default_id,
      return_edge_ids=edge_ids)
  return SampledNeighbors(nbrs, eids if edge_ids else None, mask)


def sample_fanouts(graph, meta_path, ids, fanouts: Sequence[int], *,
                   strategy: Union[str, Sequence[str]] = "random", seed,
                   padding: str = "default", default_id: int = -1, before=None,
                   edge_ids: bool = True) -> list[SampledNeighbors]:
  """Multi-hop neighbor sampling along a meta-path, fused into ONE op call.

  Hop i samples fanouts[i] neighbors of every node of hop i-1 (hop 0: of
  `ids`) along meta_path[i]. Hop 0 equals `sample_neighbors` with the same
  seed. Default-id padding entries get all-padding children; circular repeats
  are real nodes and are sampled like the others.

  Example:
    hop1, hop2 = sample_fanouts(g, "cites", seeds, [10, 5], seed=[1, step])
    hop2.ids                         # [B * 10, 5]
    tf.reshape(hop2.ids, [-1, 10, 5])  # [B, 10, 5]

  Args:
    graph: a built tfgle.Graph.
    meta_path: one edge type per hop (names or (src, dst, name)); a single
      edge type is used for every hop. Hop i's destination node type must be
      hop i+1's source node type.
    ids: int [B] dense indices of the seeds.
    fanouts: samples per node at each hop (> 0 each).
    strategy: a strategy of NEIGHBOR_STRATEGIES for all hops, or one per hop.
    seed, padding, default_id, edge_ids: as in `sample_neighbors`.
    before: int [B] or scalar; every hop of seed i only uses edges with
      timestamp < before[i]. Needs timestamps on every edge type.

  Returns:
    A list with one SampledNeighbors per hop; hop i's tensors have shape
    [B * fanouts[0] * ... * fanouts[i-1], fanouts[i]] (row r samples the r-th
    entry of hop i-1, flattened row-major).

  Raises:
    ValueError: on a meta-path that does not chain, fanouts not matching the
      meta-path, an unknown strategy, fanout <= 0, a bad seed.
    tf.errors.InvalidArgumentError: on ids out of range; when
      B x prod(fanouts) overflows.
  """
  if getattr(graph, "samples_partitioned", False):  # tfgle.distribute.PartitionedGraph
    return graph.sample_fanouts(meta_path, ids, fanouts, strategy=strategy, seed=seed,
                                padding=padding, default_id=default_id, before=before)
  meta_path, strategies = hop_plan(graph, meta_path, fanouts, strategy)
  _check_strategy(padding, PADDINGS, "padding")
  _check_int(default_id, "default_id")
  _check_bool(edge_ids, "edge_ids")
  tables = [graph.csr(e) for e in meta_path]
  for csr, s, e in zip(tables, strategies, meta_path):
    _check_weighted(csr, s, e)
  ids = _ids(ids)
  if before is not None:
    for csr, e in zip(tables, meta_path):
      _check_timed(csr, e)
  neighbors, hop_edge_ids, masks = ops.tfgle_sample_fanouts(
      [csr.resource_handle for csr in tables], ids, _seed(seed),
      _before(before, ids, tables[0], meta_path[0]), fanouts=list(fanouts),
      strategies=strategies, padding=padding, default_id=default_id,
      return_edge_ids=edge_ids)
  return [SampledNeighbors(n, e if edge_ids else None, m)
          for n, e, m in zip(neighbors, hop_edge_ids, masks)]


def hop_plan(graph, meta_path, fanouts, strategy) -> tuple[list, list[str]]:
  """Checks sample_fanouts' hops; returns (edge type per hop, strategy per hop).

  A single edge type (name or triple) or strategy name stands for every hop.

  Raises:
    ValueError: bad fanouts, a meta_path or strategy list of another length, an
      unknown strategy, or a meta_path that does not chain.
  """
  if not isinstance(fanouts, (list, tuple)) or not fanouts:
    raise ValueError(f"fanouts must be a non-empty list of positive ints, got {fanouts!r}")
  for fanout in fanouts:
    if not _is_int(fanout) or fanout <= 0:
      raise ValueError(f"fanouts must be positive ints, got {fanouts!r}")
  if isinstance(meta_path, str) or (isinstance(meta_path, tuple) and len(meta_path) == 3 and
                                    all(isinstance(p, str) for p in meta_path)):
    meta_path = [meta_path] * len(fanouts)
  meta_path = list(meta_path)
  if len(meta_path) != len(fanouts):
    raise ValueError(f"fanouts has {len(fanouts)} entries but meta_path has "
                     f"{len(meta_path)} edge types: {meta_path!r}")
  strategies = [strategy] * len(fanouts) if isinstance(strategy, str) else list(strategy)
  if len(strategies) != len(fanouts):
    raise ValueError(f"strategy must be one name or one per hop ({len(fanouts)}), got "
                     f"{strategy!r}")
  for s in strategies:
    _check_strategy(s, NEIGHBOR_STRATEGIES, "strategy")
  types = [graph.edge_type(e) for e in meta_path]
  for i in range(len(types) - 1):
    if types[i].dst != types[i + 1].src:
      raise ValueError(
          f"meta_path does not chain: hop {i} ({types[i].name!r}) ends at node type "
          f"{types[i].dst!r} but hop {i + 1} ({types[i + 1].name!r}) starts at "
          f"{types[i + 1].src!r}")
  return meta_path, strategies


def sample_full_neighbors(graph, edge_type, ids, *, max_neighbors: Optional[int] = None,
                          seed=None, before=None) -> FullNeighbors:
  """All neighbors of each node (ragged), optionally capped at `max_neighbors`.

  Rows keep the table's neighbor order. A node with more than max_neighbors
  (eligible) neighbors gets a uniform random subset of that size, still in
  row order, drawn with `seed`.

  Args:
    graph: a built tfgle.Graph.
    edge_type: the edge type's name or (src, dst, name).
    ids: int [B] dense indices of source nodes.
    max_neighbors: None for all, else an int >= 0.
    seed: a Python int or int64 [2]; needed with max_neighbors.
    before: int [B] or scalar: only edges with timestamp < before[i].

  Returns:
    FullNeighbors(ids, edge_ids): tf.RaggedTensors [B, None].

  Raises:
    ValueError: on max_neighbors < 0, a cap without a seed, a bad seed.
    tf.errors.InvalidArgumentError: on ids out of range.
  """
  csr = graph.csr(edge_type)
  if max_neighbors is None:
    cap = -1
    seed = 0 if seed is None else seed
  else:
    if not _is_int(max_neighbors) or max_neighbors < 0:
      raise ValueError(f"max_neighbors must be None or an int >= 0, got {max_neighbors!r}")
    if seed is None:
      raise ValueError("max_neighbors draws a random subset: pass seed=")
    cap = int(max_neighbors)
  ids = _ids(ids)
  nbrs, eids, splits = ops.tfgle_sample_full_neighbors(
      csr.resource_handle, ids, _seed(seed), _before(before, ids, csr, edge_type),
      max_neighbors=cap)
  ragged = lambda v: tf.RaggedTensor.from_row_splits(v, splits, validate=False)
  return FullNeighbors(ragged(nbrs), ragged(eids))


def sample_negatives(graph, edge_type, ids, num: int, *, strategy: str = "random", seed,
                     exponent: float = 0.75, max_trials: int = 16,
                     distribution: Optional[NodeDistribution] = None,
                     attr: Optional[str] = None, targets=None, reverse: bool = False,
                     target_categories=None) -> SampledNegatives:
  """Samples `num` destination nodes per source node that are not its neighbors.

  Candidates that are true neighbors of the source (along `edge_type`) are
  redrawn, up to `max_trials` draws per negative; where all fail the sampler
  gives up and clears the mask bit (count them with `.num_give_ups`).

  Strategies:
    "random": uniform over the edge type's destination nodes.
    "in_degree": ∝ in-degree ^ exponent (0.75, word2vec style; alias table
      built once per exponent).
    "node_weight": ∝ a weight per destination node: `distribution` (a weighted
      NodeDistribution), else the destination node table's weight column
      (Decoder weight=).
    "conditional": among the destination nodes sharing a categorical value
      with a target: the categories come from `distribution` (built with
      categories=) or from the destination attribute `attr`; the value each row
      must match from `target_categories` [B], or from `targets` [B] (dense
      destination indices, e.g. the positive edges' destinations).

  Example:
    src, dst = ...  # a batch of positive edges, dense indices
    negs = sample_negatives(g, "buys", src, 5, strategy="conditional",
                            attr="category", targets=dst, seed=[3, step])

  Args:
    graph: a built tfgle.Graph.
    edge_type: the edge type's name or (src, dst, name).
    ids: int [B] dense indices of source nodes.
    num: negatives per source (> 0).
    strategy: one of NEGATIVE_STRATEGIES.
    seed: a Python int or an int64 tensor [2].
    exponent: the in-degree exponent of "in_degree".
    max_trials: draws per negative before giving up, in [1, 1024].
    distribution, attr, targets, target_categories: see the strategies.
    reverse: negatives for the reversed edge type: `ids` are destination-type
      nodes and negatives are source-type nodes that are not in-neighbors.

  Returns:
    SampledNegatives(ids [B, num], mask [B, num]).

  Raises:
    ValueError: on an unknown strategy, num or max_trials <= 0, a missing or
      mismatched distribution, attribute or target.
    tf.errors.InvalidArgumentError: on ids out of range.
  """
  if getattr(graph, "samples_partitioned", False):  # tfgle.distribute.PartitionedGraph
    return graph.sample_negatives(edge_type, ids, num, strategy=strategy, seed=seed,
                                  exponent=exponent, max_trials=max_trials,
                                  distribution=distribution, attr=attr, targets=targets,
                                  reverse=reverse, target_categories=target_categories)
  csr = graph.csr(edge_type, reverse=reverse)
  _check_strategy(strategy, NEGATIVE_STRATEGIES, "strategy")
  _check_positive(num, "num")
  _check_positive(max_trials, "max_trials")
  if max_trials > 1024:
    raise ValueError(f"max_trials must be at most 1024, got {max_trials!r}")
  if not isinstance(exponent, (int, float)) or isinstance(exponent, bool) or not math.isfinite(
      exponent):
    raise ValueError(f"exponent must be a finite number, got {exponent!r}")
  ids = _ids(ids)
  et = graph.edge_type(edge_type)
  dst_type = et.src if reverse else et.dst
  distributions = []
  categories = tf.zeros([0], tf.int64)
  if strategy == "node_weight":
    if distribution is None:
      distribution = _cached_distribution(graph, dst_type, "weight", lambda: NodeDistribution(
          graph.num_nodes(dst_type), weights=graph.node_weights(dst_type)))
    if distribution.weights is None:
      raise ValueError("strategy 'node_weight' needs a NodeDistribution with weights")
    distributions = [distribution]
  elif strategy == "conditional":
    if distribution is None:
      if attr is None:
        raise ValueError("strategy 'conditional' needs attr= (a categorical attribute of "
                         f"node type {dst_type!r}) or distribution=")
      distribution = _cached_distribution(
          graph, dst_type, ("attr", attr),
          lambda: NodeDistribution(graph.num_nodes(dst_type),
                                   categories=_category_column(graph, dst_type, attr)))
    if distribution.categories is None:
      raise ValueError("strategy 'conditional' needs a NodeDistribution with categories")
    if (targets is None) == (target_categories is None):
      raise ValueError("strategy 'conditional' needs exactly one of targets= (dense "
                       "destination indices) or target_categories=")
    if target_categories is None:
      categories = tf.gather(distribution.categories, _ids(targets, "targets"))
    else:
      categories = _ids(target_categories, "target_categories")
    distributions = [distribution]
  if distributions and distributions[0].num_nodes != csr.num_dst:
    raise ValueError(f"distribution covers {distributions[0].num_nodes} nodes but edge type "
                     f"{edge_type!r} has {csr.num_dst} destination nodes")
  negatives, mask = ops.tfgle_sample_negatives(
      csr.resource_handle, ids, _seed(seed), [d.resource_handle for d in distributions],
      categories, num=num, strategy=strategy, exponent=float(exponent), max_trials=max_trials)
  return SampledNegatives(negatives, mask)


# ---------------------------------------------------------------- helpers

# Distributions built from a graph's columns, per graph: they are built once
# (outside any tf.function) and live as long as the graph.
_DISTRIBUTIONS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _cached_distribution(graph, node_type, key, build) -> NodeDistribution:
  per_graph = _DISTRIBUTIONS.setdefault(graph, {})
  full_key = (node_type, key)
  if full_key not in per_graph:
    with tf.init_scope():
      per_graph[full_key] = build()
  return per_graph[full_key]


def _category_column(graph, node_type, attr) -> tf.Tensor:
  features = graph.feature_tensors(node_type)
  if attr not in features:
    raise ValueError(f"node type {node_type!r} has no attribute {attr!r}; it has "
                     f"{sorted(features)}")
  column = features[attr]
  if isinstance(column, tf.RaggedTensor) or column.dtype != tf.int64 or column.shape.rank != 1:
    raise ValueError(f"attribute {attr!r} of node type {node_type!r} must be a single-valued "
                     f"categorical (or int) attribute, got {column!r}")
  return column


def _is_int(value) -> bool:
  return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_int(value, name):
  if not _is_int(value):
    raise ValueError(f"{name} must be an int, got {value!r}")


def _check_bool(value, name):
  if not isinstance(value, bool):
    raise ValueError(f"{name} must be True or False, got {value!r}")


def _check_positive(value, name):
  if not _is_int(value) or value <= 0:
    raise ValueError(f"{name} must be a positive int, got {value!r}")


def _check_strategy(value, allowed, name):
  if value not in allowed:
    raise ValueError(f"unknown {name} {value!r}; allowed: {', '.join(allowed)}")


def _check_weighted(csr, strategy, edge_type):
  if strategy == "edge_weight" and not csr.weighted:
    raise ValueError(f"strategy 'edge_weight' needs edge weights, and edge type {edge_type!r} "
                     "has none (Decoder weight=)")


def _check_timed(csr, edge_type):
  if not csr.timed:
    raise ValueError(f"before= needs edge timestamps, and edge type {edge_type!r} has none "
                     "(Decoder timestamp=)")


def _int64(values, name) -> tf.Tensor:
  tensor = tf.convert_to_tensor(values)
  if not tensor.dtype.is_integer:
    raise TypeError(f"{name} must be integers, got dtype {tensor.dtype.name}")
  return tf.cast(tensor, tf.int64) if tensor.dtype != tf.int64 else tensor


def _ids(ids, name="ids") -> tf.Tensor:
  ids = _int64(ids, name)
  if ids.shape.rank is not None and ids.shape.rank != 1:
    raise ValueError(f"{name} must be a vector of dense node indices, got shape {ids.shape}")
  return ids


def _seed(seed) -> tf.Tensor:
  """A stateless seed: int64 [2] from a Python int or an integer tensor."""
  if seed is None:
    raise ValueError("seed is required: a Python int or an int64 tensor of shape [2]")
  if _is_int(seed):
    if not -2**63 <= int(seed) < 2**63:
      raise ValueError(f"seed must fit in int64, got {seed!r}")
    return tf.constant([int(seed), 0], tf.int64)
  tensor = _int64(seed, "seed")
  if tensor.shape.rank is not None and tensor.shape != [2]:
    raise ValueError(f"seed must be an int or have shape [2], got shape {tensor.shape}")
  return tensor


def _before(before, ids, csr, edge_type) -> tf.Tensor:
  if before is None:
    return tf.zeros([0], tf.int64)
  _check_timed(csr, edge_type)
  before = _int64(before, "before")
  if before.shape.rank == 0:
    before = tf.fill(tf.shape(ids), before)
  return before
