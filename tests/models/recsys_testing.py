"""Helpers of the recommender tests: a user-item graph with planted clusters, popularity."""
import dataclasses

import numpy as np
import tensorflow as tf

import tfgle
from tfgle.models import bpr_dataset

NUM_USERS, NUM_ITEMS, NUM_CLUSTERS, PER_USER = 120, 80, 4, 12


@dataclasses.dataclass
class Planted:
  graph: tfgle.Graph      # built from the training edges only
  train: tuple            # (users, items) dense indices
  test: tuple


def planted(seed=0) -> Planted:
  """Users in 4 clusters rate 12 of their cluster's 20 items; items are popular at random.

  A quarter of each user's ratings is held out. Items of every cluster are
  equally likely, so popularity ranks across clusters; a model that finds the
  clusters ranks a user's own cluster first.
  """
  rng = np.random.default_rng(seed)
  user_cluster = np.arange(NUM_USERS) % NUM_CLUSTERS
  item_cluster = np.arange(NUM_ITEMS) % NUM_CLUSTERS
  appeal = rng.pareto(1.5, NUM_ITEMS) + 0.1
  users, items = [], []
  for u in range(NUM_USERS):
    pool = np.flatnonzero(item_cluster == user_cluster[u])
    p = appeal[pool] / appeal[pool].sum()
    users += [u] * PER_USER
    items += list(rng.choice(pool, PER_USER, replace=False, p=p))
  # External ids differ from the dense indices.
  edges = {"user": np.array(users) + 1000, "item": np.array(items) + 5000}
  split = tfgle.data.split_edges(edges, src_column="user", dst_column="item", val_fraction=0.0,
                                 test_fraction=0.25, seed=seed)
  graph = (tfgle.Graph()
           .node({"id": np.arange(NUM_USERS) + 1000}, node_type="user")
           .node({"id": np.arange(NUM_ITEMS) + 5000}, node_type="item")
           .edge(split.train, edge_type=("user", "item", "buys"), directed=False,
                 decoder=tfgle.Decoder(src_column="user", dst_column="item"))
           .build())
  dense = lambda table: (graph.to_index("user", table["user"]).numpy(),
                         graph.to_index("item", table["item"]).numpy())
  return Planted(graph, dense(split.train), dense(split.test))


def popularity_recall(data: Planted, k: int = 10) -> float:
  """Recall@k of ranking items by their number of training ratings."""
  counts = tf.constant(np.bincount(data.train[1], minlength=NUM_ITEMS), tf.float32)
  score_fn = lambda users, items: tf.broadcast_to(tf.gather(counts, items)[tf.newaxis],
                                                  [tf.shape(users)[0], tf.shape(items)[0]])
  return tfgle.ranking.evaluate_ranking(data.train, data.test, score_fn=score_fn,
                                        num_users=NUM_USERS, num_items=NUM_ITEMS,
                                        ks=[k])[f"recall_at_{k}"]


def fit_and_recall(model, data: Planted, k: int = 10, epochs: int = 4) -> float:
  """Recall@k on the test edges after `epochs` of BPR training."""
  model.compile(optimizer=tf.keras.optimizers.Adam(0.05))
  model.fit(bpr_dataset(data.graph, "buys", batch_size=256, num_negatives=4, seed=1),
            epochs=epochs, verbose=0)
  return tfgle.ranking.evaluate_ranking(
      data.train, data.test, user_embeddings=model.embed_users(),
      item_embeddings=model.embed_items(), ks=[k])[f"recall_at_{k}"]
