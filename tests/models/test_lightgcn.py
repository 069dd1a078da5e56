"""Tests of LightGCN."""
import tempfile

import numpy as np
import tensorflow as tf

from tests import keras_testing
from tests.models import model_testing
from tests.models import recsys_testing
from tfgle.models import BPRMF
from tfgle.models import LightGCN

# 3 users, 4 items; (0, 1) is listed twice and counts once.
USERS = np.array([0, 0, 1, 2, 2, 0])
ITEMS = np.array([0, 1, 1, 3, 2, 1])


def _batch():
  return {"user": tf.constant([0, 1, 2], tf.int64), "pos": tf.constant([1, 1, 3], tf.int64),
          "neg": tf.constant([[2, 3], [0, 2], [0, 1]], tf.int64)}


def _dense_reference(p, q, users, items, num_layers):
  """Layer-mean propagation over the dense normalized adjacency [[0, R], [R^T, 0]]."""
  num_users, num_items = len(p), len(q)
  r = np.zeros((num_users, num_items))
  r[users, items] = 1.0
  a = np.block([[np.zeros((num_users, num_users)), r], [r.T, np.zeros((num_items, num_items))]])
  degree = a.sum(axis=1)
  inv_sqrt = np.where(degree > 0, 1 / np.sqrt(np.maximum(degree, 1e-12)), 0.0)
  norm = a * inv_sqrt[:, None] * inv_sqrt[None, :]
  e = np.concatenate([p, q]).astype(np.float64)
  layers = [e]
  for _ in range(num_layers):
    layers.append(norm @ layers[-1])
  final = np.mean(layers, axis=0)
  return final[:num_users], final[num_users:]


class LightGCNTest(tf.test.TestCase):

  def test_propagation_matches_the_dense_formula(self):
    tf.keras.utils.set_random_seed(3)
    for num_layers in (0, 1, 3):
      model = LightGCN(4, 5, interactions=(USERS, ITEMS), num_layers=num_layers,
                       embedding_dim=3)
      self.assertEqual(model.num_interactions, 5)
      model.build()
      p, q = model.user_embeddings.numpy(), model.item_embeddings.numpy()
      users, items = _dense_reference(p, q, USERS, ITEMS, num_layers)
      self.assertAllClose(model.embed_users(), users, atol=1e-6)
      self.assertAllClose(model.embed_items(), items, atol=1e-6)
      # User 3 and item 4 have no edge: their embeddings stay their own / (K + 1).
      self.assertAllClose(model.embed_users()[3], p[3] / (num_layers + 1), atol=1e-6)
    adjacency = tf.sparse.to_dense(model.adjacency()).numpy()
    self.assertAllClose(adjacency[0, 1], 1 / np.sqrt(2 * 2))
    self.assertAllClose(adjacency[2, 3], 1 / np.sqrt(2 * 1))
    self.assertEqual(np.count_nonzero(adjacency), 5)

  def test_zero_layers_is_matrix_factorization(self):
    tf.keras.utils.set_random_seed(4)
    light = LightGCN(3, 4, interactions=(USERS, ITEMS), num_layers=0, embedding_dim=3, l2=0.1)
    mf = BPRMF(3, 4, embedding_dim=3, l2=0.1)
    light.build()
    mf.build()
    mf.set_weights(light.get_weights()[:2])
    self.assertAllClose(light(_batch()), mf(_batch()))
    self.assertAllClose(light.losses[0], mf.losses[0])

  def test_from_graph_propagates_over_the_graph_edges_and_beats_popularity(self):
    data = recsys_testing.planted()
    tf.keras.utils.set_random_seed(0)
    model = LightGCN.from_graph(data.graph, "buys", embedding_dim=16, num_layers=2)
    model.build()
    pairs = set(zip(model.interaction_users.numpy(), model.interaction_items.numpy()))
    self.assertEqual(pairs, set(zip(*data.train)))
    self.assertEqual(model.num_interactions, len(data.train[0]))
    recall = recsys_testing.fit_and_recall(model, data)
    popularity = recsys_testing.popularity_recall(data)
    self.assertLess(popularity, 0.3)
    self.assertGreater(recall, 2 * popularity)
    self.assertGreater(recall, popularity + 0.3)

  def test_reloads_identically_with_its_interactions(self):
    tf.keras.utils.set_random_seed(5)
    model = LightGCN(3, 4, interactions=(USERS, ITEMS), num_layers=2, embedding_dim=4,
                     name="lightgcn")
    batch = _batch()
    expected = model(batch).numpy()
    config = model.get_config()
    self.assertEqual(config["num_interactions"], 5)
    self.assertNotIn("interactions", config)
    for fmt in model_testing.FORMATS:
      with tempfile.TemporaryDirectory() as directory:
        loaded = keras_testing.save_and_reload(model, fmt, directory)
        self.assertIs(type(loaded), LightGCN)
        self.assertEqual(loaded.get_config(), config)
        self.assertAllEqual(loaded.interaction_items, model.interaction_items)
        self.assertAllClose(loaded(batch), expected, msg=fmt)
        self.assertAllClose(loaded.embed_users(), model.embed_users(), msg=fmt)
    # From the config alone: zero interactions until weights are loaded.
    rebuilt = LightGCN.from_config(config)
    rebuilt.build()
    rebuilt.set_weights(model.get_weights())
    self.assertAllClose(rebuilt(batch), expected)

  def test_gradients_reach_every_embedding_through_propagation(self):
    model = LightGCN(3, 4, interactions=(USERS, ITEMS), num_layers=2, embedding_dim=4)
    model.build()
    self.assertLen(model.trainable_weights, 2)
    with tf.GradientTape() as tape:
      model({"user": [1], "pos": [1], "neg": [[0]]}, training=True)
      loss = tf.add_n(model.losses)
    user_grad, item_grad = tape.gradient(loss, model.trainable_weights)
    # User 1 reaches user 0 through item 1 (two hops), hence user 0's embedding too.
    self.assertGreater(np.abs(tf.convert_to_tensor(user_grad).numpy()[0]).sum(), 0)
    self.assertTrue(np.all(np.isfinite(tf.convert_to_tensor(item_grad).numpy())))

  def test_bad_arguments(self):
    for kwargs, message in [
        (dict(num_layers=-1), "LightGCN: num_layers must be an int >= 0, got -1"),
        (dict(interactions=None), r"LightGCN: give interactions= \(the user -> item edges\) or "
         r"num_interactions= \(for weights loaded later\)"),
        (dict(num_interactions=6), "LightGCN: num_interactions=6 does not match the 5 distinct "
         "interactions given"),
        (dict(interactions=(USERS, ITEMS + 4)), r"LightGCN: interactions items\[0\] = 4 is not "
         r"in \[0, 4\)"),
        (dict(interactions=USERS), "LightGCN: interactions must be a \\(users, items\\) pair of "
         "index arrays, got ndarray"),
        (dict(interactions=(USERS, ITEMS[:2])), "LightGCN: interactions must be two 1-D int "
         "arrays of one length"),
        (dict(interactions=None, num_interactions=0),
         "LightGCN: num_interactions must be a positive int, got 0"),
        (dict(embedding_dim=0), "LightGCN: embedding_dim must be a positive int, got 0")]:
      args = dict(num_users=3, num_items=4, interactions=(USERS, ITEMS))
      args.update(kwargs)
      with self.assertRaisesRegex(ValueError, message):
        LightGCN(**args)


if __name__ == "__main__":
  tf.test.main()
