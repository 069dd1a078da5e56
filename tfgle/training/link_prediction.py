"""Link prediction with two towers (tfgle.models.EgoBipartiteSAGE): task, data and manifest.

The pieces examples/train_link_prediction.py wires together: `make_task`
derives each tower's meta-path (alternating the edge type and its reverse)
and features from the edge type to predict; `training_data` streams
(batch, label 0) pairs of link_ego_graph_dataset batches under a strategy;
`embed_all` embeds every node of one side; `link_manifest` describes the
trained model; `evaluate_held_out` ranks every item for the held-out edges of
a split edge table (DataConfig.edge_split). The held-out evaluation of the
built-in data sets is in tfgle.training.ranking.
"""
from __future__ import annotations

import dataclasses
from typing import Mapping, Optional

import numpy as np
import tensorflow as tf

from tfgle import data
from tfgle import distribute
from tfgle import features as features_lib
from tfgle import ranking
from tfgle._progress import RateProgress
from tfgle.graph import EdgeType
from tfgle.graph import TextAttr
from tfgle.training import manifest as manifest_lib
from tfgle.training import training_input as training_input_lib

SIDES = ("user", "item")


@dataclasses.dataclass(frozen=True)
class LinkTask:
  """What is predicted: the edge type, each side's node type, meta-path and features.

  Attributes:
    edge_type: the edges predicted (source: the "user" side, destination: "item").
    node_types: side -> node type.
    meta_paths: side -> edge types followed from hop 0.
    hop_node_types: side -> node type of every hop.
    features: node type -> attributes gathered (besides ids).
    node_features: node type -> feature specs of the model.
    share_towers: both sides are one node type and share one tower.
  """
  edge_type: EdgeType
  node_types: Mapping[str, str]
  meta_paths: Mapping[str, list[str]]
  hop_node_types: Mapping[str, list[str]]
  features: Mapping[str, list[str]]
  node_features: Mapping[str, dict]
  share_towers: bool


def reverse_edge_type(graph, edge_type: EdgeType) -> EdgeType:
  """The edge type from edge_type's destination to its source (`<name>_reverse` first).

  Raises:
    ValueError: the graph has none (it was built with directed=True).
  """
  candidates = [e for e in graph.edge_types if e.src == edge_type.dst and e.dst == edge_type.src]
  for e in candidates:
    if e.name == f"{edge_type.name}_reverse":
      return e
  if not candidates:
    raise ValueError(f"edge type {edge_type.name!r} ({edge_type.src} -> {edge_type.dst}) has no "
                     "reverse edge type, so item EgoGraphs cannot reach users; build it with "
                     "directed=False")
  return candidates[0]


def make_task(graph, edge_type: str, num_hops: int, *, node_features: bool = True,
              feature_embedding_dim: int = 16, id_embedding_dim: int = 32,
              text_features: Optional[str] = None) -> LinkTask:
  """The towers' meta-paths (alternating edge and reverse edge) and feature specs.

  Args:
    graph: the built graph.
    edge_type: the edge type to predict.
    num_hops: hops of each tower's EgoGraphs.
    node_features: encode node attributes besides the id embeddings
      (StringAttr attributes are skipped).
    text_features: with node_features, how TextAttr attributes (e.g.
      MovieLens titles) are encoded over a vocabulary learned from the graph:
      "embedding" (a bag of `feature_embedding_dim`-wide token embeddings of
      the first 16 tokens: cheap per sampled node) or "tf_idf" (a vector as
      wide as the vocabulary per sampled node); None skips them.
    feature_embedding_dim: width of categorical attribute embeddings.
    id_embedding_dim: width of the node id embeddings.
  """
  et = graph.edge_type(edge_type)
  if et.src == et.dst:
    paths = {"user": [et.name] * num_hops, "item": [et.name] * num_hops}
  else:
    pair = [et.name, reverse_edge_type(graph, et).name]
    paths = {"user": [pair[i % 2] for i in range(num_hops)],
             "item": [pair[(i + 1) % 2] for i in range(num_hops)]}
  hop_types = {side: list(data.ego_spec(graph, start, paths[side], [1] * num_hops).node_types)
               for side, start in (("user", et.src), ("item", et.dst))}
  features, specs_by_type = {}, {}
  for node_type in dict.fromkeys(hop_types["user"] + hop_types["item"]):
    specs = {}
    if node_features:
      attrs = graph.node_attrs(node_type)
      texts = {}
      if text_features:
        texts = features_lib.feature_encoder.graph_text_specs(
            graph, node_type, output=text_features, max_length=16,
            embedding_dim=feature_embedding_dim)
      specs = features_lib.specs.from_attrs(
          attrs, embedding_dim=feature_embedding_dim, texts=texts,
          exclude=[n for n, a in attrs.items() if isinstance(a, TextAttr) and n not in texts])
    features[node_type] = list(specs)
    specs["ids"] = features_lib.node_id(embedding_dim=id_embedding_dim,
                                        num_ids=graph.num_nodes(node_type), key="index")
    specs_by_type[node_type] = specs
  return LinkTask(edge_type=et, node_types={"user": et.src, "item": et.dst}, meta_paths=paths,
                  hop_node_types=hop_types, features=features, node_features=specs_by_type,
                  share_towers=et.src == et.dst)


def _with_labels(ds: tf.data.Dataset) -> tf.data.Dataset:
  """(batch, label 0) pairs: the positive is logit 0 of the model's output."""
  return ds.map(lambda batch: (batch, tf.zeros(tf.shape(batch["src"]["hop0"]["ids"])[:1],
                                               tf.int32)))


def parse_neg_condition(values) -> dict:
  """{attr: share} of --neg_condition's ATTR:SHARE items (a binary's flag values).

  Raises:
    ValueError: a malformed item, a repeated attribute, a share outside (0, 1], or shares
      summing to more than 1.
  """
  condition = {}
  for item in values:
    attr, sep, share = item.rpartition(":")
    try:
      value = float(share)
    except ValueError:
      value = None
    if not sep or not attr or value is None or not 0 < value <= 1 or attr in condition:
      raise ValueError(f"--neg_condition takes ATTR:SHARE items with distinct attributes and "
                       f"shares in (0, 1], e.g. year:0.5; got {item!r}")
    condition[attr] = value
  if sum(condition.values()) > 1 + 1e-9:
    raise ValueError(f"--neg_condition's shares must sum to at most 1, got {','.join(values)}")
  return condition


def training_data(graph, task: LinkTask, fanouts: list[int], *, batch_size: int, seed: int,
                  strategy: tf.distribute.Strategy, num_negatives: int, neg_strategy: str,
                  neg_condition: Optional[dict] = None, neg_unique: bool = False,
                  neg_batch_share: bool = False, start_step: int = 0, skip_epochs: int = 0):
  """(data, steps per epoch) of the task's edges for model.fit under `strategy`.

  Every epoch is one pass over the edges; in one process the data is an
  endless position stream from step `start_step`, multi-worker strategies
  skip `skip_epochs` epochs (see training_input). neg_condition, neg_unique
  and neg_batch_share: GLE's conditional negatives, as in
  tfgle.data.link_ego_graph_dataset.
  """
  args = (task.edge_type.name, task.meta_paths["user"], task.meta_paths["item"], fanouts)
  kwargs = dict(num_negatives=num_negatives, neg_strategy=neg_strategy, features=task.features)
  if neg_condition:
    kwargs.update(neg_condition=dict(neg_condition), neg_unique=neg_unique,
                  neg_batch_share=neg_batch_share)
  elif neg_unique or neg_batch_share:
    raise ValueError("neg_unique and neg_batch_share apply to conditional negatives: give "
                     "neg_condition too")
  return training_input_lib.training_input(
      strategy, graph,
      lambda g, **order: data.link_ego_graph_dataset(g, *args, batch_size, **order, **kwargs),
      lambda g, seed: distribute.link_ego_dataset_fn(g, *args, batch_size, repeat=True,
                                                     seed=seed, **kwargs),
      num_examples=graph.num_edges(task.edge_type.name), batch_size=batch_size, seed=seed,
      start_step=start_step, skip_epochs=skip_epochs, finish=_with_labels)


def embed_all(model, graph, task: LinkTask, side: str, fanouts: list[int], *,
              batch_size: int, seed: int, verbose: int = 0) -> np.ndarray:
  """Embeddings [N, D] of every node of `side`'s node type, in dense-index order (verbose=1:
  with a progress bar)."""
  node_type = task.node_types[side]
  ds = data.ego_graph_dataset(graph, None, task.meta_paths[side], fanouts, batch_size=batch_size,
                            label=False, shuffle=False, features=task.features, seed=seed)
  embed = tf.function(lambda batch: model.embed(batch, side))
  out = np.zeros((graph.num_nodes(node_type), model.embedding_dim), np.float32)
  progress = RateProgress(len(out), unit="node", rate_name="nodes/s", verbose=verbose)
  for batch in ds:
    index = batch["hop0"]["index"].numpy()
    out[index] = embed(batch).numpy()
    progress.add(len(index), len(index))
  return out


def link_manifest(model, task: LinkTask, fanouts: list[int], *, data_config: dict,
                  settings: Optional[dict] = None) -> manifest_lib.ModelManifest:
  """The manifest of a trained two-tower model: towers "user" and "item"."""
  towers = {side: manifest_lib.Tower(
      node_type=task.node_types[side], meta_path=tuple(task.meta_paths[side]),
      hop_node_types=tuple(task.hop_node_types[side]),
      method="embed_users" if side == "user" else "embed_items") for side in SIDES}
  return manifest_lib.ModelManifest(
      task="link_prediction", model="ego_bipartite_sage",
      model_class=tf.keras.utils.get_registered_name(type(model)), batch="ego_graph",
      data=data_config, towers=towers, edge_type=tuple(task.edge_type), fanouts=tuple(fanouts),
      features={t: tuple(names) for t, names in task.features.items()},
      embedding_dim=model.embedding_dim,
      settings=dict(settings or {}, score=model.score, share_towers=model.share_towers))


def evaluate_held_out(graph, held_out, users: np.ndarray, items: np.ndarray,
                      k: int) -> dict[str, float]:
  """Full-ranking Recall@k / NDCG@k of the test edges of a split edge table, and popularity's.

  For every source with test edges, every destination is ranked
  (tfgle.ranking.evaluate_ranking) with its training and validation
  destinations masked; the popularity baseline ranks the same candidates by
  their number of training edges (ties: lower dense index first).

  Args:
    graph: the graph of the training edges.
    held_out: the split (tfgle.training.data_config.HeldOutEdges).
    users, items: embeddings [N, D] of every source and destination node, in
      dense-index order.
    k: the cut-off.

  Returns:
    recall_at_k, ndcg_at_k, their popularity_ counterparts, recall_lift
    (model / popularity recall), test_users and test_edges.

  Raises:
    ValueError: no test edge (raise test_fraction).
  """
  src_type, dst_type, _ = held_out.edge_type

  def indices(pairs):
    return (graph.to_index(src_type, pairs[0]).numpy(), graph.to_index(dst_type, pairs[1]).numpy())
  train, val, test = indices(held_out.train), indices(held_out.val), indices(held_out.test)
  if not len(test[0]):
    raise ValueError("the edge split holds out no test edge: raise test_fraction (a source "
                     "needs about 1 / (2 * test_fraction) edges to hold one out)")
  known = tuple(np.concatenate([a, b]) for a, b in zip(train, val))
  popularity = tf.constant(np.bincount(train[1], minlength=len(items)), tf.float32)
  options = dict(ks=[k], metrics=("recall", "ndcg"))
  result = ranking.evaluate_ranking(known, test, user_embeddings=users, item_embeddings=items,
                                    **options)
  result.update(ranking.evaluate_ranking(
      known, test, num_users=len(users), num_items=len(items), prefix="popularity_",
      score_fn=lambda u, i: tf.broadcast_to(tf.gather(popularity, i), [tf.size(u), tf.size(i)]),
      **options))
  base = result[f"popularity_recall_at_{k}"]
  result.update(recall_lift=result[f"recall_at_{k}"] / base if base else float("nan"),
                test_users=int(len(np.unique(test[0]))), test_edges=int(len(test[0])))
  return result


def evaluate_task(model, graph, info, task: LinkTask, dataset: str, fanouts, *, top_k: int,
                  eval_negatives: int, seed: int, batch_size: int, verbose: int = 0) -> dict:
  """Embeds every node and scores the held-out edges as `dataset` holds them out.

  movielens: all unrated items ranked per user against ua.test; tables: all
  destinations ranked per source, training and validation ones masked;
  otherwise (synthetic) each test edge against `eval_negatives` random
  destinations. Each with the popularity baseline beside the model. verbose=1
  shows the bulk inference's progress.
  """
  from tfgle.training import ranking as ranking_lib  # pylint: disable=g-import-not-at-top
  embed = dict(batch_size=max(batch_size, 1024), seed=seed + 1, verbose=verbose)
  users = embed_all(model, graph, task, "user", fanouts, **embed)
  items = users if model.share_towers else embed_all(model, graph, task, "item", fanouts,
                                                     **embed)
  if dataset == "movielens":
    return ranking_lib.evaluate_recommendation(graph, info, users, items, top_k)
  if dataset == "tables":
    return evaluate_held_out(graph, info, users, items, top_k)
  return ranking_lib.evaluate_link_prediction(graph, task.edge_type, info.test_edges, users,
                                              items, top_k, eval_negatives, seed)
