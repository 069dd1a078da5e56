"""Heterogeneous SubGraph batches: sampled nodes of several types, with their typed edges.

A heterogeneous SubGraph is a dict
  {"node_sets": {node type: {"index": int64 [N_t] dense indices,
                             "ids": int64 [N_t] external ids,
                             <node feature>: [N_t, ...]}},
   "edge_sets": {edge type name: {"edge_index": int64 [2, E],
                                  "edge_ids": int64 [E]}},
   "num_seeds": int64 scalar}
The seeds are the first num_seeds nodes of the seed node type, in batch order.
Each node type lists its sampled nodes once. An edge set holds every edge of
its edge type (src -> dst) between sampled nodes (the induced edges, as
`subgraph_dataset` takes them, not only the edges the sampler followed). Its
edge_index is in the edge type's own direction: row 0 indexes the src type's
node list, row 1 the dst type's, and messages flow src -> dst, as in PyG's
HeteroData and in tensorflow-gnn (homogeneous SubGraphs instead give an edge
u -> v as the message v -> u: there both ends have one type). So the edge types
that bring messages to the seeds are those INTO the seed type: for user seeds
sampled along "buys" (user -> item), include "bought_by" (item -> user).

`hetero_graph_tensor` turns it into a `tfgnn.GraphTensor` with one node set
per node type and one edge set per edge type; `tfgle.layers.HeteroConv` runs
tfgle's SubGraph convs on it.
"""
from __future__ import annotations

import dataclasses
from typing import Mapping, Optional, Sequence, Union

import tensorflow as tf

from tfgle.data.ego_graph import _order, _seed_mask
from tfgle.data.subgraph import check_known, induced_edges
from tfgle.graph.graph import as_sampler
from tfgle.graph.stores import EdgeType

SEEDS = "seeds"  # the alias of the seeds in the sampling query


@dataclasses.dataclass(frozen=True)
class HeteroSpec:
  """What a model needs to know about heterogeneous SubGraph batches."""
  seed_type: str
  hops: tuple[tuple[tuple[EdgeType, int], ...], ...]  # per hop: (edge type, fanout) pairs
  node_types: tuple[str, ...]       # the seed type first, then in the order hops reach them
  edge_types: tuple[EdgeType, ...]  # the batches' edge sets

  @property
  def num_hops(self) -> int:
    return len(self.hops)


def _hop_items(i: int, hop) -> list:
  if not isinstance(hop, Mapping) or not hop:
    raise ValueError(f"hops[{i}] must be a non-empty dict edge type -> fanout, got {hop!r}")
  for name, k in hop.items():
    if not isinstance(k, int) or isinstance(k, bool) or k <= 0:
      raise ValueError(f"hops[{i}][{name!r}] = {k!r}: fanouts must be positive ints")
  return list(hop.items())


def hetero_spec(graph, hops: Sequence[Mapping[str, int]],
                edge_types: Optional[Sequence[str]] = None) -> HeteroSpec:
  """Checks heterogeneous sampling hops and returns their HeteroSpec.

  Example:
    spec = tfgle.data.hetero_spec(g, [{"buys": 10}, {"bought_by": 5, "similar": 5}])
    spec.seed_type   # "user"

  Args:
    graph: a built tfgle.Graph, or a tfgle.graph.Sampler of one.
    hops: one dict {edge type: fanout} per hop. Hop 1's edge types start at
      the seeds' node type; hop i's edge types start at node types that hop
      i - 1 reached, and each samples `fanout` neighbors of every node of its
      source type that hop i - 1 sampled.
    edge_types: the edge types of the batches' edge sets (names); both ends
      of each must be sampled node types. None: every edge type of `hops`.

  Raises:
    ValueError: no hops, a hop that is not a non-empty dict, a fanout that is
      not a positive int, an unknown edge type, hop 1 edge types that start at
      several node types, an edge type that starts at a node type the hop
      before did not reach, an edge type whose ends are not sampled types.
  """
  graph = as_sampler(graph).graph
  if isinstance(hops, Mapping) or not isinstance(hops, (list, tuple)) or not hops:
    raise ValueError(f"hops must be a non-empty list of dicts edge type -> fanout, one per "
                     f"hop, got {hops!r}")
  spec_hops, node_types = [], []
  reached = None
  for i, hop in enumerate(hops):
    pairs = []
    for name, k in _hop_items(i, hop):
      try:
        et = graph.edge_type(name)
      except ValueError as e:
        raise ValueError(f"hops[{i}]: {e}") from None
      pairs.append((et, k))
    if reached is None:
      starts = sorted({et.src for et, _ in pairs})
      if len(starts) != 1:
        raise ValueError(f"hops[0] must start at one node type (the seeds'), but its edge "
                         f"types start at {starts}")
      reached = starts
      node_types.append(starts[0])
    for et, _ in pairs:
      if et.src not in reached:
        raise ValueError(f"hops[{i}][{et.name!r}] goes {et.src!r} -> {et.dst!r}, but hop {i} "
                         f"starts from node types {reached} (those hop {i - 1} reached"
                         f"{'' if i else ': the seeds'})")
    reached = sorted({et.dst for et, _ in pairs})
    node_types.extend(t for t in (et.dst for et, _ in pairs) if t not in node_types)
    spec_hops.append(tuple(pairs))
  if edge_types is None:
    chosen = []
    for et in (et for hop in spec_hops for et, _ in hop):
      if et not in chosen:
        chosen.append(et)
  else:
    if isinstance(edge_types, str) or not isinstance(edge_types, (list, tuple)) or not edge_types:
      raise ValueError(f"edge_types must be a non-empty list of edge type names, got "
                       f"{edge_types!r}")
    chosen = []
    for name in edge_types:
      try:
        et = graph.edge_type(name)
      except ValueError as e:
        raise ValueError(f"edge_types: {e}") from None
      if et.src not in node_types or et.dst not in node_types:
        raise ValueError(f"edge_types: {et.name!r} goes {et.src!r} -> {et.dst!r}, but the hops "
                         f"sample node types {node_types} only")
      if et in chosen:
        raise ValueError(f"edge_types names {et.name!r} twice")
      chosen.append(et)
  return HeteroSpec(node_types[0], tuple(spec_hops), tuple(node_types), tuple(chosen))


def _feature_names(graph, spec: HeteroSpec, features) -> dict:
  """node type -> the feature names to gather (see hetero_subgraph_dataset)."""
  names = {}
  for node_type in spec.node_types:
    available = list(graph.feature_tensors(node_type))
    if features is None:
      names[node_type] = available
      continue
    if isinstance(features, Mapping):
      wanted = list(features.get(node_type, ()))
    elif isinstance(features, (list, tuple)):
      wanted = list(features)
    else:
      raise ValueError(f"features must be None, a list of names or a dict node type -> names, "
                       f"got {features!r}")
    check_known("features", f"node type {node_type!r}", "features", wanted, available)
    names[node_type] = wanted
  if isinstance(features, Mapping):
    unknown_types = sorted(set(features) - set(spec.node_types))
    if unknown_types:
      raise ValueError(f"features names node types {unknown_types} that the hops do not "
                       f"sample; they sample {list(spec.node_types)}")
  return names


def induced_hetero_subgraph(graph, spec: HeteroSpec, seeds: tf.Tensor,
                            index: Mapping[str, tf.Tensor], mask: Mapping[str, tf.Tensor],
                            features=None) -> dict:
  """The heterogeneous SubGraph of `seeds` and the masked node indices of each node type.

  Args:
    graph: a built tfgle.Graph, or a tfgle.graph.Sampler of one.
    spec: the HeteroSpec (node types, edge types) of the batch.
    seeds: int64 [B] dense indices of seed-type nodes: they come first in their
      node set; a seed given twice appears once, and num_seeds counts the
      distinct seeds.
    index: node type -> int64 dense indices (any shape) of the other sampled
      nodes; node types of `spec` it leaves out get only seeds or no nodes.
    mask: node type -> bool, the shape of index[node type]; False entries are
      ignored.
    features: as hetero_subgraph_dataset.

  Returns:
    A heterogeneous SubGraph (see the module docstring) with every edge of
    spec.edge_types between its nodes.
  """
  sampler = as_sampler(graph)
  graph = sampler.graph
  names = _feature_names(graph, spec, features)
  seeds = tf.reshape(tf.cast(seeds, tf.int64), [-1])
  num_seeds = tf.size(tf.unique(seeds)[0], out_type=tf.int64)
  nodes = {}
  for node_type in spec.node_types:
    valid = tf.zeros([0], tf.int64)
    if node_type in index:
      valid = tf.boolean_mask(tf.reshape(tf.cast(index[node_type], tf.int64), [-1]),
                              tf.reshape(mask[node_type], [-1]))
    if node_type == spec.seed_type:
      valid = tf.concat([seeds, valid], 0)
    nodes[node_type], _ = tf.unique(valid)  # first-appearance order keeps seeds first
  node_sets = {}
  for node_type, node_index in nodes.items():
    fields = {"index": node_index, "ids": sampler.gather_ids(node_type, node_index)}
    fields.update(sampler.gather_features(node_type, node_index, names[node_type]))
    node_sets[node_type] = fields
  edge_sets = {}
  for et in spec.edge_types:
    src, dst, edge_ids = induced_edges(sampler, et.name, nodes[et.src], nodes[et.dst])
    edge_sets[et.name] = {"edge_index": tf.stack([src, dst]), "edge_ids": edge_ids}
  return {"node_sets": node_sets, "edge_sets": edge_sets, "num_seeds": num_seeds}


def hetero_subgraph_dataset(graph, seeds=None, hops: Sequence[Mapping[str, int]] = (),
                            batch_size: int = 512, *, edge_types: Optional[Sequence[str]] = None,
                            label: bool = True, features=None, strategy: str = "random",
                            shuffle: Union[bool, str] = True, drop_remainder: bool = False,
                            seed: int = 0, graph_tensor: bool = False,
                            num_parallel_calls: Optional[int] = None,
                            deterministic: bool = True,
                            position: Optional[tuple] = None) -> tf.data.Dataset:
  """A tf.data.Dataset of (heterogeneous SubGraph, seed labels) batches.

  Samples from each batch of seeds hop by hop, several edge types per hop (as
  PyG's NeighborLoader over HeteroData), then yields the SubGraph of all
  sampled nodes, deduplicated per node type, with every edge of `edge_types`
  among them (see the module docstring).

  Example:
    ds = tfgle.data.hetero_subgraph_dataset(
        g, seeds="train", hops=[{"buys": 10}, {"bought_by": 5, "similar": 5}],
        batch_size=256)
    sub, labels = next(iter(ds))
    sub["node_sets"]["user"]["x"]            # [N_user, D]; the seeds first
    sub["edge_sets"]["bought_by"]["edge_index"]  # [2, E]: item positions, user positions

  Args:
    graph: a built tfgle.Graph, or a tfgle.graph.Sampler of one.
    seeds: the seed nodes, of the node type where hop 1 starts: None or that
      node type (all nodes), a split name, or external ids.
    hops: one dict {edge type: fanout} per hop (see hetero_spec): hop i
      samples `fanout` neighbors along each of its edge types from every node
      of the edge type's source type that hop i - 1 sampled (hop 1: the seeds).
    batch_size: seeds per batch.
    edge_types: the edge types of the edge sets (None: those of `hops`).
    label: yield (SubGraph, labels of the seeds [num_seeds]); False yields
      the SubGraph alone.
    features: node features to gather: None (all features of every type), a
      list of names (every sampled type must have them), or a dict node type
      -> names (types it leaves out get none).
    strategy: neighbor sampling strategy (see tfgle.ops.sample_neighbors).
    shuffle: True: each seed once per epoch, reshuffled every epoch; False: in
      order; "random": endless random seeds (drawn with replacement: a seed
      drawn twice into one batch appears once, and num_seeds counts it once).
    drop_remainder, seed, num_parallel_calls, deterministic, position: as
      ego_graph_dataset (same seed, same batches).
    graph_tensor: yield tfgnn.GraphTensor (hetero_graph_tensor) instead of the
      SubGraph dict.

  Returns:
    A tf.data.Dataset of (SubGraph or GraphTensor, int64 labels [num_seeds]),
    or of SubGraphs / GraphTensors.

  Raises:
    ValueError: bad hops or edge_types (see hetero_spec), unknown seeds split,
      unknown features, a bad shuffle.
  """
  sampler = as_sampler(graph)
  graph = sampler.graph
  spec = hetero_spec(graph, hops, edge_types)
  _feature_names(graph, spec, features)  # fails here, not in the pipeline
  query = sampler.V(spec.seed_type, mask=_seed_mask(graph, spec.seed_type, seeds))
  source = _order(query.batch(batch_size, drop_remainder), shuffle).alias(SEEDS)
  # A tree of GSL steps: hop i continues every hop i - 1 step of each edge type's source type.
  frontier, sampled = [(source, spec.seed_type, SEEDS)], []
  for hop in spec.hops:
    frontier = [(step.outV(et.name).sample(k).by(strategy).alias(f"{alias}/{et.name}"),
                 et.dst, f"{alias}/{et.name}")
                for step, node_type, alias in frontier for et, k in hop if et.src == node_type]
    sampled.extend((alias, node_type) for _, node_type, alias in frontier)
  ds = source.values(features=False, seed=seed, num_parallel_calls=num_parallel_calls,
                     deterministic=deterministic, position=position)
  if label:
    graph.labels(spec.seed_type)  # (a node type without labels fails here, naming it)

  def to_subgraph(values):
    index, mask = {}, {}
    for alias, node_type in sampled:
      index.setdefault(node_type, []).append(tf.reshape(values[alias]["index"], [-1]))
      mask.setdefault(node_type, []).append(tf.reshape(values[alias]["mask"], [-1]))
    sub = induced_hetero_subgraph(
        sampler, spec, values[SEEDS]["index"], {t: tf.concat(v, 0) for t, v in index.items()},
        {t: tf.concat(v, 0) for t, v in mask.items()}, features)
    out = hetero_graph_tensor(sub, spec.edge_types) if graph_tensor else sub
    if not label:
      return out
    seed_index = sub["node_sets"][spec.seed_type]["index"][:sub["num_seeds"]]
    return out, sampler.gather_labels(spec.seed_type, seed_index)
  return ds.map(to_subgraph, num_parallel_calls=num_parallel_calls or tf.data.AUTOTUNE,
                deterministic=deterministic)


def hetero_graph_tensor(sub: dict, edge_types: Sequence):
  """A tfgnn.GraphTensor of one heterogeneous SubGraph.

  One node set per node type (its "index", "ids" and features), one edge set
  per edge type (source: its src node set, target: its dst node set; feature
  "edge_ids") and the context feature "num_seeds" [1].

  Args:
    sub: a heterogeneous SubGraph (see the module docstring).
    edge_types: (src, dst, name) of each edge set (e.g. HeteroSpec.edge_types).

  Raises:
    ValueError: an edge set without an edge type in `edge_types`, or whose
      ends are not node sets of `sub`.
  """
  import tensorflow_gnn as tfgnn  # pylint: disable=g-import-not-at-top
  by_name = {tuple(et)[2]: tuple(et) for et in edge_types}
  node_sets = {}
  for node_type, fields in sub["node_sets"].items():
    node_sets[node_type] = tfgnn.NodeSet.from_fields(
        sizes=tf.shape(fields["index"], out_type=tf.int64)[:1], features=dict(fields))
  edge_sets = {}
  for name, fields in sub["edge_sets"].items():
    if name not in by_name:
      raise ValueError(f"hetero_graph_tensor: edge set {name!r} has no (src, dst, name) in "
                       f"edge_types {list(by_name.values())}")
    src, dst, _ = by_name[name]
    for end in (src, dst):
      if end not in node_sets:
        raise ValueError(f"hetero_graph_tensor: edge set {name!r} goes {src!r} -> {dst!r}, "
                         f"but the SubGraph has node sets {sorted(node_sets)}")
    edge_index = fields["edge_index"]
    edge_sets[name] = tfgnn.EdgeSet.from_fields(
        sizes=tf.shape(edge_index, out_type=tf.int64)[1:],
        features={k: v for k, v in fields.items() if k != "edge_index"},
        adjacency=tfgnn.Adjacency.from_indices(source=(src, edge_index[0]),
                                               target=(dst, edge_index[1])))
  return tfgnn.GraphTensor.from_pieces(
      context=tfgnn.Context.from_fields(
          features={"num_seeds": tf.reshape(sub["num_seeds"], [1])}),
      node_sets=node_sets, edge_sets=edge_sets)
