"""Full-ranking evaluation: recommenders (Recall, NDCG, HitRate, MRR @K) and KG triples.

Knowledge-graph link prediction (`evaluate_triples`, the callback
`TripleRankingEvaluation`) ranks every entity as the head and as the tail of
each held-out triple, with the other known triples filtered out, and reports
MRR, mean rank and Hits@K; see evaluate_triples. The rest of this doc is
about recommenders.

For every user with held-out items, every item is scored, the user's training
items are masked out, and the top K of the rest are compared with the held-out
items (as LightGCN, NGCF and RecBole evaluate). `evaluate_ranking` does it as
a function; `RankingEvaluation` is a Keras callback that does it after every
epoch and writes the metrics into the epoch logs, where `EarlyStopping` and
`ModelCheckpoint(monitor=...)` find them.

Users and items are DENSE INDICES (0..num_users-1, 0..num_items-1: rows of
the embedding matrices, `graph.to_index`). Interactions are a pair (users,
items) of int arrays of equal length, or an int array [n, 2].

Metrics, for a user with held-out items H and top-K list T (binary relevance):
  recall@K   = |T ∩ H| / |H|
  ndcg@K     = sum_{j: T[j] in H} 1 / log2(j + 2) / sum_{j < min(K, |H|)} 1 / log2(j + 2)
  hit_rate@K = 1 if T ∩ H is not empty, else 0
  mrr@K      = 1 / (1 + j) of the first j with T[j] in H, 0 if none
each averaged over the users with at least one held-out item; users without
are skipped. Held-out pairs that are also training pairs are dropped (a masked
item cannot be recommended); duplicate pairs count once. Ties in scores are
broken by item index (the lower first).

Memory: users are scored in batches of `user_batch_size` against items in
chunks of `item_batch_size`; a chunk's top K merges into the batch's running
top K, so the peak memory is about 2 score blocks, 2 * 4 * user_batch_size *
item_batch_size bytes (128 MiB with the defaults 1024 x 16384), plus the
embeddings, whatever the number of users and items: 100k users x 100k items
is 98 user batches x 7 item chunks, never the 40 GB score matrix.

Example:
  metrics = tfgle.ranking.evaluate_ranking(
      (train_users, train_items), (test_users, test_items),
      user_embeddings=model.embed_users(), item_embeddings=model.embed_items(), ks=[10, 20])
  metrics["recall_at_20"], metrics["ndcg_at_20"]

  evaluation = tfgle.ranking.RankingEvaluation((train_users, train_items),
                                               (val_users, val_items), ks=[20])
  model.fit(ds, epochs=50, callbacks=[
      evaluation,  # before the callbacks that read its metrics
      tf.keras.callbacks.EarlyStopping("val_recall_at_20", mode="max", patience=5,
                                       restore_best_weights=True)])
"""
from __future__ import annotations

import typing

import numpy as np
import tensorflow as tf

from tfgle import metrics as _metrics
from tfgle.data import triples as _triples

METRICS = ("recall", "ndcg", "hit_rate", "mrr")

# (users, items) int arrays, or an int array [n, 2].
_Interactions = typing.Union[tuple, np.ndarray, tf.Tensor]
# f(users int64 [B], items int64 [C]) -> scores [B, C].
_ScoreFn = typing.Callable[[tf.Tensor, tf.Tensor], tf.Tensor]


def evaluate_ranking(train: _Interactions, heldout: _Interactions, *, user_embeddings=None,
                     item_embeddings=None, score_fn: typing.Optional[_ScoreFn] = None,
                     num_users: typing.Optional[int] = None,
                     num_items: typing.Optional[int] = None,
                     ks: typing.Union[int, typing.Sequence[int]] = (20,),
                     metrics: typing.Sequence[str] = METRICS, user_batch_size: int = 1024,
                     item_batch_size: int = 16384, prefix: str = "",
                     verbose: int = 0) -> dict[str, float]:
  """Full-ranking metrics @K of held-out items, training items masked (see the module doc).

  Scores come from embeddings (score = <user, item>) or from `score_fn`.

  Args:
    train: (users, items) training interactions, masked from every ranking.
    heldout: (users, items) interactions to find (validation or test).
    user_embeddings, item_embeddings: float [num_users, D] and [num_items, D].
    score_fn: instead of embeddings: f(users int64 [B], items int64 [C]) ->
      float scores [B, C] (needs num_users and num_items).
    num_users, num_items: with score_fn: the numbers of users and items.
    ks: the K (an int or a list of them).
    metrics: names among "recall", "ndcg", "hit_rate", "mrr".
    user_batch_size: users scored at once.
    item_batch_size: items scored at once (see the module doc for memory).
    prefix: prepended to every key (for example "val_").
    verbose: 1 shows a progress bar over the user batches.

  Returns:
    {f"{prefix}{metric}_at_{k}": mean over the users with held-out items}.

  Raises:
    ValueError: a bad argument (naming it), interactions out of range, or no
      user with held-out items.
    tf.errors.InvalidArgumentError: a score that is NaN or infinite.
  """
  ks = _check_ks(ks)
  metrics = _check_metrics(metrics)
  user_batch_size = _check_positive("user_batch_size", user_batch_size)
  item_batch_size = _check_positive("item_batch_size", item_batch_size)
  if not isinstance(prefix, str):
    raise ValueError(f"prefix must be a string, got {prefix!r}")
  scorer = _Scorer(user_embeddings, item_embeddings, score_fn, num_users, num_items)
  num_users, num_items = scorer.num_users, scorer.num_items
  train_users, train_items = _interactions("train", train, num_users, num_items)
  test_users, test_items = _interactions("heldout", heldout, num_users, num_items)

  train_keys = np.unique(train_users * num_items + train_items)
  test_keys = np.unique(test_users * num_items + test_items)
  test_keys = test_keys[~np.isin(test_keys, train_keys, assume_unique=True)]
  if not len(test_keys):
    raise ValueError("no user has held-out items (heldout is empty, or all its pairs are "
                     "training pairs)")
  # Both sorted by user, then item: rows of a CSR by user.
  train_splits = np.searchsorted(train_keys // num_items, np.arange(num_users + 1))
  eval_users, test_counts = np.unique(test_keys // num_items, return_counts=True)
  test_splits = np.concatenate([[0], np.cumsum(test_counts)])

  max_k = min(max(ks), num_items)
  sums = {(name, k): 0.0 for name in metrics for k in ks}
  progbar = tf.keras.utils.Progbar(len(eval_users), verbose=verbose, unit_name="user")
  for start in range(0, len(eval_users), user_batch_size):
    users = eval_users[start:start + user_batch_size]
    masked = _rows(train_keys, train_splits[users], train_splits[users + 1])
    top = scorer.top_k(users, masked // num_items, masked % num_items, max_k, item_batch_size)
    hits = np.isin(users[:, None] * num_items + top,
                   test_keys[test_splits[start]:test_splits[start + len(users)]])
    relevant = test_counts[start:start + len(users)]
    for k in ks:
      for name in metrics:
        sums[(name, k)] += float(np.sum(_per_user(name, hits[:, :k], relevant, k)))
    progbar.add(len(users))
  return {f"{prefix}{name}_at_{k}": sums[(name, k)] / len(eval_users)
          for k in ks for name in metrics}


def _per_user(name: str, hits: np.ndarray, relevant: np.ndarray, k: int) -> np.ndarray:
  """One metric of each user from its top-k hits [B, <=k] and held-out counts [B]."""
  if name == "recall":
    return hits.sum(axis=1) / relevant
  if name == "hit_rate":
    return hits.any(axis=1).astype(np.float64)
  if name == "mrr":
    first = np.argmax(hits, axis=1)
    return np.where(hits.any(axis=1), 1.0 / (first + 1), 0.0)
  discount = 1.0 / np.log2(np.arange(k) + 2.0)
  dcg = (hits * discount[:hits.shape[1]]).sum(axis=1)
  ideal = np.cumsum(discount)[np.minimum(relevant, k) - 1]
  return dcg / ideal


def _rows(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
  """values[starts[0]:ends[0]] ++ values[starts[1]:ends[1]] ++ ..."""
  lengths = ends - starts
  offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
  return values[np.repeat(starts, lengths) + offsets]


class _Scorer:
  """Scores user batches against item chunks; keeps each batch's top K."""

  def __init__(self, user_embeddings, item_embeddings, score_fn, num_users, num_items):
    embeddings = user_embeddings is not None or item_embeddings is not None
    if embeddings == (score_fn is not None):
      raise ValueError("give user_embeddings and item_embeddings, or score_fn (with num_users "
                       "and num_items), not both and not neither")
    if score_fn is not None:
      if not callable(score_fn):
        raise ValueError(f"score_fn must be callable, got {score_fn!r}")
      self.num_users = _check_positive("num_users", num_users)
      self.num_items = _check_positive("num_items", num_items)
      self._users = self._items = None
    else:
      if user_embeddings is None or item_embeddings is None:
        raise ValueError("give both user_embeddings and item_embeddings")
      self._users = _embeddings("user_embeddings", user_embeddings)
      self._items = _embeddings("item_embeddings", item_embeddings)
      if self._users.shape[1] != self._items.shape[1]:
        raise ValueError(f"user_embeddings and item_embeddings must have the same width, got "
                         f"{self._users.shape} and {self._items.shape}")
      for name, value, size in (("num_users", num_users, self._users.shape[0]),
                                ("num_items", num_items, self._items.shape[0])):
        if value is not None and value != size:
          raise ValueError(f"{name}={value!r} does not match the embeddings' {size} rows")
      self.num_users, self.num_items = int(self._users.shape[0]), int(self._items.shape[0])
    self._score_fn = score_fn

  def top_k(self, users: np.ndarray, masked_rows: np.ndarray, masked_items: np.ndarray,
            k: int, chunk: int) -> np.ndarray:
    """Item indices [B, k] of the best items of each user of `users`, masked pairs excluded.

    masked_rows are the users' ids; they become rows of the batch here.
    """
    rows = np.searchsorted(users, masked_rows)
    users_t = tf.constant(users, tf.int64)
    user_vectors = None if self._users is None else tf.gather(self._users, users_t)
    best_scores = best_items = None
    for begin in range(0, self.num_items, chunk):
      end = min(begin + chunk, self.num_items)
      if user_vectors is not None:
        scores = tf.matmul(user_vectors, self._items[begin:end], transpose_b=True)
      else:
        scores = self._call_score_fn(users_t, begin, end)
      inside = (masked_items >= begin) & (masked_items < end)
      indices = np.stack([rows[inside], masked_items[inside] - begin], axis=1)
      scores = tf.tensor_scatter_nd_update(
          scores, tf.constant(indices.reshape(-1, 2), tf.int64),
          tf.fill([len(indices)], tf.constant(-np.inf, scores.dtype)))
      values, items = tf.math.top_k(scores, k=min(k, end - begin))
      items = tf.cast(items, tf.int64) + begin
      if best_scores is not None:
        # Earlier chunks first: on ties top_k keeps them, the lower item indices.
        values = tf.concat([best_scores, values], axis=1)
        items = tf.concat([best_items, items], axis=1)
        values, positions = tf.math.top_k(values, k=min(k, values.shape[1]))
        items = tf.gather(items, positions, batch_dims=1)
      best_scores, best_items = values, items
    return best_items.numpy()

  def _call_score_fn(self, users: tf.Tensor, begin: int, end: int) -> tf.Tensor:
    scores = tf.convert_to_tensor(self._score_fn(users, tf.range(begin, end, dtype=tf.int64)))
    expected = [int(users.shape[0]), end - begin]
    if scores.shape.as_list() != expected or not scores.dtype.is_floating:
      raise ValueError(f"score_fn must return float scores of shape {expected} (users x "
                       f"items), got {scores.dtype.name} of shape {scores.shape}")
    tf.debugging.assert_all_finite(scores, "score_fn returned a NaN or infinite score")
    return scores


class _EvaluationCallback(tf.keras.callbacks.Callback):
  """Runs `evaluate()` after every epoch and adds its metrics to the epoch logs."""

  def __init__(self, verbose: int):
    super().__init__()
    self._verbose = verbose
    self.history: list[dict[str, float]] = []

  def evaluate(self) -> dict[str, float]:
    raise NotImplementedError

  def on_epoch_end(self, epoch, logs=None):
    results = self.evaluate()
    self.history.append(results)
    if logs is not None:
      logs.update(results)
    if self._verbose:
      print(f"Epoch {epoch + 1}: " + ", ".join(f"{k}={v:.4f}" for k, v in results.items()))


class RankingEvaluation(_EvaluationCallback):
  """Evaluates full-ranking metrics on held-out interactions after every epoch.

  At the end of each epoch the model's user and item embeddings are ranked
  with `evaluate_ranking` and the metrics are added to the epoch logs as
  f"{prefix}{metric}_at_{k}" (for example "val_recall_at_20"). Keras passes
  one logs dict to the callbacks in list order: put this callback before
  `EarlyStopping`, `ModelCheckpoint` or `ReduceLROnPlateau` that monitor its
  metrics (with mode="max"); History, the progress bar and TensorBoard see
  them wherever they are.

  Example:
    model.fit(ds, epochs=100, callbacks=[
        tfgle.ranking.RankingEvaluation(train_pairs, val_pairs, ks=[20]),
        tf.keras.callbacks.EarlyStopping("val_recall_at_20", mode="max", patience=5),
        tf.keras.callbacks.ModelCheckpoint(path, monitor="val_ndcg_at_20", mode="max",
                                           save_best_only=True)])

  Args:
    train, heldout: as evaluate_ranking (dense indices).
    embed: f(model) -> (user_embeddings [U, D], item_embeddings [I, D]);
      default: (model.embed_users(), model.embed_items()).
    ks, metrics, user_batch_size, item_batch_size: as evaluate_ranking.
    prefix: of the logs' keys (default "val_").
    verbose: 1 prints the metrics of each epoch.

  Attributes:
    history: the metrics of each evaluated epoch, in order.
  """

  def __init__(self, train: _Interactions, heldout: _Interactions, *,
               embed: typing.Optional[typing.Callable] = None,
               ks: typing.Union[int, typing.Sequence[int]] = (20,),
               metrics: typing.Sequence[str] = METRICS, prefix: str = "val_",
               user_batch_size: int = 1024, item_batch_size: int = 16384, verbose: int = 0):
    super().__init__(verbose)
    if embed is not None and not callable(embed):
      raise ValueError(f"embed must be a callable model -> (user_embeddings, item_embeddings), "
                       f"got {embed!r}")
    if not isinstance(prefix, str):
      raise ValueError(f"prefix must be a string, got {prefix!r}")
    self._train, self._heldout = train, heldout
    self._embed = embed
    self._options = dict(ks=_check_ks(ks), metrics=_check_metrics(metrics), prefix=prefix,
                         user_batch_size=_check_positive("user_batch_size", user_batch_size),
                         item_batch_size=_check_positive("item_batch_size", item_batch_size))

  def evaluate(self) -> dict[str, float]:
    """The metrics of the model as it is now."""
    if self._embed is not None:
      embeddings = self._embed(self.model)
      if not isinstance(embeddings, (tuple, list)) or len(embeddings) != 2:
        raise ValueError(f"embed must return (user_embeddings, item_embeddings), got "
                         f"{type(embeddings).__name__}")
      users, items = embeddings
    elif hasattr(self.model, "embed_users") and hasattr(self.model, "embed_items"):
      users, items = self.model.embed_users(), self.model.embed_items()
    else:
      raise ValueError(f"{type(self.model).__name__} has no embed_users()/embed_items(): pass "
                       "RankingEvaluation(embed=lambda model: (user_embeddings, "
                       "item_embeddings))")
    return evaluate_ranking(self._train, self._heldout, user_embeddings=users,
                            item_embeddings=items, **self._options)



# ---------------------------------------------------------------- checks


def _check_ks(ks) -> list[int]:
  values = [ks] if isinstance(ks, (int, np.integer)) and not isinstance(ks, bool) else ks
  if (isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)) or not values or
      any(isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k <= 0 for k in values)):
    raise ValueError(f"ks must be a positive int or a non-empty list of them, got {ks!r}")
  return sorted({int(k) for k in values})


def _check_metrics(metrics) -> list[str]:
  if isinstance(metrics, str) or not isinstance(metrics, (list, tuple)) or not metrics or any(
      m not in METRICS for m in metrics):
    raise ValueError(f"metrics must be a non-empty list of names among {list(METRICS)}, got "
                     f"{metrics!r}")
  return list(dict.fromkeys(metrics))


def _check_positive(name: str, value) -> int:
  if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
    raise ValueError(f"{name} must be a positive int, got {value!r}")
  return int(value)


def _embeddings(name: str, value) -> tf.Tensor:
  value = tf.convert_to_tensor(value)
  if value.shape.rank != 2 or not value.dtype.is_floating:
    raise ValueError(f"{name} must be a float matrix [N, D], got {value.dtype.name} of shape "
                     f"{value.shape}")
  tf.debugging.assert_all_finite(value, f"{name} hold a NaN or infinite value")
  return tf.cast(value, tf.float32)


def _interactions(name: str, value, num_users: int, num_items: int):
  """(users, items) int64 arrays of interactions given as a pair or an [n, 2] array."""
  if isinstance(value, (tuple, list)) and len(value) == 2:
    users, items = (np.asarray(v) for v in value)
  else:
    array = np.asarray(value)
    if array.ndim != 2 or array.shape[1] != 2:
      raise ValueError(f"{name} must be a (users, items) pair of int arrays or an int array "
                       f"[n, 2], got {type(value).__name__} of shape {array.shape}")
    users, items = array[:, 0], array[:, 1]
  if users.ndim != 1 or users.shape != items.shape:
    raise ValueError(f"{name}: users and items must be 1-D arrays of one length, got shapes "
                     f"{users.shape} and {items.shape}")
  for what, ids, size in (("users", users, num_users), ("items", items, num_items)):
    if ids.size and ids.dtype.kind not in "iu":
      raise ValueError(f"{name}: {what} must be int dense indices, got dtype {ids.dtype}")
    bad = (ids < 0) | (ids >= size)
    if bad.any():
      raise ValueError(f"{name}: {what}[{int(np.argmax(bad))}] = {int(ids[np.argmax(bad)])} is "
                       f"not in [0, {size}) (dense indices, as graph.to_index gives)")
  return users.astype(np.int64), items.astype(np.int64)


# --------------------------------------------------- knowledge-graph triples

TRIPLE_SIDES = ("head", "tail")


def evaluate_triples(model, triples, *, filter_triples=None, ks=(1, 3, 10),
                     sides: typing.Sequence[str] = TRIPLE_SIDES, batch_size: int = 128,
                     entity_batch_size: int = 2048, prefix: str = "",
                     verbose: int = 0) -> dict[str, float]:
  """Filtered MRR, mean rank and Hits@K of knowledge-graph triples, ranking every entity.

  The link-prediction protocol of TransE and its successors: each triple
  (h, r, t) of `triples` is ranked twice, its tail against every entity as
  (h, r, ?) and its head as (?, r, t). In the filtered setting (given
  `filter_triples`, normally train + valid + test: `KnowledgeGraph.all_triples()`),
  candidates that form another known triple are left out of the ranking, so
  a model is not penalized for ranking a true answer first; `triples`
  themselves always count as known. Without filter_triples the ranking is
  raw (only the triple's own entity is left out). Ties count half
  (the "realistic" rank of PyKEEN): rank = 1 + #better + #equal / 2, so a
  model that scores every entity alike gets the rank of a random guess.

    mrr = mean 1 / rank,  mean_rank = mean rank,  hits_at_k = share of ranks <= k
  over every triple and side.

  Memory: queries are scored in batches of `batch_size` against entities in
  chunks of `entity_batch_size` (the model's score over a chunk may hold
  batch_size x entity_batch_size x width floats); a batch's scores of every
  entity, 4 * batch_size * num_entities bytes, are kept until it is ranked.

  Example:
    metrics = tfgle.ranking.evaluate_triples(model, kg.test, filter_triples=kg.all_triples())
    metrics["mrr"], metrics["hits_at_10"]

  Args:
    model: has `num_entities`, `score_tails(head [B], relation [B], entities
      [C]) -> [B, C]` and `score_heads(relation [B], tail [B], entities [C])
      -> [B, C]` (tfgle.models' TransE, DistMult, RotatE do).
    triples: int [n, 3] (head, relation, tail) dense indices to rank, n > 0.
    filter_triples: int [m, 3] known triples to filter out, or None (raw).
    ks: the K of hits_at_k (an int or a list of them).
    sides: which sides to replace: ("head", "tail"), ("tail",) or ("head",).
    batch_size: queries scored at once.
    entity_batch_size: candidate entities per score call.
    prefix: prepended to every key (for example "val_").
    verbose: 1 shows a progress bar over the query batches.

  Returns:
    {prefix + "mrr", prefix + "mean_rank", prefix + f"hits_at_{k}"}: floats.

  Raises:
    ValueError: a bad argument (naming it) or triples out of range.
    tf.errors.InvalidArgumentError: a score that is NaN or infinite.
  """
  ks = _check_ks(ks)
  batch_size = _check_positive("batch_size", batch_size)
  entity_batch_size = _check_positive("entity_batch_size", entity_batch_size)
  if not isinstance(prefix, str):
    raise ValueError(f"prefix must be a string, got {prefix!r}")
  if (isinstance(sides, str) or not isinstance(sides, (list, tuple)) or not sides or
      any(side not in TRIPLE_SIDES for side in sides)):
    raise ValueError(f"sides must be a non-empty list of {list(TRIPLE_SIDES)}, got {sides!r}")
  for method in ("score_heads", "score_tails"):
    if not callable(getattr(model, method, None)):
      raise ValueError(f"model must have score_heads(relation, tail, entities) and "
                       f"score_tails(head, relation, entities), as tfgle.models' KG models "
                       f"do; {type(model).__name__} has no {method}")
  num_entities = _check_positive("model.num_entities", getattr(model, "num_entities", None))
  # Relations are checked against the model's table when it has one.
  relation_limit = getattr(model, "num_relations", None) or np.iinfo(np.int64).max
  triples = _triples.check_triples("triples", triples, num_entities, relation_limit)
  if not len(triples):
    raise ValueError("triples must not be empty")
  known = None
  if filter_triples is not None:
    known = _triples.check_triples("filter_triples", filter_triples, num_entities,
                                   relation_limit)
    known = np.concatenate([known, triples])
  num_relations = int((triples if known is None else known)[:, 1].max()) + 1

  ranks = []
  total = len(triples) * len(dict.fromkeys(sides))
  progbar = tf.keras.utils.Progbar(total, verbose=verbose, unit_name="query")
  for side in dict.fromkeys(sides):
    # Queries of this side: (anchor entity, relation) -> the target entity.
    anchor_column, target_column = (0, 2) if side == "tail" else (2, 0)
    groups = triples[:, anchor_column] * num_relations + triples[:, 1]
    if known is not None:
      known_groups = known[:, anchor_column] * num_relations + known[:, 1]
      order = np.lexsort((known[:, target_column], known_groups))
      known_groups, known_targets = known_groups[order], known[order, target_column]
    for start in range(0, len(triples), batch_size):
      batch = triples[start:start + batch_size]
      rows = np.arange(len(batch))
      target = batch[:, target_column]
      if known is None:
        masked_rows, masked_entities = rows[:0], target[:0]
      else:
        group = groups[start:start + batch_size]
        begin = np.searchsorted(known_groups, group, side="left")
        end = np.searchsorted(known_groups, group, side="right")
        masked_rows = np.repeat(rows, end - begin)
        masked_entities = _rows(known_targets, begin, end)
      scores = _score_entities(model, side, batch, num_entities, entity_batch_size)
      ranks.append(_filtered_ranks(scores, target, masked_rows, masked_entities))
      progbar.add(len(batch))
  ranks = np.concatenate(ranks)
  metrics = {f"{prefix}mrr": float(np.mean(1.0 / ranks)),
             f"{prefix}mean_rank": float(np.mean(ranks))}
  for k in ks:
    metrics[f"{prefix}hits_at_{k}"] = float(np.mean(ranks <= k))
  return metrics


def _score_entities(model, side: str, batch: np.ndarray, num_entities: int,
                    chunk: int) -> tf.Tensor:
  """Scores [B, num_entities] of every entity in the `side` slot of each triple of `batch`."""
  head, relation, tail = (tf.constant(batch[:, i], tf.int64) for i in range(3))
  parts = []
  for begin in range(0, num_entities, chunk):
    entities = tf.range(begin, min(begin + chunk, num_entities), dtype=tf.int64)
    if side == "tail":
      scores = model.score_tails(head, relation, entities)
    else:
      scores = model.score_heads(relation, tail, entities)
    scores = tf.convert_to_tensor(scores)
    expected = [len(batch), int(entities.shape[0])]
    if scores.shape.as_list() != expected or not scores.dtype.is_floating:
      raise ValueError(f"model.score_{side}s must return float scores of shape {expected} "
                       f"(queries x entities), got {scores.dtype.name} of shape {scores.shape}")
    parts.append(tf.cast(scores, tf.float32))
  scores = tf.concat(parts, axis=1)
  tf.debugging.assert_all_finite(scores, f"model.score_{side}s returned a NaN or infinite score")
  return scores


def _filtered_ranks(scores: tf.Tensor, target: np.ndarray, masked_rows: np.ndarray,
                    masked_entities: np.ndarray) -> np.ndarray:
  """Ranks [B] (tfgle.metrics.ranks: ties count half) of each row's target among the
  entities that are not masked; a row's own target is never masked."""
  keep = masked_entities != target[masked_rows]
  indices = np.stack([masked_rows[keep], masked_entities[keep]], axis=1)
  scores = tf.tensor_scatter_nd_update(
      scores, tf.constant(indices.reshape(-1, 2), tf.int64),
      tf.fill([len(indices)], tf.constant(-np.inf, scores.dtype)))
  return _metrics.ranks(scores, target).numpy().astype(np.float64)


class TripleRankingEvaluation(_EvaluationCallback):
  """Evaluates filtered MRR and Hits@K of held-out triples after every epoch.

  Runs `evaluate_triples` on the model at the end of each epoch and adds the
  metrics to the epoch logs as f"{prefix}mrr", f"{prefix}hits_at_{k}" and
  f"{prefix}mean_rank"; put it before the callbacks that monitor them
  (EarlyStopping("val_mrr", mode="max"), ModelCheckpoint ...).

  Example:
    model.fit(ds, epochs=100, callbacks=[
        tfgle.ranking.TripleRankingEvaluation(kg.valid, filter_triples=kg.all_triples()),
        tf.keras.callbacks.EarlyStopping("val_mrr", mode="max", patience=5)])

  Args:
    triples, filter_triples, ks, sides, batch_size, entity_batch_size: as
      evaluate_triples.
    prefix: of the logs' keys (default "val_").
    verbose: 1 prints the metrics of each epoch.

  Attributes:
    history: the metrics of each evaluated epoch, in order.
  """

  def __init__(self, triples, *, filter_triples=None, ks=(1, 3, 10),
               sides: typing.Sequence[str] = TRIPLE_SIDES, batch_size: int = 128,
               entity_batch_size: int = 2048, prefix: str = "val_", verbose: int = 0):
    super().__init__(verbose)
    if not isinstance(prefix, str):
      raise ValueError(f"prefix must be a string, got {prefix!r}")
    self._triples = triples
    self._options = dict(filter_triples=filter_triples, ks=_check_ks(ks), sides=sides,
                         batch_size=_check_positive("batch_size", batch_size),
                         entity_batch_size=_check_positive("entity_batch_size",
                                                           entity_batch_size),
                         prefix=prefix)

  def evaluate(self) -> dict[str, float]:
    """The metrics of the model as it is now."""
    return evaluate_triples(self.model, self._triples, **self._options)

