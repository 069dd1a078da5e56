"""A content hash of a built graph: ids, features, labels, splits and topology."""
from __future__ import annotations

import hashlib
from typing import Mapping

import numpy as np
import tensorflow as tf

from tfgle.graph.stores import EdgeStore, NodeStore


def fingerprint(nodes: Mapping[str, NodeStore], edges: Mapping[str, EdgeStore]) -> str:
  """The hex blake2b-128 hash of a graph's content (see tfgle.Graph.fingerprint)."""
  digest = hashlib.blake2b(digest_size=16)

  def add(value):
    if isinstance(value, tf.RaggedTensor):
      add(value.flat_values)
      add(value.row_splits)
    elif isinstance(value, (tf.Tensor, np.ndarray)):
      array = np.asarray(value)
      digest.update(f"{array.dtype}{array.shape}".encode())
      digest.update(_text_bytes(array) if array.dtype.kind in "OUS"
                    else np.ascontiguousarray(array))
    else:
      digest.update(repr(value).encode())
  for node_type, store in nodes.items():
    add(node_type)
    add(store.ids)
    for name in sorted(store.features):
      add(name)
      add(store.features[name])
    for column in (store.labels, store.weights, store.timestamps):
      add(column if column is not None else "none")
    for name in sorted(store.splits):
      add(name)
      add(store.splits[name])
  for store in edges.values():
    add((tuple(store.edge_type), store.csr.fingerprint()))
    for feature in sorted(store.features):
      add(feature)
      add(store.features[feature])
  return digest.hexdigest()


def _text_bytes(array: np.ndarray) -> bytes:
  """The UTF-8 bytes of a text array's values, NUL-separated (any language, not just ASCII)."""
  return b"\0".join(v if isinstance(v, bytes) else str(v).encode("utf-8")
                     for v in array.reshape(-1).tolist())
