"""Full-graph batches: a whole (small) graph as one SubGraph, for full-batch training.

Graphs that fit in memory train fastest without sampling: GCN/GAT-style
full-batch training propagates over every edge each step. `full_graph_dataset`
yields the graph once as a SubGraph whose "seeds" are all its nodes (in
dense-index order), with every node's label and a sample weight that selects
the nodes of one split, so `model.fit(ds.repeat(), steps_per_epoch=1)` trains
on the split and `model.evaluate(test_ds)` scores another with the same batch.
"""
from __future__ import annotations

from typing import Optional, Sequence

import tensorflow as tf

from tfgle.data.subgraph import induced_subgraph
from tfgle.graph.graph import as_sampler


def full_graph(graph, edge_type, *, features: Optional[Sequence[str]] = None) -> dict:
  """The SubGraph of every node of `edge_type`'s node type and all its edges.

  Args:
    graph: a built tfgle.Graph, or a tfgle.graph.Sampler of one.
    edge_type: an edge type within one node type.
    features: node features to gather (None: all).

  Raises:
    ValueError: an edge type between two node types.
  """
  sampler = as_sampler(graph)
  et = sampler.graph.edge_type(edge_type)
  num_nodes = sampler.graph.num_nodes(et.src)
  index = tf.range(num_nodes, dtype=tf.int64)
  return induced_subgraph(sampler, et.name, index, tf.ones([num_nodes], tf.bool), num_nodes,
                          features)


def full_graph_dataset(graph, edge_type, split: Optional[str] = None, *,
                       features: Optional[Sequence[str]] = None) -> tf.data.Dataset:
  """A one-element dataset: (the full-graph SubGraph, labels [N], sample weights [N]).

  Example:
    train = tfgle.data.full_graph_dataset(g, "cites", "train")
    model = tfgle.models.GCN.from_graph(g, "paper", multi_hot=["words"], hidden_dims=[16],
                                        num_classes=7, head="conv", dropout=0.5)
    model.fit(train.repeat(), epochs=200, steps_per_epoch=1)
    model.evaluate(tfgle.data.full_graph_dataset(g, "cites", "test"))

  Args:
    graph: a built tfgle.Graph, or a tfgle.graph.Sampler of one.
    edge_type: an edge type within one node type (whose nodes carry labels).
    split: weights are N / |split| on the nodes of this split and 0
      elsewhere (the loss is then the split's mean); None weighs every node 1.
    features: node features to gather (None: all).

  Raises:
    ValueError: an edge type between two node types, a node type without
      labels or without `split`.
  """
  sampler = as_sampler(graph)
  g = sampler.graph
  node_type = g.edge_type(edge_type).src
  num_nodes = g.num_nodes(node_type)
  labels = sampler.gather_labels(node_type, tf.range(num_nodes, dtype=tf.int64))
  if split is None:
    weights = tf.ones([num_nodes], tf.float32)
  else:
    # N / |split| on the split's nodes: Keras averages a weighted loss over all N
    # rows of the batch, so these weights make it the mean over the split's nodes
    # (as a loss on the split alone), whatever the regularization beside it.
    members = g.split_indices(node_type, split)
    share = float(num_nodes) / max(int(members.shape[0]), 1)
    weights = tf.scatter_nd(members[:, tf.newaxis], tf.fill(tf.shape(members), share),
                            [num_nodes])
  # Built once, eagerly: every step reuses the same batch.
  return tf.data.Dataset.from_tensors((full_graph(sampler, edge_type, features=features),
                                       labels, weights))
