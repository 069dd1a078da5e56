"""Exports a trained model for serving, and every node's embedding (bulk inference).

usage: python examples/export_embeddings.py --model_dir=DIR --output_dir=OUT [--format=npy]

Reads DIR/model_info.json (the manifest written by the training binaries,
tfgle.training.ModelManifest) to rebuild the graph (the data set, or the graph
snapshot of a model trained by train_incremental.py) and the sampling
pipeline, loads DIR/model, and writes for a node classifier under OUT:
  embeddings.{npy,tsv,parquet} (+ ids.npy for npy): the embedding of every node;
  embedding_table/: SavedModel, node ids -> embeddings;
  encoder/:         SavedModel, raw ego-graph features -> embedding (ego models).
A two-tower (link prediction) model gets the same for each tower under
OUT/user/ and OUT/item/ (the user tower embeds the predicted edges' source
type with `embed_users`, the item tower their destination type with
`embed_items`). --graph_servable adds graph_servable/ (ids -> embeddings,
neighborhoods sampled inside the SavedModel) to each. All SavedModels contain
stock TensorFlow ops only (tfgle.export). Data flags given on the command
line (e.g. --data_dir) replace the training run's.
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
from tfgle.training import incremental

_OUTPUT_DIR = flags.DEFINE_string("output_dir", None, "Where the exports go.", required=True)
_FORMAT = flags.DEFINE_enum("format", "npy", list(training.bulk_inference.FORMATS),
                            "File format of the bulk embeddings.")
_GRAPH_SERVABLE = flags.DEFINE_bool("graph_servable", False, "Also export graph_servable/: ids "
                                    "-> embeddings, sampling neighborhoods in the SavedModel.")
flags.mark_flag_as_required("model_dir")
FLAGS = flags.FLAGS


def _check_servable(values):
  if values["graph_servable"] and training.read_manifest(values["model_dir"]).batch != "ego_graph":
    raise ValueError(f"--graph_servable needs an EgoGraph model; {values['model_dir']} holds a "
                     "SubGraph model")


flags.register_validator("model_dir", common.validator(training.read_manifest))
flags.register_multi_flags_validator(["model_dir", "graph_servable"],
                                     common.validator(_check_servable))


def _graph(manifest: training.ModelManifest):
  """The training run's graph: its snapshot, or its data set with the data flags given."""
  given = {common.DATA_FLAGS[name]: FLAGS[name].value for name in common.DATA_FLAGS
           if FLAGS[name].present}
  if "snapshot" in manifest.data:
    if given:
      raise ValueError(f"the model was trained on the graph snapshot "
                       f"{manifest.data['snapshot']}; data flags {sorted(given)} do not apply")
    return incremental.manifest_graph(manifest)[0]
  data = training.DataConfig.from_dict(manifest.data)
  return training.load_graph(training.DataConfig.from_dict(dict(data.to_dict(), **given)))[0]


def run() -> None:
  """Exports as the flags say."""
  model_dir = common.MODEL_DIR.value
  manifest = training.read_manifest(model_dir)
  with common.usage_errors(ValueError, FileNotFoundError):
    graph = _graph(manifest)
  model = tf.keras.models.load_model(os.path.join(model_dir, manifest.saved_model))
  if manifest.batch != "ego_graph":
    logging.warning("SubGraph models export the embedding table only (no encoder SavedModel)")
  out, single = _OUTPUT_DIR.value, len(manifest.towers) == 1
  towers = {name: training.bulk_inference.export_tower(
      out if single else os.path.join(out, name), model, graph, manifest, tower=name,
      fmt=_FORMAT.value, batch_size=common.BATCH_SIZE.value,
      seed=manifest.data.get("base", manifest.data).get("seed", 0),
      servable=_GRAPH_SERVABLE.value, verbose=common.PROGRESS.value) for name in manifest.towers}
  result = next(iter(towers.values())) if single else {"towers": towers}
  for name, tower in towers.items():
    print(f"Exported {tower['nodes']} {tower['node_type']!r} embeddings ({name}) to "
          f"{os.path.dirname(tower['embeddings'])}", flush=True)
  print(f"exported: {json.dumps(result)}", flush=True)


if __name__ == "__main__":
  app.run(training.cli.main_of(run))
