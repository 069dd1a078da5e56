"""Snapshot benchmark: Graph.save / Graph.load against building the same graph from TSV.

usage: python benchmarks/snapshot_benchmark.py [--nodes=N] [--edges=E] [--dim=D] [--dir=DIR]

Writes a random graph (N nodes with D-dim float features and a label, E
weighted edges) as TSV tables, builds it from them, saves a snapshot and loads
it, each in a fresh subprocess that first builds a tiny graph (so every step
has TensorFlow and the op library loaded, and none inherits another's caches).
Prints one JSON line per step:
  {"system": "tfgle", "workload": "build_tsv" | "snapshot_save" | "snapshot_load"
   | "snapshot_load_unverified", "nodes", "edges", "seconds", "edges_per_s",
   "peak_rss_mb", "bytes" (snapshot size, for save), "speedup_vs_tsv" (loads)}
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

_STEP = r"""
import json, os, resource, sys, time
import numpy as np
import tfgle
step, data, snap = sys.argv[1:4]
# Warm up: load the op library and TensorFlow's kernels on a tiny graph first.
tfgle.Graph().node({"id": np.arange(2)}, node_type="n").edge(
    {"src_id": np.array([0]), "dst_id": np.array([1])}, edge_type=("n", "n", "e")).build()
start = time.perf_counter()
if step == "build_tsv" or step == "snapshot_save":
  g = (tfgle.Graph()
       .node(os.path.join(data, "vertices.tsv"), node_type="n", decoder=tfgle.Decoder(
           label="label", attrs={"feature": tfgle.FloatAttr(dim=int(sys.argv[4]))}))
       .edge(os.path.join(data, "edges.tsv"), edge_type=("n", "n", "e"),
             decoder=tfgle.Decoder(weight="weight"))
       .build())
  built = time.perf_counter()
  if step == "snapshot_save":
    start = built
    g.save(snap)
else:
  g = tfgle.Graph.load(snap, verify=step == "snapshot_load")
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "edges": g.num_edges("e"), "nodes": g.num_nodes("n"),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _write_tsv(directory, nodes, edges, dim, seed=0):
  import numpy as np  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(seed)
  features = rng.random((nodes, dim), dtype=np.float32)
  with open(os.path.join(directory, "vertices.tsv"), "w") as f:
    f.write("id\tfeature\tlabel\n")
    for i in range(nodes):
      f.write(f"{i}\t{':'.join(f'{x:.4f}' for x in features[i])}\t{i % 7}\n")
  src = rng.integers(0, nodes, edges)
  dst = rng.integers(0, nodes, edges)
  weight = rng.random(edges)
  with open(os.path.join(directory, "edges.tsv"), "w") as f:
    f.write("src_id\tdst_id\tweight\n")
    f.writelines(f"{s}\t{d}\t{w:.4f}\n" for s, d, w in zip(src, dst, weight))


def _run(step, data, snap, dim):
  result = subprocess.run([sys.executable, "-c", _STEP, step, data, snap, str(dim)],
                          capture_output=True, text=True, check=False,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
  if result.returncode != 0:
    return {"error": result.stderr[-2000:]}
  return json.loads(result.stdout.strip().splitlines()[-1])


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--nodes", type=int, default=100_000)
  parser.add_argument("--edges", type=int, default=2_000_000)
  parser.add_argument("--dim", type=int, default=64)
  parser.add_argument("--dir", default=None, help="work directory (default: a temporary one)")
  args = parser.parse_args()
  directory = args.dir or tempfile.mkdtemp(prefix="tfgle_snapshot_")
  os.makedirs(directory, exist_ok=True)
  if not os.path.exists(os.path.join(directory, "edges.tsv")):
    _write_tsv(directory, args.nodes, args.edges, args.dim)
  snap = os.path.join(directory, f"snapshot_{int(time.time())}")
  tsv_seconds = None
  for step in ("build_tsv", "snapshot_save", "snapshot_load", "snapshot_load_unverified"):
    line = {"system": "tfgle", "workload": step, **_run(step, directory, snap, args.dim)}
    if "seconds" in line:
      line["edges_per_s"] = line["edges"] / line["seconds"]
      if step == "build_tsv":
        tsv_seconds = line["seconds"]
      elif step == "snapshot_save":
        line["bytes"] = sum(os.path.getsize(os.path.join(snap, f)) for f in os.listdir(snap))
      elif tsv_seconds:
        line["speedup_vs_tsv"] = tsv_seconds / line["seconds"]
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
  main()
