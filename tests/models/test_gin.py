"""Tests of GIN: graph classification over graph batches."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

import tfgle
from tfgle.models import GIN
from tests import keras_testing
from tests.models import model_testing

_NUM_CLASSES = 3


def _collection():
  """12 small random graphs with a float vector and a categorical node feature."""
  rng = np.random.default_rng(0)
  sizes = rng.integers(1, 6, size=12)
  graph = np.repeat(np.arange(12), sizes)
  ids = np.concatenate([np.arange(n) for n in sizes])
  nodes = {"graph_id": graph, "id": ids,
           "x": rng.normal(size=(len(ids), 3)).astype(np.float32),
           "kind": np.array(["a", "b", "c"], object)[rng.integers(0, 3, len(ids))]}
  src, dst = [], []
  for g, n in enumerate(sizes):
    for _ in range(n):
      src.append((g, rng.integers(n)))
      dst.append(rng.integers(n))
  edges = {"graph_id": np.array([g for g, _ in src]), "src_id": np.array([s for _, s in src]),
           "dst_id": np.array(dst)}
  graphs = {"graph_id": np.arange(12), "label": np.arange(12) % _NUM_CLASSES}
  return tfgle.graph.read_graph_collection(
      nodes, edges, graphs, undirected=True, node_decoder=tfgle.Decoder(
          attrs={"x": tfgle.FloatAttr(dim=3), "kind": tfgle.CategoricalAttr()}))


def _pad(batch, num_pad_nodes=3):
  """`batch` with padding nodes (NaN / garbage features, node_mask False, graph_index -1) and
  padding edges (edge_mask False, out-of-range ids)."""
  n, e = int(batch["graph_index"].shape[0]), int(batch["edge_index"].shape[1])
  out = dict(batch)
  out["x"] = tf.concat([batch["x"], tf.fill([num_pad_nodes, 3], np.nan)], 0)
  out["kind"] = tf.concat([batch["kind"], tf.fill([num_pad_nodes], tf.constant(10**9, tf.int64))],
                          0)
  out["ids"] = tf.concat([batch["ids"], tf.zeros([num_pad_nodes], tf.int64)], 0)
  out["graph_index"] = tf.concat([batch["graph_index"], [0, -1, 1]], 0)  # node_mask decides
  out["node_mask"] = tf.concat([tf.ones([n], tf.bool), tf.zeros([num_pad_nodes], tf.bool)], 0)
  pad_edges = tf.constant([[n, 0, 10**6], [0, n + 1, 1]], tf.int64)
  out["edge_index"] = tf.concat([batch["edge_index"], pad_edges], 1)
  out["edge_mask"] = tf.concat([tf.ones([e], tf.bool), tf.zeros([3], tf.bool)], 0)
  return out


class GINTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.collection = _collection()
    cls.batch, cls.labels = next(iter(tfgle.data.graph_batch_dataset(
        cls.collection, 5, shuffle=False)))

  def make(self, seed=1, **kwargs):
    tf.keras.utils.set_random_seed(seed)
    args = dict(hidden_dims=[6, 5], dropout=0.3, embedding_dim=4)
    args.update(kwargs)
    return GIN.from_collection(self.collection, **args)

  @parameterized.expand([("sum", False, ()), ("mean", True, ()), ("max", False, (7,)),
                         ("attention", True, (4, 3))])
  def test_outputs_embeddings_and_padding(self, readout, jumping_knowledge, head_dims):
    model = self.make(readout=readout, jumping_knowledge=jumping_knowledge, head_dims=head_dims)
    self.assertEqual(model.num_classes, _NUM_CLASSES)
    logits = model(self.batch)
    self.assertEqual(logits.shape, (5, _NUM_CLASSES))
    embeddings = model.embed(self.batch)
    expected_dim = head_dims[-1] if head_dims else (11 if jumping_knowledge else 5)
    self.assertEqual(embeddings.shape, (5, expected_dim))
    self.assertEqual(model.embedding_dim, expected_dim)
    self.assertAllClose(model.head(embeddings), logits, atol=1e-6)
    padded = _pad(self.batch)
    self.assertAllClose(model(padded), logits, atol=1e-6)
    model_testing.assert_gradients(self, model, padded)

  def test_one_graph_at_a_time_and_node_order_do_not_matter(self):
    model = self.make(readout="attention", jumping_knowledge=True)
    logits = model(self.batch).numpy()
    for g in range(5):
      single, _ = next(iter(tfgle.data.graph_batch_dataset(self.collection, 1, split=[g],
                                                           shuffle=False)))
      self.assertAllClose(model(single)[0], logits[g], atol=1e-5)
    n = int(self.batch["graph_index"].shape[0])
    perm = np.random.default_rng(1).permutation(n)
    inverse = np.argsort(perm)
    shuffled = {k: (tf.gather(v, perm) if k in ("x", "kind", "ids", "graph_index") else v)
                for k, v in self.batch.items()}
    shuffled["edge_index"] = tf.gather(inverse, self.batch["edge_index"])
    self.assertAllClose(model(shuffled), logits, atol=1e-5)

  def test_save_reload_and_config(self):
    model = self.make(readout="attention", head_dims=[4], train_eps=True,
                      kernel_regularizer=tf.keras.regularizers.L2(1e-3), encoder_dim=6)
    model(self.batch)
    model_testing.assert_reloads_identically(self, model, self.batch)
    config = model.get_config()
    self.assertEqual(config["readout"], "attention")
    twin = GIN.from_config(config)
    self.assertEqual(twin.get_config(), config)
    twin.set_weights(model.get_weights())
    self.assertAllClose(twin(self.batch), model(self.batch))
    self.assertNotEmpty(model.losses)

  def test_built_from_the_start_and_dropout_only_in_training(self):
    model = self.make(dropout=0.5)
    self.assertTrue(model.built)
    self.assertNotAllClose(self.make(seed=7)(self.batch), model(self.batch))
    inference = model(self.batch, training=False)
    self.assertAllClose(model(self.batch), inference)
    self.assertNotAllClose(model(self.batch, training=True), inference)

  def test_bad_configuration(self):
    features = self.make().get_config()["features"]
    for kwargs, pattern in [
        (dict(readout="median"), r"GIN: readout must be one of \['sum', 'mean', 'max', "
         r"'attention'\], got 'median'"),
        (dict(head="conv", num_classes=3), "GIN: head must be 'dense' .*, got 'conv'"),
        (dict(head_dims=[0]), "GIN: head_dims must be a non-empty list of positive ints"),
        (dict(num_mlp_layers=0), "GIN: num_mlp_layers must be a positive int, got 0"),
        (dict(hidden_dims=[]), "hidden_dims must be a non-empty list"),
    ]:
      with self.subTest(kwargs=kwargs), self.assertRaisesRegex(ValueError, pattern):
        GIN(features, **kwargs)
    with self.assertRaisesRegex(ValueError, r"GIN: features\['graph_index'\] collides with the "
                                "graph batch entry 'graph_index'"):
      GIN({"graph_index": tfgle.features.numeric()})
    with self.assertRaisesRegex(ValueError, "the batch must be a graph batch dict with "
                                "'edge_index', 'graph_index' and 'num_graphs'"):
      self.make()({k: v for k, v in self.batch.items() if k != "graph_index"})


class GINLearnsStructureTest(tf.test.TestCase):

  def test_sum_readout_counts_cycles_well_above_chance(self):
    # Every node has the same feature: only the structure tells the 4 classes apart.
    collection = tfgle.datasets.synthetic_graph_collection(800, task="cycles", num_classes=4,
                                                          seed=11)
    tf.keras.utils.set_random_seed(0)
    model = GIN.from_collection(collection, hidden_dims=[32, 32], head_dims=[32],
                                jumping_knowledge=True)
    # Sums over nodes make large early gradients: clipped, and a decaying rate to finish.
    steps = 30 * int(np.ceil(len(collection.splits["train"]) / 32))
    model.compile(tf.keras.optimizers.Adam(tf.keras.optimizers.schedules.CosineDecay(0.01, steps),
                                           clipnorm=1.0),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    train = tfgle.data.graph_batch_dataset(collection, 32, split="train", seed=0)
    held_out = np.concatenate([collection.splits["val"], collection.splits["test"]])
    model.fit(train, epochs=30, verbose=0)
    accuracy = model.evaluate(tfgle.data.graph_batch_dataset(collection, 200, split=held_out),
                              return_dict=True, verbose=0)["accuracy"]
    chance = np.bincount(collection.labels[held_out]).max() / len(held_out)
    self.assertLess(chance, 0.35)
    self.assertGreater(accuracy, 0.8, f"accuracy {accuracy:.3f}, chance {chance:.3f}")
