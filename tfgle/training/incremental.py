"""Incremental training: a trained model, warm-started on its graph after updates.

The pieces examples/train_incremental.py wires together:
- `parse_update`: an update table named on the command line,
  `node:NODE_TYPE=PATH` (new nodes) or `edge:EDGE_TYPE=PATH` (new edges).
- `apply_updates`: adds them to a built graph in one update
  (`tfgle.Graph.update`) and returns the nodes it touched: the new nodes and
  the endpoints of the new edges, by node type.
- `training_seeds`: the touched nodes outside val/test, plus a replay sample
  of the old training seeds (so the model does not forget the old graph).
- `rebuild_model`: the trained model's architecture built again for the grown
  graph (id-embedding tables and categorical vocabularies of the new sizes),
  warm-started from the trained weights (`tfgle.features.warm_start`).
- `manifest_graph` / `snapshot_manifest`: a model trained incrementally
  records the snapshot of its updated graph in its manifest (data =
  {"snapshot": DIR, "base": the original data}); `manifest_graph` loads the
  graph of any manifest, snapshot or data set.

Example:
  graph = tfgle.Graph.load(snapshot_dir)
  touched = incremental.apply_updates(graph, [incremental.parse_update("node:node=new.tsv")])
  seeds = incremental.training_seeds(graph, "node", touched, replay_fraction=0.1, seed=0)
  model, report = incremental.rebuild_model(trained, graph, "node")
"""
from __future__ import annotations

import dataclasses
import os
from typing import Mapping, Optional, Sequence

import numpy as np
import tensorflow as tf

from tfgle.features.warm_start import warm_start
from tfgle.graph import Graph
from tfgle.training import data_config as data_config_lib
from tfgle.training.manifest import ModelManifest

UPDATE_KINDS = ("node", "edge")
# Splits whose nodes are never trained on.
HELD_OUT_SPLITS = ("val", "test")


@dataclasses.dataclass(frozen=True)
class Update:
  """One update table: new nodes of `type_name` ("node") or new edges of it ("edge")."""
  kind: str
  type_name: str
  path: str


def parse_update(item: str) -> Update:
  """The Update of a `node:NODE_TYPE=PATH` or `edge:EDGE_TYPE=PATH` entry.

  Raises:
    ValueError: another form (the message shows the allowed ones).
  """
  kind, sep, rest = item.partition(":")
  type_name, eq, path = rest.partition("=")
  if not sep or kind not in UPDATE_KINDS or not eq or not type_name or not path:
    raise ValueError(f"updates entry {item!r} must be node:NODE_TYPE=PATH or "
                     "edge:EDGE_TYPE=PATH")
  return Update(kind, type_name, path)


def _degrees(graph) -> dict:
  """(edge type name -> (out-degree per source, in-degree per destination))."""
  out = {}
  for et in graph.edge_types:
    csr = graph.csr(et.name)
    nbrs, _, _, _ = csr.neighbors(tf.range(csr.num_src, dtype=tf.int64))
    out[et.name] = (np.diff(nbrs.row_splits.numpy()),
                    np.bincount(nbrs.flat_values.numpy(), minlength=csr.num_dst))
  return out


def apply_updates(graph, updates: Sequence[Update]) -> dict[str, np.ndarray]:
  """Adds the updates to `graph` (one `graph.update`); returns the touched nodes.

  Returns:
    node type -> sorted dense indices of its new nodes and of the endpoints of
    new edges (a node whose in- or out-degree grew in any edge type).

  Raises:
    ValueError: no updates, a type named twice, or any error of Graph.update
      (unknown types, known node ids, dangling edges, bad rows).
  """
  if not updates:
    raise ValueError("updates must name at least one node or edge table")
  tables = {"node": {}, "edge": {}}
  for update in updates:
    if update.type_name in tables[update.kind]:
      raise ValueError(f"updates name {update.kind} type {update.type_name!r} twice; give one "
                       "table per type")
    tables[update.kind][update.type_name] = update.path
  old_counts = {t: graph.num_nodes(t) for t in graph.node_types}
  old_degrees = _degrees(graph)
  graph.update(nodes=tables["node"], edges=tables["edge"])
  touched = {t: [np.arange(old_counts[t], graph.num_nodes(t), dtype=np.int64)]
             for t in graph.node_types}
  new_degrees = _degrees(graph)
  for et in graph.edge_types:
    (new_out, new_in), (old_out, old_in) = new_degrees[et.name], old_degrees[et.name]
    touched[et.src].append(np.flatnonzero(new_out[:len(old_out)] != old_out))
    touched[et.dst].append(np.flatnonzero(new_in[:len(old_in)] != old_in))
  return {t: np.unique(np.concatenate(parts)).astype(np.int64) for t, parts in touched.items()}


def training_seeds(graph, node_type: str, touched: Mapping[str, np.ndarray], *,
                   replay_fraction: float, seed: int,
                   old_train: Optional[np.ndarray] = None) -> np.ndarray:
  """Dense indices to train on: touched nodes outside val/test, and a replay sample.

  Args:
    graph: the updated graph.
    node_type: the node type trained on.
    touched: apply_updates' result.
    replay_fraction: the fraction of the old training seeds (not touched)
      drawn again, in [0, 1].
    seed: seed of the replay sample.
    old_train: the old training seeds (default: the graph's "train" split).

  Raises:
    ValueError: a bad replay_fraction, or no seed at all.
  """
  if isinstance(replay_fraction, bool) or not isinstance(replay_fraction, (int, float)) or (
      not 0 <= replay_fraction <= 1):
    raise ValueError(f"replay_fraction must be a fraction in [0, 1], got {replay_fraction!r}")
  splits = graph.splits(node_type)
  held_out = [graph.split_indices(node_type, s).numpy() for s in HELD_OUT_SPLITS if s in splits]
  new = np.setdiff1d(touched.get(node_type, np.zeros(0, np.int64)),
                     np.concatenate(held_out) if held_out else np.zeros(0, np.int64))
  if old_train is None:
    old_train = graph.split_indices(node_type, "train").numpy() if "train" in splits else []
  old = np.setdiff1d(np.asarray(old_train, np.int64), new)
  replay = np.random.default_rng(seed).choice(old, int(round(replay_fraction * len(old))),
                                              replace=False)
  seeds = np.union1d(new, replay).astype(np.int64)
  if not len(seeds):
    raise ValueError(f"the updates touched no trainable node of {node_type!r} (outside "
                     f"{list(HELD_OUT_SPLITS)}) and replay_fraction={replay_fraction} drew no "
                     "old training seed: nothing to train on")
  return seeds


def _grown_spec(spec: dict, graph, node_type: str, name: str) -> dict:
  """A feature spec config with the sizes of the grown graph."""
  spec = dict(spec)
  if spec.get("type") == "id" and spec.get("key") == "index" and spec.get("num_ids"):
    spec["num_ids"] = max(graph.num_nodes(node_type), 1)
  attr = graph.node_attrs(node_type).get(name)
  if (spec.get("type") == "categorical" and spec.get("vocab") is not None and
      getattr(attr, "vocab", None) is not None):
    spec["vocab"] = list(attr.vocab)
  return spec


def rebuild_model(trained: tf.keras.Model, graph, node_type: str):
  """(the trained model's architecture built for `graph`, the warm-start report).

  The model is made from the trained one's config with the feature specs
  grown to the graph (id embeddings of dense indices get one row per node,
  categorical vocabularies the graph's), then built and warm-started: old rows
  and weights copied, new rows freshly initialised.

  Args:
    trained: the trained model (loaded from its SavedModel).
    graph: the updated graph.
    node_type: the node type of a homogeneous model's features (a model with
      per-type features, `node_types`, grows each type's).
  """
  config = trained.get_config()
  features = {name: (spec.get_config() if hasattr(spec, "get_config") else spec)
              for name, spec in config["features"].items()}
  if config.get("node_types"):
    config["features"] = {t: {n: _grown_spec(s, graph, t, n) for n, s in specs.items()}
                          for t, specs in features.items()}
  else:
    config["features"] = {n: _grown_spec(s, graph, node_type, n) for n, s in features.items()}
  model = type(trained).from_config(config)
  model.build()
  return model, warm_start(model, trained)


def snapshot_manifest(manifest: ModelManifest, model: tf.keras.Model,
                      snapshot_dir: str) -> ModelManifest:
  """`manifest` for the warm-started `model`, whose graph is the snapshot in `snapshot_dir`."""
  base = manifest.data.get("base", manifest.data) if "snapshot" in manifest.data else manifest.data
  return dataclasses.replace(manifest, data={"snapshot": os.path.abspath(snapshot_dir),
                                             "base": dict(base)},
                             embedding_dim=model.embedding_dim)


def manifest_graph(manifest: ModelManifest):
  """(graph, info) a model was trained on: its snapshot, else its data set (info None)."""
  if "snapshot" in manifest.data:
    return Graph.load(manifest.data["snapshot"]), None
  return data_config_lib.load_graph(data_config_lib.DataConfig.from_dict(manifest.data))
