"""Raw attribute values -> the values a graph stores, with stock TensorFlow ops.

The graph stores categorical attributes as category ids (see
tfgle.graph.encoding). A served encoder receives raw values instead, so it
repeats that encoding inside the SavedModel: vocabularies become static hash
tables (id 0 = out of vocabulary, vocab[i] -> i + 1) and hashed attributes use
tf.strings.to_hash_bucket_fast on the string form, exactly as at load time.
"""
from __future__ import annotations

import tensorflow as tf

from tfgle.graph import schema


class RawAttrEncoder(tf.Module):
  """Encodes the raw values of one node type's attributes into graph values.

  Args:
    attrs: name -> resolved attribute spec (`graph.node_attrs(node_type)`).
  """

  def __init__(self, attrs: dict, name=None):
    super().__init__(name=name)
    self.attrs = dict(attrs)
    self.tables = {}
    for attr_name, spec in self.attrs.items():
      if isinstance(spec, schema.CategoricalAttr) and not spec.hashed:
        dtype = tf.int64 if spec.dtype == "int64" else tf.string
        keys = tf.constant(list(spec.vocab), dtype) if spec.vocab else tf.zeros([0], dtype)
        self.tables[attr_name] = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                keys, tf.range(1, len(spec.vocab) + 1, dtype=tf.int64)), default_value=0)

  def raw_dtype(self, attr_name: str) -> tf.DType:
    """The dtype of the raw values of an attribute."""
    spec = self.attrs[attr_name]
    if isinstance(spec, schema.CategoricalAttr):
      return tf.int64 if spec.dtype == "int64" else tf.string
    if isinstance(spec, schema.FloatAttr):
      return tf.float32
    if isinstance(spec, schema.IntAttr):
      return tf.int64
    return tf.string

  def padding_value(self, attr_name: str):
    """The value that pads dense multi-valued inputs ("" or -1)."""
    return "" if self.raw_dtype(attr_name) == tf.string else -1

  def encode(self, attr_name: str, raw):
    """Graph values of raw values (multi-valued: dense padded or ragged)."""
    spec = self.attrs[attr_name]
    if not isinstance(spec, schema.CategoricalAttr):
      return raw
    if spec.multivalued and not isinstance(raw, tf.RaggedTensor):
      raw = tf.RaggedTensor.from_tensor(raw, padding=self.padding_value(attr_name),
                                        ragged_rank=raw.shape.rank - 1)
    if isinstance(raw, tf.RaggedTensor):
      return raw.with_flat_values(self._ids(attr_name, spec, raw.flat_values))
    return self._ids(attr_name, spec, raw)

  def _ids(self, attr_name, spec, values):
    if spec.hashed:
      strings = values if values.dtype == tf.string else tf.strings.as_string(values)
      return tf.strings.to_hash_bucket_fast(strings, spec.num_buckets)
    return self.tables[attr_name].lookup(values)
