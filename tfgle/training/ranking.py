"""Held-out evaluation of link prediction: the model's ranking against a popularity baseline.

- `evaluate_link_prediction`: each test edge's destination ranked against
  random destinations: AUC, MRR, hits@k.
- `evaluate_recommendation`: for every user, all items not rated in training
  ranked, the test ratings as truth: Recall@k, NDCG@k.
Both also score a popularity baseline (destinations by their training
in-degree), which a model must beat to have learned more than popularity.
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from tfgle import metrics


def _ranking_metrics(scores: np.ndarray, relevance: np.ndarray, k: int) -> tuple[float, float]:
  recall = metrics.recall_at_k(scores, relevance, k).numpy()
  ndcg = metrics.ndcg_at_k(scores, relevance, k).numpy()
  return float(recall.mean()), float(ndcg.mean())


def evaluate_recommendation(graph, info, users: np.ndarray, items: np.ndarray,
                            k: int) -> dict[str, float]:
  """Recall@k / NDCG@k of ranking every item a user has not rated in training.

  Args:
    graph: the graph of the training ratings (node types "user" and "item").
    info: the MovieLens info: `train` and `test` ratings (users, items).
    users, items: embeddings [N, D] of every user and item, in dense-index order.
    k: the cut-off.

  Users without test ratings are left out; the popularity baseline ranks the
  same candidates by their number of training ratings.
  """
  def indices(ratings):
    return (graph.to_index("user", ratings.users).numpy(),
            graph.to_index("item", ratings.items).numpy())
  train_u, train_i = indices(info.train)
  test_u, test_i = indices(info.test)
  popularity = np.bincount(train_i, minlength=len(items)).astype(np.float32)
  results = {"model": [], "popularity": []}
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
      results[name].append(_ranking_metrics(np.where(rated, -np.inf, scores), relevance, k))
    weights.append(len(rows))
  result = {}
  for name, prefix in (("model", ""), ("popularity", "popularity_")):
    recall, ndcg = np.average(np.array(results[name]), axis=0, weights=weights)
    result[f"{prefix}recall_at_{k}"] = float(recall)
    result[f"{prefix}ndcg_at_{k}"] = float(ndcg)
  result["recall_lift"] = (result[f"recall_at_{k}"] / result[f"popularity_recall_at_{k}"]
                           if result[f"popularity_recall_at_{k}"] else float("nan"))
  result["test_users"] = int(len(eval_users))
  return result


def evaluate_link_prediction(graph, edge_type, test_edges: np.ndarray, src: np.ndarray,
                             dst: np.ndarray, k: int, num_negatives: int,
                             seed: int) -> dict[str, float]:
  """AUC, MRR and hits@k of the test edges, each against `num_negatives` random destinations.

  Args:
    graph: the graph built without the test edges.
    edge_type: the predicted EdgeType (src, dst, name).
    test_edges: [E, 2] (source id, destination id) pairs.
    src, dst: embeddings [N, D] of every source and destination node, in
      dense-index order.
    k: the cut-off of hits@k.
    num_negatives: random destinations per test edge.
    seed: seed of the random destinations.

  The popularity baseline scores a destination by its training in-degree.

  Raises:
    ValueError: no test edges.
  """
  if not len(test_edges):
    raise ValueError("there are no held-out test edges: hold out a fraction of the edges")
  s = graph.to_index(edge_type.src, test_edges[:, 0]).numpy()
  d = graph.to_index(edge_type.dst, test_edges[:, 1]).numpy()
  negatives = np.random.default_rng(seed).integers(0, len(dst), size=(len(s), num_negatives))
  candidates = np.concatenate([d[:, None], negatives], axis=1)
  in_degree = graph.degree(edge_type.name, graph.node_ids(edge_type.dst),
                           direction="in").numpy().astype(np.float32)
  labels = np.zeros(candidates.shape, bool)
  labels[:, 0] = True
  targets = np.zeros(len(s), np.int64)
  result = {"test_edges": int(len(s))}
  for prefix, scores in (("", np.einsum("bd,bnd->bn", src[s], dst[candidates])),
                         ("popularity_", in_degree[candidates])):
    result[f"{prefix}auc"] = float(metrics.auc(labels, scores).numpy())
    result[f"{prefix}mrr"] = float(metrics.mrr(scores, targets).numpy())
    result[f"{prefix}hits_at_{k}"] = float(
        tf.reduce_mean(metrics.hits_at_k(scores, targets, k)).numpy())
  return result
