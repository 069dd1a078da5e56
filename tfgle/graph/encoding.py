"""Turning typed attribute columns into the feature tensors a graph keeps.

Categorical values become int64 category ids exactly as Keras' `StringLookup`/
`IntegerLookup` (vocabulary, id 0 = out of vocabulary) or `Hashing` layers
would compute them, so a served model can repeat the encoding on raw values.
"""
from __future__ import annotations

import dataclasses
from typing import Union

import numpy as np
import tensorflow as tf

from tfgle.graph import schema
from tfgle.graph.columns import ColumnData, RaggedColumn
from tfgle.ops.tables import to_tensor

Feature = Union[tf.Tensor, tf.RaggedTensor]


def resolve_attr(spec: schema.Attr, data: ColumnData) -> schema.Attr:
  """The spec with a vocabulary learned from `data` where none was given."""
  if (isinstance(spec, schema.CategoricalAttr) and spec.vocab is None
      and spec.num_buckets is None):
    values = data.values if isinstance(data, RaggedColumn) else data
    vocab = np.unique(values) if len(values) else np.zeros(0, values.dtype)
    learned = tuple(int(v) for v in vocab) if spec.dtype == "int64" else tuple(
        str(v) for v in vocab)
    return dataclasses.replace(spec, vocab=learned)
  return spec


def encode_attr(name: str, spec: schema.Attr, data: ColumnData) -> Feature:
  """The feature tensor of one attribute column (spec already resolved)."""
  if isinstance(spec, schema.CategoricalAttr):
    if isinstance(data, RaggedColumn):
      ids = _category_ids(data.values, spec)
      return tf.RaggedTensor.from_row_splits(to_tensor(ids, np.int64),
                                             to_tensor(data.row_splits, np.int64),
                                             validate=False)
    return to_tensor(_category_ids(data, spec), np.int64)
  if isinstance(spec, schema.StringAttr):
    return tf.constant(data.astype(object), tf.string)
  # to_tensor: one copy of the column (tf.constant would keep two).
  if isinstance(spec, schema.IntAttr):
    return to_tensor(data, np.int64)
  if isinstance(spec, schema.FloatAttr):
    return to_tensor(data, np.float32)
  raise ValueError(f"attribute {name!r} has an unknown spec {spec!r}")


def _category_ids(values: np.ndarray, spec: schema.CategoricalAttr) -> np.ndarray:
  """int64 category ids of raw `values` (1-D)."""
  if spec.hashed:
    strings = tf.constant(values.astype(str) if values.dtype.kind != "O" else values, tf.string)
    return tf.strings.to_hash_bucket_fast(strings, spec.num_buckets).numpy()
  vocab = np.asarray(spec.vocab, dtype=np.int64 if spec.dtype == "int64" else object)
  if spec.dtype != "int64":
    vocab, values = vocab.astype(str), values.astype(str)
  if not len(vocab):
    return np.zeros(len(values), np.int64)
  order = np.argsort(vocab, kind="stable")
  sorted_vocab = vocab[order]
  pos = np.clip(np.searchsorted(sorted_vocab, values), 0, len(vocab) - 1)
  found = sorted_vocab[pos] == values
  return np.where(found, order[pos] + 1, 0).astype(np.int64)
