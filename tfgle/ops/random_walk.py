"""Random walks on in-graph tables: DeepWalk (uniform), node2vec (biased) and meta-path walks.

`sample_random_walks` takes CsrTables and tensors, like the other wrappers of
`tfgle.ops`; a `tfgle.graph.Sampler` calls it by edge type name
(`graph.sampler.sample_random_walks("cites", starts, 80, p=0.25, q=4, seed=1)`).
Walks work on DENSE NODE INDICES and are stateless: the same seed and starts
give bit-identical walks whatever the number of threads.

node2vec's second-order bias (Grover & Leskovec 2016) is sampled by rejection,
as KnightKing and PyG's torch-cluster do, without per-edge alias tables: a
proposal (a uniform neighbor of the current node) is accepted with probability
alpha / max(1/p, 1, 1/q), where alpha is 1/p for a return to the previous node,
1 for a neighbor of the previous node and 1/q otherwise. The membership tests
use the table's neighbor hash sets (built once per table on the first biased
walk, at most 8 bytes per edge of rows with more than 16 neighbors plus 8
bytes per node, shared with negative sampling). Walks ignore edge weights.

Example:
  csr = g.csr("cites")
  walks = tfgle.ops.sample_random_walks(csr, g.to_index("paper", [1, 2]), 80,
                                        p=0.25, q=4.0, seed=[7, step])
  walks.ids    # int64 [2, 81]: the starts, then a node per step (-1 after a dead end)
  walks.mask   # bool [2, 81]: False after a dead end
"""
from __future__ import annotations

import math
import numbers
from typing import NamedTuple, Sequence, Union

import numpy as np
import tensorflow as tf

from tfgle.ops._library import ops
from tfgle.ops.sampling import int64_vector, seed_tensor
from tfgle.ops.tables import CsrTable

# The largest max(1/p, 1, 1/q) / min(1/p, 1, 1/q) (custom_ops/core/random_walk.h):
# it bounds the expected proposals per step.
MAX_BIAS_RATIO = 1e4


class RandomWalks(NamedTuple):
  """Walks [B, length + 1]: column 0 the starts, column s the node after step s.

  ids: int64 dense node indices; -1 after a walk reached a node without
    out-neighbors (the walk ends there).
  mask: bool, True where ids holds a node.
  """
  ids: tf.Tensor
  mask: tf.Tensor


def sample_random_walks(tables: Union[CsrTable, Sequence[CsrTable]], starts, length: int, *,
                        p: float = 1.0, q: float = 1.0, seed) -> RandomWalks:
  """Random walks of `length` steps from each start, in one op call.

  With p = q = 1 every step moves to a uniform out-neighbor (DeepWalk). Else
  node2vec's second-order bias applies from the second step on: a walk that
  came from t to v moves to a neighbor x of v with probability ∝ 1/p if
  x == t, 1 if x is an out-neighbor of t, 1/q otherwise (low p: stay local,
  BFS-like; low q: move outward, DFS-like). A walk at a node without
  out-neighbors ends: the rest of its row is -1 (mask False).

  Several tables walk a meta-path cyclically: step s follows
  tables[(s - 1) % len(tables)] (for example ["buys", "bought_by"]: user,
  item, user, item, ...); such walks are uniform (p = q = 1).

  Example:
    walks = sample_random_walks(g.csr("cites"), tf.range(100, dtype=tf.int64), 10, seed=1)
    walks.ids.shape   # [100, 11]

  Args:
    tables: a CsrTable, or a list of them (a meta-path; each table's
      destination nodes are the next one's source nodes, and the last one's
      the first one's when the walk is longer than the list).
    starts: int [B] dense indices of source nodes of tables[0].
    length: steps per walk (> 0).
    p: node2vec's return parameter (finite, > 0).
    q: node2vec's in-out parameter (finite, > 0). max(1/p, 1, 1/q) /
      min(1/p, 1, 1/q) must be at most 10^4 (it bounds the expected
      rejections per step).
    seed: a Python int or an int64 tensor [2].

  Returns:
    RandomWalks(ids, mask), each [B, length + 1].

  Raises:
    ValueError: on no tables or a non-table, tables that do not chain, a bad
      length, p or q, a bias with several tables, a bad seed or starts of
      another rank.
    TypeError: on starts that are not integers.
    tf.errors.InvalidArgumentError: on starts out of [0, number of source
      nodes) (naming the index and the range), or B x (length + 1) too large.
  """
  tables = check_walk_tables(tables)
  check_walk_options(length, p, q, len(tables))
  for step, a, b in consecutive_steps(tables, length):
    if a.num_dst != b.num_src:
      raise ValueError(
          f"tables do not chain: step {step} follows {a.name!r} to its {a.num_dst} destination "
          f"nodes, but step {step + 1} follows {b.name!r}, which has {b.num_src} source nodes")
  starts = int64_vector(starts, "starts")
  walks = ops.tfgle_sample_random_walks([t.resource_handle for t in tables], starts,
                                        seed_tensor(seed), length=int(length), p=float(p),
                                        q=float(q))
  return RandomWalks(walks, walks >= 0)


def consecutive_steps(path: Sequence, length: int) -> list:
  """(step s, what step s follows, what step s + 1 follows) for a walk of `length`
  steps that cycles through `path`, for each such pair that has to chain."""
  return [(i + 1, path[i], path[(i + 1) % len(path)])
          for i in range(min(length - 1, len(path)))]


def check_walk_tables(tables) -> list:
  """`tables` as a non-empty list of CsrTables (one table stands for a list of one)."""
  if isinstance(tables, CsrTable):
    return [tables]
  if not isinstance(tables, (list, tuple)) or not tables:
    raise ValueError(f"tables must be a CsrTable or a non-empty list of them, got {tables!r}")
  for i, table in enumerate(tables):
    if not isinstance(table, CsrTable):
      raise ValueError(f"tables[{i}] must be a CsrTable, got {table!r}")
  return list(tables)


def check_walk_options(length, p, q, num_edge_types: int = 1):
  """Raises ValueError unless `length`, `p` and `q` are valid walk options.

  Args:
    length: steps per walk: an int > 0.
    p, q: finite numbers > 0 within MAX_BIAS_RATIO (see sample_random_walks).
    num_edge_types: edge types the walk cycles through; a bias needs one.
  """
  if not isinstance(length, numbers.Integral) or isinstance(length, bool) or length <= 0:
    raise ValueError(f"length must be a positive int (steps per walk), got {length!r}")
  if length >= 2**40:
    raise ValueError(f"length must be less than 2^40, got {length!r}")
  for name, value in (("p", p), ("q", q)):
    if (not isinstance(value, numbers.Real) or isinstance(value, bool)
        or not math.isfinite(value) or value <= 0):
      raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
  # The op takes float32 attributes: check what it will see.
  with np.errstate(over="ignore", under="ignore"):
    p32, q32 = float(np.float32(p)), float(np.float32(q))
  if p32 <= 0 or q32 <= 0 or not math.isfinite(p32) or not math.isfinite(q32):
    raise ValueError(f"p and q must be representable as float32 numbers > 0, got p={p!r}, "
                     f"q={q!r}")
  weights = (1 / p32, 1.0, 1 / q32)
  ratio = max(weights) / min(weights)
  if ratio > MAX_BIAS_RATIO * (1 + 1e-6):  # (the op's slack for float32 rounding)
    raise ValueError(
        f"p={p!r} and q={q!r} give max(1/p, 1, 1/q) / min(1/p, 1, 1/q) = {ratio:g}, more than "
        f"the {MAX_BIAS_RATIO:g} that rejection sampling allows (the expected proposals per "
        "step can reach it)")
  if (p32 != 1 or q32 != 1) and num_edge_types != 1:
    raise ValueError(
        f"node2vec's bias (p={p!r}, q={q!r}) needs a single edge type between nodes of one "
        f"type, got {num_edge_types} edge types; walks along a meta-path are uniform "
        "(p = q = 1)")
