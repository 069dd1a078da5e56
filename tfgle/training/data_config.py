"""What graph a training run uses, as a value: `DataConfig` and `load_graph`.

The binaries build a DataConfig from their data flags; the manifest keeps
`DataConfig.to_dict()` so that an export rebuilds exactly the graph the model
was trained on.

Example:
  config = tfgle.training.DataConfig(dataset="citation", data_dir="path/to/cora")
  graph, info = tfgle.training.load_graph(config)
"""
from __future__ import annotations

import dataclasses
import os
from typing import Any, Mapping, Optional

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tfgle import datasets
from tfgle.data import link_split
from tfgle.graph import CategoricalAttr
from tfgle.graph import Decoder
from tfgle.graph import FloatAttr
from tfgle.graph import Graph
from tfgle.graph import IntAttr
from tfgle.graph import TextAttr
from tfgle.graph import schema
from tfgle.graph import tables as tables_lib
from tfgle.graph import text_reader

DATASETS = ("synthetic", "citation", "movielens", "tables")
# Data sets with edges held out for link prediction (tables: with an edge_split).
HOLDOUT_DATASETS = ("synthetic", "movielens", "tables")
# How the first edge table of dataset "tables" is split (tfgle.data.split_edges); "" none.
EDGE_SPLITS = ("", "random", "temporal")
# How the nodes of dataset "tables" get their train/val/test splits: "" the split column.
NODE_SPLITS = ("", "random")
# The synthetic graph's generator seed is the run's seed plus this.
SYNTHETIC_SEED_OFFSET = 20261121
# MovieLens 100K's standard split whose training ratings build the graph.
MOVIELENS_SPLIT = "ua"
FEATURE_KINDS = ("float", "int", "categorical", "multi_categorical", "text")


def parse_feature(item: str) -> tuple[str, Any]:
  """(name, attribute) of a `NAME:float[:DIM]`, `NAME:int`, `NAME:categorical`,
  `NAME:multi_categorical[:DELIMITER]` (the delimiter of the values, default ",") or
  `NAME:text` entry.

  Raises:
    ValueError: another kind, a bad DIM or no name.
  """
  name, _, kind = item.partition(":")
  kind, _, dim = kind.partition(":")
  if name and kind == "float" and (not dim or dim.isdigit() and int(dim) > 0):
    return name, FloatAttr(dim=int(dim) if dim else None)
  if name and not dim and kind == "int":
    return name, IntAttr()
  if name and not dim and kind == "categorical":
    return name, CategoricalAttr()
  if name and kind == "multi_categorical":
    return name, CategoricalAttr(multivalued=True, delimiter=dim or ",")
  if name and not dim and kind == "text":
    return name, TextAttr()
  raise ValueError(f"features entry {item!r} must be NAME:KIND with KIND float[:DIM], int, "
                   "categorical, multi_categorical[:DELIMITER] or text")


def parse_node_feature(item: str) -> tuple[Optional[str], str, Any]:
  """(node type or None for every table, name, attribute) of a `[NODE_TYPE=]NAME:KIND` entry."""
  node_type, sep, rest = item.partition("=")
  if not sep or ":" in node_type:
    return (None, *parse_feature(item))
  if not node_type:
    raise ValueError(f"features entry {item!r} must be [NODE_TYPE=]NAME:KIND")
  return (node_type, *parse_feature(rest))


def table_columns(source: str) -> Optional[list[str]]:
  """The column names of a table's first file, or None when it cannot be read."""
  try:
    path = tables_lib.expand_paths(source)[0]
    if path.endswith((".parquet", ".pq")):
      return list(pq.read_schema(path).names)
    return text_reader.read_header(path, text_reader.delimiter_of(path), [])[0]
  except (ValueError, OSError, pa.ArrowException):
    return None


def parse_node_table(item: str) -> tuple[str, str]:
  """(node type, path) of a `NODE_TYPE=PATH` entry."""
  node_type, sep, path = item.partition("=")
  if not sep or not node_type or not path:
    raise ValueError(f"node_tables entry {item!r} must be NODE_TYPE=PATH")
  return node_type, path


def parse_edge_table(item: str) -> tuple[tuple[str, str, str], str]:
  """((source type, destination type, name), path) of a `SRC,DST,NAME=PATH` entry."""
  edge_type, sep, path = item.partition("=")
  parts = tuple(edge_type.split(","))
  if not sep or len(parts) != 3 or not all(parts) or not path:
    raise ValueError(f"edge_tables entry {item!r} must be SRC_TYPE,DST_TYPE,NAME=PATH")
  return parts, path


def parse_column_names(name: str, items, keys) -> dict[str, str]:
  """{key: column} of `KEY=COLUMN` entries (a bare `COLUMN` names it for every key).

  Raises:
    ValueError: an entry without a column, or a key not among `keys`.
  """
  out = {}
  for item in items:
    key, sep, column = item.rpartition("=")
    if not column or (sep and not key):
      raise ValueError(f"{name} entry {item!r} must be COLUMN or KEY=COLUMN")
    if sep and key not in keys:
      raise ValueError(f"{name} entry {item!r} names {key!r}, which is none of {sorted(keys)}")
    out.update({key: column} if sep else dict.fromkeys(keys, column))
  return out


@dataclasses.dataclass(frozen=True)
class HeldOutEdges:
  """The edges of dataset "tables" split for link prediction (ids, not dense indices).

  Attributes:
    edge_type: (source type, destination type, name) of the split edge table.
    train, val, test: (source ids, destination ids) int64 arrays of each part;
      the graph holds the training edges only.
  """
  edge_type: tuple[str, str, str]
  train: tuple[np.ndarray, np.ndarray]
  val: tuple[np.ndarray, np.ndarray]
  test: tuple[np.ndarray, np.ndarray]


@dataclasses.dataclass(frozen=True)
class DataConfig:
  """The graph of a training run.

  Attributes:
    dataset: "synthetic" (built-in generator), "citation" (a Cora-layout
      directory), "movielens" (MovieLens 100K or current CSV) or "tables"
      (your own node and edge tables).
    seed: the run's seed (the synthetic graph's generator seed is derived from it).
    data_dir: the citation or MovieLens directory.
    synthetic_nodes, synthetic_edges: size of the synthetic graph.
    holdout_edges: link prediction: leave test edges out of the graph. The
      synthetic graph leaves out this fraction of its edges; MovieLens 100K is
      built on the training ratings of split ua (ua.base) for any value > 0.
    node_tables: "NODE_TYPE=PATH" entries (dataset "tables").
    edge_tables: "SRC_TYPE,DST_TYPE,NAME=PATH" entries (dataset "tables").
    undirected: add reverse edges to the tables' edges.
    label_column, split_column: the node tables' label and split columns
      ("" for none).
    features: the node tables' attribute columns, "NAME:KIND" (see parse_feature)
      for the node tables whose header has column NAME (all of them if none
      has), or "NODE_TYPE=NAME:KIND" for one table.
    id_columns: "NODE_TYPE=COLUMN" (or "COLUMN" for all): node tables' id
      columns (default "id").
    src_columns, dst_columns: "EDGE_NAME=COLUMN" (or "COLUMN" for all): edge
      tables' endpoint columns (default "src_id", "dst_id").
    edge_split: "random" or "temporal" splits the FIRST edge table into
      train / validation / test edges with tfgle.data.split_edges, per source
      (temporal: each source's latest edges by `timestamp_column` are held
      out); the graph is built on the training edges; "" (default) splits
      nothing.
    val_fraction, test_fraction: with edge_split: shares of each source's edges
      held out.
    timestamp_column: edge_split="temporal": the edge table's time column.
    node_split: "random" splits the nodes of every node table at random into
      "train", "val" (val_fraction) and "test" (test_fraction) instead of
      reading `split_column`; "" (default) reads the split column.

  Raises (on construction):
    ValueError: an unknown dataset, a missing data_dir or tables, entries that
      do not parse, or held-out edges for a data set without them.
  """
  dataset: str = "synthetic"
  seed: int = 0
  data_dir: Optional[str] = None
  synthetic_nodes: int = 10_000
  synthetic_edges: int = 100_000
  holdout_edges: float = 0.0
  node_tables: tuple[str, ...] = ()
  edge_tables: tuple[str, ...] = ()
  undirected: bool = True
  label_column: str = "label"
  split_column: str = "split"
  features: tuple[str, ...] = ()
  id_columns: tuple[str, ...] = ()
  src_columns: tuple[str, ...] = ()
  dst_columns: tuple[str, ...] = ()
  edge_split: str = ""
  val_fraction: float = 0.1
  test_fraction: float = 0.1
  timestamp_column: str = "timestamp"
  node_split: str = ""

  def __post_init__(self):
    if self.dataset not in DATASETS:
      raise ValueError(f"dataset must be one of {list(DATASETS)}, got {self.dataset!r}")
    if isinstance(self.seed, bool) or not isinstance(self.seed, int):
      raise ValueError(f"seed must be an int, got {self.seed!r}")
    for name in ("node_tables", "edge_tables", "features", "id_columns", "src_columns",
                 "dst_columns"):
      value = getattr(self, name)
      if isinstance(value, str) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{name} must be a list of strings, got {value!r}")
      object.__setattr__(self, name, tuple(value))
    if self.dataset in ("citation", "movielens"):
      if not self.data_dir:
        raise ValueError(f"dataset {self.dataset!r} needs data_dir")
      object.__setattr__(self, "data_dir", os.path.abspath(self.data_dir))
    if self.dataset == "tables":
      if not self.node_tables or not self.edge_tables:
        raise ValueError("dataset 'tables' needs node_tables and edge_tables")
      for item in self.node_tables:
        parse_node_table(item)
      for item in self.edge_tables:
        parse_edge_table(item)
      node_types = [parse_node_table(item)[0] for item in self.node_tables]
      for item in self.features:
        node_type = parse_node_feature(item)[0]
        if node_type is not None and node_type not in node_types:
          raise ValueError(f"features entry {item!r} names node type {node_type!r}, which is "
                           f"none of {node_types}")
      self.column_names()
    if self.edge_split not in EDGE_SPLITS:
      raise ValueError(f"edge_split must be one of {list(EDGE_SPLITS)}, got {self.edge_split!r}")
    if self.edge_split and self.dataset != "tables":
      raise ValueError(f"edge_split splits dataset 'tables', not {self.dataset!r}")
    for name in ("val_fraction", "test_fraction"):
      value = getattr(self, name)
      if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a fraction in [0, 1), got {value!r}")
    if self.node_split not in NODE_SPLITS:
      raise ValueError(f"node_split must be one of {list(NODE_SPLITS)}, got {self.node_split!r}")
    if self.node_split and self.dataset != "tables":
      raise ValueError(f"node_split splits dataset 'tables', not {self.dataset!r}")
    if (self.edge_split or self.node_split) and self.val_fraction + self.test_fraction >= 1:
      raise ValueError(f"val_fraction + test_fraction must be < 1, got {self.val_fraction!r} + "
                       f"{self.test_fraction!r}")
    if not isinstance(self.timestamp_column, str) or not self.timestamp_column:
      raise ValueError(f"timestamp_column must be a column name, got {self.timestamp_column!r}")
    for name in ("synthetic_nodes", "synthetic_edges"):
      value = getattr(self, name)
      if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    if not isinstance(self.holdout_edges, (int, float)) or not 0 <= self.holdout_edges < 1:
      raise ValueError(f"holdout_edges must be a fraction in [0, 1), got {self.holdout_edges!r}")
    if self.holdout_edges and self.dataset not in ("synthetic", "movielens"):
      raise ValueError(f"dataset {self.dataset!r} has no held-out edges for link prediction; "
                       "use synthetic or movielens, or tables with an edge_split")

  def column_names(self) -> dict[str, dict[str, str]]:
    """{"id": {node type: column}, "src"/"dst": {edge name: column}} of the column entries.

    Raises:
      ValueError: an entry that does not parse or names no table.
    """
    node_types = [parse_node_table(item)[0] for item in self.node_tables]
    edge_names = [parse_edge_table(item)[0][2] for item in self.edge_tables]
    return {"id": parse_column_names("id_columns", self.id_columns, node_types),
            "src": parse_column_names("src_columns", self.src_columns, edge_names),
            "dst": parse_column_names("dst_columns", self.dst_columns, edge_names)}

  def to_dict(self) -> dict:
    """The fields that build this data set's graph (JSON-ready).

    A MovieLens graph with held-out edges also records the ratings file and
    split it was built on.
    """
    out = {"dataset": self.dataset, "seed": self.seed}
    if self.dataset == "synthetic":
      out.update(synthetic_nodes=self.synthetic_nodes, synthetic_edges=self.synthetic_edges)
      if self.holdout_edges:
        out["holdout_edges"] = self.holdout_edges
    elif self.dataset in ("citation", "movielens"):
      out["data_dir"] = self.data_dir
      if self.holdout_edges:
        out.update(holdout_edges=self.holdout_edges, ratings_file=f"{MOVIELENS_SPLIT}.base",
                   split=MOVIELENS_SPLIT)
    else:
      out.update(node_tables=list(self.node_tables), edge_tables=list(self.edge_tables),
                 undirected=self.undirected, label_column=self.label_column,
                 split_column=self.split_column, features=list(self.features))
      for name in ("id_columns", "src_columns", "dst_columns"):
        if getattr(self, name):
          out[name] = list(getattr(self, name))
      if self.edge_split:
        out.update(edge_split=self.edge_split, val_fraction=self.val_fraction,
                   test_fraction=self.test_fraction)
        if self.edge_split == "temporal":
          out["timestamp_column"] = self.timestamp_column
      if self.node_split:
        out.update(node_split=self.node_split, val_fraction=self.val_fraction,
                   test_fraction=self.test_fraction)
    return out

  @classmethod
  def from_dict(cls, values: Mapping[str, Any]) -> "DataConfig":
    """The DataConfig of `to_dict()` values.

    Raises:
      ValueError: an unknown key, or values that do not make a DataConfig.
    """
    values = dict(values)
    recorded = {"ratings_file": f"{MOVIELENS_SPLIT}.base", "split": MOVIELENS_SPLIT}
    for key, expected in recorded.items():
      if key in values and values.pop(key) != expected:
        raise ValueError(f"{key} must be {expected!r} (the MovieLens split of held-out edges)")
    unknown = sorted(set(values) - {f.name for f in dataclasses.fields(cls)})
    if unknown:
      raise ValueError(f"unknown DataConfig keys {unknown}")
    return cls(**values)


def load_graph(config: DataConfig):
  """The (graph, info) of `config`; info is the loader's info object (for tables: a
  HeldOutEdges with an edge_split, else None).

  Raises:
    FileNotFoundError: a MovieLens directory without the split ua for held-out edges.
  """
  if config.dataset == "synthetic":
    return datasets.synthetic(num_nodes=config.synthetic_nodes, num_edges=config.synthetic_edges,
                              seed=config.seed + SYNTHETIC_SEED_OFFSET,
                              holdout_edges=config.holdout_edges)
  if config.dataset == "citation":
    return datasets.load_citation(config.data_dir)
  if config.dataset == "movielens":
    if not config.holdout_edges:
      return datasets.load_movielens(config.data_dir)
    missing = [f"{MOVIELENS_SPLIT}.{part}" for part in ("base", "test") if not os.path.isfile(
        os.path.join(config.data_dir, f"{MOVIELENS_SPLIT}.{part}"))]
    if missing:
      raise FileNotFoundError(f"data_dir {config.data_dir} has no MovieLens 100K split "
                              f"{missing} to hold out test ratings")
    return datasets.load_movielens(config.data_dir, ratings_file=f"{MOVIELENS_SPLIT}.base",
                                   split=MOVIELENS_SPLIT)
  return _load_tables(config)


def _load_tables(config: DataConfig):
  features = [parse_node_feature(item) for item in config.features]
  names = config.column_names()
  graph, held_out = Graph(), None
  node_tables = [parse_node_table(item) for item in config.node_tables]
  headers = {node_type: table_columns(path) for node_type, path in node_tables}
  for node_type, path in node_tables:
    attrs = {}
    for owner, name, attr in features:
      # A bare feature: the tables that have its column, or all (their reader says it lacks it).
      having = [t for t, columns in headers.items() if columns is None or name in columns]
      if owner == node_type or owner is None and node_type in (having or headers):
        attrs[name] = attr
    graph.node(path, node_type=node_type, decoder=Decoder(
        id_column=names["id"].get(node_type, "id"), label=config.label_column or None,
        split=None if config.node_split else config.split_column or None, attrs=attrs))
  for i, item in enumerate(config.edge_tables):
    edge_type, source = parse_edge_table(item)
    decoder = Decoder(src_column=names["src"].get(edge_type[2], "src_id"),
                      dst_column=names["dst"].get(edge_type[2], "dst_id"))
    if i == 0 and config.edge_split:
      source, held_out = _split(config, edge_type, source, decoder)
    graph.edge(source, edge_type=edge_type, directed=not config.undirected, decoder=decoder)
  try:
    graph.build()
  except ValueError as e:
    if "delimiter=" not in str(e):
      raise
    raise ValueError(f"{e} (flag: --features=NAME:multi_categorical:DELIMITER)") from e
  if config.node_split == "random":
    for node_type in graph.node_types:
      _split_nodes_at_random(graph, node_type, config)
  return graph, held_out


def _split_nodes_at_random(graph: Graph, node_type: str, config: DataConfig) -> None:
  """Adds the splits "train", "val" and "test" of `node_type`, a random partition of its nodes."""
  num_nodes = graph.num_nodes(node_type)
  order = np.random.default_rng([config.seed, SYNTHETIC_SEED_OFFSET]).permutation(num_nodes)
  num_test = int(round(config.test_fraction * num_nodes))
  num_val = int(round(config.val_fraction * num_nodes))
  parts = {"test": order[:num_test], "val": order[num_test:num_test + num_val],
           "train": order[num_test + num_val:]}
  for name, indices in parts.items():
    graph.add_split(node_type, name, graph.to_id(node_type, np.sort(indices)))


def _split(config: DataConfig, edge_type, path: str, decoder: Decoder):
  """(training edges as arrays, HeldOutEdges) of the edge table at `path`."""
  src, dst = decoder.src_column, decoder.dst_column
  columns = [schema.Column(src, schema.INT64), schema.Column(dst, schema.INT64)]
  if config.edge_split == "temporal":
    columns.append(schema.Column(config.timestamp_column, schema.INT64))
  try:
    table = tables_lib.read_table(path, columns).columns
  except ValueError as e:
    raise ValueError(f"edge table {path}: {e}" + (
        " (--timestamp_column names the time column of --split=temporal)"
        if config.timestamp_column in str(e) else "")) from e
  split = link_split.split_edges(
      table, method=config.edge_split, per_source=True, val_fraction=config.val_fraction,
      test_fraction=config.test_fraction, src_column=src, dst_column=dst,
      timestamp_column=config.timestamp_column, seed=config.seed)
  pairs = {part: (getattr(split, part)[src], getattr(split, part)[dst])
           for part in ("train", "val", "test")}
  return ({src: pairs["train"][0], dst: pairs["train"][1]},
          HeldOutEdges(edge_type=tuple(edge_type), **pairs))


def check_holdout_dataset(dataset: str):
  """Raises ValueError unless `dataset` holds edges out of the graph (for link prediction)."""
  if dataset not in HOLDOUT_DATASETS:
    raise ValueError(f"--dataset={dataset} has no held-out edges for link prediction; use "
                     f"one of {list(HOLDOUT_DATASETS)}")
