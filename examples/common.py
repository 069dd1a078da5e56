"""Flags and wiring shared by tfgle's training binaries (train_*.py, export_embeddings.py).

A binary imports this module (its flags then exist), calls `load_graph()` for
the data set chosen by --dataset, `make_strategy()` for --strategy, wraps model
building in `strategy.scope()`, trains with `fit_callbacks()` and ends with
`finish(metrics)`, which prints the final metrics line and writes --metrics_json.
"""
from __future__ import annotations

import json
import os
import time
from typing import Any, Optional

from absl import flags
from absl import logging

import tfgle  # sets TF_USE_LEGACY_KERAS before TensorFlow loads
import tensorflow as tf  # pylint: disable=g-bad-import-order

DATASETS = ("synthetic", "citation", "movielens", "tables")
STRATEGIES = ("default", "mirrored", "multi_worker_mirrored", "parameter_server")

DATASET = flags.DEFINE_enum("dataset", "synthetic", DATASETS,
                            "Graph to train on: the built-in synthetic graph, a citation-table "
                            "directory (Cora layout), MovieLens (100K or current CSV format), or "
                            "your own tables (--node_table/--edge_table).")
DATA_DIR = flags.DEFINE_string("data_dir", None,
                               "Directory of the citation or MovieLens data set.")
NODE_TABLES = flags.DEFINE_multi_string(
    "node_table", [], "--dataset=tables: NODE_TYPE=PATH (a file, glob, TSV/CSV or Parquet); "
    "repeat per node type.")
EDGE_TABLES = flags.DEFINE_multi_string(
    "edge_table", [], "--dataset=tables: SRC_TYPE,DST_TYPE,NAME=PATH; repeat per edge type.")
UNDIRECTED = flags.DEFINE_bool("undirected", True,
                               "--dataset=tables: add reverse edges (directed=False).")
LABEL_COLUMN = flags.DEFINE_string("label_column", "label",
                                   "--dataset=tables: node label column ('' for none).")
SPLIT_COLUMN = flags.DEFINE_string("split_column", "split",
                                   "--dataset=tables: node split column ('' for none).")
FEATURES = flags.DEFINE_list(
    "features", [], "--dataset=tables: node attribute columns as NAME:float[:DIM], NAME:int, "
    "NAME:categorical or NAME:multi_categorical.")
SYNTHETIC_NODES = flags.DEFINE_integer("synthetic_nodes", 10_000,
                                       "--dataset=synthetic: number of nodes.")
SYNTHETIC_EDGES = flags.DEFINE_integer("synthetic_edges", 100_000,
                                       "--dataset=synthetic: number of edges.")

MODEL = flags.DEFINE_string("model", None, "Model of the zoo to train (default: the binary's).")
FANOUTS = flags.DEFINE_list("fanouts", ["10", "5"], "Neighbors sampled per hop.")
BATCH_SIZE = flags.DEFINE_integer("batch_size", 512, "Seeds (or edges) per batch.")
EPOCHS = flags.DEFINE_integer("epochs", 10, "Training epochs.")
LEARNING_RATE = flags.DEFINE_float("learning_rate", 0.01, "Adam learning rate.")
SEED = flags.DEFINE_integer("seed", 0, "Seed of weights, sampling and traversal.")
MODEL_DIR = flags.DEFINE_string(
    "model_dir", None, "Where checkpoints, the backup for resuming and TensorBoard logs go "
    "(default: a fresh temporary directory).")
METRICS_JSON = flags.DEFINE_string("metrics_json", None,
                                   "Write the final metrics as JSON to this path.")
STRATEGY = flags.DEFINE_enum("strategy", "default", STRATEGIES, "tf.distribute strategy.")


def fanouts() -> list[int]:
  """--fanouts as positive ints."""
  try:
    values = [int(v) for v in FANOUTS.value]
  except ValueError:
    values = []
  if not values or any(v <= 0 for v in values):
    raise flags.ValidationError(f"--fanouts must be positive ints, got {FANOUTS.value}")
  return values


def model_dir() -> str:
  """--model_dir, or a fresh temporary directory."""
  if MODEL_DIR.value:
    os.makedirs(MODEL_DIR.value, exist_ok=True)
    return MODEL_DIR.value
  import tempfile  # pylint: disable=g-import-not-at-top
  path = tempfile.mkdtemp(prefix="tfgle_")
  logging.info("--model_dir not set; using %s", path)
  return path


def load_graph(*, holdout_edges: Optional[float] = None):
  """The (graph, info) of --dataset. `info` is the loader's info object (None for tables).

  Args:
    holdout_edges: for link prediction: build the graph without test edges.
      The synthetic graph leaves out this fraction of its edges
      (`info.test_edges`); MovieLens 100K is built on the training ratings
      of its standard split ua (`ua.base`; `info.test` holds `ua.test`).
      Other data sets have no held-out edges (a ValidationError).
  """
  dataset = DATASET.value
  if holdout_edges is not None and dataset not in ("synthetic", "movielens"):
    raise flags.ValidationError(f"--dataset={dataset} has no held-out edges for link "
                                "prediction; use synthetic or movielens")
  if dataset == "synthetic":
    return tfgle.datasets.synthetic(num_nodes=SYNTHETIC_NODES.value,
                                    num_edges=SYNTHETIC_EDGES.value, seed=SEED.value + 20261121,
                                    holdout_edges=holdout_edges or 0.0)
  if dataset in ("citation", "movielens") and not DATA_DIR.value:
    raise flags.ValidationError(f"--dataset={dataset} needs --data_dir")
  if dataset == "citation":
    return tfgle.datasets.load_citation(DATA_DIR.value)
  if dataset == "movielens":
    if holdout_edges is None:
      return tfgle.datasets.load_movielens(DATA_DIR.value)
    if not all(os.path.isfile(os.path.join(DATA_DIR.value, f"ua.{part}"))
               for part in ("base", "test")):
      raise flags.ValidationError(f"--data_dir={DATA_DIR.value} has no MovieLens 100K split "
                                  "ua.base/ua.test to hold out test ratings")
    return tfgle.datasets.load_movielens(DATA_DIR.value, ratings_file="ua.base", split="ua")
  return _load_tables(), None


def _load_tables():
  if not NODE_TABLES.value or not EDGE_TABLES.value:
    raise flags.ValidationError("--dataset=tables needs --node_table and --edge_table")
  attrs = {}
  for item in FEATURES.value:
    name, _, kind = item.partition(":")
    kind, _, dim = kind.partition(":")
    if kind == "float":
      attrs[name] = tfgle.FloatAttr(dim=int(dim) if dim else None)
    elif kind == "int":
      attrs[name] = tfgle.IntAttr()
    elif kind in ("categorical", "multi_categorical"):
      attrs[name] = tfgle.CategoricalAttr(multivalued=kind == "multi_categorical")
    else:
      raise flags.ValidationError(
          f"--features entry {item!r}: the kind must be float[:DIM], int, categorical or "
          "multi_categorical")
  graph = tfgle.Graph()
  for item in NODE_TABLES.value:
    node_type, sep, path = item.partition("=")
    if not sep:
      raise flags.ValidationError(f"--node_table {item!r} must be NODE_TYPE=PATH")
    graph.node(path, node_type=node_type, decoder=tfgle.Decoder(
        label=LABEL_COLUMN.value or None, split=SPLIT_COLUMN.value or None, attrs=attrs))
  for item in EDGE_TABLES.value:
    edge_type, sep, path = item.partition("=")
    parts = edge_type.split(",")
    if not sep or len(parts) != 3:
      raise flags.ValidationError(f"--edge_table {item!r} must be SRC_TYPE,DST_TYPE,NAME=PATH")
    graph.edge(path, edge_type=tuple(parts), directed=not UNDIRECTED.value)
  return graph.build()


def make_strategy() -> tf.distribute.Strategy:
  """The tf.distribute strategy of --strategy (multi-worker ones read TF_CONFIG).

  Call it before anything else runs TensorFlow ops: MultiWorkerMirroredStrategy
  sets up the runtime's collectives, and on the worker and ps tasks of a
  parameter_server cluster this call serves and never returns.
  """
  name = STRATEGY.value
  if name == "default":
    return tf.distribute.get_strategy()
  if name == "mirrored":
    return tf.distribute.MirroredStrategy()
  if name == "multi_worker_mirrored":
    return tf.distribute.MultiWorkerMirroredStrategy()
  return tfgle.distribute.parameter_server_strategy()


def task_dir(directory: str, strategy: tf.distribute.Strategy) -> str:
  """Where this task writes its saved model and files: `directory` on the chief.

  Other MultiWorkerMirrored workers hold copies of the same model and must
  save too (saving is collective), so they write under directory/workers/.
  """
  if tfgle.distribute.is_chief(strategy):
    return directory
  resolver = strategy.cluster_resolver
  path = os.path.join(directory, "workers", f"{resolver.task_type}-{resolver.task_id}")
  os.makedirs(path, exist_ok=True)
  return path


def fit_verbosity(verbose: int, strategy: tf.distribute.Strategy) -> int:
  """Keras verbosity: progress bars (1) become one line per epoch (2) under
  ParameterServerStrategy, which does not allow them."""
  if verbose == 1 and isinstance(strategy, tf.distribute.experimental.ParameterServerStrategy):
    return 2
  return verbose


def fit_callbacks(directory: str) -> list[tf.keras.callbacks.Callback]:
  """BackupAndRestore (resume after a kill), ModelCheckpoint and TensorBoard."""
  return [
      tf.keras.callbacks.BackupAndRestore(os.path.join(directory, "backup")),
      tf.keras.callbacks.ModelCheckpoint(os.path.join(directory, "checkpoints", "ckpt-{epoch}"),
                                         save_weights_only=True),
      tf.keras.callbacks.TensorBoard(os.path.join(directory, "logs")),
  ]


class Throughput(tf.keras.callbacks.Callback):
  """Training examples per second: batch_size x steps over the epochs' training time.

  It times whole epochs less their validation, with epoch-level hooks only
  (ParameterServerStrategy allows no batch-level callbacks), and counts the
  steps the optimizer took.
  """

  def __init__(self, batch_size: int):
    super().__init__()
    self.batch_size = batch_size
    self.examples = 0
    self.seconds = 0.0
    self._epoch: Optional[tuple[float, int]] = None  # (start time, optimizer steps)
    self._validation_start = 0.0
    self._validation_seconds = 0.0

  def on_epoch_begin(self, epoch, logs=None):
    self._epoch = (time.perf_counter(), int(self.model.optimizer.iterations.numpy()))
    self._validation_seconds = 0.0

  def on_test_begin(self, logs=None):
    self._validation_start = time.perf_counter()

  def on_test_end(self, logs=None):
    self._validation_seconds += time.perf_counter() - self._validation_start

  def on_epoch_end(self, epoch, logs=None):
    if self._epoch is None:
      return
    start, steps = self._epoch
    self.seconds += time.perf_counter() - start - self._validation_seconds
    self.examples += self.batch_size * (int(self.model.optimizer.iterations.numpy()) - steps)
    self._epoch = None

  @property
  def examples_per_second(self) -> float:
    return self.examples / self.seconds if self.seconds else 0.0


def finish(metrics: dict[str, Any], strategy: tf.distribute.Strategy) -> None:
  """Prints the final metrics line; the chief also writes --metrics_json."""
  line = json.dumps(dict(metrics, num_replicas=strategy.num_replicas_in_sync), sort_keys=True,
                    default=float)
  print(f"final metrics: {line}", flush=True)
  if METRICS_JSON.value and tfgle.distribute.is_chief(strategy):
    directory = os.path.dirname(os.path.abspath(METRICS_JSON.value))
    os.makedirs(directory, exist_ok=True)
    with open(METRICS_JSON.value, "w") as f:
      f.write(line + "\n")
