"""Synthetic collections of small graphs whose labels only their structure tells.

For graph classification tests and examples: every node has the same feature
(x = 1), so a model must read the label off the graph's structure. Each graph
is a random tree on n nodes (n uniform in [min_nodes, max_nodes]; node i > 0
hangs below a uniform earlier node, the ids then shuffled) plus edges chosen
so that its label is exact. Labels are balanced (as equal class counts as
num_graphs allows, in random order), so chance accuracy is about
1 / num_classes.

- task="cycles": label c = the number of independent cycles (the cyclomatic
  number E - N + 1 of the connected graph): the tree plus c random extra
  edges. A sum readout of node degrees counts it exactly.
- task="triangles": label c = the number of triangles: the tree plus edges
  that close exactly the missing triangles (an edge u-v closes one per common
  neighbor of u and v) and noise edges that close none, in random order: as
  many extra edges in all (num_classes - 1 to num_classes - 1 + n // 3,
  uniform) whatever the label (fewer only where a small graph has no room for
  noise), so the number of edges alone does not give the label away.

Edges are undirected (both directions stored). Graph ids are 0..G-1, node ids
0..n-1 within each graph, splits "train"/"val"/"test" random by
`split_fractions`. Deterministic in all arguments.

Example:
  collection = tfgle.datasets.synthetic_graph_collection(1000, task="triangles")
  collection.num_classes, collection.splits["train"][:5]
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from tfgle.datasets.synthetic import split_ids
from tfgle.graph.graph_collection import GraphCollection
from tfgle.graph.schema import FloatAttr

TASKS = ("cycles", "triangles")
SEED = 20260101
# Tries to draw a graph of a given label before giving up (a draw fails only when no edge
# closes the missing triangles, which small graphs make rare).
_MAX_TRIES = 100


def synthetic_graph_collection(num_graphs: int = 1000, *, task: str = "cycles",
                               num_classes: int = 4, min_nodes: int = 8, max_nodes: int = 16,
                               split_fractions: Sequence[float] = (0.8, 0.1, 0.1),
                               seed: int = SEED) -> GraphCollection:
  """A collection of small random graphs labeled by their structure.

  Args:
    num_graphs: number of graphs G.
    task: "cycles" (label: the number of independent cycles) or "triangles"
      (label: the number of triangles); see the module docstring.
    num_classes: labels are 0..num_classes-1.
    min_nodes, max_nodes: the range of the number of nodes of a graph.
    split_fractions: (train, val, test) fractions of the graphs.
    seed: seed of numpy's default generator.

  Returns:
    A `tfgle.graph.GraphCollection` with the node feature "x" (float32
    [N, 1], all ones) and labels.

  Raises:
    ValueError: an unknown task, sizes that are not positive ints, min_nodes
      > max_nodes, graphs too small for num_classes (cycles: C - 1 <=
      (min_nodes - 1)(min_nodes - 2) / 2; triangles: min_nodes >= 3 and
      min_nodes >= C + 1), or bad split fractions.
  """
  if task not in TASKS:
    raise ValueError(f"task must be one of {list(TASKS)}, got {task!r}")
  for name, value, low in (("num_graphs", num_graphs, 1), ("num_classes", num_classes, 2),
                           ("min_nodes", min_nodes, 1), ("max_nodes", max_nodes, 1),
                           ("seed", seed, 0)):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
      raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
  if min_nodes > max_nodes:
    raise ValueError(f"min_nodes must be <= max_nodes, got {min_nodes} > {max_nodes}")
  if task == "cycles" and num_classes - 1 > (min_nodes - 1) * (min_nodes - 2) // 2:
    raise ValueError(f"task='cycles': a graph of min_nodes={min_nodes} nodes cannot have "
                     f"{num_classes - 1} independent cycles; raise min_nodes or lower "
                     "num_classes")
  if task == "triangles" and min_nodes < max(3, num_classes + 1):
    raise ValueError(f"task='triangles' needs min_nodes >= max(3, num_classes + 1) = "
                     f"{max(3, num_classes + 1)}, got {min_nodes}")
  splits = split_ids(num_graphs, seed, split_fractions)
  rng = np.random.default_rng([int(seed), 0])
  labels = rng.permutation(np.arange(num_graphs) % num_classes).astype(np.int64)
  sizes = rng.integers(min_nodes, max_nodes + 1, size=num_graphs)
  if task == "cycles":
    edge_lists = [_cycles(rng, int(n), int(label)) for n, label in zip(sizes, labels)]
  else:
    edge_lists = [_triangles(rng, int(n), int(label), num_classes)
                  for n, label in zip(sizes, labels)]
  node_offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
  edge_offsets = np.concatenate([[0], np.cumsum([len(e) for e in edge_lists])]).astype(np.int64)
  return GraphCollection(
      graph_ids=np.arange(num_graphs, dtype=np.int64), labels=labels, node_offsets=node_offsets,
      node_ids=np.concatenate([np.arange(n) for n in sizes]).astype(np.int64),
      features={"x": np.ones((int(node_offsets[-1]), 1), np.float32)},
      attrs={"x": FloatAttr(dim=1)}, edge_offsets=edge_offsets,
      edges=np.concatenate(edge_lists).reshape(-1, 2), splits=splits)


def count_triangles(adjacency: np.ndarray) -> int:
  """The number of triangles of a simple undirected graph (bool adjacency [n, n])."""
  a = adjacency.astype(np.int64)
  return int(np.trace(a @ a @ a) // 6)


def _tree(rng, n: int) -> np.ndarray:
  """The bool adjacency of a random tree on n nodes."""
  parents = [int(rng.integers(0, i)) for i in range(1, n)]
  perm = rng.permutation(n)
  adjacency = np.zeros((n, n), bool)
  for child, parent in enumerate(parents, start=1):
    adjacency[perm[child], perm[parent]] = adjacency[perm[parent], perm[child]] = True
  return adjacency


def _add_random_edge(rng, adjacency: np.ndarray, allowed: np.ndarray) -> bool:
  """Adds a uniform edge among the allowed non-edges (bool [n, n]); False if there is none."""
  candidates = np.argwhere(np.triu(allowed & ~adjacency, k=1))
  if not len(candidates):
    return False
  u, v = candidates[rng.integers(len(candidates))]
  adjacency[u, v] = adjacency[v, u] = True
  return True


def _edges(adjacency: np.ndarray) -> np.ndarray:
  """Both directions of every edge, [2E, 2]."""
  return np.argwhere(adjacency).astype(np.int64)


def _cycles(rng, n: int, label: int) -> np.ndarray:
  adjacency = _tree(rng, n)
  not_loops = ~np.eye(n, dtype=bool)
  for _ in range(label):
    _add_random_edge(rng, adjacency, not_loops)  # room for them is checked up front
  return _edges(adjacency)


def _triangles(rng, n: int, label: int, num_classes: int) -> np.ndarray:
  for _ in range(_MAX_TRIES):
    adjacency = _tree(rng, n)
    # As many extra edges whatever the label: those that do not close triangles fill up.
    extra = int(rng.integers(num_classes - 1, num_classes + n // 3))
    triangles = 0
    while triangles < label or extra:
      common = adjacency.astype(np.int64) @ adjacency.astype(np.int64)
      # A noise edge closes no triangle; a label edge closes at most the missing ones.
      closing = (common >= 1) & (common <= label - triangles)
      if triangles < label and rng.random() < (label - triangles) / max(extra, 1):
        if not _add_random_edge(rng, adjacency, closing):
          break
        triangles = count_triangles(adjacency)
      elif not _add_random_edge(rng, adjacency, common == 0):
        extra = 0  # no room for more noise (small, dense graphs)
        continue
      extra = max(extra - 1, 0)
    if triangles == label:
      return _edges(adjacency)
  raise RuntimeError(f"no graph of {n} nodes with {label} triangles in {_MAX_TRIES} tries")
