"""Inductive Cora: train without the test papers' citations, add them with add_edges, evaluate.

The accuracy on the grown graph must be within 2 points of a model trained and
evaluated on the graph built whole (the test prints both numbers). Needs the
shared Cora tables (tests.conftest.require_dataset: fails when TFGLE_DATASETS is
set and they are missing).
"""
import os

import numpy as np
import pyarrow.csv as pacsv
import tensorflow as tf

import tfgle
import tfgle.models
from tests.conftest import require_dataset

_EPOCHS = 60


def _train(graph, seed):
  """The recipe of train_supervised's Cora preset (EgoGraphSAGE, gcn aggregator, head=conv)."""
  tf.keras.utils.set_random_seed(seed)
  model = tfgle.models.EgoGraphSAGE.from_graph(
      graph, "paper", multi_hot=["words"], hidden_dims=[64], num_classes=7, head="conv",
      aggregator="gcn", dropout=0.5, kernel_regularizer=tf.keras.regularizers.L2(2.5e-4))
  model.compile(tf.keras.optimizers.Adam(0.01), loss=tfgle.losses.SoftmaxCrossEntropy(),
                metrics=["sparse_categorical_accuracy"])
  train = tfgle.data.ego_graph_dataset(graph, "train", ["cites", "cites"], [10, 5], 32,
                                       seed=seed, position=(0, 0))
  steps = -(-int(graph.split_indices("paper", "train").shape[0]) // 32)
  model.fit(train, epochs=_EPOCHS, steps_per_epoch=steps, verbose=0)
  return model


def _test_accuracy(model, graph):
  test = tfgle.data.ego_graph_dataset(graph, "test", ["cites", "cites"], [10, 5], 1000,
                                      shuffle=False, seed=1)
  return model.evaluate(test, return_dict=True, verbose=0)["sparse_categorical_accuracy"]


def test_edges_added_after_training_serve_the_test_papers():
  path = require_dataset("cora")
  whole, _ = tfgle.datasets.load_citation(path)
  edges = pacsv.read_csv(os.path.join(path, "edges.tsv"),
                         parse_options=pacsv.ParseOptions(delimiter="\t"))
  src, dst = edges["src_id"].to_numpy(), edges["dst_id"].to_numpy()
  test_ids = whole.split("paper", "test").numpy()
  touches_test = np.isin(src, test_ids) | np.isin(dst, test_ids)
  decoder = tfgle.Decoder(label="label", split="split", attrs={
      "words": tfgle.CategoricalAttr(multivalued=True, dtype="int64")})
  grown = (tfgle.Graph()
           .node(os.path.join(path, "nodes.tsv"), node_type="paper", decoder=decoder)
           .edge({"src_id": src[~touches_test], "dst_id": dst[~touches_test]},
                 edge_type=("paper", "paper", "cites"), directed=False)
           .build())
  test_index = grown.to_index("paper", test_ids)
  before = grown.sampler.sample_full_neighbors("cites", test_index).ids
  assert int(tf.reduce_sum(before.row_lengths())) == 0   # test papers cite nothing yet

  model = _train(grown, seed=0)                          # trained without the test edges
  isolated = _test_accuracy(model, grown)
  grown.add_edges("cites", {"src_id": src[touches_test], "dst_id": dst[touches_test]})
  assert grown.num_edges("cites") == whole.num_edges("cites")
  after = grown.sampler.sample_full_neighbors("cites", test_index).ids
  expected = whole.sampler.sample_full_neighbors("cites", test_index).ids
  assert [sorted(r) for r in after.to_list()] == [sorted(r) for r in expected.to_list()]
  added = _test_accuracy(model, grown)
  built_whole = _test_accuracy(_train(whole, seed=0), whole)
  print(f"\ninductive Cora test accuracy: trained without the test papers' edges and "
        f"evaluated without them {isolated:.4f}, with them added {added:.4f}; "
        f"graph built whole {built_whole:.4f}")
  assert abs(added - built_whole) <= 0.02, (added, built_whole)
