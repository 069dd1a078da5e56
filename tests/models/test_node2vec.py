"""Tests of Node2Vec: scores, saving, learning communities, bulk export, and Cora accuracy."""
import os
import tempfile

import numpy as np
from scipy import optimize
import tensorflow as tf

import tfgle
from tfgle.models import Node2Vec
from tests import keras_testing
from tests.conftest import require_dataset
from tests.ops import sampling_graphs


def _batch(num_nodes=20, batch=6, negatives=3, seed=0):
  rng = np.random.default_rng(seed)
  return {"target": tf.constant(rng.integers(0, num_nodes, batch)),
          "context": tf.constant(rng.integers(0, num_nodes, batch)),
          "negatives": tf.constant(rng.integers(0, num_nodes, (batch, negatives)))}


def _two_cliques(size=8):
  """Two cliques of `size` nodes (0.. and size..) joined by one edge, undirected."""
  src, dst = [], []
  for base in (0, size):
    for a in range(size):
      for b in range(size):
        if a != b:
          src.append(base + a)
          dst.append(base + b)
  src += [0, size]
  dst += [size, 0]
  return sampling_graphs.homogeneous(src, dst, 2 * size)


def logistic_regression(x_train, y_train, l2: float):
  """Multinomial logistic regression (L-BFGS, L2 penalty on the weights): a predict function."""
  n, d = x_train.shape
  classes = int(y_train.max()) + 1
  onehot = np.eye(classes)[y_train]

  def loss_and_grad(w):
    weights, bias = w[:d * classes].reshape(d, classes), w[d * classes:]
    z = x_train @ weights + bias
    z -= z.max(1, keepdims=True)
    prob = np.exp(z)
    prob /= prob.sum(1, keepdims=True)
    loss = -np.sum(onehot * np.log(prob + 1e-12)) / n + l2 * np.sum(weights ** 2)
    grad_w = x_train.T @ (prob - onehot) / n + 2 * l2 * weights
    return loss, np.concatenate([grad_w.ravel(), (prob - onehot).sum(0) / n])

  w = optimize.minimize(loss_and_grad, np.zeros(d * classes + classes), jac=True,
                        method="L-BFGS-B", options={"maxiter": 500}).x
  return lambda x: (x @ w[:d * classes].reshape(d, classes) + w[d * classes:]).argmax(1)


class Node2VecTest(tf.test.TestCase):

  def test_scores_and_embeddings(self):
    model = Node2Vec(20, 8)
    batch = _batch()
    scores = model(batch)
    self.assertEqual(scores.shape, (6, 4))
    target = model.embed(batch["target"])
    context = tf.gather(model.context.embeddings, batch["context"])
    self.assertAllClose(scores[:, 0], tf.reduce_sum(target * context, -1))
    self.assertEqual(model.embed(tf.zeros([2, 3], tf.int32)).shape, (2, 3, 8))
    self.assertEqual(model.embeddings.shape, (20, 8))
    self.assertLen(model.trainable_weights, 2)
    shared = Node2Vec(20, 8, shared_context=True)
    self.assertLen(shared.trainable_weights, 1)
    self.assertEqual(shared(batch).shape, (6, 4))

  def test_config_and_saving(self):
    model = Node2Vec(20, 8, embeddings_regularizer=tf.keras.regularizers.L2(1e-4),
                     name="n2v")
    model.compile("adam")
    model.fit(tf.data.Dataset.from_tensors(_batch()).repeat(3), verbose=0)
    config = model.get_config()
    self.assertEqual(config["num_nodes"], 20)
    self.assertEqual(config["embedding_dim"], 8)
    clone = Node2Vec.from_config(config)
    self.assertEqual(clone.get_config(), config)
    keras_testing.assert_reloads_identically(self, model, _batch(seed=1),
                                             formats=("saved_model", "keras"))

  def test_learns_communities(self):
    g = _two_cliques()
    ds = tfgle.data.skip_gram_dataset(g, "e", walk_length=10, window_size=3, walks_per_node=20,
                                      batch_size=256, p=0.5, q=2.0, seed=1)
    tf.keras.utils.set_random_seed(1)
    model = Node2Vec(16, 8)
    model.compile(tf.keras.optimizers.Adam(0.05))
    history = model.fit(ds, epochs=3, verbose=0)
    self.assertLess(history.history["loss"][-1], history.history["loss"][0])
    emb = tf.math.l2_normalize(model.embeddings, -1).numpy()
    cosine = emb @ emb.T
    same = np.equal.outer(np.arange(16) < 8, np.arange(16) < 8)
    off_diagonal = ~np.eye(16, dtype=bool)
    self.assertGreater(cosine[same & off_diagonal].mean(), cosine[~same].mean() + 0.5)

  def test_bulk_export(self):
    g = _two_cliques()
    model = Node2Vec(16, 4)
    ids = tf.data.Dataset.range(16).batch(5)  # in batches, as for a large graph
    table = tf.concat([model.embed(batch) for batch in ids], 0)
    self.assertAllClose(table, model.embeddings)
    with tempfile.TemporaryDirectory() as directory:
      path = tfgle.export.export_embedding_table(os.path.join(directory, "table"),
                                                 g.node_ids("n").numpy(), table.numpy())
      served = tf.saved_model.load(path).signatures["serving_default"]
      out = served(ids=tf.constant([103, 100, 999], tf.int64))
      self.assertAllClose(out["embeddings"][:2], tf.gather(table, [3, 0]))
      self.assertAllEqual(out["found"], [True, True, False])

  def test_bad_arguments(self):
    for kwargs, message in (({"num_nodes": 0}, "num_nodes must be a positive int"),
                            ({"num_nodes": 2.0}, "num_nodes must be a positive int"),
                            ({"embedding_dim": -1}, "embedding_dim must be a positive int"),
                            ({"shared_context": "yes"}, "shared_context must be True or False")):
      with self.assertRaisesRegex(ValueError, "Node2Vec: " + message):
        Node2Vec(**{"num_nodes": 5, **kwargs})


class CoraTest(tf.test.TestCase):
  """node2vec on Cora + logistic regression on the public split (the issue's bar: >= 0.70)."""

  def test_cora_node_classification(self):
    graph, info = tfgle.datasets.load_citation(require_dataset("cora"))
    n = info.num_nodes
    ds = tfgle.data.skip_gram_dataset(graph, "cites", walk_length=40, window_size=5,
                                      num_negatives=5, batch_size=4096, walks_per_node=5,
                                      walks_per_batch=n, p=4.0, q=0.25, seed=1)
    tf.keras.utils.set_random_seed(1)
    model = Node2Vec(n, 128)
    model.compile(tf.keras.optimizers.Adam(0.005))
    model.fit(ds, epochs=2, verbose=0)
    emb = model.embed(tf.range(n)).numpy()
    x = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    y = graph.labels(info.node_type).numpy()
    train, test = (graph.split_indices(info.node_type, s).numpy() for s in ("train", "test"))
    predict = logistic_regression(x[train], y[train], l2=1e-3)
    accuracy = np.mean(predict(x[test]) == y[test])
    print(f"node2vec on Cora: test accuracy {accuracy:.3f}")
    self.assertGreaterEqual(accuracy, 0.70)


if __name__ == "__main__":
  tf.test.main()
