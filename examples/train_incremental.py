r"""Incremental training: warm-start a trained node classifier on its graph after updates.

  python examples/train_incremental.py --warm_start_from=RUN_DIR --model_dir=NEW_DIR \
      --updates=node:paper=new_papers.tsv --updates=edge:cites=new_citations.tsv \
      [--graph=SNAPSHOT_DIR] [--replay_fraction=0.1] [--epochs=N] [--export_dir=DIR]

--graph is a graph snapshot (tfgle.Graph.save); without it the graph is the
one the warm-start model was trained on (its manifest's data set or
snapshot). Each --updates names a table (TSV/CSV/Parquet, read with the
graph's decoders) as node:NODE_TYPE=PATH (new nodes) or edge:EDGE_TYPE=PATH
(new edges; they may end at nodes of the same update). The binary applies
them in one update, rebuilds RUN_DIR's model for the grown graph with the
same settings (id-embedding tables and vocabularies grown), copies the
trained weights into it (tfgle.features.warm_start: old rows kept, new rows
fresh) and trains it on the nodes the update touched (new nodes and the
endpoints of new edges, less val/test nodes) plus --replay_fraction of the
old training seeds, then reports val/test metrics of the updated graph.

Under NEW_DIR it leaves graph/ (the updated graph's snapshot, which the
manifest names: export_embeddings.py and a further train_incremental.py run
read it), backup/ while training (a killed run restarted with the same flags
resumes at its last checkpoint, saved every --checkpoint_steps steps and
every epoch end, and ends bit-identical to an uninterrupted run, as in
train_supervised.py), checkpoints/ (weights per epoch), logs/ (TensorBoard),
model/ and model_info.json. --export_dir writes what
export_embeddings.py writes (embeddings, embedding_table/, encoder/) and
graph_servable/: node ids -> embeddings with neighborhoods sampled inside
the SavedModel, new nodes included. --strategy works as in train_supervised.py.
"""
import os
import time

from absl import app
from absl import flags

import common  # examples/common.py: shared flags; imports tfgle before TensorFlow

import tensorflow as tf  # pylint: disable=g-bad-import-order
import tfgle
import tfgle.models  # pylint: disable=unused-import  (registers the model classes)
from tfgle import training
from tfgle.training import incremental
from tfgle.training import node_classification as nc

_GRAPH = flags.DEFINE_string("graph", None, "Graph snapshot directory (default: the graph of "
                             "--warm_start_from's model).")
_UPDATES = flags.DEFINE_multi_string("updates", [], "node:NODE_TYPE=PATH or edge:EDGE_TYPE=PATH "
                                     "(repeated): tables of new nodes or edges.")
_WARM_START_FROM = flags.DEFINE_string("warm_start_from", None, "Model directory of the trained "
                                       "node classifier (its model_info.json).")
_REPLAY = flags.DEFINE_float("replay_fraction", 0.1, "Fraction of the old training seeds trained "
                             "on again besides the touched nodes, in [0, 1].")
_EXPORT_DIR = flags.DEFINE_string("export_dir", None, "Export embeddings and the graph servable "
                                  "here.")
_CHECKPOINT_STEPS = flags.DEFINE_integer("checkpoint_steps", 100, "Save the training state "
                                        "(for resuming) every this many steps.", lower_bound=1)
flags.mark_flags_as_required(["warm_start_from", "model_dir"])


def _check_manifest(directory):
  manifest = training.read_manifest(directory)
  if manifest.task != "node_classification":
    raise ValueError(f"--warm_start_from={directory} holds a {manifest.task} model; "
                     "train_incremental.py trains node classifiers")


def _check_updates(items):
  if not items:
    raise ValueError("--updates must name at least one table: node:NODE_TYPE=PATH or "
                     "edge:EDGE_TYPE=PATH")
  for item in items:
    incremental.parse_update(item)


def _check_no_data_flags(values):
  given = [f"--{name}" for name in common.DATA_FLAGS if flags.FLAGS[name].present]
  if given:
    raise ValueError(f"{given} do not apply: the graph is --graph or --warm_start_from's graph")


flags.register_validator("warm_start_from", common.validator(_check_manifest))
flags.register_validator("updates", common.validator(_check_updates))
flags.register_validator("graph", lambda d: d is None or os.path.isdir(d),
                         "--graph must be a graph snapshot directory")
flags.register_validator("replay_fraction", lambda f: 0 <= f <= 1,
                         "--replay_fraction must be a fraction in [0, 1]")
flags.register_multi_flags_validator(list(common.DATA_FLAGS),
                                     common.validator(_check_no_data_flags))


def _settings(manifest) -> training.NodeClassificationSettings:
  """The warm-start model's settings, with the training flags given."""
  values = dict(manifest.settings)
  for name in ("epochs", "batch_size", "learning_rate"):
    if flags.FLAGS[name].present:
      values[name] = flags.FLAGS[name].value
  return training.NodeClassificationSettings(**values)


def run() -> dict:
  """Updates the graph, trains the warm-started model and saves it; returns the metrics."""
  strategy = training.make_strategy(common.STRATEGY.value)  # first: see make_strategy
  seed = common.SEED.value
  training.resume.seed_random(seed, exact_resume=training.resume.exact(strategy))
  directory, source = common.model_dir(), _WARM_START_FROM.value
  manifest = training.read_manifest(source)
  tower = manifest.tower()
  node_type, meta_path = tower.node_type, list(tower.meta_path)
  chief = tfgle.distribute.is_chief(strategy)
  with common.usage_errors(ValueError, FileNotFoundError):
    s = _settings(manifest)
    run_config = dict(binary="train_incremental", warm_start_from=os.path.abspath(source),
                      graph=_GRAPH.value, updates=list(_UPDATES.value),
                      replay_fraction=_REPLAY.value, settings=s.as_dict())
    training.claim_model_dir(directory, run_config, write=chief)
    graph = (tfgle.Graph.load(_GRAPH.value) if _GRAPH.value
             else incremental.manifest_graph(manifest)[0])
    old_train = graph.split_indices(node_type, "train").numpy()
    old_counts = {t: graph.num_nodes(t) for t in graph.node_types}
    touched = incremental.apply_updates(graph, [incremental.parse_update(u)
                                                for u in _UPDATES.value])
    seeds = incremental.training_seeds(graph, node_type, touched, old_train=old_train,
                                       replay_fraction=_REPLAY.value, seed=seed)
  snapshot_dir = os.path.join(training.task_dir(directory, strategy), "graph")
  if not os.path.isdir(snapshot_dir):
    graph.save(snapshot_dir)  # the updated graph, before its "train" split changes below
  # Training reads the "train" split: it holds the seeds while the model trains.
  graph.add_split(node_type, "train", graph.to_id(node_type, seeds))
  val, test = nc.evaluation_data(graph, s, meta_path, batch=manifest.batch, seed=seed)
  trained = tf.keras.models.load_model(os.path.join(source, manifest.saved_model))
  with strategy.scope():
    model, report = incremental.rebuild_model(trained, graph, node_type)
    model.compile(tf.keras.optimizers.Adam(s.learning_rate), loss=nc.classification_loss(),
                  metrics=nc.classification_metrics(manifest.num_classes))
  with common.usage_errors(ValueError):  # a backup of another graph
    resumption = training.resumption(strategy, directory, graph, model,
                                     every_steps=_CHECKPOINT_STEPS.value)
  callbacks, local = [], None
  if training.is_parameter_server(strategy):  # the chief validates and tests
    local = training.LocalEvaluation(model, nc.classification_loss(reduction="none"),
                                     nc.classification_metrics(manifest.num_classes))
    callbacks.append(training.LocalValidation(local, val))
    val = None
  start = time.perf_counter()
  history, _ = resumption.fit(
      model, lambda **position: nc.training_data(graph, s, meta_path, batch=manifest.batch,
                                                 strategy=strategy, seed=seed, **position),
      epochs=s.epochs, validation_data=val, announce=lambda line: print(line, flush=True),
      callbacks=callbacks + training.fit_callbacks(directory,
                                                   backup=resumption.checkpoint is None),
      verbose=training.fit_verbosity(common.PROGRESS.value, strategy))
  train_seconds = time.perf_counter() - start
  graph.add_split(node_type, "train", graph.to_id(node_type, old_train))
  results = local(test) if local else model.evaluate(test, return_dict=True, verbose=0)

  own_dir = training.task_dir(directory, strategy)
  model.save(os.path.join(own_dir, "model"), save_format="tf", save_traces=False)
  new_manifest = incremental.snapshot_manifest(manifest, model, snapshot_dir)
  training.write_manifest(own_dir, new_manifest)
  metrics = {
      "model": manifest.model, "warm_start_from": source, "seed": seed,
      "new_nodes": {t: graph.num_nodes(t) - n for t, n in old_counts.items()},
      "touched_nodes": int(len(touched[node_type])), "training_seeds": int(len(seeds)),
      "grown_tables": {k: list(v) for k, v in report.grown.items()},
      **{f"test_{name}": results[name] for name in ("accuracy", "micro_f1", "macro_f1", "loss")},
      "final_val_accuracy": (history.get("val_accuracy") or [None])[-1],
      "epochs_run": s.epochs, "resumed_at_step": resumption.start_step or None,
      "train_seconds": train_seconds, "model_dir": directory, "graph_snapshot": snapshot_dir,
  }
  if _EXPORT_DIR.value and chief:
    metrics["export"] = training.bulk_inference.export_tower(
        _EXPORT_DIR.value, model, graph, new_manifest, fmt="npy", batch_size=s.eval_batch_size,
        seed=seed, servable=manifest.batch == "ego_graph", verbose=common.PROGRESS.value)
  training.report_metrics(metrics, strategy, common.METRICS_JSON.value)
  return metrics


if __name__ == "__main__":
  app.run(training.cli.main_of(run))
