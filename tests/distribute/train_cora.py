"""A small Cora trainer for the distribution tests: one recipe, three strategies.

  python tests/distribute/train_cora.py --strategy=default --data_dir=...
  python -m tfgle.distribute.launch --workers 2 -- tests/distribute/train_cora.py \
      --strategy=multi_worker_mirrored --data_dir=...
  python -m tfgle.distribute.launch --workers 2 --ps 2 -- tests/distribute/train_cora.py \
      --strategy=parameter_server --partition_graph --data_dir=...

The model is a 2-layer EgoGraphSAGE over the bag of words (multi-hot, mean)
plus an id embedding (L2-penalized), trained with Adam on 2-hop [10, 5]
EgoGraphs of the 140 training papers; --models trains several independently
side by side (their mean accuracy is less noisy than one's). Test accuracy
averages the logits of several sampled EgoGraphs per paper. The chief prints
"final metrics: {json}" and writes --metrics_json.

It is not examples/train_supervised.py (whose --strategy runs test_binaries.py
checks) because these tests need what a product binary should not have:
several models side by side and a hold point to kill a worker at.

Strategies:
  default: model.fit on ego_graph_dataset.
  multi_worker_mirrored: model.fit on ego_dataset_fn shards (each worker half
    of every global batch of --batch_size seeds).
  parameter_server: a ClusterCoordinator loop of --epochs x (140 / batch_size)
    steps over per-worker datasets of random seeds; the id embedding is sharded
    over the parameter servers (MinSizePartitioner); --partition_graph puts the
    topology on them too (PartitionedGraph). Worker and ps tasks serve.
    --hold_at_step lets a test kill a worker with steps in flight.
"""
import json
import os
import sys
import time

from absl import app
from absl import flags
from absl import logging

import tfgle  # pylint: disable=g-bad-import-order
import tensorflow as tf  # pylint: disable=g-bad-import-order

_DATA_DIR = flags.DEFINE_string("data_dir", None, "Cora directory (nodes.tsv, edges.tsv).")
_STRATEGY = flags.DEFINE_enum("strategy", "default",
                              ["default", "multi_worker_mirrored", "parameter_server"],
                              "tf.distribute strategy.")
_EPOCHS = flags.DEFINE_integer("epochs", 15, "Epochs (passes over the training papers).")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", 20, "Global batch size (seeds).")
_LEARNING_RATE = flags.DEFINE_float("learning_rate", 0.01, "Adam learning rate.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of weights and dropout.")
_DATA_SEED = flags.DEFINE_integer("data_seed", 0, "Seed of traversal and sampling.")
_MODELS = flags.DEFINE_integer("models", 1, "Independent models trained side by side (the "
                                "reported accuracy is their mean).")
_DROPOUT = flags.DEFINE_float("dropout", 0.5, "Dropout rate of the EgoGNN levels.")
_ID_DIM = flags.DEFINE_integer("id_dim", 16, "Width of the node id embedding (0: none).")
_ID_L2 = flags.DEFINE_float("id_l2", 0.1, "L2 penalty of the id embedding.")
_EVAL_ROUNDS = flags.DEFINE_integer("eval_rounds", 5,
                                    "Sampled EgoGraphs per test paper, logits averaged.")
_PARTITION_GRAPH = flags.DEFINE_bool("partition_graph", False,
                                     "parameter_server: partition the topology over the "
                                     "parameter servers.")
_MIN_SHARD_BYTES = flags.DEFINE_integer("min_shard_bytes", 32 << 10,
                                        "parameter_server: variables of at least twice this "
                                        "size are sharded over the parameter servers.")
_HOLD_AT_STEP = flags.DEFINE_integer("hold_at_step", 0,
                                     "parameter_server: after scheduling this step, print "
                                     "'holding at step N' and wait for --hold_file to exist.")
_HOLD_FILE = flags.DEFINE_string("hold_file", None, "See --hold_at_step.")
_METRICS_JSON = flags.DEFINE_string("metrics_json", None, "Write the final metrics here.")

FANOUTS = [10, 5]
META_PATH = ["cites", "cites"]


class EgoSage(tf.keras.Model):
  """FeatureEncoder (words multi-hot + id embedding) -> 2 EgoSAGEConv levels -> logits."""

  def __init__(self, graph, num_classes: int, id_dim: int, **kwargs):
    super().__init__(**kwargs)
    # (The bag of words has no table: the L2 penalty applies to the id embedding.)
    self.encoder = tfgle.features.FeatureEncoder.from_graph(
        graph, "paper", multi_hot=("words",), id_embedding_dim=id_dim or None,
        embeddings_regularizer=tf.keras.regularizers.L2(_ID_L2.value))
    self.gnn = tfgle.layers.EgoGNN(
        [tfgle.layers.EgoSAGEConv(64), tfgle.layers.EgoSAGEConv(num_classes)],
        activation="relu", dropout=_DROPOUT.value)

  def call(self, batch, training=None):
    hops, masks = tfgle.layers.encode_ego_batch(batch, self.encoder, training=training)
    return self.gnn((hops, masks), training=training)


class SideBySide(tf.keras.Model):
  """--models independent EgoSage models, each on its own batches (a tuple per step).

  Training several models in one run gives the mean accuracy of independent
  trainings (less noisy than one) for about the price of one run's start-up.
  """

  def __init__(self, graph, num_classes: int, id_dim: int, num_models: int):
    super().__init__()
    self.towers = [EgoSage(graph, num_classes, id_dim, name=f"model_{i}")
                   for i in range(num_models)]

  def call(self, batches, training=None):
    return tuple(tower(batch, training=training) for tower, batch in zip(self.towers, batches))


def build_model(graph, num_classes):
  model = SideBySide(graph, num_classes, _ID_DIM.value, _MODELS.value)
  model.compile(optimizer=tf.keras.optimizers.Adam(_LEARNING_RATE.value),
                loss=[tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)] *
                _MODELS.value)
  return model


def dataset_kwargs(seed):
  return dict(seeds="train", meta_path=META_PATH, fanouts=FANOUTS, seed=seed)


def side_by_side(datasets):
  """One dataset of (egos, labels) tuples from one (ego, label) dataset per model."""
  def regroup(*elements):
    return tuple(e[0] for e in elements), tuple(e[1] for e in elements)
  return tf.data.Dataset.zip(tuple(datasets)).map(regroup)


def model_seed(i: int):
  """The traversal and sampling seed of model i."""
  return 1000 * _DATA_SEED.value + i


def test_accuracy(model, graph) -> list[float]:
  """Accuracy of every model on the test papers, its logits averaged over --eval_rounds."""
  accuracies = []
  for tower in model.towers:
    predict = tf.function(lambda ego, tower=tower: tower(ego, training=False))
    total, labels = None, None
    for r in range(_EVAL_ROUNDS.value):
      ds = tfgle.data.ego_graph_dataset(graph, "test", META_PATH, FANOUTS, 500, shuffle=False,
                                      seed=10_000 + r)
      logits, ys = zip(*[(predict(ego), y) for ego, y in ds])
      logits = tf.nn.softmax(tf.concat(logits, 0))
      total = logits if total is None else total + logits
      labels = tf.concat(ys, 0)
    hits = tf.equal(tf.argmax(total, -1), labels)
    accuracies.append(float(tf.reduce_mean(tf.cast(hits, tf.float32))))
  return accuracies


def train_keras(graph, info, strategy):
  """model.fit, single process or MultiWorkerMirroredStrategy."""
  with strategy.scope():
    model = build_model(graph, info.num_classes)
  steps = None
  if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
    fns = [tfgle.distribute.ego_dataset_fn(graph, batch_size=_BATCH_SIZE.value, repeat=True,
                                           **dataset_kwargs(model_seed(i)))
           for i in range(_MODELS.value)]
    train = strategy.distribute_datasets_from_function(
        lambda context: side_by_side([fn(context) for fn in fns]))
    steps = tfgle.distribute.steps_per_epoch(strategy, info.splits["train"], _BATCH_SIZE.value)
  else:
    train = side_by_side([tfgle.data.ego_graph_dataset(graph, batch_size=_BATCH_SIZE.value,
                                                     **dataset_kwargs(model_seed(i)))
                          for i in range(_MODELS.value)])
  history = model.fit(train, epochs=_EPOCHS.value, steps_per_epoch=steps, verbose=2)
  return model, {"steps": int(model.optimizer.iterations.numpy()),
                 "train_loss": float(history.history["loss"][-1])}


def train_parameter_server(graph, info, strategy):
  """A ClusterCoordinator loop; sampling on the workers (and parameter servers)."""
  coordinator = tf.distribute.experimental.coordinator.ClusterCoordinator(strategy)
  source = graph
  if _PARTITION_GRAPH.value:
    source = tfgle.distribute.PartitionedGraph(graph, tfgle.distribute.ps_devices(strategy))
    logging.info("topology bytes per parameter server: %s", source.topology_bytes())
  with strategy.scope():
    model = build_model(graph, info.num_classes)
    # Variables are created here, on the coordinator (they live on the ps
    # tasks), not in the steps that run on the workers.
    egos, _ = next(iter(side_by_side([
        tfgle.data.ego_graph_dataset(graph, batch_size=2, **dataset_kwargs(0))] * _MODELS.value)))
    model(egos)
    model.optimizer.build(model.trainable_variables)
  optimizer = model.optimizer
  loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(
      from_logits=True, reduction=tf.keras.losses.Reduction.NONE)

  def dataset_fn():
    # Random seeds, a different stream on every worker (and model). The seed
    # also tags the steps by worker: a worker restarted is a new tag.
    seed = tfgle.distribute.worker_seed()
    batches = side_by_side([tfgle.data.ego_graph_dataset(
        source, batch_size=_BATCH_SIZE.value, shuffle="random",
        **dataset_kwargs(seed + i)) for i in range(_MODELS.value)])
    return tf.data.Dataset.zip((batches, tf.data.Dataset.from_tensors(seed).repeat()))
  steps_per_epoch = -(-info.splits["train"] // _BATCH_SIZE.value)
  per_worker = coordinator.create_per_worker_dataset(dataset_fn)
  iterator = iter(per_worker)

  @tf.function
  def step(iterator):
    batch, worker_tag = next(iterator)

    def replica_fn(batch):
      egos, labels = batch
      with tf.GradientTape() as tape:
        outputs = model(egos, training=True)
        # As Keras fit: the mean losses plus the regularization losses.
        loss = tf.add_n([tf.reduce_mean(loss_fn(y, logits))
                         for y, logits in zip(labels, outputs)] + model.losses)
      grads = tape.gradient(loss, model.trainable_variables)
      optimizer.apply_gradients(zip(grads, model.trainable_variables))
      return loss
    losses = strategy.run(replica_fn, args=(batch,))
    return strategy.reduce(tf.distribute.ReduceOp.MEAN, losses, axis=None), worker_tag

  num_steps = _EPOCHS.value * steps_per_epoch
  results = []
  for i in range(num_steps):
    results.append(coordinator.schedule(step, args=(iterator,)))
    if i + 1 == _HOLD_AT_STEP.value:
      # Steps are still running: the test kills a worker now, and lets us go on
      # once the replacement serves.
      print(f"holding at step {i + 1}", flush=True)
      while not os.path.exists(_HOLD_FILE.value):
        time.sleep(0.1)
      print("resuming", flush=True)
  coordinator.join()
  outcomes = [r.fetch() for r in results]
  losses = [loss for loss, _ in outcomes]
  tags = [int(tag) for _, tag in outcomes]
  before, after = set(tags[:_HOLD_AT_STEP.value]), set(tags[_HOLD_AT_STEP.value:])
  variables = {v.name: [s.device for s in getattr(v, "variables", [v])]
               for v in model.trainable_variables}
  return model, {"steps": int(optimizer.iterations.numpy()), "scheduled_steps": num_steps,
                 "closures_done": len(losses), "train_loss": float(losses[-1]),
                 # Steps run by each worker process (a restarted one counts anew).
                 "closures_per_worker_process": sorted(tags.count(t) for t in set(tags)),
                 "new_worker_processes_after_hold": len(after - before),
                 "variable_devices": variables,
                 "topology_bytes": (source.topology_bytes() if _PARTITION_GRAPH.value
                                    else None)}


def main(argv):
  del argv
  # Strategies first: MultiWorkerMirroredStrategy must configure the runtime
  # before any op runs; on worker and ps tasks parameter_server_strategy serves.
  if _STRATEGY.value == "parameter_server":
    strategy = tfgle.distribute.parameter_server_strategy(
        min_shard_bytes=_MIN_SHARD_BYTES.value)
  elif _STRATEGY.value == "multi_worker_mirrored":
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
  else:
    strategy = tf.distribute.get_strategy()
  tf.keras.utils.set_random_seed(_SEED.value)
  graph, info = tfgle.datasets.load_citation(_DATA_DIR.value)
  start = time.perf_counter()
  if _STRATEGY.value == "parameter_server":
    model, metrics = train_parameter_server(graph, info, strategy)
  else:
    model, metrics = train_keras(graph, info, strategy)
  metrics["train_seconds"] = time.perf_counter() - start
  metrics["num_replicas"] = strategy.num_replicas_in_sync
  # A checksum of the weights (the same on all MultiWorkerMirrored workers).
  metrics["weights_checksum"] = float(sum(
      tf.reduce_sum(tf.cast(v, tf.float64)) for v in model.trainable_variables))
  # (Other MultiWorkerMirrored workers have the same model.)
  if tfgle.distribute.is_chief(strategy):
    metrics["test_accuracies"] = test_accuracy(model, graph)
    metrics["test_accuracy"] = sum(metrics["test_accuracies"]) / len(metrics["test_accuracies"])
  line = json.dumps(metrics, sort_keys=True)
  print(f"final metrics: {line}", flush=True)
  if _METRICS_JSON.value and tfgle.distribute.is_chief(strategy):
    with open(_METRICS_JSON.value, "w") as f:
      f.write(line + "\n")


if __name__ == "__main__":
  flags.mark_flag_as_required("data_dir")
  sys.exit(app.run(main))
