"""EgoGraph batches: dense per-hop samples around seed nodes (GLE's layout).

An EgoGraph for K hops with fanouts [k1, ..., kK] is a dict
  {"hop0": {...}, "hop1": {...}, ..., "hopK": {...}}
where hop i holds, with leading shape [B, k1, ..., ki] (hop0: [B]):
  "ids"   int64 external node ids (-1 where padded),
  "index" int64 dense node indices (0 where padded),
  "mask"  bool, False where padded (a node with fewer neighbors than the
          fanout, or under a padded parent),
  and one entry per node feature of hop i's node type.
With `edge_features=` hop i >= 1 also holds
  "edges" {name: the attribute of the edge that reached each node, with the
          hop's leading shape (+ [D] / [None]); 0, empty or "" where padded}.
With `before=` (temporal sampling) hop i >= 1 also holds, when asked
(`time_deltas=True`),
  "time_delta" int64 seed time minus the time of the edge that reached the
          node (> 0; 0 where padded), as TGAT's time encoding takes it.
Hop i aggregates hop i+1 in tfgle's Ego* layers. Plain nested dicts of tensors
pass through tf.data, `model.fit`, `tf.distribute` and SavedModel signatures
unchanged, which is why EgoGraph is not an ExtensionType.
"""
from __future__ import annotations

import dataclasses
from typing import Mapping, Optional, Sequence, Union

import numpy as np
import tensorflow as tf

from tfgle.graph.graph import as_sampler


# Features to gather: None (all), names, or node type -> names.
FeatureNames = Union[None, Sequence[str], Mapping[str, Sequence[str]]]


def hop_name(i: int) -> str:
  return f"hop{i}"


@dataclasses.dataclass(frozen=True)
class EgoSpec:
  """What a model needs to know about EgoGraph batches of one meta-path."""
  node_types: tuple[str, ...]     # node type of hop 0..K
  edge_types: tuple[str, ...]     # edge type followed into hop 1..K
  fanouts: tuple[int, ...]

  @property
  def num_hops(self) -> int:
    return len(self.fanouts)


def ego_spec(graph, node_type: str, meta_path: Sequence[str], fanouts: Sequence[int]) -> EgoSpec:
  """Checks a meta-path from `node_type` and returns its EgoSpec."""
  meta_path, fanouts = list(meta_path), list(fanouts)
  if not meta_path:
    raise ValueError("meta_path must name at least one edge type")
  if len(meta_path) != len(fanouts):
    raise ValueError(f"fanouts {fanouts} must have one entry per meta_path edge type "
                     f"{meta_path}")
  for k in fanouts:
    if not isinstance(k, int) or isinstance(k, bool) or k <= 0:
      raise ValueError(f"fanouts must be positive ints, got {fanouts!r}")
  node_types = [node_type]
  for i, name in enumerate(meta_path):
    et = graph.edge_type(name)
    if et.src != node_types[-1]:
      raise ValueError(f"meta_path[{i}] = {name!r} goes {et.src!r} -> {et.dst!r}, but hop {i} "
                       f"holds {node_types[-1]!r} nodes")
    node_types.append(et.dst)
  return EgoSpec(tuple(node_types), tuple(graph.edge_type(n).name for n in meta_path),
                 tuple(fanouts))


def seed_plan(graph, meta_path: Sequence[str], fanouts) -> tuple:
  """(sampler, graph, EgoSpec) of datasets whose seeds start `meta_path` (graph or Sampler)."""
  sampler = as_sampler(graph)
  graph = sampler.graph
  if not meta_path:
    raise ValueError("meta_path must name at least one edge type")
  node_type = graph.edge_type(meta_path[0]).src
  return sampler, graph, ego_spec(graph, node_type, meta_path, fanouts)


def _chain(query, spec: EgoSpec, prefix: str, strategy: str, before=None):
  """Continues `query` (already at hop 0, aliased) along the meta-path.

  `before`: None, an int bound, or the alias whose times bound every hop.
  """
  for i, (edge_type, k) in enumerate(zip(spec.edge_types, spec.fanouts), start=1):
    query = query.outV(edge_type).sample(k).by(strategy)
    if before is not None:
      query = query.before(before)
    query = query.alias(prefix + hop_name(i))
  return query


def _check_time_options(before, time_deltas, per_seed: str):
  """(int bound or None, per-seed bound or None) of before=; checks time_deltas."""
  if not isinstance(time_deltas, bool):
    raise ValueError(f"time_deltas must be True or False, got {time_deltas!r}")
  if time_deltas and before is None:
    raise ValueError("time_deltas=True needs before= (the seed times the deltas count from)")
  if before is None or (isinstance(before, (int, np.integer)) and not isinstance(before, bool)):
    return (None if before is None else int(before)), None
  return None, per_seed


def _time_entries(time_deltas: bool):
  """A map that drops the GSL time entries an EgoGraph does not keep."""
  drop = ("timestamp",) if time_deltas else ("timestamp", "time_delta")

  def strip(hop):
    return {k: v for k, v in hop.items() if k not in drop}
  return strip


def _seed_mask(graph, node_type, seeds):
  """GSL V() mask for `seeds`: None (all nodes), a split name, or ids."""
  if seeds is None or (isinstance(seeds, str) and seeds == node_type):
    return None
  if isinstance(seeds, str):
    if seeds not in graph.splits(node_type):
      raise ValueError(f"seeds {seeds!r} is neither node type {node_type!r} nor one of its "
                       f"splits {graph.splits(node_type)}")
    return seeds
  return seeds


def _features_arg(features, aliases, node_types):
  """values(features=...) of EgoGraph aliases whose hops have `node_types`."""
  if features is None:
    return True
  if isinstance(features, Mapping):
    return {alias: list(features.get(t, ())) for alias, t in zip(aliases, node_types)}
  return {alias: list(features) for alias in aliases}


# Edge features to gather: None (none), True (all), names, or edge type -> names.
EdgeFeatureNames = Union[None, bool, Sequence[str], Mapping[str, Sequence[str]]]


def _edge_features_arg(graph, edge_features, aliases, edge_types, followed=None):
  """values(edge_features=...) of the aliases of hops 1..K, reached along `edge_types`
  (`followed`: every edge type of the dataset's meta-paths, default edge_types)."""
  if edge_features is None or edge_features is False:
    return None
  if edge_features is True:
    names = [list(graph.edge_attrs(t)) for t in edge_types]
  elif isinstance(edge_features, Mapping):
    followed = set(edge_types if followed is None else followed)
    unknown = sorted(set(edge_features) - followed)
    if unknown:
      raise ValueError(f"edge_features names edge types {unknown} that the meta-path does not "
                       f"follow; it follows {sorted(followed)}")
    names = [list(edge_features.get(t, ())) for t in edge_types]
  elif isinstance(edge_features, (list, tuple)) and all(
      isinstance(n, str) for n in edge_features):
    names = [list(edge_features)] * len(edge_types)
  else:
    raise ValueError(f"edge_features must be None, True (all), a list of edge attribute names "
                     f"or a dict edge type -> names, got {edge_features!r}")
  return {alias: n for alias, n in zip(aliases, names) if n}


def ego_graph_dataset(graph, seeds=None, meta_path: Sequence[str] = (), fanouts=(),
                      batch_size: int = 512, *, label: bool = True,
                      features: FeatureNames = None, strategy: str = "random",
                      shuffle: Union[bool, str] = True, drop_remainder: bool = False, seed=0,
                      num_parallel_calls: Optional[int] = None, deterministic: bool = True,
                      shard: Optional[tuple] = None,
                      position: Optional[tuple] = None, before=None,
                      time_deltas: bool = False,
                      edge_features: EdgeFeatureNames = None) -> tf.data.Dataset:
  """A tf.data.Dataset of (EgoGraph, label) batches for node classification.

  Example:
    ds = tfgle.data.ego_graph_dataset(g, seeds="train", meta_path=["cites", "cites"],
                                      fanouts=[10, 5], batch_size=256)
    model.fit(ds, epochs=10)

    # Temporal: each user's latest 10 items before its query time, with time deltas.
    ds = tfgle.data.ego_graph_dataset(g, user_ids, ["rates", "rates_reverse"], [10, 5],
                                      before=query_times, strategy="topk",
                                      time_deltas=True)

  Args:
    graph: a built tfgle.Graph, or a tfgle.graph.Sampler of one (e.g. a
      tfgle.distribute.PartitionedGraph).
    seeds: the seed nodes: None or the node type (all nodes), a split name of
      the meta-path's first node type, or external ids.
    meta_path: edge types followed hop by hop.
    fanouts: neighbors sampled per node at each hop.
    batch_size: seeds per batch.
    label: yield (EgoGraph, seed labels); False yields EgoGraph alone.
    features: feature names to gather (None: all features of each hop's type),
      or a dict node type -> names (node types it leaves out get none).
    strategy: neighbor sampling strategy (see tfgle.ops.sample_neighbors).
    shuffle: True: each seed once per epoch, reshuffled every epoch; False: in
      order; "random": endless random seeds.
    drop_remainder, seed, num_parallel_calls, deterministic: see GSL values().
    shard: (index, count): this worker's disjoint shard of each epoch's seeds,
      with as many batches as every other shard (see GSL values();
      tfgle.distribute.ego_dataset_fn sets it from the input context).
    position: None: one epoch per iteration; (epoch, batch): an endless,
      exactly resumable stream from that position (see GSL values()).
    before: time bound of every hop (edges with timestamp < it; the meta-path's
      edge types need timestamps): None (no bound), an int for every seed, or
      one int per seed (each seed's query time, as PyG's `input_time`), in the
      order of the seeds: `seeds`' ids as given, else dense-index order.
      "topk" samples the latest edges before the bound.
    time_deltas: also yield hop i's "time_delta" (i >= 1): the seed's bound
      minus the time of the edge that reached each node (needs before=).
    edge_features: also yield hop i's "edges" (i >= 1): the attributes of the
      edge that reached each node. None: none; True: every attribute of each
      hop's edge type; a list of names (every hop's edge type must have
      them); a dict edge type -> names.

  Returns:
    A tf.data.Dataset of (EgoGraph, int64 labels [B]), or of EgoGraphs.

  Raises:
    ValueError: a bad argument (before= on edge types without timestamps, or
      per-seed times of another length than the seeds, name the step).
  """
  sampler, graph, spec = seed_plan(graph, meta_path, fanouts)
  node_type = spec.node_types[0]
  bound, _ = _check_time_options(before, time_deltas, hop_name(0))
  source = sampler.V(node_type, mask=_seed_mask(graph, node_type, seeds))
  if before is not None and bound is None:
    try:
      source.at(before)
    except ValueError as e:
      raise ValueError(f"before must be None, an int time or one int time per seed: {e}"
                       ) from None
    bound = hop_name(0)
  query = _order(source.batch(batch_size, drop_remainder), shuffle)
  _chain(query.alias(hop_name(0)), spec, "", strategy, bound)
  aliases = [hop_name(i) for i in range(spec.num_hops + 1)]
  ds = query.values(features=_features_arg(features, aliases, spec.node_types),
                    seed=seed, num_parallel_calls=num_parallel_calls,
                    deterministic=deterministic, shard=shard, position=position,
                    edge_features=_edge_features_arg(graph, edge_features, aliases[1:],
                                                     spec.edge_types))
  if before is not None:
    strip = _time_entries(time_deltas)
    ds = ds.map(lambda ego: {name: strip(hop) for name, hop in ego.items()})
  if not label:
    return ds
  graph.labels(node_type)  # (a node type without labels fails here, naming it)

  def split_label(ego):
    return ego, sampler.gather_labels(node_type, ego["hop0"]["index"])
  return ds.map(split_label)


def link_ego_graph_dataset(graph, edge_type, src_meta_path: Sequence[str] = (),
                           dst_meta_path: Sequence[str] = (), fanouts=(),
                           batch_size: int = 512, *, num_negatives: int = 5,
                           neg_strategy: str = "random", neg_condition=None,
                           neg_batch_share: bool = False, neg_unique: bool = False,
                           features: FeatureNames = None,
                           strategy: str = "random", shuffle: Union[bool, str] = True,
                           drop_remainder: bool = False, seed=0,
                           num_parallel_calls: Optional[int] = None,
                           deterministic: bool = True,
                           shard: Optional[tuple] = None,
                           position: Optional[tuple] = None, before=None,
                           time_deltas: bool = False,
                           edge_features: EdgeFeatureNames = None) -> tf.data.Dataset:
  """A tf.data.Dataset of {"src", "dst", "neg"} EgoGraphs for link prediction.

  Traverses the edges of `edge_type`; for each edge, "src" is the EgoGraph of
  its source, "dst" of its destination, and "neg" of `num_negatives` negative
  destinations per source (hop0 leading shape [B, num_negatives]) drawn by
  `neg_strategy`, excluding true neighbors. `neg_condition` makes them GLE's
  conditional negatives: shares of each row that match the edge's
  destination on categorical item attributes (GSL where()).

  Example:
    ds = tfgle.data.link_ego_graph_dataset(
        g, "buys", ["buys"], ["bought_by"], [10], batch_size=256, num_negatives=8,
        neg_condition={"genre": 0.5, "year": 0.25}, neg_unique=True)
    # batch["neg"]["hop0"]: [256, 8]; columns 0-3 share the genre of batch["dst"]["hop0"],
    # 4-5 its year, 6-7 are uniform; no negative repeats within a row.

  Temporal link prediction: with before="edge" every hop of the three
  EgoGraphs of an edge samples only edges older than that edge (timestamp <
  its timestamp), so no edge at or after it, the edge itself included, leaks
  into its prediction, as TGAT and PyG's LinkNeighborLoader(time_attr=) do.

  Example:
    ds = tfgle.data.link_ego_graph_dataset(
        g, "rates", ["rates", "rates_reverse"], ["rates_reverse", "rates"], [10, 5],
        before="edge", strategy="topk", time_deltas=True)

  Args:
    graph: a built tfgle.Graph, or a tfgle.graph.Sampler of one.
    edge_type: the edges to predict.
    src_meta_path, dst_meta_path: meta-paths sampled around sources and
      destinations (negatives use dst_meta_path).
    fanouts: neighbors per hop (shared by both meta-paths; equal lengths).
    batch_size: edges per batch.
    num_negatives: negatives per edge.
    neg_strategy: "random", "in_degree", "node_weight" (also the base
      distribution of neg_condition), or "conditional" (needs neg_condition;
      its base is "random").
    neg_condition: None, a single-valued categorical attribute of the
      destination node type (neg_strategy "conditional": every negative
      shares it with the destination), or a mapping attribute -> proportion
      (floor(num_negatives * proportion) negatives of each row share the
      attribute with the destination; proportions in (0, 1] summing to at
      most 1; see Sampler.sample_conditional_negatives).
    neg_batch_share: GLE's batch_share: no negative is the destination of any
      edge of the batch.
    neg_unique: no negative repeats within a row (entries that cannot be made
      unique are masked, as saturated rows are).
    before: time bound of every hop: None (no bound), an int for every edge,
      or "edge": each edge's own timestamp (edge_type and the meta-paths'
      edge types need timestamps).
    time_deltas: also yield hop i's "time_delta" (i >= 1) on every side: the
      bound minus the time of the edge that reached each node (needs before=).
    edge_features: also yield hop i's "edges" (i >= 1) on every side (see
      ego_graph_dataset).
    Other arguments (shard included) as ego_graph_dataset.

  Returns:
    A tf.data.Dataset of {"src", "dst", "neg"} EgoGraphs.

  Raises:
    ValueError: a bad argument (before= on edge types without timestamps
      names the step).
  """
  sampler = as_sampler(graph)
  graph = sampler.graph
  et = graph.edge_type(edge_type)
  src_spec = ego_spec(graph, et.src, src_meta_path, fanouts)
  dst_spec = ego_spec(graph, et.dst, dst_meta_path, fanouts)
  bound, per_edge = _check_time_options(before, time_deltas, "edge")
  if per_edge is not None and not (isinstance(before, str) and before == "edge"):
    raise ValueError(f"before must be None, an int time or 'edge' (each edge's own timestamp), "
                     f"got {before!r}")
  src_bound = dst_bound = bound
  if per_edge is not None:  # the endpoints carry their edge's timestamp
    src_bound, dst_bound = "src:" + hop_name(0), "dst:" + hop_name(0)
  query = _order(sampler.E(et.name).batch(batch_size, drop_remainder), shuffle)
  src = query.outV().alias("src:" + hop_name(0))
  _chain(src, src_spec, "src:", strategy, src_bound)
  _chain(query.inV().alias("dst:" + hop_name(0)), dst_spec, "dst:", strategy, dst_bound)
  neg = src.outNeg(et.name).sample(num_negatives).by(neg_strategy)
  neg = _negative_condition(neg, neg_strategy, neg_condition, neg_batch_share, neg_unique)
  neg = neg.alias("neg:" + hop_name(0))
  _chain(neg, dst_spec, "neg:", strategy, src_bound)
  hops = src_spec.num_hops + 1
  aliases = [f"{side}:{hop_name(i)}" for side in ("src", "dst", "neg") for i in range(hops)]
  types = src_spec.node_types + dst_spec.node_types * 2
  edges = {}
  for side, side_spec in (("src", src_spec), ("dst", dst_spec), ("neg", dst_spec)):
    side_aliases = [f"{side}:{hop_name(i)}" for i in range(1, hops)]
    edges.update(_edge_features_arg(graph, edge_features, side_aliases, side_spec.edge_types,
                                    src_spec.edge_types + dst_spec.edge_types) or {})
  ds = query.values(features=_features_arg(features, aliases, types), seed=seed,
                    num_parallel_calls=num_parallel_calls, deterministic=deterministic,
                    shard=shard, position=position, edge_features=edges or None)
  strip = _time_entries(time_deltas) if before is not None else (lambda hop: hop)

  def regroup(values):
    return {side: {hop_name(i): strip(values[f"{side}:{hop_name(i)}"]) for i in range(hops)}
            for side in ("src", "dst", "neg")}
  return ds.map(regroup)


def _negative_condition(neg, strategy, condition, batch_share, unique):
  """`neg` conditioned on the destinations ("dst:hop0") as link_ego_graph_dataset's options ask."""
  if condition is None:
    if strategy == "conditional":
      raise ValueError("neg_strategy 'conditional' needs neg_condition= (an attribute of the "
                       "destinations, or a mapping attribute -> proportion)")
    if not (batch_share or unique):
      return neg
    condition = {}
  if isinstance(condition, str) and strategy != "conditional":
    raise ValueError(f"neg_condition={condition!r} (every negative shares it) needs "
                     f"neg_strategy='conditional'; over neg_strategy={strategy!r} pass a "
                     f"mapping, e.g. {{{condition!r}: 1.0}}")
  try:
    return neg.where("dst:" + hop_name(0), condition, batch_share=batch_share, unique=unique)
  except ValueError as e:
    raise ValueError(f"neg_condition={condition!r}: {e}") from None


def _order(query, shuffle):
  if shuffle is True:
    return query.shuffle(traverse=True)
  if shuffle == "random":
    return query.shuffle(traverse=False)
  if shuffle is False:
    return query
  raise ValueError(f"shuffle must be True, False or 'random', got {shuffle!r}")
