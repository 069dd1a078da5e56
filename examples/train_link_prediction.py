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

Outputs, under --model_dir: the trained model `model` (Keras SavedModel: load
it with `tf.keras.models.load_model(path, compile=False)` after importing
tfgle.models) and `model_info.json`, which says how to rebuild the graph and
the EgoGraphs that the model embeds (see `_model_info`); checkpoints, the
backup for resuming and TensorBoard logs. The final metrics line is printed
and written to --metrics_json.

Defaults: this binary trains 3 epochs (--epochs): with B x N shared
negatives per step a few passes over the edges converge.

Examples:
  python examples/train_link_prediction.py
  python examples/train_link_prediction.py --dataset=movielens \
      --data_dir=../shared/datasets/ml-100k --model_dir=/tmp/ml100k
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import time

from absl import app
from absl import flags
from absl import logging
import numpy as np

import common  # examples/common.py: shared flags; imports tfgle before TensorFlow
import tfgle  # pylint: disable=g-bad-import-order
import tensorflow as tf  # pylint: disable=g-bad-import-order
from tfgle.models import EgoBipartiteSAGE

MODELS = ("ego_bipartite_sage",)

_NUM_NEGATIVES = flags.DEFINE_integer("num_negatives", 1,
                                      "Negative destinations sampled per training edge.")
_SHARE_NEGATIVES = flags.DEFINE_bool(
    "share_negatives", True, "Score each edge against the negatives of the whole batch "
    "(batch_size x num_negatives), not only its own.")
_NEG_STRATEGY = flags.DEFINE_enum("neg_strategy", "random", ["random", "in_degree", "node_weight"],
                                  "How negatives are drawn (tfgle.ops.sample_negatives).")
_HIDDEN_DIM = flags.DEFINE_integer("hidden_dim", 32, "Width of the hidden GraphSAGE levels.")
_EMBEDDING_DIM = flags.DEFINE_integer("embedding_dim", 32, "Width of the output embeddings.")
_ID_EMBEDDING_DIM = flags.DEFINE_integer("id_embedding_dim", 32,
                                         "Width of the node id embeddings.")
_FEATURE_EMBEDDING_DIM = flags.DEFINE_integer("feature_embedding_dim", 16,
                                              "Width of categorical attribute embeddings.")
_NODE_FEATURES = flags.DEFINE_bool("node_features", True,
                                   "Encode node attributes besides the id embeddings.")
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

flags.set_default(common.EPOCHS, 3)


@dataclasses.dataclass
class Task:
  """What is predicted: the edge type, each side's node type, meta-path and features."""
  edge_type: tfgle.EdgeType
  node_types: dict[str, str]          # side ("user" / "item") -> node type
  meta_paths: dict[str, list[str]]    # side -> edge types followed from hop 0
  hop_node_types: dict[str, list[str]]
  features: dict[str, list[str]]      # node type -> attributes gathered (besides ids)
  node_features: dict[str, dict]      # node type -> feature specs of the model
  share_towers: bool


def _reverse_edge_type(graph, et: tfgle.EdgeType) -> tfgle.EdgeType:
  candidates = [e for e in graph.edge_types if e.src == et.dst and e.dst == et.src]
  for e in candidates:
    if e.name == f"{et.name}_reverse":
      return e
  if not candidates:
    raise ValueError(f"edge type {et.name!r} ({et.src} -> {et.dst}) has no reverse edge type, "
                     "so item EgoGraphs cannot reach users; build it with directed=False")
  return candidates[0]


def make_task(graph, edge_type: str, num_hops: int) -> Task:
  """The towers' meta-paths (alternating edge and reverse edge) and feature specs."""
  et = graph.edge_type(edge_type)
  if et.src == et.dst:
    paths = {"user": [et.name] * num_hops, "item": [et.name] * num_hops}
  else:
    pair = [et.name, _reverse_edge_type(graph, et).name]
    paths = {"user": [pair[i % 2] for i in range(num_hops)],
             "item": [pair[(i + 1) % 2] for i in range(num_hops)]}
  hop_types = {side: list(tfgle.data.ego_spec(graph, start, paths[side],
                                              [1] * num_hops).node_types)
               for side, start in (("user", et.src), ("item", et.dst))}
  features, node_features = {}, {}
  for node_type in dict.fromkeys(hop_types["user"] + hop_types["item"]):
    specs = {}
    if _NODE_FEATURES.value:
      # StringAttr attributes (e.g. MovieLens titles) are skipped.
      specs = tfgle.features.specs.from_attrs(graph.node_attrs(node_type),
                                              embedding_dim=_FEATURE_EMBEDDING_DIM.value)
    features[node_type] = list(specs)
    specs["ids"] = tfgle.features.node_id(embedding_dim=_ID_EMBEDDING_DIM.value,
                                          num_ids=graph.num_nodes(node_type), key="index")
    node_features[node_type] = specs
  return Task(edge_type=et, node_types={"user": et.src, "item": et.dst}, meta_paths=paths,
              hop_node_types=hop_types, features=features, node_features=node_features,
              share_towers=et.src == et.dst)


def build_model(task: Task) -> EgoBipartiteSAGE:
  l2 = tf.keras.regularizers.l2(_L2.value) if _L2.value else None
  return EgoBipartiteSAGE(
      task.node_features, user_node_types=task.hop_node_types["user"],
      item_node_types=task.hop_node_types["item"], hidden_dim=_HIDDEN_DIM.value,
      embedding_dim=_EMBEDDING_DIM.value, aggregator=_AGGREGATOR.value, dropout=_DROPOUT.value,
      score=_SCORE.value, temperature=_TEMPERATURE.value, share_towers=task.share_towers,
      share_negatives=_SHARE_NEGATIVES.value, embeddings_regularizer=l2)


def training_data(graph, task: Task, fanouts: list[int], strategy: tf.distribute.Strategy):
  """(data, steps per epoch): (batch, label 0) pairs, the positive being logit 0 of the
  model's output, as model.fit takes them under `strategy` (steps None: one pass)."""
  args = (graph, task.edge_type.name, task.meta_paths["user"], task.meta_paths["item"], fanouts)
  kwargs = dict(num_negatives=_NUM_NEGATIVES.value, neg_strategy=_NEG_STRATEGY.value,
                features=task.features)
  batch_size = common.BATCH_SIZE.value

  def with_labels(ds):
    return ds.map(lambda batch: (batch, tf.zeros(tf.shape(batch["src"]["hop0"]["ids"])[:1],
                                                 tf.int32)))
  num_edges = graph.num_edges(task.edge_type.name)
  if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
    # Each worker its shard of every epoch's edges, all with the same steps.
    shard_fn = tfgle.distribute.link_ego_dataset_fn(*args, batch_size, repeat=True,
                                                    seed=common.SEED.value, **kwargs)
    return (strategy.distribute_datasets_from_function(lambda c: with_labels(shard_fn(c))),
            tfgle.distribute.steps_per_epoch(strategy, num_edges, batch_size))
  if isinstance(strategy, tf.distribute.experimental.ParameterServerStrategy):
    # The workers sample the topology partitioned over the parameter servers
    # (the chief's own tables are out of their reach). They share one dataset
    # function and no worker index: random edges, a stream each.
    partitioned = tfgle.distribute.PartitionedGraph(graph, tfgle.distribute.ps_devices(strategy))
    args = (partitioned, *args[1:])
    creator = tf.keras.utils.experimental.DatasetCreator(lambda context: with_labels(
        tfgle.data.link_ego_graph_dataset(*args, batch_size, shuffle="random",
                                       seed=tfgle.distribute.worker_seed(), **kwargs)))
    return creator, math.ceil(num_edges / batch_size)
  return with_labels(tfgle.data.link_ego_graph_dataset(*args, batch_size, seed=common.SEED.value,
                                                    **kwargs)), None


def embed_all(model: EgoBipartiteSAGE, graph, task: Task, side: str,
              fanouts: list[int]) -> np.ndarray:
  """Embeddings [N, D] of every node of `side`'s node type, in dense-index order."""
  node_type = task.node_types[side]
  ds = tfgle.data.ego_graph_dataset(graph, None, task.meta_paths[side], fanouts,
                                  batch_size=max(common.BATCH_SIZE.value, 1024), label=False,
                                  shuffle=False, features=task.features,
                                  seed=common.SEED.value + 1)
  embed = tf.function(lambda batch: model.embed(batch, side))
  out = np.zeros((graph.num_nodes(node_type), model.embedding_dim), np.float32)
  for batch in ds:
    out[batch["hop0"]["index"].numpy()] = embed(batch).numpy()
  return out


def _ranking_metrics(scores: np.ndarray, relevance: np.ndarray, k: int) -> tuple[float, float]:
  recall = tfgle.metrics.recall_at_k(scores, relevance, k).numpy()
  ndcg = tfgle.metrics.ndcg_at_k(scores, relevance, k).numpy()
  return float(recall.mean()), float(ndcg.mean())


def evaluate_recommendation(graph, info, users: np.ndarray, items: np.ndarray,
                            k: int) -> dict[str, float]:
  """Recall@k / NDCG@k of ranking every item a user has not rated in training.

  Users without test ratings are left out; the popularity baseline ranks the
  same candidates by their number of training ratings.
  """
  def indices(ratings):
    return (graph.to_index("user", ratings.users).numpy(),
            graph.to_index("item", ratings.items).numpy())
  train_u, train_i = indices(info.train)
  test_u, test_i = indices(info.test)
  popularity = np.bincount(train_i, minlength=len(items)).astype(np.float32)
  metrics = {"model": [], "popularity": []}
  weights = []
  eval_users = np.unique(test_u)
  for start in range(0, len(eval_users), 1024):
    rows = eval_users[start:start + 1024]
    position = {u: r for r, u in enumerate(rows)}
    rated = np.zeros((len(rows), len(items)), bool)
    in_rows = np.isin(train_u, rows)
    rated[[position[u] for u in train_u[in_rows]], train_i[in_rows]] = True
    relevance = np.zeros((len(rows), len(items)), np.float32)
    in_rows = np.isin(test_u, rows)
    relevance[[position[u] for u in test_u[in_rows]], test_i[in_rows]] = 1.0
    for name, scores in (("model", users[rows] @ items.T),
                         ("popularity", np.broadcast_to(popularity, rated.shape))):
      metrics[name].append(_ranking_metrics(np.where(rated, -np.inf, scores), relevance, k))
    weights.append(len(rows))
  result = {}
  for name, prefix in (("model", ""), ("popularity", "popularity_")):
    recall, ndcg = np.average(np.array(metrics[name]), axis=0, weights=weights)
    result[f"{prefix}recall_at_{k}"] = float(recall)
    result[f"{prefix}ndcg_at_{k}"] = float(ndcg)
  result["recall_lift"] = (result[f"recall_at_{k}"] / result[f"popularity_recall_at_{k}"]
                           if result[f"popularity_recall_at_{k}"] else float("nan"))
  result["test_users"] = int(len(eval_users))
  return result


def evaluate_link_prediction(graph, task: Task, test_edges: np.ndarray, src: np.ndarray,
                             dst: np.ndarray, k: int, num_negatives: int,
                             seed: int) -> dict[str, float]:
  """AUC, MRR and hits@k of the test edges, each against random destinations.

  The popularity baseline scores a destination by its training in-degree.
  """
  if not len(test_edges):
    raise ValueError("there are no held-out test edges: raise --holdout_edges")
  s = graph.to_index(task.node_types["user"], test_edges[:, 0]).numpy()
  d = graph.to_index(task.node_types["item"], test_edges[:, 1]).numpy()
  negatives = np.random.default_rng(seed).integers(0, len(dst), size=(len(s), num_negatives))
  candidates = np.concatenate([d[:, None], negatives], axis=1)
  in_degree = graph.degree(task.edge_type.name, graph.node_ids(task.node_types["item"]),
                           direction="in").numpy().astype(np.float32)
  labels = np.zeros(candidates.shape, bool)
  labels[:, 0] = True
  targets = np.zeros(len(s), np.int64)
  result = {"test_edges": int(len(s))}
  for prefix, scores in (("", np.einsum("bd,bnd->bn", src[s], dst[candidates])),
                         ("popularity_", in_degree[candidates])):
    result[f"{prefix}auc"] = float(tfgle.metrics.auc(labels, scores).numpy())
    result[f"{prefix}mrr"] = float(tfgle.metrics.mrr(scores, targets).numpy())
    result[f"{prefix}hits_at_{k}"] = float(
        tf.reduce_mean(tfgle.metrics.hits_at_k(scores, targets, k)).numpy())
  return result


def _dataset_flags() -> dict:
  """The flags that rebuild the same graph with common.load_graph(holdout_edges=...)."""
  dataset = common.DATASET.value
  result = {"dataset": dataset, "seed": common.SEED.value}
  if dataset == "synthetic":
    result.update(synthetic_nodes=common.SYNTHETIC_NODES.value,
                  synthetic_edges=common.SYNTHETIC_EDGES.value,
                  holdout_edges=_HOLDOUT_EDGES.value)
  else:
    result.update(data_dir=os.path.abspath(common.DATA_DIR.value), ratings_file="ua.base",
                  split="ua")
  return result


def _model_info(model: EgoBipartiteSAGE, task: Task, fanouts: list[int]) -> dict:
  """The contract of {model_dir}/model_info.json (read by tfgle.export and export_embeddings)."""
  return {
      "format_version": 1,
      "model": "model",
      "model_class": "tfgle>EgoBipartiteSAGE",
      "load": "tf.keras.models.load_model(path, compile=False) after `import tfgle.models`",
      "dataset": _dataset_flags(),
      "edge_type": list(task.edge_type),
      "node_types": sorted(set(task.node_types.values())),
      "fanouts": list(fanouts),
      "sampling_strategy": "random",
      # Graph attributes each node type's EgoGraph hops must hold, besides
      # ego_graph_keys (the id embeddings read "index", the dense node index).
      "features": {t: list(names) for t, names in task.features.items()},
      "ego_graph_keys": ["ids", "index", "mask"],
      "embedding_dim": model.embedding_dim,
      "score": model.score,
      "share_towers": model.share_towers,
      # One entry per tower: embed the node type's nodes with
      # model.<method>(ego_graph_dataset(graph, ids, meta_path, fanouts, label=False,
      # features=features) batch), i.e. model.embed(batch, side).
      "embeddings": {
          side: {"node_type": task.node_types[side], "meta_path": task.meta_paths[side],
                 "hop_node_types": task.hop_node_types[side],
                 "method": "embed_users" if side == "user" else "embed_items", "side": side}
          for side in ("user", "item")},
      "meta_paths": dict(task.meta_paths),
  }


def main(argv):
  del argv
  if common.MODEL.value not in (None, *MODELS):
    raise flags.ValidationError(f"--model must be one of {list(MODELS)}, got "
                                f"{common.MODEL.value!r}")
  for holder, low in ((_NUM_NEGATIVES, 1), (_EVAL_NEGATIVES, 1), (_TOP_K, 1)):
    if holder.value < low:
      raise flags.ValidationError(f"--{holder.name} must be >= {low}, got {holder.value}")
  strategy = common.make_strategy()  # first: see common.make_strategy
  fanouts = common.fanouts()
  directory = common.model_dir()
  tf.keras.utils.set_random_seed(common.SEED.value)

  start = time.perf_counter()
  graph, info = common.load_graph(holdout_edges=_HOLDOUT_EDGES.value)
  edge_type = info.edge_type[2] if common.DATASET.value == "synthetic" else "rates"
  task = make_task(graph, edge_type, len(fanouts))
  logging.info("graph built in %.1f s: %s", time.perf_counter() - start, graph)

  with strategy.scope():
    model = build_model(task)
    model.compile(optimizer=tf.keras.optimizers.Adam(common.LEARNING_RATE.value),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[tfgle.metrics.MeanReciprocalRank()])
  throughput = common.Throughput(common.BATCH_SIZE.value)
  train, steps = training_data(graph, task, fanouts, strategy)
  start = time.perf_counter()
  history = model.fit(train, epochs=common.EPOCHS.value, steps_per_epoch=steps,
                      callbacks=common.fit_callbacks(directory) + [throughput],
                      verbose=common.fit_verbosity(1, strategy))
  train_seconds = time.perf_counter() - start

  start = time.perf_counter()
  users = embed_all(model, graph, task, "user", fanouts)
  items = users if model.share_towers else embed_all(model, graph, task, "item", fanouts)
  k = _TOP_K.value
  if common.DATASET.value == "movielens":
    metrics = evaluate_recommendation(graph, info, users, items, k)
  else:
    metrics = evaluate_link_prediction(graph, task, info.test_edges, users, items, k,
                                       _EVAL_NEGATIVES.value, common.SEED.value)
  eval_seconds = time.perf_counter() - start

  own_dir = common.task_dir(directory, strategy)
  model.save(os.path.join(own_dir, "model"), save_format="tf", save_traces=False)
  with open(os.path.join(own_dir, "model_info.json"), "w") as f:
    json.dump(_model_info(model, task, fanouts), f, indent=2)
    f.write("\n")
  epochs_run = len(history.history.get("loss", []))
  metrics.update(dataset=common.DATASET.value, epochs=epochs_run,
                 final_loss=float(history.history["loss"][-1]) if epochs_run else None,
                 examples_per_second=throughput.examples_per_second,
                 train_seconds=train_seconds, eval_seconds=eval_seconds, model_dir=directory)
  common.finish(metrics, strategy)


if __name__ == "__main__":
  app.run(main)
