"""Bulk inference: the embedding of every node of a trained model's tower, and its files.

Example:
  manifest = tfgle.training.read_manifest(model_dir)
  ids, embeddings = tfgle.training.embed_nodes(model, graph, manifest, batch_size=512, seed=0)
  tfgle.training.write_embeddings(out_dir, ids, embeddings, "npy")
"""
from __future__ import annotations

import os
from typing import Optional

import numpy as np
import tensorflow as tf

from tfgle import data
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
                tower: Optional[str] = None) -> tuple[np.ndarray, np.ndarray]:
  """(ids [N], embeddings [N, D]) of every node of the tower's node type.

  Raises:
    RuntimeError: the batches did not cover every node once.
  """
  spec = manifest.tower(tower)
  embed = tf.function(getattr(model, spec.method))
  ids, embeddings = [], []
  for batch in node_batches(graph, manifest, batch_size=batch_size, seed=seed, tower=tower):
    ids.append(seed_ids(batch, manifest).numpy())
    embeddings.append(embed(batch).numpy())
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
