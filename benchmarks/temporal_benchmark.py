"""Temporal link prediction on MovieLens-100K: EgoTGAT (time-bounded) against EgoGAT (static).

usage: python benchmarks/temporal_benchmark.py DATA_DIR [--models=ego_tgat,ego_gat,popularity]
           [--epochs=1] [--steps_per_epoch=0] [--fanouts=10,5] [--dim=32] [--heads=2]
           [--negatives=4] [--batch=256] [--lr=0.003] [--k=20] [--test_fraction=0.1] [--seed=0]

DATA_DIR is a MovieLens-100K directory (tfgle.datasets.load_movielens). The
split is chronological: each user's latest --test_fraction of ratings are the
test set (tfgle.data.split_edges(method="temporal"), as recsys_benchmark.py
--split=temporal), and the graph holds the training ratings only, with their
timestamps. Users and items are one node type "node" (items' ids shifted by
ITEM_OFFSET; a categorical "kind" and an id embedding per node), with edge
types "rates" (user -> item) and "rated_by" (item -> user), so that one zoo
model embeds both ends of a link batch (2 hops: user -> items -> users,
item -> users -> items).

  ego_tgat: EgoTGAT on time-bounded batches: every training edge's EgoGraphs
    (user, item, negatives) hold only ratings older than it, the latest
    first (link_ego_graph_dataset(before="edge", strategy="topk",
    time_deltas=True)); at evaluation a user is embedded at the time of its
    first held-out rating (ego_graph_dataset(before=<one time per user>)),
    an item at the time after the last training rating.
  ego_gat: EgoGAT on static batches (uniform neighbors, no time: the
    training edge itself and later ratings can be sampled).
  popularity: items ranked by their number of training ratings.

Negatives are uniform over items (node weights: 1 for items, 0 for users).
Every item a user has not rated in training is ranked
(tfgle.ranking.evaluate_ranking); metrics after the last epoch. Prints one
JSON line per model: {"system", "workload", "model", "recall_at_K",
"ndcg_at_K", "epochs", "fit_seconds", "eval_seconds", "peak_rss_mb"}.

Measured 2026-12-03 (2 cores shared with other jobs, no GPU), defaults (one pass over the
90.0k training ratings, batch 256, [10, 5], 4 negatives; 3 min in all):
  ego_tgat    Recall@20 0.142  NDCG@20 0.110   (fit 109 s)
  ego_gat     Recall@20 0.094  NDCG@20 0.078   (fit 55 s)
  popularity  Recall@20 0.109  NDCG@20 0.090
"""
import argparse
import json
import os
import resource
import time

import numpy as np

MODELS = ("ego_tgat", "ego_gat", "popularity")
ITEM_OFFSET = 1_000_000  # item node ids: MovieLens item id + this


def _split(data_dir: str, test_fraction: float, seed: int):
  """(train, test) dicts of "user", "item", "t" columns: each user's latest ratings held out."""
  import tfgle  # pylint: disable=g-import-not-at-top
  full, info = tfgle.datasets.load_movielens(data_dir)
  rated = full.neighbors("rates", info.user_ids)
  ratings = {"user": np.repeat(info.user_ids, rated.ids.row_lengths().numpy()),
             "item": rated.ids.flat_values.numpy(), "t": rated.timestamps.flat_values.numpy()}
  parts = tfgle.data.split_edges(ratings, method="temporal", src_column="user",
                                 dst_column="item", timestamp_column="t", val_fraction=0.0,
                                 test_fraction=test_fraction, seed=seed)
  return info, parts.train, parts.test


def _graph(info, train):
  """One node type for users and items; "rates" and "rated_by" edges with their times."""
  import tfgle  # pylint: disable=g-import-not-at-top
  num_users, num_items = len(info.user_ids), len(info.item_ids)
  nodes = {"id": np.concatenate([info.user_ids, info.item_ids + ITEM_OFFSET]),
           "kind": np.array(["user"] * num_users + ["item"] * num_items, object),
           "w": np.concatenate([np.zeros(num_users), np.ones(num_items)]).astype(np.float32)}
  users, items = train["user"], train["item"] + ITEM_OFFSET
  timed = tfgle.Decoder(timestamp="t")
  return (tfgle.Graph()
          .node(nodes, node_type="node", decoder=tfgle.Decoder(
              weight="w", attrs={"kind": tfgle.CategoricalAttr()}))
          .edge({"src_id": users, "dst_id": items, "t": train["t"]},
                edge_type=("node", "node", "rates"), decoder=timed)
          .edge({"src_id": items, "dst_id": users, "t": train["t"]},
                edge_type=("node", "node", "rated_by"), decoder=timed)
          .build())


def _embed_all(model, graph, ids, meta_path, fanouts, sampling, batch_size=1024):
  """Embeddings [len(ids), D] of the nodes `ids`, in their order (`sampling`: the ego
  datasets' strategy and time arguments)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tfgle  # pylint: disable=g-import-not-at-top
  ds = tfgle.data.ego_graph_dataset(graph, ids, meta_path, fanouts, batch_size, label=False,
                                    shuffle=False, features=["kind"], **sampling)
  embed = tf.function(model.embed, input_signature=[ds.element_spec])
  return np.concatenate([embed(batch).numpy() for batch in ds])


def main():
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("data_dir")
  parser.add_argument("--models", default=",".join(MODELS))
  parser.add_argument("--epochs", type=int, default=1)
  parser.add_argument("--steps_per_epoch", type=int, default=0, help="0: one pass over edges")
  parser.add_argument("--fanouts", default="10,5")
  parser.add_argument("--dim", type=int, default=32)
  parser.add_argument("--heads", type=int, default=2)
  parser.add_argument("--negatives", type=int, default=4)
  parser.add_argument("--batch", type=int, default=256)
  parser.add_argument("--lr", type=float, default=3e-3)
  parser.add_argument("--k", type=int, default=20)
  parser.add_argument("--test_fraction", type=float, default=0.1)
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--verbose", type=int, default=0, help="Keras' fit verbosity")
  args = parser.parse_args()
  models = args.models.split(",")
  unknown = sorted(set(models) - set(MODELS))
  if unknown:
    parser.error(f"--models: unknown {unknown}; choose among {list(MODELS)}")
  fanouts = [int(f) for f in args.fanouts.split(",")]
  if len(fanouts) != 2:
    parser.error(f"--fanouts: two hops (user -> items -> users), got {args.fanouts!r}")
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tfgle  # pylint: disable=g-import-not-at-top
  from tfgle.models import EgoGAT, EgoTGAT  # pylint: disable=g-import-not-at-top

  info, train, test = _split(args.data_dir, args.test_fraction, args.seed)
  graph = _graph(info, train)
  # Ranking indices: users and items by their position in info's id lists.
  user_pos = lambda ids: np.searchsorted(info.user_ids, ids)  # ids are sorted
  item_pos = lambda ids: np.searchsorted(info.item_ids, ids)
  assert np.all(np.diff(info.user_ids) > 0) and np.all(np.diff(info.item_ids) > 0)
  known = (user_pos(train["user"]), item_pos(train["item"]))
  heldout = (user_pos(test["user"]), item_pos(test["item"]))
  # Query times: a user is embedded at its first held-out rating (its training ratings are all
  # older), an item after the last training rating.
  now = int(train["t"].max()) + 1
  user_times = np.full(len(info.user_ids), now, np.int64)
  np.minimum.at(user_times, heldout[0], test["t"])
  paths = {"user": ["rates", "rated_by"], "item": ["rated_by", "rates"]}

  for name in models:
    fit_seconds, epochs = 0.0, args.epochs
    if name == "popularity":
      epochs = 0
      counts = tf.constant(np.bincount(known[1], minlength=len(info.item_ids)), tf.float32)
      scores = dict(score_fn=lambda u, i: tf.broadcast_to(
          tf.gather(counts, i)[tf.newaxis], [tf.shape(u)[0], tf.shape(i)[0]]),
                    num_users=len(info.user_ids), num_items=len(info.item_ids))
    else:
      tf.keras.utils.set_random_seed(args.seed)
      common = dict(id_embedding_dim=args.dim, embedding_dim=8, heads=args.heads,
                    activation="elu")
      if name == "ego_tgat":
        model = EgoTGAT.from_graph(graph, "node", hidden_dims=[args.dim] * 2, **common)
        sampling = dict(before="edge", strategy="topk", time_deltas=True)
        user_sampling, item_sampling = (dict(sampling, before=times)
                                        for times in (user_times, now))
      else:  # heads * width = the same embedding width
        model = EgoGAT.from_graph(graph, "node", hidden_dims=[args.dim // args.heads] * 2,
                                  **common)
        sampling = user_sampling = item_sampling = dict(strategy="random")
      model.compile(tf.keras.optimizers.Adam(args.lr))
      data = tfgle.data.link_ego_graph_dataset(
          graph, "rates", paths["user"], paths["item"], fanouts, args.batch,
          num_negatives=args.negatives, neg_strategy="node_weight", features=["kind"],
          seed=args.seed, shuffle="random" if args.steps_per_epoch else True, **sampling)
      start = time.perf_counter()
      model.fit(data, epochs=epochs, steps_per_epoch=args.steps_per_epoch or None,
                verbose=args.verbose)
      fit_seconds = time.perf_counter() - start
      scores = {
          "user_embeddings": _embed_all(model, graph, info.user_ids, paths["user"], fanouts,
                                        user_sampling),
          "item_embeddings": _embed_all(model, graph, info.item_ids + ITEM_OFFSET,
                                        paths["item"], fanouts, item_sampling)}
    start = time.perf_counter()
    metrics = tfgle.ranking.evaluate_ranking(known, heldout, ks=[args.k],
                                             metrics=("recall", "ndcg"), **scores)
    print(json.dumps({
        "system": "tfgle", "workload": "movielens_100k_temporal_link", "model": name,
        **{k: round(v, 4) for k, v in metrics.items()}, "epochs": epochs,
        "steps_per_epoch": args.steps_per_epoch or None, "fit_seconds": round(fit_seconds, 1),
        "eval_seconds": round(time.perf_counter() - start, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}),
          flush=True)


if __name__ == "__main__":
  main()
