"""Updates of a built graph: new nodes, new edges, and expiring old edges.

An update reads its tables with the graph's decoders and validates them as
`build()` does (strict: an error naming file and line; lenient: dropped and
counted), encodes attributes with the graph's existing vocabularies (unknown
categories become 0, out of vocabulary), and only then changes the graph: a
failed update leaves the graph as it was. New edges may end at nodes added in
the same update. Edges between nodes of the graph are appended to its CSR tables
in place (`append_edges`: pipelines holding the tables sample them); an
update that adds nodes gives every edge type whose node types grew, or that
got edges, new CSR tables of the new sizes (`apply_update`). Either way rows
keep their neighbor order and new edges join them in the edge type's order
(latest first, heaviest first, or appended).
"""
from __future__ import annotations

import dataclasses
from typing import Mapping, Optional

import numpy as np
import tensorflow as tf

from tfgle.graph.builder import GraphBuilder, table_order
from tfgle.graph.stores import EdgeStore, NodeStore
from tfgle.ops.tables import CsrTable, IdMapTable, to_tensor

# Split column values that mean "in no split" (as the builder reads them).
_NO_SPLIT = ("", "none", "None", "NONE")


def apply_update(nodes: dict[str, NodeStore], edges: dict[str, EdgeStore], *,
                 node_sources: Mapping[str, object], edge_sources: Mapping[str, object],
                 strict: bool, max_dropped_rows: int, max_dropped_fraction: float,
                 load_report: dict) -> tuple[dict[str, NodeStore], dict[str, EdgeStore]]:
  """The graph's stores after adding `node_sources` (by node type) and `edge_sources`.

  Every edge type that got edges, or whose node types grew, gets new CSR
  tables. The inputs are not changed; the caller swaps in the returned stores.
  """
  builder = GraphBuilder({}, {}, strict=strict, max_dropped_rows=max_dropped_rows,
                         max_dropped_fraction=max_dropped_fraction, load_report=load_report)
  builder.nodes = dict(nodes)
  for node_type, source in node_sources.items():
    if node_type not in nodes:
      raise ValueError(f"unknown node type {node_type!r}; the graph has {list(nodes)}")
    builder.nodes[node_type] = _grow_nodes(builder, node_type, nodes[node_type], source)
  new_edges = _read_edges(builder, edges, edge_sources)
  grown = set(node_sources)
  out = dict(edges)
  for name, store in edges.items():
    base = store.reverse_of or name
    if base not in new_edges and store.edge_type.src not in grown and (
        store.edge_type.dst not in grown):
      continue
    added = None
    if base in new_edges:
      added = _added_columns(store, new_edges[base], both_ways=store.symmetric)
      store = _with_edge_features(store, new_edges[base])
    csr = rebuild_csr(store.csr, len(builder.nodes[store.edge_type.src].ids),
                      len(builder.nodes[store.edge_type.dst].ids), store.decoder, added=added)
    out[name] = dataclasses.replace(store, csr=csr, reverse_csr=None)
  return builder.nodes, out


def append_edges(nodes: dict[str, NodeStore], edges: dict[str, EdgeStore], *,
                 edge_sources: Mapping[str, object], strict: bool, max_dropped_rows: int,
                 max_dropped_fraction: float, load_report: dict) -> dict[str, EdgeStore]:
  """Adds edges between nodes of the graph in place; returns the graph's new edge stores.

  The new edges are appended to the CSR tables the graph has (and to their
  in-edge tables, if built): pipelines and samplers that hold the tables
  sample them from then on, each op call reading one whole version. Edge
  features grow alongside. Everything is read and validated before the first
  table changes. The tables' rows are those of a table built whole from all
  the edges (same `CsrTable.fingerprint()`), except for the place of a
  symmetric (undirected, one node type) table's new entries among the reverse
  ones, and the tie order of in-edge tables (derived, never saved).
  """
  builder = GraphBuilder({}, {}, strict=strict, max_dropped_rows=max_dropped_rows,
                         max_dropped_fraction=max_dropped_fraction, load_report=load_report)
  builder.nodes = dict(nodes)
  new_edges = _read_edges(builder, edges, edge_sources)
  out = dict(edges)
  for name, store in edges.items():
    new = new_edges.get(store.reverse_of or name)
    if new is None:
      continue
    # A table built symmetric adds the reverses itself; one built with both
    # directions in its rows (a snapshot's) takes them as edges.
    _append(store.csr, _added_columns(store, new,
                                      both_ways=store.symmetric and not store.csr.symmetric))
    if store.reverse_csr is not None:
      added = _added_columns(store, new, both_ways=store.symmetric)
      _append(store.reverse_csr, dict(added, src=added["dst"], dst=added["src"]))
    out[name] = _with_edge_features(store, new)
  return out


def _read_edges(builder: GraphBuilder, edges: dict[str, EdgeStore],
                edge_sources: Mapping[str, object]) -> dict[str, tuple]:
  """{declared edge type: (table, src, dst, encoded features)} of the edges to add."""
  new_edges = {}
  for name, source in edge_sources.items():
    if name not in edges or edges[name].reverse_of is not None:
      known = [n for n, e in edges.items() if e.reverse_of is None]
      raise ValueError(f"unknown edge type {name!r} to add edges to; the graph's declared edge "
                       f"types are {known}")
    store = edges[name]
    table, src, dst = builder.read_edges(name, store.decoder, store.edge_type, source)
    _, features = builder.encode_attrs(f"edge table {name!r}", store.decoder, table,
                                       attrs=store.attrs)
    new_edges[name] = (table, src, dst, features)
  return new_edges


def _added_columns(store: EdgeStore, new: tuple, *, both_ways: bool) -> dict:
  """{"src", "dst", "edge_ids", "weights", "timestamps"} of new edges in `store`'s direction.

  both_ways: also the reverse of each edge that is not a self-loop, after all
  the forward ones (where a symmetric table's build places them).
  """
  table, src, dst, _ = new
  if store.reverse_of is not None:
    src, dst = dst, src
  decoder = store.decoder
  num_old = store.num_table_edges
  added = {"src": src, "dst": dst,
           "edge_ids": np.arange(num_old, num_old + table.num_rows, dtype=np.int64),
           "weights": table.columns[decoder.weight] if decoder.weight else None,
           "timestamps": table.columns[decoder.timestamp] if decoder.timestamp else None}
  if both_ways:
    back = src != dst
    added = {k: None if v is None else np.concatenate([v, v[back]]) for k, v in added.items()}
    added["src"] = np.concatenate([src, dst[back]])
    added["dst"] = np.concatenate([dst, src[back]])
  return added


def _with_edge_features(store: EdgeStore, new: tuple) -> EdgeStore:
  """`store` with the new edges' rows: their features, and the edge table's row count."""
  table, _, _, features = new
  return dataclasses.replace(
      store, num_table_edges=store.num_table_edges + table.num_rows,
      features={n: tf.concat([store.features[n], features[n]], 0) for n in store.features})


def _append(csr: CsrTable, added: dict):
  csr.append(added["src"], added["dst"], edge_ids=added["edge_ids"], weights=added["weights"],
             timestamps=added["timestamps"])


def rebuild_csr(csr: CsrTable, num_src: int, num_dst: int, decoder, *,
                added: Optional[dict] = None) -> CsrTable:
  """A new CsrTable of the given sizes with `csr`'s edges and `added`.

  Rows keep their order; new edges join them in the edge type's order
  (`table_order`, which the new table keeps for later appends): after the old
  entries, or merged in by timestamp or weight, descending, after old entries
  of equal key.

  Args:
    csr: the current table.
    num_src, num_dst: the (grown) node counts.
    decoder: the edge type's decoder.
    added: {"src", "dst", "edge_ids", "weights", "timestamps"} of new edges.
  """
  nbrs, edge_ids, weights, times = csr.neighbors(tf.range(csr.num_src, dtype=tf.int64))
  columns = {
      "src": np.repeat(np.arange(csr.num_src, dtype=np.int64), np.diff(nbrs.row_splits.numpy())),
      "dst": nbrs.flat_values.numpy(), "edge_ids": edge_ids.flat_values.numpy(),
      "weights": None if weights is None else weights.flat_values.numpy(),
      "timestamps": None if times is None else times.flat_values.numpy()}
  if added is not None:
    columns = {k: None if v is None else np.concatenate([v, np.asarray(added[k], v.dtype)])
               for k, v in columns.items()}
  # The rows are already in the table's order, which a stable sort keeps; new
  # entries come after the old ones of equal key.
  return CsrTable(columns["src"], columns["dst"], num_src, num_dst,
                  edge_ids=columns["edge_ids"], weights=columns["weights"],
                  timestamps=columns["timestamps"], order=table_order(decoder), name=csr.name)


def _grow_nodes(builder: GraphBuilder, node_type: str, store: NodeStore, source) -> NodeStore:
  """`store` with the rows of `source` appended (ids must be new)."""
  what = f"node table {node_type!r}"
  decoder = store.decoder
  table = builder.read(what, source, decoder.columns("node"))
  raw = table.columns[decoder.id_column]
  num_old = int(store.ids.shape[0])
  if decoder.string_ids:
    strings = raw.astype(str)
    old = store.id_vocab.astype(str)
    clash = np.flatnonzero(np.isin(strings, old))
    ids = np.arange(num_old, num_old + len(raw), dtype=np.int64)
  else:
    strings = None
    ids = raw.astype(np.int64)
    clash = np.flatnonzero(store.id_map.lookup(ids, allow_missing=True).numpy() >= 0)
  if len(clash):
    row = int(clash[0])
    raise ValueError(f"{what}: node id {raw[row]!r} at {table.locate(row)} is already in the "
                     "graph; add_nodes adds new nodes only")
  keys = strings if strings is not None else ids
  unique, first = np.unique(keys, return_index=True)
  if len(unique) != len(keys):
    dup = sorted(set(range(len(keys))) - set(first.tolist()))[0]
    raise ValueError(f"{what}: duplicate node id {raw[dup]!r} at {table.locate(dup)}; node ids "
                     "must be unique")
  _, features = builder.encode_attrs(what, decoder, table, attrs=store.attrs)
  all_ids = np.concatenate([store.ids.numpy(), ids])
  splits = {name: rows.copy() for name, rows in store.splits.items()}
  if decoder.split:
    names = table.columns[decoder.split].astype(str)
    for name in np.unique(names):
      if name not in _NO_SPLIT:
        new_rows = np.flatnonzero(names == name).astype(np.int64) + num_old
        splits[str(name)] = np.concatenate([splits.get(str(name), np.zeros(0, np.int64)),
                                            new_rows])

  def grow(column, name, dtype):
    if column is None:
      return None
    return tf.concat([column, to_tensor(table.columns[name], dtype)], 0)
  contiguous = store.first_id is not None and np.array_equal(
      all_ids, np.arange(store.first_id, store.first_id + len(all_ids)))
  grown = dataclasses.replace(
      store, id_map=IdMapTable(all_ids), ids=to_tensor(all_ids, np.int64),
      features={n: tf.concat([store.features[n], features[n]], 0) for n in store.features},
      labels=grow(store.labels, decoder.label, np.int64),
      weights=grow(store.weights, decoder.weight, np.float32),
      timestamps=grow(store.timestamps, decoder.timestamp, np.int64),
      splits=splits,
      id_vocab=None if strings is None else np.concatenate(
          [store.id_vocab, raw.astype(object)]),
      first_id=store.first_id if contiguous else None)
  if strings is not None:
    grown.string_ids = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
        tf.constant(grown.id_vocab.astype(str)), tf.constant(all_ids)), default_value=-1)
  return grown
