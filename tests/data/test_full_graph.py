"""Tests of full-graph batches: the whole graph as one SubGraph, and Cora trained full-batch."""
import time

import numpy as np
import tensorflow as tf

import tfgle
import tfgle.models
from tests.conftest import require_dataset


def _graph():
  nodes = {"id": np.arange(10, 15), "label": np.array([0, 1, 0, 1, 1]),
           "split": np.array(["train", "test", "train", "", "test"]), "x": np.arange(5.0)}
  edges = {"src_id": np.array([10, 11, 12, 14]), "dst_id": np.array([11, 12, 13, 10])}
  return (tfgle.Graph()
          .node(nodes, node_type="n", decoder=tfgle.Decoder(label="label", split="split",
                                                           attrs={"x": tfgle.FloatAttr()}))
          .edge(edges, edge_type=("n", "n", "e"))
          .build())


class FullGraphTest(tf.test.TestCase):

  def test_one_batch_holds_every_node_and_edge(self):
    g = _graph()
    sub, labels, weights = next(iter(tfgle.data.full_graph_dataset(g, "e", "train")))
    self.assertAllEqual(sub["index"], np.arange(5))
    self.assertEqual(int(sub["num_seeds"]), 5)
    self.assertAllClose(sub["x"], np.arange(5.0))
    # Messages flow from the neighbor a node would sample to the node.
    self.assertCountEqual(zip(*sub["edge_index"].numpy().tolist()),
                          [(1, 0), (2, 1), (3, 2), (0, 4)])
    self.assertAllEqual(labels, [0, 1, 0, 1, 1])
    self.assertAllClose(weights, [2.5, 0, 2.5, 0, 0])   # N / |train| on the train nodes
    _, _, all_weights = next(iter(tfgle.data.full_graph_dataset(g, "e")))
    self.assertAllClose(all_weights, np.ones(5))
    with self.assertRaisesRegex(ValueError, "has no split 'val'"):
      tfgle.data.full_graph_dataset(g, "e", "val")


def test_cora_trains_full_batch_in_seconds():
  path = require_dataset("cora")
  g, info = tfgle.datasets.load_citation(path)
  labels = g.labels("paper").numpy()
  test = g.split_indices("paper", "test").numpy()
  train = tfgle.data.full_graph_dataset(g, "cites", "train")
  batch = next(iter(train))[0]
  accuracies, seconds = [], []
  for seed in range(3):   # the GCN paper's recipe: 200 full-batch steps
    tf.keras.utils.set_random_seed(seed)
    model = tfgle.models.GCN.from_graph(
        g, "paper", multi_hot=["words"], hidden_dims=[16], num_classes=info.num_classes,
        head="conv", dropout=0.5, kernel_regularizer=tf.keras.regularizers.L2(2.5e-4))
    model.compile(tf.keras.optimizers.Adam(0.01), loss=tfgle.losses.SoftmaxCrossEntropy())
    start = time.perf_counter()
    # 200 steps in one Keras epoch (not 200 one-step epochs: each epoch costs Keras
    # ~20 ms of callbacks and iterator set-up), over the cached batch.
    model.fit(train.cache().repeat(), epochs=1, steps_per_epoch=200, verbose=0)
    seconds.append(time.perf_counter() - start)
    predictions = np.argmax(model(batch).numpy(), axis=-1)
    accuracies.append(float(np.mean(predictions[test] == labels[test])))
  print(f"\nCora full-batch GCN: test accuracy {np.mean(accuracies):.4f} {accuracies}, "
        f"training seconds {seconds}")
  assert np.mean(accuracies) >= 0.81, accuracies
