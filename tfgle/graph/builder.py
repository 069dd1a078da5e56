"""Reading and validating declared tables into the stores of a built graph.

`GraphBuilder` is what `tfgle.Graph.build()` runs: it reads each declared
table (tfgle.graph.tables), checks ids and edge endpoints (strict: an error
naming table, file and line; lenient: dropped and counted in `load_report`),
encodes attributes and constructs the in-graph tables (id maps, CSR).
"""
from __future__ import annotations

from typing import Mapping, Optional

from absl import logging
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import tensorflow as tf

from tfgle.graph import encoding
from tfgle.graph import tables
from tfgle.graph.stores import EdgeDecl, EdgeStore, EdgeType, NodeDecl, NodeStore
from tfgle.ops.tables import CsrTable, IdMapTable, to_tensor

# Split column values that mean "in no split".
_NO_SPLIT = ("", "none", "None", "NONE")


class GraphBuilder:
  """Builds the node and edge stores of declared tables.

  Args:
    node_decls, edge_decls: the declared tables, by node type / edge type name.
    strict, max_dropped_rows, max_dropped_fraction: as tfgle.Graph.
    load_report: where dropped rows are counted: {table: {file: rows}}.
  """

  def __init__(self, node_decls: Mapping[str, NodeDecl], edge_decls: Mapping[str, EdgeDecl], *,
               strict: bool, max_dropped_rows: int, max_dropped_fraction: float = 1.0,
               load_report: dict):
    self._node_decls = node_decls
    self._edge_decls = edge_decls
    self._strict = strict
    self._max_dropped_rows = max_dropped_rows
    self._max_dropped_fraction = max_dropped_fraction
    self.load_report = load_report
    self.nodes: dict[str, NodeStore] = {}
    self.edges: dict[str, EdgeStore] = {}

  def build(self) -> tuple[dict[str, NodeStore], dict[str, EdgeStore]]:
    """Reads every table; returns the node and edge stores of the built graph."""
    if not self._node_decls:
      raise ValueError("the graph has no node types: declare them with Graph.node()")
    for decl in self._edge_decls.values():
      for end in ("src", "dst"):
        node_type = getattr(decl.edge_type, end)
        if node_type not in self._node_decls:
          raise ValueError(
              f"edge type {decl.edge_type.name!r}: {end} node type {node_type!r} has no node "
              f"table; declared node types: {sorted(self._node_decls)}")
    node_tables = {}
    for node_type, decl in self._node_decls.items():
      self.nodes[node_type], node_tables[node_type] = self._build_nodes(node_type, decl)
    for name, decl in self._edge_decls.items():
      self._build_edges(name, decl)
    # Node features last: the edge builds' temporary copies are gone by then,
    # which lowers the peak memory of large graphs.
    for node_type, table in node_tables.items():
      store = self.nodes[node_type]
      store.attrs, store.features = self.encode_attrs(
          f"node table {node_type!r}", store.decoder, table)
    del node_tables
    # The graph keeps its own copies: let the source tables (maybe large arrays) go.
    for decl in (*self._node_decls.values(), *self._edge_decls.values()):
      decl.source = None
    return self.nodes, self.edges


  def read(self, what: str, source, columns) -> tables.Table:
    try:
      table = tables.read_table(source, columns, strict=self._strict,
                                max_dropped_rows=self._max_dropped_rows,
                                max_dropped_fraction=self._max_dropped_fraction)
    except ValueError as e:
      raise ValueError(f"{what}: {e}") from None
    self._record_drops(what, table.dropped)
    return table

  def _record_drops(self, what: str, dropped: Mapping[str, int]):
    report = self.load_report.setdefault(what, {})
    for name, count in dropped.items():
      if count:
        report[name] = report.get(name, 0) + count
        logging.warning("%s: dropped %d malformed rows of %s", what, count, name)
    total = sum(report.values())
    if total > self._max_dropped_rows:
      raise ValueError(f"{what}: {total} rows dropped, more than max_dropped_rows="
                       f"{self._max_dropped_rows}: {report}")

  def _build_nodes(self, node_type: str, decl: NodeDecl) -> tuple[NodeStore, tables.Table]:
    """The node store without its attributes (see build()), and the node table."""
    what = f"node table {node_type!r}"
    decoder = decl.decoder
    table = self.read(what, decl.source, decoder.columns("node"))
    raw_ids = table.columns[decoder.id_column]
    id_vocab = None
    contiguous = False
    if decoder.string_ids:
      id_vocab = raw_ids.astype(object)
      unique, first = np.unique(id_vocab.astype(str), return_index=True)
      if len(unique) != len(id_vocab):
        dup = _first_duplicate(id_vocab.astype(str))
        raise ValueError(f"{what}: duplicate node id {id_vocab[dup]!r} at "
                         f"{table.locate(int(dup))}; node ids must be unique")
      ids = np.arange(table.num_rows, dtype=np.int64)
    else:
      ids = raw_ids
      contiguous = not len(ids) or bool(np.all(ids[1:] == ids[:-1] + 1))
      if not contiguous:
        sorted_ids = np.sort(ids)
        same = np.flatnonzero(sorted_ids[1:] == sorted_ids[:-1])
        if len(same):
          dup_id = sorted_ids[same[0]]
          rows = np.flatnonzero(ids == dup_id)
          raise ValueError(f"{what}: duplicate node id {int(dup_id)} at "
                           f"{table.locate(int(rows[0]))} and {table.locate(int(rows[1]))}; "
                           "node ids must be unique")
    id_map = IdMapTable(ids)
    store = NodeStore(
        decoder=decoder, id_map=id_map, ids=to_tensor(ids, np.int64), attrs={}, features={},
        labels=_optional_tensor(table, decoder.label, tf.int64),
        weights=_optional_tensor(table, decoder.weight, tf.float32),
        timestamps=_optional_tensor(table, decoder.timestamp, tf.int64),
        splits=_splits(table.columns[decoder.split]) if decoder.split else {},
        id_vocab=id_vocab,
        first_id=int(ids[0]) if len(ids) and not decoder.string_ids and contiguous else None)
    if decoder.string_ids:
      store.string_ids = tf.lookup.StaticHashTable(
          tf.lookup.KeyValueTensorInitializer(tf.constant(id_vocab.astype(str)),
                                              tf.constant(ids)), default_value=-1)
    return store, table

  def encode_attrs(self, what, decoder, table, attrs=None):
    """(resolved attribute specs, feature tensors) of a table's attributes.

    `attrs`: specs resolved earlier (an update encodes new rows with the
    graph's vocabularies; unknown categories become 0, out of vocabulary).
    """
    resolved = attrs
    attrs, features = {}, {}
    for name, spec in decoder.attrs.items():
      attrs[name] = (encoding.resolve_attr(spec, table.columns[name]) if resolved is None
                     else resolved[name])
      try:
        features[name] = encoding.encode_attr(name, attrs[name], table.columns[name])
      except ValueError as e:
        raise ValueError(f"{what}: attribute {name!r}: {e}") from None
    return attrs, features

  def _endpoint_indices(self, node_type: str, raw: np.ndarray) -> np.ndarray:
    """Dense indices of raw endpoint ids; -1 where the node table lacks the id.

    With contiguous node ids (the common 0..N-1) the indices are the ids, or the
    ids minus the first one: no lookup, and no copy of `raw` when all are known.
    """
    store = self.nodes[node_type]
    if store.id_vocab is not None:
      external = pc.index_in(pa.array(raw.astype(str)),
                             value_set=pa.array(store.id_vocab.astype(str)))
      return external.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    if store.first_id is not None:
      num_nodes = int(store.ids.shape[0])
      if len(raw) and store.first_id == 0 and raw.min() >= 0 and raw.max() < num_nodes:
        return raw
      indices = raw - store.first_id
      indices[(indices < 0) | (indices >= num_nodes)] = -1
      return indices
    return store.id_map.lookup(raw, allow_missing=True).numpy()

  def read_edges(self, name: str, decoder, edge_type: EdgeType, source):
    """Reads and checks an edge table: (table, src indices, dst indices) of its good rows.

    Endpoints must be nodes of the graph (as built or updated so far) and
    weights >= 0: a bad row is an error naming file and line (strict), or is
    dropped and counted (lenient).
    """
    what = f"edge table {name!r}"
    table = self.read(what, source, decoder.columns(
        "edge", src_string_ids=self.nodes[edge_type.src].decoder.string_ids,
        dst_string_ids=self.nodes[edge_type.dst].decoder.string_ids))
    src = self._endpoint_indices(edge_type.src, table.columns[decoder.src_column])
    dst = self._endpoint_indices(edge_type.dst, table.columns[decoder.dst_column])
    known = not len(src) or min(src.min(), dst.min()) >= 0  # (cheaper than the mask)
    bad = np.zeros(len(src), bool) if known else (src < 0) | (dst < 0)
    if decoder.weight and len(src):
      bad |= _bad_weight(table.columns[decoder.weight])
    if bad.any():
      first = int(np.argmax(bad))
      if self._strict:
        reason = _bad_edge_reason(decoder, edge_type, table, first, src, dst)
        raise ValueError(f"{what}: {table.locate(first)}: {reason}"
                         f" ({int(bad.sum())} such rows)")
      keep = np.flatnonzero(~bad)
      dropped = _rows_per_file(table, np.flatnonzero(bad))
      table, src, dst = table.take(keep), src[keep], dst[keep]
      self._record_drops(what, dropped)
    return table, src, dst

  def _build_edges(self, name: str, decl: EdgeDecl):
    decoder, edge_type = decl.decoder, decl.edge_type
    table, src, dst = self.read_edges(name, decoder, edge_type, decl.source)
    weights = table.columns[decoder.weight] if decoder.weight else None
    timestamps = table.columns[decoder.timestamp] if decoder.timestamp else None
    order = table_order(decoder)
    same_type = edge_type.src == edge_type.dst
    num_src = len(self.nodes[edge_type.src].ids)
    num_dst = len(self.nodes[edge_type.dst].ids)
    symmetric = not decl.directed and same_type
    csr = CsrTable(src, dst, num_src, num_dst, weights=weights, timestamps=timestamps,
                   symmetric=symmetric, order=order, name=name)
    attrs, features = self.encode_attrs(f"edge table {name!r}", decoder, table)
    self.edges[name] = EdgeStore(edge_type, decoder, csr, table.num_rows, attrs, features,
                                 symmetric=symmetric)
    if not decl.directed and not same_type:
      reverse = EdgeType(edge_type.dst, edge_type.src, f"{name}_reverse")
      reverse_csr = CsrTable(dst, src, num_dst, num_src, weights=weights,
                             timestamps=timestamps, order=order, name=reverse.name)
      self.edges[reverse.name] = EdgeStore(reverse, decoder, reverse_csr, table.num_rows,
                                            attrs, features, reverse_of=name)


def table_order(decoder) -> str:
  """The neighbor order of an edge type's CSR rows: latest first, heaviest first, or input."""
  if decoder.timestamp:
    return "timestamp"
  return "weight" if decoder.weight else "input"


def _bad_edge_reason(decoder, edge_type, table, row, src, dst) -> str:
  if src[row] < 0:
    value = table.columns[decoder.src_column][row]
    return f"src id {value!r} is not in node table {edge_type.src!r}"
  if dst[row] < 0:
    value = table.columns[decoder.dst_column][row]
    return f"dst id {value!r} is not in node table {edge_type.dst!r}"
  value = table.columns[decoder.weight][row]
  return (f"weight {value!r} is negative or subnormal; edge weights must be 0 or >= "
          f"{np.finfo(np.float32).tiny!r} (a subnormal weight could never be drawn)")


def _bad_weight(weights: np.ndarray) -> np.ndarray:
  """Negative weights, and subnormal float32 ones (TensorFlow flushes them to zero)."""
  return (weights < 0) | ((weights > 0) & (weights < np.finfo(np.float32).tiny))


def _first_duplicate(values: np.ndarray) -> int:
  seen = set()
  for i, value in enumerate(values):
    if value in seen:
      return i
    seen.add(value)
  return -1


def _rows_per_file(table: tables.Table, rows: np.ndarray) -> dict[str, int]:
  """How many of `rows` (sorted row indices) come from each file of `table`."""
  if not table.files:
    return {"<arrays>": len(rows)}
  ends = np.cumsum([len(lines) for _, lines in table.files])
  counts = np.bincount(np.searchsorted(ends, rows, side="right"), minlength=len(ends))
  return {name: int(count) for (name, _), count in zip(table.files, counts) if count}


def _optional_tensor(table: tables.Table, column: Optional[str], dtype) -> Optional[tf.Tensor]:
  return None if not column else to_tensor(table.columns[column], dtype.as_numpy_dtype)


def _splits(column: np.ndarray) -> dict[str, np.ndarray]:
  names = column.astype(str)
  return {str(name): np.flatnonzero(names == name).astype(np.int64)
          for name in np.unique(names) if name not in _NO_SPLIT}
