"""A task that only edge features solve: each node's label is the majority category of its
out-edges (the edges its EgoGraph samples), and every node has the same features.

The zoo's edge-aware models must beat the same models without edge features by a wide margin
on held-out nodes.
"""
import numpy as np
import tensorflow as tf

import tfgle
from tfgle.data import ego_graph_dataset, subgraph_dataset
from tfgle.models import GAT, MPNN, EgoGAT, EgoMPNN

NUM_NODES, DEGREE, NUM_TRAIN = 300, 5, 200


def edge_label_graph():
  """Node type "v" (x = 1 for all), edge type "e": DEGREE out-edges per node to distinct other
  nodes, each of category "a" or "b"; a node's label is 1 iff most of its out-edges are "b"."""
  rng = np.random.default_rng(11)
  src = np.repeat(np.arange(NUM_NODES), DEGREE)
  dst = np.concatenate([rng.choice(np.delete(np.arange(NUM_NODES), v), DEGREE, replace=False)
                        for v in range(NUM_NODES)])
  is_b = rng.random(len(src)) < 0.5
  labels = (is_b.reshape(NUM_NODES, DEGREE).sum(1) > DEGREE // 2).astype(np.int64)
  split = np.where(np.arange(NUM_NODES) < NUM_TRAIN, "train", "test").astype(object)
  return (tfgle.Graph()
          .node({"id": np.arange(NUM_NODES), "x": np.ones(NUM_NODES, np.float32),
                 "label": labels, "split": split}, node_type="v",
                decoder=tfgle.Decoder(label="label", split="split",
                                      attrs={"x": tfgle.FloatAttr()}))
          .edge({"src_id": src, "dst_id": dst, "c": np.where(is_b, "b", "a").astype(object)},
                edge_type=("v", "v", "e"),
                decoder=tfgle.Decoder(attrs={"c": tfgle.CategoricalAttr()}))
          .build())


def _accuracy(model, ds):
  correct = total = 0
  for batch, labels in ds:
    correct += int(tf.reduce_sum(tf.cast(tf.argmax(model(batch), -1) == labels, tf.int32)))
    total += int(labels.shape[0])
  return correct / total


def _train_and_test(graph, make_dataset, make_model, epochs=40):
  """Test accuracy of a model trained on the train nodes."""
  tf.keras.utils.set_random_seed(4)
  model = make_model()
  model.compile(tf.keras.optimizers.Adam(0.02), loss=tfgle.losses.SoftmaxCrossEntropy())
  model.fit(make_dataset("train", shuffle=True).cache(), epochs=epochs, verbose=0)
  return _accuracy(model, make_dataset("test", shuffle=False))


class EdgeLabelTaskTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.graph = edge_label_graph()
    labels = cls.graph.labels("v").numpy()
    cls.majority = max(labels[NUM_TRAIN:].mean(), 1 - labels[NUM_TRAIN:].mean())

  def ego_dataset(self, edge_features):
    return lambda seeds, shuffle: ego_graph_dataset(
        self.graph, seeds, ["e", "e"], [DEGREE, 2], 50, shuffle=shuffle, seed=1,
        strategy="random_without_replacement", edge_features=edge_features)

  def subgraph_dataset(self, edge_features):
    return lambda seeds, shuffle: subgraph_dataset(
        self.graph, seeds, ["e"], [DEGREE], 50, shuffle=shuffle, seed=1,
        strategy="random_without_replacement", edge_features=edge_features)

  def assert_wide_margin(self, name, with_edges, without, baseline="the same model without"):
    print(f"\n{name}: test accuracy {with_edges:.3f} with edge features, {without:.3f} for "
          f"{baseline} (majority class {self.majority:.3f})")
    self.assertGreaterEqual(with_edges, 0.9)
    self.assertGreaterEqual(with_edges - without, 0.25)

  def check_gat_needs_the_edge_features(self, model_class, dataset, hidden_dims):
    def accuracy(edge_type):
      return _train_and_test(self.graph, dataset(True if edge_type else None), lambda: (
          model_class.from_graph(self.graph, "v", edge_type=edge_type, hidden_dims=hidden_dims,
                                 heads=2, num_classes=2, embedding_dim=4)))
    self.assert_wide_margin(model_class.__name__, accuracy("e"), accuracy(None))

  def test_ego_gat_needs_the_edge_features(self):
    self.check_gat_needs_the_edge_features(EgoGAT, self.ego_dataset, [8, 8])

  def test_ego_mpnn_solves_it(self):
    accuracy = _train_and_test(self.graph, self.ego_dataset(True), lambda: EgoMPNN.from_graph(
        self.graph, "v", edge_type="e", hidden_dims=[8, 8], edge_units=4, num_classes=2,
        embedding_dim=4))
    self.assert_wide_margin("EgoMPNN", accuracy, self.majority, "the majority class")

  def test_subgraph_gat_needs_the_edge_features(self):
    self.check_gat_needs_the_edge_features(GAT, self.subgraph_dataset, [8])

  def test_subgraph_mpnn_solves_it(self):
    accuracy = _train_and_test(self.graph, self.subgraph_dataset(True), lambda: MPNN.from_graph(
        self.graph, "v", edge_type="e", hidden_dims=[8], edge_units=4, num_classes=2,
        embedding_dim=4))
    self.assert_wide_margin("MPNN", accuracy, self.majority, "the majority class")


if __name__ == "__main__":
  tf.test.main()
