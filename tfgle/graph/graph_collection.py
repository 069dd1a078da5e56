"""A collection of many small graphs (molecules, programs, ...) read from three tables.

Graph-level tasks (graph classification) train on many small graphs rather
than one big one. Their tables:

- the graph table: one row per graph, its id (int64) and label (int64 >= 0),
  optionally a split column (for example train/val/test);
- the node table: one row per node, its graph's id, its id (int64, unique
  within its graph) and its attributes;
- the edge table: one row per edge, its graph's id and its endpoints' ids
  (nodes of that graph).

`read_graph_collection` reads them from any source `tfgle.graph.tables.read_table`
takes (TSV/CSV, Parquet, dicts of arrays, arrow tables, data frames), with
the same strict validation: a malformed row, a duplicate id, a node or edge of
an unknown graph, or an edge whose endpoint is not a node of its graph is an
error naming the file and line (or row). The result is a `GraphCollection`,
numpy arrays in compressed form (nodes and edges grouped by graph), which
`tfgle.data.graph_batch_dataset` batches.

Example:
  collection = tfgle.graph.read_graph_collection(
      "nodes.tsv", "edges.tsv", "graphs.tsv",
      node_decoder=tfgle.Decoder(attrs={"atom": tfgle.CategoricalAttr(dtype="int64")}),
      graph_decoder=tfgle.Decoder(id_column="graph_id", label="label", split="split"),
      undirected=True)
  collection.num_graphs, collection.num_classes, collection.splits["train"][:5]
"""
from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from tfgle.graph import builder
from tfgle.graph import encoding
from tfgle.graph import schema
from tfgle.graph import tables


@dataclasses.dataclass
class GraphCollection:
  """Many small graphs: their nodes and edges grouped by graph, labels and splits.

  Graph g (its position, 0 <= g < num_graphs) owns the node rows
  node_offsets[g]:node_offsets[g + 1] and the edge rows
  edge_offsets[g]:edge_offsets[g + 1]; an edge's endpoints are positions
  within its graph (0 <= src, dst < the graph's number of nodes).

  Attributes:
    graph_ids: int64 [G] external graph ids.
    labels: int64 [G] graph labels (>= 0), or None (an unlabeled collection).
    node_offsets: int64 [G + 1] row splits of the nodes.
    node_ids: int64 [N] external node ids (unique within a graph).
    features: node attribute name -> numpy array [N] or [N, D] (float32 for
      FloatAttr, int64 for IntAttr and category ids of CategoricalAttr).
    attrs: node attribute name -> its schema spec, vocabularies resolved
      (`tfgle.features.specs.from_attrs` turns them into feature specs).
    edge_offsets: int64 [G + 1] row splits of the edges.
    edges: int64 [E, 2] (src, dst) positions within their graph; messages flow
      src -> dst.
    splits: split name -> sorted int64 positions of its graphs.

  Raises:
    ValueError: arrays of inconsistent shapes, offsets that are not row
      splits, endpoints outside their graph, negative labels, or split
      positions out of range.
  """
  graph_ids: np.ndarray
  labels: Optional[np.ndarray]
  node_offsets: np.ndarray
  node_ids: np.ndarray
  features: dict
  attrs: dict
  edge_offsets: np.ndarray
  edges: np.ndarray
  splits: dict = dataclasses.field(default_factory=dict)

  def __post_init__(self):
    self.graph_ids = np.asarray(self.graph_ids, np.int64).reshape(-1)
    num_graphs = len(self.graph_ids)
    self.node_offsets = _row_splits("node_offsets", self.node_offsets, num_graphs)
    self.edge_offsets = _row_splits("edge_offsets", self.edge_offsets, num_graphs)
    self.node_ids = np.asarray(self.node_ids, np.int64).reshape(-1)
    num_nodes = int(self.node_offsets[-1])
    if len(self.node_ids) != num_nodes:
      raise ValueError(f"GraphCollection: node_ids has {len(self.node_ids)} entries but "
                       f"node_offsets[-1] = {num_nodes} nodes")
    self.edges = np.asarray(self.edges, np.int64).reshape(-1, 2)
    if len(self.edges) != self.edge_offsets[-1]:
      raise ValueError(f"GraphCollection: edges has {len(self.edges)} rows but "
                       f"edge_offsets[-1] = {int(self.edge_offsets[-1])} edges")
    sizes = np.repeat(np.diff(self.node_offsets), np.diff(self.edge_offsets))
    outside = (self.edges < 0).any(1) | (self.edges >= sizes[:, None]).any(1)
    if outside.any():
      row = int(np.argmax(outside))
      graph = int(np.searchsorted(self.edge_offsets, row, side="right") - 1)
      raise ValueError(f"GraphCollection: edges[{row}] = {self.edges[row].tolist()} is not a "
                       f"pair of node positions of graph {int(self.graph_ids[graph])} (which "
                       f"has {int(sizes[row])} nodes)")
    if self.labels is not None:
      self.labels = np.asarray(self.labels, np.int64).reshape(-1)
      if len(self.labels) != num_graphs or (num_graphs and self.labels.min() < 0):
        raise ValueError(f"GraphCollection: labels must be {num_graphs} ints >= 0 (one per "
                         f"graph), got {_shorten(self.labels)}")
    self.features = dict(self.features)
    self.attrs = dict(self.attrs)
    if set(self.features) != set(self.attrs):
      raise ValueError(f"GraphCollection: features {sorted(self.features)} and attrs "
                       f"{sorted(self.attrs)} must name the same attributes")
    for name, value in self.features.items():
      value = np.asarray(value)
      if value.ndim not in (1, 2) or len(value) != num_nodes:
        raise ValueError(f"GraphCollection: features[{name!r}] must have shape [N] or [N, D] "
                         f"with N = {num_nodes} nodes, got {value.shape}")
      self.features[name] = value
    self.splits = {str(k): np.asarray(v, np.int64).reshape(-1) for k, v in self.splits.items()}
    for name, positions in self.splits.items():
      if len(positions) and (positions.min() < 0 or positions.max() >= num_graphs):
        raise ValueError(f"GraphCollection: splits[{name!r}] has graph positions outside "
                         f"[0, {num_graphs})")

  @property
  def num_graphs(self) -> int:
    return len(self.graph_ids)

  @property
  def num_nodes(self) -> int:
    return len(self.node_ids)

  @property
  def num_edges(self) -> int:
    return len(self.edges)

  @property
  def num_classes(self) -> Optional[int]:
    """max(labels) + 1 (None for an unlabeled collection)."""
    if self.labels is None:
      return None
    return int(self.labels.max()) + 1 if len(self.labels) else 0

  def graph(self, position: int) -> tuple[dict, np.ndarray]:
    """(node features, edges [E_g, 2]) of the graph at `position`."""
    if not 0 <= position < self.num_graphs:
      raise ValueError(f"position must be in [0, {self.num_graphs}), got {position!r}")
    lo, hi = self.node_offsets[position:position + 2]
    e_lo, e_hi = self.edge_offsets[position:position + 2]
    return {k: v[lo:hi] for k, v in self.features.items()}, self.edges[e_lo:e_hi]

  def to_arrays(self, *, graph_column: str = "graph_id") -> tuple[dict, dict, dict]:
    """(node, edge, graph) tables as dicts of arrays that `read_graph_collection` reads back
    (with its default decoders, plus the attributes and split="split" if there are splits)."""
    node_graph = np.repeat(self.graph_ids, np.diff(self.node_offsets))
    edge_graph = np.repeat(np.arange(self.num_graphs), np.diff(self.edge_offsets))
    first_node = self.node_offsets[edge_graph]
    nodes = {graph_column: node_graph, "id": self.node_ids, **self.features}
    edges = {graph_column: self.graph_ids[edge_graph],
             "src_id": self.node_ids[first_node + self.edges[:, 0]],
             "dst_id": self.node_ids[first_node + self.edges[:, 1]]}
    graphs = {graph_column: self.graph_ids}
    if self.labels is not None:
      graphs["label"] = self.labels
    if self.splits:
      split = np.full(self.num_graphs, "", object)
      for name, positions in self.splits.items():
        split[positions] = name
      graphs["split"] = split
    return nodes, edges, graphs


def read_graph_collection(nodes: tables.Source, edges: tables.Source, graphs: tables.Source, *,
                          node_decoder: Optional[schema.Decoder] = None,
                          edge_decoder: Optional[schema.Decoder] = None,
                          graph_decoder: Optional[schema.Decoder] = None,
                          graph_column: str = "graph_id", undirected: bool = False,
                          strict: bool = True) -> GraphCollection:
  """Reads a collection of small graphs from its node, edge and graph tables.

  Args:
    nodes: the node table (any `read_table` source): columns `graph_column`,
      node_decoder's id column and attributes.
    edges: the edge table: columns `graph_column` and edge_decoder's src and
      dst columns (node ids of that graph).
    graphs: the graph table: graph_decoder's id column, its label column (or
      label=None: unlabeled) and its split column (optional).
    node_decoder: ids and attributes of the nodes (default `Decoder()`: ids in
      "id", no attributes). Attributes: FloatAttr, IntAttr, CategoricalAttr
      (single-valued); no label, weight, timestamp or split.
    edge_decoder: endpoints of the edges (default `Decoder()`: "src_id",
      "dst_id"); no attributes, weight, label, timestamp or split.
    graph_decoder: the graph table (default `Decoder(id_column="graph_id",
      label="label")`); its split column's values name the graphs' splits
      ("" and "none": no split). No attributes, weight or timestamp.
    graph_column: the graph id column of the node and edge tables.
    undirected: add the reverse of every edge (src -> dst messages flow both
      ways).
    strict: False drops (and counts) malformed rows as `read_table` does; ids
      that do not match (unknown graphs, dangling endpoints, duplicates) are
      errors either way.

  Returns:
    A `GraphCollection` in graph table order; nodes and edges keep their
    table order within each graph.

  Raises:
    ValueError: a malformed row (strict), a bad decoder, a duplicate graph id
      or (graph, node id), a negative label, a node or edge of a graph that is
      not in the graph table, or an edge endpoint that is not a node of its
      graph; each naming file and line (or row).
    FileNotFoundError: a path that names no file.
  """
  node_decoder = _check_decoder("node_decoder", node_decoder, schema.Decoder(),
                                ("label", "weight", "timestamp", "split"), attrs=True)
  edge_decoder = _check_decoder("edge_decoder", edge_decoder, schema.Decoder(),
                                ("label", "weight", "timestamp", "split"), attrs=False)
  graph_decoder = _check_decoder("graph_decoder", graph_decoder,
                                 schema.Decoder(id_column="graph_id", label="label"),
                                 ("weight", "timestamp"), attrs=False)
  if not isinstance(graph_column, str) or not graph_column:
    raise ValueError(f"graph_column must be a non-empty column name, got {graph_column!r}")
  graph_col = schema.Column(graph_column, schema.INT64)
  node_columns = node_decoder.columns("node")
  edge_columns = edge_decoder.columns("edge")
  for what, columns in (("node_decoder", node_columns), ("edge_decoder", edge_columns)):
    if graph_column in [c.name for c in columns]:
      raise ValueError(f"graph_column {graph_column!r} is also a column of {what}; the graph "
                       "id column needs a name of its own")

  def read(what, source, columns):
    try:
      return tables.read_table(source, columns, strict=strict)
    except ValueError as e:
      raise ValueError(f"{what}: {e}") from None

  graph_table = read("graph table", graphs, graph_decoder.columns("node"))
  node_table = read("node table", nodes, node_columns + [graph_col])
  edge_table = read("edge table", edges, edge_columns + [graph_col])

  # Graphs: unique ids, labels >= 0, splits.
  graph_ids = graph_table.columns[graph_decoder.id_column]
  graph_order = np.argsort(graph_ids, kind="stable")
  sorted_ids = graph_ids[graph_order]
  same = np.flatnonzero(sorted_ids[1:] == sorted_ids[:-1])
  if len(same):
    first, second = np.sort(graph_order[same[0]:same[0] + 2])
    raise ValueError(f"graph table: duplicate graph id {int(graph_ids[first])} at "
                     f"{graph_table.locate(int(first))} and {graph_table.locate(int(second))}; "
                     "graph ids must be unique")
  labels = None
  if graph_decoder.label:
    labels = graph_table.columns[graph_decoder.label]
    if len(labels) and labels.min() < 0:
      row = int(np.argmax(labels < 0))
      raise ValueError(f"graph table: {graph_table.locate(row)}: label {int(labels[row])} is "
                       "negative; graph labels are classes, ints >= 0")
  splits = {}
  if graph_decoder.split:  # as a node table's split column (builder's "no split" values)
    splits = builder._splits(graph_table.columns[graph_decoder.split])  # pylint: disable=W0212

  def graph_positions(what, table):
    """The position of each row's graph in the graph table; unknown ids are errors."""
    ids = table.columns[graph_column]
    pos = np.minimum(np.searchsorted(sorted_ids, ids), max(len(sorted_ids) - 1, 0))
    known = (sorted_ids[pos] == ids) if len(sorted_ids) else np.zeros(len(ids), bool)
    if not known.all():
      row = int(np.argmin(known))
      raise ValueError(f"{what}: {table.locate(row)}: graph id {int(ids[row])} is not in the "
                       f"graph table ({int((~known).sum())} such rows)")
    return graph_order[pos] if len(ids) else np.zeros(0, np.int64)

  # Nodes: grouped by graph (table order within a graph), unique (graph, id).
  node_graph = graph_positions("node table", node_table)
  raw_node_ids = node_table.columns[node_decoder.id_column]
  node_order = np.argsort(node_graph, kind="stable")
  node_graph, node_ids = node_graph[node_order], raw_node_ids[node_order]
  vocab = np.unique(node_ids)
  keys = node_graph * max(len(vocab), 1) + np.searchsorted(vocab, node_ids)
  key_order = np.argsort(keys, kind="stable")
  sorted_keys = keys[key_order]
  same = np.flatnonzero(sorted_keys[1:] == sorted_keys[:-1])
  if len(same):
    first, second = np.sort(node_order[key_order[same[0]:same[0] + 2]])
    raise ValueError(f"node table: duplicate node id {int(raw_node_ids[first])} in graph "
                     f"{int(graph_ids[node_graph[key_order[same[0]]]])} at "
                     f"{node_table.locate(int(first))} and {node_table.locate(int(second))}; "
                     "node ids must be unique within a graph")
  node_offsets = np.zeros(len(graph_ids) + 1, np.int64)
  np.cumsum(np.bincount(node_graph, minlength=len(graph_ids)), out=node_offsets[1:])

  # Edges: grouped by graph, endpoints looked up among the nodes of their graph.
  edge_graph = graph_positions("edge table", edge_table)
  ends = []
  for end in (edge_decoder.src_column, edge_decoder.dst_column):
    raw = edge_table.columns[end]
    rank = np.minimum(np.searchsorted(vocab, raw), max(len(vocab) - 1, 0))
    key = edge_graph * max(len(vocab), 1) + rank
    at = np.minimum(np.searchsorted(sorted_keys, key), max(len(sorted_keys) - 1, 0))
    found = ((vocab[rank] == raw) & (sorted_keys[at] == key) if len(vocab)
             else np.zeros(len(raw), bool))
    if not found.all():
      row = int(np.argmin(found))
      raise ValueError(
          f"edge table: {edge_table.locate(row)}: {end} {int(raw[row])} is not a node of graph "
          f"{int(graph_ids[edge_graph[row]])} ({int((~found).sum())} such rows); an edge's "
          "endpoints must be nodes of its own graph")
    ends.append(key_order[at] - node_offsets[edge_graph])
  edge_list = np.stack(ends, 1).astype(np.int64).reshape(-1, 2)
  if undirected:
    edge_graph = np.concatenate([edge_graph, edge_graph])
    edge_list = np.concatenate([edge_list, edge_list[:, ::-1]])
  edge_order = np.argsort(edge_graph, kind="stable")
  edge_offsets = np.zeros(len(graph_ids) + 1, np.int64)
  np.cumsum(np.bincount(edge_graph, minlength=len(graph_ids)), out=edge_offsets[1:])

  attrs, features = {}, {}
  for name, spec in node_decoder.attrs.items():
    attrs[name] = encoding.resolve_attr(spec, node_table.columns[name])
    features[name] = encoding.encode_attr(name, attrs[name], node_table.columns[name]).numpy()[
        node_order]
  return GraphCollection(graph_ids=graph_ids, labels=labels, node_offsets=node_offsets,
                         node_ids=node_ids, features=features, attrs=attrs,
                         edge_offsets=edge_offsets, edges=edge_list[edge_order], splits=splits)


def _check_decoder(what: str, decoder, default, unused, *, attrs: bool) -> schema.Decoder:
  """`decoder` (or `default`), refused if it uses roles a graph collection has no use for."""
  if decoder is None:
    return default
  if not isinstance(decoder, schema.Decoder):
    raise ValueError(f"{what} must be a tfgle.Decoder, got {decoder!r}")
  used = [role for role in unused if getattr(decoder, role)]
  if not attrs and decoder.attrs:
    used.append("attrs")
  if decoder.string_ids:
    used.append("string_ids")
  if used:
    raise ValueError(f"{what}: a graph collection has no use for the decoder's {used} "
                     f"(got {decoder!r})")
  for name, spec in decoder.attrs.items():
    if isinstance(spec, schema.StringAttr) or getattr(spec, "multivalued", False):
      raise ValueError(f"{what}: attribute {name!r} is {spec!r}; graph collections take "
                       "FloatAttr, IntAttr and single-valued CategoricalAttr attributes")
  return decoder


def _row_splits(name: str, value, num_graphs: int) -> np.ndarray:
  value = np.asarray(value, np.int64).reshape(-1)
  if len(value) != num_graphs + 1 or value[0] != 0 or (np.diff(value) < 0).any():
    raise ValueError(f"GraphCollection: {name} must be {num_graphs + 1} non-decreasing ints "
                     f"from 0 (row splits, one more than graphs), got {_shorten(value)}")
  return value


def _shorten(value) -> str:
  text = np.array2string(np.asarray(value), threshold=8)
  return text if len(text) <= 80 else text[:76] + "..."

