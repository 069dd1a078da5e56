"""A deterministic synthetic power-law graph with class-clustered node features.

The recipe is the one every peer benchmark shares (`gen_graph.py` in the
project's shared peers folder), so the same seed and sizes give bit-identical
arrays here and there:

- edges: Chung-Lu style; both endpoints are drawn independently with
  popularity ~ Zipf(0.8) over a random permutation of the node ids, so degrees
  follow a power law and hubs are spread over the id range;
- labels: uniform over `num_classes`;
- features: `0.5 * center[label] + N(0, 1)` with one standard-normal center per
  class, so a GNN (or even an MLP) can learn the labels;
- edge weights: uniform in [0, 1), drawn after the features (they are the
  `weight` column of the TSV edge table `gen_graph.py` writes).

Example:
  graph, info = tfgle.datasets.synthetic(num_nodes=1000, num_edges=5000)
  graph.num_edges("links"), info.splits["train"][:5]
"""
from __future__ import annotations

import dataclasses
import os
from typing import Sequence

import numpy as np

NODE_TYPE = "node"
EDGE_TYPE = ("node", "node", "links")
SEED = 20261121

# Rows of the GLE-style TSV tables written per chunk (bounds the memory of the text).
_TSV_CHUNK = 200_000


@dataclasses.dataclass
class SyntheticArrays:
  """The raw arrays of a synthetic graph (node i has id i).

  Attributes:
    edges: int64 [E, 2] (src, dst) ids.
    feats: float32 [N, dim] node features.
    labels: int64 [N] node classes.
    weights: float32 [E] edge weights in [0, 1).
  """
  edges: np.ndarray
  feats: np.ndarray
  labels: np.ndarray
  weights: np.ndarray


@dataclasses.dataclass
class SyntheticInfo:
  """What a trainer needs to know about a synthetic graph.

  Attributes:
    num_nodes, num_edges, dim, num_classes, seed: the generation parameters.
    node_type: "node"; edge_type: ("node", "node", "links").
    feature: name of the float feature attribute ("feat").
    splits: "train"/"val"/"test" -> sorted node ids (disjoint, covering all nodes).
    test_edges: int64 [n, 2] (src, dst) ids of the edges held out of the graph
      (`holdout_edges`), for link prediction; empty without.
  """
  num_nodes: int
  num_edges: int
  dim: int
  num_classes: int
  seed: int
  splits: dict[str, np.ndarray]
  node_type: str = NODE_TYPE
  edge_type: tuple[str, str, str] = EDGE_TYPE
  feature: str = "feat"
  test_edges: np.ndarray = dataclasses.field(
      default_factory=lambda: np.zeros((0, 2), np.int64))


def _check_sizes(num_nodes, num_edges, dim, num_classes, seed):
  for name, value, low in (("num_nodes", num_nodes, 1), ("num_edges", num_edges, 0),
                           ("dim", dim, 1), ("num_classes", num_classes, 1), ("seed", seed, 0)):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
      raise ValueError(f"{name} must be an int >= {low}, got {value!r}")


def generate_arrays(num_nodes: int = 10_000, num_edges: int = 200_000, dim: int = 64,
                    num_classes: int = 16, seed: int = SEED) -> SyntheticArrays:
  """The raw arrays of the synthetic graph (exactly those `gen_graph.py` writes).

  Args:
    num_nodes: number of nodes N (ids 0..N-1).
    num_edges: number of directed edges E (self-loops and repeats can occur).
    dim: feature dimension.
    num_classes: number of label classes.
    seed: seed of numpy's default generator (PCG64).

  Returns:
    A `SyntheticArrays`.

  Raises:
    ValueError: a size that is not a positive int (num_edges may be 0).
  """
  _check_sizes(num_nodes, num_edges, dim, num_classes, seed)
  n, e = int(num_nodes), int(num_edges)
  rng = np.random.default_rng(int(seed))
  # The draws below must stay in this order: it is what makes them equal to gen_graph.py's.
  popularity = 1.0 / np.arange(1, n + 1) ** 0.8
  popularity /= popularity.sum()
  perm = rng.permutation(n)
  src = perm[rng.choice(n, size=e, p=popularity)]
  dst = perm[rng.choice(n, size=e, p=popularity)]
  edges = np.stack([src, dst], 1).astype(np.int64)
  del src, dst
  labels = rng.integers(0, num_classes, size=n)
  centers = rng.normal(size=(num_classes, dim)).astype(np.float32)
  feats = centers[labels] * 0.5 + rng.normal(size=(n, dim)).astype(np.float32)
  weights = rng.random(e).astype(np.float32)
  return SyntheticArrays(edges, feats.astype(np.float32, copy=False),
                         labels.astype(np.int64), weights)


def split_ids(num_nodes: int, seed: int = SEED,
              fractions: Sequence[float] = (0.6, 0.2, 0.2)) -> dict[str, np.ndarray]:
  """A random train/val/test split of node ids 0..num_nodes-1.

  Deterministic in (num_nodes, seed, fractions), and drawn from its own
  generator, so it does not change the graph's arrays.

  Args:
    num_nodes: number of nodes.
    seed: the graph's seed.
    fractions: (train, val, test) fractions, each >= 0, summing to 1.

  Returns:
    {"train", "val", "test"} -> sorted int64 ids; disjoint, and together all ids.
  """
  fractions = tuple(fractions)
  if (len(fractions) != 3 or any(isinstance(f, bool) or not isinstance(f, (int, float))
                                 or not f >= 0 for f in fractions)
      or abs(sum(fractions) - 1.0) > 1e-6):
    raise ValueError(f"split fractions must be three numbers >= 0 that sum to 1 "
                     f"(train, val, test), got {fractions!r}")
  order = np.random.default_rng([int(seed), 1]).permutation(num_nodes)
  num_train = int(round(fractions[0] * num_nodes))
  num_val = min(int(round(fractions[1] * num_nodes)), num_nodes - num_train)
  parts = np.split(order, [num_train, num_train + num_val])
  return {name: np.sort(part).astype(np.int64)
          for name, part in zip(("train", "val", "test"), parts)}


def synthetic(num_nodes: int = 10_000, num_edges: int = 200_000, dim: int = 64,
              num_classes: int = 16, seed: int = SEED, *,
              split_fractions: Sequence[float] = (0.6, 0.2, 0.2), weighted: bool = False,
              directed: bool = True, holdout_edges: float = 0.0):
  """Builds the synthetic graph as a `tfgle.Graph`.

  The graph has one node type "node" (attribute "feat": FloatAttr(dim), and
  labels) and one edge type ("node", "node", "links"), directed by default.
  Splits "train"/"val"/"test" are registered on the graph (`graph.split`).

  Example:
    graph, info = synthetic(num_nodes=1000, num_edges=5000, dim=16, num_classes=4)
    graph.split("node", "train")         # external ids of the training nodes
    graph.node_features("node", [0, 1])  # {"feat": float32 [2, 16]}

  Args:
    num_nodes, num_edges, dim, num_classes, seed: as in `generate_arrays`.
    split_fractions: (train, val, test) fractions of the node split.
    weighted: keep the edge weights (neighbors then ordered by weight, descending).
    directed: False adds every edge's reverse.
    holdout_edges: fraction of the edges left out of the graph for link
      prediction, drawn from a generator of their own. `info.test_edges`
      holds them, less self-loops, repeats and pairs that stay in the graph
      (in either direction when undirected).

  Returns:
    (graph, SyntheticInfo).

  Raises:
    ValueError: bad sizes, split fractions or holdout_edges.
  """
  if (isinstance(holdout_edges, bool) or not isinstance(holdout_edges, (int, float))
      or not 0 <= holdout_edges < 1):
    raise ValueError(f"holdout_edges must be a fraction in [0, 1), got {holdout_edges!r}")
  # pylint: disable=g-import-not-at-top
  from tfgle.graph.graph import Graph
  from tfgle.graph.schema import Decoder, FloatAttr
  splits = split_ids(num_nodes, seed, split_fractions)
  arrays = generate_arrays(num_nodes, num_edges, dim, num_classes, seed)
  nodes = {"id": np.arange(num_nodes, dtype=np.int64), "feat": arrays.feats,
           "label": arrays.labels}
  keep = np.ones(len(arrays.edges), bool)
  test_edges = np.zeros((0, 2), np.int64)
  if holdout_edges:
    held = np.random.default_rng([int(seed), 2]).permutation(len(keep))
    keep[held[:int(round(holdout_edges * len(keep)))]] = False
    test_edges = _unseen_pairs(arrays.edges[~keep], arrays.edges[keep], num_nodes, directed)
  edges = {"src_id": arrays.edges[keep, 0], "dst_id": arrays.edges[keep, 1]}
  if weighted:
    edges["weight"] = arrays.weights[keep]
  del arrays
  graph = (Graph()
           .node(nodes, node_type=NODE_TYPE,
                 decoder=Decoder(attrs={"feat": FloatAttr(dim=dim)}, label="label"))
           .edge(edges, edge_type=EDGE_TYPE, directed=directed,
                 decoder=Decoder(weight="weight" if weighted else None))
           .build())
  for name, ids in splits.items():
    graph.add_split(NODE_TYPE, name, ids)
  info = SyntheticInfo(num_nodes=int(num_nodes), num_edges=int(num_edges), dim=int(dim),
                       num_classes=int(num_classes), seed=int(seed), splits=splits,
                       test_edges=test_edges)
  return graph, info


def _unseen_pairs(held: np.ndarray, kept: np.ndarray, num_nodes: int,
                  directed: bool) -> np.ndarray:
  """The distinct non-loop pairs of `held` not in `kept` (nor reversed, if undirected)."""
  n = np.int64(num_nodes)
  kept_keys = kept[:, 0] * n + kept[:, 1]
  if not directed:
    kept_keys = np.concatenate([kept_keys, kept[:, 1] * n + kept[:, 0]])
  keys = np.unique(held[:, 0] * n + held[:, 1])
  keys = keys[~np.isin(keys, kept_keys) & (keys // n != keys % n)]
  return np.stack([keys // n, keys % n], axis=1).astype(np.int64)


def write_tables(out_dir: str, num_nodes: int = 10_000, num_edges: int = 200_000,
                 dim: int = 64, num_classes: int = 16, seed: int = SEED, *,
                 npy: bool = True, parquet: bool = True, tsv: bool = True) -> SyntheticArrays:
  """Writes the synthetic graph's tables into `out_dir` (created if missing).

  Files (all deterministic in the arguments):
  - `edges.npy` int64 [E, 2], `feats.npy` float32 [N, dim], `labels.npy` int64 [N]
    (byte-identical to gen_graph.py's);
  - `edges.parquet` (src_id int64, dst_id int64, weight float32) and
    `vertices.parquet` (id int64, feature fixed_size_list<float32>[dim], label int64);
  - GLE-style `edges.tsv` (`src_id:int64 dst_id:int64 weight:float`) and
    `vertices.tsv` (`id:int64 feature:string label:int64`, features as
    `f0:f1:...`), formatted as gen_graph.py formats them (4 decimals).

  Returns:
    The `SyntheticArrays` written.
  """
  arrays = generate_arrays(num_nodes, num_edges, dim, num_classes, seed)
  os.makedirs(out_dir, exist_ok=True)
  if npy:
    np.save(os.path.join(out_dir, "edges.npy"), arrays.edges)
    np.save(os.path.join(out_dir, "feats.npy"), arrays.feats)
    np.save(os.path.join(out_dir, "labels.npy"), arrays.labels)
  if parquet:
    write_parquet(out_dir, arrays.edges, arrays.feats, arrays.labels, arrays.weights)
  if tsv:
    _write_tsv(out_dir, arrays)
  return arrays


def write_parquet(out_dir: str, edges: np.ndarray, feats: np.ndarray, labels: np.ndarray,
                  weights: np.ndarray):
  """Writes `edges.parquet` and `vertices.parquet` (see `write_tables`) from arrays."""
  import pyarrow as pa  # pylint: disable=g-import-not-at-top
  import pyarrow.parquet as pq  # pylint: disable=g-import-not-at-top
  edge_table = pa.table({
      "src_id": pa.array(np.ascontiguousarray(edges[:, 0]), pa.int64()),
      "dst_id": pa.array(np.ascontiguousarray(edges[:, 1]), pa.int64()),
      "weight": pa.array(weights, pa.float32())})
  _write_atomic(pq, edge_table, os.path.join(out_dir, "edges.parquet"))
  del edge_table
  dim = feats.shape[1]
  flat = pa.array(np.ascontiguousarray(feats, np.float32).reshape(-1), pa.float32())
  vertex_table = pa.table({
      "id": pa.array(np.arange(len(feats), dtype=np.int64)),
      "feature": pa.FixedSizeListArray.from_arrays(flat, dim),
      "label": pa.array(labels.astype(np.int64, copy=False))})
  _write_atomic(pq, vertex_table, os.path.join(out_dir, "vertices.parquet"))


def _write_atomic(pq, table, path):
  """Writes a Parquet file under a temporary name, then renames it into place."""
  tmp = f"{path}.tmp{os.getpid()}"
  pq.write_table(table, tmp, row_group_size=1 << 20)
  os.replace(tmp, path)


def _write_tsv(out_dir: str, arrays: SyntheticArrays):
  edges, weights, feats, labels = arrays.edges, arrays.weights, arrays.feats, arrays.labels
  with open(os.path.join(out_dir, "edges.tsv"), "w") as f:
    f.write("src_id:int64\tdst_id:int64\tweight:float\n")
    for i in range(0, len(edges), _TSV_CHUNK):
      block = edges[i:i + _TSV_CHUNK].tolist()
      wts = weights[i:i + _TSV_CHUNK].tolist()
      f.write("".join(f"{s}\t{d}\t{x:.4f}\n" for (s, d), x in zip(block, wts)))
  with open(os.path.join(out_dir, "vertices.tsv"), "w") as f:
    f.write("id:int64\tfeature:string\tlabel:int64\n")
    for i in range(0, len(feats), _TSV_CHUNK):
      rows = feats[i:i + _TSV_CHUNK].tolist()
      f.write("".join(f"{i + j}\t{':'.join(f'{v:.4f}' for v in row)}\t{labels[i + j]}\n"
                      for j, row in enumerate(rows)))
