"""Bulk inference: the embedding of every node of a trained model's tower, and its files.

Example:
  manifest = tfgle.training.read_manifest(model_dir)
  ids, embeddings = tfgle.training.embed_nodes(model, graph, manifest, batch_size=512, seed=0)
  tfgle.training.write_embeddings(out_dir, ids, embeddings, "npy")

  # Everything an export writes, for each tower of the model (one for a node
  # classifier, "user" and "item" for a two-tower model):
  for name in manifest.towers:
    tfgle.training.bulk_inference.export_tower(os.path.join(out_dir, name), model, graph,
                                               manifest, tower=name, fmt="npy")
"""
from __future__ import annotations

import os
from typing import Optional

import numpy as np
import tensorflow as tf

from tfgle import data
from tfgle._progress import RateProgress
from tfgle import export
from tfgle.training.manifest import ModelManifest

FORMATS = ("npy", "tsv", "parquet")


def node_batches(graph, manifest: ModelManifest, *, batch_size: int, seed: int,
                 tower: Optional[str] = None) -> tf.data.Dataset:
  """Every node of the tower's node type exactly once, in index order, without labels.

  Neighbors are sampled as in evaluation (eval_fanouts, eval_strategy).
  """
  spec = manifest.tower(tower)
  kwargs = dict(seeds=spec.node_type, meta_path=list(spec.meta_path),
                fanouts=list(manifest.eval_fanouts), batch_size=batch_size, label=False,
                shuffle=False, strategy=manifest.eval_strategy, seed=seed)
  if manifest.batch == "subgraph":
    return data.subgraph_dataset(graph, features=list(manifest.features[spec.node_type]),
                                **kwargs)
  return data.ego_graph_dataset(graph, features={t: list(names) for t, names in
                                               manifest.features.items()}, **kwargs)


def seed_ids(batch, manifest: ModelManifest) -> tf.Tensor:
  """The ids of a node_batches batch's seeds."""
  if manifest.batch == "subgraph":
    return batch["ids"][:batch["num_seeds"]]
  return batch["hop0"]["ids"]


def embed_nodes(model, graph, manifest: ModelManifest, *, batch_size: int, seed: int,
                tower: Optional[str] = None,
                verbose: int = 0) -> tuple[np.ndarray, np.ndarray]:
  """(ids [N], embeddings [N, D]) of every node of the tower's node type.

  verbose=1 shows a progress bar over the nodes, with nodes/s.

  Raises:
    RuntimeError: the batches did not cover every node once.
  """
  spec = manifest.tower(tower)
  embed = tf.function(getattr(model, spec.method))
  progress = RateProgress(graph.num_nodes(spec.node_type), unit="node", rate_name="nodes/s",
                          verbose=verbose)
  ids, embeddings = [], []
  for batch in node_batches(graph, manifest, batch_size=batch_size, seed=seed, tower=tower):
    ids.append(seed_ids(batch, manifest).numpy())
    embeddings.append(embed(batch).numpy())
    progress.add(len(ids[-1]), len(ids[-1]))
  ids, embeddings = np.concatenate(ids), np.concatenate(embeddings)
  expected = graph.num_nodes(spec.node_type)
  if len(ids) != expected or len(np.unique(ids)) != expected:
    raise RuntimeError(f"bulk inference covered {len(np.unique(ids))} of {expected} nodes of "
                       f"{spec.node_type!r}")
  return ids, embeddings


def write_embeddings(directory: str, ids: np.ndarray, embeddings: np.ndarray, fmt: str) -> str:
  """Writes the embeddings as `fmt` (npy: ids.npy + embeddings.npy; tsv; parquet).

  Returns:
    The embeddings file's path.
  """
  if fmt not in FORMATS:
    raise ValueError(f"fmt must be one of {list(FORMATS)}, got {fmt!r}")
  os.makedirs(directory, exist_ok=True)
  if fmt == "npy":
    np.save(os.path.join(directory, "ids.npy"), ids)
    path = os.path.join(directory, "embeddings.npy")
    np.save(path, embeddings)
  elif fmt == "tsv":
    path = os.path.join(directory, "embeddings.tsv")
    with open(path, "w") as f:
      f.write("id:int64\tembedding:string\n")
      for node_id, row in zip(ids.tolist(), embeddings):
        f.write(f"{node_id}\t{':'.join(f'{v:.6g}' for v in row)}\n")
  else:
    import pyarrow as pa  # pylint: disable=g-import-not-at-top
    import pyarrow.parquet as pq  # pylint: disable=g-import-not-at-top
    path = os.path.join(directory, "embeddings.parquet")
    values = pa.array(embeddings.reshape(-1).astype(np.float32))
    pq.write_table(pa.table({"id": ids, "embedding": pa.FixedSizeListArray.from_arrays(
        values, embeddings.shape[1])}), path)
  return path


def tower_features(manifest: ModelManifest, tower: Optional[str] = None) -> list[str]:
  """The attributes the tower's hops read (those of every node type on its meta-path)."""
  spec = manifest.tower(tower)
  names = [name for t in dict.fromkeys(spec.hop_node_types) for name in manifest.features.get(
      t, ())]
  return list(dict.fromkeys(names))


def export_tower(directory: str, model, graph, manifest: ModelManifest, *,
                 tower: Optional[str] = None, fmt: str = "npy", batch_size: int = 512,
                 seed: int = 0, servable: bool = False, verbose: int = 0) -> dict:
  """Writes one tower's exports under `directory`; returns {what: path} and sizes.

  Writes embeddings.{fmt} (every node of the tower's node type, bulk
  inference), embedding_table/ (SavedModel: ids -> embeddings), for EgoGraph
  models encoder/ (SavedModel: raw ego-graph features -> embeddings) and with
  `servable` graph_servable/ (SavedModel: ids -> embeddings, sampling in the
  model; tfgle.export.export_graph_servable). Every SavedModel embeds with the
  tower's method (`embed`, `embed_users`, `embed_items`). verbose=1 shows
  the bulk inference's progress.

  Raises:
    ValueError: `servable` for a SubGraph model (the servable samples EgoGraphs).
  """
  spec = manifest.tower(tower)
  if servable and manifest.batch != "ego_graph":
    raise ValueError(f"servable=True needs an EgoGraph model, got batch={manifest.batch!r}")
  ids, embeddings = embed_nodes(model, graph, manifest, batch_size=batch_size, seed=seed,
                                tower=tower, verbose=verbose)
  string_ids = (graph.id_strings(spec.node_type, ids) if graph.has_string_ids(spec.node_type)
                else None)
  result = {"node_type": spec.node_type, "nodes": int(len(ids)),
            "embedding_dim": int(embeddings.shape[1]),
            "embeddings": write_embeddings(directory, ids, embeddings, fmt),
            "embedding_table": export.export_embedding_table(
                os.path.join(directory, "embedding_table"), ids, embeddings,
                string_ids=string_ids)}
  if manifest.batch == "ego_graph":
    embed = getattr(model, spec.method)
    features = tower_features(manifest, tower)
    ego = data.ego_spec(graph, spec.node_type, list(spec.meta_path), list(manifest.eval_fanouts))
    result["encoder"] = export.export_encoder(os.path.join(directory, "encoder"), model, graph,
                                              ego, features, embed=embed)
    if servable:
      result["graph_servable"] = export.export_graph_servable(
          os.path.join(directory, "graph_servable"), model, graph, ego, features, embed=embed,
          seed=seed)
  return result
