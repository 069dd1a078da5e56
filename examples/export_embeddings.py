"""Exports a trained model for serving, and every node's embedding (bulk inference).

usage: python examples/export_embeddings.py --model_dir=DIR --output_dir=OUT [--format=npy]

Reads DIR/model_info.json (the manifest written by train_supervised.py,
tfgle.training.ModelManifest) to rebuild the graph and the sampling pipeline,
loads DIR/model, and writes under OUT:
  embeddings.{npy,tsv,parquet} (+ ids.npy for npy): the embedding of every node;
  embedding_table/: SavedModel, node ids -> embeddings;
  encoder/:         SavedModel, raw ego-graph features -> embedding (ego models).
Both SavedModels contain stock TensorFlow ops only (tfgle.export). Data flags
given on the command line (e.g. --data_dir) replace the training run's.
"""
import json
import os

from absl import app
from absl import flags
from absl import logging

import common  # pylint: disable=g-bad-import-order  (defines the data flags)
import tfgle
import tfgle.models  # pylint: disable=unused-import  (registers the model classes)
import tensorflow as tf  # pylint: disable=g-bad-import-order
from tfgle import training

_OUTPUT_DIR = flags.DEFINE_string("output_dir", None, "Where the exports go.", required=True)
_FORMAT = flags.DEFINE_enum("format", "npy", list(training.bulk_inference.FORMATS),
                            "File format of the bulk embeddings.")
flags.mark_flag_as_required("model_dir")
FLAGS = flags.FLAGS


def _read_manifest(model_dir: str) -> training.ModelManifest:
  """The manifest of a node classifier in --model_dir (a usage error otherwise)."""
  manifest = training.read_manifest(model_dir)
  if manifest.task != "node_classification":
    raise training.ManifestError(
        f"{model_dir} holds a {manifest.task} model; this binary exports node classifiers (embed "
        "a two-tower model with tfgle.training.embed_nodes(..., tower=\"user\"))")
  return manifest


flags.register_validator("model_dir", common.validator(_read_manifest))


def _data_config(manifest: training.ModelManifest) -> training.DataConfig:
  """The training run's DataConfig, with the data flags given on the command line."""
  data = training.DataConfig.from_dict(manifest.data)
  given = {name: FLAGS[name].value for name in common.DATA_FLAGS if FLAGS[name].present}
  return training.DataConfig.from_dict(
      dict(data.to_dict(), **{common.DATA_FLAGS[name]: value for name, value in given.items()}))


def main(argv):
  del argv
  model_dir = common.MODEL_DIR.value
  manifest = _read_manifest(model_dir)
  with common.usage_errors(ValueError, FileNotFoundError):
    data = _data_config(manifest)
    graph, _ = training.load_graph(data)
  model = tf.keras.models.load_model(os.path.join(model_dir, manifest.saved_model))
  tower = manifest.tower()
  ids, embeddings = training.embed_nodes(model, graph, manifest, seed=data.seed,
                                         batch_size=common.BATCH_SIZE.value)

  out = _OUTPUT_DIR.value
  embeddings_path = training.write_embeddings(out, ids, embeddings, _FORMAT.value)
  string_ids = (graph.id_strings(tower.node_type, ids) if graph.has_string_ids(tower.node_type)
                else None)
  table_path = tfgle.export.export_embedding_table(os.path.join(out, "embedding_table"), ids,
                                                   embeddings, string_ids=string_ids)
  result = {"nodes": int(len(ids)), "embedding_dim": int(embeddings.shape[1]),
            "embeddings": embeddings_path, "embedding_table": table_path}
  if manifest.batch == "ego_graph":
    spec = tfgle.data.ego_spec(graph, tower.node_type, list(tower.meta_path),
                               list(manifest.eval_fanouts))
    result["encoder"] = tfgle.export.export_encoder(
        os.path.join(out, "encoder"), model, graph, spec,
        list(manifest.features[tower.node_type]))
  else:
    logging.warning("SubGraph models export the embedding table only (no encoder SavedModel)")
  print(f"exported: {json.dumps(result)}", flush=True)


if __name__ == "__main__":
  app.run(main)
