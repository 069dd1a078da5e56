"""Recommender baselines on MovieLens-100K: popularity, BPRMF and LightGCN, Recall/NDCG@K.

usage: python benchmarks/recsys_benchmark.py DATA_DIR [--split=ua|temporal] [--epochs=30]
           [--models=popularity,bpr_mf,lightgcn] [--dim=64] [--layers=3] [--lr=0.005]
           [--batch=2048] [--l2=1e-4] [--k=20] [--test_fraction=0.1] [--seed=0]

DATA_DIR is a MovieLens-100K directory (tfgle.datasets.load_movielens). The
graph holds the training ratings only; every item a user has not rated in
training is ranked, and the held-out ratings are the truth
(tfgle.ranking.evaluate_ranking, all ratings count as interactions):
  --split=ua: GroupLens' ua.base / ua.test (10 test ratings per user), as
    examples/train_link_prediction.py --dataset=movielens evaluates;
  --split=temporal: each user's latest --test_fraction of u.data
    (tfgle.data.split_edges(method="temporal")).
The models train --epochs passes of BPR over the training edges (one sampled
negative each, Adam); the metrics are those after the last epoch (no model
selection on the test ratings). Prints one JSON line per model:
  {"system": "tfgle", "workload": "movielens_100k_<split>", "model", "recall_at_K",
   "ndcg_at_K", "hit_rate_at_K", "mrr_at_K", "epochs", "fit_seconds", "eval_seconds",
   "peak_rss_mb"}

Measured 2026-12-03 (shared 2-core machine, no GPU), --split=ua, defaults:
  popularity  Recall@20 0.179  NDCG@20 0.165
  bpr_mf      Recall@20 0.330  NDCG@20 0.306   (25 s)
  lightgcn    Recall@20 0.352  NDCG@20 0.338   (43 s)
"""
import argparse
import json
import os
import resource
import time

import numpy as np

MODELS = ("popularity", "bpr_mf", "lightgcn")


def _data(data_dir: str, split: str, test_fraction: float, seed: int):
  """(graph of the training ratings, train pairs, test pairs): dense indices."""
  import tfgle  # pylint: disable=g-import-not-at-top
  if split == "ua":
    graph, info = tfgle.datasets.load_movielens(data_dir, ratings_file="ua.base", split="ua")
    dense = lambda r: (graph.to_index("user", r.users).numpy(),
                       graph.to_index("item", r.items).numpy())
    return graph, dense(info.train), dense(info.test)
  # Every rating of u.data, with its time, from the graph of all of them.
  full, info = tfgle.datasets.load_movielens(data_dir)
  rated = full.neighbors("rates", info.user_ids)
  edges = {"user": np.repeat(info.user_ids, rated.ids.row_lengths().numpy()),
           "item": rated.ids.flat_values.numpy(),
           "timestamp": rated.timestamps.flat_values.numpy()}
  parts = tfgle.data.split_edges(edges, method="temporal", src_column="user",
                                 dst_column="item", val_fraction=0.0,
                                 test_fraction=test_fraction, seed=seed)
  graph = (tfgle.Graph()
           .node({"id": info.user_ids}, node_type="user")
           .node({"id": info.item_ids}, node_type="item")
           .edge(parts.train, edge_type=("user", "item", "rates"), directed=False,
                 decoder=tfgle.Decoder(src_column="user", dst_column="item"))
           .build())
  dense = lambda t: (graph.to_index("user", t["user"]).numpy(),
                     graph.to_index("item", t["item"]).numpy())
  return graph, dense(parts.train), dense(parts.test)


def _model(name: str, graph, args):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tfgle.models import BPRMF, LightGCN  # pylint: disable=g-import-not-at-top
  tf.keras.utils.set_random_seed(args.seed)
  if name == "bpr_mf":
    return BPRMF.from_graph(graph, "rates", embedding_dim=args.dim, l2=args.l2)
  return LightGCN.from_graph(graph, "rates", embedding_dim=args.dim, l2=args.l2,
                             num_layers=args.layers)


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("data_dir")
  parser.add_argument("--split", choices=("ua", "temporal"), default="ua")
  parser.add_argument("--models", default=",".join(MODELS))
  parser.add_argument("--epochs", type=int, default=30)
  parser.add_argument("--dim", type=int, default=64)
  parser.add_argument("--layers", type=int, default=3)
  parser.add_argument("--lr", type=float, default=5e-3)
  parser.add_argument("--batch", type=int, default=2048)
  parser.add_argument("--l2", type=float, default=1e-4)
  parser.add_argument("--k", type=int, default=20)
  parser.add_argument("--test_fraction", type=float, default=0.1)
  parser.add_argument("--seed", type=int, default=0)
  args = parser.parse_args()
  models = args.models.split(",")
  unknown = sorted(set(models) - set(MODELS))
  if unknown:
    parser.error(f"--models: unknown {unknown}; choose among {list(MODELS)}")
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tfgle  # pylint: disable=g-import-not-at-top
  from tfgle.models import bpr_dataset  # pylint: disable=g-import-not-at-top

  graph, train, test = _data(args.data_dir, args.split, args.test_fraction, args.seed)
  num_users, num_items = graph.num_nodes("user"), graph.num_nodes("item")
  for name in models:
    fit_seconds = 0.0
    if name == "popularity":
      counts = tf.constant(np.bincount(train[1], minlength=num_items), tf.float32)
      scores = dict(score_fn=lambda u, i: tf.broadcast_to(
          tf.gather(counts, i)[tf.newaxis], [tf.shape(u)[0], tf.shape(i)[0]]),
                    num_users=num_users, num_items=num_items)
    else:
      model = _model(name, graph, args)
      model.compile(optimizer=tf.keras.optimizers.Adam(args.lr))
      start = time.perf_counter()
      model.fit(bpr_dataset(graph, "rates", batch_size=args.batch, seed=args.seed + 1),
                epochs=args.epochs, verbose=0)
      fit_seconds = time.perf_counter() - start
      scores = dict(user_embeddings=model.embed_users(), item_embeddings=model.embed_items())
    start = time.perf_counter()
    metrics = tfgle.ranking.evaluate_ranking(train, test, ks=[args.k], **scores)
    print(json.dumps({
        "system": "tfgle", "workload": f"movielens_100k_{args.split}", "model": name,
        **metrics, "epochs": 0 if name == "popularity" else args.epochs,
        "fit_seconds": round(fit_seconds, 2),
        "eval_seconds": round(time.perf_counter() - start, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}),
          flush=True)


if __name__ == "__main__":
  main()
