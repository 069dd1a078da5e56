"""Tests of HeteroFeatureEncoder: per-type encoders sharing embedding tables."""
import json

import numpy as np
import tensorflow as tf

from tests import keras_testing
from tfgle import features as F
from tfgle.features import HeteroFeatureEncoder

CITIES = ["paris", "rome", "oslo"]


def _encoder(**kwargs):
  return HeteroFeatureEncoder({
      "user": {"city": F.categorical(vocab=CITIES, embedding_dim=3, table="city"),
               "age": F.numeric()},
      "item": {"city": F.categorical(vocab=CITIES, embedding_dim=3, table="city"),
               "tags": F.categorical(num_buckets=5, embedding_dim=2, multivalued=True),
               "ids": F.node_id(embedding_dim=2, num_buckets=11)},
  }, **kwargs)


class HeteroFeatureEncoderTest(tf.test.TestCase):

  def test_tables_shared_by_name_only(self):
    encoder = _encoder()
    users = encoder({"city": np.array([1, 2]), "age": np.array([3.0, 4.0])}, node_type="user")
    items = encoder({"city": np.array([[1, 2]]), "ids": np.array([[7, 8]]),
                     "tags": tf.ragged.constant([[[1], [2, 3]]], tf.int64)}, node_type="item")
    self.assertEqual(users.shape, (2, 4))
    self.assertEqual(items.shape, (1, 2, 7))
    self.assertAllClose(users[:, :3], items[0, :, :3])  # the same "city" table
    self.assertIs(encoder["user"].tables["city"], encoder["item"].tables["city"])
    # city (shared), item.tags, item.ids: three tables.
    self.assertEqual(sorted(encoder.tables), ["city", "item.ids", "item.tags"])
    self.assertLen(encoder.trainable_weights, 3)
    self.assertEqual((encoder.output_dim("user"), encoder.output_dim("item")), (4, 7))

  def test_per_type_projections(self):
    encoder = _encoder(output_dim=5, activation="relu")
    users = encoder({"city": np.array([1]), "age": np.array([3.0])}, node_type="user")
    self.assertEqual(users.shape, (1, 5))
    encoder.build()
    # 3 tables + 2 projections (kernel, bias).
    self.assertLen(encoder.trainable_weights, 7)

  def test_save_and_reload(self):
    encoder = _encoder(output_dim=4)
    user_in = {"city": tf.keras.Input((), dtype=tf.int64), "age": tf.keras.Input(())}
    item_in = {"city": tf.keras.Input((3,), dtype=tf.int64),
               "ids": tf.keras.Input((3,), dtype=tf.int64),
               "tags": tf.keras.Input((3, None), dtype=tf.int64, ragged=True)}
    model = tf.keras.Model([user_in, item_in], [encoder(user_in, node_type="user"),
                                                encoder(item_in, node_type="item")])
    rng = np.random.default_rng(0)
    tags = tf.RaggedTensor.from_uniform_row_length(
        tf.RaggedTensor.from_row_lengths(rng.integers(0, 5, 9), [1, 2, 0, 3, 1, 2]), 3)
    batch = [{"city": np.array([1, 3]), "age": np.array([0.5, 1.5], np.float32)},
             {"city": rng.integers(0, 4, (2, 3)), "ids": rng.integers(0, 100, (2, 3)),
              "tags": tags}]
    keras_testing.assert_reloads_identically(self, model, batch)

  def test_config_round_trip_and_raw_twin(self):
    encoder = _encoder(output_dim=3, embeddings_regularizer="l2", name="hetero")
    config = encoder.get_config()
    clone = HeteroFeatureEncoder.from_config(json.loads(json.dumps(config)))
    self.assertEqual(clone.get_config(), config)
    self.assertEqual(clone.node_features, encoder.node_features)
    ids = {"city": np.array([1, 3, 0])}
    raw = encoder.as_raw()
    self.assertAllClose(
        raw({"city": np.array(["paris", "oslo", "berlin"]), "age": np.ones(3)},
            node_type="user"),
        encoder(dict(ids, age=np.ones(3)), node_type="user"))

  def test_bad_configuration(self):
    with self.assertRaisesRegex(ValueError, "node_features must be a non-empty dict"):
      HeteroFeatureEncoder({})
    with self.assertRaisesRegex(ValueError, r"node_features\['a'\] must be a non-empty dict"):
      HeteroFeatureEncoder({"a": {}})
    with self.assertRaisesRegex(ValueError, r"node_features\['b'\]\['y'\] and "
                                r"node_features\['a'\]\['x'\] share table 't'"):
      HeteroFeatureEncoder({
          "a": {"x": F.categorical(num_buckets=3, embedding_dim=2, table="t")},
          "b": {"y": F.categorical(num_buckets=4, embedding_dim=2, table="t")}})
    encoder = _encoder()
    with self.assertRaisesRegex(ValueError, r"unknown node_type 'shop'; the node types are "
                                r"\['user', 'item'\]"):
      encoder({"city": np.array([1])}, node_type="shop")
    with self.assertRaisesRegex(ValueError, "call with node_type="):
      encoder({"city": np.array([1])})
