"""Update ingest of a live CSR table while a W1 sampling pipeline reads it.

usage:
  python benchmarks/update_benchmark.py DATA_DIR [--batch 512] [--fanouts 10,5]
      [--update-fraction 0.1] [--update-batches 10000,100000] [--rate 0]
      [--min-seconds 3] [--threads N] [--via table|graph]

DATA_DIR holds edges.npy (int64 [E, 2] src, dst), as written by
../shared/peers/gen_graph.py (1M nodes / 20M edges by default; smaller with
--nodes / --edges there). A random --update-fraction of the edges is held
out; the rest is the graph the updates start from.

Phases, each printing one JSON line:
  static          W1 on a table built at once from all the edges: the baseline.
  update_ingest   for each --update-batches size, a table built from the other
                  edges takes the held-out ones in appends of that many edges
                  (in a thread), as fast as it can or at --rate edges/s, while
                  W1 runs: edges/s appended, append latency, and W1's seeds/s
                  during the updates as a ratio to static (goal >= 0.70).
                  --via table appends to a CsrTable (CsrTable.append); --via
                  graph builds a tfgle.Graph (node type "n", edge type "r")
                  and adds each batch with Graph.add_edges (reading and
                  checking the arrays, then appending to the graph's table in
                  place), while W1 samples through the graph's sampler in a
                  pipeline made before the first update.
  after_updates   W1 on the updated table (the same content as static: its
                  fingerprint must match) as a ratio to static (goal >= 0.95).

W1 is sampling_benchmark.py's W1 random: a tf.data pipeline whose map function
takes the next batch of a shuffled traversal of the nodes and samples 2-hop
fanouts [10, 5] uniformly with replacement, ids only (one op call per batch);
a Python loop consumes it.

Output: JSON lines on stdout ({"system": "tfgle", "workload": ..., ...}), after
a {"event": "load"} line. Quote ratios measured back to back on an idle machine.
"""
import argparse
import gc
import json
import os
import resource
import sys
import threading
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position


def _peak_rss_mb():
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _parse_args(argv):
  parser = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("data_dir")
  parser.add_argument("--batch", type=int, default=512)
  parser.add_argument("--fanouts", default="10,5")
  parser.add_argument("--update-fraction", type=float, default=0.1,
                      help="share of the edges held out and appended as updates")
  parser.add_argument("--update-batches", default="10000,100000",
                      help="edges per append, one update phase per size")
  parser.add_argument("--rate", type=float, default=0,
                      help="target ingest in edges/s (0: append back to back)")
  parser.add_argument("--min-seconds", type=float, default=3.0,
                      help="time the static and after phases at least this long")
  parser.add_argument("--warmup", type=int, default=20, help="W1 batches before timing")
  parser.add_argument("--parallel-calls", type=int, default=2)
  parser.add_argument("--threads", type=int, default=0,
                      help="intra-op threads (0: TensorFlow's default, all cores)")
  parser.add_argument("--via", choices=("table", "graph"), default="table",
                      help="append to a CsrTable, or add edges to a tfgle.Graph")
  return parser.parse_args(argv)


def main(argv):
  args = _parse_args(argv)
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  if args.threads > 0:
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
  import tfgle  # pylint: disable=g-import-not-at-top

  fanouts = [int(f) for f in args.fanouts.split(",") if f]
  update_batches = [int(b) for b in args.update_batches.split(",") if b]
  if not 0 < args.update_fraction < 1:
    raise ValueError(f"--update-fraction must be in (0, 1), got {args.update_fraction}")
  if any(b <= 0 for b in update_batches):
    raise ValueError(f"--update-batches must be positive, got {args.update_batches!r}")

  edges = np.load(os.path.join(args.data_dir, "edges.npy"))
  num_nodes = int(edges.max()) + 1 if len(edges) else 0
  rng = np.random.default_rng(20261203)
  held = np.zeros(len(edges), bool)
  held[rng.choice(len(edges), int(len(edges) * args.update_fraction), replace=False)] = True
  base, updates = edges[~held], edges[held][rng.permutation(int(held.sum()))]
  del edges, held
  # Edge ids: base edges 0.., then the updates in the order they are appended.
  base_src, base_dst = np.ascontiguousarray(base[:, 0]), np.ascontiguousarray(base[:, 1])
  upd_src, upd_dst = np.ascontiguousarray(updates[:, 0]), np.ascontiguousarray(updates[:, 1])
  del base, updates
  num_base, num_updates = len(base_src), len(upd_src)
  print(json.dumps({"system": "tfgle", "event": "load", "data": args.data_dir,
                    "nodes": num_nodes, "edges": num_base + num_updates,
                    "update_edges": num_updates, "nproc": os.cpu_count(),
                    "threads": args.threads or "tf-default",
                    "peak_rss_mb": round(_peak_rss_mb(), 1)}), flush=True)

  node_order = tf.constant(rng.permutation(num_nodes).astype(np.int64))
  batch = args.batch

  def w1_iterator(csr):
    """W1 over a CsrTable, or through the sampler of a tfgle.Graph."""
    def fn(step):
      positions = (step * batch + tf.range(batch, dtype=tf.int64)) % num_nodes
      seeds = tf.gather(node_order, positions)
      seed = tf.stack([tf.constant(7, tf.int64), step])
      if isinstance(csr, tfgle.Graph):
        hops = csr.sampler.sample_fanouts("r", seeds, fanouts, strategy="random", seed=seed,
                                          edge_ids=False)
      else:
        hops = tfgle.ops.sample_fanouts([csr] * len(fanouts), seeds, fanouts,
                                        strategy="random", seed=seed, edge_ids=False)
      return tuple(h.ids for h in hops)
    dataset = (tf.data.Dataset.range(2**62)
               .map(fn, num_parallel_calls=args.parallel_calls, deterministic=True)
               .prefetch(2))
    iterator = iter(dataset)
    for _ in range(args.warmup):
      next(iterator)
    return iterator

  sampled_per_batch = batch * sum(int(np.prod(fanouts[:i + 1])) for i in range(len(fanouts)))

  def run_w1(iterator, keep_going):
    """Consumes W1 batches while keep_going(batches, seconds); returns (batches, seconds)."""
    count = 0
    t0 = time.perf_counter()
    while keep_going(count, time.perf_counter() - t0):
      next(iterator)
      count += 1
    return count, time.perf_counter() - t0

  def w1_line(phase, count, seconds, **extra):
    line = {"system": "tfgle", "workload": "W1_ids_2hop_random", "phase": phase,
            "seeds_per_s": round(count * batch / seconds, 1),
            "sampled_nodes_per_s": round(count * sampled_per_batch / seconds, 1),
            "batches": count, "seconds": round(seconds, 3), "batch_size": batch,
            "fanouts": fanouts, "loadavg1": round(os.getloadavg()[0], 2)}
    line.update(extra)
    line["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    print(json.dumps(line), flush=True)
    return line

  def min_time(count, seconds):
    return count < 20 or seconds < args.min_seconds

  # ---------------------------------------------------------------- static
  t0 = time.perf_counter()
  static = tfgle.ops.CsrTable(np.concatenate([base_src, upd_src]),
                              np.concatenate([base_dst, upd_dst]), num_nodes, num_nodes)
  build_s = time.perf_counter() - t0
  static_fingerprint = static.fingerprint()
  count, seconds = run_w1(w1_iterator(static), min_time)
  static_rate = w1_line("static", count, seconds, build_s=round(build_s, 2))["seeds_per_s"]
  del static
  gc.collect()

  # ---------------------------------------------------------------- updates
  for batch_edges in update_batches:
    if args.via == "graph":
      target = (tfgle.Graph().node({"id": np.arange(num_nodes, dtype=np.int64)}, node_type="n")
                .edge({"src_id": base_src, "dst_id": base_dst}, edge_type=("n", "n", "r"))
                .build())
      csr = target.csr("r")
    else:
      csr = target = tfgle.ops.CsrTable(base_src, base_dst, num_nodes, num_nodes)
    iterator = w1_iterator(target)
    latencies = []
    finished = threading.Event()
    errors = []

    def append_all(csr=csr, target=target, batch_edges=batch_edges, latencies=latencies,
                   finished=finished, errors=errors):
      try:
        start = time.perf_counter()
        for begin in range(0, num_updates, batch_edges):
          end = min(begin + batch_edges, num_updates)
          if args.rate > 0:  # pace: this batch is due when `begin` edges were due
            delay = start + begin / args.rate - time.perf_counter()
            if delay > 0:
              time.sleep(delay)
          t = time.perf_counter()
          if args.via == "graph":  # edge ids: the graph numbers new edges on from num_base
            target.add_edges("r", {"src_id": upd_src[begin:end], "dst_id": upd_dst[begin:end]})
          else:
            csr.append(upd_src[begin:end], upd_dst[begin:end],
                       edge_ids=np.arange(num_base + begin, num_base + end))
          latencies.append(time.perf_counter() - t)
      except Exception as e:  # pylint: disable=broad-except
        errors.append(e)
      finally:
        finished.set()

    updater = threading.Thread(target=append_all)
    t_start = time.perf_counter()
    updater.start()
    count, seconds = run_w1(iterator, lambda count, seconds: not finished.is_set())
    updater.join()
    ingest_s = time.perf_counter() - t_start
    if errors:
      raise errors[0]
    lat_ms = np.array(latencies) * 1000
    print(json.dumps({
        "system": "tfgle", "workload": "update_ingest", "via": args.via,
        "batch_edges": batch_edges,
        "edges_per_s": round(num_updates / ingest_s, 1), "appends": len(latencies),
        "edges": num_updates, "seconds": round(ingest_s, 3),
        "append_ms_p50": round(float(np.percentile(lat_ms, 50)), 2),
        "append_ms_max": round(float(lat_ms.max()), 2),
        "append_busy_fraction": round(float(lat_ms.sum() / 1000 / ingest_s), 3),
        "rate_target": args.rate or "unpaced", "table_edges_after": csr.num_edges,
        "peak_rss_mb": round(_peak_rss_mb(), 1)}), flush=True)
    if count:
      w1_line("during_updates", count, seconds, batch_edges=batch_edges, via=args.via,
              ratio_to_static=round(count * batch / seconds / static_rate, 3))
    else:
      print(json.dumps({"system": "tfgle", "workload": "W1_ids_2hop_random",
                        "phase": "during_updates", "batch_edges": batch_edges,
                        "batches": 0, "note": "the updates ended before one W1 batch"}),
            flush=True)
    count, seconds = run_w1(iterator, min_time)
    w1_line("after_updates", count, seconds, batch_edges=batch_edges, via=args.via,
            ratio_to_static=round(count * batch / seconds / static_rate, 3),
            fingerprint_matches_static=csr.fingerprint() == static_fingerprint)
    del iterator, csr, target
    gc.collect()


if __name__ == "__main__":
  main(sys.argv[1:])
