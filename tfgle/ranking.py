"""Full-ranking evaluation of recommenders: Recall, NDCG, HitRate and MRR @K over all items.

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


class RankingEvaluation(tf.keras.callbacks.Callback):
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
    super().__init__()
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
    self._verbose = verbose
    self.history: list[dict[str, float]] = []

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

  def on_epoch_end(self, epoch, logs=None):
    results = self.evaluate()
    self.history.append(results)
    if logs is not None:
      logs.update(results)
    if self._verbose:
      print(f"Epoch {epoch + 1}: " + ", ".join(f"{k}={v:.4f}" for k, v in results.items()))


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
