r"""Node classification with a model of the zoo: train, select on val, test, save.

The defaults train EgoGraphSAGE on the built-in synthetic graph (no data
needed, well under a minute on a laptop):

  python examples/train_supervised.py
  python examples/train_supervised.py --model=ego_gat --epochs=5
  python examples/train_supervised.py --dataset=citation --data_dir=path/to/cora --model=gcn

It trains on the "train" split with EgoGraph batches (--model=ego_graph_sage,
ego_gat, ego_rgcn) or SubGraph batches (gcn, gat) sampled with --fanouts,
evaluates on "val" after every epoch (with --eval_fanouts, sampled without
replacement), keeps the weights of the best val epoch, and reports test
accuracy and micro/macro F1 on "test". Hyper-parameters come from the preset
of the dataset (tfgle.training.PRESETS; --preset picks another, and your own
tables need one); a flag given on the command line wins.

--strategy=multi_worker_mirrored shards each epoch's training seeds over the
workers; --strategy=parameter_server shards large variables and the graph's
topology over the parameter servers and validates and tests on the chief. Run
either under `python -m tfgle.distribute.launch --workers 2 [--ps 2] --
examples/train_supervised.py --strategy=...`, or one process per task with
TF_CONFIG set (README: "Running on a cluster").

Under --model_dir (one run configuration per directory; run_config.json) it
leaves backup/ while training (a killed run restarted with the same flags
resumes at its last checkpoint, saved every --checkpoint_steps steps and
every epoch end, and ends bit-identical to an uninterrupted run; under
multi_worker_mirrored it resumes at the last unfinished epoch's start, under
parameter_server at its last checkpointed step),
checkpoints/ (weights per epoch), best/ (the best val
epoch's weights), logs/ (TensorBoard), model/ (a Keras SavedModel whose
`embed(batch)` gives embeddings [B, D]) and model_info.json (the manifest,
tfgle.training.ModelManifest, that export_embeddings.py reads).
"""
import os
import time

from absl import app
from absl import flags

import common  # examples/common.py: shared flags; imports tfgle before TensorFlow

import tensorflow as tf  # pylint: disable=g-bad-import-order
import tfgle
from tfgle import models
from tfgle import training
from tfgle.ops.sampling import NEIGHBOR_STRATEGIES
from tfgle.training import node_classification as nc

MODELS = {"ego_graph_sage": models.EgoGraphSAGE, "ego_gat": models.EgoGAT,
          "ego_rgcn": models.EgoRGCN, "gcn": models.GCN, "gat": models.GAT}
EGO_MODELS = ("ego_graph_sage", "ego_gat", "ego_rgcn")

_PRESET = flags.DEFINE_string("preset", None, "Hyper-parameter preset (default: --dataset's): "
                              f"one of {sorted(training.PRESETS)}.")
flags.DEFINE_integer("hidden_dim", None, "Width of every GNN layer (per head for attention).")
flags.DEFINE_integer("encoder_dim", None, "Project the encoded node features to this width "
                     "before the first layer (0: no projection).")
flags.DEFINE_enum("head", None, ["dense", "conv"], "Classifier: a Dense layer on the embeddings, "
                  "or a last GNN layer of width num_classes (GCN/GAT papers).")
flags.DEFINE_integer("heads", None, "Attention heads (ego_gat, gat).")
flags.DEFINE_float("dropout", None, "Dropout rate on every layer's inputs.")
flags.DEFINE_float("attention_dropout", None, "Dropout rate on attention coefficients.")
flags.DEFINE_float("weight_decay", None, "L2 weight decay of every kernel (as PyTorch's: the "
                   "loss gets weight_decay / 2 * sum(w^2)).")
flags.DEFINE_string("aggregator", None, "Neighbor aggregator (ego_graph_sage: mean, sum, max, "
                    "gcn, pool; ego_rgcn: mean, sum).")
flags.DEFINE_enum("sampling", None, list(NEIGHBOR_STRATEGIES), "Neighbor sampling in training "
                  f"(evaluation samples {nc.EVAL_STRATEGY}).")
flags.DEFINE_list("eval_fanouts", None, "Neighbors per hop at evaluation.")
flags.DEFINE_integer("eval_batch_size", None, "Seeds per evaluation batch.")
flags.DEFINE_list("multi_hot", None, "Categorical attributes encoded multi-hot instead of "
                  "embedded (e.g. Cora's words).")
_NODE_TYPE = flags.DEFINE_string("node_type", None, "Node type to classify (default: the "
                                 "dataset's).")
_EDGE_TYPE = flags.DEFINE_string("edge_type", None, "Edge type to sample along (default: the "
                                 "dataset's).")
_SPLIT = flags.DEFINE_enum("split", "column", ["column", "random"], "--dataset=tables: the "
                           "nodes' train/val/test splits: --split_column's, or at random by "
                           "--val_fraction and --test_fraction.")
_CHECKPOINT_STEPS = flags.DEFINE_integer("checkpoint_steps", 100, "Save the training state "
                                        "(for resuming) every this many steps.", lower_bound=1)


def settings() -> training.NodeClassificationSettings:
  """The run's hyper-parameters: the preset, overridden by the flags given."""
  overrides = {name: flags.FLAGS[name].value for name in training.presets.SETTINGS
               if flags.FLAGS[name].present}
  for name in ("fanouts", "eval_fanouts"):
    if name in overrides:
      overrides[name] = [int(v) if v.isdigit() else v for v in overrides[name]]
  preset = _PRESET.value or common.DATASET.value
  if preset not in training.PRESETS and not _PRESET.value:
    raise ValueError(f"--dataset={preset} has no hyper-parameter preset; pick one with --preset "
                     f"(the presets are {sorted(training.PRESETS)}) and give the flags to change")
  return training.resolve_preset(preset, common.MODEL.value or "ego_graph_sage", overrides)


def _check_model(model):
  if model not in (None, *MODELS):
    raise ValueError(f"--model must be one of {sorted(MODELS)}, got {model!r}")


flags.register_validator("model", common.validator(_check_model))
flags.register_multi_flags_validator(["dataset", "preset", "model", "fanouts"],
                                     common.validator(lambda _: settings()))
flags.register_multi_flags_validator(["split", *common.DATA_FLAGS], common.validator(
    lambda v: v["split"] == "column" or common.data_config(node_split=v["split"])))
flags.register_multi_flags_validator(["strategy", "model"], lambda v: v["strategy"] in (
    "default", "mirrored") or (v["model"] or "ego_graph_sage") in EGO_MODELS,
    f"multi-worker strategies train the EgoGraph models {list(EGO_MODELS)}")


def run() -> dict:
  """Trains and evaluates as the flags say; returns the final metrics."""
  s = settings()
  batch = "ego_graph" if s.model in EGO_MODELS else "subgraph"
  strategy = training.make_strategy(common.STRATEGY.value)  # first: see make_strategy
  seed = common.SEED.value
  training.resume.seed_random(seed, exact_resume=training.resume.exact(strategy))
  directory = common.model_dir()
  data = common.data_config(node_split="" if _SPLIT.value == "column" else _SPLIT.value)
  # What changes the model or its data (a killed run may resume with more epochs).
  kept = {k: v for k, v in s.as_dict().items() if k not in ("epochs", "eval_batch_size")}
  run_config = dict(binary="train_supervised", data=data.to_dict(), node_type=_NODE_TYPE.value,
                    edge_type=_EDGE_TYPE.value, settings=kept)
  with common.usage_errors(ValueError, FileNotFoundError):
    graph, info = training.load_graph(data)
    node_type, edge_type = nc.choose_types(graph, info, _NODE_TYPE.value, _EDGE_TYPE.value)
    nc.check_splits(graph, node_type)
    training.claim_model_dir(directory, run_config, write=tfgle.distribute.is_chief(strategy))
  meta_path = [edge_type] * len(s.fanouts)
  num_classes = nc.count_classes(graph, node_type, info)

  val, test = nc.evaluation_data(graph, s, meta_path, batch=batch, seed=seed)
  with strategy.scope():
    model = nc.build_classifier(MODELS[s.model], graph, s, node_type, num_classes)
    model.compile(tf.keras.optimizers.Adam(s.learning_rate), loss=nc.classification_loss(),
                  metrics=nc.classification_metrics(num_classes))
  with common.usage_errors(ValueError):
    resumption = training.resumption(strategy, directory, graph, model,
                                     every_steps=_CHECKPOINT_STEPS.value)
  throughput = training.Throughput(s.batch_size)
  own_dir = training.task_dir(directory, strategy)
  best = training.BestCheckpoint(os.path.join(own_dir, "best"), resume=resumption.resumed)
  # Callbacks run in this order: the throughput stops its clock before the
  # validation, and the val metrics are in the logs before the checkpoints.
  callbacks, local = [throughput], None
  if training.is_parameter_server(strategy):  # the chief validates and tests
    local = training.LocalEvaluation(model, nc.classification_loss(reduction="none"),
                                     nc.classification_metrics(num_classes))
    callbacks.append(training.LocalValidation(local, val))
    val = None
  start = time.perf_counter()
  _, resumed_at = resumption.fit(
      model, lambda **position: nc.training_data(graph, s, meta_path, batch=batch,
                                                 strategy=strategy, seed=seed, **position),
      epochs=s.epochs, validation_data=val, announce=lambda line: print(line, flush=True),
      callbacks=callbacks + training.fit_callbacks(
          directory, backup=resumption.checkpoint is None) + [best],
      verbose=training.fit_verbosity(common.PROGRESS.value, strategy))
  train_seconds = time.perf_counter() - start
  best.restore(model)
  results = local(test) if local else model.evaluate(test, return_dict=True, verbose=0)

  model.save(os.path.join(own_dir, "model"), save_format="tf", save_traces=False)
  training.write_manifest(own_dir, nc.classifier_manifest(
      model, graph, s, data_config=data.to_dict(), batch=batch, node_type=node_type,
      meta_path=meta_path, num_classes=num_classes))
  metrics = {
      "model": s.model, "dataset": data.dataset, "seed": seed,
      **{f"test_{name}": results[name] for name in ("accuracy", "micro_f1", "macro_f1", "loss")},
      "best_epoch": best.best["epoch"] if best.best else None,
      "best_val_accuracy": best.best["val_accuracy"] if best.best else None,
      "epochs_run": s.epochs, "resumed_at_epoch": resumed_at[0] + 1 if resumed_at else None,
      "resumed_at_step": resumption.start_step or None,
      "examples_per_second": throughput.examples_per_second,
      "train_seconds": train_seconds, "model_dir": directory,
  }
  training.report_metrics(metrics, strategy, common.METRICS_JSON.value)
  return metrics


if __name__ == "__main__":
  app.run(training.cli.main_of(run))
