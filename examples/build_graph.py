r"""Builds a graph and prints a summary: node and edge counts, a few degrees, build time.

The defaults build the built-in synthetic graph, so this needs no data:

  python examples/build_graph.py
  python examples/build_graph.py --dataset=synthetic --num_nodes=1000000 --num_edges=20000000
  python examples/build_graph.py --dataset=movielens --data_dir=path/to/ml-100k
  python examples/build_graph.py --dataset=citation --data_dir=path/to/cora

It prints one JSON line per section (graph, node type, edge type) so that its
output can be read by people and scripts alike.
"""
import json
import time

from absl import app
from absl import flags
import numpy as np

from tfgle import datasets

_DATASET = flags.DEFINE_enum(
    "dataset", "synthetic", ["synthetic", "citation", "movielens"], "Which graph to build.")
_DATA_DIR = flags.DEFINE_string(
    "data_dir", None, "Directory of the citation or MovieLens data set (not used by synthetic).")
_NUM_NODES = flags.DEFINE_integer("num_nodes", 10_000, "Synthetic graph: number of nodes.")
_NUM_EDGES = flags.DEFINE_integer("num_edges", 200_000, "Synthetic graph: number of edges.")
_DIM = flags.DEFINE_integer("dim", 64, "Synthetic graph: feature dimension.")
_NUM_CLASSES = flags.DEFINE_integer("num_classes", 16, "Synthetic graph: number of classes.")
_SEED = flags.DEFINE_integer("seed", 20261121, "Synthetic graph: generator seed.")
_NUM_DEGREES = flags.DEFINE_integer(
    "num_degrees", 5, "How many nodes' degrees to print per edge type (the first ones).")


def build():
  """Builds the flagged graph; returns (graph, info)."""
  dataset = _DATASET.value
  if dataset == "synthetic":
    return datasets.synthetic(num_nodes=_NUM_NODES.value, num_edges=_NUM_EDGES.value,
                              dim=_DIM.value, num_classes=_NUM_CLASSES.value, seed=_SEED.value)
  if not _DATA_DIR.value:
    raise app.UsageError(f"--dataset={dataset} needs --data_dir")
  if dataset == "movielens":
    return datasets.load_movielens(_DATA_DIR.value)
  load_citation = getattr(datasets, "load_citation", None)
  if load_citation is None:
    raise app.UsageError("--dataset=citation needs tfgle.datasets.load_citation, which this "
                         "version of tfgle does not have")
  result = load_citation(_DATA_DIR.value)
  return result if isinstance(result, tuple) else (result, None)


def summarize(graph, seconds):
  """JSON-ready summary records of a built graph."""
  records = [{"graph": _DATASET.value, "build_seconds": round(seconds, 3),
              "node_types": graph.node_types,
              "edge_types": [list(e) for e in graph.edge_types]}]
  for node_type in graph.node_types:
    record = {"node_type": node_type, "nodes": graph.num_nodes(node_type),
              "attributes": sorted(graph.node_attrs(node_type))}
    splits = graph.splits(node_type)
    if splits:
      record["splits"] = {name: int(graph.split_indices(node_type, name).shape[0])
                          for name in splits}
    records.append(record)
  for edge_type in graph.edge_types:
    ids = graph.node_ids(edge_type.src)[:_NUM_DEGREES.value]
    degrees = graph.degree(edge_type.name, ids).numpy()
    all_degrees = graph.degree(edge_type.name, graph.node_ids(edge_type.src)).numpy()
    records.append({
        "edge_type": list(edge_type), "edges": graph.num_edges(edge_type.name),
        "out_degrees": {str(int(i)): int(d) for i, d in zip(ids.numpy(), degrees)},
        "max_out_degree": int(all_degrees.max()) if len(all_degrees) else 0,
        "mean_out_degree": round(float(np.mean(all_degrees)), 3) if len(all_degrees) else 0.0,
    })
  return records


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  start = time.perf_counter()
  graph, _ = build()
  seconds = time.perf_counter() - start
  for record in summarize(graph, seconds):
    print(json.dumps(record), flush=True)


if __name__ == "__main__":
  app.run(main)
