r"""Graph classification with GIN: train on many small graphs, select on val, test, save.

The defaults train GIN (sum readout) on the built-in synthetic collection,
whose graphs are labeled by their number of independent cycles and whose
nodes all have the same feature (no data needed, under a minute):

  python examples/train_graph_classification.py
  python examples/train_graph_classification.py --task=triangles --readout=attention

Your own graphs are three tables (TSV/CSV with a header, or Parquet): nodes
(graph id, node id, --graph_features), edges (graph id, src_id, dst_id) and
graphs (graph id, label, optionally split):

  python examples/train_graph_classification.py --graph_node_table=nodes.tsv \
      --graph_edge_table=edges.tsv --graph_table=graphs.tsv --graph_features=atom:categorical

Without a split column, graphs are split at random by --val_fraction and
--test_fraction. It trains on "train", validates every epoch, keeps the best
val epoch's weights and reports test accuracy. Under --model_dir it leaves
backup/ (a killed run restarted with the same flags resumes at its last epoch),
checkpoints/, best/, logs/ and model/ (a Keras SavedModel).
"""
import os
import time

from absl import app
from absl import flags

import common  # examples/common.py: shared flags; imports tfgle before TensorFlow

import numpy as np  # pylint: disable=g-bad-import-order
import tensorflow as tf
import tfgle
from tfgle import models
from tfgle import training
from tfgle.datasets import synthetic_graphs
from tfgle.datasets.synthetic import split_ids
from tfgle.training import data_config

_G = "your graphs: "
_NODES = flags.DEFINE_string("graph_node_table", None, _G + "the node table (path or glob).")
_EDGES = flags.DEFINE_string("graph_edge_table", None, _G + "the edge table (path or glob).")
_GRAPHS = flags.DEFINE_string("graph_table", None, _G + "the graph table (path or glob).")
_FEATURES = flags.DEFINE_list("graph_features", [], _G + "node attributes, NAME:float[:DIM]|int|"
                              "categorical (default: none, every node gets x = 1).")
_GRAPH_ID = flags.DEFINE_string("graph_id_column", "graph_id", _G + "the graph id column.")
_LABEL = flags.DEFINE_string("graph_label_column", "label", _G + "the graph label column.")
_SPLIT = flags.DEFINE_string("graph_split_column", "split", _G + "the graph split column ('' "
                             "for a random split by --val_fraction and --test_fraction).")
_UNDIRECTED = flags.DEFINE_bool("graph_undirected", True, _G + "add the reverse of every edge.")
_TASK = flags.DEFINE_enum("task", "cycles", list(synthetic_graphs.TASKS), "Synthetic graphs: "
                          "the label, the number of independent cycles or of triangles.")
_NUM_GRAPHS = flags.DEFINE_integer("num_graphs", 1000, "Synthetic graphs: how many.",
                                   lower_bound=1)
_NUM_CLASSES = flags.DEFINE_integer("num_classes", 4, "Synthetic graphs: label classes.",
                                    lower_bound=2)
_NODES_RANGE = flags.DEFINE_list("synthetic_graph_nodes", ["8", "16"], "Synthetic graphs: the "
                                 "min and max number of nodes of a graph.")
_HIDDEN_DIM = flags.DEFINE_integer("hidden_dim", 32, "Width of every GIN layer.", lower_bound=1)
_NUM_LAYERS = flags.DEFINE_integer("num_layers", 2, "GIN layers.", lower_bound=1)
_READOUT = flags.DEFINE_enum("readout", "sum", list(models.gin.READOUTS), "Graph readout.")
_JK = flags.DEFINE_bool("jumping_knowledge", True, "Read out every layer's node states.")
_HEAD_DIM = flags.DEFINE_integer("head_dim", 32, "Hidden width of the MLP head (0: none).",
                                 lower_bound=0)
_DROPOUT = flags.DEFINE_float("dropout", 0.0, "Dropout rate.", lower_bound=0, upper_bound=0.99)
_CLIPNORM = flags.DEFINE_float("clipnorm", 1.0, "Clip gradients to this norm (0: no clipping).",
                               lower_bound=0)

flags.FLAGS.set_default("batch_size", 32)
flags.FLAGS.set_default("epochs", 30)
flags.register_multi_flags_validator(
    ["graph_node_table", "graph_edge_table", "graph_table"],
    lambda v: len({value is None for value in v.values()}) == 1,
    "give --graph_node_table, --graph_edge_table and --graph_table together (or none of them)")
flags.register_validator("graph_features", common.validator(
    lambda items: [data_config.parse_feature(item) for item in items]))
flags.register_validator("synthetic_graph_nodes", lambda v: len(v) == 2 and all(
    s.isdigit() and int(s) > 0 for s in v), "--synthetic_graph_nodes must be two positive ints")
flags.register_validator("strategy", lambda s: s in ("default", "mirrored"),
                         "graph classification runs under the default or mirrored strategy")


def load_collection(seed: int) -> tfgle.graph.GraphCollection:
  """The graphs the flags name, with train/val/test splits."""
  if _NODES.value is None:
    low, high = (int(v) for v in _NODES_RANGE.value)
    return tfgle.datasets.synthetic_graph_collection(
        _NUM_GRAPHS.value, task=_TASK.value, num_classes=_NUM_CLASSES.value, min_nodes=low,
        max_nodes=high, seed=seed)
  attrs = dict(data_config.parse_feature(item) for item in _FEATURES.value)
  collection = tfgle.graph.read_graph_collection(
      _NODES.value, _EDGES.value, _GRAPHS.value, node_decoder=tfgle.Decoder(attrs=attrs),
      graph_decoder=tfgle.Decoder(id_column=_GRAPH_ID.value, label=_LABEL.value,
                                  split=_SPLIT.value or None),
      graph_column=_GRAPH_ID.value, undirected=_UNDIRECTED.value)
  if not _SPLIT.value:
    val, test = flags.FLAGS.val_fraction, flags.FLAGS.test_fraction
    collection.splits = split_ids(collection.num_graphs, seed, (1 - val - test, val, test))
  missing = [s for s in ("train", "val", "test") if not len(collection.splits.get(s, ()))]
  if missing:
    raise ValueError(f"the graphs have no {missing} split (--graph_split_column="
                     f"{_SPLIT.value!r} names {sorted(collection.splits)})")
  if not attrs:  # structure only: every node gets the constant feature x = 1
    collection.features["x"] = np.ones((collection.num_nodes, 1), np.float32)
    collection.attrs["x"] = tfgle.FloatAttr(dim=1)
  return collection


def run() -> dict:
  """Trains and evaluates as the flags say; returns the final metrics."""
  strategy = training.make_strategy(common.STRATEGY.value)
  seed, batch_size, epochs = common.SEED.value, common.BATCH_SIZE.value, common.EPOCHS.value
  training.resume.seed_random(seed, exact_resume=False)
  directory = common.model_dir()
  settings = {name: flags.FLAGS[name].value for name in (
      "graph_node_table", "graph_edge_table", "graph_table", "graph_features", "graph_id_column",
      "graph_label_column", "graph_split_column", "graph_undirected", "task", "num_graphs",
      "num_classes", "synthetic_graph_nodes", "hidden_dim", "num_layers", "readout",
      "jumping_knowledge", "head_dim", "dropout", "clipnorm", "batch_size", "learning_rate",
      "seed", "val_fraction", "test_fraction")}
  with common.usage_errors(ValueError, FileNotFoundError):
    collection = load_collection(seed)
    resumed = training.claim_model_dir(directory, dict(binary="train_graph_classification",
                                                       settings=settings))
  train = tfgle.data.graph_batch_dataset(collection, batch_size, split="train", seed=seed)
  val, test = (tfgle.data.graph_batch_dataset(collection, batch_size, split=s, shuffle=False)
               for s in ("val", "test"))
  steps = epochs * int(np.ceil(len(collection.splits["train"]) / batch_size))
  with strategy.scope():
    model = models.GIN.from_collection(
        collection, hidden_dims=[_HIDDEN_DIM.value] * _NUM_LAYERS.value, readout=_READOUT.value,
        jumping_knowledge=_JK.value, head_dims=[_HEAD_DIM.value] if _HEAD_DIM.value else [],
        dropout=_DROPOUT.value)
    # Sums over nodes make large early gradients: clipped, and a decaying rate to finish.
    rate = tf.keras.optimizers.schedules.CosineDecay(common.LEARNING_RATE.value, steps)
    model.compile(tf.keras.optimizers.Adam(rate, clipnorm=_CLIPNORM.value or None),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
  best = training.BestCheckpoint(os.path.join(directory, "best"), resume=resumed)
  start = time.perf_counter()
  model.fit(train, epochs=epochs, validation_data=val,
            callbacks=training.fit_callbacks(directory) + [best],
            verbose=training.fit_verbosity(common.PROGRESS.value, strategy))
  train_seconds = time.perf_counter() - start
  best.restore(model)
  results = model.evaluate(test, return_dict=True, verbose=0)
  model.save(os.path.join(directory, "model"), save_format="tf", save_traces=False)
  labels = collection.labels[collection.splits["test"]]
  metrics = {
      "model": "gin", "readout": _READOUT.value, "seed": seed,
      "dataset": "synthetic_" + _TASK.value if _NODES.value is None else "tables",
      "num_graphs": collection.num_graphs, "num_classes": collection.num_classes,
      "test_accuracy": results["accuracy"], "test_loss": results["loss"],
      "test_chance_accuracy": float(np.bincount(labels).max() / len(labels)),
      "best_epoch": best.best["epoch"] if best.best else None,
      "best_val_accuracy": best.best["val_accuracy"] if best.best else None,
      "epochs_run": epochs, "train_seconds": train_seconds, "model_dir": directory,
  }
  training.report_metrics(metrics, strategy, common.METRICS_JSON.value)
  return metrics


if __name__ == "__main__":
  app.run(training.cli.main_of(run))
