"""Text attributes: TextAttr, TF-IDF and embedding-bag text specs in FeatureEncoder, and
pre-trained text encoders (tfgle.features.encode_text) with their cache."""
import os

import numpy as np
from parameterized import parameterized
import tensorflow as tf

import tfgle
import tfgle.models
from tests import keras_testing
from tfgle import features as F
from tfgle.features import FeatureEncoder

TITLES = np.array(["Toy Story (1995)", "GoldenEye (1995)", "Toy Soldiers", "", "Heat!"], object)


def _graph(titles=TITLES):
  n = len(titles)
  return (tfgle.Graph()
          .node({"id": np.arange(n), "title": titles}, node_type="m",
                decoder=tfgle.Decoder(attrs={"title": tfgle.TextAttr()}))
          .edge({"src_id": np.arange(n - 1), "dst_id": np.arange(1, n)}, edge_type=("m", "m", "e"))
          .build())


class TextSpecTest(tf.test.TestCase):

  def test_adapt_text_matches_keras(self):
    spec = F.adapt_text(TITLES, max_tokens=5)
    reference = tf.keras.layers.TextVectorization(max_tokens=5, output_mode="tf_idf")
    reference.adapt(TITLES.astype(str))
    self.assertEqual(list(spec.vocab), reference.get_vocabulary()[1:])
    self.assertCountEqual(spec.vocab[:2], ["1995", "toy"])  # the most frequent tokens first
    encoder = FeatureEncoder({"title": spec})
    probe = tf.constant(["toy story", "unknown words", ""])
    self.assertAllClose(encoder({"title": probe}), reference(probe))
    self.assertAllEqual(encoder({"title": probe})[2], np.zeros(5))  # empty text
    self.assertEqual(F.FeatureSpec.from_config(spec.get_config()), spec)

  @parameterized.expand([
      (dict(vocab=["a"], output="bm25"), "output must be one of"),
      (dict(vocab=["a", "a"], idf=[1.0, 1.0]), "duplicate or empty tokens"),
      (dict(vocab=["a"]), "output='tf_idf' needs idf: one weight >= 0 per vocabulary token"),
      (dict(vocab=["a"], idf=[-1.0]), "needs idf"),
      (dict(vocab=["a"], output="embedding"), "embedding_dim must be a positive int"),
      (dict(vocab=["a"], output="embedding", embedding_dim=2, idf=[1.0]), "takes no idf"),
      (dict(vocab="ab", idf=[1.0]), "vocab must be a list of tokens"),
  ])
  def test_bad_specs(self, kwargs, message):
    with self.assertRaisesRegex(ValueError, message):
      F.text(**kwargs)

  def test_adapt_text_bad_arguments(self):
    with self.assertRaisesRegex(ValueError, "max_tokens must be an int >= 2, got 1"):
      F.adapt_text(TITLES, max_tokens=1)
    with self.assertRaisesRegex(ValueError, r"output must be one of \['tf_idf', 'embedding'\]"):
      F.adapt_text(TITLES, output="bag")

  def test_from_attrs_needs_the_text_spec(self):
    with self.assertRaisesRegex(ValueError, "attribute 'title' is text: give its TextSpec"):
      F.specs.from_attrs({"title": tfgle.TextAttr()})


class TextEncoderLayerTest(tf.test.TestCase):

  def test_from_graph_tf_idf_and_embedding_bag(self):
    g = _graph()
    encoder = FeatureEncoder.from_graph(g, "m")
    spec = encoder.features["title"]
    self.assertEqual(spec.output, "tf_idf")
    self.assertCountEqual(spec.vocab[:2], ["1995", "toy"])
    x = encoder(g.node_features("m", [[0, 3]]))
    self.assertEqual(x.shape, (1, 2, len(spec.vocab) + 1))
    self.assertAllEqual(x[0, 1], np.zeros(len(spec.vocab) + 1))

    bag = FeatureEncoder.from_graph(g, "m", text_output="embedding", embedding_dim=3,
                                    text_max_length=2)
    out = bag(g.node_features("m", [0, 3, 4])).numpy()
    table = bag.tables["title"].embeddings.numpy()
    tokens = bag.vectorizers["title"](tf.constant(["Toy Story (1995)"])).numpy()[0]
    self.assertLen(tokens, 2)  # the first max_length tokens
    self.assertAllClose(out[0], table[tokens].mean(0))
    self.assertAllClose(out[1], np.zeros(3))  # no tokens: zeros, not NaN

  def test_saves_and_reloads(self):
    encoder = FeatureEncoder.from_graph(_graph(), "m", output_dim=4)
    inputs = {"title": tf.keras.Input((), dtype=tf.string)}
    model = tf.keras.Model(inputs, encoder(inputs))
    keras_testing.assert_reloads_identically(self, model, {"title": tf.constant(TITLES)},
                                             formats=("saved_model", "keras"))

  def test_needs_strings(self):
    encoder = FeatureEncoder.from_graph(_graph(), "m")
    with self.assertRaisesRegex(ValueError, r"features\['title'\] is text and needs strings"):
      encoder({"title": tf.constant([1, 2])})

  def test_a_text_model_learns_from_words(self):
    # The label is whether the text mentions a "red" word: only the text tells.
    rng = np.random.default_rng(0)
    words = np.array([f"w{i}" for i in range(30)])
    red = rng.random(400) < 0.5
    texts = np.array([" ".join(rng.choice(words[:15] if r else words[15:], 4)) for r in red],
                     object)
    n = len(texts)
    g = (tfgle.Graph()
         .node({"id": np.arange(n), "text": texts, "label": red.astype(np.int64),
                "split": np.where(np.arange(n) < 300, "train", "test")}, node_type="doc",
               decoder=tfgle.Decoder(label="label", split="split",
                                     attrs={"text": tfgle.TextAttr()}))
         .edge({"src_id": rng.integers(0, n, 1200), "dst_id": rng.integers(0, n, 1200)},
               edge_type=("doc", "doc", "links"))
         .build())
    tf.keras.utils.set_random_seed(0)
    model = tfgle.models.EgoGraphSAGE.from_graph(g, "doc", hidden_dims=[16], num_classes=2)
    train = tfgle.data.ego_graph_dataset(g, "train", ["links"], [3], batch_size=32, seed=0)
    model.compile(tf.keras.optimizers.Adam(0.01),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(train, epochs=5, verbose=0)
    test = tfgle.data.ego_graph_dataset(g, "test", ["links"], [3], batch_size=100,
                                        shuffle=False, seed=0)
    accuracy = model.evaluate(test, return_dict=True, verbose=0)["accuracy"]
    self.assertGreater(accuracy, 0.9)  # chance: 0.5


class EncodeTextTest(tf.test.TestCase):

  def test_callable_encoder_with_a_cache_hit(self):
    calls = []

    def encoder(texts):
      calls.append(len(texts))
      return [[len(t), t.count("o")] for t in texts]

    cache = os.path.join(self.get_temp_dir(), "cache")
    g = _graph()
    vectors = F.encode_text(g, "m", "title", encoder, batch_size=2, cache_dir=cache, verbose=0)
    self.assertEqual(calls, [2, 2, 1])  # batched
    self.assertAllClose(vectors[:, 0], [len(t) for t in TITLES])
    self.assertEqual(g.node_attrs("m")["title_embedding"], tfgle.FloatAttr(dim=2))
    self.assertAllClose(g.node_features("m", [1])["title_embedding"], vectors[1:2])
    # A second run (a fresh graph of the same texts) reads the cache: no encoder call.
    again = _graph()
    self.assertAllClose(F.encode_text(again, "m", "title", encoder, cache_dir=cache,
                                      verbose=0), vectors)
    self.assertEqual(calls, [2, 2, 1])
    self.assertEqual(again.fingerprint(), g.fingerprint())
    # Other texts miss the cache.
    F.encode_text(_graph(TITLES[::-1].copy()), "m", "title", encoder, cache_dir=cache, verbose=0)
    self.assertEqual(calls, [2, 2, 1, 5])

  def test_keras_layer_and_saved_model_encoders(self):
    vectorizer = tf.keras.layers.TextVectorization(max_tokens=8, output_mode="count")
    vectorizer.adapt(TITLES.astype(str))
    g = _graph()
    expected = vectorizer(tf.constant(TITLES.astype(str))).numpy()
    self.assertAllClose(F.encode_text(g, "m", "title", vectorizer, name="bow", verbose=0),
                        expected)
    model = tf.keras.Sequential([tf.keras.Input((), dtype=tf.string), vectorizer])
    path = os.path.join(self.get_temp_dir(), "text_model")
    model.save(path, save_format="tf")
    self.assertAllClose(F.encode_text(g, "m", "title", path, name="bow2", verbose=0), expected)
    self.assertEqual(g.node_attrs("m")["bow2"], tfgle.FloatAttr(dim=expected.shape[1]))

  def test_snapshot_keeps_text_and_encoded_features(self):
    g = _graph()
    F.encode_text(g, "m", "title", lambda texts: [[len(t)] for t in texts], verbose=0)
    path = os.path.join(self.get_temp_dir(), "snap")
    g.save(path)
    loaded = tfgle.Graph.load(path)
    self.assertEqual(loaded.fingerprint(), g.fingerprint())
    self.assertIsInstance(loaded.node_attrs("m")["title"], tfgle.TextAttr)

  @parameterized.expand([
      ("no_attr", dict(attr="plot"), r"node type 'm' has no text attribute 'plot'; its text "
       r"attributes are \['title'\]"),
      ("batch", dict(batch_size=0), "batch_size must be a positive int, got 0"),
      ("path", dict(encoder="/no/such/model"), "is a path but no SavedModel directory"),
      ("object", dict(encoder=3), "encoder must be a Keras layer, a SavedModel path or a callable"),
      ("rows", dict(encoder=lambda texts: [[1.0]]), r"gave shape \(1, 1\) for 5 texts"),
      ("finite", dict(encoder=lambda texts: [[np.nan]] * len(texts)), "non-finite values"),
  ])
  def test_bad_arguments(self, _, kwargs, message):
    args = dict(attr="title", encoder=lambda texts: [[1.0]] * len(texts), verbose=0)
    args.update(kwargs)
    with self.assertRaisesRegex(ValueError, message):
      F.encode_text(_graph(), "m", args.pop("attr"), args.pop("encoder"), **args)


if __name__ == "__main__":
  tf.test.main()
