"""GLE's conditional negatives over several attributes, with `batch_share` and `unique`.

A `NegativeCondition` asks that, of the `num` negatives of each row, a share
match the row's target (e.g. the positive edge's destination) on each of a
few categorical attributes, and that the rest come from a base distribution
(GLE's `where(target, condition={...})`). `sample_conditional` assembles such
rows from per-part draws (one `tfgle.ops.sample_negatives` call per
attribute, one for the rest) and enforces `batch_share` / `unique` by
redrawing; a `tfgle.graph.Sampler` supplies the draws
(`Sampler.sample_conditional_negatives`).

Layout of a row of `num` negatives: the first floor(num * p_1) columns share
attribute 1 with the target, the next floor(num * p_2) attribute 2, ...; the
remaining columns follow the base distribution. (GLE truncates the same way,
so a small `num` can leave an attribute with no column.) A negative counted
for one attribute may match the target on others too.

Example:
  cond = negative_condition({"genre": 0.5, "year": 0.25}, unique=True)
  cond.counts(8)   # (4, 2, 2): 4 share the genre, 2 the year, 2 drawn by the base strategy
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Callable, Optional

import numpy as np
import tensorflow as tf

from tfgle.ops.sampling import SampledNegatives, check_bool, int64_vector, seed_tensor

# Floating error allowed when proportions are multiplied out and summed (0.7 + 0.2 + 0.1).
_TOLERANCE = 1e-9

# draw(part, rows, count, seed) -> SampledNegatives [len(rows), count]: negatives of the batch
# rows `rows` (int64 positions), from attribute `part` (an index into the condition's
# attributes) or, for part None, from the base distribution.
Draw = Callable[[Optional[int], tf.Tensor, int, tf.Tensor], SampledNegatives]


@dataclasses.dataclass(frozen=True)
class NegativeCondition:
  """A validated condition (build it with `negative_condition`).

  attrs: the categorical attributes, in column order.
  proportions: the share of the negatives that match the target on each.
  batch_share: no negative of any row is a target of the batch.
  unique: no negative repeats within a row.
  """
  attrs: tuple[str, ...]
  proportions: tuple[float, ...]
  batch_share: bool = False
  unique: bool = False

  def counts(self, num: int) -> tuple[int, ...]:
    """Columns per attribute, then the base distribution's: floor(num * p) each, summing to num."""
    matched = [int(math.floor(num * p + _TOLERANCE)) for p in self.proportions]
    return tuple(matched) + (num - sum(matched),)

  def describe(self) -> str:
    options = "".join(f", {name}=True" for name in ("batch_share", "unique")
                      if getattr(self, name))
    return f"{dict(zip(self.attrs, self.proportions))!r}{options}"


def negative_condition(condition, *, batch_share: bool = False,
                       unique: bool = False) -> NegativeCondition:
  """Checks a condition and returns it as a NegativeCondition.

  Args:
    condition: an (ordered) mapping attribute name -> proportion, or a list of
      (name, proportion) pairs; may be empty (all negatives from the base
      distribution, e.g. only to ask for `unique`). Each proportion is in
      (0, 1]; they sum to at most 1.
    batch_share: GLE's batch_share: the exclusion set is shared by the
      batch: no row's negative is a target of any row of the batch, so every
      negative is a negative of every positive in it (in-batch losses).
    unique: no negative appears twice in a row.

  Returns:
    The NegativeCondition (a NegativeCondition passes through, with the
    options it holds: batch_share and unique must then be left False).

  Raises:
    ValueError: naming the bad entry: not a mapping or list of pairs, an
      empty or repeated attribute name, a proportion outside (0, 1], a sum
      above 1, or non-bool options.
  """
  check_bool(batch_share, "batch_share")
  check_bool(unique, "unique")
  if isinstance(condition, NegativeCondition):
    if batch_share or unique:
      raise ValueError("pass batch_share and unique inside the NegativeCondition "
                       f"{condition.describe()}, not beside it")
    return condition
  if isinstance(condition, Mapping):
    pairs = list(condition.items())
  elif isinstance(condition, (list, tuple)) and all(
      isinstance(p, (list, tuple)) and len(p) == 2 for p in condition):
    pairs = [tuple(p) for p in condition]
  else:
    raise ValueError("condition must be a mapping attribute name -> proportion (or a list of "
                     f"(name, proportion) pairs), got {condition!r}")
  attrs, proportions = [], []
  for attr, proportion in pairs:
    if not isinstance(attr, str) or not attr:
      raise ValueError(f"condition's attribute names must be non-empty strings, got {attr!r} "
                       f"in {condition!r}")
    if attr in attrs:
      raise ValueError(f"condition names attribute {attr!r} twice: {condition!r}")
    if (not isinstance(proportion, (int, float, np.integer, np.floating))
        or isinstance(proportion, (bool, np.bool_)) or not math.isfinite(proportion)
        or not 0 < proportion <= 1):
      raise ValueError(f"condition[{attr!r}] must be a proportion in (0, 1], got "
                       f"{proportion!r}")
    attrs.append(attr)
    proportions.append(float(proportion))
  if sum(proportions) > 1 + _TOLERANCE:
    raise ValueError(f"condition's proportions must sum to at most 1 (the rest follow the base "
                     f"strategy), got {sum(proportions):g} in {condition!r}")
  return NegativeCondition(tuple(attrs), tuple(proportions), batch_share, unique)


def sample_conditional(draw: Draw, num_rows, num: int, condition: NegativeCondition, *,
                       seed, max_trials: int, targets=None,
                       target_mask=None) -> SampledNegatives:
  """Rows of `num` negatives laid out by `condition`, from per-part draws.

  Every part (an attribute with at least one column, then the base
  distribution) is drawn once for all rows. With `batch_share` or `unique`,
  an entry that breaks them (a target of the batch; a repeat of an entry to
  its left in the row: the leftmost of equal entries stays, so attribute
  columns win over the base distribution's) is redrawn from its own part,
  for at most max_trials - 1 more rounds (only the rows that need it); still
  broken, it is given up (mask False, like an entry whose every candidate
  was a true neighbor). A redrawn entry stays in its part's columns, so the
  counts per attribute hold in every row. Deterministic in `seed`.

  Args:
    draw: draw(part, rows, count, seed), see `Draw`.
    num_rows: int (or int scalar tensor), the rows of the batch.
    num: negatives per row (> 0).
    condition: the NegativeCondition.
    seed: a Python int or an int64 tensor [2]; the first part's first draw
      uses it as is (one attribute with proportion 1 draws as the plain
      "conditional" strategy does), the other draws fold in their round and part.
    max_trials: rounds of draws for batch_share / unique (>= 1).
    targets: int [B] dense indices of the rows' targets (batch_share).
    target_mask: bool [B] or None: False leaves a row's target out of the
      batch's shared exclusion set (a padded target).

  Returns:
    SampledNegatives(ids [B, num], mask [B, num]).
  """
  seed = seed_tensor(seed)
  counts = condition.counts(num)
  parts = [(None if i == len(condition.attrs) else i, c) for i, c in enumerate(counts) if c]
  shared = _shared_targets(targets, target_mask) if condition.batch_share else None

  def draw_all(rows, round_index):
    ids, mask = [], []
    for j, (part, count) in enumerate(parts):
      tag = round_index * len(parts) + j
      part_seed = seed if isinstance(tag, int) and tag == 0 else (
          tf.random.experimental.stateless_fold_in(seed, tag))
      out = draw(part, rows, count, part_seed)
      ids.append(out.ids)
      mask.append(out.mask)
    return tf.concat(ids, 1), tf.concat(mask, 1)

  all_rows = tf.range(tf.cast(num_rows, tf.int64), dtype=tf.int64)
  ids, ok = draw_all(all_rows, 0)
  if not (condition.batch_share or condition.unique):
    return SampledNegatives(ids, ok)
  pending = _broken(ids, ok, shared, condition.unique)

  def more(t, unused_ids, unused_ok, pending):
    return tf.logical_and(t < max_trials, tf.reduce_any(pending))

  def redraw(t, ids, ok, pending):
    rows = tf.where(tf.reduce_any(pending, axis=1))[:, 0]
    new_ids, new_ok = draw_all(rows, t)
    shape = tf.shape(ids, out_type=tf.int64)
    new_ids = tf.scatter_nd(rows[:, tf.newaxis], new_ids, shape)
    new_ok = tf.scatter_nd(rows[:, tf.newaxis], tf.cast(new_ok, tf.int8), shape) > 0
    ids = tf.where(pending, new_ids, ids)
    ok = tf.where(pending, new_ok, ok)
    return t + 1, ids, ok, _broken(ids, ok, shared, condition.unique)

  _, ids, ok, pending = tf.while_loop(more, redraw, (tf.constant(1), ids, ok, pending))
  return SampledNegatives(ids, tf.logical_and(ok, tf.logical_not(pending)))


def _shared_targets(targets, target_mask) -> tf.Tensor:
  """The batch's targets, sorted, behind a -1 sentinel (never an accepted negative)."""
  if targets is None:
    raise ValueError("batch_share needs targets= (the dense indices of the rows' targets)")
  targets = int64_vector(targets, "targets")
  if target_mask is not None:
    targets = tf.boolean_mask(targets, tf.convert_to_tensor(target_mask, tf.bool))
  return tf.sort(tf.concat([tf.constant([-1], tf.int64), targets], 0))


def _broken(ids, ok, shared, unique) -> tf.Tensor:
  """bool [B, num]: accepted entries that break batch_share or unique (all but the leftmost
  of equal accepted entries of a row)."""
  broken = tf.zeros_like(ok)
  if shared is not None:
    flat = tf.reshape(ids, [-1])
    at = tf.minimum(tf.searchsorted(shared, flat), tf.size(shared, out_type=tf.int32) - 1)
    hit = tf.reshape(tf.gather(shared, at) == flat, tf.shape(ids))
    broken = ok & hit
  if unique:
    good = ok & ~broken
    position = tf.range(tf.shape(ids)[1])
    left = position[:, tf.newaxis] < position[tf.newaxis, :]  # left[i, j]: i is left of j
    # repeat[b, j]: a good entry left of entry j of row b equals it.
    same = ids[:, :, tf.newaxis] == ids[:, tf.newaxis, :]
    repeat = tf.reduce_any(same & left & good[:, :, tf.newaxis], axis=1)
    broken = broken | (good & repeat)
  return broken
