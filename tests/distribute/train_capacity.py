"""A trainer for the capacity test: a synthetic graph, a few steps under ParameterServerStrategy.

  python -m tfgle.distribute.launch --workers 1 --ps 2 --ps_memory_limit BYTES -- \\
      tests/distribute/train_capacity.py --num_nodes=200000 --dim=256 --steps=5

The chief (the coordinator) builds a synthetic graph whose node features
dominate its size, partitions it over the parameter servers
(PartitionedGraph, node data included unless --nonode_data), and runs --steps
steps of a small model (a dense layer over each seed's features and the mean
of its sampled neighbors') on 1-hop EgoGraphs sampled by the workers. It
prints "graph bytes: {json}" once the graph is partitioned and "final
metrics: {json}" when training is done, then waits (up to 60 s) for
--hold_file, so that a test can read the servers' memory before the cluster
stops. Worker and ps tasks serve.
"""
import json
import os
import time

from absl import app
from absl import flags

import tfgle  # pylint: disable=g-bad-import-order
import tensorflow as tf  # pylint: disable=g-bad-import-order

_NUM_NODES = flags.DEFINE_integer("num_nodes", 200_000, "Nodes of the synthetic graph.")
_NUM_EDGES = flags.DEFINE_integer("num_edges", 400_000, "Edges of the synthetic graph.")
_DIM = flags.DEFINE_integer("dim", 256, "Width of the float feature (float32).")
_STEPS = flags.DEFINE_integer("steps", 5, "Training steps.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", 32, "Seeds per step.")
_NODE_DATA = flags.DEFINE_bool("node_data", True, "Partition the node data too (else only "
                               "the topology).")
_HOLD_FILE = flags.DEFINE_string("hold_file", None, "After training, wait for this file.")

NUM_CLASSES = 4
FANOUT = 4


def graph_bytes(graph) -> dict:
  """The bytes of the whole graph's parts (as the base graph holds them)."""
  tables = tfgle.ops._library.ops  # pylint: disable=protected-access
  features = sum(t.shape.num_elements() * t.dtype.size
                 for t in graph.feature_tensors("node").values())
  return {
      "features": int(features),
      "labels": int(graph.labels("node").shape.num_elements() * 8),
      "ids": int(graph.node_ids("node").shape.num_elements() * 8),
      "id_map": int(tables.tfgle_table_memory(graph.id_map("node").resource_handle)),
      "topology": int(tables.tfgle_table_memory(graph.csr("links").resource_handle)),
  }


def main(argv):
  del argv
  strategy = tfgle.distribute.parameter_server_strategy()   # worker and ps tasks serve
  graph, _ = tfgle.datasets.synthetic(num_nodes=_NUM_NODES.value, num_edges=_NUM_EDGES.value,
                                      dim=_DIM.value, num_classes=NUM_CLASSES)
  sizes = graph_bytes(graph)
  sizes["whole"] = sum(sizes.values())
  coordinator = tf.distribute.experimental.coordinator.ClusterCoordinator(strategy)
  pg = tfgle.distribute.PartitionedGraph(graph, tfgle.distribute.ps_devices(strategy),
                                         node_data=_NODE_DATA.value)
  sizes["node_data_per_ps"] = pg.node_data_bytes()
  sizes["topology_per_ps"] = pg.topology_bytes()
  print(f"graph bytes: {json.dumps(sizes)}", flush=True)

  with strategy.scope():
    dense = tf.keras.layers.Dense(NUM_CLASSES)
    dense.build([None, 2 * _DIM.value])
    optimizer = tf.keras.optimizers.SGD(0.01)
    optimizer.build(dense.trainable_variables)

  def dataset_fn():
    return tfgle.data.ego_graph_dataset(
        pg, "train", ["links"], [FANOUT], _BATCH_SIZE.value, shuffle="random",
        seed=tfgle.distribute.worker_seed())

  iterator = iter(coordinator.create_per_worker_dataset(dataset_fn))

  @tf.function
  def step(iterator):
    ego, labels = next(iterator)

    def replica_fn(ego, labels):
      mask = tf.cast(ego["hop1"]["mask"], tf.float32)[..., tf.newaxis]
      mean = tf.reduce_sum(ego["hop1"]["feat"] * mask, 1) / tf.maximum(tf.reduce_sum(mask, 1), 1)
      with tf.GradientTape() as tape:
        logits = dense(tf.concat([ego["hop0"]["feat"], mean], 1))
        loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(
            labels, logits, from_logits=True))
      grads = tape.gradient(loss, dense.trainable_variables)
      optimizer.apply_gradients(zip(grads, dense.trainable_variables))
      return loss
    return strategy.reduce(tf.distribute.ReduceOp.MEAN,
                           strategy.run(replica_fn, args=(ego, labels)), axis=None)

  results = [coordinator.schedule(step, args=(iterator,)) for _ in range(_STEPS.value)]
  coordinator.join()
  losses = [float(r.fetch()) for r in results]
  metrics = {"steps": int(optimizer.iterations.numpy()), "losses": losses}
  print(f"final metrics: {json.dumps(metrics)}", flush=True)
  deadline = time.monotonic() + 60
  while _HOLD_FILE.value and not os.path.exists(_HOLD_FILE.value) and time.monotonic() < deadline:
    time.sleep(0.1)


if __name__ == "__main__":
  app.run(main)
