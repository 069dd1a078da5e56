"""Sampling ops on in-graph tables: neighbors (fixed fanout, fused multi-hop, full lists)
and negatives.

These wrappers take tables (`CsrTable`, `NodeDistribution`) and tensors; a
`tfgle.graph.Sampler` (the local graph's `graph.sampler`, a
`tfgle.distribute.PartitionedGraph`) picks the tables of an edge type and calls
them, and is what pipelines and users normally call. Every function works on
DENSE NODE INDICES: a node type numbers its nodes 0..N-1 in node-table order.

Randomness is stateless, as in `tf.random.stateless_*`: every sampler takes a
`seed` (a Python int or an int64 tensor of shape [2]); the same seed and inputs
give bit-identical outputs whatever the number of threads, so a `tf.data`
pipeline whose per-batch seeds derive from a base seed and the batch index is
reproducible and can resume exactly. Large batches are sharded over
TensorFlow's intra-op thread pool.

Example:
  g = tfgle.Graph().node(...).edge(..., edge_type=("user", "item", "buys")).build()
  seeds = g.to_index("user", user_ids)
  hop1, hop2 = tfgle.ops.sample_fanouts([g.csr("buys"), g.csr("bought_by")], seeds, [10, 5],
                                        seed=[7, batch_index])
  hop1.ids   # [B, 10] dense item indices; hop1.mask marks padding
  hop2.ids   # [B * 10, 5] dense user indices
  # The same through the graph's sampler, by edge type name:
  hop1, hop2 = g.sampler.sample_fanouts(["buys", "bought_by"], seeds, [10, 5], seed=7)
"""
from __future__ import annotations

import math
from typing import NamedTuple, Optional, Sequence, Union

import numpy as np
import tensorflow as tf

from tfgle.ops._library import ops
from tfgle.ops.tables import CsrTable, _Table

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
    weights: float32 [num_nodes], each 0 or a finite number >= 1.17549435e-38
      (the smallest normal float32), or None.
    categories: int64 [num_nodes] category id of every node, or None.

  Raises:
    ValueError: when weights or categories do not have num_nodes entries.
    tf.errors.InvalidArgumentError: on a negative, non-finite or subnormal weight,
      naming it (a subnormal weight could never be drawn: TensorFlow flushes
      denormals to zero).
  """

  _HANDLE_OP = ops.tfgle_node_distribution_handle

  def __init__(self, num_nodes: int, *, weights=None, categories=None):
    super().__init__("node_distribution")
    if not _is_int(num_nodes) or num_nodes < 0:
      raise ValueError(f"num_nodes must be an int >= 0, got {num_nodes!r}")
    self._num_nodes = int(num_nodes)
    self.weights = None if weights is None else tf.convert_to_tensor(weights, tf.float32)
    self.categories = None if categories is None else int64_tensor(categories, "categories")
    for name, column in (("weights", self.weights), ("categories", self.categories)):
      if column is not None and column.shape != [num_nodes]:
        raise ValueError(f"{name} must have shape [{num_nodes}] (one value per node), got "
                         f"{column.shape}")
    ops.tfgle_node_distribution_init(
        self.resource_handle, num_nodes=tf.constant(num_nodes, tf.int64),
        weights=tf.zeros([0], tf.float32) if self.weights is None else self.weights,
        categories=tf.zeros([0], tf.int64) if self.categories is None else self.categories,
        # Explicit: a distribution of 0 nodes has empty columns, with or without them.
        weighted=self.weights is not None, categorized=self.categories is not None)

  @property
  def num_nodes(self) -> int:
    return self._num_nodes


def sample_neighbors(csr: CsrTable, ids, fanout: int, *, strategy: str = "random", seed,
                     padding: str = "default", default_id: int = -1, before=None,
                     edge_ids: bool = True) -> SampledNeighbors:
  """Samples `fanout` neighbors of each node from one CSR table.

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
    nbrs = sample_neighbors(g.csr("cites"), g.to_index("paper", [10, 11]), 5, seed=1)
    g.to_id("paper", nbrs.ids)   # [2, 5] external ids (padding: check nbrs.mask)

  Args:
    csr: the CsrTable of the edge type (reverse tables sample in-neighbors).
    ids: int [B] dense indices of source nodes.
    fanout: samples per node (> 0).
    strategy: one of NEIGHBOR_STRATEGIES.
    seed: a Python int or an int64 tensor [2].
    padding: "default" pads with `default_id` (edge id -1); "circular" repeats
      the node's samples. Nodes without (eligible) neighbors always get
      default_id. mask marks padding either way.
    default_id: the padding node index.
    before: int [B] (or a scalar for all): only edges with timestamp < before[i]
      are used for node i. Needs a table with timestamps.
    edge_ids: False skips looking up edge ids (faster when only node ids are
      needed); the result's edge_ids is then None.

  Returns:
    SampledNeighbors(ids, edge_ids, mask), each [B, fanout].

  Raises:
    ValueError: on an unknown strategy or padding, fanout <= 0, a bad seed,
      before= on a table without timestamps or of another length than ids.
    tf.errors.InvalidArgumentError: on ids out of [0, number of source nodes)
      (naming the index and the range).
  """
  _check_strategy(strategy, NEIGHBOR_STRATEGIES, "strategy")
  _check_strategy(padding, PADDINGS, "padding")
  _check_positive(fanout, "fanout")
  _check_int(default_id, "default_id")
  _check_weighted(csr, strategy)
  check_bool(edge_ids, "edge_ids")
  ids = int64_vector(ids)
  nbrs, eids, mask = ops.tfgle_sample_neighbors(
      csr.resource_handle, ids, seed_tensor(seed), _before(before, ids, csr),
      fanout=fanout, strategy=strategy, padding=padding, default_id=default_id,
      return_edge_ids=edge_ids)
  return SampledNeighbors(nbrs, eids if edge_ids else None, mask)


def sample_fanouts(tables: Sequence[CsrTable], ids, fanouts: Sequence[int], *,
                   strategy: Union[str, Sequence[str]] = "random", seed,
                   padding: str = "default", default_id: int = -1, before=None,
                   edge_ids: bool = True) -> list[SampledNeighbors]:
  """Multi-hop neighbor sampling along a chain of tables, fused into ONE op call.

  Hop i samples fanouts[i] neighbors of every node of hop i-1 (hop 0: of
  `ids`) from tables[i]. Hop 0 equals `sample_neighbors` with the same seed.
  Default-id padding entries get all-padding children; circular repeats are
  real nodes and are sampled like the others.

  Example:
    hop1, hop2 = sample_fanouts([g.csr("cites")] * 2, seeds, [10, 5], seed=[1, step])
    hop2.ids                           # [B * 10, 5]
    tf.reshape(hop2.ids, [-1, 10, 5])  # [B, 10, 5]

  Args:
    tables: one CsrTable per hop; hop i's destination nodes must be hop i+1's
      source nodes (a Sampler checks the edge types' node types).
    ids: int [B] dense indices of the seeds.
    fanouts: samples per node at each hop (> 0 each).
    strategy: a strategy of NEIGHBOR_STRATEGIES for all hops, or one per hop.
    seed, padding, default_id, edge_ids: as in `sample_neighbors`.
    before: int [B] or scalar; every hop of seed i only uses edges with
      timestamp < before[i]. Needs timestamps in every table.

  Returns:
    A list with one SampledNeighbors per hop; hop i's tensors have shape
    [B * fanouts[0] * ... * fanouts[i-1], fanouts[i]] (row r samples the r-th
    entry of hop i-1, flattened row-major).

  Raises:
    ValueError: on fanouts not matching the tables, an unknown strategy,
      fanout <= 0, a bad seed.
    tf.errors.InvalidArgumentError: on ids out of range; when
      B x prod(fanouts) overflows.
  """
  tables = list(tables)
  strategies = hop_strategies(fanouts, strategy, len(tables))
  _check_strategy(padding, PADDINGS, "padding")
  _check_int(default_id, "default_id")
  check_bool(edge_ids, "edge_ids")
  for csr, s in zip(tables, strategies):
    _check_weighted(csr, s)
  ids = int64_vector(ids)
  if before is not None:
    for csr in tables:
      _check_timed(csr)
  neighbors, hop_edge_ids, masks = ops.tfgle_sample_fanouts(
      [csr.resource_handle for csr in tables], ids, seed_tensor(seed),
      _before(before, ids, tables[0]), fanouts=list(fanouts),
      strategies=strategies, padding=padding, default_id=default_id,
      return_edge_ids=edge_ids)
  return [SampledNeighbors(n, e if edge_ids else None, m)
          for n, e, m in zip(neighbors, hop_edge_ids, masks)]


def hop_strategies(fanouts, strategy, num_hops: int) -> list[str]:
  """Checks multi-hop fanouts against `num_hops`; returns the strategy of each hop.

  A single strategy name stands for every hop.

  Raises:
    ValueError: bad fanouts, a fanouts or strategy list of another length, an
      unknown strategy.
  """
  check_fanouts(fanouts)
  if len(fanouts) != num_hops:
    raise ValueError(f"fanouts has {len(fanouts)} entries but there are {num_hops} hops "
                     "(one edge type per fanout)")
  strategies = [strategy] * num_hops if isinstance(strategy, str) else list(strategy)
  if len(strategies) != num_hops:
    raise ValueError(f"strategy must be one name or one per hop ({num_hops}), got "
                     f"{strategy!r}")
  for s in strategies:
    _check_strategy(s, NEIGHBOR_STRATEGIES, "strategy")
  return strategies


def check_fanouts(fanouts):
  """Raises ValueError unless `fanouts` is a non-empty list of positive ints."""
  if not isinstance(fanouts, (list, tuple)) or not fanouts:
    raise ValueError(f"fanouts must be a non-empty list of positive ints, got {fanouts!r}")
  for fanout in fanouts:
    if not _is_int(fanout) or fanout <= 0:
      raise ValueError(f"fanouts must be positive ints, got {fanouts!r}")


def sample_full_neighbors(csr: CsrTable, ids, *, max_neighbors: Optional[int] = None,
                          seed=None, before=None) -> FullNeighbors:
  """All neighbors of each node (ragged), optionally capped at `max_neighbors`.

  Rows keep the table's neighbor order; with `before=`, a row's eligible
  neighbors come latest first (the same order on the timed tables that
  tfgle.Graph builds). A node with more than max_neighbors (eligible)
  neighbors gets a uniform random subset of that size, still in that order,
  drawn with `seed`.

  Args:
    csr: the CsrTable of the edge type.
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
  if max_neighbors is None:
    cap = -1
    seed = 0 if seed is None else seed
  else:
    if not _is_int(max_neighbors) or max_neighbors < 0:
      raise ValueError(f"max_neighbors must be None or an int >= 0, got {max_neighbors!r}")
    if seed is None:
      raise ValueError("max_neighbors draws a random subset: pass seed=")
    cap = int(max_neighbors)
  ids = int64_vector(ids)
  nbrs, eids, splits = ops.tfgle_sample_full_neighbors(
      csr.resource_handle, ids, seed_tensor(seed), _before(before, ids, csr), max_neighbors=cap)
  ragged = lambda v: tf.RaggedTensor.from_row_splits(v, splits, validate=False)
  return FullNeighbors(ragged(nbrs), ragged(eids))


def sample_negatives(csr: CsrTable, ids, num: int, *, strategy: str = "random", seed,
                     exponent: float = 0.75, max_trials: int = 16,
                     distribution: Optional[NodeDistribution] = None,
                     target_categories=None) -> SampledNegatives:
  """Samples `num` destination nodes per source node that are not its neighbors in `csr`.

  Candidates that are true neighbors of the source are redrawn, up to
  `max_trials` draws per negative; where all fail the sampler gives up and
  clears the mask bit (count them with `.num_give_ups`).

  Strategies:
    "random": uniform over the table's destination nodes.
    "in_degree": ∝ in-degree ^ exponent (0.75, word2vec style; alias table
      built once per exponent).
    "node_weight": ∝ the weights of `distribution` (a weighted NodeDistribution).
    "conditional": among the destination nodes whose category in
      `distribution` (built with categories=) is `target_categories[i]`.

  Example:
    items = NodeDistribution(g.num_nodes("item"), categories=genre)
    negs = sample_negatives(g.csr("buys"), users, 5, strategy="conditional",
                            distribution=items, target_categories=tf.gather(genre, pos),
                            seed=[3, step])

  Args:
    csr: the CsrTable whose neighbors are excluded (a reverse table gives
      source-type negatives of destination-type nodes).
    ids: int [B] dense indices of source nodes.
    num: negatives per source (> 0).
    strategy: one of NEGATIVE_STRATEGIES.
    seed: a Python int or an int64 tensor [2].
    exponent: the in-degree exponent of "in_degree".
    max_trials: draws per negative before giving up, in [1, 1024].
    distribution: the NodeDistribution of "node_weight" and "conditional".
    target_categories: int [B], the category each row's negatives must have
      ("conditional").

  Returns:
    SampledNegatives(ids [B, num], mask [B, num]).

  Raises:
    ValueError: on an unknown strategy, num or max_trials <= 0, a missing or
      mismatched distribution or target categories.
    tf.errors.InvalidArgumentError: on ids out of range.
  """
  _check_strategy(strategy, NEGATIVE_STRATEGIES, "strategy")
  _check_positive(num, "num")
  _check_positive(max_trials, "max_trials")
  if max_trials > 1024:
    raise ValueError(f"max_trials must be at most 1024, got {max_trials!r}")
  if not isinstance(exponent, (int, float)) or isinstance(exponent, bool) or not math.isfinite(
      exponent):
    raise ValueError(f"exponent must be a finite number, got {exponent!r}")
  ids = int64_vector(ids)
  distributions = []
  categories = tf.zeros([0], tf.int64)
  if strategy == "node_weight":
    if distribution is None or distribution.weights is None:
      raise ValueError("strategy 'node_weight' needs a NodeDistribution with weights")
    distributions = [distribution]
  elif strategy == "conditional":
    if distribution is None or distribution.categories is None:
      raise ValueError("strategy 'conditional' needs a NodeDistribution with categories")
    if target_categories is None:
      raise ValueError("strategy 'conditional' needs target_categories= (the category of "
                       "each row's negatives)")
    categories = int64_vector(target_categories, "target_categories")
    distributions = [distribution]
  if distributions and distributions[0].num_nodes != csr.num_dst:
    raise ValueError(f"distribution covers {distributions[0].num_nodes} nodes but edge type "
                     f"{csr.name!r} has {csr.num_dst} destination nodes")
  negatives, mask = ops.tfgle_sample_negatives(
      csr.resource_handle, ids, seed_tensor(seed), [d.resource_handle for d in distributions],
      categories, num=num, strategy=strategy, exponent=float(exponent), max_trials=max_trials)
  return SampledNegatives(negatives, mask)


# ---------------------------------------------------------------- helpers

def _is_int(value) -> bool:
  return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_int(value, name):
  if not _is_int(value):
    raise ValueError(f"{name} must be an int, got {value!r}")


def check_bool(value, name):
  if not isinstance(value, bool):
    raise ValueError(f"{name} must be True or False, got {value!r}")


def _check_positive(value, name):
  if not _is_int(value) or value <= 0:
    raise ValueError(f"{name} must be a positive int, got {value!r}")


def _check_strategy(value, allowed, name):
  if value not in allowed:
    raise ValueError(f"unknown {name} {value!r}; allowed: {', '.join(allowed)}")


def _check_weighted(csr, strategy):
  if strategy == "edge_weight" and not csr.weighted:
    raise ValueError(f"strategy 'edge_weight' needs edge weights, and edge type {csr.name!r} "
                     "has none (Decoder weight=)")


def _check_timed(csr):
  if not csr.timed:
    raise ValueError(f"before= needs edge timestamps, and edge type {csr.name!r} has none "
                     "(Decoder timestamp=)")


def int64_tensor(values, name) -> tf.Tensor:
  if isinstance(values, (list, tuple)) and not values:
    return tf.zeros([0], tf.int64)  # an empty batch (convert_to_tensor would make it float32)
  tensor = tf.convert_to_tensor(values)
  if not tensor.dtype.is_integer:
    raise TypeError(f"{name} must be integers, got dtype {tensor.dtype.name}")
  return tf.cast(tensor, tf.int64) if tensor.dtype != tf.int64 else tensor


def int64_vector(ids, name="ids") -> tf.Tensor:
  ids = int64_tensor(ids, name)
  if ids.shape.rank is not None and ids.shape.rank != 1:
    raise ValueError(f"{name} must be a vector of dense node indices, got shape {ids.shape}")
  return ids


def seed_tensor(seed) -> tf.Tensor:
  """A stateless seed: int64 [2] from a Python int or an integer tensor."""
  if seed is None:
    raise ValueError("seed is required: a Python int or an int64 tensor of shape [2]")
  if _is_int(seed):
    if not -2**63 <= int(seed) < 2**63:
      raise ValueError(f"seed must fit in int64, got {seed!r}")
    return tf.constant([int(seed), 0], tf.int64)
  tensor = int64_tensor(seed, "seed")
  if tensor.shape.rank is not None and tensor.shape != [2]:
    raise ValueError(f"seed must be an int or have shape [2], got shape {tensor.shape}")
  return tensor


def _before(before, ids, csr) -> tf.Tensor:
  """The op's `before` input: one time bound per id (an empty tensor means no filter)."""
  if before is None:
    return tf.zeros([0], tf.int64)
  _check_timed(csr)
  before = int64_tensor(before, "before")
  if before.shape.rank == 0:
    return tf.fill(tf.shape(ids), before)
  if before.shape.rank != 1:
    raise ValueError(f"before must be a scalar or a vector with one time per id, got shape "
                     f"{before.shape}")
  # The op reads an empty `before` as "no filter": a length mismatch must not become that.
  if before.shape[0] is not None and ids.shape[0] is not None:
    if before.shape[0] != ids.shape[0]:
      raise ValueError(f"before has {before.shape[0]} entries but there are {ids.shape[0]} "
                       "ids; give one time per id, or a scalar for all")
    return before
  check = tf.debugging.assert_equal(
      tf.size(before), tf.size(ids),
      message="before must have one time per id (or be a scalar for all)")
  with tf.control_dependencies([check]):
    return tf.identity(before)
