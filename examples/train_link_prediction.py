r"""Link prediction and user-item recommendation with EgoBipartiteSAGE.

Trains a two-tower GraphSAGE (tfgle.models.EgoBipartiteSAGE) on the edges of
one edge type: every batch holds the EgoGraphs of B edges' sources and
destinations and of sampled negative destinations
(tfgle.data.link_ego_graph_dataset), and the loss is a sampled softmax of each
positive against the negatives (by default those of the whole batch). The
graph is built without the test edges, and evaluation embeds every node and
scores the held-out edges:

- --dataset=synthetic (default): one node type, both towers shared; a
  fraction (--holdout_edges) of the edges is held out. Each test edge is
  ranked against --eval_negatives random destinations: AUC, MRR, hits@K, for
  the model and for a popularity baseline (destinations by training
  in-degree). The synthetic edges join nodes by popularity alone, so that is
  all there is to learn.
- --dataset=movielens (MovieLens 100K): users and items, a tower each, built
  on ua.base; for every user all items not rated in ua.base are ranked and
  ua.test is the truth: Recall@K and NDCG@K, for the model and for a
  popularity baseline (items by their number of ua.base ratings).
- --dataset=tables (your own tables): the FIRST --edge_table is the edges to
  predict; it is split per source (--split=random, or --split=temporal by its
  --timestamp_column) into training, validation (--val_fraction) and test
  edges (--test_fraction); the graph is built on the training edges, and for
  every source with test edges all destinations are ranked, its training and
  validation destinations masked (tfgle.ranking): Recall@K and NDCG@K of the
  model and of popularity, as for MovieLens.

Outputs, under --model_dir: the model `model` (a Keras SavedModel: load it after
importing tfgle.models), `model_info.json` (tfgle.training.ModelManifest: how
to rebuild the graph and the EgoGraphs it embeds), checkpoints, the backup for
an exact resume, TensorBoard logs and run_config.json. The final metrics line
is printed and written to --metrics_json. 3 epochs by default (--epochs).

Examples:
  python examples/train_link_prediction.py
  python examples/train_link_prediction.py --dataset=movielens \
      --data_dir=../shared/datasets/ml-100k --model_dir=/tmp/ml100k
  python examples/train_link_prediction.py --dataset=tables ...   # README: your own data
"""
import os
import time

from absl import app
from absl import flags
from absl import logging

import common  # examples/common.py: shared flags; imports tfgle before TensorFlow
import tensorflow as tf  # pylint: disable=g-bad-import-order
import tfgle
from tfgle import training
from tfgle.models import EgoBipartiteSAGE
from tfgle.training import link_prediction as lp

MODELS = ("ego_bipartite_sage",)

_NUM_NEGATIVES = flags.DEFINE_integer("num_negatives", 1,
                                      "Negative destinations sampled per training edge.")
_SHARE_NEGATIVES = flags.DEFINE_bool(
    "share_negatives", True, "Score each edge against the negatives of the whole batch "
    "(batch_size x num_negatives), not only its own.")
_NEG_STRATEGY = flags.DEFINE_enum("neg_strategy", "random", ["random", "in_degree", "node_weight"],
                                  "How negatives are drawn (Sampler.sample_negatives).")
_NEG_CONDITION = flags.DEFINE_list(
    "neg_condition", [], "GLE's conditional negatives: ATTR:SHARE,... makes SHARE of each edge's "
    "negatives match its destination's single-valued categorical attribute ATTR (shares sum to "
    "at most 1; the rest are drawn by --neg_strategy), e.g. year:0.5 on MovieLens.")
_NEG_UNIQUE = flags.DEFINE_bool("neg_unique", False, "Conditional negatives never repeat "
                                "within an edge's row (needs --neg_condition).")
_NEG_BATCH_SHARE = flags.DEFINE_bool(
    "neg_batch_share", False, "Conditional negatives exclude the true neighbors of every source "
    "of the batch, not only their own (GLE's batch_share; needs --neg_condition).")
_HIDDEN_DIM = flags.DEFINE_integer("hidden_dim", 32, "Width of the hidden GraphSAGE levels.")
_EMBEDDING_DIM = flags.DEFINE_integer("embedding_dim", 32, "Width of the output embeddings.")
_ID_EMBEDDING_DIM = flags.DEFINE_integer("id_embedding_dim", 32,
                                         "Width of the node id embeddings.")
_FEATURE_EMBEDDING_DIM = flags.DEFINE_integer("feature_embedding_dim", 16,
                                              "Width of categorical attribute embeddings.")
_NODE_FEATURES = flags.DEFINE_bool("node_features", True,
                                   "Encode node attributes besides the id embeddings.")
_TEXT_FEATURES = flags.DEFINE_enum("text_features", "none", ["none", "embedding", "tf_idf"],
                                   "With --node_features, also encode text attributes (MovieLens "
                                   "titles, NAME:text): an embedding bag or TF-IDF.")
_AGGREGATOR = flags.DEFINE_enum("aggregator", "mean", ["mean", "sum", "max", "gcn", "pool"],
                                "GraphSAGE aggregator.")
_DROPOUT = flags.DEFINE_float("dropout", 0.0, "Dropout rate of every GraphSAGE level's inputs.")
_SCORE = flags.DEFINE_enum("score", "dot", ["dot", "cosine"], "Score of a (user, item) pair.")
_TEMPERATURE = flags.DEFINE_float("temperature", 1.0, "Logits are scores / temperature.")
_L2 = flags.DEFINE_float("l2", 0.0, "L2 regularization of the embedding tables.")
_HOLDOUT_EDGES = flags.DEFINE_float("holdout_edges", 0.1,
                                    "--dataset=synthetic: fraction of edges held out for testing.")
_EVAL_NEGATIVES = flags.DEFINE_integer(
    "eval_negatives", 100, "--dataset=synthetic: random destinations each test edge is ranked "
    "against.")
_TOP_K = flags.DEFINE_integer("top_k", 20, "K of hits@K, Recall@K and NDCG@K.")
_SPLIT = flags.DEFINE_enum("split", "random", ["random", "temporal"],
                           "--dataset=tables: how each source's edges of the first edge table "
                           "are held out: at random, or its latest by --timestamp_column.")
_TIMESTAMP_COLUMN = flags.DEFINE_string("timestamp_column", "timestamp",
                                        "--split=temporal: the edge table's int time column.")
_CHECKPOINT_STEPS = flags.DEFINE_integer("checkpoint_steps", 100, "Save the training state "
                                        "(for resuming) every this many steps.", lower_bound=1)
# The flags that change the model or its training (recorded in run_config.json).
_MODEL_FLAGS = (_NUM_NEGATIVES, _SHARE_NEGATIVES, _NEG_STRATEGY, _NEG_CONDITION, _NEG_UNIQUE,
                _NEG_BATCH_SHARE, _HIDDEN_DIM, _EMBEDDING_DIM,
                _ID_EMBEDDING_DIM, _FEATURE_EMBEDDING_DIM, _NODE_FEATURES, _TEXT_FEATURES,
                _AGGREGATOR, _DROPOUT, _SCORE, _TEMPERATURE, _L2, common.FANOUTS,
                common.BATCH_SIZE, common.LEARNING_RATE)

flags.set_default(common.EPOCHS, 3)


def _check_model(model):
  if model not in (None, *MODELS):
    raise ValueError(f"--model must be one of {list(MODELS)}, got {model!r}")


flags.register_validator("model", common.validator(_check_model))
flags.register_validator("dataset",
                         common.validator(training.data_config.check_holdout_dataset))
flags.register_validator("holdout_edges", lambda v: 0 < v < 1,
                         "--holdout_edges must be a fraction in (0, 1)")
for _holder in (_NUM_NEGATIVES, _EVAL_NEGATIVES, _TOP_K, common.EPOCHS, common.BATCH_SIZE):
  flags.register_validator(_holder.name, lambda v: v >= 1, f"--{_holder.name} must be >= 1")


flags.register_validator("neg_condition", common.validator(lp.parse_neg_condition))
flags.register_multi_flags_validator(
    ["neg_condition", "neg_unique", "neg_batch_share"],
    lambda f: bool(f["neg_condition"]) or not (f["neg_unique"] or f["neg_batch_share"]),
    "--neg_unique and --neg_batch_share apply to conditional negatives: give --neg_condition")


def build_model(task: lp.LinkTask) -> EgoBipartiteSAGE:
  l2 = tf.keras.regularizers.l2(_L2.value) if _L2.value else None
  return EgoBipartiteSAGE(
      task.node_features, user_node_types=task.hop_node_types["user"],
      item_node_types=task.hop_node_types["item"], hidden_dim=_HIDDEN_DIM.value,
      embedding_dim=_EMBEDDING_DIM.value, aggregator=_AGGREGATOR.value, dropout=_DROPOUT.value,
      score=_SCORE.value, temperature=_TEMPERATURE.value, share_towers=task.share_towers,
      share_negatives=_SHARE_NEGATIVES.value, embeddings_regularizer=l2)


def _held_out() -> dict:
  """The DataConfig fields that hold test edges out of the graph."""
  if common.DATASET.value != "tables":
    return dict(holdout_edges=_HOLDOUT_EDGES.value)
  return dict(edge_split=_SPLIT.value, timestamp_column=_TIMESTAMP_COLUMN.value)


def run() -> None:
  """Trains and evaluates as the flags say."""
  strategy = training.make_strategy(common.STRATEGY.value)  # first: see make_strategy
  fanouts = [int(v) for v in common.FANOUTS.value]
  directory, seed = common.model_dir(), common.SEED.value
  training.resume.seed_random(seed, exact_resume=training.resume.exact(strategy))
  with common.usage_errors(ValueError):
    data = common.data_config(**_held_out())
  model_flags = {holder.name: holder.value for holder in _MODEL_FLAGS}
  start = time.perf_counter()
  with common.usage_errors(ValueError, FileNotFoundError):
    graph, info = training.load_graph(data)
    edge_type = "rates" if data.dataset == "movielens" else info.edge_type[2]
    task = lp.make_task(graph, edge_type, len(fanouts), node_features=_NODE_FEATURES.value,
                        text_features=None if _TEXT_FEATURES.value == "none" else
                        _TEXT_FEATURES.value,
                        feature_embedding_dim=_FEATURE_EMBEDDING_DIM.value,
                        id_embedding_dim=_ID_EMBEDDING_DIM.value)
    for attr in lp.parse_neg_condition(_NEG_CONDITION.value):  # (before training starts)
      graph.sampler.categories(task.node_types["item"], attr)
    training.claim_model_dir(directory, dict(binary="train_link_prediction", data=data.to_dict(),
                                             flags=model_flags),
                             write=tfgle.distribute.is_chief(strategy))
  logging.info("graph built in %.1f s: %s", time.perf_counter() - start, graph)

  with strategy.scope():
    model = build_model(task)
    model.compile(optimizer=tf.keras.optimizers.Adam(common.LEARNING_RATE.value),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[tfgle.metrics.MeanReciprocalRank()])
  with common.usage_errors(ValueError):
    resumption = training.resumption(strategy, directory, graph, model,
                                     every_steps=_CHECKPOINT_STEPS.value)
  throughput = training.Throughput(common.BATCH_SIZE.value)
  start = time.perf_counter()
  history, _ = resumption.fit(
      model, lambda **position: lp.training_data(
          graph, task, fanouts, batch_size=common.BATCH_SIZE.value, seed=seed, strategy=strategy,
          num_negatives=_NUM_NEGATIVES.value, neg_strategy=_NEG_STRATEGY.value,
          neg_condition=lp.parse_neg_condition(_NEG_CONDITION.value), neg_unique=_NEG_UNIQUE.value,
          neg_batch_share=_NEG_BATCH_SHARE.value, **position),
      epochs=common.EPOCHS.value, announce=lambda line: print(line, flush=True),
      callbacks=training.fit_callbacks(directory, backup=resumption.checkpoint is None) + [
          throughput], verbose=training.fit_verbosity(common.PROGRESS.value, strategy))
  train_seconds = time.perf_counter() - start

  start = time.perf_counter()
  metrics = lp.evaluate_task(model, graph, info, task, data.dataset, fanouts,
                             top_k=_TOP_K.value, eval_negatives=_EVAL_NEGATIVES.value, seed=seed,
                             batch_size=common.BATCH_SIZE.value,
                             verbose=int(common.PROGRESS.value == 1))
  eval_seconds = time.perf_counter() - start

  own_dir = training.task_dir(directory, strategy)
  model.save(os.path.join(own_dir, "model"), save_format="tf", save_traces=False)
  training.write_manifest(own_dir, lp.link_manifest(model, task, fanouts,
                                                    data_config=data.to_dict(),
                                                    settings=model_flags))
  losses = history.get("loss", [])  # of the epochs trained by this process
  metrics.update(dataset=data.dataset, epochs=common.EPOCHS.value,
                 final_loss=float(losses[-1]) if losses else None,
                 examples_per_second=throughput.examples_per_second,
                 train_seconds=train_seconds, eval_seconds=eval_seconds, model_dir=directory)
  training.report_metrics(metrics, strategy, common.METRICS_JSON.value)


if __name__ == "__main__":
  app.run(training.cli.main_of(run))
