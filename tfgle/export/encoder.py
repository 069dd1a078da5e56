"""The encoder SavedModel: raw EgoGraph features -> node embeddings, stock ops only.

Serving clients send the hop tensors of an ego graph with RAW attribute values
(category strings or ints, numbers), flattened into named inputs:
  hop{i}_ids   int64 [B, k1, ..., ki]  external node ids
  hop{i}_mask  bool  [B, k1, ..., ki]  False where padded
  hop{i}_{attr} the raw attribute values, same leading shape (+ [D] for float
               vectors, + [L] for multi-valued attributes padded with "" or -1)
The SavedModel encodes them exactly as the graph did at load time (vocabulary
tables, hashing), maps ids to the dense indices the model was trained with
(unknown ids -> index 0), and runs the trained model's `embed` on the batch.
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import numpy as np
import tensorflow as tf

from tfgle.data.ego_graph import EgoSpec, hop_name
from tfgle.export.raw_features import RawAttrEncoder
from tfgle.graph import schema


def _input_spec(attr: schema.Attr, raw_dtype: tf.DType, lead: list) -> tf.TensorSpec:
  if isinstance(attr, schema.FloatAttr) and attr.dim is not None:
    return tf.TensorSpec(lead + [attr.dim], raw_dtype)
  if isinstance(attr, schema.CategoricalAttr) and attr.multivalued:
    return tf.TensorSpec(lead + [None], raw_dtype)
  return tf.TensorSpec(lead, raw_dtype)


class EgoEncoder(tf.Module):
  """Serves `embed(ego)` of a trained model on raw ego-graph features.

  Args:
    model: the trained model (tracked, so its variables are saved).
    graph: the graph the model was trained on (attribute specs, id -> index).
    spec: the EgoSpec of the batches the model takes.
    features: attribute names the model reads; those of each hop's node type
      become inputs.
    embed: how to embed a batch (default: `model.embed`).
  """

  def __init__(self, model, graph, spec: EgoSpec, features: Sequence[str], *,
               embed: Optional[Callable] = None, name=None):
    super().__init__(name=name)
    self.model = model
    self._embed = embed or model.embed
    self.spec = spec
    node_types = sorted(set(spec.node_types))
    self.raw = {t: RawAttrEncoder(graph.node_attrs(t)) for t in node_types}
    self.index_tables = {
        t: tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
            graph.node_ids(t), tf.range(graph.num_nodes(t), dtype=tf.int64)), default_value=0)
        for t in node_types}
    self.hop_features = [
        [f for f in features if f in graph.node_attrs(t)] for t in spec.node_types]
    signature = {}
    for i, node_type in enumerate(spec.node_types):
      lead = [None] + list(spec.fanouts[:i])
      signature[f"hop{i}_ids"] = tf.TensorSpec(lead, tf.int64)
      signature[f"hop{i}_mask"] = tf.TensorSpec(lead, tf.bool)
      encoder = self.raw[node_type]
      for attr in self.hop_features[i]:
        signature[f"hop{i}_{attr}"] = _input_spec(encoder.attrs[attr], encoder.raw_dtype(attr),
                                                  lead)
    # Signature inputs take their names from the specs.
    self.signature = {key: tf.TensorSpec(spec_.shape, spec_.dtype, name=key)
                      for key, spec_ in signature.items()}
    self.serve = tf.function(self._serve, input_signature=[self.signature])

  def ego_batch(self, inputs: dict) -> dict:
    """The EgoGraph batch (graph-encoded values) of the named raw inputs."""
    ego = {}
    for i, node_type in enumerate(self.spec.node_types):
      ids = inputs[f"hop{i}_ids"]
      hop = {"ids": ids, "mask": inputs[f"hop{i}_mask"],
             "index": self.index_tables[node_type].lookup(ids)}
      for attr in self.hop_features[i]:
        hop[attr] = self.raw[node_type].encode(attr, inputs[f"hop{i}_{attr}"])
      ego[hop_name(i)] = hop
    return ego

  def _serve(self, inputs):
    return {"embeddings": self._embed(self.ego_batch(inputs))}


def raw_inputs(graph, ego: dict, spec: EgoSpec, features: Sequence[str],
               raw_columns: Optional[dict] = None) -> dict:
  """The encoder's named raw inputs for a tfgle EgoGraph batch (tests, clients).

  Category ids are mapped back to their raw values through the graph's
  vocabularies. Hashed attributes cannot be inverted: give their raw values
  as `raw_columns[node_type][attr]`, an array indexed by dense node index.
  """
  raw_columns = raw_columns or {}
  inputs = {}
  for i, node_type in enumerate(spec.node_types):
    hop = ego[hop_name(i)]
    inputs[f"hop{i}_ids"] = hop["ids"]
    inputs[f"hop{i}_mask"] = hop["mask"]
    attrs = graph.node_attrs(node_type)
    for name in features:
      if name not in attrs:
        continue
      value, spec_ = hop[name], attrs[name]
      if name in raw_columns.get(node_type, {}):
        value = tf.gather(tf.constant(raw_columns[node_type][name]), hop["index"])
      elif isinstance(spec_, schema.CategoricalAttr):
        if spec_.hashed:
          raise ValueError(f"attribute {name!r} is hashed; its raw values cannot be recovered")
        vocab = np.asarray(("",) + tuple(spec_.vocab) if spec_.dtype != "int64"
                           else (-1,) + tuple(spec_.vocab))
        table = tf.constant(vocab.astype(np.int64) if spec_.dtype == "int64"
                            else vocab.astype(str))
        if isinstance(value, tf.RaggedTensor):
          raw = value.with_flat_values(tf.gather(table, value.flat_values))
          value = raw.to_tensor(default_value="" if spec_.dtype != "int64" else -1)
        else:
          value = tf.gather(table, value)
      inputs[f"hop{i}_{name}"] = value
  return inputs


def export_encoder(path: str, model, graph, spec: EgoSpec, features: Sequence[str], *,
                   embed: Optional[Callable] = None) -> str:
  """Writes the encoder SavedModel (serving_default: raw inputs -> {"embeddings"})."""
  module = EgoEncoder(model, graph, spec, features, embed=embed)
  tf.saved_model.save(module, path, signatures={"serving_default": module.serve})
  return path
