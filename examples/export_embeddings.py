"""Exports a trained model for serving, and every node's embedding (bulk inference).

usage: python examples/export_embeddings.py --model_dir=DIR --output_dir=OUT [--format=npy]

Reads DIR/model_info.json (written by the training binaries) to rebuild the
graph and the sampling pipeline, loads DIR/model, and writes under OUT:
  embeddings.{npy,tsv,parquet} (+ ids.npy for npy): the embedding of every node;
  embedding_table/: SavedModel, node ids -> embeddings;
  encoder/:         SavedModel, raw ego-graph features -> embedding (ego models).
Both SavedModels contain stock TensorFlow ops only (tfgle.export).
"""
import json
import os

from absl import app
from absl import flags
from absl import logging
import numpy as np

import common  # pylint: disable=g-bad-import-order  (defines the dataset flags)
import tfgle
import tfgle.models  # pylint: disable=unused-import  (registers the model classes)
import tensorflow as tf  # pylint: disable=g-bad-import-order

_OUTPUT_DIR = flags.DEFINE_string("output_dir", None, "Where the exports go.", required=True)
_FORMAT = flags.DEFINE_enum("format", "npy", ["npy", "tsv", "parquet"],
                            "File format of the bulk embeddings.")
flags.mark_flag_as_required("model_dir")

FLAGS = flags.FLAGS


def _apply_training_flags(info: dict) -> None:
  """Rebuilds the graph the model was trained on: the training run's data flags."""
  for name, value in info.get("flags", {}).items():
    if name in FLAGS and not FLAGS[name].present:
      FLAGS[name].value = value


def _batches(graph, info: dict):
  """Every node of the model's node type exactly once, in index order."""
  fanouts = info.get("eval_fanouts") or info["fanouts"]
  common_args = dict(seeds=info["node_type"], meta_path=info["meta_path"], fanouts=fanouts,
                     batch_size=common.BATCH_SIZE.value, label=False, shuffle=False,
                     strategy=info.get("eval_strategy", "random"), seed=common.SEED.value)
  if info.get("batch", "ego_graph") == "subgraph":
    return tfgle.data.subgraph_dataset(graph, features=info["feature_names"], **common_args)
  return tfgle.data.ego_graph_dataset(graph, features=info["feature_names"], **common_args)


def _seed_ids(batch, info):
  if info.get("batch", "ego_graph") == "subgraph":
    return batch["ids"][:batch["num_seeds"]]
  return batch["hop0"]["ids"]


def _write_embeddings(directory: str, ids: np.ndarray, embeddings: np.ndarray) -> str:
  if _FORMAT.value == "npy":
    np.save(os.path.join(directory, "ids.npy"), ids)
    path = os.path.join(directory, "embeddings.npy")
    np.save(path, embeddings)
  elif _FORMAT.value == "tsv":
    path = os.path.join(directory, "embeddings.tsv")
    with open(path, "w") as f:
      f.write("id:int64\tembedding:string\n")
      for node_id, row in zip(ids.tolist(), embeddings):
        f.write(f"{node_id}\t{':'.join(f'{v:.6g}' for v in row)}\n")
  else:
    import pyarrow as pa  # pylint: disable=g-import-not-at-top
    import pyarrow.parquet as pq  # pylint: disable=g-import-not-at-top
    path = os.path.join(directory, "embeddings.parquet")
    dim = embeddings.shape[1]
    values = pa.array(embeddings.reshape(-1).astype(np.float32))
    pq.write_table(pa.table({"id": ids, "embedding": pa.FixedSizeListArray.from_arrays(
        values, dim)}), path)
  return path


def main(argv):
  del argv
  model_dir = common.MODEL_DIR.value
  with open(os.path.join(model_dir, "model_info.json")) as f:
    info = json.load(f)
  _apply_training_flags(info)
  graph, _ = common.load_graph()
  model = tf.keras.models.load_model(os.path.join(model_dir, info.get("saved_model", "model")))
  node_type = info["node_type"]

  ids, embeddings = [], []
  embed = tf.function(model.embed)
  for batch in _batches(graph, info):
    ids.append(_seed_ids(batch, info).numpy())
    embeddings.append(embed(batch).numpy())
  ids, embeddings = np.concatenate(ids), np.concatenate(embeddings)
  if len(ids) != graph.num_nodes(node_type):
    raise RuntimeError(f"bulk inference covered {len(ids)} of {graph.num_nodes(node_type)} "
                       f"nodes of {node_type!r}")

  out = _OUTPUT_DIR.value
  os.makedirs(out, exist_ok=True)
  embeddings_path = _write_embeddings(out, ids, embeddings)
  string_ids = graph.id_strings(node_type, ids) if graph.has_string_ids(node_type) else None
  table_path = tfgle.export.export_embedding_table(os.path.join(out, "embedding_table"), ids,
                                                   embeddings, string_ids=string_ids)
  result = {"nodes": int(len(ids)), "embedding_dim": int(embeddings.shape[1]),
            "embeddings": embeddings_path, "embedding_table": table_path}
  if info.get("batch", "ego_graph") == "ego_graph":
    spec = tfgle.data.ego_spec(graph, node_type, info["meta_path"],
                               info.get("eval_fanouts") or info["fanouts"])
    result["encoder"] = tfgle.export.export_encoder(
        os.path.join(out, "encoder"), model, graph, spec, info["feature_names"])
  else:
    logging.warning("SubGraph models export the embedding table only (no encoder SavedModel)")
  print(f"exported: {json.dumps(result)}", flush=True)


if __name__ == "__main__":
  app.run(main)
