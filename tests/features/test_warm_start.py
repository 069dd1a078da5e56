"""Tests of warm starts onto grown graphs: id embeddings and vocabularies that grew."""
import numpy as np
import tensorflow as tf

import tfgle
import tfgle.models
from tfgle.features.warm_start import warm_start


def _graph(num_nodes, vocab):
  ids = np.arange(num_nodes)
  colors = np.array(["a", "b"] * num_nodes)[:num_nodes]
  return (tfgle.Graph()
          .node({"id": ids, "color": colors}, node_type="n",
                decoder=tfgle.Decoder(attrs={"color": tfgle.CategoricalAttr(vocab=vocab)}))
          .edge({"src_id": ids, "dst_id": (ids + 1) % num_nodes}, edge_type=("n", "n", "e"))
          .build())


def _model(graph):
  model = tfgle.models.EgoGraphSAGE.from_graph(graph, "n", hidden_dims=[8, 8], embedding_dim=4,
                                               id_embedding_dim=3)
  model(_batch(graph))
  return model


def _batch(graph, ids=None):
  ds = tfgle.data.ego_graph_dataset(graph, ids, ["e", "e"], [2, 2], 100, shuffle=False,
                                    label=False, seed=3)
  return next(iter(ds))


def _table(model, key):
  encoder = model.encoder
  return encoder.tables[key].embeddings.numpy()


class WarmStartTest(tf.test.TestCase):

  def test_id_embeddings_grow_with_added_nodes(self):
    g = _graph(5, ["a", "b"])
    trained = _model(g)
    for w in trained.weights:   # "trained": weights unlike a fresh model's
      w.assign(tf.random.stateless_normal(w.shape, seed=[1, 2], dtype=w.dtype))
    g.add_nodes("n", {"id": np.array([5, 6]), "color": np.array(["b", "a"])})
    model = _model(g)
    fresh = _table(model, "index").copy()
    report = warm_start(model, trained)
    self.assertEqual(report.grown, {"index": (6, 8)})
    self.assertEqual(report.copied, len(model.weights) - 1)
    old, new = _table(trained, "index"), _table(model, "index")
    self.assertAllEqual(new[:5], old[:5])          # the old nodes' rows, by index
    self.assertAllEqual(new[7], old[5])            # the out-of-range row moved to the end
    self.assertAllEqual(new[5:7], fresh[5:7])      # new nodes keep their fresh rows
    # The old nodes' embeddings are the trained model's.
    batch = _batch(_graph(5, ["a", "b"]))
    self.assertAllClose(model.embed(batch), trained.embed(batch))

  def test_categorical_rows_follow_their_values(self):
    trained = _model(_graph(4, ["a", "b"]))
    model = _model(_graph(4, ["c", "b", "a"]))
    report = warm_start(model, trained)
    self.assertEqual(report.grown, {"color": (3, 4)})
    old, new = _table(trained, "color"), _table(model, "color")
    self.assertAllEqual(new[0], old[0])   # out of vocabulary
    self.assertAllEqual(new[3], old[1])   # "a"
    self.assertAllEqual(new[2], old[2])   # "b"

  def test_errors(self):
    g = _graph(4, ["a", "b"])
    with self.assertRaisesRegex(ValueError, "model must be built"):
      warm_start(tf.keras.Sequential(), _model(g))
    with self.assertRaisesRegex(ValueError, "weights; they must be the same architecture"):
      warm_start(_small(g), _model(g))
    with self.assertRaisesRegex(ValueError, "tables may only grow"):
      warm_start(_model(_graph(3, ["a", "b"])), _model(_graph(6, ["a", "b"])))


def _small(graph):
  model = tfgle.models.EgoGraphSAGE.from_graph(graph, "n", hidden_dims=[8], embedding_dim=4,
                                               id_embedding_dim=3)
  ds = tfgle.data.ego_graph_dataset(graph, None, ["e"], [2], 100, shuffle=False, label=False)
  model(next(iter(ds)))
  return model


if __name__ == "__main__":
  tf.test.main()
