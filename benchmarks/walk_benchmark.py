"""Random-walk throughput of tfgle (DeepWalk and node2vec walks) on the peers' synthetic graph.

usage:
  python benchmarks/walk_benchmark.py [DATA_DIR] [--nodes 1000000] [--edges 20000000]
      [--length 80] [--walks 10000] [--batches 20] [--warmup 2] [--min-seconds 3]
      [--threads N] [--no-single-thread]

The graph: DATA_DIR/edges.npy of ../shared/peers/gen_graph.py, or without
DATA_DIR the same graph generated in-process by tfgle.datasets.synthetic's
copy of its recipe (byte-identical edges) with --nodes/--edges (default 1M
nodes, 20M edges; for example --nodes 100000 --edges 2000000 for a quick run).
It is built as one node type "n" and one DIRECTED edge type "r" (walks follow
out-edges, as the peers' hops do): sources and destinations share one
popularity ranking, so walks soon reach hubs of thousands of out-edges, and a
few reach nodes without out-edges, where they end.

Workloads (one op call per batch of --walks walks from uniformly drawn starts,
stateless seeds [base, batch]):
  walk<L>_p1_q1        uniform walks (DeepWalk)
  walk<L>_p0.25_q4     node2vec-biased walks (rejection sampling; the first
                       call builds the table's neighbor hash sets, reported as
                       first_call_s and excluded from the rates)
  ..._1thread          the same with one intra-op thread (a subprocess)

Output: JSON lines on stdout, after a {"event": "load"} line:
  {"system": "tfgle", "workload": ..., "steps_per_s": walks x length per second,
   "taken_steps_per_s": steps actually walked (dead ends excluded) per second,
   "walks_per_s", "dead_end_fraction", "batches", "seconds", "first_call_s",
   "peak_rss_mb", "threads"}
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

WORKLOADS = ((1.0, 1.0), (0.25, 4.0))


def _peak_rss_mb():
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _parse_args(argv):
  parser = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("data_dir", nargs="?", default=None,
                      help="a gen_graph.py output directory (edges.npy); default: generate")
  parser.add_argument("--nodes", type=int, default=1_000_000)
  parser.add_argument("--edges", type=int, default=20_000_000)
  parser.add_argument("--length", type=int, default=80)
  parser.add_argument("--walks", type=int, default=10_000, help="walks per op call")
  parser.add_argument("--batches", type=int, default=20)
  parser.add_argument("--warmup", type=int, default=2)
  parser.add_argument("--min-seconds", type=float, default=3.0,
                      help="keep timing past --batches until this long")
  parser.add_argument("--threads", type=int, default=0,
                      help="intra-op threads (0: TensorFlow's default, all cores)")
  parser.add_argument("--no-single-thread", action="store_true",
                      help="skip the single-thread lines")
  parser.add_argument("--suffix", default="", help=argparse.SUPPRESS)
  parser.add_argument("--no-load-line", action="store_true", help=argparse.SUPPRESS)
  return parser.parse_args(argv)


def _edges(args):
  if args.data_dir:
    return np.load(os.path.join(args.data_dir, "edges.npy")), args.data_dir
  # pylint: disable-next=g-import-not-at-top
  from tfgle.datasets.synthetic import generate_arrays
  arrays = generate_arrays(args.nodes, args.edges, dim=1)
  return arrays.edges, f"generated {args.nodes} nodes, {args.edges} edges"


def main(argv):
  args = _parse_args(argv)
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  if args.threads > 0:
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
  import tfgle  # pylint: disable=g-import-not-at-top

  t0 = time.perf_counter()
  edges, source = _edges(args)
  num_nodes = (int(edges.max()) + 1 if len(edges) else 0) if args.data_dir else args.nodes
  graph = (tfgle.Graph()
           .node({"id": np.arange(num_nodes, dtype=np.int64)}, node_type="n")
           .edge({"src_id": edges[:, 0], "dst_id": edges[:, 1]}, edge_type=("n", "n", "r"))
           .build())
  num_edges = len(edges)
  del edges
  if not args.no_load_line:
    print(json.dumps({"system": "tfgle", "event": "load", "data": source,
                      "load_s": round(time.perf_counter() - t0, 2), "nodes": num_nodes,
                      "edges": num_edges, "peak_rss_mb": round(_peak_rss_mb(), 1),
                      "nproc": os.cpu_count(), "threads": args.threads or "tf-default"}),
          flush=True)

  csr = graph.csr("r")
  rng = np.random.default_rng(20261203)
  for p, q in WORKLOADS:
    def walk(step, p=p, q=q):
      starts = rng.integers(0, num_nodes, args.walks)
      return tfgle.ops.sample_random_walks(csr, starts, args.length, p=p, q=q,
                                           seed=[11, step])
    t = time.perf_counter()
    walk(0).ids.numpy()
    first_call_s = time.perf_counter() - t
    for step in range(1, args.warmup + 1):
      walk(step).ids.numpy()
    taken = 0
    batches = 0
    t = time.perf_counter()
    while batches < args.batches or time.perf_counter() - t < args.min_seconds:
      walks = walk(args.warmup + 1 + batches)
      taken += int(tf.math.count_nonzero(walks.mask[:, 1:]))
      batches += 1
    seconds = time.perf_counter() - t
    requested = batches * args.walks * args.length
    print(json.dumps({
        "system": "tfgle", "workload": f"walk{args.length}_p{p:g}_q{q:g}{args.suffix}",
        "steps_per_s": round(requested / seconds), "taken_steps_per_s": round(taken / seconds),
        "walks_per_s": round(batches * args.walks / seconds),
        "dead_end_fraction": round(1 - taken / requested, 4), "batches": batches,
        "seconds": round(seconds, 2), "first_call_s": round(first_call_s, 2),
        "peak_rss_mb": round(_peak_rss_mb(), 1), "threads": args.threads or "tf-default"}),
          flush=True)

  if not args.no_single_thread and args.threads != 1:
    forwarded = ([args.data_dir] if args.data_dir else []) + [
        f"--{name.replace('_', '-')}={getattr(args, name)}"
        for name in ("nodes", "edges", "length", "walks", "batches", "warmup", "min_seconds")]
    subprocess.run([sys.executable, os.path.abspath(__file__), *forwarded, "--threads=1",
                    "--no-single-thread", "--suffix=_1thread", "--no-load-line"], check=True)


if __name__ == "__main__":
  main(sys.argv[1:])
