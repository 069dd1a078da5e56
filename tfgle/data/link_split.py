"""Edge splits for link prediction: train / validation / test edge tables, and eval negatives.

`split_edges` cuts an edge table (a dict of arrays or a pyarrow Table, as
`tfgle.Graph.edge` takes) into training, validation and test tables, as PyG's
`RandomLinkSplit` does for its tensors:

- method="random": each source's edges (per_source=True) or all edges
  (per_source=False) in a random order; method="temporal": ordered by the
  timestamp column (ties by row), the latest edges held out, or (global)
  every edge from a cut-off time on.
- the training edges may be cut further into disjoint message-passing and
  supervision edges (`supervision_fraction`, PyG's `disjoint_train_ratio`);
- evaluation negatives: `num_negatives` (source, destination) pairs per
  validation/test edge, none of them an edge of the input table in any part.

Build the graph from the training edges only (`split.message`: the training
edges, less the supervision-only ones), so that nothing of the validation and
test edges can be sampled; evaluate on `split.val` / `split.test`.

Example:
  split = tfgle.data.split_edges(ratings, method="temporal", src_column="user",
                                 dst_column="item", val_fraction=0.1, test_fraction=0.1)
  graph = (tfgle.Graph().node(users, node_type="user").node(items, node_type="item")
           .edge(split.message, edge_type=("user", "item", "rates"), directed=False,
                 decoder=tfgle.Decoder(src_column="user", dst_column="item"))
           .build())

Sources with few edges (per_source=True): a source's held-out counts are
round(val_fraction * n) and round(test_fraction * n) of its n edges (halves
round up), lowered (validation first) so that at least one edge stays in
train; so a source with a single edge always stays in train, and a source with
fewer than 1 / (2 * fraction) edges holds none out. `min_source_edges` keeps
every edge of sources with fewer edges in train, in both modes: a source needs
training edges to be embedded by the graph at all.

Each row is one edge: a table that repeats a (source, destination) pair, or
lists both directions of an undirected edge, may put the copies in different
parts; deduplicate such tables first (and declare undirected edges once, with
`Graph.edge(..., directed=False)`).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np
import pyarrow as pa

METHODS = ("random", "temporal")
# Parts of the split, in the order of `EdgeSplit.rows`.
PARTS = ("train", "val", "test", "message", "supervision")
# Rejection rounds of negative sampling before the exact (slow) fallback.
_NEGATIVE_ROUNDS = 64

EdgeTable = Union[Mapping[str, Any], pa.Table]


@dataclasses.dataclass(frozen=True)
class EdgeSplit:
  """The parts of an edge table, each of the input's kind (dict of arrays or pyarrow Table).

  Attributes:
    train: every training edge (message ∪ supervision).
    val, test: the held-out edges.
    message: the training edges to build the graph from (message passing);
      `train` unless `supervision_fraction` > 0.
    supervision: the training edges to train on as targets; `train` unless
      `supervision_fraction` > 0, when it is disjoint from `message`.
    val_negatives, test_negatives: tables of the source and destination
      columns only: `num_negatives` rows per validation / test edge, in the
      edges' order (rows i*N..(i+1)*N-1 belong to edge i); None when
      num_negatives == 0.
    rows: part name ("train", "val", "test", "message", "supervision") ->
      sorted int64 row indices of the input table.
  """
  train: EdgeTable
  val: EdgeTable
  test: EdgeTable
  message: EdgeTable
  supervision: EdgeTable
  val_negatives: Optional[EdgeTable]
  test_negatives: Optional[EdgeTable]
  rows: Mapping[str, np.ndarray]


def split_edges(edges: EdgeTable, *, method: str = "random", per_source: bool = True,
                val_fraction: Optional[float] = None, test_fraction: Optional[float] = None,
                time_cutoffs: Optional[Sequence[Any]] = None, src_column: str = "src_id",
                dst_column: str = "dst_id", timestamp_column: str = "timestamp",
                min_source_edges: int = 1, supervision_fraction: float = 0.0,
                num_negatives: int = 0, dst_ids=None, seed: int = 0) -> EdgeSplit:
  """Splits an edge table into train / validation / test tables (see the module doc).

  Deterministic: the same table and arguments give the same split.

  Args:
    edges: a dict of equal-length columns (numpy arrays, lists, ragged
      columns) or a pyarrow Table; every column is split along.
    method: "random" or "temporal" (by `timestamp_column`).
    per_source: hold out a share of each source's edges (True), or of all
      edges at once (False).
    val_fraction, test_fraction: shares of edges held out, each in [0, 1),
      their sum < 1 (default 0.1 each; not with time_cutoffs).
    time_cutoffs: method="temporal", per_source=False only: (val_start,
      test_start) timestamps; edges at or after test_start are test, those
      at or after val_start (and before test_start) validation.
    src_column, dst_column: the endpoint columns.
    timestamp_column: method="temporal": the timestamp column (numbers or
      numpy datetimes).
    min_source_edges: every edge of a source with fewer edges stays in train.
    supervision_fraction: share of each source's (per_source) or of all
      training edges that become supervision-only edges, in [0, 1): cut
      like the held-out edges (random, or the latest ones), disjoint from the
      message-passing edges.
    num_negatives: evaluation negatives per validation/test edge (>= 0): its
      source with a destination drawn uniformly from `dst_ids` such that the
      pair is no edge of the input table (any part). Drawn with replacement.
    dst_ids: the candidate destinations of negatives (for example every id of
      the destination node table); default: the destinations of the table.
    seed: an int >= 0: the random order and the negatives.

  Returns:
    an EdgeSplit.

  Raises:
    ValueError: a bad argument (naming it), a missing column, columns of
      different lengths, a timestamp column that is not numeric or holds
      NaN, or a held-out edge whose source is joined to every candidate
      destination (no negative exists).
  """
  columns = _column_names(edges)
  num_rows = _num_rows(edges, columns)
  if method not in METHODS:
    raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
  if not isinstance(per_source, bool):
    raise ValueError(f"per_source must be a bool, got {per_source!r}")
  if time_cutoffs is not None:
    if method != "temporal" or per_source:
      raise ValueError(f"time_cutoffs apply to method='temporal' with per_source=False, got "
                       f"method={method!r}, per_source={per_source!r}")
    if val_fraction is not None or test_fraction is not None:
      raise ValueError(f"give time_cutoffs or val_fraction/test_fraction, not both (got "
                       f"val_fraction={val_fraction!r}, test_fraction={test_fraction!r})")
  val_fraction = _fraction("val_fraction", 0.1 if val_fraction is None else val_fraction)
  test_fraction = _fraction("test_fraction", 0.1 if test_fraction is None else test_fraction)
  if val_fraction + test_fraction >= 1:
    raise ValueError(f"val_fraction + test_fraction must be < 1 (training edges must remain), "
                     f"got {val_fraction!r} + {test_fraction!r}")
  supervision_fraction = _fraction("supervision_fraction", supervision_fraction)
  min_source_edges = _int_at_least("min_source_edges", min_source_edges, 1)
  num_negatives = _int_at_least("num_negatives", num_negatives, 0)
  seed = _int_at_least("seed", seed, 0)
  for name, column in (("src_column", src_column), ("dst_column", dst_column)):
    _check_column(name, column, columns)
  timestamps = None
  if method == "temporal":
    _check_column("timestamp_column", timestamp_column, columns)
    raw_timestamps = _column(edges, timestamp_column)
    timestamps = _timestamps(raw_timestamps, timestamp_column)

  rng = np.random.default_rng(seed)
  _, sources = np.unique(_column(edges, src_column), return_inverse=True)
  sources = sources.reshape(-1).astype(np.int64)
  groups = sources if per_source else np.zeros(num_rows, np.int64)
  key = timestamps if timestamps is not None else rng.permutation(num_rows)
  eligible = np.bincount(sources, minlength=1)[sources] >= min_source_edges
  candidates = np.flatnonzero(eligible)
  if time_cutoffs is not None:
    part = _cut_at(timestamps, candidates, time_cutoffs, timestamp_column,
                   datetimes=raw_timestamps.dtype.kind == "M")
  else:
    part = _cut(groups, key, candidates, val_fraction, test_fraction)
  parts = np.zeros(num_rows, np.int8)
  parts[candidates] = part
  rows = {"train": np.flatnonzero(parts == 0), "val": np.flatnonzero(parts == 1),
          "test": np.flatnonzero(parts == 2)}
  if supervision_fraction:
    if timestamps is None:
      key = rng.permutation(num_rows)
    supervised = _cut(groups, key, rows["train"], 0.0, supervision_fraction) == 2
    rows["message"] = rows["train"][~supervised]
    rows["supervision"] = rows["train"][supervised]
  else:
    rows["message"] = rows["supervision"] = rows["train"]
  rows = {name: rows[name].astype(np.int64) for name in PARTS}

  negatives = {"val": None, "test": None}
  if num_negatives:
    sampler = _NegativeSampler(_column(edges, src_column), _column(edges, dst_column), dst_ids,
                               src_column)
    for name in ("val", "test"):
      src, dst = sampler.sample(rows[name], num_negatives, rng)
      negatives[name] = _like(edges, {src_column: src, dst_column: dst})
  tables = {name: _take(edges, rows[name]) for name in ("train", "val", "test")}
  if supervision_fraction:
    tables["message"] = _take(edges, rows["message"])
    tables["supervision"] = _take(edges, rows["supervision"])
  else:
    tables["message"] = tables["supervision"] = tables["train"]
  return EdgeSplit(**tables, val_negatives=negatives["val"], test_negatives=negatives["test"],
                   rows=rows)


# ---------------------------------------------------------------- cutting


def _cut(groups: np.ndarray, key: np.ndarray, rows: np.ndarray, val_fraction: float,
         test_fraction: float) -> np.ndarray:
  """Part of each of `rows` (0 train, 1 val, 2 test), cut per group along `key`.

  Within a group of n rows ordered by (key, row), the last round(test_fraction
  * n) are test and the round(val_fraction * n) before them validation,
  lowered (validation first) so that one row stays in train.
  """
  part = np.zeros(len(rows), np.int8)
  if not len(rows):
    return part
  group = groups[rows]
  order = np.lexsort((rows, key[rows], group))
  _, starts, counts = np.unique(group[order], return_index=True, return_counts=True)
  n = np.repeat(counts, counts)
  position = np.arange(len(rows)) - np.repeat(starts, counts)
  n_test = np.floor(test_fraction * n + 0.5).astype(np.int64)
  n_val = np.floor(val_fraction * n + 0.5).astype(np.int64)
  excess = np.maximum(n_val + n_test - (n - 1), 0)
  val_cut = np.minimum(n_val, excess)
  n_val -= val_cut
  n_test -= excess - val_cut
  from_end = n - 1 - position
  part[order] = np.where(from_end < n_test, 2, np.where(from_end < n_test + n_val, 1, 0))
  return part


def _cut_at(timestamps: np.ndarray, rows: np.ndarray, time_cutoffs, name: str, *,
            datetimes: bool) -> np.ndarray:
  """Part of each of `rows` by the (val_start, test_start) cut-off times."""
  if isinstance(time_cutoffs, (str, bytes)) or not isinstance(time_cutoffs, Sequence) or len(
      time_cutoffs) != 2:
    raise ValueError(f"time_cutoffs must be a (val_start, test_start) pair of timestamps, got "
                     f"{time_cutoffs!r}")
  cutoffs = [np.asarray(t) for t in time_cutoffs]
  if any((t.dtype.kind == "M") != datetimes or t.dtype.kind not in "iufM" or t.ndim
         for t in cutoffs):
    raise ValueError(f"time_cutoffs must be two {'numpy datetimes' if datetimes else 'numbers'}"
                     f" as timestamp column {name!r} holds, got {time_cutoffs!r}")
  val_start, test_start = (_timestamps(t.reshape(1), "time_cutoffs")[0] for t in cutoffs)
  if val_start > test_start:
    raise ValueError(f"time_cutoffs must have val_start <= test_start, got {time_cutoffs!r}")
  t = timestamps[rows]
  return np.where(t >= test_start, 2, np.where(t >= val_start, 1, 0)).astype(np.int8)


# ---------------------------------------------------------------- negatives


class _NegativeSampler:
  """Draws destinations that form no input edge with a given source."""

  def __init__(self, src, dst, dst_ids, src_column: str):
    self._src = np.asarray(src)
    self._src_column = src_column
    self._candidates = np.unique(np.asarray(dst if dst_ids is None else dst_ids).reshape(-1))
    if not len(self._candidates):
      raise ValueError("dst_ids must hold at least one destination id for negatives, got none")
    self._src_vocab, src_codes = np.unique(self._src, return_inverse=True)
    self._src_codes = src_codes.reshape(-1).astype(np.int64)
    dst = np.asarray(dst)
    position = np.searchsorted(self._candidates, dst).clip(0, len(self._candidates) - 1)
    known = self._candidates[position] == dst
    self._true = np.unique(self._src_codes[known] * len(self._candidates) + position[known])
    # Distinct candidate destinations per source: a source with all of them has no negative.
    self._taken = np.bincount(self._true // len(self._candidates),
                              minlength=len(self._src_vocab))

  def sample(self, rows: np.ndarray, num: int, rng: np.random.Generator):
    """(sources, destinations) of `num` negatives per row (in row order)."""
    num_candidates = len(self._candidates)
    codes = np.repeat(self._src_codes[rows], num)
    full = self._taken[codes] >= num_candidates
    if full.any():
      source = self._src_vocab[codes[np.argmax(full)]]
      raise ValueError(f"no negative exists for the held-out edges of source {source!r} "
                       f"(column {self._src_column!r}): it has an edge to every one of the "
                       f"{num_candidates} candidate destinations (dst_ids)")
    picks = rng.integers(0, num_candidates, size=len(codes))
    pending = np.flatnonzero(self._is_true(codes, picks))
    for _ in range(_NEGATIVE_ROUNDS):
      if not len(pending):
        break
      picks[pending] = rng.integers(0, num_candidates, size=len(pending))
      pending = pending[self._is_true(codes[pending], picks[pending])]
    for i in pending:  # sources joined to almost every destination: draw from the rest
      taken = self._true[(self._true // num_candidates) == codes[i]] % num_candidates
      picks[i] = rng.choice(np.setdiff1d(np.arange(num_candidates), taken))
    return self._src[np.repeat(rows, num)], self._candidates[picks]

  def _is_true(self, codes: np.ndarray, picks: np.ndarray) -> np.ndarray:
    keys = codes * len(self._candidates) + picks
    position = np.searchsorted(self._true, keys).clip(0, max(len(self._true) - 1, 0))
    return self._true[position] == keys if len(self._true) else np.zeros(len(keys), bool)


# ---------------------------------------------------------------- tables


def _column_names(edges) -> list[str]:
  if isinstance(edges, pa.Table):
    return list(edges.column_names)
  if isinstance(edges, Mapping):
    return list(edges)
  raise ValueError(f"edges must be a dict of column arrays or a pyarrow Table, got "
                   f"{type(edges).__name__}")


def _num_rows(edges, columns) -> int:
  if isinstance(edges, pa.Table):
    return edges.num_rows
  lengths = {name: len(edges[name]) for name in columns}
  if len(set(lengths.values())) > 1:
    raise ValueError(f"the columns of edges must have equal lengths, got {lengths}")
  return next(iter(lengths.values()), 0)


def _check_column(argument: str, name: str, columns: list[str]):
  if name not in columns:
    raise ValueError(f"{argument}={name!r} is not a column of edges; it has {columns}")


def _column(edges, name: str) -> np.ndarray:
  if isinstance(edges, pa.Table):
    return edges.column(name).to_numpy()
  return np.asarray(edges[name])


def _take(edges, rows: np.ndarray):
  if isinstance(edges, pa.Table):
    return edges.take(pa.array(rows))
  return {name: _take_column(value, rows) for name, value in edges.items()}


def _take_column(value, rows: np.ndarray):
  if isinstance(value, np.ndarray):
    return value[rows]
  if hasattr(value, "take") and hasattr(value, "row_splits"):  # tables.RaggedColumn
    return value.take(rows)
  if hasattr(value, "flat_values") or hasattr(value, "dtype") and hasattr(value, "shape"):
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    return tf.gather(value, rows)
  if isinstance(value, (list, tuple)):
    return [value[i] for i in rows]
  return np.asarray(value)[rows]


def _like(edges, arrays: dict):
  return pa.table(arrays) if isinstance(edges, pa.Table) else arrays


# ---------------------------------------------------------------- checks


def _fraction(name: str, value) -> float:
  if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
    raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
  return float(value)


def _int_at_least(name: str, value, low: int) -> int:
  if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
    raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
  return int(value)


def _timestamps(values: np.ndarray, name: str) -> np.ndarray:
  values = np.asarray(values)
  if values.dtype.kind == "M":
    return values.astype("datetime64[ns]").astype(np.int64)
  if values.dtype.kind not in "iuf":
    raise ValueError(f"timestamp column {name!r} must hold numbers or numpy datetimes, got "
                     f"dtype {values.dtype}")
  if values.dtype.kind == "f" and np.isnan(values).any():
    raise ValueError(f"timestamp column {name!r} holds NaN at row "
                     f"{int(np.argmax(np.isnan(values)))}")
  return values
