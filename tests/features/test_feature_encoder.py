"""Tests of FeatureEncoder: specs -> embeddings, raw serving mode, saving."""
import json

import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tests import keras_testing
from tfgle import features as F
from tfgle.features import FeatureEncoder
from tfgle.graph import CategoricalAttr, Decoder, FloatAttr, Graph, IntAttr

VOCAB = ["red", "green", "blue"]
INT_VOCAB = [10, 20, 30, 40]


def _table(encoder, name):
  return encoder.tables[name].embeddings.numpy()


def _embed_ids(encoder):
  """An encoder without projection of every kind of feature."""
  return FeatureEncoder({
      "price": F.numeric(mean=2.0, variance=4.0),
      "vec": F.numeric(dim=2),
      "color": F.categorical(vocab=VOCAB, embedding_dim=3),
      "tags": F.categorical(vocab=INT_VOCAB, dtype="int64", multivalued=True,
                            embedding_dim=2, combiner=encoder),
      "hashed": F.categorical(num_buckets=5, embedding_dim=2),
      "id": F.node_id(embedding_dim=2, num_ids=6),
  }, embeddings_initializer="random_normal")


def _hop(rng, shape):
  """A batch of features (category ids) with leading shape `shape`."""
  n = int(np.prod(shape))
  lengths = rng.integers(0, 4, n)
  lengths[0] = 0
  tags = tf.RaggedTensor.from_row_lengths(rng.integers(-1, 7, lengths.sum()), lengths)
  for dim in reversed(shape[1:]):
    tags = tf.RaggedTensor.from_uniform_row_length(tags, dim)
  return {
      "ids": rng.integers(-2, 9, shape),
      "price": rng.normal(size=shape).astype(np.float32),
      "vec": rng.normal(size=shape + (2,)).astype(np.float32),
      "color": rng.integers(-1, 6, shape),
      "tags": tags,
      "hashed": rng.integers(0, 5, shape),
      "mask": np.ones(shape, bool),
  }


def _reference(encoder, hop, combiner):
  """The encoder's output in numpy, row by row."""
  lead = hop["price"].shape
  tags = hop["tags"]
  while tags.ragged_rank > 1:
    tags = tags.merge_dims(0, 1)
  tags = tags.to_list()
  out = []
  for row, idx in enumerate(np.ndindex(*lead)):
    color = hop["color"][idx]
    color = color if 0 <= color <= 3 else 0
    tag_ids = [t if 0 <= t <= 4 else 0 for t in tags[row]]
    tag_sum = _table(encoder, "tags")[tag_ids].sum(0) if tag_ids else np.zeros(2)
    scale = {"sum": 1.0, "mean": max(len(tag_ids), 1),
             "sqrtn": np.sqrt(max(len(tag_ids), 1))}[combiner]
    node = hop["ids"][idx]
    out.append(np.concatenate([
        [(hop["price"][idx] - 2.0) / 2.0], hop["vec"][idx], _table(encoder, "color")[color],
        tag_sum / scale, _table(encoder, "hashed")[hop["hashed"][idx]],
        _table(encoder, "id")[node if 0 <= node < 6 else 6]]))
  return np.array(out).reshape(lead + (-1,))


class FeatureEncoderTest(tf.test.TestCase):

  @parameterized.expand([
      ("hop0_mean", (4,), "mean"), ("hop1_sum", (3, 2), "sum"), ("hop2_sqrtn", (2, 3, 2), "sqrtn"),
  ])
  def test_matches_reference(self, _, shape, combiner):
    encoder = _embed_ids(combiner)
    hop = _hop(np.random.default_rng(0), shape)
    out = encoder(hop)
    self.assertEqual(out.shape, shape + (encoder.output_dim,))
    self.assertEqual(encoder.output_dim, 1 + 2 + 3 + 2 + 2 + 2)
    self.assertAllClose(out, _reference(encoder, hop, combiner), atol=1e-5)

  def test_dense_padded_multivalues_equal_ragged(self):
    encoder = _embed_ids("mean")
    hop = _hop(np.random.default_rng(1), (3, 2))
    dense = dict(hop, tags=hop["tags"].to_tensor(default_value=-1))
    self.assertAllClose(encoder(dense), encoder(hop))

  def test_projection_and_output_dim(self):
    encoder = FeatureEncoder({"x": F.numeric(dim=3)}, output_dim=5, activation="relu")
    out = encoder({"x": np.ones((2, 4, 3), np.float32)})
    self.assertEqual(out.shape, (2, 4, 5))
    self.assertEqual(encoder.output_dim, 5)
    self.assertAllGreaterEqual(out, 0.0)

  def test_static_shape_inside_functions(self):
    encoder = FeatureEncoder({"x": F.numeric(dim=3), "c": F.categorical(
        num_buckets=4, embedding_dim=2, multivalued=True)})
    fn = tf.function(lambda x, c: encoder({"x": x, "c": c}))
    out = fn.get_concrete_function(
        tf.TensorSpec([None, 5, 3]),
        tf.RaggedTensorSpec([None, 5, None], tf.int64, ragged_rank=2)).structured_outputs
    self.assertEqual(out.shape.as_list(), [None, 5, 5])

  def test_tables_shared_by_name(self):
    encoder = FeatureEncoder({
        "a": F.categorical(vocab=VOCAB, embedding_dim=2, table="colors"),
        "b": F.categorical(vocab=["x", "y", "z"], embedding_dim=2, table="colors"),
    })
    out = encoder({"a": np.array([1, 2]), "b": np.array([1, 2])}).numpy()
    self.assertLen(encoder.trainable_weights, 1)
    self.assertAllClose(out[:, :2], out[:, 2:])
    with self.assertRaisesRegex(ValueError, r"features\['b'\] and features\['a'\] share table "
                                r"'t' but need \(4, 3\) and \(4, 2\)"):
      FeatureEncoder({"a": F.categorical(vocab=VOCAB, embedding_dim=2, table="t"),
                      "b": F.categorical(vocab=VOCAB, embedding_dim=3, table="t")})

  def test_padding_and_unknown_ids_never_crash(self):
    encoder = _embed_ids("mean")
    hop = _hop(np.random.default_rng(2), (2, 3))
    bad = dict(hop, ids=np.full((2, 3), 2**40), color=np.full((2, 3), -99),
               hashed=np.full((2, 3), 10**6))
    out = encoder(bad).numpy()
    self.assertAllClose(out[..., 3:6], np.broadcast_to(_table(encoder, "color")[0], (2, 3, 3)))
    self.assertAllClose(out[..., -2:], np.broadcast_to(_table(encoder, "id")[6], (2, 3, 2)))

  def test_gradients(self):
    encoder = FeatureEncoder({
        "x": F.numeric(dim=2), "c": F.categorical(num_buckets=4, embedding_dim=3,
                                                  multivalued=True, combiner="sqrtn"),
    }, output_dim=4, activation="tanh")
    x = tf.constant(np.random.default_rng(0).normal(size=(3, 2, 2)), tf.float32)
    c = tf.ragged.constant([[[1, 2], []], [[3], [0, 0, 1]], [[2], [1]]], tf.int64)
    keras_testing.assert_finite_gradients(self, lambda: encoder({"x": x, "c": c}),
                                          encoder.trainable_weights, sources=[x])

  def test_config_round_trip(self):
    encoder = FeatureEncoder({"c": F.categorical(vocab=VOCAB, embedding_dim=2),
                              "n": F.numeric(dim=2, mean=[0.0, 1.0], variance=[1.0, 2.0])},
                             output_dim=3, activation="relu", use_bias=False,
                             embeddings_regularizer="l2", kernel_initializer="he_normal",
                             name="enc")
    config = encoder.get_config()
    self.assertEqual(config["features"]["n"], {"type": "numeric", "dim": 2, "mean": [0.0, 1.0],
                                               "variance": [1.0, 2.0]})
    clone = FeatureEncoder.from_config(json.loads(json.dumps(config)))
    self.assertEqual(clone.get_config(), config)
    self.assertEqual(clone.features, encoder.features)
    self.assertIsInstance(clone.features["c"], F.CategoricalSpec)

  def test_takes_spec_config_dicts(self):
    specs = {"c": F.categorical(vocab=VOCAB, embedding_dim=2), "n": F.numeric(dim=2)}
    encoder = FeatureEncoder({name: spec.get_config() for name, spec in specs.items()})
    self.assertEqual(encoder.features, specs)
    with self.assertRaisesRegex(ValueError, r"features\['n'\] must be a FeatureSpec \(numeric\(\), "
                                r"categorical\(\), node_id\(\)\) or its config dict, got 3"):
      FeatureEncoder({"n": 3})

  def test_save_and_reload(self):
    rng = np.random.default_rng(3)
    hop = _hop(rng, (5,))
    hop.pop("mask")
    encoder = FeatureEncoder(_embed_ids("sqrtn").features, output_dim=4)
    inputs = {
        "ids": tf.keras.Input((), dtype=tf.int64), "price": tf.keras.Input(()),
        "vec": tf.keras.Input((2,)), "color": tf.keras.Input((), dtype=tf.int64),
        "tags": tf.keras.Input((None,), dtype=tf.int64, ragged=True),
        "hashed": tf.keras.Input((), dtype=tf.int64)}
    model = tf.keras.Model(inputs, encoder(inputs))
    keras_testing.assert_reloads_identically(self, model, hop)

  @parameterized.expand([
      (dict(features={}), "features must be a non-empty dict"),
      (dict(features={"x": F.numeric()}, output_dim=0), "output_dim must be a positive int"),
      (dict(features={"x": {"type": "numeric", "dim": -1}}), r"features\['x'\]: dim must be"),
      (dict(features={"c": F.categorical(vocab_size=5, embedding_dim=2)}, raw=True),
       r"features\['c'\] has no vocab, so raw values cannot be mapped"),
  ])
  def test_bad_configuration(self, kwargs, message):
    with self.assertRaisesRegex(ValueError, message):
      FeatureEncoder(**kwargs)

  def test_bad_inputs(self):
    encoder = FeatureEncoder({"x": F.numeric(dim=3), "c": F.categorical(vocab_size=4,
                                                                        embedding_dim=2)})
    good = {"x": np.zeros((2, 3), np.float32), "c": np.array([1, 2])}
    with self.assertRaisesRegex(ValueError, r"inputs have no entry 'c' for features\['c'\]"):
      encoder({"x": good["x"]})
    with self.assertRaisesRegex(ValueError, r"features\['x'\] has dim=3, but its input has "
                                r"shape \(2, 4\)"):
      encoder(dict(good, x=np.zeros((2, 4), np.float32)))
    with self.assertRaisesRegex(ValueError, r"features\['c'\] needs int category ids"):
      encoder(dict(good, c=np.array(["a", "b"])))
    with self.assertRaisesRegex(ValueError, "inputs must be a dict"):
      encoder(good["x"])


class RawModeTest(tf.test.TestCase):

  def _encoder(self):
    return FeatureEncoder({
        "color": F.categorical(vocab=VOCAB, embedding_dim=3),
        "size": F.categorical(vocab=INT_VOCAB, dtype="int64", embedding_dim=2),
        "words": F.categorical(vocab=["a", "b", "c"], multivalued=True, embedding_dim=2,
                               combiner="sum"),
        "shop": F.categorical(num_buckets=7, embedding_dim=2),
        "zip": F.categorical(num_buckets=5, dtype="int64", embedding_dim=2),
    }, output_dim=4)

  def test_hashing_equals_the_graphs_hash_buckets(self):
    strings = tf.constant(["", "a", "shop-17", "ünïcode", "42"])
    self.assertAllEqual(tf.keras.layers.Hashing(97)(strings),
                        tf.strings.to_hash_bucket_fast(strings, 97))
    ints = tf.constant([0, 42, -7, 2**40], tf.int64)
    self.assertAllEqual(tf.keras.layers.Hashing(13)(ints),
                        tf.strings.to_hash_bucket_fast(tf.strings.as_string(ints), 13))

  def test_raw_twin_matches_on_graph_encoded_ids(self):
    # The graph encodes raw columns to ids; the raw twin must give the same output.
    colors = np.array(["green", "red", "purple", "blue"], object)
    sizes = np.array([40, 10, 99, 20])
    words = [["a", "c"], [], ["zzz", "b", "a"], ["c"]]
    shops = np.array(["s1", "s2", "s3", "s1"], object)
    zips = np.array([94103, 10001, 94103, 60601])
    graph = Graph().node({
        "id": np.arange(4), "color": colors, "size": sizes, "words": words, "shop": shops,
        "zip": zips,
    }, node_type="item", decoder=Decoder(attrs={
        "color": CategoricalAttr(vocab=VOCAB),
        "size": CategoricalAttr(vocab=INT_VOCAB, dtype="int64"),
        "words": CategoricalAttr(vocab=["a", "b", "c"], multivalued=True),
        "shop": CategoricalAttr(num_buckets=7),
        "zip": CategoricalAttr(num_buckets=5, dtype="int64"),
    })).build()
    encoder = self._encoder()
    encoded = graph.node_features("item", np.arange(4))
    self.assertAllEqual(encoded["color"], [2, 1, 0, 3])  # index + 1, unknown -> 0
    expected = encoder(encoded)
    raw = encoder.as_raw()
    self.assertTrue(raw.raw)
    raw_inputs = {"color": colors.astype(str), "size": sizes,
                  "words": tf.ragged.constant(words, tf.string, row_splits_dtype=tf.int64),
                  "shop": shops.astype(str), "zip": zips}
    self.assertAllClose(raw(raw_inputs), expected)
    # Dense padded raw multi-values ("" pads) and hop shapes [B, k] work too.
    padded = dict(raw_inputs, words=raw_inputs["words"].to_tensor(default_value=""))
    self.assertAllClose(raw(padded), expected)
    hop1 = {k: (tf.RaggedTensor.from_uniform_row_length(v, 2) if isinstance(v, tf.RaggedTensor)
                else np.asarray(v).reshape(2, 2)) for k, v in raw_inputs.items()}
    self.assertAllClose(raw(hop1), tf.reshape(expected, (2, 2, 4)))

  def test_raw_model_saves_and_reloads(self):
    encoder = self._encoder()
    encoder({"color": [1], "size": [2], "words": tf.ragged.constant([[1]]), "shop": [0],
             "zip": [3]})  # as after training
    raw = encoder.as_raw()
    inputs = {"color": tf.keras.Input((), dtype=tf.string),
              "size": tf.keras.Input((), dtype=tf.int64),
              "words": tf.keras.Input((None,), dtype=tf.string),
              "shop": tf.keras.Input((), dtype=tf.string),
              "zip": tf.keras.Input((), dtype=tf.int64)}
    model = tf.keras.Model(inputs, raw(inputs))
    batch = {"color": np.array(["red", "nope"]), "size": np.array([30, -1]),
             "words": np.array([["a", ""], ["q", "b"]]), "shop": np.array(["x", "y"]),
             "zip": np.array([1, 2])}
    keras_testing.assert_reloads_identically(self, model, batch)

  def test_empty_vocabulary_maps_everything_to_oov(self):
    encoder = FeatureEncoder({"c": F.categorical(vocab=[], embedding_dim=2)}, raw=True)
    out = encoder({"c": np.array(["a", "b"])})
    self.assertAllClose(out, np.broadcast_to(encoder.tables["c"].embeddings.numpy()[0], (2, 2)))


class FromGraphTest(tf.test.TestCase):

  def _graph(self):
    return (Graph()
            .node({"id": np.arange(5), "vec": np.arange(10, dtype=np.float32).reshape(5, 2),
                   "age": np.array([1, 2, 3, 4, 5]), "kind": np.array(list("ababc"), object),
                   "tags": [[1], [2, 3], [], [3], [1, 1]]},
                  node_type="user", decoder=Decoder(attrs={
                      "vec": FloatAttr(dim=2), "age": IntAttr(), "kind": CategoricalAttr(),
                      "tags": CategoricalAttr(multivalued=True, dtype="int64")}))
            .node({"id": np.array([100, 200, 300])}, node_type="item")
            .edge({"src_id": np.array([0, 1]), "dst_id": np.array([100, 300]),
                   "w": np.array([0.5, 2.0], np.float32)},
                  edge_type=("user", "item", "buys"),
                  decoder=Decoder(attrs={"w": FloatAttr()}))
            .build())

  def test_node_type_with_attributes(self):
    graph = self._graph()
    encoder = FeatureEncoder.from_graph(graph, "user", embedding_dim=4, normalize=True,
                                        output_dim=8)
    self.assertEqual(encoder.features["kind"].vocab, ("a", "b", "c"))  # learned
    self.assertEqual(encoder.features["tags"].vocab, (1, 2, 3))
    self.assertAllClose(encoder.features["vec"].mean, [4.0, 5.0])
    self.assertAllClose(encoder.features["age"].variance, 2.0)
    hop = graph.node_features("user", np.arange(5))
    out = encoder(hop)
    self.assertEqual(out.shape, (5, 8))
    no_proj = FeatureEncoder.from_graph(graph, "user", embedding_dim=4, normalize=True)
    normalized_age = no_proj(hop).numpy()[:, 2]
    self.assertAllClose(normalized_age, (np.arange(1, 6) - 3) / np.sqrt(2.0), atol=1e-5)

  def test_featureless_node_type_gets_id_embedding(self):
    graph = self._graph()
    encoder = FeatureEncoder.from_graph(graph, "item", embedding_dim=3)
    self.assertEqual(encoder.features["ids"].num_buckets, 3)  # ids are not 0..N-1
    users = FeatureEncoder.from_graph(graph, "user", id_embedding_dim=2, include=["age"])
    self.assertEqual(users.features["ids"].num_ids, 5)
    self.assertEqual(users({"ids": np.arange(5), "age": np.arange(5)}).shape, (5, 3))

  def test_edge_type(self):
    graph = self._graph()
    encoder = FeatureEncoder.from_graph(graph, edge_type="buys")
    self.assertEqual(list(encoder.features), ["w"])
    with self.assertRaisesRegex(ValueError, "exactly one of node_type and edge_type"):
      FeatureEncoder.from_graph(graph)


class MultiHotTest(tf.test.TestCase):

  def test_multi_hot_matches_reference(self):
    words = tf.ragged.constant([[1, 3, 3], [], [2, 9, -1]], tf.int64)
    for combiner, scale in (("sum", lambda n: 1), ("mean", lambda n: max(n, 1)),
                            ("sqrtn", lambda n: np.sqrt(max(n, 1)))):
      encoder = FeatureEncoder({
          "words": F.categorical(vocab_size=4, multivalued=True, output="multi_hot",
                                 combiner=combiner),
          "kind": F.categorical(vocab=VOCAB, output="multi_hot")})
      out = encoder({"words": words, "kind": np.array([1, 0, 7])}).numpy()
      self.assertEqual(encoder.output_dim, 4 + 4)
      counts = np.array([[0, 1, 0, 2], [0, 0, 0, 0], [2, 0, 1, 0]], np.float32)  # bad ids -> 0
      expected = counts / np.array([scale(3), scale(0), scale(3)])[:, None]
      self.assertAllClose(out[:, :4], expected)
      self.assertAllClose(out[:, 4:], np.eye(4)[[1, 0, 0]])
      self.assertEmpty(encoder.trainable_weights)

  def test_multi_hot_raw_and_save(self):
    encoder = FeatureEncoder({"words": F.categorical(vocab=["a", "b"], multivalued=True,
                                                     output="multi_hot")}, output_dim=3)
    ids = tf.ragged.constant([[1, 2, 2], [0]], tf.int64)
    expected = encoder({"words": ids})
    raw = encoder.as_raw()
    self.assertAllClose(raw({"words": tf.ragged.constant([["a", "b", "b"], ["zz"]])}), expected)
    inputs = {"words": tf.keras.Input((None,), dtype=tf.int64, ragged=True)}
    model = tf.keras.Model(inputs, encoder(inputs))
    keras_testing.assert_reloads_identically(self, model, {"words": ids})

  def test_multi_hot_spec_errors(self):
    with self.assertRaisesRegex(ValueError, r"features\['w'\]: output='multi_hot' takes no "
                                "embedding_dim, got 4"):
      F.specs.check("w", {"type": "categorical", "vocab_size": 3, "output": "multi_hot",
                          "embedding_dim": 4})
    with self.assertRaisesRegex(ValueError, "categorical feature spec: output='multi_hot' takes "
                                "no table"):
      F.categorical(vocab_size=3, output="multi_hot", table="t")
    with self.assertRaisesRegex(ValueError, r"output must be one of \['embedding', "
                                r"'multi_hot'\], got 'dense'"):
      F.categorical(vocab_size=3, output="dense", embedding_dim=4)
    spec = F.specs.from_attrs({"w": CategoricalAttr(vocab=(1, 2), dtype="int64",
                                                    multivalued=True)}, multi_hot=["w"])
    self.assertEqual((spec["w"].output, spec["w"].embedding_dim), ("multi_hot", None))
