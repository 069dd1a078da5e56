"""Citation graphs in the Cora table layout (Cora, and any data set written the same way).

A data directory holds two tab-separated tables with header rows:
- `nodes.tsv`: `id label split words`: the paper id, its class, its split
  (train/val/test, or none) and the comma-separated indices of the words it
  contains (a multi-valued categorical feature);
- `edges.tsv`: `src_id dst_id`: one citation per row, undirected.

Example:
  graph, info = tfgle.datasets.load_citation("../shared/datasets/cora")
  graph.num_nodes("paper"), graph.num_edges("cites")   # 2708, 10556
  graph.split("paper", "train")                        # the 140 training ids
  info.num_classes                                     # 7
"""
from __future__ import annotations

import dataclasses
import os

from tfgle.graph import graph as graph_lib
from tfgle.graph import schema

NODE_TYPE = "paper"
EDGE_TYPE = graph_lib.EdgeType("paper", "paper", "cites")


@dataclasses.dataclass(frozen=True)
class CitationInfo:
  """What a trainer needs to know about a loaded citation graph.

  Attributes:
    name: the data directory's name (for example "cora").
    node_type: the node type of the papers ("paper").
    edge_type: the citation edge type; undirected, so both directions are
      stored in this one edge type.
    num_nodes: number of papers.
    num_edges: number of directed edges (twice the undirected citations).
    num_classes: number of classes (labels are 0..num_classes-1).
    label: the label column ("label").
    feature_names: the node attributes (("words",)).
    vocab_sizes: attribute -> number of category ids, the out-of-vocabulary
      id 0 included (the input size of an embedding of that attribute).
    splits: split name -> number of papers in it (for example train: 140).
  """
  name: str
  node_type: str
  edge_type: graph_lib.EdgeType
  num_nodes: int
  num_edges: int
  num_classes: int
  label: str
  feature_names: tuple[str, ...]
  vocab_sizes: dict[str, int]
  splits: dict[str, int]


def citation_decoder() -> schema.Decoder:
  """The decoder of `nodes.tsv`: label, split and the multi-valued words."""
  return schema.Decoder(
      label="label", split="split",
      attrs={"words": schema.CategoricalAttr(multivalued=True, dtype="int64")})


def load_citation(data_dir: str, *, strict: bool = True
                  ) -> tuple[graph_lib.Graph, CitationInfo]:
  """Loads a citation graph in the Cora table layout.

  Args:
    data_dir: the directory with `nodes.tsv` and `edges.tsv`.
    strict: passed to `tfgle.Graph`: a malformed row or an edge to an unknown
      paper is an error (True) or is dropped and reported in
      `graph.load_report` (False).

  Returns:
    (graph, info): the built graph with node type "paper" and the undirected
    edge type ("paper", "paper", "cites"), and a `CitationInfo`.

  Raises:
    FileNotFoundError: `data_dir` lacks nodes.tsv or edges.tsv.
    ValueError: a malformed table (see `tfgle.Graph`).
  """
  paths = {name: os.path.join(data_dir, f"{name}.tsv") for name in ("nodes", "edges")}
  missing = [path for path in paths.values() if not os.path.isfile(path)]
  if missing:
    raise FileNotFoundError(
        f"data_dir {data_dir!r} is not a citation data set: {missing} do not exist; "
        "expected nodes.tsv (id label split words) and edges.tsv (src_id dst_id)")
  graph = (graph_lib.Graph(strict=strict)
           .node(paths["nodes"], node_type=NODE_TYPE, decoder=citation_decoder())
           .edge(paths["edges"], edge_type=EDGE_TYPE, directed=False)
           .build())
  labels = graph.labels(NODE_TYPE).numpy()
  attrs = graph.node_attrs(NODE_TYPE)
  info = CitationInfo(
      name=os.path.basename(os.path.normpath(data_dir)),
      node_type=NODE_TYPE,
      edge_type=EDGE_TYPE,
      num_nodes=graph.num_nodes(NODE_TYPE),
      num_edges=graph.num_edges(EDGE_TYPE.name),
      num_classes=int(labels.max()) + 1 if len(labels) else 0,
      label="label",
      feature_names=tuple(attrs),
      vocab_sizes={name: len(spec.vocab) + 1 for name, spec in attrs.items()},
      splits={name: int(graph.split_indices(NODE_TYPE, name).shape[0])
              for name in graph.splits(NODE_TYPE)})
  return graph, info
