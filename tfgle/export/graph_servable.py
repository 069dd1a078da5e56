"""The graph servable: node ids -> GNN embeddings, sampling neighborhoods inside the SavedModel.

The encoder SavedModel (tfgle.export.encoder) needs clients to send sampled
neighborhoods. This one holds the graph itself — each hop's CSR topology and
node features as variables — and samples the ego graph of every requested id
with stock TensorFlow ops only, then runs the model's `embed`. So stock
TensorFlow Serving answers `ids -> embedding` for any node of the exported
graph: re-export from an updated graph (a snapshot with new nodes and edges)
and new nodes get embeddings too. Unknown ids come back with found=False and
a zero embedding.

Sampling is uniform with replacement (tfgle's "random" strategy) and keyed by
a fixed seed and each id, so the same id gets the same embedding on every
call, whatever else is in the request.
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import tensorflow as tf

from tfgle.data.ego_graph import EgoSpec, hop_name


class _NodeTable(tf.Module):
  """One node type's id -> index map and feature columns, as variables."""

  def __init__(self, graph, node_type: str, features: Sequence[str]):
    super().__init__(name=f"nodes_{node_type}")
    string_ids = graph.has_string_ids(node_type)
    ids = graph.node_ids(node_type)
    keys = (tf.constant(graph.id_strings(node_type, ids).astype(str)) if string_ids else ids)
    self.key_dtype = keys.dtype
    self.ids = tf.Variable(ids, trainable=False, name="ids")
    self.index = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
        keys, tf.range(graph.num_nodes(node_type), dtype=tf.int64)), default_value=-1)
    tensors = graph.feature_tensors(node_type)
    self.dense = {}
    self.ragged = {}
    for name in features:
      value = tensors[name]
      if isinstance(value, tf.RaggedTensor):
        self.ragged[name] = (tf.Variable(value.flat_values, trainable=False),
                             tf.Variable(value.row_splits, trainable=False))
      else:
        self.dense[name] = tf.Variable(value, trainable=False)

  def gather(self, index, mask) -> dict:
    """The hop entries of dense indices `index` (any shape)."""
    hop = {"ids": tf.where(mask, tf.gather(self.ids, index), tf.constant(-1, tf.int64)),
           "index": index, "mask": mask}
    for name, variable in self.dense.items():
      hop[name] = tf.gather(variable, index)
    for name, (values, splits) in self.ragged.items():
      column = tf.RaggedTensor.from_row_splits(values.read_value(), splits.read_value(),
                                               validate=False)
      hop[name] = tf.gather(column, index)  # as tfgle's pipelines gather it
    return hop


class _Topology(tf.Module):
  """One edge type's CSR rows (row splits and neighbor indices), as variables."""

  def __init__(self, graph, edge_type: str):
    super().__init__(name=f"edges_{edge_type}")
    csr = graph.csr(edge_type)
    nbrs, _, _, _ = csr.neighbors(tf.range(csr.num_src, dtype=tf.int64))
    self.row_splits = tf.Variable(nbrs.row_splits, trainable=False, name="row_splits")
    self.neighbors = tf.Variable(nbrs.flat_values, trainable=False, name="neighbors")

  def sample(self, index, mask, keys, fanout: int):
    """`fanout` uniform neighbors (with replacement) of each masked row.

    Args:
      index, mask: int64 / bool [N] rows to sample.
      keys: uint64 [N] random key of each row: its draws depend on it alone.
      fanout: samples per row.

    Returns:
      (neighbors int64 [N, fanout], mask [N, fanout], child keys uint64 [N, fanout]).
    """
    start = tf.gather(self.row_splits, index)
    degree = tf.gather(self.row_splits, index + 1) - start
    draws = tf.cast(tf.range(fanout, dtype=tf.int64), tf.uint64)
    words = _mix(keys[:, tf.newaxis] + _mix(draws))
    uniform = tf.cast(tf.bitwise.right_shift(words, tf.constant(11, tf.uint64)),
                      tf.float64) / 2.0**53
    offset = tf.cast(uniform * tf.cast(degree, tf.float64)[:, tf.newaxis], tf.int64)
    has = (degree > 0) & mask
    sampled_mask = tf.broadcast_to(has[:, tf.newaxis], tf.shape(offset))
    position = tf.where(sampled_mask, start[:, tf.newaxis] + offset, 0)
    size = tf.size(self.neighbors, out_type=tf.int64)
    nbrs = tf.gather(self.neighbors, tf.minimum(position, tf.maximum(size - 1, 0)))
    return tf.where(sampled_mask, nbrs, 0), sampled_mask, _mix(words)


def _mix(x):
  """SplitMix64's finalizer: a well-mixed uint64 of each uint64."""
  x = x + tf.constant(0x9E3779B97F4A7C15, tf.uint64)
  x = tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, tf.constant(30, tf.uint64)))
  x = x * tf.constant(0xBF58476D1CE4E5B9, tf.uint64)
  x = tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, tf.constant(27, tf.uint64)))
  x = x * tf.constant(0x94D049BB133111EB, tf.uint64)
  return tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, tf.constant(31, tf.uint64)))


class GraphServable(tf.Module):
  """Serves `ids -> {"embeddings", "found"}`, sampling each id's ego graph in the model.

  Args:
    model: the trained model (tracked, so its variables are saved); its
      `embed` takes EgoGraph batches of `spec`.
    graph: the graph to serve (the training graph, or an updated one).
    spec: the EgoSpec (node types, edge types, fanouts) of the model's batches.
    features: node attributes the model reads (each hop gets those of its type).
    embed: how to embed a batch (default: `model.embed`).
    seed: the base seed of the in-model sampling.

  Raises:
    ValueError: a feature that no hop's node type has.
  """

  def __init__(self, model, graph, spec: EgoSpec, features: Sequence[str], *,
               embed: Optional[Callable] = None, seed: int = 0, name=None):
    super().__init__(name=name)
    self.model = model
    self._embed = embed or model.embed
    self.spec = spec
    if not isinstance(seed, int) or not 0 <= seed < 2**63:
      raise ValueError(f"seed must be an int in [0, 2**63), got {seed!r}")
    self._seed = seed
    known = set().union(*(graph.node_attrs(t) for t in spec.node_types))
    unknown = [f for f in features if f not in known]
    if unknown:
      raise ValueError(f"features {unknown} are not attributes of the node types "
                       f"{sorted(set(spec.node_types))}")
    self.nodes = {t: _NodeTable(graph, t, [f for f in features if f in graph.node_attrs(t)])
                  for t in sorted(set(spec.node_types))}
    self.edges = {e: _Topology(graph, e) for e in sorted(set(spec.edge_types))}
    key_dtype = self.nodes[spec.node_types[0]].key_dtype
    self.serve = tf.function(self._serve, input_signature=[
        tf.TensorSpec([None], key_dtype, name="ids")])

  def ego_batch(self, ids) -> tuple[dict, tf.Tensor]:
    """(the EgoGraph batch sampled around `ids`, found [B])."""
    seeds = self.nodes[self.spec.node_types[0]]
    index = seeds.index.lookup(ids)
    found = index >= 0
    index = tf.where(found, index, 0)
    seed_found = found
    # Each id's draws are keyed by the id (and the seed): the same id gets the
    # same samples in any request.
    id_keys = (tf.strings.to_hash_bucket_fast(ids, 2**63 - 1) if ids.dtype == tf.string
               else ids)
    keys = _mix(tf.bitcast(id_keys, tf.uint64) + _mix(tf.constant(self._seed, tf.uint64)))
    batch = {hop_name(0): seeds.gather(index, found)}
    shape = tf.shape(index, out_type=tf.int64)
    for i, (edge_type, fanout) in enumerate(zip(self.spec.edge_types, self.spec.fanouts),
                                            start=1):
      nbrs, mask, keys = self.edges[edge_type].sample(index, found, keys, fanout)
      shape = tf.concat([shape, [fanout]], 0)
      batch[hop_name(i)] = self.nodes[self.spec.node_types[i]].gather(
          tf.reshape(nbrs, shape), tf.reshape(mask, shape))
      index, found, keys = (tf.reshape(nbrs, [-1]), tf.reshape(mask, [-1]),
                            tf.reshape(keys, [-1]))
    return batch, seed_found

  def _serve(self, ids):
    batch, found = self.ego_batch(ids)
    embeddings = self._embed(batch)
    return {"embeddings": tf.where(found[:, tf.newaxis], embeddings,
                                   tf.zeros_like(embeddings)),
            "found": found}


def export_graph_servable(path: str, model, graph, spec: EgoSpec, features: Sequence[str], *,
                          embed: Optional[Callable] = None, seed: int = 0) -> str:
  """Writes the graph servable SavedModel (serving_default: ids -> embeddings, found)."""
  module = GraphServable(model, graph, spec, features, embed=embed, seed=seed)
  tf.saved_model.save(module, path, signatures={"serving_default": module.serve})
  return path
