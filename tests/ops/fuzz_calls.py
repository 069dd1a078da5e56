"""The calls of the op fuzz (tests/ops/fuzz_harness.py): one generator per op.

A generator draws a VALID call of its op (every argument from the documented
domain), lists the FAULTS that must make it fail (one argument replaced by a
value the op must refuse), and gives a check that compares the call's outputs
with the oracle of tests/ops/fuzz_oracle.py. `Builder.finish` applies none, one
or two of the faults.
"""
import dataclasses
from typing import Callable, Optional

import numpy as np
import tensorflow as tf

from tests.ops import fuzz_oracle as oracle
from tests.ops.fuzz_fixtures import empty_i64, i64
import tfgle
from tfgle.ops import CsrTable, IdMapTable, NodeDistribution
from tfgle.ops._library import ops as raw

ALLOWED_ERRORS = (tf.errors.InvalidArgumentError, tf.errors.NotFoundError,
                  tf.errors.FailedPreconditionError, tf.errors.ResourceExhaustedError,
                  ValueError, TypeError)

RAW_OPS = sorted(name for name in dir(raw)
                 if name.startswith("tfgle_") and not name.endswith("_eager_fallback"))

# op name -> weight in the schedule (every op also gets a minimum number of calls).
PUBLIC_OPS = {
    "ops.sample_neighbors": 6, "ops.sample_fanouts": 5, "ops.sample_full_neighbors": 4,
    "ops.sample_negatives": 6, "NodeDistribution": 2, "CsrTable": 3, "IdMapTable": 2,
    "CsrTable.neighbors": 2, "CsrTable.degree": 2, "CsrTable.edges_at": 2,
    "CsrTable.fingerprint": 1, "IdMapTable.lookup": 2,
    "sampler.sample_neighbors": 4, "sampler.sample_fanouts": 3,
    "sampler.sample_full_neighbors": 3, "sampler.sample_negatives": 4, "sampler.edges_at": 1,
    "sampler.num_edge_positions": 1,
    "partitioned.sample_neighbors": 2, "partitioned.sample_fanouts": 2,
    "partitioned.sample_full_neighbors": 2, "partitioned.sample_negatives": 2,
    "partitioned.edges_at": 1,
    "CsrTable.append": 2, "CsrTable.remove_before": 1, "CsrTable.version": 1,
    "IdMapTable.append": 1, "ops.sample_random_walks": 3, "sampler.sample_random_walks": 2,
    "ops.gather_rows": 2,
}
RAW_WEIGHTS = {"raw.tfgle_sample_neighbors": 4, "raw.tfgle_sample_fanouts": 3,
               "raw.tfgle_sample_full_neighbors": 3, "raw.tfgle_sample_negatives": 4,
               "raw.tfgle_csr_init": 2, "raw.tfgle_csr_append": 2,
               "raw.tfgle_sample_random_walks": 2}
P_VALID = 0.6            # else one (or, one time in four, two) faults


def all_ops():
  ops = dict(PUBLIC_OPS)
  for name in RAW_OPS:
    ops[f"raw.{name}"] = RAW_WEIGHTS.get(f"raw.{name}", 1)
  return ops

# ---------------------------------------------------------------- arguments

def describe(value, fixtures=None, limit=160) -> str:
  """A short, readable repr of an argument (tables by fixture name)."""
  if fixtures is not None and id(value) in fixtures.names:
    return fixtures.names[id(value)]
  if isinstance(value, tf.Tensor) and value.dtype == tf.resource:
    text = "<resource handle>"
  elif isinstance(value, tf.Tensor):
    text = f"tf.{value.dtype.name}{value.shape.as_list()}:{value.numpy().tolist()}"
  elif isinstance(value, np.ndarray):
    text = f"np.{value.dtype.name}:{value.tolist()}"
  elif isinstance(value, (list, tuple)):
    text = "[" + ", ".join(describe(v, fixtures, limit) for v in value) + "]"
  else:
    text = repr(value)
  return text if len(text) <= limit else text[:limit] + "..."


def as_format(rng, values: np.ndarray, *, allow_list=True):
  """An int vector in one of the forms users pass: list, numpy or tensor, int64 or int32."""
  kind = int(rng.integers(5 if allow_list else 4))
  # (not np.abs: it overflows at INT64_MIN, which would pass as "small")
  small = values.size == 0 or ((values >= -2**31) & (values < 2**31)).all()
  if kind == 0:
    return tf.constant(values, tf.int64)
  if kind == 1:
    return values.astype(np.int64)
  if kind == 2 and small:
    return tf.constant(values.astype(np.int32))
  if kind == 3 and small:
    return values.astype(np.int32)
  return [int(v) for v in values] if allow_list else values.astype(np.int64)


def batch_size(rng) -> int:
  r = rng.random()
  if r < 0.08:
    return 0
  if r < 0.9:
    return int(rng.integers(1, 11))
  return int(rng.integers(11, 70))


def random_ids(rng, n: int, size: Optional[int] = None) -> np.ndarray:
  size = batch_size(rng) if size is None else size
  if n == 0:
    return np.zeros(0, np.int64)
  return rng.integers(0, n, size).astype(np.int64)


def random_seed(rng):
  kind = int(rng.integers(5))
  if kind == 0:
    return int(rng.choice([0, 1, -5, 2**63 - 1, -2**63, int(rng.integers(1 << 40))]))
  if kind == 1:
    return [int(v) for v in rng.integers(-2**62, 2**62, 2)]
  if kind == 2:
    return rng.integers(-2**62, 2**62, 2).astype(np.int64)
  if kind == 3:
    return tf.constant(rng.integers(-2**62, 2**62, 2), tf.int64)
  return np.int64(rng.integers(1 << 30))


def random_fanout(rng, big=False):
  value = int(rng.integers(1, 60 if big and rng.random() < 0.3 else 9))
  return np.int64(value) if rng.random() < 0.1 else value


def out_of_range(rng, n):
  return int(rng.choice([-1, n, n + 7, 2**40, 2**62, -2**63, 2**63 - 1]))


def raw_seed(rng):
  return tf.constant(rng.integers(-2**62, 2**62, 2), tf.int64)


# ---------------------------------------------------------------- calls

@dataclasses.dataclass
class Call:
  """One fuzz call: run() returns numpy outputs; check(outputs, checks) compares them."""
  op: str
  args: dict
  run: Callable
  check: Callable
  expect: str                  # "ok" or "error"
  faults: list
  repeat: bool = True          # run twice, same outputs (same seed)
  tags: tuple = ()             # the variants a valid call exercises (see `variant_tags`)


def variant_tags(kw) -> tuple:
  """Names of the variants that valid arguments `kw` exercise, counted by the fuzz."""
  tags = set()
  if kw.get("reverse"):
    tags.add("reverse")
  before = kw.get("before")
  if before is not None and np.size(before) > 0:
    tags.add("before")
  if kw.get("padding") == "circular":
    tags.add("circular")
  if kw.get("edge_ids") is False or kw.get("return_edge_ids") is False:
    tags.add("no_edge_ids")
  if kw.get("max_neighbors") not in (None, -1):
    tags.add("max_neighbors")
  for key in ("ids", "indices", "positions"):
    if key in kw and np.size(kw[key]) == 0:
      tags.add("empty_batch")
  strategies = kw.get("strategy", kw.get("strategies"))
  for strategy in [strategies] if isinstance(strategies, str) else (strategies or []):
    tags.add(f"strategy={strategy}")
  return tuple(sorted(tags))


class Builder:
  """Collects a call's arguments (valid ones, then faults) and their descriptions."""

  def __init__(self, rng, fixtures, op):
    self.rng, self.f, self.op = rng, fixtures, op
    self.kw = {}
    self.faults = []            # (argument, description, apply)
    self.applied = []

  def fault(self, key, what, apply):
    self.faults.append((key, what, apply))

  def choose(self, values):
    return values[int(self.rng.integers(len(values)))]

  def finish(self, run, check, repeat=True):
    """Applies 0, 1 or 2 faults on distinct arguments; returns the Call."""
    expect = "ok"
    tags = variant_tags(self.kw)
    if self.faults and self.rng.random() >= P_VALID:
      k = 2 if self.rng.random() < 0.25 else 1
      picks, used = [], set()
      for i in self.rng.permutation(len(self.faults)):
        key, what, apply = self.faults[i]
        if key in used:
          continue
        used.add(key)
        picks.append((key, what, apply))
        if len(picks) == k:
          break
      for key, what, apply in picks:
        apply()
        self.applied.append(f"{key}: {what}")
      expect = "error"
    args = {k: describe(v, self.f) for k, v in self.kw.items()}
    return Call(self.op, args, lambda: run(self.kw), check, expect, self.applied, repeat,
                tags if expect == "ok" else ())


def np_outputs(result):
  """Tensors (nested in tuples, lists, NamedTuples, ragged) as numpy, for comparing."""
  if isinstance(result, tf.RaggedTensor):
    return ("ragged", result.flat_values.numpy(), result.row_splits.numpy())
  if isinstance(result, tf.Tensor):
    return result.numpy()
  if isinstance(result, (list, tuple)):
    return tuple(np_outputs(r) for r in result)
  return result


def same_outputs(a, b) -> bool:
  if isinstance(a, tuple):
    return isinstance(b, tuple) and len(a) == len(b) and all(map(same_outputs, a, b))
  if isinstance(a, np.ndarray):
    return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b)
  return a == b


def ragged_rows(r):
  """("ragged", values, splits) -> list of rows."""
  _, values, splits = r
  return [values[splits[i]:splits[i + 1]].tolist() for i in range(len(splits) - 1)]


# ---- shared fault helpers

def ids_faults(b, key, n, ids_np, *, wrapper=True):
  """Faults of a dense-index vector argument `key` (valid values in [0, n))."""
  rng = b.rng

  def oor():
    bad = ids_np.copy() if len(ids_np) else np.zeros(1, np.int64)
    bad[int(rng.integers(len(bad)))] = out_of_range(rng, n)
    b.kw[key] = bad if wrapper else i64(bad)
  b.fault(key, "an index out of range", oor)

  def rank2():
    b.kw[key] = np.zeros((2, 2), np.int64) if wrapper else tf.zeros([2, 2], tf.int64)
  b.fault(key, "rank 2", rank2)

  def floats():
    b.kw[key] = np.zeros(3, np.float32) if wrapper else tf.zeros([3], tf.float32)
  b.fault(key, "floats", floats)
  if not wrapper:
    b.fault(key, "int32", lambda: b.kw.__setitem__(key, tf.zeros([2], tf.int32)))
    b.fault(key, "rank 0", lambda: b.kw.__setitem__(key, tf.constant(0, tf.int64)))


def seed_faults(b, key="seed", wrapper=True):
  if wrapper:
    b.fault(key, "None", lambda: b.kw.__setitem__(key, None))
    b.fault(key, "shape [3]", lambda: b.kw.__setitem__(key, [1, 2, 3]))
    b.fault(key, "floats", lambda: b.kw.__setitem__(key, np.array([1.0, 2.0])))
    b.fault(key, "2**64", lambda: b.kw.__setitem__(key, 2**64))
  else:
    b.fault(key, "shape [3]", lambda: b.kw.__setitem__(key, i64([1, 2, 3])))
    b.fault(key, "scalar", lambda: b.kw.__setitem__(key, tf.constant(1, tf.int64)))
    b.fault(key, "int32", lambda: b.kw.__setitem__(key, tf.constant([1, 2], tf.int32)))


def handle_faults(b, key):
  for name, handle in b.f.bad_handles.items():
    b.fault(key, f"handle {name}", lambda h=handle: b.kw.__setitem__(key, h))


def before_faults(b, num_ids, timed, wrapper=True):
  """Faults of `before` (the table is timed: `timed`)."""
  if timed:
    b.fault("before", "one time too many",
            lambda: b.kw.__setitem__("before", np.zeros(num_ids + 1, np.int64) if wrapper
                                     else i64(np.zeros(num_ids + 1))))
    if num_ids > 0 and wrapper:  # (the raw op reads an empty `before` as no filter)
      b.fault("before", "empty for a non-empty batch", lambda: b.kw.__setitem__("before", []))
    b.fault("before", "rank 2",
            lambda: b.kw.__setitem__("before", np.zeros((1, 1), np.int64) if wrapper
                                     else tf.zeros([1, 1], tf.int64)))
  elif wrapper or num_ids:
    b.fault("before", "on a table without timestamps", lambda: b.kw.__setitem__(
        "before", np.full(num_ids, 30) if wrapper else i64(np.full(num_ids, 30))))


def strategy_and_before_faults(b, table, num_ids, wrapper=True):
  """Faults of a neighbor sampler's `strategy` and `before` on `table` (a CsrOracle)."""
  if not table.weighted:
    b.fault("strategy", "edge_weight without weights",
            lambda: b.kw.__setitem__("strategy", "edge_weight"))
  before_faults(b, num_ids, table.timed, wrapper)


def random_before(rng, num_ids):
  """(argument, int64 [num_ids] per-id times)."""
  times = rng.integers(0, 55, num_ids).astype(np.int64)
  kind = int(rng.integers(4))
  if kind == 0:
    t = int(rng.integers(0, 55))
    return t, np.full(num_ids, t, np.int64)
  if kind == 1:
    return [int(x) for x in times] if num_ids else np.zeros(0, np.int64), times
  if kind == 2:
    return times, times
  return tf.constant(times, tf.int64), times


def sampling_table(b):
  name = b.choose(list(b.f.tables))
  return name, b.f.tables[name]


NEIGHBOR_STRATEGIES = ("random", "random_without_replacement", "edge_weight", "topk",
                       "in_degree")


def neighbor_strategy(b, table, local=True):
  allowed = [s for s in NEIGHBOR_STRATEGIES
             if (s != "edge_weight" or table.weighted) and (local or s != "in_degree")]
  return b.choose(allowed)


def raw_sampling_inputs(b, csr, table, ids, use_before):
  """Sets the table, ids, seed and before inputs of a raw sampling op, with their faults.

  Returns:
    int64 [B] the time bound of each id, or None.
  """
  before_np = random_before(b.rng, len(ids))[1] if use_before else None
  b.kw.update(table=csr.resource_handle, ids=i64(ids), seed=raw_seed(b.rng),
              before=empty_i64() if before_np is None else i64(before_np))
  ids_faults(b, "ids", table.num_src, ids, wrapper=False)
  seed_faults(b, wrapper=False)
  handle_faults(b, "table")
  return before_np


# ---- tfgle.ops.sample_neighbors / raw tfgle_sample_neighbors

def gen_sample_neighbors(b, raw_op=False):
  rng = b.rng
  name, (csr, table) = sampling_table(b)
  ids = random_ids(rng, table.num_src)
  fanout = random_fanout(rng, big=name == "hub")
  strategy = neighbor_strategy(b, table)
  padding = b.choose(["default", "circular"])
  default_id = int(rng.integers(-3, 30))
  edge_ids = bool(rng.random() < 0.7)
  use_before = table.timed and rng.random() < 0.5
  before_np = None
  if raw_op:
    before_np = raw_sampling_inputs(b, csr, table, ids, use_before)
    b.kw.update(fanout=int(fanout), strategy=strategy, padding=padding, default_id=default_id,
                return_edge_ids=edge_ids)
    b.fault("fanout", "0", lambda: b.kw.__setitem__("fanout", int(rng.choice([0, -3]))))
    b.fault("strategy", "unknown", lambda: b.kw.__setitem__("strategy", b.choose(
        ["full", "", "uniform", "topK"])))
    b.fault("padding", "unknown", lambda: b.kw.__setitem__("padding", "zeros"))
    if len(ids):
      b.fault("fanout", "B x fanout overflows", lambda: b.kw.__setitem__("fanout", 2**40))
    strategy_and_before_faults(b, table, len(ids), wrapper=False)

    def run(kw):
      return np_outputs(raw.tfgle_sample_neighbors(**kw))
  else:
    b.kw.update(csr=csr, ids=as_format(rng, ids), fanout=fanout, strategy=strategy,
                seed=random_seed(rng), padding=padding, default_id=default_id,
                edge_ids=edge_ids)
    if use_before:
      b.kw["before"], before_np = random_before(rng, len(ids))
    ids_faults(b, "ids", table.num_src, ids)
    seed_faults(b)
    b.fault("fanout", "not a positive int", lambda: b.kw.__setitem__(
        "fanout", b.choose([0, -1, 2.5, True, None, "3"])))
    b.fault("strategy", "unknown", lambda: b.kw.__setitem__("strategy", b.choose(
        ["full", "", "uniform", None])))
    b.fault("padding", "unknown", lambda: b.kw.__setitem__("padding", "zeros"))
    b.fault("default_id", "not an int", lambda: b.kw.__setitem__("default_id",
                                                                 b.choose([1.5, "a", None])))
    b.fault("edge_ids", "not a bool", lambda: b.kw.__setitem__("edge_ids", b.choose([1, "yes"])))
    if len(ids):
      b.fault("fanout", "B x fanout overflows", lambda: b.kw.__setitem__("fanout", 2**40))
    strategy_and_before_faults(b, table, len(ids))

    def run(kw):
      kw = dict(kw)
      out = tfgle.ops.sample_neighbors(kw.pop("csr"), kw.pop("ids"), kw.pop("fanout"), **kw)
      return np_outputs(out)

  def check(out, checks):
    nbrs, eids, mask = out
    k = int(fanout)
    eid_shape = (len(ids), k if edge_ids else 0) if raw_op else None
    oracle.check_shapes(checks, [nbrs, mask] + ([eids] if raw_op or edge_ids else []),
                        [(len(ids), k), (len(ids), k), eid_shape or (len(ids), k)])
    checks.check("dtype", nbrs.dtype == np.int64 and mask.dtype == bool,
                 f"{nbrs.dtype} {mask.dtype}")
    if not raw_op:
      checks.check("edge_ids_none", (eids is None) == (not edge_ids), "edge_ids=False -> None")
    if nbrs.shape != (len(ids), k):
      return
    oracle.check_sampled_rows(checks, table, ids, nbrs, eids if edge_ids else None, mask,
                              fanout=k, strategy=strategy, padding=padding,
                              default_id=default_id, before=before_np, what=name)
  return b.finish(run, check)


# ---- tfgle.ops.sample_fanouts / raw tfgle_sample_fanouts

def random_chain(b, hops, need_timed):
  f = b.f
  starts = [n for n in f.tables if (not need_timed or n in f.timed)]
  for _ in range(20):
    path = [b.choose(starts)]
    while len(path) < hops:
      nxt = [n for n in f.chainable[path[-1]] if not need_timed or n in f.timed]
      if not nxt:
        break
      path.append(b.choose(nxt))
    if len(path) == hops:
      return path
  return [b.choose(["ts_sorted", "ts_input"])] * hops


def gen_sample_fanouts(b, raw_op=False):
  rng = b.rng
  hops = int(rng.integers(1, 4))
  use_before = rng.random() < 0.4
  path = random_chain(b, hops, use_before)
  tables = [b.f.tables[n] for n in path]
  oracles = [t for _, t in tables]
  ids = random_ids(rng, oracles[0].num_src, int(rng.integers(0, 6)))
  fanouts = [int(rng.integers(1, 5)) for _ in range(hops)]
  strategies = [neighbor_strategy(b, t) for t in oracles]
  padding = b.choose(["default", "circular"])
  default_id = int(rng.integers(-3, 30))
  edge_ids = bool(rng.random() < 0.7)
  before_np = None
  all_timed = all(t.timed for t in oracles)
  if raw_op:
    b.kw.update(tables=[c.resource_handle for c, _ in tables], ids=i64(ids), seed=raw_seed(rng),
                before=empty_i64(), fanouts=fanouts, strategies=strategies, padding=padding,
                default_id=default_id, return_edge_ids=edge_ids)
    if use_before:
      _, before_np = random_before(rng, len(ids))
      b.kw["before"] = i64(before_np)
    ids_faults(b, "ids", oracles[0].num_src, ids, wrapper=False)
    seed_faults(b, wrapper=False)

    def bad_handle():
      name = b.choose(list(b.f.bad_handles))
      b.kw["tables"] = list(b.kw["tables"])
      b.kw["tables"][int(rng.integers(hops))] = b.f.bad_handles[name]
    b.fault("tables", "a bad handle", bad_handle)
    b.fault("fanouts", "one more than tables",
            lambda: b.kw.__setitem__("fanouts", fanouts + [2]))
    b.fault("strategies", "one fewer than tables",
            lambda: b.kw.__setitem__("strategies", strategies[:-1]))
    b.fault("fanouts", "a fanout <= 0", lambda: b.kw.__setitem__(
        "fanouts", fanouts[:-1] + [int(rng.choice([0, -2]))]))
    b.fault("strategies", "unknown", lambda: b.kw.__setitem__(
        "strategies", strategies[:-1] + ["uniform"]))
    b.fault("padding", "unknown", lambda: b.kw.__setitem__("padding", "x"))
    if len(ids):
      b.fault("fanouts", "the product overflows",
              lambda: b.kw.__setitem__("fanouts", [2**31] * hops if hops > 1 else [2**62]))
      before_faults(b, len(ids), all_timed, wrapper=False)

    def run(kw):
      n, e, m = raw.tfgle_sample_fanouts(**kw)
      return tuple(zip(np_outputs(n), np_outputs(e), np_outputs(m)))
  else:
    b.kw.update(tables=[c for c, _ in tables], ids=as_format(rng, ids), fanouts=fanouts,
                strategy=strategies if rng.random() < 0.6 or len(set(strategies)) > 1
                else strategies[0], seed=random_seed(rng), padding=padding,
                default_id=default_id, edge_ids=edge_ids)
    if use_before:
      b.kw["before"], before_np = random_before(rng, len(ids))
    ids_faults(b, "ids", oracles[0].num_src, ids)
    seed_faults(b)
    b.fault("fanouts", "empty", lambda: b.kw.update(fanouts=[], tables=[]))
    b.fault("fanouts", "one more than tables", lambda: b.kw.__setitem__("fanouts", fanouts + [2]))
    b.fault("fanouts", "a fanout <= 0", lambda: b.kw.__setitem__(
        "fanouts", fanouts[:-1] + [b.choose([0, -2, 1.5])]))
    b.fault("strategy", "a list of another length", lambda: b.kw.__setitem__(
        "strategy", strategies + ["random"]))
    b.fault("strategy", "unknown", lambda: b.kw.__setitem__("strategy", "full"))
    b.fault("padding", "unknown", lambda: b.kw.__setitem__("padding", "x"))
    b.fault("edge_ids", "not a bool", lambda: b.kw.__setitem__("edge_ids", "no"))
    b.fault("default_id", "not an int", lambda: b.kw.__setitem__("default_id", 0.5))
    if len(ids):
      b.fault("fanouts", "the product overflows",
              lambda: b.kw.__setitem__("fanouts", [2**31] * hops if hops > 1 else [2**62]))
    if not all_timed:
      b.fault("before", "a hop without timestamps",
              lambda: b.kw.__setitem__("before", 25))
    else:
      before_faults(b, len(ids), True)
    unweighted = [i for i, t in enumerate(oracles) if not t.weighted]
    if unweighted:
      b.fault("strategy", "edge_weight on a table without weights", lambda: b.kw.__setitem__(
          "strategy", ["edge_weight" if i == unweighted[0] else s
                       for i, s in enumerate(strategies)]))

    def run(kw):
      kw = dict(kw)
      hops_out = tfgle.ops.sample_fanouts(kw.pop("tables"), kw.pop("ids"), kw.pop("fanouts"),
                                          **kw)
      return tuple(np_outputs(tuple(h)) for h in hops_out)

  def check(out, checks):
    checks.check("shape", len(out) == hops, f"{len(out)} hops, expected {hops}")
    hop_arrays = []
    for nbrs, eids, mask in out:
      if raw_op and not edge_ids:
        checks.check("shape", eids.shape == (nbrs.shape[0], 0), f"edge_ids {eids.shape}")
      if not raw_op:
        checks.check("edge_ids_none", (eids is None) == (not edge_ids), "edge_ids")
      hop_arrays.append((nbrs, eids if edge_ids else None, mask))
    oracle.check_fanouts(checks, oracles, ids, hop_arrays, fanouts=fanouts,
                         strategies=strategies, padding=padding, default_id=default_id,
                         before=before_np, with_edge_ids=edge_ids)
    # Hop 0 samples exactly as sample_neighbors with the same seed.
    kw = dict(b.kw)
    one = raw.tfgle_sample_neighbors(
        tables[0][0].resource_handle, i64(ids),
        raw_seed_of(kw["seed"]), i64(before_np) if before_np is not None else empty_i64(),
        fanout=fanouts[0], strategy=strategies[0], padding=padding, default_id=default_id,
        return_edge_ids=edge_ids)
    first = np_outputs(one)
    checks.check("fanout_hop0", same_outputs(first, out[0] if raw_op or edge_ids else
                                             (out[0][0], first[1], out[0][2])),
                 "hop 0 differs from sample_neighbors with the same seed")
  return b.finish(run, check)


def raw_seed_of(seed):
  """The op's seed tensor of a wrapper's seed argument."""
  return tfgle.ops.sampling.seed_tensor(seed)


# ---- sample_full_neighbors

def gen_sample_full_neighbors(b, raw_op=False):
  rng = b.rng
  name, (csr, table) = sampling_table(b)
  ids = random_ids(rng, table.num_src)
  cap = None if rng.random() < 0.5 else int(rng.integers(0, 8))
  use_before = table.timed and rng.random() < 0.5
  before_np = None
  if raw_op:
    before_np = raw_sampling_inputs(b, csr, table, ids, use_before)
    b.kw["max_neighbors"] = -1 if cap is None else cap
    b.fault("max_neighbors", "< -1", lambda: b.kw.__setitem__("max_neighbors", -2))
    before_faults(b, len(ids), table.timed, wrapper=False)

    def run(kw):
      nbrs, eids, splits = raw.tfgle_sample_full_neighbors(**kw)
      return np_outputs((tf.RaggedTensor.from_row_splits(nbrs, splits),
                         tf.RaggedTensor.from_row_splits(eids, splits)))
  else:
    b.kw.update(csr=csr, ids=as_format(rng, ids), max_neighbors=cap)
    if cap is not None or rng.random() < 0.5:
      b.kw["seed"] = random_seed(rng)
    if use_before:
      b.kw["before"], before_np = random_before(rng, len(ids))
    ids_faults(b, "ids", table.num_src, ids)
    b.fault("max_neighbors", "negative or not an int", lambda: b.kw.__setitem__(
        "max_neighbors", b.choose([-1, -5, 2.0, "3"])))
    if cap is not None:
      b.fault("seed", "missing with max_neighbors", lambda: b.kw.pop("seed", None))
    b.fault("seed", "shape [3]", lambda: b.kw.__setitem__("seed", [1, 2, 3]))
    before_faults(b, len(ids), table.timed)

    def run(kw):
      kw = dict(kw)
      return np_outputs(tuple(tfgle.ops.sample_full_neighbors(kw.pop("csr"), kw.pop("ids"),
                                                              **kw)))

  def check(out, checks):
    nbr_rows, eid_rows = ragged_rows(out[0]), ragged_rows(out[1])
    checks.check("shape", np.array_equal(out[0][2], out[1][2]), "ids and edge_ids splits differ")
    oracle.check_full_neighbors(checks, table, ids, nbr_rows, eid_rows, max_neighbors=cap,
                                before=before_np)
  return b.finish(run, check)


# ---- sample_negatives

def negative_setup(b, table):
  """(strategy, distribution fixture name or None, DistributionOracle or None)."""
  strategy = b.choose(["random", "in_degree", "node_weight", "conditional"])
  if strategy == "random":
    return strategy, None, None
  if strategy == "in_degree":
    return strategy, None, oracle.in_degree_distribution(table)
  kind = "weighted" if strategy == "node_weight" else "categories"
  names = [n for n, v in b.f.dists.items() if v[1].num_nodes == table.num_dst and
           (v[1].weights is not None if kind == "weighted" else v[1].categories is not None)]
  if not names:
    return "random", None, None
  name = b.choose(names)
  return strategy, name, b.f.dists[name][1]


def gen_sample_negatives(b, raw_op=False):
  rng = b.rng
  name, (csr, table) = sampling_table(b)
  ids = random_ids(rng, table.num_src)
  num = int(rng.integers(1, 8))
  strategy, dist_name, dist_oracle = negative_setup(b, table)
  exponent = float(rng.uniform(-1.5, 1.5))
  max_trials = int(rng.choice([1, 2, 16, 40, 1024]))
  targets = rng.integers(0, 5, len(ids)) if strategy == "conditional" else None
  dist = None if dist_name is None else b.f.dists[dist_name][0]
  wrong_size = [d for n, (d, o) in b.f.dists.items() if o.num_nodes != table.num_dst and
                o.weights is not None and o.categories is not None]
  no_weights = [d for n, (d, o) in b.f.dists.items() if o.num_nodes == table.num_dst and
                o.weights is None]
  no_categories = [d for n, (d, o) in b.f.dists.items() if o.num_nodes == table.num_dst and
                   o.categories is None]
  if raw_op:
    b.kw.update(table=csr.resource_handle, ids=i64(ids), seed=raw_seed(rng),
                distribution=[] if dist is None else [dist.resource_handle],
                target_categories=empty_i64() if targets is None else i64(targets), num=num,
                strategy=strategy, exponent=exponent, max_trials=max_trials)
    ids_faults(b, "ids", table.num_src, ids, wrapper=False)
    seed_faults(b, wrapper=False)
    handle_faults(b, "table")
    b.fault("num", "<= 0", lambda: b.kw.__setitem__("num", int(rng.choice([0, -1]))))
    b.fault("strategy", "unknown", lambda: b.kw.__setitem__("strategy", "uniform"))
    b.fault("max_trials", "outside [1, 1024]", lambda: b.kw.__setitem__(
        "max_trials", int(rng.choice([0, 1025, -1]))))
    if strategy == "in_degree":
      b.fault("exponent", "not finite", lambda: b.kw.__setitem__(
          "exponent", float(b.choose([np.nan, np.inf, -np.inf]))))
    if len(ids):
      b.fault("num", "B x num overflows", lambda: b.kw.__setitem__("num", 2**62))
    if strategy in ("node_weight", "conditional"):
      b.fault("distribution", "missing", lambda: b.kw.__setitem__("distribution", []))
      b.fault("distribution", "a CSR handle", lambda: b.kw.__setitem__(
          "distribution", [csr.resource_handle]))
      if wrong_size:
        b.fault("distribution", "of another size", lambda: b.kw.__setitem__(
            "distribution", [b.choose(wrong_size).resource_handle]))
    if strategy == "node_weight" and no_weights:
      b.fault("distribution", "without weights", lambda: b.kw.__setitem__(
          "distribution", [b.choose(no_weights).resource_handle]))
    if strategy == "conditional":
      if no_categories:
        b.fault("distribution", "without categories", lambda: b.kw.__setitem__(
            "distribution", [b.choose(no_categories).resource_handle]))
      if len(ids):
        b.fault("target_categories", "empty", lambda: b.kw.__setitem__(
            "target_categories", empty_i64()))
        b.fault("target_categories", "one too many", lambda: b.kw.__setitem__(
            "target_categories", i64(np.zeros(len(ids) + 1))))

    def run(kw):
      return np_outputs(raw.tfgle_sample_negatives(**kw))
  else:
    b.kw.update(csr=csr, ids=as_format(rng, ids), num=num, strategy=strategy,
                seed=random_seed(rng), exponent=exponent, max_trials=max_trials)
    if dist is not None:
      b.kw["distribution"] = dist
    if targets is not None:
      b.kw["target_categories"] = as_format(rng, targets)
    ids_faults(b, "ids", table.num_src, ids)
    seed_faults(b)
    b.fault("num", "not a positive int", lambda: b.kw.__setitem__("num", b.choose([0, -1, 1.5])))
    b.fault("strategy", "unknown", lambda: b.kw.__setitem__("strategy", "uniform"))
    b.fault("max_trials", "outside [1, 1024]", lambda: b.kw.__setitem__(
        "max_trials", b.choose([0, 1025, 2.0])))
    b.fault("exponent", "not a finite number", lambda: b.kw.__setitem__(
        "exponent", b.choose([float("nan"), float("inf"), "x", None])))
    if strategy in ("node_weight", "conditional"):
      b.fault("distribution", "missing", lambda: b.kw.pop("distribution"))
      if wrong_size:
        b.fault("distribution", "of another size", lambda: b.kw.__setitem__(
            "distribution", b.choose(wrong_size)))
    if strategy == "node_weight" and no_weights:
      b.fault("distribution", "without weights", lambda: b.kw.__setitem__(
          "distribution", b.choose(no_weights)))
    if strategy == "conditional":
      if no_categories:
        b.fault("distribution", "without categories", lambda: b.kw.__setitem__(
            "distribution", b.choose(no_categories)))
      b.fault("target_categories", "missing", lambda: b.kw.pop("target_categories"))
      b.fault("target_categories", "floats", lambda: b.kw.__setitem__(
          "target_categories", np.zeros(len(ids), np.float32)))

    def run(kw):
      kw = dict(kw)
      return np_outputs(tuple(tfgle.ops.sample_negatives(kw.pop("csr"), kw.pop("ids"),
                                                         kw.pop("num"), **kw)))

  def check(out, checks):
    negatives, mask = out
    checks.check("dtype", negatives.dtype == np.int64 and mask.dtype == bool, "dtypes")
    oracle.check_negatives(checks, table, ids, negatives, mask, num=num,
                           distribution=dist_oracle, target_categories=targets)
  return b.finish(run, check)


# ---- tables: constructors and reads

def random_edge_list(rng):
  """Keyword arguments of a valid CsrTable (and what the oracle needs)."""
  symmetric = rng.random() < 0.25
  num_src = int(rng.integers(0, 12))
  num_dst = num_src if symmetric else int(rng.integers(0, 12))
  n = int(rng.integers(0, 40)) if num_src and num_dst else 0
  src = rng.integers(0, max(num_src, 1), n)
  dst = rng.integers(0, max(num_dst, 1), n)
  weights = None
  if rng.random() < 0.5:
    weights = rng.random(n).astype(np.float32)
    weights[rng.random(n) < 0.3] = rng.choice([0.0, -0.0, 1.0])
  timestamps = rng.integers(-5, 9, n) if rng.random() < 0.5 else None
  edge_ids = rng.integers(-3, 50, n) if rng.random() < 0.3 else None
  orders = ["input"] + (["weight"] if weights is not None else []) + (
      ["timestamp"] if timestamps is not None else [])
  order = orders[int(rng.integers(len(orders)))]
  return dict(src=src, dst=dst, num_src=num_src, num_dst=num_dst, edge_ids=edge_ids,
              weights=weights, timestamps=timestamps, symmetric=symmetric, order=order)


def check_table_against(checks, handle, table, what):
  """Reads a whole table back with the raw ops and compares it with its oracle."""
  info = [int(x) for x in raw.tfgle_csr_info(handle)]
  checks.check("csr_info", info == [table.num_src, table.num_dst, table.num_edges],
               lambda: f"{what}: info {info}, expected "
                       f"{[table.num_src, table.num_dst, table.num_edges]}")
  nbrs, eids, weights, times, splits = (x.numpy() for x in raw.tfgle_csr_neighbors(
      handle, tf.range(table.num_src, dtype=tf.int64)))
  checks.check("neighbors", np.array_equal(splits, table.indptr) and
               np.array_equal(nbrs, table.indices) and np.array_equal(eids, table.edge_ids),
               lambda: f"{what}: rows {splits.tolist()} {nbrs.tolist()} {eids.tolist()}, "
                       f"expected {table.indptr.tolist()} {table.indices.tolist()} "
                       f"{table.edge_ids.tolist()}")
  checks.check("neighbors", np.array_equal(weights, table.weights) and
               np.array_equal(times, table.timestamps),
               lambda: f"{what}: weights {weights.tolist()} timestamps {times.tolist()}, "
                       f"expected {table.weights.tolist()} {table.timestamps.tolist()}")
  degree = raw.tfgle_csr_degree(handle, tf.range(table.num_dst, dtype=tf.int64),
                                direction="in").numpy()
  checks.check("degree", np.array_equal(degree, table.in_degree),
               lambda: f"{what}: in-degrees {degree.tolist()}, expected "
                       f"{table.in_degree.tolist()}")
  fp = int(raw.tfgle_csr_fingerprint(handle))
  checks.check("fingerprint", fp == table.fingerprint(),
               lambda: f"{what}: fingerprint {fp}, oracle {table.fingerprint()}")


def csr_init_faults(b, spec, raw_op):
  rng = b.rng
  n = len(spec["src"])
  conv = (lambda v: v) if not raw_op else (lambda v: i64(v))

  def put(key, value):
    b.kw[key] = value

  if n:
    b.fault("src", "an index out of range", lambda: put("src", conv(np.where(
        np.arange(n) == rng.integers(n), out_of_range(rng, spec["num_src"]), spec["src"]))))
    b.fault("dst", "an index out of range", lambda: put("dst", conv(np.where(
        np.arange(n) == rng.integers(n), out_of_range(rng, spec["num_dst"]), spec["dst"]))))
  b.fault("dst", "another length", lambda: put("dst", conv(np.zeros(n + 1, np.int64))))
  b.fault("edge_ids", "another length", lambda: put("edge_ids", conv(np.arange(n + 2))))
  b.fault("num_src", "negative or too large", lambda: put(
      "num_src", int(b.choose([-1, -2**62, 2**40 + 1, 2**62, 2**63 - 1]))
      if not raw_op else i64(b.choose([-1, 2**40 + 1, 2**63 - 1]))[0]))
  if spec["num_src"] != spec["num_dst"] or rng.random() < 0.5:
    b.fault("symmetric", "with other source and destination node counts",
            lambda: b.kw.update(symmetric=True, num_dst=(spec["num_src"] + 1) if not raw_op
                                else i64(spec["num_src"] + 1)[0],
                                **({"order": b.kw.get("order", "input")})))
  if spec["weights"] is not None and n:
    def bad_weight():
      w = spec["weights"].copy()
      w[int(rng.integers(n))] = b.choose([-1.0, np.nan, np.inf, -np.inf, -1e-30])
      put("weights", w if not raw_op else tf.constant(w))
    b.fault("weights", "negative or not finite", bad_weight)
  b.fault("weights", "another length", lambda: put(
      "weights", np.ones(n + 1, np.float32) if not raw_op else tf.ones([n + 1])))
  b.fault("timestamps", "another length", lambda: put("timestamps", conv(np.zeros(n + 3))))
  if spec["weights"] is None:
    b.fault("order", "by weight without weights", lambda: put("order", "weight"))
  if spec["timestamps"] is None:
    b.fault("order", "by timestamp without timestamps", lambda: put("order", "timestamp"))
  b.fault("order", "unknown", lambda: put("order", "random"))
  if not raw_op:
    b.fault("src", "floats", lambda: put("src", np.zeros(n, np.float64)))
  else:
    b.fault("src", "rank 2", lambda: put("src", tf.zeros([n, 1], tf.int64)))
    b.fault("num_src", "a vector", lambda: put("num_src", i64([1, 2])))
    if n:
      b.fault("weighted", "weighted=true without weights", lambda: b.kw.update(
          weighted=True, weights=tf.zeros([0])))
      b.fault("timed", "timed=true without timestamps", lambda: b.kw.update(
          timed=True, timestamps=empty_i64()))


def gen_csr_table(b, raw_op=False):
  rng = b.rng
  spec = random_edge_list(rng)
  table = oracle.CsrOracle(**spec)
  if raw_op:
    b.kw.update(table="<a fresh handle>", src=i64(spec["src"]), dst=i64(spec["dst"]),
                edge_ids=i64(spec["edge_ids"]) if spec["edge_ids"] is not None else empty_i64(),
                weights=tf.constant(spec["weights"]) if spec["weights"] is not None
                else tf.zeros([0]),
                timestamps=i64(spec["timestamps"]) if spec["timestamps"] is not None
                else empty_i64(),
                num_src=i64(spec["num_src"])[0], num_dst=i64(spec["num_dst"])[0],
                symmetric=spec["symmetric"], order=spec["order"],
                weighted=spec["weights"] is not None, timed=spec["timestamps"] is not None)
    csr_init_faults(b, spec, True)

    def run(kw):
      h = raw.tfgle_csr_handle(shared_name=f"fuzz_csr_{rng.integers(1 << 60)}")
      kw = dict(kw, table=h)
      try:
        raw.tfgle_csr_init(**kw)
        return ("handle", h)
      except BaseException:
        tf.raw_ops.DestroyResourceOp(resource=h, ignore_lookup_error=True)
        raise

    def check(out, checks):
      h = out[1]
      check_table_against(checks, h, table, "raw csr_init")
      try:
        raw.tfgle_csr_init(**dict(b.kw, table=h))
        checks.check("init_once", False, "a second init of the same table was accepted")
      except tf.errors.FailedPreconditionError:
        checks.check("init_once", True)
      tf.raw_ops.DestroyResourceOp(resource=h, ignore_lookup_error=True)
    return b.finish(run, check, repeat=False)

  b.kw.update(spec)
  csr_init_faults(b, spec, False)

  def run(kw):
    kw = dict(kw)
    return ("table", CsrTable(kw.pop("src"), kw.pop("dst"), kw.pop("num_src"), kw.pop("num_dst"),
                              **kw))

  def check(out, checks):
    csr = out[1]
    checks.check("csr_info", [csr.num_src, csr.num_dst, csr.num_edges, csr.weighted, csr.timed]
                 == [table.num_src, table.num_dst, table.num_edges, table.weighted, table.timed],
                 "properties")
    check_table_against(checks, csr.resource_handle, table, "CsrTable")
    nbrs, eids, weights, times = csr.neighbors(np.arange(table.num_src))
    checks.check("neighbors", (weights is None) == (not table.weighted) and
                 (times is None) == (not table.timed), "weights/timestamps None-ness")
    checks.check("fingerprint", csr.fingerprint() == table.fingerprint(), "fingerprint")
  return b.finish(run, check, repeat=False)


def table_and_indices(b, csr, key, n, values, raw_op):
  """Sets a table argument (raw ops: its handle, with bad-handle faults) and an index vector
  argument `key` of values in [0, n), with its faults."""
  if raw_op:
    b.kw.update({"table": csr.resource_handle, key: i64(values)})
    handle_faults(b, "table")
  else:
    b.kw.update({"csr": csr, key: as_format(b.rng, values)})
  ids_faults(b, key, n, values, wrapper=not raw_op)


def fixture_table(b, allow_empty=True):
  names = [n for n in b.f.tables if allow_empty or b.f.tables[n][1].num_src > 0]
  name = b.choose(names)
  return name, b.f.tables[name]


def gen_table_read(b, which, raw_op=False):
  """CsrTable.neighbors / degree / edges_at / fingerprint and their raw ops."""
  rng = b.rng
  name, (csr, table) = fixture_table(b)
  handle = csr.resource_handle
  if not raw_op:
    b.fault("csr", "a destroyed table", lambda: b.kw.__setitem__("csr", b.f.destroyed_table))
  if which == "fingerprint":
    if raw_op:
      b.kw["table"] = handle
      handle_faults(b, "table")
      run = lambda kw: int(raw.tfgle_csr_fingerprint(**kw))
    else:
      b.kw["csr"] = csr
      run = lambda kw: kw["csr"].fingerprint()

    def check(out, checks):
      checks.check("fingerprint", out == table.fingerprint(),
                   lambda: f"{name}: {out} != oracle {table.fingerprint()}")
    return b.finish(run, check)

  if which == "info":
    b.kw["table"] = handle
    handle_faults(b, "table")

    def check(out, checks):
      checks.check("csr_info", list(out) == [table.num_src, table.num_dst, table.num_edges],
                   f"{name}: {out}")
    return b.finish(lambda kw: tuple(int(x) for x in raw.tfgle_csr_info(**kw)), check)

  if which == "degree":
    direction = b.choose(["out", "in"])
    n = table.num_src if direction == "out" else table.num_dst
    ids = random_ids(rng, n)
    shape = b.choose([None, None, "matrix", "scalar"]) if len(ids) else None
    arg = ids
    if shape == "matrix" and len(ids) % 2 == 0:
      arg = ids.reshape(2, -1)
    elif shape == "scalar":
      arg = ids[0]
    truth = (np.diff(table.indptr) if direction == "out" else table.in_degree)
    if raw_op:
      b.kw.update(table=handle, indices=tf.constant(np.asarray(arg, np.int64)),
                  direction=direction)
      handle_faults(b, "table")
      b.fault("direction", "unknown", lambda: b.kw.__setitem__("direction", "both"))
      run = lambda kw: np_outputs(raw.tfgle_csr_degree(**kw))
    else:
      b.kw.update(csr=csr, indices=as_format(rng, ids) if shape is None else arg,
                  direction=direction)
      b.fault("direction", "unknown", lambda: b.kw.__setitem__("direction", "both"))
      b.fault("indices", "floats", lambda: b.kw.__setitem__("indices", [0.5]))
      run = lambda kw: np_outputs(kw["csr"].degree(kw["indices"], kw["direction"]))

    def oor():
      bad = np.asarray(arg, np.int64).copy().reshape(-1)
      bad = bad if len(bad) else np.zeros(1, np.int64)
      bad[int(rng.integers(len(bad)))] = out_of_range(rng, n)
      b.kw["indices"] = tf.constant(bad) if raw_op else bad
    b.fault("indices", "an index out of range", oor)

    def check(out, checks):
      expected = truth[np.asarray(arg, np.int64)] if np.asarray(arg).size else np.zeros(
          np.asarray(arg).shape, np.int64)
      checks.check("degree", out.shape == np.asarray(arg).shape and
                   np.array_equal(out, expected),
                   lambda: f"{name} {direction}-degrees of {np.asarray(arg).tolist()}: "
                           f"{out.tolist()}, expected {expected.tolist()}")
    return b.finish(run, check)

  # neighbors(indices) / edges_at(positions): one index vector.
  key, n = ("indices", table.num_src) if which == "neighbors" else ("positions", table.num_edges)
  ids = positions = random_ids(rng, n)
  table_and_indices(b, csr, key, n, ids, raw_op)
  raw_op_fn = raw.tfgle_csr_neighbors if which == "neighbors" else raw.tfgle_csr_edges_at
  if raw_op:
    run = lambda kw: np_outputs(raw_op_fn(**kw))
  else:
    run = lambda kw: np_outputs(getattr(kw["csr"], which)(kw[key]))

  if which == "neighbors":
    def check(out, checks):
      rows = [table.row(v) for v in ids]
      pos = np.array([p for r in rows for p in r], np.int64)
      splits = np.concatenate([[0], np.cumsum([len(r) for r in rows])]).astype(np.int64)
      if raw_op:
        nbrs, e, w, t, s = out
        expect_w = table.weights[pos] if table.weighted else np.zeros(0)
        expect_t = table.timestamps[pos] if table.timed else np.zeros(0)
        ok = (np.array_equal(s, splits) and np.array_equal(nbrs, table.indices[pos]) and
              np.array_equal(e, table.edge_ids[pos]) and np.array_equal(w, expect_w) and
              np.array_equal(t, expect_t))
      else:
        got = out
        ok = (np.array_equal(got[0][2], splits) and np.array_equal(got[0][1], table.indices[pos])
              and np.array_equal(got[1][1], table.edge_ids[pos]) and
              (got[2] is None) == (not table.weighted) and (got[3] is None) == (not table.timed)
              and (got[2] is None or np.array_equal(got[2][1], table.weights[pos])) and
              (got[3] is None or np.array_equal(got[3][1], table.timestamps[pos])))
      checks.check("neighbors", ok, lambda: f"{name} neighbors of {ids.tolist()}: {out}")
    return b.finish(run, check)

  if which == "edges_at":
    def check(out, checks):
      src, dst, eids = out
      ok = (np.array_equal(src, table.row_of[positions]) and
            np.array_equal(dst, table.indices[positions]) and
            np.array_equal(eids, table.edge_ids[positions]))
      checks.check("edges_at", ok, lambda: f"{name} edges at {positions.tolist()}: {out}")
    return b.finish(run, check)
  raise ValueError(which)


def gen_table_memory(b):
  rng = b.rng
  if rng.random() < 0.6:
    name, (csr, table) = fixture_table(b)
    handle = csr.resource_handle
    low = 8 * (table.num_src + 1 + 2 * table.num_edges + table.num_dst)
  else:
    name = b.choose(list(b.f.id_maps))
    handle = b.f.id_maps[name][0].resource_handle
    low = 8 * len(b.f.id_maps[name][1])
  b.kw["table"] = handle
  for bad in ("never_created", "distribution_handle", "destroyed"):
    b.fault("table", bad, lambda h=b.f.bad_handles[bad]: b.kw.__setitem__("table", h))

  def check(out, checks):
    checks.check("table_memory", out >= low, f"{name}: {out} bytes < lower bound {low}")
  return b.finish(lambda kw: int(raw.tfgle_table_memory(**kw)), check)


def gen_gather_rows(b, raw_op=False):
  """tf.gather along axis 0: any row shape and index shape, indices in [0, rows)."""
  rng = b.rng
  dtype = b.choose([np.float32, np.float64, np.int64, np.int32, np.uint8, np.bool_])
  rows = int(rng.integers(0, 12))
  row_shape = [int(d) for d in rng.integers(0, 4, int(rng.integers(0, 3)))]
  params = (rng.random([rows] + row_shape) * 100).astype(dtype)
  index_shape = [int(d) for d in rng.integers(0, 5, int(rng.integers(0, 3)))]
  indices = rng.integers(0, max(rows, 1), index_shape) if rows else np.zeros([0], np.int64)
  b.kw["params"] = tf.constant(params)
  b.kw["indices"] = tf.constant(indices, tf.int64)
  expected = np.take(params, indices, axis=0)

  def bad_index(value):
    bad = np.append(indices.ravel(), value).astype(np.int64)
    b.kw["indices"] = tf.constant(bad, tf.int64)
  b.fault("indices", "an index == rows", lambda: bad_index(rows))
  b.fault("indices", "a negative index", lambda: bad_index(-1))
  b.fault("params", "a scalar", lambda: b.kw.__setitem__("params", tf.constant(1.0)))
  if not raw_op:
    b.fault("params", "strings", lambda: b.kw.__setitem__(
        "params", tf.fill([max(rows, 1)], "x")))

  def check(out, checks):
    out = np.asarray(out)
    checks.check("gather_rows", out.shape == expected.shape and np.array_equal(out, expected),
                 lambda: f"{out.tolist()} != {expected.tolist()}")
  op = raw.tfgle_gather_rows if raw_op else tfgle.ops.gather_rows
  return b.finish(lambda kw: op(**kw).numpy(), check)


# ---- id maps

def gen_id_map_table(b, raw_op=False):
  rng = b.rng
  n = int(rng.integers(0, 20))
  ids = rng.choice(np.concatenate([rng.integers(-2**63, 2**63 - 1, 30, dtype=np.int64),
                                   np.arange(-5, 30)]), n, replace=False).astype(np.int64)
  if raw_op:
    b.kw["ids"] = i64(ids)
    if n:
      b.fault("ids", "a duplicate", lambda: b.kw.__setitem__("ids", i64(np.append(
          ids, ids[int(rng.integers(n))]))))
    b.fault("ids", "rank 2", lambda: b.kw.__setitem__("ids", tf.zeros([1, 1], tf.int64)))
    b.fault("ids", "int32", lambda: b.kw.__setitem__("ids", tf.zeros([1], tf.int32)))

    def run(kw):
      h = raw.tfgle_id_map_handle(shared_name=f"fuzz_ids_{rng.integers(1 << 60)}")
      try:
        raw.tfgle_id_map_init(h, kw["ids"])
      except BaseException:
        tf.raw_ops.DestroyResourceOp(resource=h, ignore_lookup_error=True)
        raise
      return ("handle", h)

    def check(out, checks):
      h = out[1]
      checks.check("id_map_size", int(raw.tfgle_id_map_size(h)) == n, "size")
      got = raw.tfgle_id_map_lookup(h, i64(ids)).numpy()
      checks.check("lookup", np.array_equal(got, np.arange(n)), f"lookup {got.tolist()}")
      try:
        raw.tfgle_id_map_init(h, i64(ids))
        checks.check("init_once", False, "a second init was accepted")
      except tf.errors.FailedPreconditionError:
        checks.check("init_once", True)
      tf.raw_ops.DestroyResourceOp(resource=h, ignore_lookup_error=True)
    return b.finish(run, check, repeat=False)

  b.kw["ids"] = as_format(rng, ids, allow_list=True) if n else b.choose([[], np.zeros(0, int)])
  if n:
    b.fault("ids", "a duplicate", lambda: b.kw.__setitem__("ids", np.append(
        ids, ids[int(rng.integers(n))])))
  b.fault("ids", "floats", lambda: b.kw.__setitem__("ids", np.zeros(2, np.float32)))
  b.fault("ids", "strings", lambda: b.kw.__setitem__("ids", ["a", "b"]))

  def check(out, checks):
    table = out[1]
    checks.check("id_map_size", table.size == n, f"size {table.size}")
    got = table.lookup(ids).numpy()
    checks.check("lookup", np.array_equal(got, np.arange(n)), f"lookup {got.tolist()}")
  return b.finish(lambda kw: ("table", IdMapTable(kw["ids"])), check, repeat=False)


def gen_id_map_lookup(b, raw_op=False):
  rng = b.rng
  name = b.choose(list(b.f.id_maps))
  table, known = b.f.id_maps[name]
  size = int(rng.integers(0, 12))
  allow_missing = bool(rng.random() < 0.5)
  if not len(known) and not allow_missing:
    size = 0
  values = (rng.choice(known, size) if len(known) else np.full(size, 999)).astype(np.int64)
  if allow_missing and size:
    unknown = np.array([v for v in (-3, 1, 2**62, 999, 7, 8) if v not in set(known.tolist())])
    put = rng.random(size) < 0.4
    values = np.where(put, rng.choice(unknown, size), values)
  shape = b.choose(["vector", "scalar", "matrix"]) if size else "vector"
  arg = values[0] if shape == "scalar" else (
      values.reshape(-1, 1) if shape == "matrix" else values)
  missing_id = next(v for v in (-3, 1, 2**62, 999, 7) if v not in set(known.tolist()))
  if raw_op:
    b.kw.update(table=table.resource_handle, ids=tf.constant(np.asarray(arg, np.int64)),
                allow_missing=allow_missing)
    b.fault("ids", "an unknown id", lambda: b.kw.update(
        ids=i64(np.append(values, missing_id)), allow_missing=False))
    b.fault("table", "a CSR handle", lambda: b.kw.__setitem__(
        "table", b.f.tables["empty"][0].resource_handle))
    b.fault("table", "never created", lambda: b.kw.__setitem__(
        "table", raw.tfgle_id_map_handle(shared_name="fuzz_no_such_id_map")))
    run = lambda kw: np_outputs(raw.tfgle_id_map_lookup(**kw))
  else:
    b.kw.update(table=table, ids=arg if shape != "vector" else as_format(rng, values),
                allow_missing=allow_missing)
    b.fault("ids", "an unknown id", lambda: b.kw.update(ids=np.append(values, missing_id),
                                                       allow_missing=False))
    b.fault("ids", "floats", lambda: b.kw.__setitem__("ids", np.zeros(2, np.float64)))
    run = lambda kw: np_outputs(kw["table"].lookup(kw["ids"], kw["allow_missing"]))
  index = {v: i for i, v in enumerate(known.tolist())}

  def check(out, checks):
    expected = np.vectorize(lambda v: index.get(int(v), -1), otypes=[np.int64])(
        np.asarray(arg, np.int64)) if np.asarray(arg).size else np.zeros(np.asarray(arg).shape,
                                                                         np.int64)
    checks.check("lookup", out.shape == expected.shape and np.array_equal(out, expected),
                 lambda: f"{name} lookup of {np.asarray(arg).tolist()}: {out.tolist()}, "
                         f"expected {expected.tolist()}")
  return b.finish(run, check)


def gen_id_map_size(b):
  name = b.choose(list(b.f.id_maps))
  b.kw["table"] = b.f.id_maps[name][0].resource_handle
  b.fault("table", "a CSR handle", lambda: b.kw.__setitem__(
      "table", b.f.tables["bipartite"][0].resource_handle))
  n = len(b.f.id_maps[name][1])
  return b.finish(lambda kw: int(raw.tfgle_id_map_size(**kw)),
                  lambda out, checks: checks.check("id_map_size", out == n, f"{out} != {n}"))


# ---- node distributions

def support_check(checks, handle, dist, rng):
  """Samples node_weight / conditional negatives of a node without neighbors: draws in support."""
  if dist.num_nodes == 0:
    return
  empty = CsrTable(np.zeros(0, np.int64), np.zeros(0, np.int64), 1, dist.num_nodes)
  ids = tf.zeros([3], tf.int64)
  if dist.weights is not None:
    neg, mask = raw.tfgle_sample_negatives(empty.resource_handle, ids, raw_seed(rng), [handle],
                                           empty_i64(), num=20, strategy="node_weight")
    oracle.check_negatives(checks, oracle.CsrOracle([], [], 1, dist.num_nodes), np.zeros(3, int),
                           neg.numpy(), mask.numpy(), num=20, distribution=dist)
  if dist.categories is not None:
    targets = rng.integers(0, 5, 3)
    neg, mask = raw.tfgle_sample_negatives(empty.resource_handle, ids, raw_seed(rng), [handle],
                                           i64(targets), num=20, strategy="conditional")
    oracle.check_negatives(checks, oracle.CsrOracle([], [], 1, dist.num_nodes), np.zeros(3, int),
                           neg.numpy(), mask.numpy(), num=20, distribution=dist,
                           target_categories=targets)


def gen_node_distribution(b, raw_op=False):
  rng = b.rng
  n = int(rng.integers(0, 25))
  weights = None
  if rng.random() < 0.6:
    weights = rng.random(n).astype(np.float32) * 2
    weights[rng.random(n) < 0.3] = 0
  categories = rng.integers(-2, 4, n) if rng.random() < 0.5 else None
  dist = oracle.DistributionOracle(n, weights, categories)

  def put(key, value):
    b.kw[key] = value
  if raw_op:
    b.kw.update(num_nodes=i64(n)[0],
                weights=tf.constant(weights) if weights is not None else tf.zeros([0]),
                categories=i64(categories) if categories is not None else empty_i64(),
                weighted=weights is not None, categorized=categories is not None)
    b.fault("num_nodes", "negative", lambda: put("num_nodes", i64(-1)[0]))
    if n:
      b.fault("weighted", "declared without weights", lambda: b.kw.update(
          weighted=True, weights=tf.zeros([0])))
    b.fault("num_nodes", "a vector", lambda: put("num_nodes", i64([n, n])))
    b.fault("weights", "another length", lambda: put("weights", tf.ones([n + 1])))
    b.fault("categories", "another length", lambda: put("categories", i64(np.zeros(n + 2))))
    if n:
      def bad():
        w = np.ones(n, np.float32)
        w[int(rng.integers(n))] = b.choose([-1.0, np.nan, np.inf])
        put("weights", tf.constant(w))
      b.fault("weights", "negative or not finite", bad)

    def run(kw):
      h = raw.tfgle_node_distribution_handle(shared_name=f"fuzz_dist_{rng.integers(1 << 60)}")
      try:
        raw.tfgle_node_distribution_init(h, **kw)
      except BaseException:
        tf.raw_ops.DestroyResourceOp(resource=h, ignore_lookup_error=True)
        raise
      return ("handle", h)

    def check(out, checks):
      support_check(checks, out[1], dist, rng)
      try:
        raw.tfgle_node_distribution_init(out[1], **b.kw)
        checks.check("init_once", False, "a second init was accepted")
      except tf.errors.FailedPreconditionError:
        checks.check("init_once", True)
      tf.raw_ops.DestroyResourceOp(resource=out[1], ignore_lookup_error=True)
    return b.finish(run, check, repeat=False)

  b.kw.update(num_nodes=n, weights=weights, categories=categories)
  b.fault("num_nodes", "negative or not an int", lambda: put(
      "num_nodes", b.choose([-1, 2.0, True, "3"])))
  b.fault("weights", "another length", lambda: put("weights", np.ones(n + 1)))
  b.fault("categories", "another length", lambda: put("categories", np.zeros(n + 2, int)))
  b.fault("categories", "floats", lambda: put("categories", np.zeros(n, np.float32)))
  if n:
    def bad():
      w = np.ones(n, np.float32)
      w[int(rng.integers(n))] = b.choose([-1.0, np.nan, np.inf])
      put("weights", w)
    b.fault("weights", "negative or not finite", bad)

  def run(kw):
    kw = dict(kw)
    return ("distribution", NodeDistribution(kw.pop("num_nodes"), **kw))

  def check(out, checks):
    d = out[1]
    checks.check("distribution", d.num_nodes == n and
                 (d.weights is None) == (weights is None) and
                 (d.categories is None) == (categories is None) and
                 (weights is None or np.array_equal(d.weights.numpy(), weights)) and
                 (categories is None or np.array_equal(d.categories.numpy(), categories)),
                 "properties")
    support_check(checks, d.resource_handle, dist, rng)
  return b.finish(run, check, repeat=False)


def gen_handle(b, kind):
  op = {"csr": raw.tfgle_csr_handle, "id_map": raw.tfgle_id_map_handle,
        "node_distribution": raw.tfgle_node_distribution_handle}[kind]
  b.kw["shared_name"] = f"fuzz_{kind}_{b.rng.integers(1 << 60)}"
  b.fault("shared_name", "not a string", lambda: b.kw.__setitem__(
      "shared_name", b.choose([5, ["x"], 1.5])))
  b.fault("container", "not a string", lambda: b.kw.__setitem__("container", 7))

  def run(kw):
    h = op(**kw)
    return ("handle", h.dtype.name, tuple(h.shape.as_list()))

  def check(out, checks):
    checks.check("shape", out[1:] == ("resource", ()), f"{out}")
    # A fresh handle names no table yet: the ops must refuse it.
    try:
      if kind == "csr":
        raw.tfgle_csr_info(op(**b.kw))
      elif kind == "id_map":
        raw.tfgle_id_map_size(op(**b.kw))
      else:
        raw.tfgle_sample_negatives(b.f.tables["empty"][0].resource_handle, i64([0]),
                                   raw_seed(b.rng), [op(**b.kw)], empty_i64(), num=1,
                                   strategy="node_weight")
      checks.check("uninitialized_refused", False, "an uninitialized table was read")
    except ALLOWED_ERRORS:
      checks.check("uninitialized_refused", True)
  return b.finish(run, check, repeat=False)


# ---- Sampler methods (graph.sampler and PartitionedGraph)

def gen_sampler(b, method, partitioned=False):
  rng = b.rng
  f = b.f
  sampler = f.partitioned if partitioned else f.sampler
  names = list(f.edge_types)
  name = b.choose(names)
  reverse = bool(rng.random() < 0.35) and method != "sample_fanouts"
  table = f.graph_table(name, reverse)
  src_type, dst_type = f.end_types(name, reverse)
  edge_arg = name if rng.random() < 0.7 else (*f.edge_types[name], name)
  if method != "sample_fanouts":
    b.kw["edge_type"] = edge_arg
    b.fault("edge_type", "unknown", lambda: b.kw.__setitem__(
        "edge_type", b.choose(["nope", None, ("i", "i", name), 3])))
  if reverse:
    b.kw["reverse"] = True
  ids = random_ids(rng, table.num_src)

  if method in ("sample_neighbors", "sample_full_neighbors", "sample_negatives"):
    b.kw["ids"] = as_format(rng, ids)
    ids_faults(b, "ids", table.num_src, ids)

  if method == "sample_neighbors":
    fanout = random_fanout(rng)
    strategy = neighbor_strategy(b, table, local=not partitioned)
    padding = b.choose(["default", "circular"])
    default_id = int(rng.integers(-3, 20))
    edge_ids = bool(rng.random() < 0.7)
    before_np = None
    b.kw.update(fanout=fanout, strategy=strategy, seed=random_seed(rng), padding=padding,
                default_id=default_id, edge_ids=edge_ids)
    if table.timed and rng.random() < 0.5:
      b.kw["before"], before_np = random_before(rng, len(ids))
    seed_faults(b)
    b.fault("fanout", "0", lambda: b.kw.__setitem__("fanout", 0))
    b.fault("strategy", "unknown", lambda: b.kw.__setitem__("strategy", "full"))
    if partitioned:
      b.fault("strategy", "in_degree on partitions",
              lambda: b.kw.__setitem__("strategy", "in_degree"))
    strategy_and_before_faults(b, table, len(ids))

    def run(kw):
      kw = dict(kw)
      return np_outputs(tuple(sampler.sample_neighbors(kw.pop("edge_type"), kw.pop("ids"),
                                                       kw.pop("fanout"), **kw)))

    def check(out, checks):
      nbrs, eids, mask = out
      k = int(fanout)
      oracle.check_shapes(checks, [nbrs, mask], [(len(ids), k)] * 2)
      checks.check("edge_ids_none", (eids is None) == (not edge_ids), "edge_ids")
      if nbrs.shape == (len(ids), k):
        oracle.check_sampled_rows(checks, table, ids, nbrs, eids, mask, fanout=k,
                                  strategy=strategy, padding=padding, default_id=default_id,
                                  before=before_np, what=name)
    return b.finish(run, check)

  if method == "sample_fanouts":
    hops = int(rng.integers(1, 4))
    path = [name]
    while len(path) < hops:
      nxt = [n for n in names if f.edge_types[n][0] == f.edge_types[path[-1]][1]]
      path.append(b.choose(nxt))
    oracles = [f.graph_table(n, False) for n in path]
    use_before = all(t.timed for t in oracles) and rng.random() < 0.6
    fanouts = [int(rng.integers(1, 5)) for _ in path]
    strategies = [neighbor_strategy(b, t, local=not partitioned) for t in oracles]
    padding = b.choose(["default", "circular"])
    default_id = int(rng.integers(-3, 20))
    edge_ids = bool(rng.random() < 0.7)
    ids = random_ids(rng, oracles[0].num_src, int(rng.integers(0, 6)))
    meta = path if not (len(set(path)) == 1 and rng.random() < 0.5) else path[0]
    b.kw.update(meta_path=meta, ids=as_format(rng, ids), fanouts=fanouts,
                strategy=strategies, seed=random_seed(rng), padding=padding,
                default_id=default_id, edge_ids=edge_ids)
    before_np = None
    if use_before:
      b.kw["before"], before_np = random_before(rng, len(ids))
    ids_faults(b, "ids", oracles[0].num_src, ids)
    seed_faults(b)
    broken = [n for n in names if f.edge_types[n][0] != f.edge_types[path[-1]][1]]
    if broken:
      b.fault("meta_path", "does not chain", lambda: b.kw.update(
          meta_path=path + [b.choose(broken)], fanouts=fanouts + [2],
          strategy=strategies + ["random"]))
    b.fault("meta_path", "an unknown edge type", lambda: b.kw.__setitem__(
        "meta_path", path[:-1] + ["nope"]))
    b.fault("fanouts", "one more than the meta-path",
            lambda: b.kw.__setitem__("fanouts", fanouts + [2]) if not isinstance(meta, str)
            else b.kw.__setitem__("fanouts", []))
    b.fault("fanouts", "a fanout <= 0", lambda: b.kw.__setitem__(
        "fanouts", fanouts[:-1] + [0]))
    b.fault("strategy", "unknown", lambda: b.kw.__setitem__("strategy", "uniform"))
    if partitioned:
      b.fault("strategy", "in_degree on partitions",
              lambda: b.kw.__setitem__("strategy", "in_degree"))
    if not all(t.timed for t in oracles):
      b.fault("before", "a hop without timestamps", lambda: b.kw.__setitem__("before", 20))

    def run(kw):
      kw = dict(kw)
      hops_out = sampler.sample_fanouts(kw.pop("meta_path"), kw.pop("ids"), kw.pop("fanouts"),
                                        **kw)
      return tuple(np_outputs(tuple(h)) for h in hops_out)

    def check(out, checks):
      checks.check("shape", len(out) == hops, "hops")
      for h in out:
        checks.check("edge_ids_none", (h[1] is None) == (not edge_ids), "edge_ids")
      oracle.check_fanouts(checks, oracles, ids, list(out), fanouts=fanouts,
                           strategies=strategies, padding=padding, default_id=default_id,
                           before=before_np, with_edge_ids=edge_ids)
    return b.finish(run, check)

  if method == "sample_full_neighbors":
    cap = None if rng.random() < 0.5 else int(rng.integers(0, 6))
    before_np = None
    if cap is not None or rng.random() < 0.3:
      b.kw["seed"] = random_seed(rng)
    b.kw["max_neighbors"] = cap
    if table.timed and rng.random() < 0.5:
      b.kw["before"], before_np = random_before(rng, len(ids))
    b.fault("max_neighbors", "negative", lambda: b.kw.__setitem__("max_neighbors", -3))
    if cap is not None:
      b.fault("seed", "missing with max_neighbors", lambda: b.kw.pop("seed"))
    before_faults(b, len(ids), table.timed)

    def run(kw):
      kw = dict(kw)
      return np_outputs(tuple(sampler.sample_full_neighbors(kw.pop("edge_type"), kw.pop("ids"),
                                                            **kw)))

    def check(out, checks):
      oracle.check_full_neighbors(checks, table, ids, ragged_rows(out[0]), ragged_rows(out[1]),
                                  max_neighbors=cap, before=before_np)
    return b.finish(run, check)

  if method == "sample_negatives":
    num = int(rng.integers(1, 6))
    strategies = ["random", "in_degree", "node_weight", "conditional"]
    strategy = b.choose(strategies)
    b.kw.update(num=num, strategy=strategy, seed=random_seed(rng),
                max_trials=int(rng.choice([1, 4, 16])), exponent=float(rng.uniform(-1, 1.5)))
    dist_oracle, targets_cat = None, None
    n_dst = f.num_nodes[dst_type]
    attr = "grp" if dst_type == "u" else "genre"
    if strategy == "in_degree":
      dist_oracle = oracle.in_degree_distribution(table)
    elif strategy == "node_weight":
      given = [v for v in f.dists.values() if v[1].num_nodes == n_dst and
               v[1].weights is not None]
      if given and rng.random() < 0.3:
        d, dist_oracle = b.choose(given)
        b.kw["distribution"] = d
      else:
        dist_oracle = oracle.DistributionOracle(n_dst, f.node_weights[dst_type])
    elif strategy == "conditional":
      dist_oracle = oracle.DistributionOracle(n_dst, None, f.categories[dst_type])
      b.kw["attr"] = attr
      if rng.random() < 0.5:
        targets = random_ids(rng, n_dst, len(ids))
        b.kw["targets"] = as_format(rng, targets)
        targets_cat = f.categories[dst_type][targets]
        b.fault("targets", "and target_categories",
                lambda: b.kw.__setitem__("target_categories", np.zeros(len(ids), int)))
      else:
        targets_cat = rng.integers(0, 5, len(ids))
        b.kw["target_categories"] = as_format(rng, targets_cat)
        b.fault("target_categories", "missing (no targets either)",
                lambda: b.kw.pop("target_categories"))
      b.fault("attr", "unknown", lambda: b.kw.__setitem__("attr", "nope"))
      b.fault("attr", "missing", lambda: b.kw.pop("attr"))
    seed_faults(b)
    b.fault("num", "0", lambda: b.kw.__setitem__("num", 0))
    b.fault("strategy", "unknown", lambda: b.kw.__setitem__("strategy", "popular"))
    b.fault("max_trials", "0", lambda: b.kw.__setitem__("max_trials", 0))

    def run(kw):
      kw = dict(kw)
      return np_outputs(tuple(sampler.sample_negatives(kw.pop("edge_type"), kw.pop("ids"),
                                                       kw.pop("num"), **kw)))

    def check(out, checks):
      oracle.check_negatives(checks, table, ids, out[0], out[1], num=num,
                             distribution=dist_oracle, target_categories=targets_cat)
    return b.finish(run, check)

  if method == "num_edge_positions":
    return b.finish(lambda kw: sampler.num_edge_positions(**kw),
                    lambda out, checks: checks.check("edges_at", out == table.num_edges,
                                                     f"{out} != {table.num_edges}"))

  if method == "edges_at":
    every = rng.random() < 0.3
    positions = (np.arange(table.num_edges) if every else
                 random_ids(rng, table.num_edges)).astype(np.int64)
    b.kw["positions"] = as_format(rng, positions)
    ids_faults(b, "positions", table.num_edges, positions)

    def run(kw):
      kw = dict(kw)
      return np_outputs(tuple(sampler.edges_at(kw.pop("edge_type"), kw.pop("positions"), **kw)))

    def check(out, checks):
      src, dst, eids = out
      oracle.check_shapes(checks, out, [(len(positions),)] * 3, "edges_at")
      triples = list(zip(src.tolist(), dst.tolist(), eids.tolist()))
      truth = list(zip(table.row_of.tolist(), table.indices.tolist(), table.edge_ids.tolist()))
      if partitioned:
        # Positions enumerate partition 0's edges, then 1's: each is a real edge, and all
        # positions together are every edge once.
        have = set(truth)
        checks.check("real_edge", all(t in have for t in triples), lambda: f"{triples}")
        if every:
          checks.check("edges_at", sorted(triples) == sorted(truth), "not every edge once")
      else:
        expected = [truth[p] for p in positions]
        checks.check("edges_at", triples == expected, lambda: f"{triples} != {expected}")
    return b.finish(run, check)
  raise ValueError(method)


# ---- table updates (each call builds its own fresh table: the fixtures are never mutated)

def appended_spec(rng, spec):
  """A valid append to a table built from `spec` (random_edge_list): new node counts, edges."""
  grow = rng.random() < 0.4
  num_src = spec["num_src"] + (int(rng.integers(0, 4)) if grow else 0)
  num_dst = num_src if spec["symmetric"] else spec["num_dst"] + (
      int(rng.integers(0, 4)) if grow else 0)
  k = int(rng.integers(0, 15)) if num_src and num_dst else 0
  new = dict(src=rng.integers(0, max(num_src, 1), k), dst=rng.integers(0, max(num_dst, 1), k),
             edge_ids=rng.integers(-3, 80, k), weights=None, timestamps=None,
             num_src=num_src if grow or rng.random() < 0.3 else None,
             num_dst=num_dst if grow or rng.random() < 0.3 else None)
  if spec["weights"] is not None:
    new["weights"] = rng.random(k).astype(np.float32)
    new["weights"][rng.random(k) < 0.3] = rng.choice([0.0, 1.0])
  if spec["timestamps"] is not None:
    new["timestamps"] = rng.integers(-5, 9, k)
  return new, num_src, num_dst


def combined_oracle(spec, new, num_src, num_dst):
  """The oracle of a table built from scratch over the old and the appended edges."""
  n = len(spec["src"])
  old_ids = spec["edge_ids"] if spec["edge_ids"] is not None else np.arange(n)
  cat = lambda key: (None if spec[key] is None else
                     np.concatenate([spec[key], new[key]]).astype(np.asarray(spec[key]).dtype))
  return oracle.CsrOracle(
      np.concatenate([spec["src"], new["src"]]), np.concatenate([spec["dst"], new["dst"]]),
      num_src, num_dst, edge_ids=np.concatenate([old_ids, new["edge_ids"]]).astype(np.int64),
      weights=cat("weights"), timestamps=cat("timestamps"), symmetric=spec["symmetric"],
      order=spec["order"], weighted=spec["weights"] is not None,
      timed=spec["timestamps"] is not None)


def build_csr(spec):
  return CsrTable(spec["src"], spec["dst"], spec["num_src"], spec["num_dst"],
                  edge_ids=spec["edge_ids"], weights=spec["weights"],
                  timestamps=spec["timestamps"], symmetric=spec["symmetric"],
                  order=spec["order"])


def table_state(handle):
  return (int(raw.tfgle_csr_fingerprint(handle)), int(raw.tfgle_csr_version(handle)))


def refused_unchanged(handle, update):
  """Runs `update`; if it is refused, the table must be unchanged (same fingerprint and
  version): a change raises RuntimeError, which the fuzz reports as a failure."""
  before = table_state(handle)
  try:
    return update()
  except ALLOWED_ERRORS:
    after = table_state(handle)
    if after != before:
      raise RuntimeError(f"a refused update changed the table: (fingerprint, version) "
                         f"{before} -> {after}")  # pylint: disable=raise-missing-from
    raise


def check_rows_as_multisets(checks, handle, table, what):
  """A symmetric table's rows after append: the same entries as `table`'s, in any tie order."""
  info = [int(x) for x in raw.tfgle_csr_info(handle)]
  checks.check("csr_info", info == [table.num_src, table.num_dst, table.num_edges],
               lambda: f"{what}: info {info}")
  nbrs, eids, weights, times, splits = (x.numpy() for x in raw.tfgle_csr_neighbors(
      handle, tf.range(table.num_src, dtype=tf.int64)))

  def rows(indptr, nb, e, w, t):
    return [sorted(zip(nb[a:z].tolist(), e[a:z].tolist(),
                       (w[a:z] if len(w) else np.zeros(z - a)).tolist(),
                       (t[a:z] if len(t) else np.zeros(z - a)).tolist()))
            for a, z in zip(indptr[:-1], indptr[1:])]
  got = rows(splits, nbrs, eids, weights, times)
  want = rows(table.indptr, table.indices, table.edge_ids, table.weights, table.timestamps)
  checks.check("neighbors", got == want, lambda: f"{what}: rows {got}, expected {want}")
  degree = raw.tfgle_csr_degree(handle, tf.range(table.num_dst, dtype=tf.int64),
                                direction="in").numpy()
  checks.check("degree", np.array_equal(degree, table.in_degree), f"{what}: in-degrees")


def gen_csr_append(b, raw_op=False):
  rng = b.rng
  spec = random_edge_list(rng)
  new, num_src, num_dst = appended_spec(rng, spec)
  table = combined_oracle(spec, new, num_src, num_dst)
  k = len(new["src"])
  changed = k > 0 or num_src != spec["num_src"] or num_dst != spec["num_dst"]
  conv = i64 if raw_op else (lambda v: v)
  b.kw["table"] = "<a fresh table>"
  b.kw.update(src=conv(new["src"]), dst=conv(new["dst"]), edge_ids=conv(new["edge_ids"]))
  if raw_op:
    b.kw.update(weights=tf.constant(new["weights"]) if new["weights"] is not None
                else tf.zeros([0]),
                timestamps=i64(new["timestamps"]) if new["timestamps"] is not None
                else empty_i64(),
                num_src=i64(-1 if new["num_src"] is None else new["num_src"])[0],
                num_dst=i64(-1 if new["num_dst"] is None else new["num_dst"])[0])
  else:
    for key in ("weights", "timestamps", "num_src", "num_dst"):
      if new[key] is not None or rng.random() < 0.5:
        b.kw[key] = new[key]

  def put(key, value):
    b.kw[key] = value
  scalar = (lambda v: i64(v)[0]) if raw_op else (lambda v: v)
  if k:
    b.fault("src", "an index out of the new range", lambda: put("src", conv(np.where(
        np.arange(k) == rng.integers(k), out_of_range(rng, num_src), new["src"]))))
    b.fault("dst", "an index out of the new range", lambda: put("dst", conv(np.where(
        np.arange(k) == rng.integers(k), out_of_range(rng, num_dst), new["dst"]))))
    if spec["weights"] is None:
      b.fault("weights", "on a table without weights", lambda: put(
          "weights", tf.ones([k]) if raw_op else np.ones(k, np.float32)))
    else:
      b.fault("weights", "missing on a weighted table", lambda: put(
          "weights", tf.zeros([0]) if raw_op else None))

      def bad_weight():
        w = new["weights"].copy()
        w[int(rng.integers(k))] = b.choose([-1.0, np.nan, np.inf, -1e-30])
        put("weights", tf.constant(w) if raw_op else w)
      b.fault("weights", "negative or not finite", bad_weight)
    if spec["timestamps"] is None:
      b.fault("timestamps", "on a table without timestamps", lambda: put(
          "timestamps", conv(np.zeros(k, np.int64))))
    else:
      b.fault("timestamps", "missing on a timed table", lambda: put(
          "timestamps", empty_i64() if raw_op else None))
  b.fault("dst", "another length", lambda: put("dst", conv(np.zeros(k + 1, np.int64))))
  b.fault("edge_ids", "another length", lambda: put("edge_ids", conv(np.arange(k + 2))))
  if spec["num_src"] > 0:
    b.fault("num_src", "shrinking", lambda: put("num_src", scalar(spec["num_src"] - 1)))
  if spec["num_dst"] > 0:
    b.fault("num_dst", "shrinking", lambda: put("num_dst", scalar(
        b.choose([spec["num_dst"] - 1, -2**63]))))
  b.fault("num_src", "too large", lambda: put("num_src", scalar(b.choose([2**62, 2**63 - 1]))))
  if raw_op:
    b.fault("src", "rank 2", lambda: put("src", tf.zeros([k, 1], tf.int64)))
    b.fault("num_dst", "a vector", lambda: put("num_dst", i64([1, 2])))
    handle_faults(b, "table")
  else:
    b.fault("src", "floats", lambda: put("src", np.zeros(k, np.float64)))
    b.fault("edge_ids", "missing", lambda: b.kw.pop("edge_ids"))
    b.fault("num_src", "not an int", lambda: put("num_src", b.choose([2.5, "3"])))

  def run(kw):
    kw = dict(kw)
    csr = build_csr(spec)
    if raw_op:
      handle = kw.pop("table")
      handle = csr.resource_handle if isinstance(handle, str) else handle
      version = refused_unchanged(csr.resource_handle,
                                  lambda: int(raw.tfgle_csr_append(handle, **kw)))
    else:
      kw.pop("table")
      refused_unchanged(csr.resource_handle,
                        lambda: csr.append(kw.pop("src"), kw.pop("dst"), **kw))
      version = csr.version
    return ("table", csr, version)

  def check(out, checks):
    csr, version = out[1], out[2]
    checks.check("version", version == int(changed) == int(raw.tfgle_csr_version(
        csr.resource_handle)), lambda: f"version {version} after one append (changed: {changed})")
    if not raw_op:
      checks.check("csr_info", [csr.num_src, csr.num_dst, csr.num_edges] ==
                   [table.num_src, table.num_dst, table.num_edges], "properties after append")
    if spec["symmetric"]:
      check_rows_as_multisets(checks, csr.resource_handle, table, "symmetric append")
      checks.check("append", True)
    else:
      check_table_against(checks, csr.resource_handle, table, "append")
      fp = int(raw.tfgle_csr_fingerprint(csr.resource_handle))
      rebuilt_csr = build_csr(dict(
          src=np.concatenate([spec["src"], new["src"]]),
          dst=np.concatenate([spec["dst"], new["dst"]]), num_src=num_src, num_dst=num_dst,
          edge_ids=np.concatenate([spec["edge_ids"] if spec["edge_ids"] is not None
                                   else np.arange(len(spec["src"])), new["edge_ids"]]),
          weights=None if spec["weights"] is None else np.concatenate(
              [spec["weights"], new["weights"]]),
          timestamps=None if spec["timestamps"] is None else np.concatenate(
              [spec["timestamps"], new["timestamps"]]),
          symmetric=False, order=spec["order"]))
      rebuilt = int(raw.tfgle_csr_fingerprint(rebuilt_csr.resource_handle))
      checks.check("append", fp == rebuilt, lambda: f"fingerprint {fp} != rebuilt {rebuilt}")
  return b.finish(run, check, repeat=False)


def gen_csr_remove_before(b, raw_op=False):
  rng = b.rng
  spec = random_edge_list(rng)
  n = len(spec["src"])
  if spec["timestamps"] is None:
    spec["timestamps"] = rng.integers(-5, 9, n)
  t = int(rng.choice([int(rng.integers(-6, 10))] * 6 + [-2**63, 2**63 - 1]))
  keep = np.asarray(spec["timestamps"]) >= t
  ids = spec["edge_ids"] if spec["edge_ids"] is not None else np.arange(n)
  table = oracle.CsrOracle(
      spec["src"][keep], spec["dst"][keep], spec["num_src"], spec["num_dst"],
      edge_ids=np.asarray(ids)[keep],
      weights=None if spec["weights"] is None else spec["weights"][keep],
      timestamps=spec["timestamps"][keep], symmetric=spec["symmetric"], order=spec["order"],
      weighted=spec["weights"] is not None, timed=True)
  changed = not keep.all()
  b.kw.update(table="<a fresh table>", timestamp=i64(t)[0] if raw_op else t)
  spec_untimed = dict(spec, timestamps=None, order="input")
  b.fault("table", "without timestamps", lambda: b.kw.__setitem__("untimed", True))
  if raw_op:
    b.fault("timestamp", "a vector", lambda: b.kw.__setitem__("timestamp", i64([t, t])))
    b.fault("timestamp", "int32", lambda: b.kw.__setitem__("timestamp", tf.constant(1)))
    handle_faults(b, "table")
  else:
    b.fault("timestamp", "not an int", lambda: b.kw.__setitem__(
        "timestamp", b.choose([1.5, "3", None, 2**64])))

  def run(kw):
    kw = dict(kw)
    csr = build_csr(spec_untimed if kw.pop("untimed", False) else spec)
    handle = kw.pop("table")
    if raw_op:
      handle = csr.resource_handle if isinstance(handle, str) else handle
      version = refused_unchanged(csr.resource_handle, lambda: int(
          raw.tfgle_csr_remove_before(handle, kw["timestamp"])))
    else:
      refused_unchanged(csr.resource_handle, lambda: csr.remove_before(kw["timestamp"]))
      version = csr.version
    return ("table", csr, version)

  def check(out, checks):
    csr, version = out[1], out[2]
    checks.check("version", version == int(changed) == int(raw.tfgle_csr_version(
        csr.resource_handle)), lambda: f"version {version} (an edge dropped: {changed})")
    check_table_against(checks, csr.resource_handle, table, f"remove_before({t})")
    times = table.timestamps
    checks.check("remove_before", len(times) == int(keep.sum()) * (
        2 if spec["symmetric"] else 1) - (int((keep & (spec["src"] == spec["dst"])).sum())
                                          if spec["symmetric"] else 0) and (times >= t).all(),
                 lambda: f"kept {times.tolist()} for t={t}")
  return b.finish(run, check, repeat=False)


def gen_csr_version(b, raw_op=False):
  rng = b.rng
  fresh = rng.random() < 0.5
  if fresh:
    spec = random_edge_list(rng)
    spec["timestamps"] = rng.integers(-5, 9, len(spec["src"]))
    spec["order"] = "input"
    updates = [int(rng.integers(-6, 10)) for _ in range(int(rng.integers(0, 4)))]
    name = f"<fresh table, remove_before {updates}>"
  else:
    name, (csr_fixture, _) = fixture_table(b)
  if raw_op:
    b.kw["table"] = name
    handle_faults(b, "table")
  else:
    b.kw["csr"] = name
    b.fault("csr", "destroyed", lambda: b.kw.__setitem__("csr", "<destroyed>"))

  def run(kw):
    expected = 0
    target = kw["table" if raw_op else "csr"]
    if not isinstance(target, str):
      return ("version", int(raw.tfgle_csr_version(target)), None)
    if target == "<destroyed>":
      csr = b.f.destroyed_table
    elif fresh:
      csr = build_csr(spec)
      times = np.asarray(spec["timestamps"])
      for t in updates:
        expected += int(bool((times < t).any()))
        times = times[times >= t]
        csr.remove_before(t)
    else:
      csr = csr_fixture
    got = int(raw.tfgle_csr_version(csr.resource_handle)) if raw_op else csr.version
    return ("version", got, expected)

  def check(out, checks):
    checks.check("version", out[1] == out[2], lambda: f"{name}: version {out[1]} != {out[2]}")
  return b.finish(run, check, repeat=False)


def gen_id_map_append(b, raw_op=False):
  rng = b.rng
  pool = np.unique(np.concatenate([rng.integers(-2**63, 2**63 - 1, 40, dtype=np.int64),
                                   np.arange(-5, 30)]))
  pool = rng.permutation(pool)
  n, k = int(rng.integers(0, 15)), int(rng.integers(0, 10))
  old, new = pool[:n].astype(np.int64), pool[n:n + k].astype(np.int64)
  b.kw["table"] = "<a fresh id map>"
  b.kw["ids"] = i64(new) if raw_op else as_format(rng, new)
  conv = i64 if raw_op else (lambda v: v)
  if n:
    b.fault("ids", "an id already in the map", lambda: b.kw.__setitem__("ids", conv(
        np.append(new, old[int(rng.integers(n))]))))
  if k:
    b.fault("ids", "a duplicate", lambda: b.kw.__setitem__("ids", conv(np.append(
        new, new[int(rng.integers(k))]))))
  if raw_op:
    b.fault("ids", "rank 2", lambda: b.kw.__setitem__("ids", tf.zeros([1, 1], tf.int64)))
    b.fault("ids", "int32", lambda: b.kw.__setitem__("ids", tf.zeros([1], tf.int32)))
    b.fault("table", "a CSR handle", lambda: b.kw.__setitem__(
        "table", b.f.tables["empty"][0].resource_handle))
    b.fault("table", "never created", lambda: b.kw.__setitem__(
        "table", raw.tfgle_id_map_handle(shared_name="fuzz_no_such_id_map")))
  else:
    b.fault("ids", "floats", lambda: b.kw.__setitem__("ids", np.zeros(2, np.float32)))
    b.fault("ids", "strings", lambda: b.kw.__setitem__("ids", ["a"]))

  def run(kw):
    table = IdMapTable(old)
    handle = kw["table"]
    handle = table.resource_handle if isinstance(handle, str) else handle
    try:
      if raw_op:
        size = int(raw.tfgle_id_map_append(handle, kw["ids"]))
      else:
        table.append(kw["ids"])
        size = table.size
    except ALLOWED_ERRORS:
      got = table.lookup(old, allow_missing=True).numpy()
      if int(raw.tfgle_id_map_size(table.resource_handle)) != n or not np.array_equal(got, np.arange(n)):
        raise RuntimeError(f"a refused append changed the id map: size {table.size}, "
                           f"lookup {got.tolist()}")  # pylint: disable=raise-missing-from
      raise
    return ("id_map", table, size)

  def check(out, checks):
    table, size = out[1], out[2]
    # (the raw op bypasses the wrapper's cached size: read it with the raw op)
    now = int(raw.tfgle_id_map_size(table.resource_handle))
    checks.check("id_map_size", size == now == n + k, f"size {size}, {now}, expected {n + k}")
    got = table.lookup(np.concatenate([old, new])).numpy()
    checks.check("id_map_append", np.array_equal(got, np.arange(n + k)),
                 lambda: f"lookup after append {got.tolist()}")
  return b.finish(run, check, repeat=False)


# ---- random walks

def check_walks(checks, tables, starts, ids, mask, length, what):
  """Walks [B, length + 1] against the oracles `tables` (step s follows tables[(s-1) % N])."""
  shape = (len(starts), length + 1)
  oracle.check_shapes(checks, [ids, mask], [shape, shape], what)
  if ids.shape != shape or mask.shape != shape:
    return
  checks.check("walk_start", np.array_equal(ids[:, 0], starts) if len(starts) else True,
               lambda: f"{what}: column 0 {ids[:, 0].tolist()} != starts {starts.tolist()}")
  checks.check("walk_mask", np.array_equal(mask, ids >= 0),
               lambda: f"{what}: mask {mask.tolist()} for ids {ids.tolist()}")
  bad = []
  for r in range(len(starts)):
    for s in range(1, length + 1):
      table, prev, cur = tables[(s - 1) % len(tables)], int(ids[r, s - 1]), int(ids[r, s])
      if prev < 0 or table.degree(prev) == 0:
        ok = cur == -1
      else:
        ok = table.is_neighbor(prev, cur)
      if not ok:
        bad.append((r, s, prev, cur, table.name))
  checks.check("walk_step", not bad, lambda: f"{what}: bad steps (row, step, from, to, table) "
                                             f"{bad[:5]} in {ids.tolist()}")


def walk_options(b, num_tables):
  rng = b.rng
  length = int(rng.integers(1, 12))
  p = q = 1.0
  if num_tables == 1 and rng.random() < 0.5:
    p, q = (float(rng.choice([0.25, 0.5, 1.0, 2.0, 4.0, 100.0])) for _ in range(2))
  return length, p, q


def walk_option_faults(b, num_tables, raw_op):
  b.fault("length", "not a positive int", lambda: b.kw.__setitem__(
      "length", b.choose([0, -1] if raw_op else [0, -1, 2.5, True, None, 2**40])))
  b.fault("p", "not finite or <= 0", lambda: b.kw.__setitem__(
      "p", b.choose([0.0, -1.0, float("nan"), float("inf")])))
  b.fault("q", "too biased", lambda: b.kw.update(p=1e-3, q=1e3))
  if num_tables > 1:
    b.fault("p", "a bias on a meta-path", lambda: b.kw.__setitem__("p", 0.5))


def gen_sample_random_walks(b, raw_op=False):
  rng = b.rng
  f = b.f
  square = [n for n, (t, o) in f.tables.items() if o.num_src == o.num_dst]
  if rng.random() < 0.7:
    names = [b.choose(square if rng.random() < 0.85 else list(f.tables))]
  else:
    names = [b.choose([n for n in f.tables if f.chainable[n]])]
    while len(names) < int(rng.integers(2, 4)) and f.chainable[names[-1]]:
      names.append(b.choose(f.chainable[names[-1]]))
  tables = [f.tables[n][1] for n in names]
  csrs = [f.tables[n][0] for n in names]
  length, p, q = walk_options(b, len(names))
  if tables[-1].num_dst != tables[0].num_src:
    length = min(length, len(names))
  starts = random_ids(rng, tables[0].num_src)
  seed = random_seed(rng) if not raw_op else raw_seed(rng)
  if raw_op:
    b.kw.update(tables=[c.resource_handle for c in csrs], starts=i64(starts), seed=seed,
                length=length, p=p, q=q)
    ids_faults(b, "starts", tables[0].num_src, starts, wrapper=False)
    seed_faults(b, wrapper=False)
    for name, handle in b.f.bad_handles.items():
      b.fault("tables", f"handle {name}", lambda h=handle: b.kw.__setitem__(
          "tables", [h] + b.kw["tables"][1:]))
  else:
    b.kw.update(tables=csrs[0] if len(csrs) == 1 and rng.random() < 0.5 else csrs,
                starts=as_format(rng, starts), length=length, p=p, q=q, seed=seed)
    ids_faults(b, "starts", tables[0].num_src, starts)
    seed_faults(b)
    b.fault("tables", "none or not tables", lambda: b.kw.__setitem__(
        "tables", b.choose([[], None, [b.f.id_maps["ids_small"][0]], "ts_sorted"])))
  walk_option_faults(b, len(names), raw_op)
  breaks = [n for n, (_, o) in f.tables.items() if o.num_src != tables[-1].num_dst]
  if breaks:
    def unchained():
      bad = b.choose(breaks)
      b.kw["tables"] = (b.kw["tables"] if isinstance(b.kw["tables"], list)
                        else [b.kw["tables"]]) + [f.tables[bad][0].resource_handle if raw_op
                                                  else f.tables[bad][0]]
      b.kw.update(length=len(b.kw["tables"]) + 1, p=1.0, q=1.0)
    b.fault("tables", "a table that does not chain", unchained)

  def run(kw):
    if raw_op:
      walks = raw.tfgle_sample_random_walks(**kw).numpy()
      return (walks, walks >= 0)
    kw = dict(kw)
    return np_outputs(tuple(tfgle.ops.sample_random_walks(kw.pop("tables"), kw.pop("starts"),
                                                          kw.pop("length"), **kw)))

  def check(out, checks):
    check_walks(checks, tables, starts, out[0], out[1], length, "+".join(names))
  return b.finish(run, check)


def gen_sampler_walks(b):
  rng = b.rng
  f = b.f
  types = list(f.edge_types)
  if rng.random() < 0.6:
    path = [b.choose([n for n in types if f.edge_types[n][0] == f.edge_types[n][1]] * 3 + types)]
  else:
    path = [b.choose(types)]
    while len(path) < int(rng.integers(2, 4)):
      path.append(b.choose([n for n in types if f.edge_types[n][0] == f.edge_types[path[-1]][1]]))
  tables = [f.graph_table(n, False) for n in path]
  length, p, q = walk_options(b, len(path))
  if f.edge_types[path[-1]][1] != f.edge_types[path[0]][0]:
    length = min(length, len(path))
  starts = random_ids(rng, tables[0].num_src)
  b.kw.update(edge_types=path[0] if len(path) == 1 and rng.random() < 0.5 else path,
              starts=as_format(rng, starts), length=length, p=p, q=q, seed=random_seed(rng))
  ids_faults(b, "starts", tables[0].num_src, starts)
  seed_faults(b)
  walk_option_faults(b, len(path), False)
  b.fault("edge_types", "unknown", lambda: b.kw.__setitem__(
      "edge_types", b.choose(["nope", None, [], [path[0], "nope"]])))
  last = f.edge_types[path[-1]][1]
  breaks = [n for n in types if f.edge_types[n][0] != last]
  if breaks:
    b.fault("edge_types", "a type that does not chain", lambda: b.kw.update(
        edge_types=path + [b.choose(breaks)], length=len(path) + 2, p=1.0, q=1.0))

  def run(kw):
    kw = dict(kw)
    return np_outputs(tuple(f.sampler.sample_random_walks(kw.pop("edge_types"),
                                                          kw.pop("starts"), kw.pop("length"),
                                                          **kw)))

  def check(out, checks):
    check_walks(checks, tables, starts, out[0], out[1], length, "+".join(path))
  return b.finish(run, check)


# ---------------------------------------------------------------- dispatch

def generator(op):
  """The function (builder) -> Call of an op name."""
  table = {
      "ops.sample_neighbors": gen_sample_neighbors,
      "ops.sample_fanouts": gen_sample_fanouts,
      "ops.sample_full_neighbors": gen_sample_full_neighbors,
      "ops.sample_negatives": gen_sample_negatives,
      "NodeDistribution": gen_node_distribution,
      "CsrTable": gen_csr_table,
      "IdMapTable": gen_id_map_table,
      "CsrTable.neighbors": lambda b: gen_table_read(b, "neighbors"),
      "CsrTable.degree": lambda b: gen_table_read(b, "degree"),
      "CsrTable.edges_at": lambda b: gen_table_read(b, "edges_at"),
      "CsrTable.fingerprint": lambda b: gen_table_read(b, "fingerprint"),
      "IdMapTable.lookup": gen_id_map_lookup,
      "raw.tfgle_sample_neighbors": lambda b: gen_sample_neighbors(b, True),
      "raw.tfgle_sample_fanouts": lambda b: gen_sample_fanouts(b, True),
      "raw.tfgle_sample_full_neighbors": lambda b: gen_sample_full_neighbors(b, True),
      "raw.tfgle_sample_negatives": lambda b: gen_sample_negatives(b, True),
      "raw.tfgle_csr_init": lambda b: gen_csr_table(b, True),
      "raw.tfgle_csr_info": lambda b: gen_table_read(b, "info", True),
      "raw.tfgle_csr_neighbors": lambda b: gen_table_read(b, "neighbors", True),
      "raw.tfgle_csr_degree": lambda b: gen_table_read(b, "degree", True),
      "raw.tfgle_csr_edges_at": lambda b: gen_table_read(b, "edges_at", True),
      "raw.tfgle_csr_fingerprint": lambda b: gen_table_read(b, "fingerprint", True),
      "raw.tfgle_csr_handle": lambda b: gen_handle(b, "csr"),
      "raw.tfgle_id_map_handle": lambda b: gen_handle(b, "id_map"),
      "raw.tfgle_node_distribution_handle": lambda b: gen_handle(b, "node_distribution"),
      "raw.tfgle_id_map_init": lambda b: gen_id_map_table(b, True),
      "raw.tfgle_id_map_lookup": lambda b: gen_id_map_lookup(b, True),
      "raw.tfgle_id_map_size": gen_id_map_size,
      "raw.tfgle_node_distribution_init": lambda b: gen_node_distribution(b, True),
      "raw.tfgle_table_memory": gen_table_memory,
      "ops.gather_rows": gen_gather_rows,
      "raw.tfgle_gather_rows": lambda b: gen_gather_rows(b, True),
      "CsrTable.append": gen_csr_append,
      "CsrTable.remove_before": gen_csr_remove_before,
      "CsrTable.version": gen_csr_version,
      "IdMapTable.append": gen_id_map_append,
      "ops.sample_random_walks": gen_sample_random_walks,
      "sampler.sample_random_walks": gen_sampler_walks,
      "raw.tfgle_csr_append": lambda b: gen_csr_append(b, True),
      "raw.tfgle_csr_remove_before": lambda b: gen_csr_remove_before(b, True),
      "raw.tfgle_csr_version": lambda b: gen_csr_version(b, True),
      "raw.tfgle_id_map_append": lambda b: gen_id_map_append(b, True),
      "raw.tfgle_sample_random_walks": lambda b: gen_sample_random_walks(b, True),
  }
  if op in table:
    return table[op]
  if op.startswith("sampler."):
    return lambda b: gen_sampler(b, op.split(".", 1)[1])
  if op.startswith("partitioned."):
    return lambda b: gen_sampler(b, op.split(".", 1)[1], partitioned=True)
  raise KeyError(f"no generator for op {op!r}")
