"""Graph-load benchmark: builds the synthetic graph from numpy, Parquet and TSV tables.

usage: python benchmarks/graph_load_benchmark.py DATA_DIR
         [--source npy|parquet|tsv|all|parquet_arrays] [--prefault_mb=MB] [--repeat=N]
         [--unweighted]

DATA_DIR is an output directory of the shared `gen_graph.py` (edges.npy,
feats.npy, labels.npy and, unless --no-tsv, edges.tsv/vertices.tsv). The
Parquet tables (edges.parquet with src_id/dst_id/weight, vertices.parquet with
id/feature/label) and weights.npy (the edge weights, as the TSV table has them)
are created next to them when a source needs them. --unweighted builds the
edge table without weights (npy only; no weights.npy needed: the 100M-edge
measurement).

Every source is measured in a fresh subprocess: it imports TensorFlow and
tfgle, builds a tiny graph (so that libraries, thread pools and the op library
are loaded), takes that RSS as its baseline and resets the kernel's peak-RSS
mark. It then reads the source (npy: loads the arrays; parquet_arrays: reads
the Parquet columns with pyarrow; parquet/tsv: nothing, the graph reads the
files), resets the peak mark again and builds the graph (node table with
64-dim features and labels, weighted directed edge table) through tfgle.Graph.
It prints one JSON line per source:

  {"system": "tfgle", "workload": "load_npy", "nodes": .., "edges": ..,
   "seconds": .. (source to built graph, file reads included), "edges_per_s": ..,
   "read_seconds": .., "build_seconds": .., "build_edges_per_s": .. (from the
     arrays in memory for npy; the same as edges_per_s for files),
   "cpu_seconds": .. (process CPU time, all threads),
   "baseline_rss_mb": .., "peak_rss_mb": .. (peak RSS growth over the baseline),
   "input_mb": .. (RSS growth once the npy arrays are read),
   "build_peak_rss_mb": .. (peak growth while building, over the RSS with the inputs read),
   "rss_after_build_mb": .. (RSS growth once the source arrays are released),
   "csr_and_feature_mb": .. (bytes of the CSR arrays and node tensors the graph keeps),
   "table_mb": .., "table_bytes_per_edge": .. (the in-graph CSR tables' own bytes,
     as the table reports them, over the number of edges),
   "rss_ratio": .. (peak_rss_mb / csr_and_feature_mb),
   "build_rss_ratio": .. (build_peak_rss_mb / csr_and_feature_mb)}

A source that cannot be measured (for example a reader that does not exist yet)
prints a line with "error" instead of the numbers.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

_MB = 1 << 20


def _vm_status(field):
  """A field of /proc/self/status in bytes (VmRSS, VmHWM), or None off Linux."""
  try:
    with open("/proc/self/status") as f:
      for line in f:
        if line.startswith(field + ":"):
          return int(line.split()[1]) * 1024
  except OSError:
    pass
  return None


def _rss():
  value = _vm_status("VmRSS")
  if value is None:
    import psutil  # pylint: disable=g-import-not-at-top
    value = psutil.Process().memory_info().rss
  return value


def _reset_peak():
  """Resets the kernel's peak-RSS mark (Linux >= 4.0); False where it cannot."""
  try:
    with open("/proc/self/clear_refs", "w") as f:
      f.write("5")
    return True
  except OSError:
    return False


def _peak(resettable):
  if resettable:
    return _vm_status("VmHWM")
  import resource  # pylint: disable=g-import-not-at-top
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# ---------------------------------------------------------------- preparation


def prepare(data_dir, sources, weighted=True):
  """Creates what `sources` need in `data_dir` if missing: weights.npy, the Parquet tables."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  for name in ("edges.npy", "feats.npy", "labels.npy"):
    if not os.path.isfile(os.path.join(data_dir, name)):
      raise SystemExit(f"{data_dir} has no {name}: it must be a gen_graph.py output directory")
  weights_path = os.path.join(data_dir, "weights.npy")
  if weighted and not os.path.isfile(weights_path):
    weights = _edge_weights(data_dir)
    tmp = f"{weights_path}.tmp{os.getpid()}.npy"
    np.save(tmp, weights)
    os.replace(tmp, weights_path)
  if any(s.startswith("parquet") for s in sources) and not all(
      os.path.isfile(os.path.join(data_dir, name))
      for name in ("edges.parquet", "vertices.parquet")):
    # (`tfgle.datasets.synthetic` is the function; import from the module.)
    from tfgle.datasets.synthetic import write_parquet  # pylint: disable=g-import-not-at-top
    write_parquet(data_dir, np.load(os.path.join(data_dir, "edges.npy")),
                            np.load(os.path.join(data_dir, "feats.npy")),
                            np.load(os.path.join(data_dir, "labels.npy")),
                            np.load(weights_path))


def _edge_weights(data_dir):
  """The weight column of edges.tsv; without it, the generator's weights (rounded as there)."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  edges = np.load(os.path.join(data_dir, "edges.npy"), mmap_mode="r")
  tsv = os.path.join(data_dir, "edges.tsv")
  if os.path.isfile(tsv):
    import pyarrow as pa  # pylint: disable=g-import-not-at-top
    import pyarrow.csv as pa_csv  # pylint: disable=g-import-not-at-top
    table = pa_csv.read_csv(
        tsv, read_options=pa_csv.ReadOptions(skip_rows=1, column_names=["src", "dst", "w"]),
        parse_options=pa_csv.ParseOptions(delimiter="\t"),
        convert_options=pa_csv.ConvertOptions(
            column_types={"src": pa.int64(), "dst": pa.int64(), "w": pa.float32()}))
    if (table.num_rows != len(edges) or
        not np.array_equal(table.column("src").to_numpy(), edges[:, 0]) or
        not np.array_equal(table.column("dst").to_numpy(), edges[:, 1])):
      raise SystemExit(f"{tsv} does not hold the edges of edges.npy")
    return table.column("w").to_numpy()
  from tfgle.datasets.synthetic import generate_arrays  # pylint: disable=g-import-not-at-top
  feats = np.load(os.path.join(data_dir, "feats.npy"), mmap_mode="r")
  labels = np.load(os.path.join(data_dir, "labels.npy"), mmap_mode="r")
  arrays = generate_arrays(len(feats), len(edges), feats.shape[1],
                                     int(labels.max()) + 1)
  if not np.array_equal(arrays.edges, edges):
    raise SystemExit(f"{data_dir} was not written by gen_graph.py with its default seed, and "
                     "has no edges.tsv to take edge weights from")
  return np.round(arrays.weights, 4).astype(np.float32)


# ---------------------------------------------------------------- one source


def _decoders(dim, weighted=True):
  import tfgle  # pylint: disable=g-import-not-at-top
  node = tfgle.Decoder(attrs={"feature": tfgle.FloatAttr(dim=dim)}, label="label")
  return node, tfgle.Decoder(weight="weight" if weighted else None)


def _sources(data_dir, source, weighted=True):
  """(node source, edge source): arrays read from the .npy files, or table file paths."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  path = lambda name: os.path.join(data_dir, name)
  if source == "npy":
    edges = np.load(path("edges.npy"))
    feats = np.load(path("feats.npy"))
    nodes = {"id": np.arange(len(feats), dtype=np.int64), "feature": feats,
             "label": np.load(path("labels.npy"))}
    # The [E, 2] columns are strided views, as a user would pass them.
    edge_table = {"src_id": edges[:, 0], "dst_id": edges[:, 1]}
    if weighted:
      edge_table["weight"] = np.load(path("weights.npy"))
    return nodes, edge_table
  if source == "parquet":
    return path("vertices.parquet"), path("edges.parquet")
  if source == "parquet_arrays":
    return _parquet_arrays(path("vertices.parquet"), ["id", "feature", "label"]), \
        _parquet_arrays(path("edges.parquet"), ["src_id", "dst_id", "weight"])
  if source == "tsv":
    for name in ("vertices.tsv", "edges.tsv"):
      if not os.path.isfile(path(name)):
        raise RuntimeError(f"{path(name)} does not exist (gen_graph.py ran with --no-tsv)")
    return path("vertices.tsv"), path("edges.tsv")
  raise ValueError(f"unknown source {source!r}")


def _parquet_arrays(path, columns):
  """Columns of a Parquet file as numpy arrays, read one column at a time with pyarrow."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  import pyarrow.parquet as pq  # pylint: disable=g-import-not-at-top
  arrays = {}
  parquet = pq.ParquetFile(path)
  for name in columns:
    column = parquet.read(columns=[name], use_threads=True).column(0)
    if column.type.num_fields:  # fixed_size_list<float>[dim]: the flat values, reshaped
      dim = column.type.list_size
      values = np.concatenate([chunk.flatten().to_numpy() for chunk in column.chunks])
      arrays[name] = values.reshape(-1, dim)
    else:
      arrays[name] = column.to_numpy()
    del column
  return arrays


def _kept_bytes(graph):
  """Bytes of the CSR arrays and node tensors the built graph keeps."""
  n, e = graph.num_nodes("node"), graph.num_edges("links")
  csr = graph.csr("links")
  csr_bytes = (n + 1) * 8 + e * 8 * 2 + n * 8  # indptr, indices, edge_ids, in_degree
  csr_bytes += e * 4 if csr.weighted else 0
  csr_bytes += e * 8 if csr.timed else 0
  node_bytes = sum(t.shape.num_elements() * t.dtype.size
                   for t in graph.feature_tensors("node").values())
  node_bytes += n * 8 * 2  # labels, external ids
  return csr_bytes + node_bytes


def _prefault(megabytes):
  """Touches and frees `megabytes` of memory (see --prefault_mb)."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  block = np.ones(megabytes << 17, np.float64)  # 8 bytes each
  del block


def _table_bytes(graph):
  """Bytes the in-graph CSR table of "links" reports for itself."""
  from tfgle.ops._library import ops  # pylint: disable=g-import-not-at-top
  return int(ops.tfgle_table_memory(graph.csr("links").resource_handle))


def run_source(data_dir, source, prefault_mb=0, weighted=True):
  """Measures one source in this (fresh) process; returns the JSON record."""
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
  import gc  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top,unused-import
  import tfgle  # pylint: disable=g-import-not-at-top,unused-import
  from tfgle.datasets import synthetic  # pylint: disable=g-import-not-at-top
  record = {"system": "tfgle", "workload": f"load_{source}"}
  dim = int(np.load(os.path.join(data_dir, "feats.npy"), mmap_mode="r").shape[1])
  # Warm-up: load every library and create TensorFlow's thread pools.
  warm, _ = synthetic(num_nodes=100, num_edges=1000, dim=dim, num_classes=2, weighted=True)
  del warm
  try:
    if source == "parquet":
      import tfgle.graph.parquet_reader  # pylint: disable=g-import-not-at-top,unused-import
    elif source == "tsv":
      import tfgle.graph.text_reader  # pylint: disable=g-import-not-at-top,unused-import
  except ImportError as e:
    record["error"] = f"the {source} reader is not available: {e}"
    return record
  if prefault_mb:
    _prefault(prefault_mb)
  gc.collect()
  baseline = _rss()
  resettable = _reset_peak()
  start, cpu_start = time.perf_counter(), time.process_time()
  try:
    nodes, edge_table = _sources(data_dir, source, weighted)
    read_end = time.perf_counter()
    read_peak, read_rss = _peak(resettable), _rss()
    # A second peak mark: the build's own peak, over the RSS with the inputs read.
    resettable = resettable and _reset_peak()
    node_decoder, edge_decoder = _decoders(dim, weighted)
    graph = (tfgle.Graph()
             .node(nodes, node_type="node", decoder=node_decoder)
             .edge(edge_table, edge_type=("node", "node", "links"), decoder=edge_decoder)
             .build())
  except Exception as e:  # pylint: disable=broad-except
    record["error"] = f"{type(e).__name__}: {e}"
    return record
  end = time.perf_counter()
  cpu_seconds = time.process_time() - cpu_start
  build_peak = _peak(resettable)
  del nodes, edge_table
  gc.collect()
  if "pyarrow" in sys.modules:  # Arrow's allocator keeps freed memory unless told
    sys.modules["pyarrow"].default_memory_pool().release_unused()
  after = _rss()
  kept = _kept_bytes(graph)
  edges = graph.num_edges("links")
  seconds, build_seconds = end - start, end - read_end
  peak = max(read_peak, build_peak)
  record.update({
      "nodes": graph.num_nodes("node"), "edges": edges,
      "seconds": round(seconds, 3), "edges_per_s": round(edges / seconds),
      "read_seconds": round(read_end - start, 3), "build_seconds": round(build_seconds, 3),
      "build_edges_per_s": round(edges / build_seconds), "cpu_seconds": round(cpu_seconds, 3),
      "baseline_rss_mb": round(baseline / _MB, 1),
      "peak_rss_mb": round((peak - baseline) / _MB, 1),
      "input_mb": round((read_rss - baseline) / _MB, 1),
      "build_peak_rss_mb": round((build_peak - read_rss) / _MB, 1),
      "rss_after_build_mb": round((after - baseline) / _MB, 1),
      "csr_and_feature_mb": round(kept / _MB, 1),
      "table_mb": round(_table_bytes(graph) / _MB, 1),
      "table_bytes_per_edge": round(_table_bytes(graph) / max(edges, 1), 2),
      "weighted": weighted,
      "rss_ratio": round((peak - baseline) / kept, 3),
      "build_rss_ratio": round((build_peak - read_rss) / kept, 3),
  })
  if not resettable:
    record["note"] = "peaks from ru_maxrss (could not reset the peak mark)"
  return record


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("data_dir")
  parser.add_argument("--source", choices=["npy", "parquet", "tsv", "parquet_arrays", "all"],
                      default="all",
                      help="parquet_arrays reads the Parquet tables with pyarrow in the "
                           "benchmark and builds from the arrays (not part of 'all')")
  parser.add_argument(
      "--prefault_mb", type=int, default=0,
      help="touch and free this much memory in each worker before its baseline: virtual "
           "machines that back guest memory lazily charge the first touch of every page to "
           "whoever touches it first, which then dominates the build times")
  parser.add_argument("--repeat", type=int, default=1,
                      help="measure each source this many times (fresh processes) and "
                           "print the fastest run with the median time")
  parser.add_argument("--unweighted", action="store_true",
                      help="build the edge table without weights (npy only)")
  parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
  args = parser.parse_args(argv)
  if args.unweighted and args.source != "npy":
    parser.error("--unweighted needs --source npy (the table files have a weight column)")
  if args.worker:
    print(json.dumps(run_source(args.data_dir, args.source, args.prefault_mb,
                                not args.unweighted)), flush=True)
    return
  sources = ["npy", "parquet", "tsv"] if args.source == "all" else [args.source]
  prepare(args.data_dir, sources, weighted=not args.unweighted)
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"))
  for source in sources:
    records = []
    for _ in range(args.repeat):
      record = _run_worker(args, source, env)
      records.append(record)
      if "error" in record:
        break
    ok = [r for r in records if "error" not in r]
    if not ok:
      print(json.dumps(records[-1]), flush=True)
      continue
    # The fastest run (the others were slowed by something else), with the spread.
    best = dict(min(ok, key=lambda r: r["seconds"]))
    if len(ok) > 1:
      best.update(repeats=len(ok), median_seconds=round(statistics.median(
          r["seconds"] for r in ok), 3))
    print(json.dumps(best), flush=True)


def _run_worker(args, source, env):
  """One measurement in a fresh subprocess; returns its record."""
  proc = subprocess.run(
      [sys.executable, os.path.abspath(__file__), args.data_dir, "--source", source,
       f"--prefault_mb={args.prefault_mb}", "--worker"] +
      (["--unweighted"] if args.unweighted else []),
      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, check=False)
  lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
  if proc.returncode != 0 or not lines:
    tail = proc.stderr.strip().splitlines()[-3:]
    return {"system": "tfgle", "workload": f"load_{source}",
            "error": f"worker exited with {proc.returncode}: {' | '.join(tail)}"}
  return json.loads(lines[-1])

if __name__ == "__main__":
  main()
