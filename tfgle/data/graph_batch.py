"""Graph batches: whole small graphs of a collection, concatenated into one disjoint union.

For graph-level tasks. A batch of B graphs is a dict
  {"graph_index": int64 [N], the graph (0..B-1, in batch order) of each node,
   "num_graphs": int64 scalar B,
   "edge_index": int64 [2, E] node positions in the batch: row 0 the message
                 source, row 1 the target (edges never cross graphs),
   "graph_ids": int64 [B] the graphs' external ids,
   "ids": int64 [N] the nodes' external ids (unique within their graph),
   <node feature>: [N, ...] the collection's features}
with labels int64 [B]. The readouts of `tfgle.layers` (`GlobalSumPool`, ...)
pool node states by "graph_index" into one vector per graph. As a
`tfgnn.GraphTensor` (graph_tensor=True) a batch has one component per graph.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import numpy as np
import tensorflow as tf

from tfgle.graph.graph_collection import GraphCollection

# Entries of a graph batch that are not node features.
STRUCTURE = ("graph_index", "num_graphs", "edge_index", "graph_ids", "ids")


def graph_batch_dataset(collection: GraphCollection, batch_size: int = 32, *,
                        split: Union[None, str, Sequence[int], np.ndarray] = None,
                        label: bool = True, shuffle: bool = True, seed: int = 0,
                        drop_remainder: bool = False,
                        features: Optional[Sequence[str]] = None, graph_tensor: bool = False,
                        num_parallel_calls: Optional[int] = None,
                        deterministic: bool = True) -> tf.data.Dataset:
  """A tf.data.Dataset of batches of whole graphs of a collection (see the module docstring).

  Each epoch visits the graphs of `split` once, in a random order with
  shuffle=True: a seeded one, the same in every run for the same seed (each
  iteration over the dataset draws a new one, also deterministic). Batches
  are built with TensorFlow ops only (no Python per batch).

  Example:
    collection = tfgle.datasets.synthetic_graph_collection(1000)
    train = tfgle.data.graph_batch_dataset(collection, 64, split="train")
    batch, labels = next(iter(train))   # batch["graph_index"] [N], labels [64]

  Args:
    collection: a `tfgle.graph.GraphCollection`.
    batch_size: graphs per batch.
    split: the graphs: None (all), the name of one of `collection.splits`, or
      graph positions (ints in [0, num_graphs)).
    label: yield (batch, labels [B]); False yields the batches alone.
    shuffle: visit the graphs in a random order (else in `split` order).
    seed: the seed of the order.
    drop_remainder: drop a last batch of fewer than batch_size graphs.
    features: node features to include (None: all).
    graph_tensor: yield `tfgnn.GraphTensor`s (node set "nodes", edge set
      "edges", one component per graph, context feature "graph_ids") instead
      of dicts.
    num_parallel_calls, deterministic: as `tf.data.Dataset.map`'s.

  Returns:
    A tf.data.Dataset of (batch, int64 labels [B]), or of batches.

  Raises:
    ValueError: a batch_size that is not a positive int, an unknown split or
      feature, graph positions out of range, label=True for an unlabeled
      collection, or split graphs none of which fill a batch with
      drop_remainder.
  """
  if not isinstance(collection, GraphCollection):
    raise ValueError(f"collection must be a tfgle.graph.GraphCollection, got "
                     f"{type(collection).__name__}")
  if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or (
      batch_size <= 0):
    raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
  positions = _positions(collection, split)
  if label and collection.labels is None:
    raise ValueError("label=True, but the collection has no labels (read it with a "
                     "graph_decoder that names a label column, or pass label=False)")
  names = list(collection.features) if features is None else list(features)
  unknown = [n for n in names if n not in collection.features]
  if unknown:
    raise ValueError(f"features {unknown} are not features of the collection; it has "
                     f"{sorted(collection.features)}")
  collisions = [n for n in names if n in STRUCTURE]
  if collisions:
    raise ValueError(f"features {collisions} collide with graph batch entries {list(STRUCTURE)};"
                     " rename them")
  if drop_remainder and len(positions) < batch_size:
    raise ValueError(f"drop_remainder=True, but the split has {len(positions)} graphs, fewer "
                     f"than batch_size={batch_size}: every batch would be dropped")

  node_offsets = tf.constant(collection.node_offsets, tf.int64)
  edge_offsets = tf.constant(collection.edge_offsets, tf.int64)
  edges = tf.constant(collection.edges, tf.int64)
  graph_ids = tf.constant(collection.graph_ids, tf.int64)
  node_ids = tf.constant(collection.node_ids, tf.int64)
  feature_values = {n: tf.constant(collection.features[n]) for n in names}
  labels = None if not label else tf.constant(collection.labels, tf.int64)

  def to_batch(graphs):
    nodes = tf.ragged.range(tf.gather(node_offsets, graphs), tf.gather(node_offsets, graphs + 1))
    edge_rows = tf.ragged.range(tf.gather(edge_offsets, graphs),
                                tf.gather(edge_offsets, graphs + 1))
    rows = nodes.flat_values
    # Each graph's first node in the batch, added to its edges' local positions.
    first = tf.cumsum(nodes.row_lengths(), exclusive=True)
    local = tf.gather(edges, edge_rows.flat_values)
    edge_index = tf.transpose(local + tf.gather(first, edge_rows.value_rowids())[:, tf.newaxis])
    batch = {"graph_index": nodes.value_rowids(),
             "num_graphs": tf.size(graphs, out_type=tf.int64),
             "edge_index": edge_index,
             "graph_ids": tf.gather(graph_ids, graphs),
             "ids": tf.gather(node_ids, rows),
             **{n: tf.gather(v, rows) for n, v in feature_values.items()}}
    if graph_tensor:
      batch = _to_graph_tensor(batch, nodes.row_lengths(), edge_rows.row_lengths())
    if labels is None:
      return batch
    return batch, tf.gather(labels, graphs)

  ds = tf.data.Dataset.from_tensor_slices(positions)
  if shuffle:
    ds = ds.shuffle(max(len(positions), 1), seed=seed, reshuffle_each_iteration=True)
  ds = ds.batch(batch_size, drop_remainder=drop_remainder)
  return ds.map(to_batch, num_parallel_calls=num_parallel_calls or tf.data.AUTOTUNE,
                deterministic=deterministic)


def _to_graph_tensor(batch: dict, num_nodes: tf.Tensor, num_edges: tf.Tensor, *,
                    node_set: str = "nodes", edge_set: str = "edges"):
  """A tfgnn.GraphTensor of a graph batch, one component per graph.

  Args:
    batch: a graph batch dict (see the module docstring).
    num_nodes, num_edges: int [B], the number of nodes and edges of each graph.
    node_set, edge_set: the names of the node set and the edge set.
  """
  import tensorflow_gnn as tfgnn  # pylint: disable=g-import-not-at-top
  node_features = {k: v for k, v in batch.items()
                   if k not in ("num_graphs", "edge_index", "graph_ids")}
  return tfgnn.GraphTensor.from_pieces(
      context=tfgnn.Context.from_fields(features={"graph_ids": batch["graph_ids"]}),
      node_sets={node_set: tfgnn.NodeSet.from_fields(sizes=num_nodes, features=node_features)},
      edge_sets={edge_set: tfgnn.EdgeSet.from_fields(
          sizes=num_edges, features={},
          adjacency=tfgnn.Adjacency.from_indices(
              source=(node_set, batch["edge_index"][0]),
              target=(node_set, batch["edge_index"][1])))})


def _positions(collection: GraphCollection, split) -> np.ndarray:
  """The int64 graph positions that `split` names."""
  if split is None:
    return np.arange(collection.num_graphs, dtype=np.int64)
  if isinstance(split, str):
    if split not in collection.splits:
      raise ValueError(f"split {split!r} is not a split of the collection; its splits are "
                       f"{sorted(collection.splits)}")
    return collection.splits[split].astype(np.int64)
  positions = np.asarray(split)
  if positions.ndim != 1 or (len(positions) and positions.dtype.kind not in "iu"):
    raise ValueError(f"split must be None, a split name or a list of graph positions, got "
                     f"{split!r}")
  positions = positions.astype(np.int64)
  if len(positions) and (positions.min() < 0 or positions.max() >= collection.num_graphs):
    raise ValueError(f"split has graph positions outside [0, {collection.num_graphs})")
  return positions
