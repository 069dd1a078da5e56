"""tf.data pipeline throughput against the raw sampling ops, back to back (issue 4's W2).

usage: python benchmarks/pipeline_benchmark.py DATA_DIR [--batch 1024] [--fanouts 10,5]
                                               [--batches 200] [--threads 0]

DATA_DIR is a ../shared/peers/gen_graph.py output directory (edges.npy, feats.npy,
labels.npy). Workload W2: 1024 seed nodes, 2-hop [10, 5] uniform sampling along
out-edges plus the 64-dim features of every node in the batch. It is run
 - "raw": the fused sampling op, the id lookups and the feature gathers in a
   tf.function called in a Python loop, returning the same batch (external
   ids, indices, masks and features of every hop) as the pipelines;
 - "pipeline": the same query through GSL `values()` (tf.data: traversal, map,
   prefetch), and through `ego_graph_dataset`;
and one JSON line is printed per run, in the peers' schema, plus the ratio of
pipeline to raw throughput.
"""
import argparse
import json
import os
import resource
import time

import numpy as np

import tfgle  # sets TF_USE_LEGACY_KERAS
import tensorflow as tf  # pylint: disable=g-bad-import-order


def _peak_rss_mb():
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load(data_dir):
  edges = np.load(os.path.join(data_dir, "edges.npy"), mmap_mode="r")
  feats = np.load(os.path.join(data_dir, "feats.npy"))
  n = len(feats)
  return (tfgle.Graph()
          .node({"id": np.arange(n), "feat": feats}, node_type="n",
                decoder=tfgle.Decoder(attrs={"feat": tfgle.FloatAttr(dim=feats.shape[1])}))
          .edge({"src_id": edges[:, 0], "dst_id": edges[:, 1]}, edge_type=("n", "n", "r"))
          .build())


def _line(workload, seeds, sampled, batches, seconds, **extra):
  record = {"system": "tfgle", "workload": workload, "seeds_per_s": seeds / seconds,
            "sampled_nodes_per_s": sampled / seconds, "batches": batches, "seconds": seconds,
            "peak_rss_mb": _peak_rss_mb(), **extra}
  print(json.dumps(record), flush=True)
  return record


def _time_iterator(iterator, batches, warmup):
  for _ in range(warmup):
    next(iterator)
  start = time.perf_counter()
  for _ in range(batches):
    next(iterator)
  return time.perf_counter() - start


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument("data_dir")
  parser.add_argument("--batch", type=int, default=1024)
  parser.add_argument("--fanouts", default="10,5")
  parser.add_argument("--batches", type=int, default=200)
  parser.add_argument("--warmup", type=int, default=20)
  parser.add_argument("--threads", type=int, default=0,
                      help="intra- and inter-op threads (0: TensorFlow's default)")
  args = parser.parse_args()
  if args.threads:
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
  fanouts = [int(k) for k in args.fanouts.split(",")]
  graph = _load(args.data_dir)
  n = graph.num_nodes("n")
  feats = graph.feature_tensors("n")["feat"]
  per_seed = int(np.sum(np.cumprod(fanouts)))
  batch = args.batch

  @tf.function
  def raw_step(step):
    seeds = tf.random.stateless_uniform([batch], seed=tf.stack([tf.constant(1, tf.int64), step]),
                                        maxval=n, dtype=tf.int64)
    hops = graph.sampler.sample_fanouts(["r"] * len(fanouts), seeds, fanouts,
                                    seed=tf.stack([tf.constant(2, tf.int64), step]))
    # The batch the pipelines deliver: per hop external ids, indices, mask, features.
    batch_out = {}
    for i, (index, mask) in enumerate([(seeds, tf.ones_like(seeds, tf.bool))] +
                                      [(h.ids, h.mask) for h in hops]):
      index = tf.where(mask, index, tf.zeros_like(index))
      batch_out[f"hop{i}"] = {
          "ids": tf.where(mask, graph.to_id("n", index), tf.constant(-1, tf.int64)),
          "index": index, "mask": mask, "feat": tf.gather(feats, index)}
    return batch_out

  def raw_iterator():
    step = 0
    while True:
      yield raw_step(tf.constant(step, tf.int64))
      step += 1

  seconds = _time_iterator(raw_iterator(), args.batches, args.warmup)
  raw = _line("W2_feat_2hop_random_raw_ops", batch * args.batches,
              batch * per_seed * args.batches, args.batches, seconds)

  query = graph.V("n").batch(batch).shuffle(traverse=False).alias("seed")
  for i, k in enumerate(fanouts, start=1):
    query = query.outV("r").sample(k).by("random").alias(f"hop{i}")
  pipeline = query.values(seed=3)
  seconds = _time_iterator(iter(pipeline), args.batches, args.warmup)
  gsl = _line("W2_feat_2hop_random_gsl_pipeline", batch * args.batches,
              batch * per_seed * args.batches, args.batches, seconds)

  ego = tfgle.data.ego_graph_dataset(graph, meta_path=["r"] * len(fanouts), fanouts=fanouts,
                                   batch_size=batch, shuffle="random", label=False, seed=3)
  seconds = _time_iterator(iter(ego), args.batches, args.warmup)
  ego_line = _line("W2_feat_2hop_random_egograph_dataset", batch * args.batches,
                   batch * per_seed * args.batches, args.batches, seconds)
  print(json.dumps({
      "system": "tfgle", "workload": "W2_pipeline_over_raw_ops",
      "gsl_pipeline_ratio": gsl["seeds_per_s"] / raw["seeds_per_s"],
      "egograph_dataset_ratio": ego_line["seeds_per_s"] / raw["seeds_per_s"]}), flush=True)


if __name__ == "__main__":
  main()
