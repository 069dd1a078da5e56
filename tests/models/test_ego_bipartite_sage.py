"""Tests of EgoBipartiteSAGE, the two-tower GraphSAGE of user-item recommendation."""
import functools
import tempfile

import numpy as np
from parameterized import parameterized
import tensorflow as tf

import tfgle
from tests import keras_testing
from tfgle.features import categorical, node_id, numeric
from tfgle.models import EgoBipartiteSAGE
from tfgle.models.ego_bipartite_sage import MASKED_LOGIT

NUM_USERS, NUM_ITEMS = 12, 9
GENRES = ["a", "b", "c", "d"]
USER_TYPES = ["user", "item", "user"]
ITEM_TYPES = ["item", "user", "item"]


@functools.lru_cache(maxsize=None)
def _graph():
  """Users with a categorical age, items with multi-valued genres and a price."""
  rng = np.random.default_rng(0)
  users = {"id": np.arange(100, 100 + NUM_USERS),
           "age": rng.choice(["18", "25", "35"], NUM_USERS)}
  items = {"id": np.arange(NUM_ITEMS),
           "genres": np.array(["|".join(rng.choice(GENRES, rng.integers(1, 3), replace=False))
                               for _ in range(NUM_ITEMS)]),
           "price": rng.random(NUM_ITEMS).astype(np.float32)}
  # Sparse: sampled without replacement, fanouts 3 and 2 leave padding.
  pairs = {(int(u), int(i)) for u, i in zip(rng.integers(0, NUM_USERS, 30),
                                            rng.integers(0, NUM_ITEMS, 30))}
  src, dst = np.array(sorted(pairs)).T
  rates = {"src_id": src + 100, "dst_id": dst}
  return (tfgle.Graph()
          .node(users, node_type="user", decoder=tfgle.Decoder(
              attrs={"age": tfgle.CategoricalAttr(vocab=("18", "25", "35"))}))
          .node(items, node_type="item", decoder=tfgle.Decoder(attrs={
              "genres": tfgle.CategoricalAttr(vocab=tuple(GENRES), multivalued=True,
                                              delimiter="|"),
              "price": tfgle.FloatAttr()}))
          .edge(rates, edge_type=("user", "item", "rates"), directed=False)
          .build())


def _node_features():
  return {
      "user": {"ids": node_id(embedding_dim=6, num_ids=NUM_USERS, key="index"),
               "age": categorical(vocab=["18", "25", "35"], embedding_dim=3)},
      "item": {"ids": node_id(embedding_dim=6, num_ids=NUM_ITEMS, key="index"),
               "genres": categorical(vocab=GENRES, multivalued=True, embedding_dim=3),
               "price": numeric()},
  }


def _model(**kwargs):
  kwargs.setdefault("user_node_types", USER_TYPES)
  kwargs.setdefault("item_node_types", ITEM_TYPES)
  return EgoBipartiteSAGE(_node_features(), hidden_dim=5, embedding_dim=4, **kwargs)


def _batch(graph, batch_size=8, num_negatives=2, seed=0):
  ds = tfgle.data.link_ego_graph_dataset(
      graph, "rates", ["rates", "rates_reverse"], ["rates_reverse", "rates"], [3, 2],
      batch_size=batch_size, num_negatives=num_negatives, seed=seed,
      strategy="random_without_replacement",  # nodes with few neighbors get padding
      features={"user": ["age"], "item": ["genres", "price"]})
  return next(iter(ds))


def _poison_padding(batch, seed=0):
  """`batch` with the index, age and price of every padding node set to garbage."""
  rng = np.random.default_rng(seed)
  out = {}
  for side, ego in batch.items():
    out[side] = {}
    for hop, values in ego.items():
      values = dict(values)
      pad = ~values["mask"].numpy()
      if hop != "hop0":
        for key, high in (("index", 9), ("age", 4)):
          if key in values:
            values[key] = tf.constant(np.where(pad, rng.integers(0, high, pad.shape),
                                               values[key].numpy()))
        if "price" in values:
          values["price"] = tf.constant(np.where(pad, np.nan, values["price"].numpy()),
                                        tf.float32)
      out[side][hop] = values
  return out


class EgoBipartiteSAGETest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    tf.keras.utils.set_random_seed(0)
    self.graph = _graph()
    self.batch = _batch(self.graph)

  def test_scores_are_dot_products_of_the_towers(self):
    model = _model(temperature=0.5)
    logits = model(self.batch)
    self.assertEqual(logits.shape, (8, 3))
    users = model.embed_users(self.batch["src"])
    items = model.embed_items(self.batch["dst"])
    negatives = model.embed(self.batch["neg"], "item")
    self.assertEqual(users.shape, (8, 4))
    self.assertEqual(negatives.shape, (8, 2, 4))
    self.assertAllClose(logits[:, 0], tf.reduce_sum(users * items, -1) / 0.5)
    self.assertAllClose(logits[:, 1:], tf.einsum("bd,bnd->bn", users, negatives) / 0.5)
    self.assertAllClose(model({"src": self.batch["src"], "dst": self.batch["dst"]}),
                        logits[:, :1])

  def test_cosine_score_normalizes_embeddings(self):
    model = _model(score="cosine")
    norms = tf.norm(model.embed_users(self.batch["src"]), axis=-1)
    self.assertAllClose(norms, tf.ones_like(norms))
    self.assertAllLessEqual(tf.abs(model(self.batch)), 1.0 + 1e-5)

  def test_shared_negatives_exclude_the_own_positive(self):
    model = _model(share_negatives=True)
    batch = dict(self.batch)
    neg_hop0 = dict(batch["neg"]["hop0"])
    ids = neg_hop0["ids"].numpy().copy()
    ids[3, 1] = batch["dst"]["hop0"]["ids"][5].numpy()   # row 5's positive as a negative
    neg_hop0["ids"] = tf.constant(ids)
    batch["neg"] = dict(batch["neg"], hop0=neg_hop0)
    logits = model(batch).numpy()
    self.assertEqual(logits.shape, (8, 1 + 8 * 2))
    users = model.embed_users(batch["src"])
    negatives = tf.reshape(model.embed_items(batch["neg"]), [16, 4])
    expected = tf.matmul(users, negatives, transpose_b=True).numpy()
    hits = ids.reshape(-1)[None, :] == batch["dst"]["hop0"]["ids"].numpy()[:, None]
    self.assertTrue(hits[5, 3 * 2 + 1])
    self.assertAllClose(logits[:, 1:][~hits], expected[~hits])
    self.assertAllEqual(logits[:, 1:][hits], np.full(hits.sum(), MASKED_LOGIT, np.float32))

  def test_padding_does_not_change_outputs(self):
    model = _model(share_negatives=True, dropout=0.3)
    masks = [self.batch[s][h]["mask"].numpy() for s in self.batch for h in self.batch[s]]
    self.assertTrue(any(not m.all() for m in masks), "the batch needs padding")
    expected = model(self.batch)
    poisoned = _poison_padding(self.batch)
    self.assertAllClose(model(poisoned), expected)
    # A padding negative scores MASKED_LOGIT and leaves the others alone.
    neg_hop0 = dict(poisoned["neg"]["hop0"])
    mask = neg_hop0["mask"].numpy().copy()
    mask[2, 0] = False
    neg_hop0["mask"] = tf.constant(mask)
    poisoned["neg"] = dict(poisoned["neg"], hop0=neg_hop0)
    logits = model(poisoned).numpy()
    self.assertEqual(logits[0, 1 + 2 * 2], MASKED_LOGIT)
    keep = np.ones(logits.shape[1], bool)
    keep[1 + 2 * 2] = False
    self.assertAllClose(logits[:, keep], expected.numpy()[:, keep])

  def test_gradients_reach_every_weight_and_are_finite(self):
    model = _model(dropout=0.2, share_negatives=True)
    poisoned = _poison_padding(self.batch)
    model(poisoned)
    self.assertLen(model.trainable_weights,
                   # 4 embedding tables; per tower 3 SAGE convs of 3 weights.
                   4 + 2 * 3 * 3)

    def loss():
      logits = model(poisoned, training=True)
      return tf.keras.losses.sparse_categorical_crossentropy(
          tf.zeros([8], tf.int32), logits, from_logits=True)
    keras_testing.assert_finite_gradients(self, loss, model.trainable_weights)

  @parameterized.expand([("saved_model",), ("keras",)])
  def test_save_and_reload(self, fmt):
    model = _model(share_negatives=True, score="cosine", temperature=0.1,
                   embeddings_regularizer="l2", aggregator="pool")
    model.compile("adam", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ds = tf.data.Dataset.from_tensors((self.batch, tf.zeros([8], tf.int32)))
    model.fit(ds, epochs=1, verbose=0)
    with tempfile.TemporaryDirectory() as directory:
      loaded = keras_testing.save_and_reload(model, fmt, directory)
    self.assertIsInstance(loaded, EgoBipartiteSAGE)
    self.assertAllClose(loaded(self.batch), model(self.batch), rtol=1e-6, atol=1e-6)
    self.assertEqual(loaded.get_config(), model.get_config())
    self.assertAllClose(loaded.embed_items(self.batch["neg"]),
                        model.embed_items(self.batch["neg"]))

  def test_reload_without_calling_first(self):
    model = _model()
    model.build(None)
    with tempfile.TemporaryDirectory() as directory:
      loaded = keras_testing.save_and_reload(model, "keras", directory)
    self.assertAllClose(loaded(self.batch), model(self.batch))

  def test_homogeneous_link_prediction_shares_one_tower(self):
    graph, _ = tfgle.datasets.synthetic(num_nodes=30, num_edges=120, dim=4, num_classes=2)
    model = EgoBipartiteSAGE(
        {"node": {"feat": numeric(dim=4), "ids": node_id(embedding_dim=3, num_ids=30,
                                                         key="index")}},
        user_node_types=["node"] * 3, share_towers=True, hidden_dim=6, embedding_dim=5)
    batch = next(iter(tfgle.data.link_ego_graph_dataset(
        graph, "links", ["links", "links"], ["links", "links"], [3, 2], batch_size=4)))
    self.assertEqual(model(batch).shape, (4, 1 + 5))
    self.assertIs(model.user_tower, model.item_tower)
    self.assertAllClose(model.embed_users(batch["dst"]), model.embed_items(batch["dst"]))
    # One table, one encoder; one SAGE conv per level, shared by its hop pairs.
    self.assertLen(model.trainable_weights, 1 + 2 * 3)
    separate = EgoBipartiteSAGE.from_config(dict(model.get_config(), share_towers=False))
    separate(batch)
    self.assertLen(separate.trainable_weights, 1 + 2 * 2 * 3)

  def test_three_hops_alternating_types(self):
    model = EgoBipartiteSAGE(_node_features(), user_node_types=USER_TYPES + ["item"],
                             item_node_types=ITEM_TYPES + ["user"], hidden_dim=5,
                             embedding_dim=4)
    batch = next(iter(tfgle.data.link_ego_graph_dataset(
        self.graph, "rates", ["rates", "rates_reverse", "rates"],
        ["rates_reverse", "rates", "rates_reverse"], [2, 2, 2], batch_size=4,
        features={"user": ["age"], "item": ["genres", "price"]})))
    logits = model(batch)
    self.assertEqual(logits.shape, (4, 1 + 5))
    keras_testing.assert_reloads_identically(self, model, batch, formats=("keras",))

  def test_config_round_trip(self):
    model = _model(feature_dim=7, aggregator="sum", activation="elu", dropout=0.1,
                   score="cosine", temperature=0.2, share_negatives=True,
                   embeddings_regularizer=tf.keras.regularizers.l2(1e-4),
                   kernel_regularizer="l1", name="recommender")
    config = model.get_config()
    self.assertEqual(EgoBipartiteSAGE.from_config(config).get_config(), config)
    self.assertEqual(config["user_node_types"], USER_TYPES)
    self.assertEqual(config["node_features"]["item"]["ids"]["key"], "index")
    self.assertEqual(model(self.batch).shape, (8, 17))

  def test_bad_configuration(self):
    cases = [
        (dict(node_features={}), "node_features must be a non-empty dict"),
        (dict(user_node_types=["user"]), "user_node_types must list the node type of each hop"),
        (dict(user_node_types="user"), "user_node_types must list"),
        (dict(user_node_types=["user", "movie"]),
         "user_node_types names node type 'movie', which has no entry in node_features"),
        (dict(item_node_types=["item", "actor"]), "item_node_types names node type 'actor'"),
        (dict(hidden_dim=0), "hidden_dim must be a positive int, got 0"),
        (dict(embedding_dim=2.5), "embedding_dim must be a positive int"),
        (dict(feature_dim=-1), "feature_dim must be a positive int or None, got -1"),
        (dict(aggregator="median"), "aggregator must be one of .*'mean'.*got 'median'"),
        (dict(dropout=1.0), r"dropout must be a float in \[0, 1\), got 1.0"),
        (dict(score="l2"), r"score must be one of \['dot', 'cosine'\], got 'l2'"),
        (dict(temperature=0), "temperature must be a number > 0, got 0"),
        (dict(share_towers=True), "share_towers=True needs item_node_types equal to "
                                  "user_node_types"),
        (dict(node_features={"user": {"ids": {"type": "id"}}, "item": {}}),
         "embedding_dim must be a positive int"),
    ]
    for kwargs, message in cases:
      features = kwargs.pop("node_features", _node_features())
      args = dict(user_node_types=USER_TYPES, item_node_types=ITEM_TYPES, hidden_dim=5)
      args.update(kwargs)
      with self.subTest(kwargs=kwargs):
        with self.assertRaisesRegex(ValueError, message):
          EgoBipartiteSAGE(features, **args)

  def test_bad_calls(self):
    model = _model()
    with self.assertRaisesRegex(ValueError,
                                r"side must be one of \['user', 'item'\], got 'movie'"):
      model.embed(self.batch["src"], "movie")
    with self.assertRaisesRegex(ValueError, "inputs must be a dict with 'src', 'dst'"):
      model({"src": self.batch["src"]})
    two_hops = {f"hop{i}": self.batch["src"][f"hop{i}"] for i in range(2)}
    with self.assertRaisesRegex(ValueError, "user EgoGraphs must have 3 hops"):
      model.embed_users(two_hops)


if __name__ == "__main__":
  tf.test.main()
