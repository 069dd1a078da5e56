"""Batches of knowledge-graph triples with corrupted negatives, as a tf.data pipeline.

KG embedding models (TransE, DistMult, RotatE) learn to score true triples
(head, relation, tail) above corrupted ones: the same triple with its head or
its tail replaced by a random entity (Bordes et al. 2013). `triple_dataset`
streams the triples in a fresh random order every epoch and draws
`num_negatives` corruptions per triple, with stock TensorFlow ops only:
  - which side each negative corrupts: "both" (head or tail, evenly),
    "head", "tail", or "bernoulli" (Wang et al. 2014: the head with
    probability tph / (tph + hpt) of the triple's relation, where tph is the
    mean number of tails per head and hpt of heads per tail, so a 1-to-N
    relation corrupts its unique side more often and makes fewer false
    negatives);
  - with `filter_triples` (the training triples), a negative that is itself a
    known triple is drawn again, up to `max_tries` times; one still true
    after that is masked out (neg_mask False). Filtered negatives matter most
    for small or dense graphs; large KGs rarely draw a true triple.
Each iteration of the dataset is one epoch, deterministic given `seed`, with
a new order and new negatives every epoch.

Example:
  kg = tfgle.datasets.load_triples("FB15k-237", unknown="drop")
  ds = tfgle.data.triple_dataset(kg.train, num_entities=kg.num_entities, batch_size=1024,
                                 num_negatives=16, filter_triples=kg.train)
  model = tfgle.models.TransE(kg.num_entities, kg.num_relations, embedding_dim=100)
  model.compile(tf.keras.optimizers.Adam(1e-3))   # the loss is the model's
  model.fit(ds, epochs=100)
"""
from __future__ import annotations

import numbers
from typing import Optional

import numpy as np
import tensorflow as tf

CORRUPT = ("both", "head", "tail", "bernoulli")


def triple_dataset(triples, *, num_entities: int, num_relations: Optional[int] = None,
                   batch_size: int = 1024, num_negatives: int = 1, corrupt: str = "both",
                   filter_triples=None, max_tries: int = 8, shuffle: bool = True,
                   drop_remainder: bool = False, seed: int = 0) -> tf.data.Dataset:
  """A tf.data.Dataset of triple batches with corrupted negatives, one epoch per iteration.

  Args:
    triples: int [n, 3] (head, relation, tail) dense indices (as
      `KnowledgeGraph.train`), n > 0.
    num_entities: the number of entities; negatives are drawn from
      [0, num_entities).
    num_relations: the number of relations (default: the largest relation
      index of triples and filter_triples, plus one).
    batch_size: triples per batch (> 0).
    num_negatives: corruptions per triple (> 0).
    corrupt: "both", "head", "tail" or "bernoulli" (see the module doc).
    filter_triples: optional int [m, 3] known true triples (the training
      triples: never the valid or test ones, which training must not see);
      negatives among them are redrawn, then masked.
    max_tries: redraws of a negative that is a known triple (>= 0).
    shuffle: visit the triples in a new random order every epoch.
    drop_remainder: drop an epoch's last, smaller batch.
    seed: base seed of the order and the negatives (an int).

  Returns:
    A tf.data.Dataset of {"head", "relation", "tail": int64 [B], "neg": int64
    [B, N] entity indices, "neg_head": bool [B, N] (True: the negative
    replaces the head, else the tail), "neg_mask": bool [B, N] (False: a
    known triple that could not be redrawn)}.

  Raises:
    ValueError: a bad argument (naming it) or triples out of range.
  """
  for name, value, low in (("num_entities", num_entities, 1), ("batch_size", batch_size, 1),
                           ("num_negatives", num_negatives, 1), ("max_tries", max_tries, 0)):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
      raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
  if corrupt not in CORRUPT:
    raise ValueError(f"corrupt must be one of {list(CORRUPT)}, got {corrupt!r}")
  for name, value in (("shuffle", shuffle), ("drop_remainder", drop_remainder)):
    if not isinstance(value, bool):
      raise ValueError(f"{name} must be True or False, got {value!r}")
  if (not isinstance(seed, numbers.Integral) or isinstance(seed, bool)
      or not -2**63 <= seed < 2**63 - 1):
    raise ValueError(f"seed must be an int in [-2^63, 2^63 - 1), got {seed!r}")
  triples = _int_triples("triples", triples)
  if not len(triples):
    raise ValueError("triples must not be empty")
  known = None if filter_triples is None else _int_triples("filter_triples", filter_triples)
  if num_relations is None:
    num_relations = int(max(triples[:, 1].max(), -1 if known is None or not len(known)
                            else known[:, 1].max())) + 1
  if (not isinstance(num_relations, numbers.Integral) or isinstance(num_relations, bool)
      or num_relations < 1):
    raise ValueError(f"num_relations must be an int >= 1, got {num_relations!r}")
  num_entities, num_relations = int(num_entities), int(num_relations)
  triples = check_triples("triples", triples, num_entities, num_relations)
  if known is not None:
    known = check_triples("filter_triples", known, num_entities, num_relations)
  head_probability = _head_probability(triples, num_relations, corrupt)
  keys = None
  if known is not None:
    if num_entities * num_entities * num_relations >= 2**63:
      raise ValueError(f"{num_entities} entities x {num_relations} relations are too many to "
                       "filter negatives (the keys of triples overflow int64)")
    keys = tf.constant(np.unique(triple_keys(known, num_entities, num_relations)), tf.int64)

  data = tf.constant(triples, tf.int64)
  count = len(triples)
  epoch_keys = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)

  def epoch(key):
    order = tf.range(count, dtype=tf.int64)
    if shuffle:
      order = tf.random.experimental.stateless_shuffle(order, seed=key)
    batches = tf.data.Dataset.from_tensor_slices(order).batch(batch_size, drop_remainder)
    batch_keys = tf.data.Dataset.range(count).map(
        lambda i: tf.random.experimental.stateless_fold_in(key, i))
    return tf.data.Dataset.zip((batches, batch_keys))

  def corrupted(rows, key):
    batch = tf.gather(data, rows)
    head, relation, tail = batch[:, 0], batch[:, 1], batch[:, 2]
    shape = tf.stack([tf.shape(rows)[0], num_negatives])
    if corrupt == "head" or corrupt == "tail":
      neg_head = tf.fill(shape, corrupt == "head")
    else:
      p = tf.broadcast_to(tf.gather(head_probability, relation)[:, tf.newaxis], shape)
      neg_head = tf.random.stateless_uniform(shape, seed=_fold(key, 0), dtype=tf.float64) < p
    neg = _draw(shape, key, 1, num_entities)
    mask = tf.ones(shape, tf.bool)
    if keys is not None:
      def is_known(candidates):
        h = tf.where(neg_head, candidates, head[:, tf.newaxis])
        t = tf.where(neg_head, tail[:, tf.newaxis], candidates)
        key_of = (h * num_relations + relation[:, tf.newaxis]) * num_entities + t
        return _contains(keys, key_of)
      hit = is_known(neg)
      for attempt in range(max_tries):
        neg = tf.where(hit, _draw(shape, key, 2 + attempt, num_entities), neg)
        hit = is_known(neg)
      mask = tf.logical_not(hit)
    return {"head": head, "relation": relation, "tail": tail, "neg": neg,
            "neg_head": neg_head, "neg_mask": mask}

  return (epoch_keys.take(1).flat_map(epoch)
          .map(corrupted, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
          .prefetch(tf.data.AUTOTUNE))


def triple_keys(triples: np.ndarray, num_entities: int, num_relations: int) -> np.ndarray:
  """One int64 per triple, (head * num_relations + relation) * num_entities + tail."""
  triples = triples.astype(np.int64, copy=False)
  return (triples[:, 0] * num_relations + triples[:, 1]) * num_entities + triples[:, 2]


def _fold(key, i):
  return tf.random.experimental.stateless_fold_in(key, i)


def _draw(shape, key, i, num_entities):
  return tf.random.stateless_uniform(shape, seed=_fold(key, i), maxval=num_entities,
                                     dtype=tf.int64)


def _contains(sorted_keys: tf.Tensor, values: tf.Tensor) -> tf.Tensor:
  """Whether each of `values` (any shape) is in the sorted 1-D `sorted_keys`."""
  flat = tf.reshape(values, [-1])
  position = tf.searchsorted(sorted_keys, flat, out_type=tf.int64)
  found = tf.gather(sorted_keys, tf.minimum(position, tf.size(sorted_keys, tf.int64) - 1))
  inside = (position < tf.size(sorted_keys, tf.int64)) & tf.equal(found, flat)
  return tf.reshape(inside, tf.shape(values))


def _head_probability(triples: np.ndarray, num_relations: int, corrupt: str) -> tf.Tensor:
  """float64 [num_relations]: the chance that a negative of each relation corrupts its head."""
  if corrupt != "bernoulli":
    return tf.fill([num_relations], tf.constant(0.5, tf.float64))
  probability = np.full(num_relations, 0.5)
  for r in np.unique(triples[:, 1]):
    rows = triples[triples[:, 1] == r]
    tails_per_head = len(rows) / len(np.unique(rows[:, 0]))
    heads_per_tail = len(rows) / len(np.unique(rows[:, 2]))
    probability[r] = tails_per_head / (tails_per_head + heads_per_tail)
  return tf.constant(probability, tf.float64)


def check_triples(name: str, triples, num_entities: int, num_relations: int) -> np.ndarray:
  """`triples` as int64 [n, 3] dense indices in range; else a ValueError naming `name`."""
  array = _int_triples(name, triples)
  for column, what, size in ((0, "head", num_entities), (1, "relation", num_relations),
                             (2, "tail", num_entities)):
    bad = (array[:, column] < 0) | (array[:, column] >= size)
    if bad.any():
      row = int(np.argmax(bad))
      raise ValueError(f"{name}[{row}] has {what} {int(array[row, column])}, which is not in "
                       f"[0, {size})")
  return array


def _int_triples(name: str, value) -> np.ndarray:
  array = np.asarray(value)
  if array.size == 0 and array.ndim <= 2:
    array = array.reshape(0, 3).astype(np.int64)
  if array.ndim != 2 or array.shape[1] != 3 or array.dtype.kind not in "iu":
    raise ValueError(f"{name} must be an int array [n, 3] of (head, relation, tail) dense "
                     f"indices, got {array.dtype} of shape {array.shape}")
  return array.astype(np.int64, copy=False)
