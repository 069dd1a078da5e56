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

import functools
from typing import Any, Optional, Sequence, Union

import numpy as np
import tensorflow as tf

from tfgle.graph import encoding
from tfgle.graph import fingerprint as fingerprint_lib
from tfgle.graph import schema
from tfgle.graph import snapshot
from tfgle.graph import tables
from tfgle.graph import updates
from tfgle.graph.builder import GraphBuilder
from tfgle.graph.sampler import LocalSampler, Sampler, feature_names
from tfgle.graph.stores import EdgeDecl, EdgeStore, EdgeType, Neighbors, NodeDecl, NodeStore
from tfgle.ops.tables import CsrTable, IdMapTable, to_tensor


class Graph:
  """A heterogeneous graph: declare tables with `node()`/`edge()`, then `build()`.

  Args:
    strict: a malformed row, a dangling edge endpoint or a bad value is an
      error naming the table, file and line. With strict=False such rows are
      dropped, counted per file (`load_report`) and logged.
    max_dropped_rows: lenient mode still fails when one table drops more rows.
    max_dropped_fraction: lenient mode still fails when one file (or array
      source) loses more than this fraction of its rows, and always when it
      loses every row.
  """

  def __init__(self, *, strict: bool = True, max_dropped_rows: int = 1000,
               max_dropped_fraction: float = 1.0):
    if not isinstance(max_dropped_rows, int) or max_dropped_rows < 0:
      raise ValueError(f"max_dropped_rows must be an int >= 0, got {max_dropped_rows!r}")
    tables.check_dropped_fraction(max_dropped_fraction)
    self._strict = strict
    self._max_dropped_rows = max_dropped_rows
    self._max_dropped_fraction = float(max_dropped_fraction)
    self._node_decls: dict[str, NodeDecl] = {}
    self._edge_decls: dict[str, EdgeDecl] = {}
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
    self._node_decls[node_type] = NodeDecl(source, decoder or schema.Decoder())
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
    self._edge_decls[edge_type.name] = EdgeDecl(source, edge_type, decoder, directed)
    return self

  def build(self) -> "Graph":
    """Reads every table and builds the in-graph tables (tfgle.graph.builder). Returns self."""
    self._check_not_built()
    builder = GraphBuilder(self._node_decls, self._edge_decls, strict=self._strict,
                           max_dropped_rows=self._max_dropped_rows,
                           max_dropped_fraction=self._max_dropped_fraction,
                           load_report=self.load_report)
    self._nodes, self._edges = builder.build()
    self._built = True
    return self

  # ------------------------------------------------------------ updates

  def add_nodes(self, node_type: str, source: tables.Source) -> "Graph":
    """Adds the nodes of a table (same sources and decoder as `node()`). Returns self.

    Ids must be new. Attributes are encoded with the graph's vocabularies
    (unknown categories become 0, out of vocabulary); split and label columns
    extend the graph's. See `update` for what pipelines see.
    """
    return self.update(nodes={node_type: source})

  def add_edges(self, edge_type, source: tables.Source) -> "Graph":
    """Adds the edges of a table (as `edge()` reads them) to a declared edge type.

    Endpoints must be nodes of the graph (dangling edges are refused as in
    build(); use `update` to add their nodes in the same update). Undirected
    edge types get both directions. The edges are appended to the graph's
    tables in place, so pipelines made before sample them (see `update`).
    Returns self.
    """
    return self.update(edges={self.edge_type(edge_type).name: source})

  def update(self, *, nodes: Optional[dict] = None, edges: Optional[dict] = None) -> "Graph":
    """Adds nodes ({node type: source}) and then edges ({edge type: source}) in one update.

    Everything is read and validated first: a failed update leaves the graph
    unchanged. The fingerprint changes.

    An update without nodes appends its edges to the graph's in-graph tables
    in place: queries, datasets, samplers and tf.functions made before sample
    the new edges from then on (each op call reads one whole version of a
    table). Pipelines that read edge features of the new edges need making
    again (the feature tensors they hold end at the old edges).

    An update with nodes publishes new in-graph tables: everything made
    afterwards sees it; pipelines made before keep sampling the graph as it
    was (one consistent version), so build them again.

    Raises:
      ValueError: an unknown type, a node id already in the graph, a dangling
        edge (strict), or any error of build().
    """
    self._check_built()
    edges = {self.edge_type(name).name: source for name, source in (edges or {}).items()}
    options = dict(strict=self._strict, max_dropped_rows=self._max_dropped_rows,
                   max_dropped_fraction=self._max_dropped_fraction,
                   load_report=self.load_report)
    if not nodes:
      self._edges = updates.append_edges(self._nodes, self._edges, edge_sources=edges,
                                         **options)
      self._fingerprint = None
      return self
    self._nodes, self._edges = updates.apply_update(
        self._nodes, self._edges, node_sources=nodes, edge_sources=edges, **options)
    self._published()
    return self

  def remove_edges_before(self, edge_type, timestamp: int) -> "Graph":
    """Expires the edges of `edge_type` (and its reverse type) with timestamp < `timestamp`.

    A sliding window over a timed edge type, applied to the in-graph tables in
    place: sampling no longer sees them, in pipelines made before too; their
    edge ids and features stay valid. Returns self.

    Raises:
      ValueError: the edge type has no timestamps, or `timestamp` is not an int.
    """
    store = self._edge_store(edge_type)
    if not store.decoder.timestamp:
      raise ValueError(f"edge type {store.edge_type.name!r} has no timestamps (Decoder "
                       "timestamp=); remove_edges_before needs them")
    if not isinstance(timestamp, (int, np.integer)) or isinstance(timestamp, bool):
      raise ValueError(f"timestamp must be an int, got {timestamp!r}")
    base = store.reverse_of or store.edge_type.name
    for name, other in self._edges.items():
      if name == base or other.reverse_of == base:
        for csr in (other.csr, other.reverse_csr):
          if csr is not None:
            csr.remove_before(int(timestamp))
    self._fingerprint = None
    return self

  def _published(self):
    """After an update with new tables: a new fingerprint, and a sampler without old caches."""
    self._fingerprint = None
    self.__dict__.pop("sampler", None)

  # ------------------------------------------------------------ snapshots

  def save(self, path: str) -> str:
    """Writes the built graph to directory `path` as a snapshot (tfgle.graph.snapshot).

    `Graph.load(path)` restores it without parsing any table, with the same
    content fingerprint. Returns `path`.

    Raises:
      FileExistsError: `path` already holds a snapshot.
    """
    self._check_built()
    snapshot.save(self._nodes, self._edges, self.fingerprint(), path)
    return path

  @classmethod
  def load(cls, path: str, *, verify: bool = True) -> "Graph":
    """The built graph of the snapshot in `path` (see `save`).

    Args:
      path: a directory written by Graph.save.
      verify: recompute the content fingerprint and compare it with the saved
        one (a corrupted or altered snapshot is an error).

    Raises:
      FileNotFoundError: no snapshot in `path`.
      ValueError: not a snapshot, an unknown version, or (verify) content that
        does not match the saved fingerprint.
    """
    graph = cls()
    graph._nodes, graph._edges, saved = snapshot.load(path)  # pylint: disable=protected-access
    graph._built = True  # pylint: disable=protected-access
    if verify and graph.fingerprint() != saved:
      raise ValueError(f"graph snapshot {path} is corrupted: its content has fingerprint "
                       f"{graph.fingerprint()}, but it was saved with {saved}")
    graph._fingerprint = saved  # pylint: disable=protected-access
    return graph

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
    if not isinstance(edge_type, (str, tuple, list)):
      raise ValueError(f"edge_type must be an edge type name or a (src, dst, name) triple, got "
                       f"{edge_type!r}; the graph has {[tuple(e) for e in self.edge_types]}")
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
    store = self._node_store(node_type)
    if isinstance(indices, tf.RaggedTensor):
      return indices.with_flat_values(self.to_id(node_type, indices.flat_values))
    if store.first_id is None:
      return tf.gather(store.ids, indices)
    # Contiguous ids: arithmetic, not a gather (one 8-byte copy per entry).
    indices = tf.cast(tf.convert_to_tensor(indices), tf.int64)
    num = int(store.ids.shape[0])
    check = tf.debugging.Assert(
        tf.reduce_all((indices >= 0) & (indices < num)),
        [f"dense indices of node type {node_type!r} must lie in [0, {num})"])
    with tf.control_dependencies([check]):
      return indices + store.first_id

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
      self._fingerprint = fingerprint_lib.fingerprint(self._nodes, self._edges)
    return self._fingerprint

  # ------------------------------------------------------------ GSL sources

  @functools.cached_property
  def sampler(self) -> LocalSampler:
    """The tfgle.graph.Sampler of this graph's in-graph tables."""
    self._check_built()
    return LocalSampler(self)

  def V(self, node_type: str, mask=None):  # pylint: disable=invalid-name
    """A GSL query over vertices of `node_type` (mask: a split name or ids)."""
    return self.sampler.V(node_type, mask)

  def E(self, edge_type, reverse: bool = False):  # pylint: disable=invalid-name
    """A GSL query over the edges of `edge_type` (reverse: dst -> src)."""
    return self.sampler.E(edge_type, reverse)

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
            timestamps=None if times is None else times.flat_values, order=order,
            name=f"{csr.name} (reverse)")
    return store.reverse_csr

  def feature_tensors(self, node_type: str) -> dict[str, encoding.Feature]:
    """All feature tensors of a node type, indexed by dense index."""
    return dict(self._node_store(node_type).features)

  def edge_feature_tensors(self, edge_type) -> dict[str, encoding.Feature]:
    """All feature tensors of an edge type, indexed by edge id."""
    return dict(self._edge_store(edge_type).features)

  def set_node_feature(self, node_type: str, name: str, values) -> "Graph":
    """Adds (or replaces) float feature `name` of `node_type`: values [N] or [N, D] by dense index.

    For features computed after the build, such as a pre-trained text
    encoder's vectors (tfgle.features.encode_text). It becomes a FloatAttr
    (dim D for [N, D]); the fingerprint and snapshots include it. Nodes added
    later (add_nodes) do not have it: set it again for the grown graph.

    Raises:
      ValueError: a bad name, values that are not numbers of N rows, or not finite.
    """
    store = self._node_store(node_type)
    _check_name("feature name", name)
    values = np.asarray(values)
    num_nodes = self.num_nodes(node_type)
    if values.dtype.kind not in "fiu" or values.ndim not in (1, 2) or len(values) != num_nodes:
      raise ValueError(f"set_node_feature({node_type!r}, {name!r}): values must be numbers of "
                       f"shape [{num_nodes}] or [{num_nodes}, D], got {values.dtype} "
                       f"{values.shape}")
    if not np.all(np.isfinite(values)):
      raise ValueError(f"set_node_feature({node_type!r}, {name!r}): values must be finite")
    store.attrs[name] = schema.FloatAttr(dim=values.shape[1] if values.ndim == 2 else None)
    store.features[name] = to_tensor(values.astype(np.float32), np.float32)
    self._fingerprint = None
    return self

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


def _gather_features(features, indices, names, what):
  return {name: tf.gather(features[name], indices)
          for name in feature_names(features, what, names)}


def as_sampler(graph_or_sampler) -> Sampler:
  """The Sampler to sample `graph_or_sampler` with: a built Graph's own, or the Sampler itself.

  Raises:
    TypeError: neither a tfgle.Graph nor a tfgle.graph.Sampler.
  """
  if isinstance(graph_or_sampler, Graph):
    return graph_or_sampler.sampler
  if isinstance(graph_or_sampler, Sampler):
    return graph_or_sampler
  raise TypeError(f"expected a built tfgle.Graph or a tfgle.graph.Sampler (for example a "
                  f"tfgle.distribute.PartitionedGraph), got {graph_or_sampler!r}")
