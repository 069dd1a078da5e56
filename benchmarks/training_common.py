"""What the W4 training benchmarks share: their arguments, checks and output lines.

Imported by training_benchmark.py and the peers' peers/tfgnn_train.py and
peers/pyg_train.py; it imports neither TensorFlow nor PyTorch, so that the
PyG environment can use it.
"""
import argparse
import json
import os
import resource
import sys

import numpy as np

WORKLOADS = ("fit", "compute_only")


def parser(doc, *, workloads="fit,compute_only", threads=0,
           threads_help="intra- and inter-op threads (0: TensorFlow's default, all cores)"):
  """An ArgumentParser with the arguments every W4 script takes."""
  p = argparse.ArgumentParser(description=doc,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("data_dir")
  p.add_argument("--fanouts", default="10,5")
  p.add_argument("--batch", type=int, default=1024)
  p.add_argument("--hidden", type=int, default=128)
  p.add_argument("--steps", type=int, default=200, help="timed training steps")
  p.add_argument("--warmup", type=int, default=20, help="untimed training steps first")
  p.add_argument("--workloads", default=workloads, help="fit and/or compute_only")
  p.add_argument("--threads", type=int, default=threads, help=threads_help)
  p.add_argument("--cache-mb", type=float, default=2000.0,
                 help="memory for the compute-only workload's batches held in memory")
  p.add_argument("--learning-rate", type=float, default=1e-3)
  return p


def parse_ints(text, name):
  """The positive ints of the comma-separated `text` of argument --`name`."""
  try:
    values = [int(v) for v in text.split(",") if v.strip()]
  except ValueError:
    values = []
  if not values or any(v <= 0 for v in values):
    raise SystemExit(f"--{name} must be comma-separated positive ints, got {text!r}")
  return values


def checked(args, positive=("batch", "hidden", "steps")):
  """(fanouts, workloads) of parsed arguments, after checking them."""
  fanouts = parse_ints(args.fanouts, "fanouts")
  for name in positive:
    if getattr(args, name) <= 0:
      raise SystemExit(f"--{name.replace('_', '-')} must be positive, got "
                       f"{getattr(args, name)}")
  workloads = [w.strip().lower() for w in args.workloads.split(",") if w.strip()]
  if not workloads or set(workloads) - set(WORKLOADS):
    raise SystemExit(f"--workloads must name fit and/or compute_only, got {args.workloads!r}")
  return fanouts, workloads


def load_arrays(data_dir):
  """(edges int64 [E, 2], feats float32 [N, D], labels int64 [N], the number of classes) of
  the peers' arrays in `data_dir` (../shared/peers/gen_graph.py)."""
  edges = np.load(os.path.join(data_dir, "edges.npy"))
  feats = np.load(os.path.join(data_dir, "feats.npy"))
  labels = np.load(os.path.join(data_dir, "labels.npy")).astype(np.int64)
  return edges, feats, labels, int(labels.max()) + 1


def peak_rss_mb(children=False):
  who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
  return resource.getrusage(who).ru_maxrss / 1024.0


def run_workloads(system, workloads, fit, compute_only, **ratio_fields):
  """Runs fit() and compute_only() as `workloads` ask and prints the result line each
  returns, then their W4_fit_over_compute_only line when both ran."""
  results = {}
  for name, run in (("fit", fit), ("compute_only", compute_only)):
    if name in workloads:
      results[name] = run()
      print(json.dumps(results[name]), flush=True)
  if len(results) == 2:
    ratio = results["fit"]["seeds_per_s"] / results["compute_only"]["seeds_per_s"]
    print(json.dumps({"system": system, "workload": "W4_fit_over_compute_only",
                      "ratio": round(ratio, 4), **ratio_fields}), flush=True)


def exit_now(code=0):
  """Exits without the interpreter's teardown (TF's tf.data threads can hang it)."""
  sys.stdout.flush()
  sys.stderr.flush()
  os._exit(code)  # pylint: disable=protected-access
