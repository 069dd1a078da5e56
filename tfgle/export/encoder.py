"""The encoder SavedModel: raw EgoGraph features -> node embeddings, stock ops only.

Serving clients send the hop tensors of an ego graph with RAW attribute values
(category strings or ints, numbers), flattened into named inputs:
  hop{i}_ids   int64 [B, k1, ..., ki]  external node ids
  hop{i}_mask  bool  [B, k1, ..., ki]  False where padded
  hop{i}_{attr} the raw attribute values, same leading shape (+ [D] for float
               vectors, + [L] for multi-valued attributes padded with "" or -1)
  hop{i}_edge_{attr} (i >= 1, for models that read edge features) the raw
               attribute values of the edge that reached each node, same form
The SavedModel encodes them exactly as the graph did at load time (vocabulary
tables, hashing), maps ids to the dense indices the model was trained with
(unknown ids -> index 0), and runs the trained model's `embed` on the batch
(edge features as each hop's "edges", as ego_graph_dataset(edge_features=...)
gives them).
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
    edge_features: edge attribute names the model reads; those of the edge
      type into hop i (i >= 1) become inputs hop{i}_edge_{attr}.
    embed: how to embed a batch (default: `model.embed`).

  Raises:
    ValueError: edge_features that no edge type of the spec has, or two inputs
      of one name.
  """

  def __init__(self, model, graph, spec: EgoSpec, features: Sequence[str], *,
               edge_features: Sequence[str] = (), embed: Optional[Callable] = None, name=None):
    super().__init__(name=name)
    self.model = model
    self._embed = embed or model.embed
    self.spec = spec
    node_types = sorted(set(spec.node_types))
    self.raw = {t: RawAttrEncoder(graph.node_attrs(t)) for t in node_types}
    self.hop_edge_features = _hop_edge_features(graph, spec, edge_features)
    self.raw_edges = {t: RawAttrEncoder(graph.edge_attrs(t)) for t in sorted(set(spec.edge_types))}
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
      if i > 0:
        edges = self.raw_edges[spec.edge_types[i - 1]]
        for attr in self.hop_edge_features[i]:
          key = f"hop{i}_edge_{attr}"
          if key in signature:
            raise ValueError(f"EgoEncoder: the input {key!r} of edge attribute {attr!r} has the "
                             f"name of hop {i}'s node attribute 'edge_{attr}'; rename one")
          signature[key] = _input_spec(edges.attrs[attr], edges.raw_dtype(attr), lead)
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
      if self.hop_edge_features[i]:
        edges = self.raw_edges[self.spec.edge_types[i - 1]]
        hop["edges"] = {attr: edges.encode(attr, inputs[f"hop{i}_edge_{attr}"])
                        for attr in self.hop_edge_features[i]}
      ego[hop_name(i)] = hop
    return ego

  def _serve(self, inputs):
    return {"embeddings": self._embed(self.ego_batch(inputs))}


def _hop_edge_features(graph, spec: EgoSpec, edge_features: Sequence[str]) -> list:
  """The edge attributes of `edge_features` that each hop has (none for hop 0)."""
  if isinstance(edge_features, str):
    raise ValueError(f"edge_features must be a list of edge attribute names, got "
                     f"{edge_features!r}")
  per_hop = [[]] + [[f for f in edge_features if f in graph.edge_attrs(t)]
                    for t in spec.edge_types]
  unknown = [f for f in edge_features if not any(f in names for names in per_hop)]
  if unknown:
    raise ValueError(f"edge_features {unknown} are attributes of none of the edge types "
                     f"{list(dict.fromkeys(spec.edge_types))}; they have "
                     f"{ {t: list(graph.edge_attrs(t)) for t in dict.fromkeys(spec.edge_types)} }")
  return per_hop


def _raw_values(name: str, value, attr: schema.Attr):
  """Graph values of an attribute mapped back to raw values (categories through the vocab)."""
  if not isinstance(attr, schema.CategoricalAttr):
    return value
  if attr.hashed:
    raise ValueError(f"attribute {name!r} is hashed; its raw values cannot be recovered")
  vocab = np.asarray(("",) + tuple(attr.vocab) if attr.dtype != "int64"
                     else (-1,) + tuple(attr.vocab))
  table = tf.constant(vocab.astype(np.int64) if attr.dtype == "int64" else vocab.astype(str))
  if isinstance(value, tf.RaggedTensor):
    raw = value.with_flat_values(tf.gather(table, value.flat_values))
    return raw.to_tensor(default_value="" if attr.dtype != "int64" else -1)
  return tf.gather(table, value)


def raw_inputs(graph, ego: dict, spec: EgoSpec, features: Sequence[str],
               raw_columns: Optional[dict] = None, *,
               edge_features: Sequence[str] = ()) -> dict:
  """The encoder's named raw inputs for a tfgle EgoGraph batch (tests, clients).

  Category ids are mapped back to their raw values through the graph's
  vocabularies. Hashed attributes cannot be inverted: give their raw values
  as `raw_columns[node_type][attr]`, an array indexed by dense node index
  (hashed edge attributes cannot be given). `edge_features` are read from
  each hop's "edges".
  """
  raw_columns = raw_columns or {}
  hop_edges = _hop_edge_features(graph, spec, edge_features)
  inputs = {}
  for i, node_type in enumerate(spec.node_types):
    hop = ego[hop_name(i)]
    inputs[f"hop{i}_ids"] = hop["ids"]
    inputs[f"hop{i}_mask"] = hop["mask"]
    attrs = graph.node_attrs(node_type)
    for name in features:
      if name not in attrs:
        continue
      if name in raw_columns.get(node_type, {}):
        value = tf.gather(tf.constant(raw_columns[node_type][name]), hop["index"])
      else:
        value = _raw_values(name, hop[name], attrs[name])
      inputs[f"hop{i}_{name}"] = value
    if hop_edges[i]:
      edge_attrs = graph.edge_attrs(spec.edge_types[i - 1])
      for name in hop_edges[i]:
        inputs[f"hop{i}_edge_{name}"] = _raw_values(name, hop["edges"][name], edge_attrs[name])
  return inputs


def export_encoder(path: str, model, graph, spec: EgoSpec, features: Sequence[str], *,
                   edge_features: Sequence[str] = (), embed: Optional[Callable] = None) -> str:
  """Writes the encoder SavedModel (serving_default: raw inputs -> {"embeddings"}).

  edge_features: the edge attributes the model reads (see EgoEncoder).
  """
  module = EgoEncoder(model, graph, spec, features, edge_features=edge_features, embed=embed)
  tf.saved_model.save(module, path, signatures={"serving_default": module.serve})
  return path
