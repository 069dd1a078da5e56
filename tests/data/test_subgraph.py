"""Tests of SubGraph batches and their tensorflow-gnn GraphTensor conversion."""
import numpy as np
import tensorflow as tf

import tfgle
from tfgle.data import subgraph_dataset, induced_subgraph, to_graph_tensor
from tests.conftest import require_dataset


def _graph():
  rng = np.random.default_rng(1)
  n = 40
  src, dst = rng.integers(0, n, 150), rng.integers(0, n, 150)
  return (tfgle.Graph()
          .node({"id": np.arange(n), "x": rng.random((n, 3)), "label": np.arange(n) % 2},
                node_type="v", decoder=tfgle.Decoder(label="label",
                                                     attrs={"x": tfgle.FloatAttr(dim=3)}))
          .edge({"src_id": src, "dst_id": dst}, edge_type=("v", "v", "e"), directed=False)
          .build())


class SubGraphTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.g = _graph()
    nbrs = cls.g.neighbors("e", np.arange(40)).ids.to_list()
    cls.edges = {(u, v) for u, row in enumerate(nbrs) for v in row}

  def test_induced_subgraph_has_exactly_the_edges_among_its_nodes(self):
    index = tf.constant([[3, 7, 7], [11, 3, 25]], tf.int64)
    mask = tf.constant([[True, True, False], [True, True, True]])
    sub = induced_subgraph(self.g, "e", index, mask, num_seeds=2)
    nodes = sub["index"].numpy().tolist()
    self.assertEqual(nodes, [3, 7, 11, 25])
    got = {(nodes[t], nodes[s]) for s, t in sub["edge_index"].numpy().T}
    expected = {(u, v) for (u, v) in self.edges if u in nodes and v in nodes}
    self.assertEqual(got, expected)
    self.assertEqual(sub["x"].shape, (4, 3))

  def test_dataset_seeds_first_and_graph_tensor(self):
    ds = subgraph_dataset(self.g, meta_path=["e", "e"], fanouts=[4, 3], batch_size=5,
                         shuffle=False, graph_tensor=True)
    graph, labels = next(iter(ds))
    nodes = graph.node_sets["nodes"]
    self.assertAllEqual(nodes["ids"][:5], [0, 1, 2, 3, 4])
    self.assertAllEqual(labels, [0, 1, 0, 1, 0])
    self.assertAllEqual(graph.context["num_seeds"], [5])
    adjacency = graph.edge_sets["edges"].adjacency
    ids = nodes["ids"].numpy()
    for s, t in zip(adjacency.source.numpy(), adjacency.target.numpy()):
      self.assertIn((ids[t], ids[s]), self.edges)

  def test_needs_one_node_type(self):
    with self.assertRaisesRegex(ValueError, "within one node type"):
      g = (tfgle.Graph().node({"id": np.arange(2)}, node_type="a")
           .node({"id": np.arange(2)}, node_type="b")
           .edge({"src_id": np.array([0]), "dst_id": np.array([1])},
                 edge_type=("a", "b", "ab")).build())
      induced_subgraph(g, "ab", tf.constant([0], tf.int64), tf.constant([True]), 1)


class TfgnnTrainingTest(tf.test.TestCase):
  """tensorflow-gnn's Keras layers train on tfgle SubGraph batches of Cora."""

  def test_graphsage_trains_on_cora_subgraphs(self):
    import tensorflow_gnn as tfgnn  # pylint: disable=g-import-not-at-top
    from tensorflow_gnn.models import graph_sage  # pylint: disable=g-import-not-at-top
    g, _ = tfgle.datasets.load_citation(require_dataset("cora"))
    vocab = len(g.node_attrs("paper")["words"].vocab) + 1

    def dataset(seeds, shuffle):
      return subgraph_dataset(g, seeds=seeds, meta_path=["cites", "cites"], fanouts=[10, 5],
                             batch_size=70, features=["words"], shuffle=shuffle,
                             graph_tensor=True, seed=1)

    train = dataset("train", True)
    spec = train.element_spec[0]
    inputs = tf.keras.layers.Input(type_spec=spec)
    embed = tf.keras.layers.Embedding(vocab, 64)

    def node_features(node_set, node_set_name):
      del node_set_name
      return tf.reduce_mean(embed(node_set["words"]), axis=-2)
    graph = tfgnn.keras.layers.MapFeatures(node_sets_fn=node_features)(inputs)
    for _ in range(2):
      graph = tfgnn.keras.layers.GraphUpdate(node_sets={
          "nodes": tfgnn.keras.layers.NodeSetUpdate(
              {"edges": graph_sage.GraphSAGEPoolingConv(
                  receiver_tag=tfgnn.TARGET, sender_node_feature=tfgnn.HIDDEN_STATE,
                  units=64, hidden_units=64)},
              graph_sage.GraphSAGENextState(units=64, dropout_rate=0.5))})(graph)
    states = graph.node_sets["nodes"][tfgnn.HIDDEN_STATE]
    num_seeds = tf.cast(graph.context["num_seeds"][0], tf.int32)
    logits = tf.keras.layers.Dense(7)(states[:num_seeds])
    model = tf.keras.Model(inputs, logits)
    model.compile(tf.keras.optimizers.Adam(0.01),
                  tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(train, epochs=15, verbose=0)
    _, accuracy = model.evaluate(dataset("test", False), verbose=0)
    self.assertGreater(accuracy, 0.6)  # chance is about 0.3 (largest class)


if __name__ == "__main__":
  tf.test.main()
