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
                     relation_key: Optional[str] = None, training=None):
  """Encodes every hop of an EgoGraph batch with its node type's encoder.

  Example:
    hops, masks = tfgle.layers.encode_ego_batch(batch, encoder)
    logits = tfgle.layers.EgoGNN([...])((hops, masks))

  Args:
    batch: {"hop0": {...}, ..., "hopK": {...}}; hop i holds "mask" [B, k1..ki]
      (hop 0 may omit it: all True) and the features of its node type.
    encoder: a FeatureEncoder (every hop), a HeteroFeatureEncoder (with
      node_types), or a dict node type -> encoder (with node_types).
    node_types: the node type of each hop (K + 1 names), for heterogeneous
      meta-paths.
    relation_key: name of hop i's (i >= 1) entry holding the relation id of
      the edge it was reached by; returned as a third list for EgoRGCNConv.
    training: passed to the encoders.

  Returns:
    (hops, masks), or (hops, masks, relations) with relation_key: lists of
    K + 1 embeddings [B, k1..ki, D_i] and bool masks, and K relation tensors.

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
  hops, masks, relations = [], [], []
  for i in range(k + 1):
    hop = batch[f"hop{i}"]
    if not hetero:
      hops.append(encoder(hop, training=training))
    elif isinstance(encoder, Mapping):
      hops.append(encoder[node_types[i]](hop, training=training))
    else:
      hops.append(encoder(hop, node_type=node_types[i], training=training))
    if "mask" in hop:
      masks.append(tf.cast(hop["mask"], tf.bool))
    elif i == 0:
      masks.append(tf.ones(tf.shape(hops[0])[:1], tf.bool))
    else:
      raise ValueError(f"batch['hop{i}'] has no 'mask'")
    if relation_key is not None and i > 0:
      if relation_key not in hop:
        raise ValueError(f"batch['hop{i}'] has no relation entry {relation_key!r}")
      relations.append(hop[relation_key])
  if relation_key is not None:
    return hops, masks, relations
  return hops, masks
