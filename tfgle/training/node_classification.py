"""Node classification with a model of the zoo: its data, model, metrics and manifest.

The pieces examples/train_supervised.py wires together: which node and edge
type to classify along, the training input (see training_input) and the val
and test data, the model built from the settings (presets), the metrics
reported for every split, and the manifest of the trained model.
"""
from __future__ import annotations

import functools
import inspect
from typing import Optional, Sequence

import tensorflow as tf

from tfgle import data
from tfgle import distribute
from tfgle import losses
from tfgle import metrics as metrics_lib
from tfgle.training import manifest as manifest_lib
from tfgle.training import training_input as training_input_lib
from tfgle.training.presets import NodeClassificationSettings

# Neighbors at evaluation are sampled without replacement: a node with at most
# eval_fanouts neighbors is evaluated on all of them.
EVAL_STRATEGY = "random_without_replacement"
SPLITS = ("train", "val", "test")
# Settings passed to a model only if its constructor takes them.
_OPTIONAL_SETTINGS = ("heads", "attention_dropout", "aggregator")


def choose_types(graph, info=None, node_type: Optional[str] = None,
                 edge_type: Optional[str] = None) -> tuple[str, str]:
  """(node type, edge type name) to classify along: the given ones, else the data set's.

  Without `node_type`: info.node_type, else the graph's first node type.
  Without `edge_type`: info.edge_type, else the first edge type from the node
  type to itself.

  Raises:
    ValueError: a node type not in the graph, no edge type from the node type
      to itself, or an edge type between other types.
  """
  node_type = node_type or getattr(info, "node_type", None) or graph.node_types[0]
  if node_type not in graph.node_types:
    raise ValueError(f"node_type {node_type!r} is not a node type of the graph: "
                     f"{graph.node_types}")
  if not edge_type:
    default = getattr(info, "edge_type", None)
    candidates = [default if isinstance(default, str) else default[2]] if default else [
        e.name for e in graph.edge_types if e.src == node_type and e.dst == node_type]
    if not candidates:
      raise ValueError(f"no edge type from {node_type!r} to {node_type!r}; give edge_type")
    edge_type = candidates[0]
  et = graph.edge_type(edge_type)
  if et.src != node_type or et.dst != node_type:
    raise ValueError(f"edge_type {et.name!r} must go from {node_type!r} to {node_type!r}, got "
                     f"{et.src!r} -> {et.dst!r}")
  return node_type, et.name


def count_classes(graph, node_type: str, info=None) -> int:
  """The number of classes: info.num_classes, else the largest label + 1."""
  num_classes = getattr(info, "num_classes", None)
  if num_classes:
    return int(num_classes)
  return int(graph.labels(node_type).numpy().max()) + 1


def check_splits(graph, node_type: str) -> None:
  """Raises ValueError unless `node_type` has the splits train, val and test."""
  splits = graph.splits(node_type)
  if any(name not in splits for name in SPLITS):
    raise ValueError(f"node type {node_type!r} needs the splits {list(SPLITS)}; it has "
                     f"{splits}")


def _dataset_class(batch: str):
  if batch not in manifest_lib.BATCH_KINDS:
    raise ValueError(f"batch must be one of {list(manifest_lib.BATCH_KINDS)}, got {batch!r}")
  return data.ego_graph_dataset if batch == "ego_graph" else data.subgraph_dataset


def training_data(graph, settings: NodeClassificationSettings, meta_path: Sequence[str], *,
                  batch: str, strategy: tf.distribute.Strategy, seed: int,
                  start_step: int = 0, skip_epochs: int = 0):
  """(train data, steps per epoch) of the "train" split for model.fit under `strategy`.

  In one process the data is an endless position stream from step
  `start_step`; multi-worker strategies skip `skip_epochs` epochs (see
  training_input).

  Raises:
    ValueError: SubGraph batches (batch="subgraph") under a multi-worker strategy.
  """
  make = _dataset_class(batch)
  multi_worker = (tf.distribute.MultiWorkerMirroredStrategy,
                  tf.distribute.experimental.ParameterServerStrategy)
  if batch != "ego_graph" and isinstance(strategy, multi_worker):
    raise ValueError(f"{type(strategy).__name__} trains EgoGraph batches, not {batch!r}")
  args = ("train", list(meta_path), list(settings.fanouts), settings.batch_size)
  node_type = graph.edge_type(meta_path[0]).src
  return training_input_lib.training_input(
      strategy, graph,
      lambda g, **order: make(g, *args, strategy=settings.sampling, **order),
      lambda g, seed: distribute.ego_dataset_fn(g, *args, repeat=True, shuffle=True,
                                                strategy=settings.sampling, seed=seed),
      num_examples=int(graph.split_indices(node_type, "train").shape[0]),
      batch_size=settings.batch_size, seed=seed, start_step=start_step, skip_epochs=skip_epochs,
      finish=lambda ds: ds.prefetch(2))


def evaluation_data(graph, settings: NodeClassificationSettings, meta_path: Sequence[str], *,
                    batch: str, seed: int):
  """(val, test) datasets: eval_fanouts sampled without replacement, the same val every epoch."""
  make = functools.partial(_dataset_class(batch), graph, meta_path=list(meta_path),
                           fanouts=list(settings.eval_fanouts),
                           batch_size=settings.eval_batch_size, shuffle=False,
                           strategy=EVAL_STRATEGY)
  return make("val", seed=seed + 1).cache(), make("test", seed=seed + 2)


def classification_metrics(num_classes: int) -> list[tf.keras.metrics.Metric]:
  """The metrics reported for every split: accuracy, micro and macro F1."""
  return [tf.keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
          metrics_lib.F1Score(num_classes, average="micro", name="micro_f1"),
          metrics_lib.F1Score(num_classes, average="macro", name="macro_f1")]


def classification_loss(**kwargs) -> tf.keras.losses.Loss:
  """The training loss: softmax cross-entropy of the logits."""
  return losses.SoftmaxCrossEntropy(**kwargs)


def build_classifier(model_class, graph, settings: NodeClassificationSettings, node_type: str,
                     num_classes: int) -> tf.keras.Model:
  """A `model_class.from_graph` classifier of `node_type` with one GNN layer per hop.

  With head="conv" the last layer gives the logits. Settings the class's
  constructor does not take (heads for a non-attention model) are left out.
  """
  hidden = len(settings.fanouts) - (settings.head == "conv")
  kwargs = dict(hidden_dims=[settings.hidden_dim] * hidden, num_classes=num_classes,
                head=settings.head, dropout=settings.dropout,
                encoder_dim=settings.encoder_dim or None)
  if settings.weight_decay:
    kwargs["kernel_regularizer"] = tf.keras.regularizers.L2(settings.weight_decay / 2)
  accepted = inspect.signature(model_class.__init__).parameters
  kwargs.update({name: getattr(settings, name) for name in _OPTIONAL_SETTINGS
                 if name in accepted})
  attrs = graph.node_attrs(node_type)
  multi_hot = [name for name in settings.multi_hot if name in attrs]
  return model_class.from_graph(graph, node_type, multi_hot=multi_hot, **kwargs)


def classifier_manifest(model: tf.keras.Model, graph, settings: NodeClassificationSettings, *,
                        data_config: dict, batch: str, node_type: str, meta_path: Sequence[str],
                        num_classes: int) -> manifest_lib.ModelManifest:
  """The manifest of a trained classifier (one tower, "node", embedded by model.embed)."""
  spec = data.ego_spec(graph, node_type, list(meta_path), [1] * len(meta_path))
  return manifest_lib.ModelManifest(
      task="node_classification", model=settings.model,
      model_class=tf.keras.utils.get_registered_name(type(model)), batch=batch,
      data=data_config,
      towers={"node": manifest_lib.Tower(node_type=node_type, meta_path=tuple(meta_path),
                                         hop_node_types=tuple(spec.node_types))},
      edge_type=tuple(graph.edge_type(meta_path[0])), fanouts=settings.fanouts,
      eval_fanouts=settings.eval_fanouts, sampling=settings.sampling,
      eval_strategy=EVAL_STRATEGY,
      # The graph attributes the batches must carry (an id embedding reads "index").
      features={node_type: tuple(sorted(n for n in model.features
                                        if n in graph.node_attrs(node_type)))},
      multi_hot=tuple(n for n in settings.multi_hot if n in model.features),
      embedding_dim=model.embedding_dim, num_classes=num_classes,
      settings=settings.as_dict())
