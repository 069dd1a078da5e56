"""Training throughput (W4): GraphSAGE through `model.fit` on tfgle's pipeline.

usage:
  python benchmarks/training_benchmark.py DATA_DIR [--fanouts 10,5] [--batch 1024]
      [--hidden 128] [--steps 200] [--warmup 20] [--threads N]
      [--workloads fit,compute_only] [--steps-per-execution 20] [--jit-compile]
      [--dedupe-nodes] [--parallel-calls 2] [--deterministic] [--shuffle random|epoch]
      [--cache-mb 2000]

DATA_DIR holds the peers' arrays (../shared/peers/gen_graph.py): edges.npy
(int64 [E, 2] src, dst), feats.npy (float32 [N, D]) and labels.npy (int64 [N]).
The graph is built through tfgle.Graph as sampling_benchmark.py builds it: one
node type "n" with the D-dim FloatAttr "feature" and the label column, one
directed edge type "r" (hops follow out-edges, as in the peers). Every node is
a training seed.

The model is tfgle.models.EgoGraphSAGE: one level per fanout (2 for [10, 5],
3 for [15, 10, 5]) of width --hidden, mean aggregation, ReLU between levels,
a Dense head of one logit per class (labels.npy's classes; softmax in the
loss), trained with Adam on the sparse softmax cross-entropy.

Workloads (JSON lines in the schema of ../shared/peers/README.md; seeds_per_s
counts training seeds, i.e. steps x batch / seconds):
  W4_train_fit           model.fit on tfgle.data.ego_graph_dataset (sampling
                         and feature gathers in the tf.data pipeline, in
                         parallel with training), as a user runs it.
  W4_train_compute_only  the same model and fit loop on K batches of the same
                         pipeline, materialised in memory first
                         (ds.take(K).cache(), filled once, then repeated): the
                         compute-only ceiling. K = warm-up + timed steps, at
                         most --cache-mb of batches.
  W4_fit_over_compute_only  {"ratio": fit seeds/s / compute-only seeds/s}, when
                         both ran.
Each workload trains a fresh model in one fit call of warm-up + timed steps; a
callback takes the time at the end of the warm-up steps (tracing, graph
optimisation and the pipeline's first batches are excluded) and at the end.
"""
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position
import tensorflow as tf  # pylint: disable=g-import-not-at-top,wrong-import-position

# pylint: disable=g-import-not-at-top,wrong-import-position
from training_common import checked, exit_now, load_arrays, peak_rss_mb, run_workloads
from training_common import parser as training_parser


def _cpu_seconds():
  t = os.times()
  return t.user + t.system


def _parse_args(argv):
  parser = training_parser(__doc__)
  parser.add_argument("--steps-per-execution", type=int, default=20,
                      help="compile(steps_per_execution=): steps per call of the train function")
  parser.add_argument("--jit-compile", action="store_true",
                      help="compile(jit_compile=True) (XLA; not with --dedupe-nodes, as XLA "
                           "has no kernel for tf.unique; ~35x slower on CPU when tried)")
  parser.add_argument("--dedupe-nodes", action="store_true",
                      help="EgoGraphSAGE(dedupe_nodes=True), the model's default: encode each "
                           "distinct node of a batch once (tf.unique over every hop's indices). "
                           "Off here: with dense features and no dropout it changes nothing "
                           "but costs (2.5x the step time on a 10k-node graph)")
  parser.add_argument("--parallel-calls", type=int, default=2,
                      help="ego_graph_dataset num_parallel_calls (0: AUTOTUNE). 1 or 2 kept "
                           "fit at 0.89-0.93 of compute-only on 2 busy cores, AUTOTUNE at "
                           "0.82 (it runs more batches at once, which take cores from "
                           "training)")
  parser.add_argument("--deterministic", action="store_true",
                      help="keep batch order under parallelism (default: off, as it is a "
                           "random stream anyway)")
  parser.add_argument("--shuffle", choices=("random", "epoch"), default="random",
                      help='random: endless random seeds (shuffle="random"); epoch: each seed '
                           "once per epoch, reshuffled (shuffle=True, repeated)")
  return parser.parse_args(argv)


class _StepTimes(tf.keras.callbacks.Callback):
  """Records (steps done, time, CPU seconds) at every train-batch end."""

  def __init__(self):
    super().__init__()
    self.marks = []
    self.begin = None

  def on_train_begin(self, logs=None):
    self.begin = time.perf_counter()

  def on_train_batch_end(self, batch, logs=None):
    # `batch` is the last step of the execution (steps_per_execution > 1); a
    # callback without _supports_tf_logs gets numpy logs, so the steps are done.
    self.marks.append((batch + 1, time.perf_counter(), _cpu_seconds()))


def _nbytes(element):
  return sum(int(np.prod(t.shape)) * t.dtype.size
             for t in tf.nest.flatten(element, expand_composites=True))


def round_up(n, multiple):
  return -(-max(n, 1) // multiple) * multiple


def timed_fit(model, dataset, *, warmup, steps, batch_size):
  """Fits `model` on `dataset` for warmup + steps steps in one epoch.

  Returns the timing fields of a result line, over the steps after `warmup`
  (a multiple of the model's steps_per_execution).
  """
  timer = _StepTimes()
  history = model.fit(dataset, steps_per_epoch=warmup + steps, epochs=1, verbose=0,
                      callbacks=[timer])
  start = next(m for m in timer.marks if m[0] >= warmup)
  end = timer.marks[-1]
  timed_steps = end[0] - start[0]
  seconds = end[1] - start[1]
  return {"seeds_per_s": round(timed_steps * batch_size / seconds, 1),
          "steps": timed_steps, "seconds": round(seconds, 4), "batch_size": batch_size,
          "peak_rss_mb": round(peak_rss_mb(), 1), "loadavg1": round(os.getloadavg()[0], 2),
          "ms_per_step": round(1000 * seconds / timed_steps, 3),
          "cpu_util": round((end[2] - start[2]) / seconds, 2), "warmup_steps": warmup,
          "warmup_s": round(start[1] - timer.begin, 3),
          "final_loss": round(float(history.history["loss"][-1]), 4)}


def materialise(dataset, max_batches, cache_mb):
  """(`dataset`'s first K batches held in memory and repeated, what K is).

  K = max_batches, or fewer so that they take at most `cache_mb` (by the size
  of the first batch).
  """
  batch_mb = _nbytes(next(iter(dataset))) / 2**20
  k = int(max(1, min(max_batches, cache_mb // max(batch_mb, 1e-9))))
  cached = dataset.take(k).cache()
  t0 = time.perf_counter()
  for _ in cached:  # fills the in-memory cache; later iterations read it
    pass
  fill_s = time.perf_counter() - t0
  return cached.repeat().prefetch(tf.data.AUTOTUNE), {
      "cached_batches": k, "cached_mb": round(k * batch_mb, 1), "cache_fill_s": round(fill_s, 3)}


def run_keras_workloads(system, workloads, train, dataset, max_batches, cache_mb, **fields):
  """W4_train_fit: train(dataset(), ...); W4_train_compute_only: train() on batches of
  dataset() held in memory (see materialise); their ratio (run_workloads)."""

  def compute_only():
    ds, extra = materialise(dataset(), max_batches, cache_mb)
    return train(ds, "W4_train_compute_only", extra)

  run_workloads(system, workloads, lambda: train(dataset(), "W4_train_fit", {}), compute_only,
                **fields)


def main(argv):
  args = _parse_args(argv)
  fanouts, workloads = checked(args, ("batch", "hidden", "steps", "steps_per_execution"))
  if args.jit_compile and args.dedupe_nodes:
    raise SystemExit("--jit-compile cannot go with --dedupe-nodes (XLA cannot compile tf.unique)")
  spe = args.steps_per_execution
  warmup = round_up(args.warmup, spe)
  steps = round_up(args.steps, spe)

  if args.threads > 0:
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
  import tfgle  # pylint: disable=g-import-not-at-top
  import tfgle.models  # pylint: disable=g-import-not-at-top,unused-import
  tf.get_logger().setLevel("ERROR")

  t0 = time.perf_counter()
  edges, feats, labels, num_classes = load_arrays(args.data_dir)
  num_nodes = len(feats)
  graph = (tfgle.Graph()
           .node({"id": np.arange(num_nodes, dtype=np.int64), "feature": feats,
                  "label": labels[:num_nodes]}, node_type="n",
                 decoder=tfgle.Decoder(attrs={"feature": tfgle.FloatAttr(dim=feats.shape[1])},
                                       label="label"))
           .edge({"src_id": edges[:, 0], "dst_id": edges[:, 1]}, edge_type=("n", "n", "r"))
           .build())
  num_edges = len(edges)
  del edges, feats, labels
  load_s = time.perf_counter() - t0
  threads = args.threads or "tf-default"
  print(json.dumps({"system": "tfgle", "event": "load", "data": args.data_dir,
                    "load_s": round(load_s, 2), "nodes": num_nodes, "edges": num_edges,
                    "classes": num_classes, "peak_rss_mb": round(peak_rss_mb(), 1),
                    "nproc": os.cpu_count(), "threads": threads}), flush=True)

  meta_path = ["r"] * len(fanouts)

  def dataset():
    ds = tfgle.data.ego_graph_dataset(
        graph, None, meta_path, fanouts, args.batch,
        shuffle="random" if args.shuffle == "random" else True, drop_remainder=True,
        num_parallel_calls=args.parallel_calls or tf.data.AUTOTUNE,
        deterministic=args.deterministic)
    if args.shuffle == "epoch":
      ds = ds.repeat()
    return ds.prefetch(tf.data.AUTOTUNE)

  def train(ds, workload, extra):
    tf.keras.utils.set_random_seed(0)
    model = tfgle.models.EgoGraphSAGE.from_graph(
        graph, "n", hidden_dims=[args.hidden] * len(fanouts), aggregator="mean",
        num_classes=num_classes, dedupe_nodes=args.dedupe_nodes)
    model.compile(tf.keras.optimizers.Adam(args.learning_rate),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  steps_per_execution=spe, jit_compile=args.jit_compile)
    result = {"system": "tfgle", "workload": workload,
              **timed_fit(model, ds, warmup=warmup, steps=steps, batch_size=args.batch),
              "fanouts": fanouts, "hidden": args.hidden, "threads": threads,
              "model": (f"EgoGraphSAGE {[args.hidden] * len(fanouts)} mean, "
                        f"{num_classes}-class softmax"),
              "optimizer": f"Adam({args.learning_rate})",
              "steps_per_execution": spe, "jit_compile": args.jit_compile,
              "dedupe_nodes": args.dedupe_nodes,
              "num_parallel_calls": args.parallel_calls or "AUTOTUNE",
              "deterministic": args.deterministic,
              "shuffle": "random" if args.shuffle == "random" else True,
              "strategy": "random", **extra}
    return result

  run_keras_workloads("tfgle", workloads, train, dataset, warmup + steps, args.cache_mb,
                      fanouts=fanouts, batch_size=args.batch, threads=threads)


if __name__ == "__main__":
  main(sys.argv[1:])
  exit_now()
