"""A seeded random-input harness: every tfgle op, called raw, with random inputs.

Thousands of calls with random shapes, dtypes, values and attributes (ids out
of range, huge fanouts, wrong ranks, garbage strategies, wrong or missing
resources). Each call must return or raise a TensorFlow error (or TypeError /
ValueError while the op is built); it must never crash the process. The
harness runs in a subprocess, so a crash fails the test (naming the seed)
instead of killing pytest.

Run by hand: python tests/ops/test_ops_fuzz.py SEED NUM_CALLS
"""
import collections
import json
import os
import subprocess
import sys

import numpy as np

_CALLS = 6000
_SEEDS = (20261121,)


def run_harness(seed: int, num_calls: int) -> dict:
  """Makes num_calls random op calls; returns {op: {"ok": n, "error": n}}."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tfgle.ops._library import ops as raw  # pylint: disable=g-import-not-at-top
  from tfgle.ops.sampling import NodeDistribution  # pylint: disable=g-import-not-at-top
  from tfgle.ops.tables import CsrTable, IdMapTable  # pylint: disable=g-import-not-at-top

  rng = np.random.default_rng(seed)
  # ---- fixtures: tables of every kind, and handles that must be refused.
  def random_csr(num_src, num_dst, num_edges, **kwargs):
    src = rng.integers(0, max(num_src, 1), num_edges)
    dst = rng.integers(0, max(num_dst, 1), num_edges)
    return CsrTable(src, dst, num_src, num_dst, **kwargs)

  tables = [
      random_csr(20, 20, 150, weights=rng.random(150).astype(np.float32),
                 timestamps=rng.integers(0, 50, 150), order="timestamp"),
      random_csr(20, 20, 150, weights=rng.random(150).astype(np.float32), order="weight"),
      random_csr(20, 20, 150, timestamps=rng.integers(0, 50, 150), order="input"),
      random_csr(30, 20, 100),
      random_csr(20, 30, 100, weights=np.zeros(100, np.float32)),
      random_csr(5, 5, 0),
      random_csr(3, 3, 60),  # saturated rows
  ]
  failed_init = raw.tfgle_csr_handle(shared_name="fuzz_failed_init")
  try:
    raw.tfgle_csr_init(failed_init, [[0]], [[0]], tf.zeros([0], tf.int64),
                       tf.zeros([0], tf.float32), tf.zeros([0], tf.int64),
                       tf.constant(1, tf.int64), tf.constant(1, tf.int64))
  except tf.errors.InvalidArgumentError:
    pass
  id_map = IdMapTable(np.arange(20) * 3)
  bad_handles = [raw.tfgle_csr_handle(shared_name="fuzz_never_created"), failed_init,
                 id_map.resource_handle]
  distributions = [
      NodeDistribution(20), NodeDistribution(20, weights=rng.random(20)),
      NodeDistribution(20, categories=rng.integers(0, 4, 20)),
      NodeDistribution(20, weights=rng.random(20), categories=rng.integers(0, 4, 20)),
      NodeDistribution(30, weights=rng.random(30), categories=rng.integers(0, 4, 30)),
      NodeDistribution(5, weights=np.zeros(5)),
      NodeDistribution(0),
  ]

  # ---- random values: each argument is valid, or (with probability WILD) not.
  wild_p = 0.08

  def wild():
    return rng.random() < wild_p

  def choose(values):
    return values[rng.integers(len(values))]

  def some_int(low, high):
    """Mostly in [low, high); sometimes anything, huge or negative."""
    if not wild():
      return int(rng.integers(low, high))
    return int(choose([-1, 0, high, 2**36, 2**40, 2**62, -2**62, 2**63 - 1, -2**63]))

  def ints(shape, limit):
    n = int(np.prod(shape)) if shape else 1
    values = rng.integers(0, max(limit, 1), n)
    if wild():
      kinds = rng.random(n)
      values = np.where(kinds < 0.3, -1, values)
      values = np.where((kinds >= 0.3) & (kinds < 0.6), limit, values)
      values = np.where(kinds >= 0.9, rng.choice([2**62, -2**62, -2**63], n), values)
    return values.astype(np.int64).reshape(shape)

  def vector(limit, length=None):
    """An int64 vector of values in [0, limit); when wild: any rank, dtype, value."""
    if length is None:
      length = int(rng.integers(0, 12)) if rng.random() < 0.9 else int(rng.integers(0, 200))
    if not wild():
      return tf.constant(ints([length], limit), tf.int64)
    rank = int(rng.choice([0, 1, 2]))
    shape = [int(rng.integers(0, 6)) for _ in range(rank)]
    r = rng.random()
    if r < 0.6:
      return tf.constant(ints(shape, limit), tf.int64)
    if r < 0.75:
      return tf.constant(ints(shape, limit).astype(np.int32), tf.int32)
    if r < 0.9:
      return tf.constant(ints(shape, limit).astype(np.float32), tf.float32)
    return tf.constant(np.full(shape, "x", object), tf.string)

  def seed_tensor():
    if not wild():
      return tf.constant(rng.integers(-2**62, 2**62, 2), tf.int64)
    return vector(10, int(rng.integers(0, 4)))

  def before(length, t):
    """Per-id times for timed tables (half the time), else mostly none."""
    if (t is None or not t.timed or rng.random() < 0.5) and not wild():
      return tf.zeros([0], tf.int64)
    return vector(60, length)

  def table():
    """(handle, the table or None)."""
    if not wild():
      t = choose(tables)
      return t.resource_handle, t
    r = rng.random()
    if r < 0.7:
      return choose(bad_handles), None
    return choose(distributions).resource_handle, None

  def ids_for(t, limit_name="num_src"):
    return vector(getattr(t, limit_name) if t is not None else 20)

  def length(ids):
    return int(ids.shape[0]) if ids.shape.rank == 1 else None

  neighbor_strategies = ["random", "random_without_replacement", "edge_weight", "topk",
                         "in_degree"]
  negative_strategies = ["random", "in_degree", "node_weight", "conditional"]

  def strategy(valid):
    return choose(valid) if not wild() else choose(["full", "", "uniform", "x" * 100])

  def padding():
    return choose(["default", "circular"]) if not wild() else "x"

  # ---- one random call per op kind.
  def sample_neighbors():
    handle, t = table()
    ids = ids_for(t)
    return raw.tfgle_sample_neighbors(
        handle, ids, seed_tensor(), before(length(ids), t), fanout=some_int(1, 9),
        strategy=strategy(neighbor_strategies), padding=padding(),
        default_id=int(rng.integers(-3, 30)), return_edge_ids=bool(rng.random() < 0.7))

  def sample_fanouts():
    hops = int(rng.integers(1, 4)) if not wild() else int(rng.integers(0, 5))
    path = [table() for _ in range(hops)]
    # Mostly chain hops through tables whose node counts match.
    if path and path[0][1] is not None and rng.random() < 0.7:
      t = path[0][1]
      path = [(t.resource_handle, t)] * hops if t.num_src == t.num_dst else path
    ids = ids_for(path[0][1] if path else None)
    num_fanouts = hops if not wild() else int(rng.integers(0, 5))
    num_strategies = hops if not wild() else int(rng.integers(0, 5))
    return raw.tfgle_sample_fanouts(
        [h for h, _ in path], ids, seed_tensor(), before(length(ids), path[0][1] if path else None),
        fanouts=[some_int(1, 6) for _ in range(num_fanouts)],
        strategies=[strategy(neighbor_strategies) for _ in range(num_strategies)],
        padding=padding(), default_id=int(rng.integers(-3, 30)),
        return_edge_ids=bool(rng.random() < 0.7))

  def sample_full_neighbors():
    handle, t = table()
    ids = ids_for(t)
    return raw.tfgle_sample_full_neighbors(handle, ids, seed_tensor(), before(length(ids), t),
                                           max_neighbors=some_int(-1, 8))

  def sample_negatives():
    handle, t = table()
    ids = ids_for(t)
    name = strategy(negative_strategies)
    num_dist = int(name in ("node_weight", "conditional"))
    if wild():
      num_dist = int(rng.integers(0, 3))
    dists = [choose(distributions).resource_handle for _ in range(num_dist)]
    targets = (vector(5, length(ids)) if name == "conditional" or wild() else
               tf.zeros([0], tf.int64))
    exponent = float(rng.normal()) if not wild() else float(
        choose([np.inf, np.nan, 1e30, -1e30, 300.0]))
    return raw.tfgle_sample_negatives(
        handle, ids, seed_tensor(), dists, targets, num=some_int(1, 8), strategy=name,
        exponent=exponent, max_trials=some_int(1, 40))

  def node_distribution_init():
    handle = raw.tfgle_node_distribution_handle(shared_name=f"fuzz_dist_{rng.integers(1e9)}")
    n = some_int(0, 30)
    size = n if 0 <= n <= 1000 and not wild() else int(rng.integers(0, 40))
    weights = rng.random(size).astype(np.float32)
    if size and wild():
      weights[rng.integers(0, size, 2)] = choose([-1.0, np.inf, np.nan])
    result = raw.tfgle_node_distribution_init(
        handle, tf.constant(n, tf.int64),
        tf.constant(weights) if rng.random() < 0.5 else tf.zeros([0], tf.float32),
        vector(5, size) if rng.random() < 0.5 else tf.zeros([0], tf.int64))
    tf.raw_ops.DestroyResourceOp(resource=handle, ignore_lookup_error=True)
    return result

  def csr_init():
    handle = raw.tfgle_csr_handle(shared_name=f"fuzz_csr_{rng.integers(1e9)}")
    # Node counts stay small or impossible to allocate (>= 2^40): a count of a
    # few GB would be a legitimate request that this machine cannot hold.
    num_src, num_dst = [int(rng.integers(0, 30)) if not wild() else
                        int(choose([-1, 2**40, 2**62, -2**62])) for _ in range(2)]
    src = vector(num_src)
    n = length(src) if length(src) is not None else 3
    dst = vector(num_dst, n)
    weights = rng.random(n).astype(np.float32)
    result = raw.tfgle_csr_init(
        handle, src, dst, tf.zeros([0], tf.int64),
        tf.constant(weights) if rng.random() < 0.4 else tf.zeros([0], tf.float32),
        vector(50, n) if rng.random() < 0.3 else tf.zeros([0], tf.int64),
        tf.constant(num_src, tf.int64), tf.constant(num_dst, tf.int64),
        symmetric=bool(rng.random() < 0.3), order=choose(["input", "weight", "timestamp"]))
    tf.raw_ops.DestroyResourceOp(resource=handle, ignore_lookup_error=True)
    return result

  def csr_lookups():
    handle, t = table()
    kind = rng.integers(3)
    if kind == 0:
      direction = choose(["out", "in"])
      return raw.tfgle_csr_degree(handle, ids_for(t, "num_src" if direction == "out" else
                                                  "num_dst"), direction=direction)
    if kind == 1:
      return raw.tfgle_csr_neighbors(handle, ids_for(t))
    return raw.tfgle_id_map_lookup(id_map.resource_handle if not wild() else handle,
                                   vector(60), allow_missing=bool(rng.random() < 0.5))

  calls = [sample_neighbors, sample_fanouts, sample_full_neighbors, sample_negatives,
           node_distribution_init, csr_init, csr_lookups]
  weights = np.array([4, 4, 2, 4, 1, 1, 1], float)
  counts = collections.defaultdict(lambda: {"ok": 0, "error": 0})
  for _ in range(num_calls):
    call = calls[rng.choice(len(calls), p=weights / weights.sum())]
    try:
      call()
      counts[call.__name__]["ok"] += 1
    except (tf.errors.OpError, TypeError, ValueError) as e:
      counts[call.__name__]["error"] += 1
      if os.environ.get("TFGLE_FUZZ_VERBOSE"):
        print(call.__name__, type(e).__name__, str(e).split("[Op:")[0][-150:], file=sys.stderr)
  return dict(counts)


def test_random_inputs_never_crash():
  repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
  env = dict(os.environ, PYTHONPATH=repo + os.pathsep + os.environ.get("PYTHONPATH", ""),
             TF_CPP_MIN_LOG_LEVEL="3", TF_USE_LEGACY_KERAS="1")
  for seed in _SEEDS:
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), str(seed), str(_CALLS)],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=600,
                          check=False)
    assert proc.returncode == 0, (
        f"the harness with seed {seed} died with status {proc.returncode}:\n"
        f"{proc.stderr[-5000:]}")
    counts = json.loads(proc.stdout.strip().splitlines()[-1])
    assert sum(c["ok"] + c["error"] for c in counts.values()) == _CALLS
    for op, c in counts.items():
      # Both outcomes must occur, or the harness is not exercising the op.
      assert c["ok"] > 0 and c["error"] > 0, (op, c)


if __name__ == "__main__":
  print(json.dumps(run_harness(int(sys.argv[1]), int(sys.argv[2]))))
