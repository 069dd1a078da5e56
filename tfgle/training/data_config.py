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

from tfgle import datasets
from tfgle.graph import CategoricalAttr
from tfgle.graph import Decoder
from tfgle.graph import FloatAttr
from tfgle.graph import Graph
from tfgle.graph import IntAttr

DATASETS = ("synthetic", "citation", "movielens", "tables")
# Data sets with edges held out for link prediction.
HOLDOUT_DATASETS = ("synthetic", "movielens")
# The synthetic graph's generator seed is the run's seed plus this.
SYNTHETIC_SEED_OFFSET = 20261121
# MovieLens 100K's standard split whose training ratings build the graph.
MOVIELENS_SPLIT = "ua"
FEATURE_KINDS = ("float", "int", "categorical", "multi_categorical")


def parse_feature(item: str) -> tuple[str, Any]:
  """(name, attribute) of a `NAME:float[:DIM]`, `NAME:int`, `NAME:categorical` or
  `NAME:multi_categorical` entry.

  Raises:
    ValueError: another kind, a bad DIM or no name.
  """
  name, _, kind = item.partition(":")
  kind, _, dim = kind.partition(":")
  if name and kind == "float" and (not dim or dim.isdigit() and int(dim) > 0):
    return name, FloatAttr(dim=int(dim) if dim else None)
  if name and not dim and kind == "int":
    return name, IntAttr()
  if name and not dim and kind in ("categorical", "multi_categorical"):
    return name, CategoricalAttr(multivalued=kind == "multi_categorical")
  raise ValueError(f"features entry {item!r} must be NAME:KIND with KIND float[:DIM], int, "
                   "categorical or multi_categorical")


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
    features: the node tables' attribute columns, "NAME:KIND" (see parse_feature).

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

  def __post_init__(self):
    if self.dataset not in DATASETS:
      raise ValueError(f"dataset must be one of {list(DATASETS)}, got {self.dataset!r}")
    if isinstance(self.seed, bool) or not isinstance(self.seed, int):
      raise ValueError(f"seed must be an int, got {self.seed!r}")
    for name in ("node_tables", "edge_tables", "features"):
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
      for item in self.features:
        parse_feature(item)
    for name in ("synthetic_nodes", "synthetic_edges"):
      value = getattr(self, name)
      if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    if not isinstance(self.holdout_edges, (int, float)) or not 0 <= self.holdout_edges < 1:
      raise ValueError(f"holdout_edges must be a fraction in [0, 1), got {self.holdout_edges!r}")
    if self.holdout_edges and self.dataset not in HOLDOUT_DATASETS:
      raise ValueError(f"dataset {self.dataset!r} has no held-out edges for link prediction; "
                       f"use one of {list(HOLDOUT_DATASETS)}")

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
  """The (graph, info) of `config`; info is the loader's info object (None for tables).

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
  return _load_tables(config), None


def _load_tables(config: DataConfig):
  attrs = dict(parse_feature(item) for item in config.features)
  graph = Graph()
  for item in config.node_tables:
    node_type, path = parse_node_table(item)
    graph.node(path, node_type=node_type, decoder=Decoder(
        label=config.label_column or None, split=config.split_column or None, attrs=attrs))
  for item in config.edge_tables:
    edge_type, path = parse_edge_table(item)
    graph.edge(path, edge_type=edge_type, directed=not config.undirected)
  return graph.build()
