"""The embedding-table SavedModel: node ids -> embeddings, stock TensorFlow ops only."""
from __future__ import annotations

from typing import Optional

import numpy as np
import tensorflow as tf


class EmbeddingTable(tf.Module):
  """Looks up precomputed embeddings by node id (int64 or string).

  Unknown ids get a zero vector and found=False.
  """

  def __init__(self, ids, embeddings, *, name=None):
    super().__init__(name=name)
    ids = np.asarray(ids)
    embeddings = np.asarray(embeddings, np.float32)
    if embeddings.ndim != 2 or len(ids) != len(embeddings):
      raise ValueError(f"embeddings must be [len(ids), D]; got {embeddings.shape} for "
                       f"{len(ids)} ids")
    if len(np.unique(ids)) != len(ids):
      raise ValueError("ids must be unique")
    self.key_dtype = tf.string if ids.dtype.kind in "OUS" else tf.int64
    keys = tf.constant(ids.astype(str) if self.key_dtype == tf.string else ids.astype(np.int64),
                       self.key_dtype)
    self.table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(keys, tf.range(len(ids), dtype=tf.int64)),
        default_value=-1)
    # One zero row at the end serves unknown ids.
    self.embeddings = tf.Variable(
        np.concatenate([embeddings, np.zeros((1, embeddings.shape[1]), np.float32)]),
        trainable=False, name="embeddings")
    self.serve = tf.function(self._serve, input_signature=[
        tf.TensorSpec([None], self.key_dtype, name="ids")])

  def _serve(self, ids):
    rows = self.table.lookup(ids)
    found = rows >= 0
    unknown = tf.shape(self.embeddings, out_type=tf.int64)[0] - 1
    return {"embeddings": tf.gather(self.embeddings, tf.where(found, rows, unknown)),
            "found": found}


def export_embedding_table(path: str, ids, embeddings, *,
                           string_ids: Optional[np.ndarray] = None) -> str:
  """Writes a SavedModel whose serving_default maps `ids` -> {"embeddings", "found"}.

  Args:
    path: output directory.
    ids: int64 node ids, one per embedding row.
    embeddings: float [N, D].
    string_ids: serve by these string ids instead (node types with string ids).

  Returns: path.
  """
  module = EmbeddingTable(ids if string_ids is None else string_ids, embeddings)
  tf.saved_model.save(module, path, signatures={"serving_default": module.serve})
  return path
