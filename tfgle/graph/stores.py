"""What a built tfgle.Graph keeps: edge types, and the stores of each node and edge type."""
from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple, Optional

import numpy as np
import tensorflow as tf

from tfgle.graph import encoding
from tfgle.graph import schema
from tfgle.ops.tables import CsrTable, IdMapTable


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
class NodeDecl:
  """A declared node table (Graph.node)."""
  source: Any
  decoder: schema.Decoder


@dataclasses.dataclass
class EdgeDecl:
  """A declared edge table (Graph.edge)."""
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
  symmetric: bool = False              # undirected within one node type: rows hold both ways
