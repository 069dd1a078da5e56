"""Graph snapshots: a built graph's tables in a binary form that loads without parsing.

A snapshot is a directory: `snapshot.json` (format version, the graph's
content fingerprint, schema: decoders, resolved attribute specs, edge types)
and one `.npy` file per array (ids, features, labels, splits, CSR rows). Only
plain numeric and fixed-width unicode arrays are written (no pickles), so a
snapshot can be read safely and quickly; loading rebuilds the in-graph tables
from the arrays and checks the content fingerprint, so a restarted job knows
it resumes on the very graph it saved.
"""
from __future__ import annotations

import dataclasses
import json
import os
from typing import Any, Optional

import numpy as np
import tensorflow as tf

from tfgle.graph import schema
from tfgle.graph.builder import table_order
from tfgle.graph.stores import EdgeStore, EdgeType, NodeStore
from tfgle.ops.tables import CsrTable, IdMapTable, to_tensor

FORMAT = "tfgle-graph-snapshot"
VERSION = 1
MANIFEST = "snapshot.json"
_ATTR_TYPES = {cls.__name__: cls for cls in (schema.FloatAttr, schema.IntAttr,
                                             schema.StringAttr, schema.TextAttr,
                                             schema.CategoricalAttr)}


def save(nodes: dict[str, NodeStore], edges: dict[str, EdgeStore], fingerprint: str,
         path: str) -> None:
  """Writes the stores of a built graph to directory `path` (created; must not hold a snapshot)."""
  if os.path.exists(os.path.join(path, MANIFEST)):
    raise FileExistsError(f"{path} already holds a graph snapshot; save to a new directory")
  os.makedirs(path, exist_ok=True)
  writer = _ArrayWriter(path)
  manifest: dict[str, Any] = {"format": FORMAT, "version": VERSION,
                              "fingerprint": fingerprint, "nodes": {}, "edges": {}}
  for node_type, store in nodes.items():
    prefix = f"node.{len(manifest['nodes'])}"
    manifest["nodes"][node_type] = {
        "decoder": _decoder_config(store.decoder),
        "attrs": {n: _attr_config(a) for n, a in store.attrs.items()},
        "ids": writer.put(f"{prefix}.ids", store.ids),
        "features": {n: writer.put_feature(f"{prefix}.feature.{i}", f)
                     for i, (n, f) in enumerate(store.features.items())},
        "labels": writer.put(f"{prefix}.labels", store.labels),
        "weights": writer.put(f"{prefix}.weights", store.weights),
        "timestamps": writer.put(f"{prefix}.timestamps", store.timestamps),
        "splits": {n: writer.put(f"{prefix}.split.{i}", s)
                   for i, (n, s) in enumerate(store.splits.items())},
        "id_vocab": writer.put(f"{prefix}.id_vocab", store.id_vocab),
        "first_id": store.first_id,
    }
  for name, store in edges.items():
    prefix = f"edge.{len(manifest['edges'])}"
    csr = store.csr
    nbrs, edge_ids, weights, times = csr.neighbors(tf.range(csr.num_src, dtype=tf.int64))
    manifest["edges"][name] = {
        "edge_type": list(store.edge_type),
        "decoder": _decoder_config(store.decoder),
        "attrs": {n: _attr_config(a) for n, a in store.attrs.items()},
        "num_src": csr.num_src, "num_dst": csr.num_dst,
        "num_table_edges": store.num_table_edges,
        "reverse_of": store.reverse_of,
        "symmetric": store.symmetric,
        "row_splits": writer.put(f"{prefix}.row_splits", nbrs.row_splits),
        "dst": writer.put(f"{prefix}.dst", nbrs.flat_values),
        "edge_ids": writer.put(f"{prefix}.edge_ids", edge_ids.flat_values),
        "weights": writer.put(f"{prefix}.weights",
                              None if weights is None else weights.flat_values),
        "timestamps": writer.put(f"{prefix}.timestamps",
                                 None if times is None else times.flat_values),
        "features": {n: writer.put_feature(f"{prefix}.feature.{i}", f)
                     for i, (n, f) in enumerate(store.features.items())},
    }
  # The manifest last: a directory without one is an unfinished snapshot.
  tmp = os.path.join(path, MANIFEST + ".tmp")
  with open(tmp, "w") as f:
    json.dump(manifest, f, indent=1)
  os.replace(tmp, os.path.join(path, MANIFEST))


def load(path: str) -> tuple[dict[str, NodeStore], dict[str, EdgeStore], str]:
  """Reads a snapshot directory; returns (node stores, edge stores, saved fingerprint).

  Raises:
    FileNotFoundError: `path` holds no snapshot (or an unfinished one).
    ValueError: not a tfgle graph snapshot, or of an unknown version.
  """
  manifest_path = os.path.join(path, MANIFEST)
  if not os.path.exists(manifest_path):
    raise FileNotFoundError(f"{path} holds no graph snapshot ({MANIFEST} is missing); write one "
                            "with Graph.save")
  with open(manifest_path) as f:
    try:
      manifest = json.load(f)
    except json.JSONDecodeError as e:
      raise ValueError(f"{manifest_path} is not a valid snapshot manifest: {e}") from None
  if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
    raise ValueError(f"{manifest_path} is not a tfgle graph snapshot")
  if manifest.get("version") != VERSION:
    raise ValueError(f"{manifest_path} has snapshot version {manifest.get('version')!r}; this "
                     f"tfgle reads version {VERSION}")
  reader = _ArrayReader(path)
  nodes = {}
  for node_type, entry in manifest["nodes"].items():
    ids = reader.get(entry["ids"])
    id_vocab = reader.get(entry["id_vocab"])
    store = NodeStore(
        decoder=_decoder_from_config(entry["decoder"]), id_map=IdMapTable(ids),
        ids=to_tensor(ids, np.int64),
        attrs={n: _attr_from_config(c) for n, c in entry["attrs"].items()},
        features={n: reader.get_feature(c) for n, c in entry["features"].items()},
        labels=reader.get_tensor(entry["labels"], np.int64),
        weights=reader.get_tensor(entry["weights"], np.float32),
        timestamps=reader.get_tensor(entry["timestamps"], np.int64),
        splits={n: reader.get(s) for n, s in entry["splits"].items()},
        id_vocab=None if id_vocab is None else id_vocab.astype(object),
        first_id=entry["first_id"])
    if id_vocab is not None:
      store.string_ids = tf.lookup.StaticHashTable(
          tf.lookup.KeyValueTensorInitializer(tf.constant(id_vocab.astype(str)),
                                              tf.constant(ids, tf.int64)), default_value=-1)
    nodes[node_type] = store
  edges = {}
  for name, entry in manifest["edges"].items():
    splits = reader.get(entry["row_splits"])
    rows = np.repeat(np.arange(entry["num_src"], dtype=np.int64), np.diff(splits))
    decoder = _decoder_from_config(entry["decoder"])
    # The rows are saved in the table's neighbor order, which the order's
    # stable sort keeps; the table keeps that order for edges appended later.
    csr = CsrTable(rows, reader.get(entry["dst"]), entry["num_src"], entry["num_dst"],
                   edge_ids=reader.get(entry["edge_ids"]),
                   weights=reader.get(entry["weights"]),
                   timestamps=reader.get(entry["timestamps"]), order=table_order(decoder),
                   name=name)
    edges[name] = EdgeStore(
        edge_type=EdgeType(*entry["edge_type"]), decoder=decoder, csr=csr,
        num_table_edges=entry["num_table_edges"],
        attrs={n: _attr_from_config(c) for n, c in entry["attrs"].items()},
        features={n: reader.get_feature(c) for n, c in entry["features"].items()},
        reverse_of=entry["reverse_of"], symmetric=entry["symmetric"])
  return nodes, edges, manifest["fingerprint"]


# ------------------------------------------------------------------ arrays


class _ArrayWriter:
  """Writes arrays as `<name>.npy` files; returns the name (None for None)."""

  def __init__(self, path: str):
    self._path = path

  def put(self, name: str, value) -> Optional[str]:
    if value is None:
      return None
    array = np.asarray(value)
    if array.dtype.kind in "OS":  # strings (tf.string gives bytes): fixed-width unicode
      array = np.array([v.decode() if isinstance(v, bytes) else str(v)
                        for v in array.reshape(-1)], dtype=str).reshape(array.shape)
    np.save(os.path.join(self._path, name + ".npy"), array, allow_pickle=False)
    return name

  def put_feature(self, name: str, feature) -> dict:
    """A dense tensor, or a ragged one as its flat values and row splits."""
    if isinstance(feature, tf.RaggedTensor):
      return {"values": self.put(name + ".values", feature.flat_values),
              "row_splits": [self.put(f"{name}.splits.{i}", s)
                             for i, s in enumerate(feature.nested_row_splits)],
              "string": feature.dtype == tf.string}
    return {"values": self.put(name, feature), "row_splits": [],
            "string": feature.dtype == tf.string}


class _ArrayReader:
  """Reads what _ArrayWriter wrote."""

  def __init__(self, path: str):
    self._path = path

  def get(self, name: Optional[str]) -> Optional[np.ndarray]:
    if name is None:
      return None
    file = os.path.join(self._path, name + ".npy")
    if not os.path.exists(file):
      raise FileNotFoundError(f"graph snapshot {self._path} lacks {name}.npy")
    return np.load(file, allow_pickle=False)

  def get_tensor(self, name: Optional[str], dtype) -> Optional[tf.Tensor]:
    array = self.get(name)
    return None if array is None else to_tensor(array, dtype)

  def get_feature(self, config: dict):
    values = self.get(config["values"])
    tensor = (tf.constant(values.astype(object), tf.string) if config["string"]
              else tf.convert_to_tensor(values))
    splits = [tf.constant(self.get(s), tf.int64) for s in config["row_splits"]]
    if splits:
      return tf.RaggedTensor.from_nested_row_splits(tensor, splits, validate=False)
    return tensor


# ------------------------------------------------------------------ schema


def _plain(value):
  """JSON-ready copies of tuples, numpy scalars and mappings."""
  if isinstance(value, dict):
    return {k: _plain(v) for k, v in value.items()}
  if isinstance(value, (list, tuple)):
    return [_plain(v) for v in value]
  if isinstance(value, np.generic):
    return value.item()
  return value


def _attr_config(attr: schema.Attr) -> dict:
  return {"type": type(attr).__name__, **_plain(dataclasses.asdict(attr))}


def _attr_from_config(config: dict) -> schema.Attr:
  config = dict(config)
  return _ATTR_TYPES[config.pop("type")](**config)


def _decoder_config(decoder: schema.Decoder) -> dict:
  fields = {f.name: getattr(decoder, f.name) for f in dataclasses.fields(decoder)}
  fields["attrs"] = {n: _attr_config(a) for n, a in decoder.attrs.items()}
  return _plain(fields)


def _decoder_from_config(config: dict) -> schema.Decoder:
  config = dict(config)
  config["attrs"] = {n: _attr_from_config(c) for n, c in config["attrs"].items()}
  return schema.Decoder(**config)
