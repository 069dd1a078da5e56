"""SubGraph batches: the sampled nodes, deduplicated, with their induced edges.

A SubGraph is a dict
  {"index": int64 [N] dense indices (the batch's seeds first, in seed order),
   "ids": int64 [N] external ids,
   "num_seeds": int64 scalar,
   "edge_index": int64 [2, E] local node positions: row 0 the message source,
                 row 1 the target (a node receives messages from the
                 neighbors it would sample: edge u -> v of the edge type
                 gives the message v -> u),
   "edge_ids": int64 [E],
   <node feature>: [N, ...] features,
   "edges": {<edge feature>: [E, ...]} (with edge_features=)}
`to_graph_tensor` turns it into a `tfgnn.GraphTensor`, so tensorflow-gnn's
Keras layers train on tfgle batches.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import tensorflow as tf

from tfgle.data.ego_graph import _order, _seed_mask, hop_name, seed_plan
from tfgle.graph.graph import as_sampler


def _edge_names(graph, edge_type: str, edge_features) -> list:
  """The edge attributes that edge_features= asks for (None/False: none, True: all)."""
  if edge_features is None or edge_features is False:
    return []
  available = list(graph.edge_attrs(edge_type))
  if edge_features is True:
    return available
  if isinstance(edge_features, str) or not isinstance(edge_features, (list, tuple)) or not all(
      isinstance(n, str) for n in edge_features):
    raise ValueError(f"edge_features must be None, True (all) or a list of edge attribute "
                     f"names, got {edge_features!r}")
  check_known("edge_features", f"edge type {edge_type!r}", "attributes", edge_features,
              available)
  return list(edge_features)


def check_known(argument: str, owner: str, noun: str, wanted, available) -> None:
  """Raises ValueError naming `argument` unless every name in `wanted` is `available`."""
  unknown = [n for n in wanted if n not in available]
  if unknown:
    raise ValueError(f"{argument}: {owner} has no {noun} {unknown}; it has {list(available)}")


def induced_subgraph(graph, edge_type: str, index: tf.Tensor, mask: tf.Tensor,
                     num_seeds, features: Optional[Sequence[str]] = None,
                     edge_features=None) -> dict:
  """The SubGraph induced by the masked entries of `index` (dense node indices).

  Args:
    graph: a built tfgle.Graph, or a tfgle.graph.Sampler of one.
    edge_type: an edge type whose two ends have the node type of `index`.
    index: int64 dense indices, any shape; the first `num_seeds` valid entries
      in row-major order should be the seeds.
    mask: bool, same shape; False entries are ignored.
    num_seeds: number of seeds (kept first).
    features: node features to gather (None: all).
    edge_features: edge attributes to gather into "edges" (None: none, True:
      all, or names).
  """
  sampler = as_sampler(graph)
  graph = sampler.graph
  et = graph.edge_type(edge_type)
  if et.src != et.dst:
    raise ValueError(f"induced_subgraph needs an edge type within one node type, got "
                     f"{et.name!r} ({et.src!r} -> {et.dst!r})")
  edge_names = _edge_names(graph, et.name, edge_features)
  valid = tf.boolean_mask(tf.reshape(index, [-1]), tf.reshape(mask, [-1]))
  nodes, _ = tf.unique(valid)  # first-appearance order keeps seeds first
  owner, neighbor, edge_ids = induced_edges(sampler, et.name, nodes, nodes)
  sub = {
      "index": nodes,
      "ids": sampler.gather_ids(et.src, nodes),
      "num_seeds": tf.cast(num_seeds, tf.int64),
      "edge_index": tf.stack([neighbor, owner]),
      "edge_ids": edge_ids,
  }
  sub.update(sampler.gather_features(et.src, nodes, features))
  if edge_names:
    if "edges" in sub:
      raise ValueError("induced_subgraph: the node feature 'edges' collides with the entry that "
                       "holds the edge features; leave it out of features")
    sub["edges"] = graph.edge_features(et.name, edge_ids, edge_names)
  return sub


def induced_edges(sampler, edge_type: str, src_nodes: tf.Tensor, dst_nodes: tf.Tensor):
  """The edges of `edge_type` from `src_nodes` to `dst_nodes` (distinct dense indices).

  Returns:
    (src positions, dst positions, edge ids), int64 [E] each: an edge u -> v
    with u = src_nodes[i] and v = dst_nodes[j] gives (i, j, its edge id),
    grouped by i in order. Either node list may be empty.
  """
  nbrs, edge_ids = sampler.sample_full_neighbors(edge_type, src_nodes)
  # Keep the neighbors that are in `dst_nodes`: binary search in the sorted set;
  # a neighbor past its end finds the sentinel -1, which matches no node.
  order = tf.cast(tf.argsort(dst_nodes), tf.int64)
  sorted_nodes = tf.gather(dst_nodes, order)
  flat = nbrs.flat_values
  pos = tf.searchsorted(sorted_nodes, flat, out_type=tf.int64)
  found = tf.gather(tf.concat([sorted_nodes, tf.constant([-1], tf.int64)], 0), pos)
  inside = found == flat
  src_positions = tf.boolean_mask(nbrs.value_rowids(), inside)
  dst_positions = tf.gather(order, tf.boolean_mask(pos, inside))
  return src_positions, dst_positions, tf.boolean_mask(edge_ids.flat_values, inside)


def to_graph_tensor(sub: dict, *, node_set: str = "nodes", edge_set: str = "edges"):
  """A tfgnn.GraphTensor of one SubGraph: node features, edges (their "edge_ids" and edge
  features) and `num_seeds` context."""
  import tensorflow_gnn as tfgnn  # pylint: disable=g-import-not-at-top
  reserved = ("edge_index", "edge_ids", "num_seeds", "edges")
  node_features = {k: v for k, v in sub.items() if k not in reserved}
  num_nodes = tf.shape(sub["index"], out_type=tf.int64)[:1]
  num_edges = tf.shape(sub["edge_ids"], out_type=tf.int64)[:1]
  return tfgnn.GraphTensor.from_pieces(
      context=tfgnn.Context.from_fields(
          features={"num_seeds": tf.reshape(sub["num_seeds"], [1])}),
      node_sets={node_set: tfgnn.NodeSet.from_fields(sizes=num_nodes,
                                                      features=node_features)},
      edge_sets={edge_set: tfgnn.EdgeSet.from_fields(
          sizes=num_edges, features={"edge_ids": sub["edge_ids"], **sub.get("edges", {})},
          adjacency=tfgnn.Adjacency.from_indices(
              source=(node_set, sub["edge_index"][0]),
              target=(node_set, sub["edge_index"][1])))})


def subgraph_dataset(graph, seeds=None, meta_path: Sequence[str] = (), fanouts=(),
                     batch_size: int = 512, *, edge_type: Optional[str] = None,
                     label: bool = True, features: Optional[Sequence[str]] = None,
                     strategy: str = "random", shuffle: Union[bool, str] = True,
                     drop_remainder: bool = False, seed: int = 0, graph_tensor: bool = False,
                     num_parallel_calls: Optional[int] = None,
                     deterministic: bool = True,
                     position: Optional[tuple] = None, edge_features=None) -> tf.data.Dataset:
  """A tf.data.Dataset of (SubGraph, seed labels) batches.

  Samples like ego_graph_dataset along a meta-path within one node type, then
  yields the induced subgraph of all sampled nodes (seeds first) along
  `edge_type` (default: the meta-path's first edge type).

  Args:
    graph, seeds, meta_path, fanouts, batch_size, strategy, shuffle,
      drop_remainder, seed, num_parallel_calls, deterministic, position: as
      ego_graph_dataset (graph: a tfgle.Graph or a Sampler of one).
    edge_type: the edges of the induced subgraph.
    label: yield (SubGraph, labels of the seeds); False yields SubGraph alone.
    features: node features to gather (None: all).
    graph_tensor: yield tfgnn.GraphTensor instead of the SubGraph dict.
    edge_features: edge attributes of `edge_type` to yield per edge, as
      "edges" {name: [E, ...]} (edge set features of a GraphTensor): None
      (none), True (all) or names.

  Returns:
    A tf.data.Dataset of (SubGraph or GraphTensor, int64 labels [B]), or of
    SubGraphs / GraphTensors.
  """
  sampler, graph, spec = seed_plan(graph, meta_path, fanouts)
  node_type = spec.node_types[0]
  if any(t != node_type for t in spec.node_types):
    raise ValueError(f"subgraph_dataset needs a meta-path within one node type, got hops of "
                     f"types {spec.node_types}")
  edge_type = edge_type or spec.edge_types[0]
  _edge_names(graph, graph.edge_type(edge_type).name, edge_features)  # bad names fail here
  query = sampler.V(node_type, mask=_seed_mask(graph, node_type, seeds))
  query = _order(query.batch(batch_size, drop_remainder), shuffle).alias(hop_name(0))
  for i, (et, k) in enumerate(zip(spec.edge_types, spec.fanouts), start=1):
    query = query.outV(et).sample(k).by(strategy).alias(hop_name(i))
  ds = query.values(features=False, seed=seed, num_parallel_calls=num_parallel_calls,
                    deterministic=deterministic, position=position)
  if label:
    graph.labels(node_type)  # (a node type without labels fails here, naming it)

  def to_subgraph(hops):
    hops = [hops[hop_name(i)] for i in range(spec.num_hops + 1)]
    index = tf.concat([tf.reshape(h["index"], [-1]) for h in hops], 0)
    mask = tf.concat([tf.reshape(h["mask"], [-1]) for h in hops], 0)
    num_seeds = tf.size(hops[0]["index"])
    sub = induced_subgraph(sampler, edge_type, index, mask, num_seeds, features,
                           edge_features)
    out = to_graph_tensor(sub) if graph_tensor else sub
    if not label:
      return out
    return out, sampler.gather_labels(node_type, hops[0]["index"])
  return ds.map(to_subgraph, num_parallel_calls=num_parallel_calls or tf.data.AUTOTUNE,
                deterministic=deterministic)
