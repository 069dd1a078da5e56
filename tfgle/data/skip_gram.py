"""Skip-gram batches over random walks (DeepWalk, node2vec) as a tf.data pipeline.

The pipeline is stock tf.data plus tfgle's walk op, no Python per batch:
  seed traversal (each node once per pass, reshuffled)
  -> GSL random_walk: walks_per_batch walks of walk_length steps
  -> windows: every (target, context) pair at distance 1..window_size within a
     walk (both directions; with dynamic_window, distance d is kept with
     probability (window_size - d + 1) / window_size, as word2vec samples its
     window), shuffled within the walk batch
  -> num_negatives negatives per pair, drawn ∝ degree ** exponent (word2vec's
     unigram^0.75, the degree standing for the node's frequency in walks) or
     uniformly
  -> rebatched into batches of batch_size pairs.
Each iteration of the dataset is one epoch: walks_per_node passes over the
nodes, with fresh walks and negatives every epoch, deterministic given `seed`.

Example:
  ds = tfgle.data.skip_gram_dataset(graph, "cites", walk_length=40, window_size=5,
                                    walks_per_node=10, p=0.25, q=4.0, seed=1)
  model = tfgle.models.Node2Vec(graph.num_nodes("paper"), 128)
  model.compile(tf.keras.optimizers.Adam(0.01))
  model.fit(ds, epochs=2)
"""
from __future__ import annotations

import math
import numbers
from typing import Optional

import tensorflow as tf

from tfgle.graph.graph import as_sampler

NEGATIVES = ("degree", "uniform")


def skip_gram_dataset(graph, edge_types, *, walk_length: int = 80, window_size: int = 5,
                      num_negatives: int = 5, batch_size: int = 1024, walks_per_node: int = 10,
                      walks_per_batch: int = 4096, p: float = 1.0, q: float = 1.0,
                      dynamic_window: bool = True, negatives: str = "degree",
                      exponent: float = 0.75, seed: int = 0,
                      num_parallel_calls: Optional[int] = None, deterministic: bool = True,
                      shard: Optional[tuple] = None) -> tf.data.Dataset:
  """A tf.data.Dataset of skip-gram batches over random walks, one epoch per iteration.

  Args:
    graph: a built tfgle.Graph, or a tfgle.graph.Sampler of one.
    edge_types: the edge type to walk (its ends must have one node type), or a
      list of such edge types the walks cycle through.
    walk_length: steps per walk (> 0); a walk holds walk_length + 1 nodes.
    window_size: the largest distance between a target and its context (> 0).
    num_negatives: negatives per (target, context) pair (> 0).
    batch_size: pairs per batch (> 0); an epoch's last batch may be shorter.
    walks_per_node: walks started from every node per epoch (> 0).
    walks_per_batch: walks sampled per op call (> 0). Pairs are shuffled
      within the walks of one call, so larger batches mix batches better
      (SGD on pairs from few walks at a time learns worse embeddings).
    p, q: node2vec's return and in-out parameters (1, 1: DeepWalk).
    dynamic_window: sample each pair's window as word2vec does (closer
      contexts count more); False keeps every pair within window_size.
    negatives: "degree" (∝ in-degree ** exponent) or "uniform".
    exponent: the degree exponent of "degree" negatives (finite).
    seed: base seed of walks, windows and negatives (an int).
    num_parallel_calls, deterministic: walk batches sampled in parallel and
      whether their order is kept (see GSL values()).
    shard: (index, count): this worker's shard of the start nodes.

  Returns:
    A tf.data.Dataset of {"target": int64 [B], "context": int64 [B],
    "negatives": int64 [B, num_negatives]}, dense node indices of the walked
    node type (`graph.to_id` maps them back).

  Raises:
    ValueError: on a bad argument (naming it), an unknown edge type, edge
      types that leave one node type, or a graph without edges to walk.
  """
  sampler = as_sampler(graph)
  graph = sampler.graph
  for name, value in (("window_size", window_size), ("num_negatives", num_negatives),
                      ("batch_size", batch_size), ("walks_per_node", walks_per_node),
                      ("walks_per_batch", walks_per_batch)):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
      raise ValueError(f"{name} must be a positive int, got {value!r}")
  if negatives not in NEGATIVES:
    raise ValueError(f"negatives must be one of {NEGATIVES}, got {negatives!r}")
  if (not isinstance(exponent, numbers.Real) or isinstance(exponent, bool)
      or not math.isfinite(exponent)):
    raise ValueError(f"exponent must be a finite number, got {exponent!r}")
  if not isinstance(dynamic_window, bool):
    raise ValueError(f"dynamic_window must be True or False, got {dynamic_window!r}")
  if (not isinstance(seed, numbers.Integral) or isinstance(seed, bool)
      or not -2**63 <= seed < 2**63 - 1):
    raise ValueError(f"seed must be an int in [-2^63, 2^63 - 1), got {seed!r}")
  types = sampler.walk_path(edge_types, walk_length, p, q)
  node_type = types[0].src
  for et in types:
    if et.src != node_type or et.dst != node_type:
      raise ValueError(f"skip-gram walks embed one node type, but edge type {et.name!r} goes "
                       f"{et.src!r} -> {et.dst!r}")
  if window_size > walk_length:
    raise ValueError(f"window_size ({window_size}) must be at most walk_length "
                     f"({walk_length})")
  num_nodes = graph.num_nodes(node_type)
  cdf = None
  if negatives == "degree":
    cdf = _degree_cdf(graph, [t.name for t in types], num_nodes, float(exponent))

  walks = (sampler.V(node_type).batch(walks_per_batch).shuffle(traverse=True)
           .random_walk([t.name for t in types], walk_length, p=p, q=q).alias("walk")
           .values(features=False, seed=seed, num_parallel_calls=num_parallel_calls,
                   deterministic=deterministic, shard=shard))
  walks = walks.repeat(walks_per_node)
  # Seeds of the windows and negatives of each walk batch: fresh every epoch.
  keys = tf.data.Dataset.random(seed=seed + 1, rerandomize_each_iteration=True).batch(2)

  def pairs(element, key):
    walk = element["walk"]
    targets, contexts = _window_pairs(walk["index"], walk["mask"], window_size,
                                      dynamic_window, key)
    count = tf.shape(targets)[0]
    order = tf.random.experimental.stateless_shuffle(
        tf.range(count), seed=tf.random.experimental.stateless_fold_in(key, 1))
    targets, contexts = tf.gather(targets, order), tf.gather(contexts, order)
    shape = tf.stack([count, num_negatives])
    negative_key = tf.random.experimental.stateless_fold_in(key, 2)
    if cdf is None:
      drawn = tf.random.stateless_uniform(shape, seed=negative_key, maxval=num_nodes,
                                          dtype=tf.int64)
    else:
      u = tf.random.stateless_uniform([count * num_negatives], seed=negative_key,
                                      dtype=tf.float64)
      drawn = tf.reshape(tf.minimum(tf.searchsorted(cdf, u, side="right", out_type=tf.int64),
                                    num_nodes - 1), shape)
    return {"target": targets, "context": contexts, "negatives": drawn}

  return (tf.data.Dataset.zip((walks, keys))
          .map(pairs, num_parallel_calls=num_parallel_calls or tf.data.AUTOTUNE,
               deterministic=deterministic)
          .rebatch(batch_size)
          .prefetch(tf.data.AUTOTUNE))


def _window_pairs(index, mask, window_size: int, dynamic: bool, key):
  """(targets, contexts) of every pair of walk positions at distance 1..window_size."""
  targets, contexts = [], []
  if dynamic:
    # word2vec draws a window b in [1, window_size] per target: distance d is
    # kept when d <= b, so with probability (window_size - d + 1) / window_size.
    windows = tf.random.stateless_uniform(tf.shape(index), seed=key, minval=1,
                                          maxval=window_size + 1, dtype=tf.int32)
  for d in range(1, window_size + 1):
    valid = mask[:, :-d] & mask[:, d:]
    forward, backward = valid, valid
    if dynamic:  # each direction uses its own target's window
      forward = valid & (windows[:, :-d] >= d)
      backward = valid & (windows[:, d:] >= d)
    targets += [tf.boolean_mask(index[:, :-d], forward), tf.boolean_mask(index[:, d:], backward)]
    contexts += [tf.boolean_mask(index[:, d:], forward), tf.boolean_mask(index[:, :-d], backward)]
  return tf.concat(targets, 0), tf.concat(contexts, 0)


def _degree_cdf(graph, edge_types, num_nodes: int, exponent: float) -> tf.Tensor:
  """The cumulative distribution (float64 [N]) of nodes ∝ in-degree ** exponent."""
  with tf.init_scope():
    nodes = tf.range(num_nodes, dtype=tf.int64)
    degree = tf.add_n([tf.cast(graph.csr(name).degree(nodes, "in"), tf.float64)
                       for name in dict.fromkeys(edge_types)])
    weights = tf.where(degree > 0, tf.pow(degree, exponent), tf.zeros_like(degree))
    total = tf.reduce_sum(weights)
    if not float(total) > 0:
      raise ValueError(f"edge types {edge_types} have no edges: there is nothing to walk")
    return tf.cumsum(weights) / total
