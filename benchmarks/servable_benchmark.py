"""In-process latency of the graph servable (ids -> embeddings, neighborhoods sampled in the model).

usage:
  python benchmarks/servable_benchmark.py [DATA_DIR] [--nodes 100000] [--edges 2000000]
      [--fanouts 10,5] [--batch-sizes 1,64] [--calls 300] [--warmup 20] [--threads N]

The graph: DATA_DIR/edges.npy and feats.npy of ../shared/peers/gen_graph.py
(`gen_graph.py OUT --no-tsv`: 1M nodes, 20M edges, 64-d features), or without
DATA_DIR the same recipe generated in-process (tfgle.datasets.synthetic, the
bytes gen_graph.py writes) at --nodes / --edges (default 100k / 2M, about two
minutes here in all). One node type "n" with the 64-d feature "feat", one
directed edge type "r".

Steps:
  export   an EgoGraphSAGE ([64, 64], mean aggregator, untrained: latency does
           not depend on the weights) over 2 hops of "r" with --fanouts, written
           with tfgle.export.export_graph_servable (what
           training.bulk_inference.export_tower(servable=True) writes): seconds
           to build the graph and to export, SavedModel bytes.
  serve    a fresh process that imports TensorFlow only (no tfgle: the servable
           runs stock ops) loads the SavedModel and calls its serving_default
           signature, one request after another, for each --batch-sizes: --calls
           requests of that many uniformly drawn node ids after --warmup: p50,
           p90, p99 and max latency in ms, requests/s and ids/s, and the serving
           process's peak RSS (the SavedModel's variables included) and its RSS
           before loading (TensorFlow alone).

Output: JSON lines on stdout ({"system": "tfgle", "workload": ..., ...}), after
a {"event": "load"} line.
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position


def _status_mb(field):
  """A memory line of /proc/self/status ("VmHWM", "VmRSS") in MB, or None without /proc."""
  try:
    with open("/proc/self/status") as f:
      for line in f:
        if line.startswith(field + ":"):
          return int(line.split()[1]) / 1024.0
  except OSError:
    pass
  return None


def _peak_rss_mb():
  """This process's peak RSS: VmHWM (ru_maxrss would count a parent's before exec)."""
  peak = _status_mb("VmHWM")
  return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb():
  """This process's current RSS (0 without /proc)."""
  return _status_mb("VmRSS") or 0.0


def _ints(text, name):
  try:
    values = [int(v) for v in text.split(",") if v]
  except ValueError:
    raise SystemExit(f"--{name} must be comma-separated ints, got {text!r}") from None
  if not values or min(values) <= 0:
    raise SystemExit(f"--{name} must be positive ints, got {text!r}")
  return values


def _parse_args(argv):
  parser = argparse.ArgumentParser(description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument("data_dir", nargs="?", default=None,
                      help="a gen_graph.py output directory (edges.npy, feats.npy); default: "
                      "generate --nodes / --edges")
  parser.add_argument("--nodes", type=int, default=100_000)
  parser.add_argument("--edges", type=int, default=2_000_000)
  parser.add_argument("--fanouts", default="10,5")
  parser.add_argument("--batch-sizes", default="1,64", help="ids per request")
  parser.add_argument("--calls", type=int, default=300, help="timed requests per batch size")
  parser.add_argument("--warmup", type=int, default=20)
  parser.add_argument("--threads", type=int, default=0,
                      help="intra-op threads of the serving process (0: TensorFlow's default)")
  parser.add_argument("--keep", default=None,
                      help="write the SavedModel to this directory and keep it")
  parser.add_argument("--serve", default=None, help=argparse.SUPPRESS)  # the serving process
  parser.add_argument("--num-nodes", type=int, default=0, help=argparse.SUPPRESS)
  return parser.parse_args(argv)


def _graph(args):
  """(the built graph, what it is)."""
  import tfgle  # pylint: disable=g-import-not-at-top
  if args.data_dir:
    edges = np.load(os.path.join(args.data_dir, "edges.npy"))
    feats = np.load(os.path.join(args.data_dir, "feats.npy"))
    what = args.data_dir
  else:
    from tfgle.datasets.synthetic import generate_arrays  # pylint: disable=g-import-not-at-top
    arrays = generate_arrays(args.nodes, args.edges, dim=64)
    edges, feats = arrays.edges, arrays.feats
    what = f"generated {args.nodes} nodes, {args.edges} edges"
  graph = (tfgle.Graph()
           .node({"id": np.arange(len(feats), dtype=np.int64), "feat": feats}, node_type="n",
                 decoder=tfgle.Decoder(attrs={"feat": tfgle.FloatAttr(dim=feats.shape[1])}))
           .edge({"src_id": edges[:, 0], "dst_id": edges[:, 1]}, edge_type=("n", "n", "r"))
           .build())
  return graph, what


def _export(args, path):
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tfgle  # pylint: disable=g-import-not-at-top
  import tfgle.models  # pylint: disable=g-import-not-at-top,unused-import
  fanouts = _ints(args.fanouts, "fanouts")
  t0 = time.perf_counter()
  graph, what = _graph(args)
  build_s = time.perf_counter() - t0
  print(json.dumps({"system": "tfgle", "event": "load", "data": what,
                    "nodes": graph.num_nodes("n"), "edges": graph.num_edges("r"),
                    "nproc": os.cpu_count(), "build_s": round(build_s, 2),
                    "peak_rss_mb": round(_peak_rss_mb(), 1)}), flush=True)
  tf.get_logger().setLevel("ERROR")   # (Keras warns of every unbuilt dropout layer it saves)
  tf.keras.utils.set_random_seed(0)
  model = tfgle.models.EgoGraphSAGE.from_graph(graph, "n", hidden_dims=[64] * len(fanouts))
  spec = tfgle.data.ego_spec(graph, "n", ["r"] * len(fanouts), fanouts)
  # One call on a batch of tfgle's pipeline sets the model's input shapes (as training would).
  model(next(iter(tfgle.data.ego_graph_dataset(graph, None, ["r"] * len(fanouts), fanouts, 8,
                                               label=False, shuffle=False))))
  t0 = time.perf_counter()
  tfgle.export.export_graph_servable(path, model, graph, spec, ["feat"])
  export_s = time.perf_counter() - t0
  size = sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path)
             for f in files)
  print(json.dumps({"system": "tfgle", "workload": "servable_export", "fanouts": fanouts,
                    "model": "EgoGraphSAGE [64, 64] mean", "export_s": round(export_s, 2),
                    "saved_model_mb": round(size / 2**20, 1),
                    "peak_rss_mb": round(_peak_rss_mb(), 1)}), flush=True)
  return graph.num_nodes("n"), fanouts


def _serve(args):
  """The serving process: loads the SavedModel with TensorFlow alone and times requests."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  if args.threads > 0:
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
  if "tfgle" in sys.modules:
    raise RuntimeError("the serving process must not import tfgle")
  rss_before_load = _rss_mb()
  t0 = time.perf_counter()
  loaded = tf.saved_model.load(args.serve)
  serve = loaded.signatures["serving_default"]
  load_s = time.perf_counter() - t0
  rng = np.random.default_rng(20261204)
  for batch in _ints(args.batch_sizes, "batch-sizes"):
    requests = [tf.constant(rng.integers(0, args.num_nodes, batch), tf.int64)
                for _ in range(args.warmup + args.calls)]
    latencies = []
    t_all = time.perf_counter()
    for i, ids in enumerate(requests):
      if i == args.warmup:
        t_all = time.perf_counter()
      t = time.perf_counter()
      out = serve(ids=ids)
      embeddings = out["embeddings"].numpy()
      if i >= args.warmup:
        latencies.append(time.perf_counter() - t)
      if not out["found"].numpy().all() or embeddings.shape[0] != batch:
        raise RuntimeError(f"the servable did not find every id of a request of {batch}")
    seconds = time.perf_counter() - t_all
    ms = np.array(latencies) * 1000
    print(json.dumps({
        "system": "tfgle", "workload": "servable_latency", "batch_ids": batch,
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p90_ms": round(float(np.percentile(ms, 90)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
        "max_ms": round(float(ms.max()), 3), "mean_ms": round(float(ms.mean()), 3),
        "requests_per_s": round(len(ms) / seconds, 1),
        "ids_per_s": round(len(ms) * batch / seconds, 1), "calls": len(ms),
        "embedding_dim": int(embeddings.shape[1]), "load_s": round(load_s, 2),
        "threads": args.threads or "tf-default", "loadavg1": round(os.getloadavg()[0], 2),
        "serving_peak_rss_mb": round(_peak_rss_mb(), 1),
        "serving_rss_before_load_mb": round(rss_before_load, 1)}), flush=True)


def main(argv):
  args = _parse_args(argv)
  if args.serve:
    _serve(args)
    return
  if args.calls <= 0 or args.warmup < 0:
    raise SystemExit(f"--calls must be > 0 and --warmup >= 0, got {args.calls}, {args.warmup}")
  _ints(args.batch_sizes, "batch-sizes")
  directory = args.keep or tempfile.mkdtemp(prefix="tfgle_servable_")
  path = os.path.join(directory, "graph_servable")
  try:
    num_nodes, _ = _export(args, path)
    # Serve in a fresh process: its memory is the servable's alone, and it runs without tfgle.
    command = [sys.executable, os.path.abspath(__file__), "--serve", path,
               "--num-nodes", str(num_nodes), "--batch-sizes", args.batch_sizes,
               "--calls", str(args.calls), "--warmup", str(args.warmup),
               "--threads", str(args.threads)]
    subprocess.run(command, check=True)
  finally:
    if not args.keep:
      shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
  main(sys.argv[1:])
