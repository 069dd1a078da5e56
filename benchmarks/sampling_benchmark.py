"""Sampling throughput of tfgle on the peers' graph (../shared/peers/gen_graph.py).

usage:
  python benchmarks/sampling_benchmark.py DATA_DIR [--batch 1024] [--fanouts 10,5]
      [--batches 200] [--warmup 20] [--workloads w1,w2,w3] [--threads N]
      [--parallel-calls N] [--inter-threads N] [--consume python|graph|op]
      [--batches-per-call K] [--no-single-thread]

DATA_DIR holds edges.npy (int64 [E, 2] src, dst) and feats.npy (float32 [N, D]).
The graph is built through tfgle.Graph from those arrays: one node type "n"
with a D-dim FloatAttr "feature", one directed edge type "r" (hops follow
out-edges, as in the peers' benchmarks).

Each workload runs as a user would run it: a tf.data pipeline whose map
function takes the next batch of a shuffled traversal (stock TF ops), samples
with one tfgle op call per batch (stateless seeds [base, step]; W1/W2 ask for
node ids only, edge_ids=False) and, for W2, gathers the feature rows of every
node of the batch; the Python loop only counts. Workloads (batch 1024):
  W1_ids_2hop_<strategy>    2-hop fanouts [10, 5] of seed nodes, ids only, for
                            random and random_without_replacement
  W2_feat_2hop_<strategy>   W1 plus the D-dim features of seeds and sampled nodes
  W3_neg5_<strategy>        1024 seed edges, 5 negatives per source (true
                            neighbors rejected), random and in_degree
  W1_ids_2hop_random_1thread  W1 random with one intra-op thread (a subprocess)

Output: JSON lines on stdout, the schema of ../shared/peers/README.md:
  {"system": "tfgle", "workload": ..., "seeds_per_s": ..., "sampled_nodes_per_s": ...,
   "batches": ..., "seconds": ...} (+ diagnostics), after a {"event": "load"} line.
Seeds are seed nodes (W1/W2) or seed edges (W3); sampled nodes exclude seeds
(padding entries are counted as the peers count their default-id padding).
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position


def _peak_rss_mb():
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_seconds():
  t = os.times()
  return t.user + t.system


def _parse_args(argv):
  parser = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("data_dir")
  parser.add_argument("--batch", type=int, default=1024)
  parser.add_argument("--fanouts", default="10,5")
  parser.add_argument("--batches", type=int, default=200)
  parser.add_argument("--warmup", type=int, default=20)
  parser.add_argument("--min-seconds", type=float, default=3.0,
                      help="keep timing past --batches until this long")
  parser.add_argument("--negs", type=int, default=5)
  parser.add_argument("--workloads", default="w1,w2,w3")
  parser.add_argument("--w1-strategies", default="random,random_without_replacement")
  parser.add_argument("--w3-strategies", default="random,in_degree")
  parser.add_argument("--threads", type=int, default=0,
                      help="intra-op threads (0: TensorFlow's default, all cores)")
  parser.add_argument("--inter-threads", type=int, default=0,
                      help="inter-op threads (0: as --threads); tf.data's parallel map "
                           "runs its calls on this pool")
  parser.add_argument("--parallel-calls", type=int, default=2,
                      help="tf.data map num_parallel_calls (each op call is already sharded "
                           "over the intra-op pool)")
  parser.add_argument("--consume", choices=("python", "graph", "op"), default="python",
                      help="python: a Python loop takes every batch (as the peers' benchmarks "
                           "do); graph: a tf.function takes 50 batches per call (as Keras "
                           "fit with steps_per_execution does); op: no tf.data, a "
                           "tf.function calls the map function on 50 steps in a loop (the "
                           "ops' own throughput, to see what the pipeline costs)")
  parser.add_argument("--batches-per-call", type=int, default=1,
                      help="W1/W2: sample this many batches in one op call and split them "
                           "again (unbatch): fewer, larger calls")
  parser.add_argument("--no-single-thread", action="store_true",
                      help="skip the single-thread W1 line")
  parser.add_argument("--suffix", default="", help=argparse.SUPPRESS)
  parser.add_argument("--no-load-line", action="store_true", help=argparse.SUPPRESS)
  return parser.parse_args(argv)


def main(argv):
  args = _parse_args(argv)
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  if args.threads > 0:
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
  if args.inter_threads or args.threads:
    tf.config.threading.set_inter_op_parallelism_threads(args.inter_threads or args.threads)
  import tfgle  # pylint: disable=g-import-not-at-top

  fanouts = [int(f) for f in args.fanouts.split(",") if f]
  workloads = [w.strip().lower() for w in args.workloads.split(",") if w.strip()]
  w1_strategies = [s for s in args.w1_strategies.split(",") if s]
  w3_strategies = [s for s in args.w3_strategies.split(",") if s]

  t0 = time.perf_counter()
  edges = np.load(os.path.join(args.data_dir, "edges.npy"))
  num_nodes = int(edges.max()) + 1 if len(edges) else 0
  need_feats = "w2" in workloads
  nodes = {"id": np.arange(num_nodes, dtype=np.int64)}
  attrs = {}
  if need_feats:
    feats = np.load(os.path.join(args.data_dir, "feats.npy"))
    num_nodes = max(num_nodes, len(feats))
    nodes = {"id": np.arange(num_nodes, dtype=np.int64), "feature": feats[:num_nodes]}
    attrs = {"feature": tfgle.FloatAttr(dim=feats.shape[1])}
  graph = (tfgle.Graph()
           .node(nodes, node_type="n", decoder=tfgle.Decoder(attrs=attrs))
           .edge({"src_id": edges[:, 0], "dst_id": edges[:, 1]}, edge_type=("n", "n", "r"))
           .build())
  load_s = time.perf_counter() - t0
  num_edges = len(edges)
  edge_src = tf.constant(edges[:, 0])
  del edges
  if not args.no_load_line:
    print(json.dumps({"system": "tfgle", "event": "load", "data": args.data_dir,
                      "load_s": round(load_s, 2), "nodes": num_nodes, "edges": num_edges,
                      "peak_rss_mb": round(_peak_rss_mb(), 1), "nproc": os.cpu_count(),
                      "threads": args.threads or "tf-default"}), flush=True)

  rng = np.random.default_rng(20261121)
  node_order = tf.constant(rng.permutation(num_nodes).astype(np.int64))
  batch = args.batch

  def traversal(order, step, count=1):
    """Seeds of batches [step * count, (step + 1) * count) of a shuffled traversal (wraps
    around at epoch ends)."""
    n = tf.shape(order, out_type=tf.int64)[0]
    size = count * batch
    positions = (step * size + tf.range(size, dtype=tf.int64)) % n
    return tf.gather(order, positions)

  features = graph.feature_tensors("n").get("feature") if need_feats else None

  calls = args.batches_per_call

  def khop_fn(strategy, with_features):
    def fn(step):
      seeds = traversal(node_order, step, calls)
      hops = graph.sampler.sample_fanouts("r", seeds, fanouts, strategy=strategy,
                                      seed=tf.stack([tf.constant(7, tf.int64), step]),
                                      edge_ids=False)
      # [calls, ...]: every hop's rows of one batch are contiguous.
      split = lambda t: tf.reshape(t, [calls, -1] + t.shape.as_list()[1:])
      out = {"seeds": split(seeds), "hops": tuple(split(h.ids) for h in hops)}
      if with_features:
        every = tf.concat([out["seeds"]] + [tf.reshape(h, [calls, -1]) for h in out["hops"]],
                          1)
        out["features"] = graph.sampler.gather_features("n", tf.maximum(every, 0),
                                                        ["feature"])["feature"]
      return out if calls > 1 else tf.nest.map_structure(lambda t: t[0], out)
    return fn

  edge_order = None

  def neg_fn(strategy):
    def fn(step):
      edge_ids = traversal(edge_order, step)
      src = tf.gather(edge_src, edge_ids)
      negs = graph.sampler.sample_negatives("r", src, args.negs, strategy=strategy,
                                        seed=tf.stack([tf.constant(9, tf.int64), step]))
      return {"seeds": src, "hops": (negs.ids,), "mask": negs.mask}
    return fn

  jobs = []
  if "w1" in workloads:
    for s in w1_strategies:
      jobs.append((f"W1_ids_2hop_{s}", khop_fn(s, False)))
  if "w2" in workloads:
    for s in w1_strategies:
      jobs.append((f"W2_feat_2hop_{s}", khop_fn(s, True)))
  if "w3" in workloads:
    edge_order = tf.constant(rng.permutation(num_edges).astype(np.int64))
    for s in w3_strategies:
      jobs.append((f"W3_neg{args.negs}_{s}", neg_fn(s)))

  for name, fn in jobs:
    dataset = tf.data.Dataset.range(2**62).map(fn, num_parallel_calls=args.parallel_calls,
                                               deterministic=True)
    if calls > 1 and not name.startswith("W3"):
      dataset = dataset.unbatch()
    dataset = dataset.prefetch(2)
    iterator = iter(dataset)

    def sizes_of(out):
      """(seeds, sampled, feature rows, give-ups) of one batch, in-graph."""
      return tf.stack([
          tf.size(out["seeds"], tf.int64),
          tf.add_n([tf.size(h, tf.int64) for h in out["hops"]]),
          tf.shape(out["features"], tf.int64)[0] if "features" in out
          else tf.constant(0, tf.int64),
          tf.math.count_nonzero(tf.logical_not(out["mask"]), dtype=tf.int64)
          if "mask" in out else tf.constant(0, tf.int64)])

    chunk = 50
    if args.consume == "graph":
      @tf.function
      def take(iterator):
        """Sizes of `chunk` batches, summed in-graph."""
        totals = tf.zeros([4], tf.int64)
        for _ in tf.range(chunk):
          totals += sizes_of(next(iterator))
        return totals

      def next_sizes():
        return [int(x) for x in take(iterator).numpy()], chunk
    elif args.consume == "op":
      next_step = tf.Variable(0, dtype=tf.int64)

      @tf.function
      def run_steps(fn=fn):
        """Calls the map function on the next `chunk` steps, one after another."""
        totals = tf.zeros([4], tf.int64)
        for _ in tf.range(chunk):
          totals += sizes_of(fn(next_step.assign_add(1)))
        return totals

      def next_sizes():
        return [int(x) for x in run_steps().numpy()], chunk
    else:
      def next_sizes():
        out = next(iterator)
        mask = out.get("mask")
        return [int(out["seeds"].shape[0]),
                sum(int(np.prod(h.shape)) for h in out["hops"]),
                int(out["features"].shape[0]) if "features" in out else 0,
                int(np.size(mask) - np.count_nonzero(mask)) if mask is not None else 0], 1

    warm_t0 = time.perf_counter()
    warm = 0
    while warm < args.warmup:
      warm += next_sizes()[1]
    warmup_s = time.perf_counter() - warm_t0
    seeds = sampled = feature_rows = give_ups = 0
    num_batches = 0
    cpu0 = _cpu_seconds()
    t0 = time.perf_counter()
    while num_batches < args.batches or time.perf_counter() - t0 < args.min_seconds:
      (s, n, f, g), count = next_sizes()
      seeds += s
      sampled += n
      feature_rows += f
      give_ups += g
      num_batches += count
    seconds = time.perf_counter() - t0
    cpu = _cpu_seconds() - cpu0
    result = {"system": "tfgle", "workload": name + args.suffix,
              "seeds_per_s": round(seeds / seconds, 1),
              "sampled_nodes_per_s": round(sampled / seconds, 1),
              "batches": num_batches, "seconds": round(seconds, 4),
              "batch_size": batch, "seeds": seeds, "sampled_nodes": sampled,
              "ms_per_batch": round(1000 * seconds / num_batches, 3),
              "cpu_util": round(cpu / seconds, 2),
              "sampled_nodes_per_cpu_s": round(sampled / max(cpu, 1e-9), 1),
              "loadavg1": round(os.getloadavg()[0], 2), "warmup_batches": args.warmup,
              "warmup_s": round(warmup_s, 3), "threads": args.threads or "tf-default",
              "parallel_calls": args.parallel_calls, "consume": args.consume,
              "batches_per_call": calls,
              "peak_rss_mb": round(_peak_rss_mb(), 1)}
    if name.startswith("W3"):
      result["fanouts"] = [args.negs]
      result["give_ups"] = give_ups
    else:
      result["fanouts"] = fanouts
    if feature_rows:
      result["feature_rows_per_s"] = round(feature_rows / seconds, 1)
      dim = int(features.shape[1])
      result["feature_MBps"] = round(feature_rows * dim * 4 / seconds / 1e6, 1)
    print(json.dumps(result), flush=True)

  if "w1" in workloads and not args.no_single_thread and args.threads != 1:
    # One intra-op thread, in a fresh process (thread pools are fixed at start).
    cmd = [sys.executable, os.path.abspath(__file__), args.data_dir, "--batch", str(batch),
           "--fanouts", args.fanouts, "--batches", str(args.batches), "--warmup",
           str(args.warmup), "--workloads", "w1", "--w1-strategies", "random", "--threads", "1",
           "--suffix", "_1thread", "--no-load-line", "--no-single-thread", "--consume",
           args.consume, "--parallel-calls", "1", "--batches-per-call",
           str(args.batches_per_call)]
    subprocess.run(cmd, check=True)


if __name__ == "__main__":
  main(sys.argv[1:])
