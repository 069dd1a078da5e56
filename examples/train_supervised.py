r"""Node classification with a model of the zoo: train, select on val, test, save.

The defaults train EgoGraphSAGE on the built-in synthetic graph (no data
needed, well under a minute on a laptop):

  python examples/train_supervised.py
  python examples/train_supervised.py --model=ego_gat --epochs=5
  python examples/train_supervised.py --dataset=citation --data_dir=path/to/cora
  python examples/train_supervised.py --dataset=citation --data_dir=path/to/cora --model=gcn

It trains on the "train" split with EgoGraph batches (--model=ego_graph_sage,
ego_gat, ego_rgcn) or SubGraph batches (gcn, gat) sampled with --fanouts,
evaluates on "val" after every epoch (with --eval_fanouts, sampled without
replacement, so nodes of smaller degree keep their whole neighborhood), keeps
the weights of the best val epoch, and reports test accuracy and micro/macro
F1 on "test". Every dataset has tuned defaults (_DEFAULTS below); a flag given
on the command line wins.

--strategy=multi_worker_mirrored shards each epoch's training seeds over the
workers (equal steps on all); --strategy=parameter_server shards large
variables and the graph's topology over the parameter servers, trains each
worker on endless random seeds for the same number of steps, and validates
and tests on the chief (the workers cannot reach its graph tables). Run
either as a local cluster with `python -m tfgle.distribute.launch --workers 2
[--ps 2] -- examples/train_supervised.py --strategy=...`, or one process per
task with TF_CONFIG set (README: "Running on a cluster").

Under --model_dir it leaves:
  backup/       the BackupAndRestore state: a killed run restarted with the
                same flags resumes from its last finished epoch;
  checkpoints/  one weights checkpoint per epoch (ModelCheckpoint);
  best/         the weights of the best val epoch and best.json;
  logs/         TensorBoard logs;
  model/        the trained model as a Keras SavedModel: after `import tfgle`,
                `tf.keras.models.load_model(path)` gives the model class back,
                whose `embed(batch)` maps a batch to embeddings [B, D];
  model_info.json  what an export needs to rebuild the pipeline (see
                `model_info`).
"""
from __future__ import annotations

import json
import math
import os
import shutil
import time

from absl import app
from absl import flags
from absl import logging

import common  # examples/common.py: shared flags and wiring

import tfgle  # pylint: disable=g-bad-import-order
import tensorflow as tf
from tfgle import models
from tfgle.ops.sampling import NEIGHBOR_STRATEGIES

MODELS = {
    "ego_graph_sage": models.EgoGraphSAGE,
    "ego_gat": models.EgoGAT,
    "ego_rgcn": models.EgoRGCN,
    "gcn": models.GCN,
    "gat": models.GAT,
}
EGO_MODELS = ("ego_graph_sage", "ego_gat", "ego_rgcn")
ATTENTION_MODELS = ("ego_gat", "gat")
# Neighbors at evaluation are sampled without replacement: a node with at most
# --eval_fanouts neighbors is evaluated on all of them.
EVAL_STRATEGY = "random_without_replacement"

_HIDDEN_DIM = flags.DEFINE_integer(
    "hidden_dim", None, "Width of every GNN layer (per head for attention models).")
_ENCODER_DIM = flags.DEFINE_integer(
    "encoder_dim", None, "Project the encoded node features to this width before the first "
    "layer (0: no projection; default: the dataset's).")
_HEAD = flags.DEFINE_enum(
    "head", None, ["dense", "conv"], "Classifier: a Dense layer on the embeddings, or a last "
    "GNN layer of width num_classes (GCN/GAT papers) (default: the dataset's).")
_HEADS = flags.DEFINE_integer("heads", None, "Attention heads (ego_gat, gat).")
_DROPOUT = flags.DEFINE_float("dropout", None, "Dropout rate on every layer's inputs.")
_ATTENTION_DROPOUT = flags.DEFINE_float("attention_dropout", None,
                                        "Dropout rate on attention coefficients.")
_WEIGHT_DECAY = flags.DEFINE_float(
    "weight_decay", None, "L2 weight decay of every kernel (as PyTorch's weight_decay: the "
    "loss gets weight_decay / 2 * sum(w^2)).")
_AGGREGATOR = flags.DEFINE_string("aggregator", None,
                                  "Neighbor aggregator (ego_graph_sage: mean, sum, max, gcn, "
                                  "pool; ego_rgcn: mean, sum).")
_SAMPLING = flags.DEFINE_enum(
    "sampling", None, list(NEIGHBOR_STRATEGIES),
    "Neighbor sampling strategy in training (default: the dataset's). Evaluation samples "
    f"{EVAL_STRATEGY}.")
_EVAL_FANOUTS = flags.DEFINE_list("eval_fanouts", None,
                                  "Neighbors per hop at evaluation (default: the dataset's).")
_EVAL_BATCH_SIZE = flags.DEFINE_integer("eval_batch_size", None, "Seeds per evaluation batch.")
_MULTI_HOT = flags.DEFINE_list("multi_hot", None,
                               "Categorical attributes encoded multi-hot instead of embedded "
                               "(default: the dataset's, e.g. Cora's words).")
_NODE_TYPE = flags.DEFINE_string("node_type", None,
                                 "Node type to classify (default: the dataset's).")
_EDGE_TYPE = flags.DEFINE_string("edge_type", None,
                                 "Edge type to sample along (default: the dataset's).")
_VERBOSE = flags.DEFINE_integer("verbose", 1, "Keras verbosity: 1 progress bars, 2 one line "
                                "per epoch, 0 silent.")

# Hyperparameters per dataset (and model). Cora's follow the GCN/GAT papers:
# dropout on the inputs and hidden layers, L2 weight decay 5e-4, small hidden
# layers, model selection on val.
_DEFAULTS = {
    "synthetic": {
        "all": dict(epochs=5, batch_size=512, learning_rate=0.01, fanouts=[10, 5],
                    eval_fanouts=[10, 5], eval_batch_size=1000, hidden_dim=64, heads=4, encoder_dim=0,
                    dropout=0.0, attention_dropout=0.0, weight_decay=0.0, multi_hot=[]),
        "ego_gat": dict(hidden_dim=16),
        "gat": dict(hidden_dim=16),
    },
    "citation": {
        "all": dict(epochs=60, batch_size=32, learning_rate=0.01, fanouts=[10, 5],
                    eval_fanouts=[10, 5], eval_batch_size=500, hidden_dim=64, heads=8, encoder_dim=0,
                    dropout=0.5, attention_dropout=0.0, weight_decay=5e-4, multi_hot=["words"],
                    head="conv"),
        # The GCN normalization of the neighbor mean (degree-aware) suits Cora.
        "ego_graph_sage": dict(aggregator="gcn"),
        "ego_gat": dict(hidden_dim=8, learning_rate=0.005, dropout=0.6, attention_dropout=0.6,
                        epochs=100),
        "gat": dict(hidden_dim=8, learning_rate=0.005, dropout=0.6, attention_dropout=0.6,
                    epochs=100),
    },
}
_FALLBACK = dict(epochs=10, batch_size=512, learning_rate=0.01, fanouts=[10, 5],
                 eval_fanouts=[10, 5], eval_batch_size=512, hidden_dim=64, heads=4, encoder_dim=0,
                 dropout=0.0, attention_dropout=0.0, weight_decay=0.0, multi_hot=[],
                 aggregator="mean", sampling="random", head="dense")


def settings() -> dict:
  """The run's hyperparameters: the dataset's defaults, overridden by flags given."""
  model = common.MODEL.value or "ego_graph_sage"
  if model not in MODELS:
    raise app.UsageError(f"--model must be one of {sorted(MODELS)}, got {model!r}")
  dataset_defaults = _DEFAULTS.get(common.DATASET.value, {})
  s = dict(_FALLBACK)
  s.update(dataset_defaults.get("all", {}))
  s.update(dataset_defaults.get(model, {}))
  given = {
      "epochs": common.EPOCHS, "batch_size": common.BATCH_SIZE,
      "learning_rate": common.LEARNING_RATE, "hidden_dim": _HIDDEN_DIM, "heads": _HEADS,
      "dropout": _DROPOUT, "attention_dropout": _ATTENTION_DROPOUT,
      "weight_decay": _WEIGHT_DECAY, "eval_batch_size": _EVAL_BATCH_SIZE,
      "encoder_dim": _ENCODER_DIM, "aggregator": _AGGREGATOR, "multi_hot": _MULTI_HOT,
      "sampling": _SAMPLING, "head": _HEAD,
  }
  for name, holder in given.items():
    if holder.present:
      s[name] = holder.value
  if common.FANOUTS.present:
    s["fanouts"] = common.fanouts()
  if _EVAL_FANOUTS.present:
    try:
      s["eval_fanouts"] = [int(v) for v in _EVAL_FANOUTS.value]
    except ValueError:
      s["eval_fanouts"] = []
  if len(s["eval_fanouts"]) != len(s["fanouts"]) or any(v <= 0 for v in s["eval_fanouts"]):
    raise app.UsageError(f"--eval_fanouts must be {len(s['fanouts'])} positive ints (one per "
                         f"hop of --fanouts), got {s['eval_fanouts']}")
  s["model"] = model
  return s


def resume_epoch(backup_dir: str) -> int:
  """The epoch a run restarted on `backup_dir` (BackupAndRestore's) begins with."""
  path = tf.train.latest_checkpoint(os.path.join(backup_dir, "chief"))
  if path is None:
    return 0
  return int(tf.train.load_variable(path, "ckpt_saved_epoch/.ATTRIBUTES/VARIABLE_VALUE")) + 1


class BestCheckpoint(tf.keras.callbacks.Callback):
  """Keeps the weights of the epoch with the best val accuracy (ties: lower val loss).

  The best value is kept in best.json next to the weights, so a resumed run
  (resume=True) goes on comparing with the epochs of the killed one.
  """

  def __init__(self, directory: str, resume: bool):
    super().__init__()
    self.directory = directory
    self.weights_path = os.path.join(directory, "weights")
    self.info_path = os.path.join(directory, "best.json")
    self.best = None
    if resume and os.path.exists(self.info_path):
      with open(self.info_path) as f:
        self.best = json.load(f)
    elif os.path.exists(directory):
      shutil.rmtree(directory)

  def on_epoch_end(self, epoch, logs=None):
    logs = logs or {}
    accuracy, loss = float(logs["val_accuracy"]), float(logs["val_loss"])
    if self.best is not None and (accuracy, -loss) <= (self.best["val_accuracy"],
                                                       -self.best["val_loss"]):
      return
    self.model.save_weights(self.weights_path)
    self.best = {"epoch": epoch + 1, "val_accuracy": accuracy, "val_loss": loss}
    tmp = self.info_path + ".tmp"
    with open(tmp, "w") as f:
      json.dump(self.best, f)
    os.replace(tmp, self.info_path)


def _dataset_flags() -> dict:
  """The flags that rebuild the graph (what an export passes to common.load_graph)."""
  names = ["dataset", "data_dir", "seed", "synthetic_nodes", "synthetic_edges", "node_table",
           "edge_table", "undirected", "label_column", "split_column", "features"]
  return {name: flags.FLAGS[name].value for name in names}


def _types(graph, info):
  node_type = _NODE_TYPE.value or getattr(info, "node_type", None) or graph.node_types[0]
  if node_type not in graph.node_types:
    raise app.UsageError(f"--node_type {node_type!r} is not a node type of the graph: "
                         f"{graph.node_types}")
  if _EDGE_TYPE.value:
    edge_type = graph.edge_type(_EDGE_TYPE.value)
  else:
    default = getattr(info, "edge_type", None)
    candidates = [default] if default is not None else [
        e for e in graph.edge_types if e.src == node_type and e.dst == node_type]
    if not candidates:
      raise app.UsageError(f"no edge type from {node_type!r} to {node_type!r}; give "
                           "--edge_type")
    edge_type = graph.edge_type(candidates[0] if isinstance(candidates[0], str)
                                else candidates[0][2])
  if edge_type.src != node_type or edge_type.dst != node_type:
    raise app.UsageError(f"--edge_type {edge_type.name!r} must go from {node_type!r} to "
                         f"{node_type!r}, got {edge_type.src!r} -> {edge_type.dst!r}")
  return node_type, edge_type.name


def _num_classes(graph, node_type, info):
  num_classes = getattr(info, "num_classes", None)
  if num_classes:
    return int(num_classes)
  labels = graph.labels(node_type).numpy()
  return int(labels.max()) + 1


def _datasets(graph, s, node_type, meta_path, initial_epoch, strategy):
  """(train, steps per epoch, val, test) for the model's batch kind and strategy."""
  ego = s["model"] in EGO_MODELS
  make = tfgle.data.ego_graph_dataset if ego else tfgle.data.subgraph_dataset
  splits = graph.splits(node_type)
  missing = [name for name in ("train", "val", "test") if name not in splits]
  if missing:
    raise app.UsageError(f"node type {node_type!r} needs the splits train, val and test; "
                         f"it has {splits}")
  seed = common.SEED.value
  num_train = int(graph.split_indices(node_type, "train").shape[0])
  steps = math.ceil(num_train / s["batch_size"])
  train_args = (graph, "train", meta_path, s["fanouts"], s["batch_size"])
  # One endless stream of epochs (each a new shuffle and new samples): a
  # resumed run skips the epochs already trained and sees the same batches
  # as an uninterrupted one.
  multi_worker = (tf.distribute.MultiWorkerMirroredStrategy,
                  tf.distribute.experimental.ParameterServerStrategy)
  if isinstance(strategy, multi_worker) and not ego:
    raise app.UsageError(f"--strategy={common.STRATEGY.value} trains the EgoGraph models "
                         f"{sorted(EGO_MODELS)}, not {s['model']!r}")
  if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
    # Each worker its shard of every epoch's seeds, all with the same steps.
    steps = tfgle.distribute.steps_per_epoch(strategy, num_train, s["batch_size"])
    shard_fn = tfgle.distribute.ego_dataset_fn(*train_args, repeat=True, shuffle=True,
                                               strategy=s["sampling"], seed=seed)
    train = strategy.distribute_datasets_from_function(
        lambda context: shard_fn(context).skip(initial_epoch * steps).prefetch(2))
  elif isinstance(strategy, tf.distribute.experimental.ParameterServerStrategy):
    # The workers sample the topology where it lives, partitioned over the
    # parameter servers (the chief's own tables are out of their reach). They
    # all run this same function with no worker index to shard by: endless
    # random seeds, a stream of its own per worker.
    partitioned = tfgle.distribute.PartitionedGraph(graph, tfgle.distribute.ps_devices(strategy))
    train_args = (partitioned, *train_args[1:])
    train = tf.keras.utils.experimental.DatasetCreator(
        lambda context: make(*train_args, shuffle="random", strategy=s["sampling"],
                             seed=tfgle.distribute.worker_seed()).prefetch(2))
  else:
    train = make(*train_args, shuffle=True, strategy=s["sampling"],
                 seed=seed).repeat().skip(initial_epoch * steps).prefetch(2)

  def evaluation(split, offset):
    ds = make(graph, split, meta_path, s["eval_fanouts"], s["eval_batch_size"], shuffle=False,
              strategy=EVAL_STRATEGY, seed=seed + offset)
    return ds.cache() if split == "val" else ds  # the same val samples every epoch
  return train, steps, evaluation("val", 1), evaluation("test", 2)


def classification_metrics(num_classes: int) -> list[tf.keras.metrics.Metric]:
  """The metrics reported for every split: accuracy, micro and macro F1."""
  return [tf.keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
          tfgle.metrics.F1Score(num_classes, average="micro", name="micro_f1"),
          tfgle.metrics.F1Score(num_classes, average="macro", name="macro_f1")]


class LocalEvaluation:
  """model.evaluate's results, computed in this process.

  Under ParameterServerStrategy Keras evaluates on the workers, which cannot
  reach the graph tables of the chief's evaluation datasets; the chief
  evaluates itself instead (it reads the weights from the parameter servers).
  """

  def __init__(self, model, num_classes: int):
    loss_fn = tfgle.losses.SoftmaxCrossEntropy(reduction=tf.keras.losses.Reduction.NONE)
    self.loss = tf.keras.metrics.Mean()
    self.metrics = classification_metrics(num_classes)

    @tf.function
    def update(batch, labels):
      logits = model(batch, training=False)
      self.loss.update_state(loss_fn(labels, logits))
      for metric in self.metrics:
        metric.update_state(labels, logits)
    self._update = update

  def __call__(self, dataset) -> dict:
    for metric in [self.loss, *self.metrics]:
      metric.reset_state()
    for batch, labels in dataset:
      self._update(batch, labels)
    return {"loss": float(self.loss.result()),
            **{metric.name: float(metric.result()) for metric in self.metrics}}


class LocalValidation(tf.keras.callbacks.Callback):
  """Adds val_* metrics computed by a LocalEvaluation to each epoch's logs."""

  def __init__(self, evaluate: LocalEvaluation, dataset):
    super().__init__()
    self.evaluate = evaluate
    self.dataset = dataset

  def on_epoch_end(self, epoch, logs=None):
    if logs is not None:
      logs.update({f"val_{name}": value for name, value in self.evaluate(self.dataset).items()})


def build_model(graph, s, node_type, num_classes):
  # One GNN layer per hop; with head="conv" the last one gives the logits.
  hidden = len(s["fanouts"]) - (s["head"] == "conv")
  if hidden < 1:
    raise app.UsageError("--head=conv needs at least 2 --fanouts (a hidden layer and the "
                         "logits' layer)")
  kwargs = dict(hidden_dims=[s["hidden_dim"]] * hidden, num_classes=num_classes, head=s["head"],
                dropout=s["dropout"], encoder_dim=s["encoder_dim"] or None)
  if s["weight_decay"]:
    kwargs["kernel_regularizer"] = tf.keras.regularizers.L2(s["weight_decay"] / 2)
  if s["model"] in ATTENTION_MODELS:
    kwargs.update(heads=s["heads"], attention_dropout=s["attention_dropout"])
  if s["model"] in ("ego_graph_sage", "ego_rgcn"):
    kwargs["aggregator"] = s["aggregator"]
  attrs = graph.node_attrs(node_type)
  multi_hot = [name for name in s["multi_hot"] if name in attrs]
  return MODELS[s["model"]].from_graph(graph, node_type, multi_hot=multi_hot, **kwargs)


def model_info(s, node_type, meta_path, model, num_classes) -> dict:
  """The contract with the export: how to rebuild the pipeline and load the model."""
  ego = s["model"] in EGO_MODELS
  return {
      "model": s["model"],
      "class": tf.keras.utils.get_registered_name(type(model)),
      "saved_model": "model",
      "load": "import tfgle; tf.keras.models.load_model(os.path.join(model_dir, 'model'))",
      "embed": "model.embed(batch) -> float32 [B, embedding_dim] for the batch's seeds",
      "raw_twin": "model.as_raw(): the same model taking raw categorical values",
      "batch": "ego_graph" if ego else "subgraph",
      "flags": _dataset_flags(),
      "node_type": node_type,
      "meta_path": list(meta_path),
      "fanouts": list(s["fanouts"]),
      "eval_fanouts": list(s["eval_fanouts"]),
      "sampling": s["sampling"],
      "eval_strategy": EVAL_STRATEGY,
      "feature_names": sorted(model.features),
      "multi_hot": [n for n in s["multi_hot"] if n in model.features],
      "embedding_dim": model.embedding_dim,
      "num_classes": num_classes,
      "settings": s,
  }


def run() -> dict:
  """Trains and evaluates as the flags say; returns the final metrics."""
  s = settings()
  strategy = common.make_strategy()  # first: see common.make_strategy
  seed = common.SEED.value
  tf.keras.utils.set_random_seed(seed)
  directory = common.model_dir()
  graph, info = common.load_graph()
  node_type, edge_type = _types(graph, info)
  meta_path = [edge_type] * len(s["fanouts"])
  num_classes = _num_classes(graph, node_type, info)

  backup_dir = os.path.join(directory, "backup")
  initial_epoch = min(resume_epoch(backup_dir), s["epochs"])
  if initial_epoch:
    logging.info("resuming from the backup in %s at epoch %d", backup_dir, initial_epoch + 1)
    print(f"resuming at epoch {initial_epoch + 1} from {backup_dir}", flush=True)
  train, steps, val, test = _datasets(graph, s, node_type, meta_path, initial_epoch, strategy)

  with strategy.scope():
    model = build_model(graph, s, node_type, num_classes)
    model.compile(
        tf.keras.optimizers.Adam(s["learning_rate"]),
        loss=tfgle.losses.SoftmaxCrossEntropy(),
        metrics=classification_metrics(num_classes))
  throughput = common.Throughput(s["batch_size"])
  own_dir = common.task_dir(directory, strategy)
  best = BestCheckpoint(os.path.join(own_dir, "best"), resume=initial_epoch > 0)
  # (Callbacks run in this order: the throughput stops its clock before the
  # validation, and the val metrics are in the logs before the checkpoints.)
  callbacks = [throughput]
  local = None
  if isinstance(strategy, tf.distribute.experimental.ParameterServerStrategy):
    local = LocalEvaluation(model, num_classes)
    callbacks.append(LocalValidation(local, val))
    val = None
  callbacks += common.fit_callbacks(directory) + [best]
  start = time.perf_counter()
  model.fit(train, epochs=s["epochs"], steps_per_epoch=steps, validation_data=val,
            callbacks=callbacks, verbose=common.fit_verbosity(_VERBOSE.value, strategy))
  train_seconds = time.perf_counter() - start
  if best.best is not None:
    model.load_weights(best.weights_path).expect_partial()
  results = (local(test) if local is not None else
             model.evaluate(test, return_dict=True, verbose=0))

  model.save(os.path.join(own_dir, "model"), save_format="tf", save_traces=False)
  with open(os.path.join(own_dir, "model_info.json"), "w") as f:
    json.dump(model_info(s, node_type, meta_path, model, num_classes), f, indent=2)
  metrics = {
      "model": s["model"],
      "dataset": common.DATASET.value,
      "seed": seed,
      "test_accuracy": results["accuracy"],
      "test_micro_f1": results["micro_f1"],
      "test_macro_f1": results["macro_f1"],
      "test_loss": results["loss"],
      "best_epoch": best.best["epoch"] if best.best else None,
      "best_val_accuracy": best.best["val_accuracy"] if best.best else None,
      "epochs_run": s["epochs"],
      "resumed_at_epoch": initial_epoch + 1 if initial_epoch else None,
      "examples_per_second": throughput.examples_per_second,
      "train_seconds": train_seconds,
      "model_dir": directory,
  }
  common.finish(metrics, strategy)
  return metrics


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  if not flags.FLAGS["verbosity"].present:
    logging.set_verbosity(logging.WARNING)  # TensorFlow's INFO lines would break the bars
  run()


if __name__ == "__main__":
  app.run(main)
