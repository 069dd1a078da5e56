"""Peer W4: the GraphSAGE of training_benchmark.py in TF-GNN 1.0.3, through Keras fit.

usage:
  python benchmarks/peers/tfgnn_train.py DATA_DIR [--fanouts 10,5] [--batch 1024]
      [--hidden 128] [--steps 200] [--warmup 20] [--threads N]
      [--workloads fit,compute_only] [--steps-per-execution 20] [--ops parallel|vectorized]

Runs in tfgle's environment (tensorflow 2.17, tf-keras, tensorflow-gnn 1.0.3);
it imports the helpers of ../training_benchmark.py and ../training_common.py,
never tfgle.

Sampling is TF-GNN's in-memory sampler as ../shared/peers/tfgnn/bench_tfgnn.py
runs it (SamplingSpecBuilder(RANDOM_UNIFORM).seed().sample(k1).sample(k2) ->
create_sampling_model_from_spec, uniform WITHOUT replacement, one edge index
shared by the hops, ext_ops "parallel"), with the feature accessor gathering
the D-dim "feat" of every sampled node, in the layout TF-GNN's guide uses for
node classification: one subgraph per seed ([[s1], [s2], ...]), merged into
one GraphTensor of B components per batch, the seed being each component's
first node. The pipeline: endless random seed batches (concatenated
permutations of all nodes) -> map(sampling model + labels, AUTOTUNE,
deterministic=False) -> prefetch(AUTOTUNE).

The model: "feat" as the initial hidden state, one
tensorflow_gnn.models.graph_sage.GraphSAGEGraphUpdate per fanout (units
--hidden, mean aggregation without pooling, self and neighbor terms summed,
ReLU, no L2 normalization: tfgle's EgoSAGEConv with aggregator="mean"),
messages flowing from sampled neighbors to the nodes they were sampled from
(receiver_tag=SOURCE), ReadoutFirstNode (the seeds), a Dense layer of one
logit per class; Adam, sparse softmax cross-entropy, steps_per_execution.

Workloads: W4_train_fit (Keras fit on the sampling pipeline) and, with
--workloads fit,compute_only, W4_train_compute_only (the same fit on batches of
the pipeline held in memory) and their ratio, as training_benchmark.py prints
them, with "system": "tfgnn".
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402  pylint: disable=wrong-import-position
import tensorflow as tf  # noqa: E402  pylint: disable=wrong-import-position

# pylint: disable=wrong-import-position
from training_benchmark import round_up, run_keras_workloads, timed_fit  # noqa: E402
from training_common import checked, exit_now, load_arrays, parser  # noqa: E402


def _parse_args(argv):
  p = parser(__doc__, workloads="fit")
  p.add_argument("--steps-per-execution", type=int, default=20)
  p.add_argument("--ops", choices=("parallel", "vectorized"), default="parallel",
                 help="TF-GNN's ext_ops implementation (bench_tfgnn.py's default; "
                      "'vectorized', the library default, is ~9x slower there)")
  return p.parse_args(argv)


def main(argv):
  args = _parse_args(argv)
  fanouts, workloads = checked(args, ("batch", "hidden", "steps", "steps_per_execution"))
  spe = args.steps_per_execution
  warmup, steps = round_up(args.warmup, spe), round_up(args.steps, spe)
  if args.threads > 0:
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
  import tensorflow_gnn as tfgnn  # pylint: disable=g-import-not-at-top
  from tensorflow_gnn.experimental import sampler  # pylint: disable=g-import-not-at-top
  from tensorflow_gnn.models import graph_sage  # pylint: disable=g-import-not-at-top
  sampler.set_ext_ops_implementation(args.ops)
  tf.get_logger().setLevel("ERROR")

  t0 = time.perf_counter()
  edges, feats, labels, num_classes = load_arrays(args.data_dir)
  labels = tf.constant(labels)
  num_nodes, dim = feats.shape
  num_edges = len(edges)
  base = sampler.InMemUniformEdgesSampler(
      num_source_nodes=num_nodes, source=tf.constant(np.ascontiguousarray(edges[:, 0])),
      target=tf.constant(np.ascontiguousarray(edges[:, 1])), sample_size=fanouts[0],
      edge_set_name="edges", name="edges_index")
  feat_accessor = sampler.InMemIndexToFeaturesAccessor({"feat": tf.constant(feats)},
                                                       name="nodes")
  del edges, feats
  load_s = time.perf_counter() - t0
  threads = args.threads or "tf-default"
  print(json.dumps({"system": "tfgnn", "event": "load", "data": args.data_dir,
                    "load_s": round(load_s, 2), "nodes": num_nodes, "edges": num_edges,
                    "classes": num_classes, "nproc": os.cpu_count(), "threads": threads}),
        flush=True)

  class SharedIndexUniformEdgesSampler(sampler.InMemUniformEdgesSampler):
    """InMemUniformEdgesSampler sharing `base`'s edge index (as bench_tfgnn.py)."""

    def __init__(self, base_sampler, sample_size, name):  # pylint: disable=super-init-not-called
      tf.keras.layers.Layer.__init__(self, name=name)  # pylint: disable=non-parent-init-called
      # pylint: disable=protected-access
      self._fields = base_sampler._fields
      self._sample_size = sample_size
      self._edge_set_name = base_sampler._edge_set_name
      self._seed = None
      self._sort_index = base_sampler._sort_index
      self._partition_by_source = base_sampler._partition_by_source

  schema = tfgnn.GraphSchema()
  schema.node_sets["nodes"].description = "nodes"
  feature = schema.node_sets["nodes"].features["feat"]
  feature.dtype = tf.float32.as_datatype_enum
  feature.shape.dim.add().size = int(dim)
  schema.edge_sets["edges"].source = "nodes"
  schema.edge_sets["edges"].target = "nodes"
  builder = tfgnn.sampler.SamplingSpecBuilder(
      schema, default_strategy=tfgnn.sampler.SamplingStrategy.RANDOM_UNIFORM)
  step = builder.seed("nodes")
  for k in fanouts:
    step = step.sample(k, "edges")
  sampling_model = sampler.create_sampling_model_from_spec(
      schema, builder.build(),
      lambda op: SharedIndexUniformEdgesSampler(base, op.sample_size, name=op.op_name),
      lambda name: feat_accessor, seed_node_dtype=tf.int64)

  def sample(seeds):
    """(GraphTensor of one component per seed, the seeds' labels)."""
    graph = sampling_model(tf.RaggedTensor.from_row_lengths(seeds, tf.ones_like(seeds)))
    return graph.merge_batch_to_components(), tf.gather(labels, seeds)

  def dataset():
    rng = np.random.default_rng(0)
    order = np.concatenate([rng.permutation(num_nodes) for _ in range(
        -(-args.batch * (warmup + steps + 2) // num_nodes))]).astype(np.int64)
    seeds = tf.data.Dataset.from_tensor_slices(order).repeat().batch(args.batch,
                                                                     drop_remainder=True)
    return (seeds.map(sample, num_parallel_calls=tf.data.AUTOTUNE, deterministic=False)
            .prefetch(tf.data.AUTOTUNE))

  def train(ds, workload, extra):
    tf.keras.utils.set_random_seed(0)
    graph_spec = ds.element_spec[0]
    inputs = tf.keras.layers.Input(type_spec=graph_spec)
    graph = tfgnn.keras.layers.MapFeatures(
        node_sets_fn=lambda node_set, node_set_name: node_set["feat"])(inputs)
    for i in range(len(fanouts)):
      graph = graph_sage.GraphSAGEGraphUpdate(
          units=args.hidden, receiver_tag=tfgnn.SOURCE, reduce_type="mean",
          use_pooling=False, combine_type="sum", l2_normalize=False, activation="relu",
          name=f"graph_sage_{i}")(graph)
    seeds = tfgnn.keras.layers.ReadoutFirstNode(node_set_name="nodes")(graph)
    logits = tf.keras.layers.Dense(num_classes)(seeds)
    model = tf.keras.Model(inputs, logits)
    model.compile(tf.keras.optimizers.Adam(args.learning_rate),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  steps_per_execution=spe)
    result = {"system": "tfgnn", "workload": workload,
              **timed_fit(model, ds, warmup=warmup, steps=steps, batch_size=args.batch),
              "fanouts": fanouts, "hidden": args.hidden, "threads": threads,
              "model": (f"GraphSAGEGraphUpdate x{len(fanouts)} ({args.hidden}, mean, sum, relu)"
                        f" + ReadoutFirstNode + Dense({num_classes}), softmax"),
              "optimizer": f"Adam({args.learning_rate})", "steps_per_execution": spe,
              "sampler": "InMemUniformEdgesSampler (without replacement), one subgraph per seed",
              "with_replacement": False, "ext_ops": args.ops,
              "num_parallel_calls": "AUTOTUNE", "deterministic": False,
              "versions": {"tensorflow": tf.__version__, "tensorflow_gnn": tfgnn.__version__},
              **extra}
    return result

  run_keras_workloads("tfgnn", workloads, train, dataset, warmup + steps, args.cache_mb,
                      fanouts=fanouts, batch_size=args.batch, threads=threads)


if __name__ == "__main__":
  main(sys.argv[1:])
  exit_now()
