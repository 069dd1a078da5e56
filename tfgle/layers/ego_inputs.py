"""`encode_ego_batch`: an EgoGraph batch -> the (hops, masks) that EgoGNN takes."""
from __future__ import annotations

from typing import Mapping, Optional, Sequence, Union

import tensorflow as tf


def num_hops(batch: Mapping[str, Mapping[str, tf.Tensor]]) -> int:
  """K of a K-hop EgoGraph batch {"hop0": ..., ..., "hopK": ...}.

  Raises:
    ValueError: keys other than hop0..hopK, or missing hops.
  """
  if not isinstance(batch, Mapping) or "hop0" not in batch:
    keys = sorted(batch) if isinstance(batch, Mapping) else type(batch).__name__
    raise ValueError(f"batch must be an EgoGraph dict with keys hop0..hopK, got {keys}")
  k = len(batch) - 1
  expected = {f"hop{i}" for i in range(k + 1)}
  if set(batch) != expected:
    raise ValueError(f"batch must have the keys hop0..hop{k}, got {sorted(batch)}")
  return k


def encode_ego_batch(batch: Mapping[str, Mapping[str, tf.Tensor]], encoder, *,
                     node_types: Optional[Sequence[str]] = None,
                     relation_key: Optional[str] = None, dedupe_key: Optional[str] = None,
                     training=None):
  """Encodes every hop of an EgoGraph batch with its node type's encoder.

  Example:
    hops, masks = tfgle.layers.encode_ego_batch(batch, encoder)
    logits = tfgle.layers.EgoGNN([...])((hops, masks))

  A node often occurs many times in one batch (hubs; overlapping samples on
  small graphs). With `dedupe_key` (e.g. "index") each distinct node of a node
  type is encoded once: its hops come back as (nodes [U, D], positions
  [B, k1..ki]), which EgoGNN and EgoLayer take as they are (their first convs
  may then map the U nodes instead of every hop entry). Every entry of a hop
  but "mask" and the relation entry must then be a per-node value with the
  hop's leading shape, the same wherever the node occurs; all padding entries
  share one slot. Per-edge entries ("edges", the edge features of
  `ego_graph_dataset(..., edge_features=...)`) are left out of the encoding.

  Args:
    batch: {"hop0": {...}, ..., "hopK": {...}}; hop i holds "mask" [B, k1..ki]
      (hop 0 may omit it: all True) and the features of its node type.
    encoder: a FeatureEncoder (every hop), a HeteroFeatureEncoder (with
      node_types), or a dict node type -> encoder (any callable taking a hop's
      entries and `training`; with node_types).
    node_types: the node type of each hop (K + 1 names), for heterogeneous
      meta-paths.
    relation_key: name of hop i's (i >= 1) entry holding the relation id of
      the edge it was reached by; returned as a third list for EgoRGCNConv.
    dedupe_key: the entry (an int id per node, e.g. "index") by which to
      encode each distinct node once; a node type some hop of which lacks it
      is encoded entry by entry.
    training: passed to the encoders.

  Returns:
    (hops, masks), or (hops, masks, relations) with relation_key: lists of
    K + 1 embeddings [B, k1..ki, D_i] (or, deduplicated, (nodes, positions)
    pairs) and bool masks, and K relation tensors.

  Raises:
    ValueError: a malformed batch, node_types of the wrong length, or a
      heterogeneous encoder without node_types.
  """
  k = num_hops(batch)
  if node_types is not None and len(node_types) != k + 1:
    raise ValueError(f"node_types must name the node type of each of the {k + 1} hops, "
                     f"got {list(node_types)}")
  hetero = isinstance(encoder, Mapping) or hasattr(encoder, "node_types")
  if hetero and node_types is None:
    raise ValueError("node_types is required with a per-node-type encoder")
  hop_batches = [batch[f"hop{i}"] for i in range(k + 1)]
  masks = []
  for i, hop in enumerate(hop_batches):
    if "mask" in hop:
      masks.append(tf.cast(hop["mask"], tf.bool))
    elif i > 0:
      raise ValueError(f"batch['hop{i}'] has no 'mask'")
    else:
      masks.append(None)  # all True; its shape follows from the encoding
  groups = {}  # node type -> the hops of that type
  for i in range(k + 1):
    groups.setdefault(node_types[i] if hetero else None, []).append(i)
  hops = [None] * (k + 1)
  for node_type, members in groups.items():
    def encode(inputs, node_type=node_type):
      if not hetero:
        return encoder(inputs, training=training)
      if isinstance(encoder, Mapping):
        return encoder[node_type](inputs, training=training)
      return encoder(inputs, node_type=node_type, training=training)
    if dedupe_key is None or any(dedupe_key not in hop_batches[i] for i in members):
      for i in members:
        hops[i] = encode(hop_batches[i])
      continue
    nodes, positions = _distinct_nodes([hop_batches[i] for i in members],
                                       [masks[i] for i in members], dedupe_key,
                                       skip=("mask", relation_key, "edges"))
    encoded = encode(nodes)
    for i, position in zip(members, positions):
      hops[i] = (encoded, position)
  if masks[0] is None:
    masks[0] = tf.ones(tf.shape(hops[0][1] if isinstance(hops[0], tuple) else hops[0])[:1],
                       tf.bool)
  if relation_key is None:
    return hops, masks
  relations = []
  for i, hop in enumerate(hop_batches[1:], 1):
    if relation_key not in hop:
      raise ValueError(f"batch['hop{i}'] has no relation entry {relation_key!r}")
    relations.append(hop[relation_key])
  return hops, masks, relations


def _flatten_leading(value, lead_rank: int):
  """`value` with its `lead_rank` leading axes merged into one."""
  if isinstance(value, tf.RaggedTensor):
    return value.merge_dims(0, lead_rank - 1) if lead_rank > 1 else value
  value = tf.convert_to_tensor(value)
  return tf.reshape(value, tf.concat([[-1], tf.shape(value)[lead_rank:]], 0))


def _distinct_nodes(hops, masks, key: str, skip):
  """(the entries of each distinct node [U, ...], each hop's positions into them).

  Distinct by `key`; all padding entries (mask False) share one slot (id -1).
  """
  ids = [tf.cast(h[key], tf.int64) for h in hops]
  flat = [tf.reshape(i if m is None else tf.where(m, i, tf.constant(-1, tf.int64)), [-1])
          for i, m in zip(ids, masks)]
  nodes, position = tf.unique(tf.concat(flat, 0), out_idx=tf.int64)
  first = tf.math.unsorted_segment_min(tf.range(tf.size(position, out_type=tf.int64)),
                                       position, tf.size(nodes))
  inputs = {}
  for name in hops[0]:
    if name in skip:
      continue
    missing = [i for i, h in enumerate(hops) if name not in h]
    if missing:
      raise ValueError(f"encode_ego_batch: hops of one node type must have the same entries, "
                       f"but one has {name!r} and another not (it has {sorted(hops[missing[0]])})")
    values = [_flatten_leading(h[name], i.shape.rank) for h, i in zip(hops, ids)]
    inputs[name] = tf.gather(tf.concat(values, 0), first)
  positions = [tf.reshape(p, tf.shape(i))
               for p, i in zip(tf.split(position, [tf.size(f) for f in flat]), ids)]
  return inputs, positions
