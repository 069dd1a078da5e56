"""Helpers of the model zoo's tests: small graphs, real batches, poisoned padding."""
import functools
import os
import tempfile

import numpy as np
import tensorflow as tf

import tfgle
from tests import keras_testing

NUM_NODES = 40
NUM_CLASSES = 3
FORMATS = ("saved_model", "keras")  # subclassed models do not save as HDF5


def graph(timestamps=False, edge_features=False):
  """A small homogeneous graph: node type "v" (x: float[3], kind: categorical,
  tags: multi-valued categorical; labels and splits), undirected edge type "e"
  (with timestamps=True: timed, "t" in [0, 1000); with edge_features=True
  attributes "w": float[2] and "n": int)."""
  rng = np.random.default_rng(3)
  n = NUM_NODES
  labels = np.arange(n) % NUM_CLASSES
  nodes = {
      "id": np.arange(n) * 10 + 7,  # external ids differ from the dense indices
      "x": (rng.normal(size=(n, 3)) + labels[:, None]).astype(np.float32),
      "kind": np.array([["a", "b", "c"][i % 3] for i in range(n)], object),
      "tags": [list(rng.choice([1, 2, 3, 4], size=rng.integers(0, 3), replace=False))
               for _ in range(n)],
      "label": labels,
      "split": np.array(["train"] * 24 + ["val"] * 8 + ["test"] * 8, object),
  }
  src = rng.integers(0, n, 120) * 10 + 7
  dst = rng.integers(0, n, 120) * 10 + 7
  edges, decoder = {"src_id": src, "dst_id": dst}, None
  if timestamps:
    edges["t"] = np.random.default_rng(6).integers(0, 1000, 120)
    decoder = tfgle.Decoder(timestamp="t")
  if edge_features:
    edge_rng = np.random.default_rng(7)
    edges.update(w=edge_rng.normal(size=(120, 2)).astype(np.float32),
                 n=edge_rng.integers(0, 5, 120))
    decoder = tfgle.Decoder(attrs={"w": tfgle.FloatAttr(dim=2), "n": tfgle.IntAttr()})
  return (tfgle.Graph()
          .node(nodes, node_type="v", decoder=tfgle.Decoder(
              label="label", split="split",
              attrs={"x": tfgle.FloatAttr(dim=3), "kind": tfgle.CategoricalAttr(),
                     "tags": tfgle.CategoricalAttr(multivalued=True, dtype="int64")}))
          .edge(edges, edge_type=("v", "v", "e"), directed=False, decoder=decoder)
          .build())


def community_graph(num_nodes=60, communities=3, timestamps=False):
  """Nodes in communities (x: a noisy community indicator), edges mostly within them
  (with timestamps=True: timed, "t" in [0, 1000))."""
  rng = np.random.default_rng(5)
  community = np.arange(num_nodes) % communities
  x = np.eye(communities, dtype=np.float32)[community] + rng.normal(
      scale=0.3, size=(num_nodes, communities)).astype(np.float32)
  src = rng.integers(0, num_nodes, 300)
  dst = (src + communities * rng.integers(1, num_nodes // communities, 300)) % num_nodes
  edges, decoder = {"src_id": src, "dst_id": dst}, None
  if timestamps:
    edges["t"] = np.random.default_rng(6).integers(0, 1000, 300)
    decoder = tfgle.Decoder(timestamp="t")
  return (tfgle.Graph()
          .node({"id": np.arange(num_nodes), "x": x}, node_type="v",
                decoder=tfgle.Decoder(attrs={"x": tfgle.FloatAttr(dim=communities)}))
          .edge(edges, edge_type=("v", "v", "e"), directed=False, decoder=decoder)
          .build())


def hetero_graph(edge_features=False):
  """Users (x: float[2]) buy items (featureless): edge types "buys" and "bought_by"
  (with edge_features=True both with attribute "w": float[2])."""
  rng = np.random.default_rng(4)
  users, items = 12, 9
  src, dst = rng.integers(0, users, 40), rng.integers(0, items, 40)
  buys, bought_by, decoder = {"src_id": src, "dst_id": dst + 100}, {
      "src_id": dst + 100, "dst_id": src}, None
  if edge_features:
    w = np.random.default_rng(8).normal(size=(40, 2)).astype(np.float32)
    buys["w"], bought_by["w"] = w, -w
    decoder = tfgle.Decoder(attrs={"w": tfgle.FloatAttr(dim=2)})
  return (tfgle.Graph()
          .node({"id": np.arange(users), "x": rng.normal(size=(users, 2)).astype(np.float32),
                 "label": np.arange(users) % 2}, node_type="user",
                decoder=tfgle.Decoder(label="label", attrs={"x": tfgle.FloatAttr(dim=2)}))
          .node({"id": np.arange(items) + 100}, node_type="item")
          .edge(buys, edge_type=("user", "item", "buys"), decoder=decoder)
          .edge(bought_by, edge_type=("item", "user", "bought_by"), decoder=decoder)
          .build())


# Edge feature specs of graph(edge_features=True).
EDGE_FEATURES = {"w": tfgle.features.numeric(dim=2), "n": tfgle.features.numeric()}


def ego_batch(g, fanouts=(4, 3), batch_size=8, meta_path=("e", "e"), seeds="train",
              **kwargs):
  """One EgoGraph batch (without labels) of `g`; sampling without replacement pads
  the neighbors of nodes of small degree. kwargs: of ego_graph_dataset."""
  ds = tfgle.data.ego_graph_dataset(g, seeds, list(meta_path), list(fanouts), batch_size,
                                  label=False, shuffle=False, seed=5,
                                  strategy="random_without_replacement", **kwargs)
  return next(iter(ds))


def hetero_batch(g, **kwargs):
  """One EgoGraph batch of `hetero_graph()` along users -> items -> users."""
  ds = tfgle.data.ego_graph_dataset(g, None, ["buys", "bought_by"], [3, 2], 6,
                                  shuffle=False, **kwargs)
  batch, _ = next(iter(ds))
  return batch


def subgraph_batch(g, fanouts=(4, 3), batch_size=8, **kwargs):
  ds = tfgle.data.subgraph_dataset(g, "train", ["e"] * len(fanouts), list(fanouts), batch_size,
                                  label=False, shuffle=False, seed=5, **kwargs)
  return next(iter(ds))


def _poison_value(value, mask):
  """`value` with every entry under mask False replaced by garbage (dicts: every entry's)."""
  if isinstance(value, dict):
    return {k: _poison_value(v, mask) for k, v in value.items()}
  mask = tf.convert_to_tensor(mask)
  if isinstance(value, tf.RaggedTensor):
    lead = mask.shape.rank
    flat = value.merge_dims(0, lead - 1) if lead > 1 else value
    keep = tf.gather(tf.reshape(mask, [-1]), flat.value_rowids())
    garbage = tf.fill(tf.shape(flat.flat_values), tf.constant(10**9, flat.flat_values.dtype))
    return value.with_flat_values(tf.where(keep, flat.flat_values, garbage))
  value = tf.convert_to_tensor(value)
  keep = tf.reshape(mask, tf.concat([tf.shape(mask), tf.ones([value.shape.rank - mask.shape.rank],
                                                             tf.int32)], 0))
  if value.dtype.is_floating:
    garbage = tf.fill(tf.shape(value), tf.constant(np.nan, value.dtype))
  elif value.dtype == tf.bool:
    return value
  else:
    garbage = tf.fill(tf.shape(value), tf.constant(10**9 + 3, value.dtype))
  return tf.where(tf.broadcast_to(keep, tf.shape(value)), value, garbage)


def poison_ego_padding(batch):
  """An EgoGraph batch whose padding entries hold NaN / garbage in every feature."""
  out = {}
  for hop_name, hop in batch.items():
    mask = hop["mask"]
    out[hop_name] = {key: value if key == "mask" else _poison_value(value, mask)
                     for key, value in hop.items()}
  return out


def pad_subgraph(sub, num_pad_nodes=3, num_pad_edges=5):
  """`sub` padded to more nodes and edges, marked by node_mask / edge_mask.

  Padding nodes hold NaN / garbage features; padding edges connect padding
  nodes with real ones (and hold out-of-range ids).
  """
  n = int(sub["index"].shape[0])
  e = int(sub["edge_index"].shape[1])
  out = {}
  for key, value in sub.items():
    if key in ("num_seeds", "edge_index", "edge_ids"):
      continue
    if key == "edges":  # per edge: padded with garbage for the padding edges
      out[key] = {k: tf.concat([v, tf.fill([num_pad_edges] + v.shape[1:].as_list(),
                                            tf.constant(np.nan if v.dtype.is_floating else 10**9,
                                                        v.dtype))], 0)
                  for k, v in value.items()}
      continue
    if isinstance(value, tf.RaggedTensor):
      pad = tf.ragged.constant([[10**9, 5]] * num_pad_nodes, dtype=value.dtype)
    elif value.dtype.is_floating:
      pad = tf.fill([num_pad_nodes] + value.shape[1:].as_list(), tf.constant(np.nan, value.dtype))
    else:
      pad = tf.fill([num_pad_nodes] + value.shape[1:].as_list(),
                    tf.constant(10**9, value.dtype))
    out[key] = tf.concat([value, pad], 0)
  pad_src = np.array([n, n + 1, n + 2, 10**6, 0][:num_pad_edges], np.int64)
  pad_dst = np.array([0, 1, n, 0, 10**6][:num_pad_edges], np.int64)
  pad_edges = tf.constant(np.stack([pad_src, pad_dst]))
  out["edge_index"] = tf.concat([sub["edge_index"], pad_edges], 1)
  out["edge_ids"] = tf.concat([sub["edge_ids"], tf.fill([num_pad_edges], tf.constant(-1, tf.int64))],
                              0)
  out["num_seeds"] = sub["num_seeds"]
  out["node_mask"] = tf.concat([tf.ones([n], tf.bool), tf.zeros([num_pad_nodes], tf.bool)], 0)
  out["edge_mask"] = tf.concat([tf.ones([e], tf.bool), tf.zeros([num_pad_edges], tf.bool)], 0)
  return out


def assert_reloads_identically(test, model, batch):
  """Outputs and embeddings are the same after saving and loading in every format."""
  expected = model(batch, training=False).numpy()
  expected_embed = model.embed(batch).numpy()
  for fmt in FORMATS:
    with tempfile.TemporaryDirectory() as directory:
      loaded = keras_testing.save_and_reload(model, fmt, directory)
      test.assertIs(type(loaded), type(model), fmt)
      np.testing.assert_allclose(loaded(batch, training=False).numpy(), expected, rtol=1e-6,
                                 atol=1e-6, err_msg=f"format {fmt}")
      np.testing.assert_allclose(loaded.embed(batch).numpy(), expected_embed, rtol=1e-6,
                                 atol=1e-6, err_msg=f"format {fmt}")
      test.assertEqual(loaded.get_config(), model.get_config())


def assert_gradients(test, model, batch):
  """Every trainable weight gets a finite gradient of a training-mode loss."""
  model.build()
  keras_testing.assert_finite_gradients(
      test, lambda: model(batch, training=True), model.trainable_weights)


def _weights_without_head(model):
  head = {id(w) for w in model.head.weights}
  return [w.numpy() for w in model.weights if id(w) not in head]


class _ZooModelChecks:
  """What the Ego and SubGraph checks share: the class-wide batch, `make` and the checks
  that hold for every model of the zoo.

  The test class sets `model_class` and `model_kwargs` (arguments besides the
  features, for a 2-level model).
  """
  model_class = None
  model_kwargs = {}
  make_graph = staticmethod(graph)  # () -> the graph every test samples
  make_batch = None  # graph -> the batch every test feeds
  make_dataset = None  # (graph, seeds, meta_path, fanouts, batch_size, **kw) -> dataset

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.graph = cls.make_graph()
    cls.batch = cls.make_batch(cls.graph)

  def make(self, seed=1, **kwargs):
    tf.keras.utils.set_random_seed(seed)
    args = dict(self.model_kwargs, num_classes=NUM_CLASSES, dropout=0.3)
    args.update(kwargs)
    return self.model_class.from_graph(self.graph, "v", multi_hot=["tags"], embedding_dim=4,
                                       id_embedding_dim=3, **args)

  def test_outputs_and_embeddings(self):
    model = self.make()
    logits = model(self.batch)
    self.assertEqual(logits.shape, (8, NUM_CLASSES))
    self.assertTrue(np.all(np.isfinite(logits.numpy())), "non-finite outputs")
    embeddings = model.embed(self.batch)
    self.assertEqual(embeddings.shape, (8, model.embedding_dim))
    # The embeddings are what the head sees: it turns them into the logits.
    self.assertAllClose(model.head(embeddings), logits, atol=1e-6)
    # Without a head the model outputs its last layer, signed: with the same
    # weights, the embeddings of the model with a head before their activation.
    unsupervised = self.make(num_classes=None)
    unsupervised.set_weights(_weights_without_head(model))
    self.assertAllClose(model.activation(unsupervised(self.batch)), embeddings, atol=1e-6)

  def test_last_convolution_as_classifier(self):
    # head="conv": one more convolution, of width num_classes, gives the logits.
    model = self.make(head="conv", hidden_dims=[5])
    self.assertIsNone(model.head)
    self.assertEqual(model.num_layers, 2)
    self.assertEqual(model(self.batch).shape, (8, NUM_CLASSES))
    self.assertEqual(model.embed(self.batch).shape, (8, model.embedding_dim))
    assert_reloads_identically(self, model, self.batch)
    assert_gradients(self, model, self.batch)
    with self.assertRaisesRegex(ValueError, "head='conv' .* needs num_classes"):
      self.make(head="conv", num_classes=None)
    with self.assertRaisesRegex(ValueError, "head must be one of \\['dense', 'conv'\\]"):
      self.make(head="mlp")

  def test_save_and_reload(self):
    model = self.make()
    model(self.batch)
    assert_reloads_identically(self, model, self.batch)

  def test_from_graph_builds_the_model(self):
    # Its weights exist before any call: save_weights writes them, load_weights restores them.
    model = self.make()
    self.assertTrue(model.built)
    self.assertNotEmpty(model.weights)
    for name in ("weights", "weights.h5"):
      with self.subTest(format=name), tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, name)
        model.save_weights(path)
        other = self.make(seed=7)
        other.load_weights(path)
        self.assertAllClose(other(self.batch), model(self.batch))
    self.assertNotAllClose(self.make(seed=7)(self.batch), model(self.batch))

  def test_gradients(self):
    assert_gradients(self, self.make(), self.batch)

  def test_config_round_trip(self):
    model = self.make(kernel_regularizer=tf.keras.regularizers.L2(1e-3), encoder_dim=6,
                      normalize=True)
    config = model.get_config()
    twin = self.model_class.from_config(config)
    self.assertEqual(twin.get_config(), config)
    model.build()
    twin.build()
    twin.set_weights(model.get_weights())
    self.assertAllClose(twin(self.batch), model(self.batch))
    self.assertLen(model.losses, len(twin.losses))
    self.assertNotEmpty(model.losses)  # the regularizers

  def test_learns_node_classes(self):
    tf.keras.utils.set_random_seed(2)
    model = self.make(dropout=0.0)
    model.compile(tf.keras.optimizers.Adam(0.03), loss=tfgle.losses.SoftmaxCrossEntropy())
    ds = self.make_dataset(self.graph, "train", ["e", "e"], [4, 3], 8, seed=1,
                           shuffle=False).cache()
    history = model.fit(ds, epochs=20, verbose=0)
    self.assertLess(history.history["loss"][-1], 0.6 * history.history["loss"][0])


class EgoModelChecks(_ZooModelChecks):
  """Checks every EgoGraph model of the zoo passes; mix into a tf.test.TestCase."""
  make_batch = staticmethod(ego_batch)
  make_dataset = staticmethod(tfgle.data.ego_graph_dataset)
  hetero_kwargs = {}  # arguments besides the features of a 2-level model on hetero_graph()
  make_hetero_graph = staticmethod(hetero_graph)
  make_hetero_batch = staticmethod(hetero_batch)

  def test_features_of_the_graph(self):
    model = self.make()
    self.assertEqual(sorted(model.features), ["index", "kind", "tags", "x"])
    self.assertEqual(model.features["index"].key, "index")

  def test_padding_does_not_change_outputs_or_gradients(self):
    model = self.make()
    mask = self.batch["hop2"]["mask"].numpy()
    self.assertTrue(mask.any() and not mask.all(), "the batch must have padding")
    poisoned = poison_ego_padding(self.batch)
    self.assertAllClose(model(poisoned), model(self.batch), atol=1e-6)
    self.assertAllClose(model.embed(poisoned), model.embed(self.batch), atol=1e-6)
    per_entry = self.make(dedupe_nodes=False)
    per_entry.build()
    per_entry.set_weights(model.get_weights())
    self.assertAllClose(per_entry(poisoned), model(self.batch), atol=1e-6)
    assert_gradients(self, model, poisoned)
    assert_gradients(self, per_entry, poisoned)

  def test_encoding_each_node_once_matches_encoding_every_entry(self):
    model = self.make(encoder_dim=5)
    per_entry = self.make(encoder_dim=5, dedupe_nodes=False)
    model.build()
    per_entry.build()
    per_entry.set_weights(model.get_weights())
    self.assertAllClose(per_entry(self.batch), model(self.batch), atol=1e-6)
    # Without "index" a model encodes every entry.
    no_index = {h: {k: v for k, v in hop.items() if k != "index"}
                for h, hop in self.batch.items()}
    with self.assertRaisesRegex(ValueError, "no entry 'index'"):
      model(no_index)

  def test_raw_twin_takes_raw_values(self):
    model = self.make()
    raw = model.as_raw()
    vocab = {name: list(model.features[name].vocab) for name in ("kind", "tags")}

    def to_raw(name, ids):
      table = tf.constant(["<oov>"] + vocab[name] if name == "kind" else [-99] + vocab[name])
      if isinstance(ids, tf.RaggedTensor):
        return ids.with_flat_values(tf.gather(table, ids.flat_values))
      return tf.gather(table, ids)
    raw_batch = {h: {k: to_raw(k, v) if k in vocab else v for k, v in hop.items()}
                 for h, hop in self.batch.items()}
    self.assertAllClose(raw(raw_batch), model(self.batch), atol=1e-6)

  def test_dropout_only_in_training(self):
    model = self.make(dropout=0.5)
    self.assertAllClose(model(self.batch), model(self.batch, training=False))
    self.assertNotAllClose(model(self.batch, training=True), model(self.batch, training=False))

  def test_bad_configuration(self):
    features = self.make().get_config()["features"]
    for kwargs, pattern in [
        (dict(hidden_dims=[]), "hidden_dims must be a non-empty list"),
        (dict(hidden_dims=[4, 0]), "hidden_dims must be a non-empty list"),
        (dict(num_classes=0), "num_classes must be a positive int"),
        (dict(dropout=1.0), r"dropout must be a float in \[0, 1\)"),
        (dict(encoder_dim=-1), "encoder_dim must be a positive int"),
        (dict(node_types=["v"]), "node_types must name the node type of each of the 3 hops"),
    ]:
      with self.subTest(kwargs=kwargs), self.assertRaisesRegex(ValueError, pattern):
        self.model_class(features, **dict(self.model_kwargs, **kwargs))
    with self.assertRaisesRegex(ValueError, "features must be a non-empty dict"):
      self.model_class({}, **self.model_kwargs)
    with self.assertRaisesRegex(ValueError, "type must be one of"):
      self.model_class({"x": {"type": "nope"}}, **self.model_kwargs)

  def test_batch_that_does_not_match_the_model(self):
    model = self.make()
    three_hops = ego_batch(self.graph, fanouts=(2, 2, 2), meta_path=("e",) * 3)
    with self.assertRaisesRegex(ValueError, "the batch has 3 hops .* but the model has 2"):
      model(three_hops)
    wrong_width = {h: dict(hop, x=tf.zeros(tf.concat([tf.shape(hop["mask"]), [5]], 0)))
                   for h, hop in self.batch.items()}
    with self.assertRaisesRegex(ValueError, r"features\['x'\] has dim=3"):
      model(wrong_width)

  def test_heterogeneous_meta_path(self):
    g = self.make_hetero_graph()
    model = self.model_class.from_graph(g, node_types=["user", "item", "user"], num_classes=2,
                                        **self.hetero_kwargs)
    batch = self.make_hetero_batch(g)
    self.assertEqual(model(batch).shape, (6, 2))
    per_entry = self.model_class.from_config(dict(model.get_config(), dedupe_nodes=False))
    per_entry.set_weights(model.get_weights())
    self.assertAllClose(per_entry(batch), model(batch), atol=1e-6)
    assert_gradients(self, model, poison_ego_padding(batch))


class SubGraphModelChecks(_ZooModelChecks):
  """Checks every SubGraph model of the zoo passes; mix into a tf.test.TestCase."""
  make_batch = staticmethod(subgraph_batch)
  make_dataset = staticmethod(tfgle.data.subgraph_dataset)

  def test_padding_does_not_change_outputs_or_gradients(self):
    model = self.make(encoder_dim=4)
    padded = pad_subgraph(self.batch)
    self.assertAllClose(model(padded), model(self.batch), atol=1e-6)
    assert_gradients(self, model, padded)

  def test_bad_configuration(self):
    features = self.make().get_config()["features"]
    for kwargs, pattern in [
        (dict(hidden_dims=()), "hidden_dims must be a non-empty list"),
        (dict(num_classes=-2), "num_classes must be a positive int"),
        (dict(dropout=-0.1), r"dropout must be a float in \[0, 1\)"),
    ]:
      with self.subTest(kwargs=kwargs), self.assertRaisesRegex(ValueError, pattern):
        self.model_class(features, **dict(self.model_kwargs, **kwargs))
    with self.assertRaisesRegex(ValueError, "collides with the SubGraph entry 'edge_index'"):
      self.model_class({"edge_index": {"type": "numeric"}}, **self.model_kwargs)
    with self.assertRaisesRegex(ValueError, "must be a SubGraph dict with 'edge_index'"):
      self.make()({"x": tf.zeros([2, 3])})


def map_edges(batch, fn):
  """An Ego or SubGraph batch whose "edges" entries are fn(edges) (None: dropped)."""
  def apply(entries):
    out = {k: v for k, v in entries.items() if k != "edges"}
    if "edges" in entries and fn(entries["edges"]) is not None:
      out["edges"] = fn(entries["edges"])
    return out
  if "edge_index" in batch:
    return apply(batch)
  return {h: apply(hop) for h, hop in batch.items()}


class AttentionArgumentChecks:
  """Attention models (mixed into a _ZooModelChecks test) refuse bad attention arguments."""

  def test_bad_attention_arguments(self):
    for kwargs, pattern in [(dict(heads=0), "heads must be a positive int, got 0"),
                            (dict(heads=-1), "heads must be a positive int, got -1"),
                            (dict(attention_dropout=2.0), "attention_dropout must be a float"),
                            (dict(attention_dropout=1.0), "attention_dropout must be a float"),
                            (dict(negative_slope=-1.0), "negative_slope must be a float >= 0"),
                            (dict(negative_slope="x"), "negative_slope must be a float >= 0")]:
      with self.subTest(kwargs=kwargs), self.assertRaisesRegex(ValueError, pattern):
        self.make(**kwargs)


class EdgeFeatureChecks:
  """Checks of the zoo's models that read edge features; mix in before EgoModelChecks or
  SubGraphModelChecks, with model_kwargs holding edge_features=EDGE_FEATURES and batches of
  graph(edge_features=True) sampled with edge_features=True."""

  def test_edge_features_change_the_outputs(self):
    model = self.make()
    shifted = map_edges(self.batch, lambda e: dict(e, w=e["w"] + 1.0))
    self.assertNotAllClose(model(shifted), model(self.batch))

  def test_edge_features_of_the_graph(self):
    model = self.make(edge_features=None, edge_type="e")
    self.assertEqual(sorted(model.edge_features), ["n", "w"])
    self.assertEqual(model(self.batch).shape, (8, NUM_CLASSES))
    with self.assertRaisesRegex(ValueError, "from_graph: edge_type='e' gives the model edge "
                                "features, but EgoGraphSAGE's convolutions do not read any"):
      tfgle.models.EgoGraphSAGE.from_graph(self.graph, "v", edge_type="e", hidden_dims=[2])

  def test_batch_without_edge_features(self):
    model = self.make()
    with self.assertRaisesRegex(ValueError, "has no edge features 'edges'.*Sample with "
                                "edge_features="):
      model(map_edges(self.batch, lambda e: None))
    with self.assertRaisesRegex(ValueError, r"\['edges'\] must hold the edge features \['n', "
                                r"'w'\], got \['w'\]"):
      model(map_edges(self.batch, lambda e: {"w": e["w"]}))

  def test_bad_edge_features(self):
    features = self.make().get_config()["features"]
    with self.assertRaisesRegex(ValueError, "edge_features must be None or a non-empty dict "
                                r"edge feature name -> spec, got \['w'\]"):
      self.model_class(features, **dict(self.model_kwargs, edge_features=["w"]))


class EgoEdgeFeatureChecks(EdgeFeatureChecks, EgoModelChecks):
  """EgoModelChecks and EdgeFeatureChecks on batches of graph(edge_features=True) (and
  hetero_graph(edge_features=True)) with edge features."""
  make_graph = staticmethod(functools.partial(graph, edge_features=True))
  make_batch = staticmethod(functools.partial(ego_batch, edge_features=True))
  make_dataset = staticmethod(functools.partial(tfgle.data.ego_graph_dataset, edge_features=True))
  make_hetero_graph = staticmethod(functools.partial(hetero_graph, edge_features=True))
  make_hetero_batch = staticmethod(functools.partial(hetero_batch, edge_features=True))


class SubGraphEdgeFeatureChecks(EdgeFeatureChecks, SubGraphModelChecks):
  """SubGraphModelChecks and EdgeFeatureChecks on batches of graph(edge_features=True) with
  edge features."""
  make_graph = staticmethod(functools.partial(graph, edge_features=True))
  make_batch = staticmethod(functools.partial(subgraph_batch, edge_features=True))
  make_dataset = staticmethod(functools.partial(tfgle.data.subgraph_dataset, edge_features=True))
