"""`tfgle.Graph`: declare node and edge tables, build the in-graph tables, look things up.

Example:
  g = (tfgle.Graph()
       .node("papers.tsv", node_type="paper",
             decoder=tfgle.Decoder(label="label", split="split",
                                   attrs={"words": tfgle.CategoricalAttr(multivalued=True)}))
       .edge("cites.tsv", edge_type=("paper", "paper", "cites"), directed=False)
       .build())
  g.num_nodes("paper"), g.num_edges("cites")
  g.neighbors("cites", [0, 1])          # tf.RaggedTensor of neighbor ids
  g.node_features("paper", [0, 1])      # {"words": tf.RaggedTensor of category ids}

Node ids are external int64 ids (string ids map to int64 through a vocabulary
kept with the graph). Inside, every node type numbers its nodes 0..N-1 (dense
indices, the node table's row order); the C++ tables and samplers work on
those, and `to_index` / `to_id` convert.
"""
from __future__ import annotations

import dataclasses
import hashlib
from typing import Any, Mapping, NamedTuple, Optional, Sequence, Union

from absl import logging
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import tensorflow as tf

from tfgle.graph import encoding
from tfgle.graph import schema
from tfgle.graph import tables
from tfgle.ops.tables import CsrTable, IdMapTable, to_tensor

# Split column values that mean "in no split".
_NO_SPLIT = ("", "none", "None", "NONE")


class EdgeType(NamedTuple):
  """An edge type: edges of name `name` go from `src` nodes to `dst` nodes."""
  src: str
  dst: str
  name: str


class Neighbors(NamedTuple):
  """All neighbors of a batch of nodes, as ragged rows [B, None]."""
  ids: tf.RaggedTensor
  edge_ids: tf.RaggedTensor
  weights: Optional[tf.RaggedTensor]
  timestamps: Optional[tf.RaggedTensor]


@dataclasses.dataclass
class _NodeDecl:
  source: Any
  decoder: schema.Decoder


@dataclasses.dataclass
class _EdgeDecl:
  source: Any
  edge_type: EdgeType
  decoder: schema.Decoder
  directed: bool


@dataclasses.dataclass
class NodeStore:
  """What a built graph keeps of one node type."""
  decoder: schema.Decoder
  id_map: IdMapTable
  ids: tf.Tensor                       # int64 [N]: external id of each dense index
  attrs: dict[str, schema.Attr]        # resolved specs (learned vocabularies filled in)
  features: dict[str, encoding.Feature]
  labels: Optional[tf.Tensor]          # int64 [N]
  weights: Optional[tf.Tensor]         # float32 [N]
  timestamps: Optional[tf.Tensor]      # int64 [N]
  splits: dict[str, np.ndarray]        # split name -> sorted dense indices
  id_vocab: Optional[np.ndarray]       # string ids: the string of each external id
  string_ids: Optional[tf.lookup.StaticHashTable] = None
  first_id: Optional[int] = None       # ids are first_id, first_id + 1, ... (no lookup needed)


@dataclasses.dataclass
class EdgeStore:
  """What a built graph keeps of one edge type."""
  edge_type: EdgeType
  decoder: schema.Decoder
  csr: CsrTable
  num_table_edges: int                 # rows of the edge table (ids are in [0, this))
  attrs: dict[str, schema.Attr]
  features: dict[str, encoding.Feature]  # indexed by edge id
  reverse_of: Optional[str] = None     # name of the edge type this one reverses
  reverse_csr: Optional[CsrTable] = None  # in-edges, built on first use


class Graph:
  """A heterogeneous graph: declare tables with `node()`/`edge()`, then `build()`.

  Args:
    strict: a malformed row, a dangling edge endpoint or a bad value is an
      error naming the table, file and line. With strict=False such rows are
      dropped, counted per file (`load_report`) and logged.
    max_dropped_rows: lenient mode still fails when one table drops more rows.
  """

  def __init__(self, *, strict: bool = True, max_dropped_rows: int = 1000):
    if not isinstance(max_dropped_rows, int) or max_dropped_rows < 0:
      raise ValueError(f"max_dropped_rows must be an int >= 0, got {max_dropped_rows!r}")
    self._strict = strict
    self._max_dropped_rows = max_dropped_rows
    self._node_decls: dict[str, _NodeDecl] = {}
    self._edge_decls: dict[str, _EdgeDecl] = {}
    self._nodes: dict[str, NodeStore] = {}
    self._edges: dict[str, EdgeStore] = {}
    self._built = False
    self._fingerprint: Optional[str] = None
    self.load_report: dict[str, dict[str, int]] = {}

  # ------------------------------------------------------------ declaration

  def node(self, source: tables.Source, *, node_type: str,
           decoder: Optional[schema.Decoder] = None) -> "Graph":
    """Declares the node table of `node_type` (returns self, for chaining)."""
    self._check_not_built()
    _check_name("node_type", node_type)
    if node_type in self._node_decls:
      raise ValueError(f"node type {node_type!r} is declared twice")
    self._node_decls[node_type] = _NodeDecl(source, decoder or schema.Decoder())
    return self

  def edge(self, source: tables.Source, *, edge_type: Sequence[str],
           decoder: Optional[schema.Decoder] = None, directed: bool = True) -> "Graph":
    """Declares the edge table of `edge_type` = (src_type, dst_type, name).

    directed=False adds every edge's reverse: into the same edge type when both
    ends have one node type, else into a new edge type `<name>_reverse`.
    """
    self._check_not_built()
    if (not isinstance(edge_type, (tuple, list)) or len(edge_type) != 3 or
        not all(isinstance(part, str) and part for part in edge_type)):
      raise ValueError(
          f"edge_type must be a (src_type, dst_type, name) tuple of names, got {edge_type!r}")
    edge_type = EdgeType(*edge_type)
    taken = set(self._edge_decls) | {
        f"{d.edge_type.name}_reverse" for d in self._edge_decls.values()
        if not d.directed and d.edge_type.src != d.edge_type.dst}
    if edge_type.name in taken:
      raise ValueError(f"edge type name {edge_type.name!r} is declared twice")
    decoder = decoder or schema.Decoder()
    if decoder.split:
      raise ValueError(f"edge type {edge_type.name!r}: Decoder split= applies to node tables")
    self._edge_decls[edge_type.name] = _EdgeDecl(source, edge_type, decoder, directed)
    return self

  def build(self) -> "Graph":
    """Reads every table and builds the in-graph tables. Returns self."""
    self._check_not_built()
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
      self._nodes[node_type], node_tables[node_type] = self._build_nodes(node_type, decl)
    for name, decl in self._edge_decls.items():
      self._build_edges(name, decl)
    # Node features last: the edge builds' temporary copies are gone by then,
    # which lowers the peak memory of large graphs.
    for node_type, table in node_tables.items():
      store = self._nodes[node_type]
      store.attrs, store.features = self._encode_attrs(
          f"node table {node_type!r}", store.decoder, table)
    del node_tables
    # The graph keeps its own copies: let the source tables (maybe large arrays) go.
    for decl in (*self._node_decls.values(), *self._edge_decls.values()):
      decl.source = None
    self._built = True
    return self

  # ------------------------------------------------------------ building

  def _read(self, what: str, source, columns) -> tables.Table:
    try:
      table = tables.read_table(source, columns, strict=self._strict,
                                max_dropped_rows=self._max_dropped_rows)
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

  def _build_nodes(self, node_type: str, decl: _NodeDecl) -> tuple[NodeStore, tables.Table]:
    """The node store without its attributes (see build()), and the node table."""
    what = f"node table {node_type!r}"
    decoder = decl.decoder
    table = self._read(what, decl.source, decoder.columns("node"))
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

  def _encode_attrs(self, what, decoder, table):
    attrs, features = {}, {}
    for name, spec in decoder.attrs.items():
      attrs[name] = encoding.resolve_attr(spec, table.columns[name])
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
    store = self._nodes[node_type]
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

  def _build_edges(self, name: str, decl: _EdgeDecl):
    what = f"edge table {name!r}"
    decoder, edge_type = decl.decoder, decl.edge_type
    table = self._read(what, decl.source, decoder.columns(
        "edge", src_string_ids=self._node_decls[edge_type.src].decoder.string_ids,
        dst_string_ids=self._node_decls[edge_type.dst].decoder.string_ids))
    src = self._endpoint_indices(edge_type.src, table.columns[decoder.src_column])
    dst = self._endpoint_indices(edge_type.dst, table.columns[decoder.dst_column])
    known = not len(src) or min(src.min(), dst.min()) >= 0  # (cheaper than the mask)
    bad = np.zeros(len(src), bool) if known else (src < 0) | (dst < 0)
    if decoder.weight and len(src) and table.columns[decoder.weight].min() < 0:
      bad |= table.columns[decoder.weight] < 0
    if bad.any():
      first = int(np.argmax(bad))
      if self._strict:
        raise ValueError(f"{what}: {table.locate(first)}: {self._bad_edge_reason(decl, table, first, src, dst)}"
                         f" ({int(bad.sum())} such rows)")
      keep = np.flatnonzero(~bad)
      dropped = _rows_per_file(table, np.flatnonzero(bad))
      table, src, dst = table.take(keep), src[keep], dst[keep]
      self._record_drops(what, dropped)
    weights = table.columns[decoder.weight] if decoder.weight else None
    timestamps = table.columns[decoder.timestamp] if decoder.timestamp else None
    order = "timestamp" if timestamps is not None else (
        "weight" if weights is not None else "input")
    same_type = edge_type.src == edge_type.dst
    num_src = len(self._nodes[edge_type.src].ids)
    num_dst = len(self._nodes[edge_type.dst].ids)
    csr = CsrTable(src, dst, num_src, num_dst, weights=weights, timestamps=timestamps,
                   symmetric=not decl.directed and same_type, order=order)
    attrs, features = self._encode_attrs(what, decoder, table)
    self._edges[name] = EdgeStore(edge_type, decoder, csr, table.num_rows, attrs, features)
    if not decl.directed and not same_type:
      reverse = EdgeType(edge_type.dst, edge_type.src, f"{name}_reverse")
      reverse_csr = CsrTable(dst, src, num_dst, num_src, weights=weights,
                             timestamps=timestamps, order=order)
      self._edges[reverse.name] = EdgeStore(reverse, decoder, reverse_csr, table.num_rows,
                                            attrs, features, reverse_of=name)

  def _bad_edge_reason(self, decl, table, row, src, dst) -> str:
    decoder, edge_type = decl.decoder, decl.edge_type
    if src[row] < 0:
      value = table.columns[decoder.src_column][row]
      return f"src id {value!r} is not in node table {edge_type.src!r}"
    if dst[row] < 0:
      value = table.columns[decoder.dst_column][row]
      return f"dst id {value!r} is not in node table {edge_type.dst!r}"
    value = table.columns[decoder.weight][row]
    return f"weight {value!r} is negative; edge weights must be >= 0"

  # ------------------------------------------------------------ schema

  def _check_not_built(self):
    if self._built:
      raise RuntimeError("the graph is already built; declare tables before build()")

  def _check_built(self):
    if not self._built:
      raise RuntimeError("the graph is not built yet: call build() first")

  def _node_store(self, node_type: str) -> NodeStore:
    self._check_built()
    if node_type not in self._nodes:
      raise ValueError(f"unknown node type {node_type!r}; the graph has {self.node_types}")
    return self._nodes[node_type]

  def _edge_store(self, edge_type: Union[str, Sequence[str]]) -> EdgeStore:
    self._check_built()
    name = edge_type if isinstance(edge_type, str) else (
        edge_type[2] if len(edge_type) == 3 else None)
    store = self._edges.get(name)
    if store is None or (not isinstance(edge_type, str) and
                         tuple(edge_type) != tuple(store.edge_type)):
      raise ValueError(f"unknown edge type {edge_type!r}; the graph has "
                       f"{[tuple(e) for e in self.edge_types]}")
    return store

  @property
  def node_types(self) -> list[str]:
    """Names of the node types, in declaration order."""
    self._check_built()
    return list(self._nodes)

  @property
  def edge_types(self) -> list[EdgeType]:
    """The edge types (reverse types of undirected edges included)."""
    self._check_built()
    return [store.edge_type for store in self._edges.values()]

  def edge_type(self, edge_type: Union[str, Sequence[str]]) -> EdgeType:
    """The full EdgeType of an edge type name."""
    return self._edge_store(edge_type).edge_type

  def num_nodes(self, node_type: str) -> int:
    return int(self._node_store(node_type).ids.shape[0])

  def num_edges(self, edge_type: Union[str, Sequence[str]]) -> int:
    """Number of directed edges (an undirected same-type edge counts twice)."""
    return self._edge_store(edge_type).csr.num_edges

  def node_attrs(self, node_type: str) -> dict[str, schema.Attr]:
    """Attribute specs of a node type, learned vocabularies filled in."""
    return dict(self._node_store(node_type).attrs)

  def edge_attrs(self, edge_type) -> dict[str, schema.Attr]:
    return dict(self._edge_store(edge_type).attrs)

  def splits(self, node_type: str) -> list[str]:
    """Names of the node splits of `node_type`."""
    return sorted(self._node_store(node_type).splits)

  # ------------------------------------------------------------ ids

  def node_ids(self, node_type: str) -> tf.Tensor:
    """External ids of all nodes of `node_type`, in dense-index order."""
    return self._node_store(node_type).ids

  def to_index(self, node_type: str, ids) -> tf.Tensor:
    """Dense indices of external ids (InvalidArgumentError on unknown ids)."""
    return self._node_store(node_type).id_map.lookup(ids)

  def to_id(self, node_type: str, indices) -> Union[tf.Tensor, tf.RaggedTensor]:
    """External ids of dense indices (also ragged)."""
    ids = self._node_store(node_type).ids
    if isinstance(indices, tf.RaggedTensor):
      return indices.with_flat_values(tf.gather(ids, indices.flat_values))
    return tf.gather(ids, indices)

  def ids_of_strings(self, node_type: str, strings) -> tf.Tensor:
    """int64 ids of string node ids (node types with string ids only)."""
    store = self._node_store(node_type)
    if store.string_ids is None:
      raise ValueError(f"node type {node_type!r} does not have string ids")
    strings = tf.convert_to_tensor(strings, tf.string)
    ids = store.string_ids.lookup(strings)
    unknown = tf.boolean_mask(strings, ids < 0)
    check = tf.debugging.Assert(
        tf.equal(tf.size(unknown), 0),
        [f"unknown string ids of node type {node_type!r} (up to 10):", unknown[:10]])
    with tf.control_dependencies([check]):
      return tf.identity(ids)

  def has_string_ids(self, node_type: str) -> bool:
    """Whether `node_type`'s ids are strings (mapped to int64 by the graph)."""
    return self._node_store(node_type).id_vocab is not None

  def id_strings(self, node_type: str, ids) -> np.ndarray:
    """String ids of int64 ids (node types with string ids only)."""
    store = self._node_store(node_type)
    if store.id_vocab is None:
      raise ValueError(f"node type {node_type!r} does not have string ids")
    return store.id_vocab[self.to_index(node_type, ids).numpy()]

  # ------------------------------------------------------------ lookups

  def degree(self, edge_type, ids, direction: str = "out") -> tf.Tensor:
    """Out-degree of source-type ids or in-degree of destination-type ids."""
    store = self._edge_store(edge_type)
    if direction not in ("out", "in"):
      raise ValueError(f"direction must be 'out' or 'in', got {direction!r}")
    node_type = store.edge_type.src if direction == "out" else store.edge_type.dst
    return store.csr.degree(self.to_index(node_type, ids), direction)

  def neighbors(self, edge_type, ids) -> Neighbors:
    """All out-neighbors of `ids` (source-type external ids), as external ids."""
    store = self._edge_store(edge_type)
    nbrs, eids, weights, times = store.csr.neighbors(self.to_index(store.edge_type.src, ids))
    return Neighbors(self.to_id(store.edge_type.dst, nbrs), eids, weights, times)

  def node_features(self, node_type: str, ids, names: Optional[Sequence[str]] = None
                    ) -> dict[str, encoding.Feature]:
    """Feature tensors of `ids` (all attributes, or those in `names`)."""
    store = self._node_store(node_type)
    return _gather_features(store.features, self.to_index(node_type, ids), names,
                            f"node type {node_type!r}")

  def edge_features(self, edge_type, edge_ids, names: Optional[Sequence[str]] = None
                    ) -> dict[str, encoding.Feature]:
    """Feature tensors of edges by edge id (the row of the edge table)."""
    store = self._edge_store(edge_type)
    edge_ids = tf.convert_to_tensor(edge_ids, tf.int64)
    tf.debugging.assert_less(edge_ids, tf.constant(store.num_table_edges, tf.int64),
                             message=f"edge id out of range for {store.edge_type.name!r}")
    tf.debugging.assert_non_negative(edge_ids, message="edge ids must be >= 0")
    return _gather_features(store.features, edge_ids, names,
                            f"edge type {store.edge_type.name!r}")

  def labels(self, node_type: str, ids=None) -> tf.Tensor:
    """Labels of `ids` (all nodes when None)."""
    store = self._node_store(node_type)
    if store.labels is None:
      raise ValueError(f"node type {node_type!r} has no label column (Decoder label=)")
    if ids is None:
      return store.labels
    return tf.gather(store.labels, self.to_index(node_type, ids))

  def node_weights(self, node_type: str) -> tf.Tensor:
    """The weight column of a node type, float32 [N] in dense-index order."""
    store = self._node_store(node_type)
    if store.weights is None:
      raise ValueError(f"node type {node_type!r} has no weight column (Decoder weight=)")
    return store.weights

  def split(self, node_type: str, name: str) -> tf.Tensor:
    """External ids of the nodes in split `name` (e.g. "train"), ascending index order."""
    return self.to_id(node_type, self.split_indices(node_type, name))

  def split_indices(self, node_type: str, name: str) -> tf.Tensor:
    """Dense indices of the nodes in split `name`."""
    store = self._node_store(node_type)
    if name not in store.splits:
      raise ValueError(f"node type {node_type!r} has no split {name!r}; it has "
                       f"{sorted(store.splits)}")
    return tf.constant(store.splits[name], tf.int64)

  def add_split(self, node_type: str, name: str, ids) -> "Graph":
    """Defines (or replaces) split `name` of `node_type` from external ids."""
    store = self._node_store(node_type)
    _check_name("split name", name)
    store.splits[name] = np.unique(self.to_index(node_type, ids).numpy())
    self._fingerprint = None
    return self

  def fingerprint(self) -> str:
    """A hash of the graph's content: ids, features, labels, splits and topology.

    Pipelines whose iterators are checkpointed store it (tfgle.data.
    IteratorCheckpoint) so that a restore onto a different graph is refused.
    """
    self._check_built()
    if self._fingerprint is None:
      digest = hashlib.blake2b(digest_size=16)
      def add(value):
        if isinstance(value, tf.RaggedTensor):
          add(value.flat_values)
          add(value.row_splits)
        elif isinstance(value, (tf.Tensor, np.ndarray)):
          array = np.asarray(value)
          digest.update(f"{array.dtype}{array.shape}".encode())
          digest.update(array.astype(str).astype(bytes) if array.dtype.kind in "OUS"
                        else np.ascontiguousarray(array))
        else:
          digest.update(repr(value).encode())
      for node_type, store in self._nodes.items():
        add(node_type)
        add(store.ids)
        for name in sorted(store.features):
          add(name)
          add(store.features[name])
        for column in (store.labels, store.weights, store.timestamps):
          add(column if column is not None else "none")
        for name in sorted(store.splits):
          add(name)
          add(store.splits[name])
      for name, store in self._edges.items():
        add((tuple(store.edge_type), store.csr.fingerprint()))
        for feature in sorted(store.features):
          add(feature)
          add(store.features[feature])
      self._fingerprint = digest.hexdigest()
    return self._fingerprint

  # ------------------------------------------------------------ GSL sources

  def V(self, node_type: str, mask=None):  # pylint: disable=invalid-name
    """A GSL query over vertices of `node_type` (mask: a split name or ids)."""
    from tfgle.gsl.query import Query  # pylint: disable=g-import-not-at-top
    self._check_built()
    return Query.vertices(self, node_type, mask)

  def E(self, edge_type, reverse: bool = False):  # pylint: disable=invalid-name
    """A GSL query over the edges of `edge_type` (reverse: dst -> src)."""
    from tfgle.gsl.query import Query  # pylint: disable=g-import-not-at-top
    self._check_built()
    return Query.edges(self, edge_type, reverse)

  # ------------------------------------------------------------ in-graph tables

  def id_map(self, node_type: str) -> IdMapTable:
    """The id -> dense index table of a node type (for custom ops)."""
    return self._node_store(node_type).id_map

  def csr(self, edge_type, reverse: bool = False) -> CsrTable:
    """The CSR table of an edge type (for custom ops).

    reverse=True gives the in-edge CSR (dst -> src, same edge ids, weights and
    timestamps), built on first use from the forward one.
    """
    store = self._edge_store(edge_type)
    if not reverse:
      return store.csr
    if store.reverse_csr is None:
      csr = store.csr
      # Built eagerly even when first asked for while tracing a tf.function.
      with tf.init_scope():
        nbrs, eids, weights, times = csr.neighbors(tf.range(csr.num_src, dtype=tf.int64))
        src = nbrs.value_rowids()
        order = "timestamp" if times is not None else ("weight" if weights is not None
                                                       else "input")
        store.reverse_csr = CsrTable(
            nbrs.flat_values, src, csr.num_dst, csr.num_src, edge_ids=eids.flat_values,
            weights=None if weights is None else weights.flat_values,
            timestamps=None if times is None else times.flat_values, order=order)
    return store.reverse_csr

  def feature_tensors(self, node_type: str) -> dict[str, encoding.Feature]:
    """All feature tensors of a node type, indexed by dense index."""
    return dict(self._node_store(node_type).features)

  def __repr__(self):
    if not self._built:
      return (f"tfgle.Graph(unbuilt: node types {list(self._node_decls)}, "
              f"edge types {list(self._edge_decls)})")
    nodes = ", ".join(f"{t}: {self.num_nodes(t)}" for t in self._nodes)
    edges = ", ".join(f"{e.name} ({e.src}->{e.dst}): {self.num_edges(e.name)}"
                      for e in self.edge_types)
    return f"tfgle.Graph(nodes {{{nodes}}}, edges {{{edges}}})"


def _check_name(what: str, name: Any):
  if not isinstance(name, str) or not name:
    raise ValueError(f"{what} must be a non-empty string, got {name!r}")


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


def _gather_features(features, indices, names, what):
  if names is None:
    names = list(features)
  unknown = [n for n in names if n not in features]
  if unknown:
    raise ValueError(f"{what} has no attributes {unknown}; it has {sorted(features)}")
  return {name: tf.gather(features[name], indices) for name in names}
