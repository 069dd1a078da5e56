"""Tests of EgoGNN: the hop pyramid from K hops to the seeds' embeddings."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tests import keras_testing
from tfgle.features import FeatureEncoder, categorical, numeric
from tfgle.layers import EgoGATConv, EgoGINConv, EgoGNN, EgoLayer, EgoRGCNConv, EgoSAGEConv


def _poison(hops, masks):
  return [hops[0]] + [keras_testing.poison_padding(h, m) for h, m in zip(hops[1:], masks[1:])]


class EgoGNNTest(tf.test.TestCase):

  def test_pyramid_matches_hand_wiring(self):
    hops, masks = keras_testing.ego_hops(fanouts=(3, 2), dims=(5, 5, 5))
    conv0, conv1 = EgoSAGEConv(4), EgoSAGEConv(2)
    gnn = EgoGNN([conv0, conv1], activation="relu")
    out = gnn((hops, masks))
    self.assertEqual(out.shape, (3, 2))
    h0 = tf.nn.relu(conv0((hops[0], hops[1], masks[1])))
    h1 = tf.nn.relu(conv0((hops[1], hops[2], masks[2])))
    self.assertAllClose(out, conv1((h0, h1, masks[1])))

  def test_three_hops(self):
    hops, masks = keras_testing.ego_hops(fanouts=(2, 3, 2), dims=(4, 4, 4, 4))
    gnn = EgoGNN([EgoGINConv(4), EgoGATConv(2, heads=2), EgoSAGEConv(3)], activation="relu")
    self.assertEqual(gnn((hops, masks)).shape, (3, 3))
    self.assertEqual(gnn.num_hops, 3)

  @parameterized.expand([
      ("sage", lambda: [EgoSAGEConv(4, aggregator="pool"), EgoSAGEConv(3)]),
      # sum/mean/gcn reduce the senders without a mask: EgoLayer's zeroing must hold.
      ("sage_sum_gcn", lambda: [EgoSAGEConv(4, aggregator="sum"),
                                EgoSAGEConv(3, aggregator="gcn")]),
      ("gat", lambda: [EgoGATConv(2, heads=2), EgoGATConv(3, concat_heads=False, heads=2)]),
      ("gin", lambda: [EgoGINConv(4), EgoGINConv(3)]),
  ])
  def test_padding_does_not_change_outputs_or_gradients(self, _, make_convs):
    hops, masks = keras_testing.ego_hops(dims=(4, 4, 4))
    gnn = EgoGNN(make_convs(), activation="relu", dropout=0.3)
    expected = gnn((hops, masks))
    for poison in (np.nan, 1e30):
      poisoned = [hops[0]] + [keras_testing.poison_padding(h, m, poison)
                              for h, m in zip(hops[1:], masks[1:])]
      self.assertAllClose(gnn((poisoned, masks)), expected)
    # Seed 0 has no real neighbors: its embedding comes from itself only.
    poisoned = [tf.constant(h) for h in _poison(hops, masks)]
    keras_testing.assert_finite_gradients(
        self, lambda: gnn((poisoned, masks), training=True), gnn.trainable_weights,
        sources=poisoned)

  def test_heterogeneous_meta_path_with_relations(self):
    hops, masks = keras_testing.ego_hops(dims=(4, 6, 3))
    rng = np.random.default_rng(0)
    relations = [rng.integers(0, 3, m.shape) for m in masks[1:]]
    gnn = EgoGNN([
        EgoLayer(convs=[EgoRGCNConv(5, num_relations=3, num_bases=2),
                        EgoGATConv(5, share_weights=False)]),
        EgoRGCNConv(2, num_relations=3),
    ])
    out = gnn((hops, masks, relations))
    self.assertEqual(out.shape, (3, 2))
    poisoned_rel = [np.where(m, r, -1) for r, m in zip(relations, masks[1:])]
    self.assertAllClose(gnn((_poison(hops, masks), masks, poisoned_rel)), out)

  def test_depth_runs_the_first_levels(self):
    hops, masks = keras_testing.ego_hops(fanouts=(3, 2), dims=(5, 5, 5))
    conv0 = EgoSAGEConv(4)
    gnn = EgoGNN([conv0, EgoSAGEConv(2)], activation="relu")
    self.assertEqual(gnn((hops, masks)).shape, (3, 2))
    self.assertAllClose(gnn((hops, masks), depth=1), conv0((hops[0], hops[1], masks[1])))
    for depth in (0, 3, 1.5, True):
      with self.assertRaisesRegex(ValueError, r"depth must be an int in \[1, 2\]"):
        gnn((hops, masks), depth=depth)

  def test_dropout_inputs_false_spares_the_first_level(self):
    hops, masks = keras_testing.ego_hops(batch=8)
    one_level = EgoGNN([EgoSAGEConv(4)], dropout=0.5, dropout_inputs=False)
    self.assertAllClose(one_level((hops[:2], masks[:2]), training=True),
                        one_level((hops[:2], masks[:2])))
    two_levels = EgoGNN([EgoSAGEConv(4), EgoSAGEConv(3)], dropout=0.5, dropout_inputs=False)
    self.assertNotAllClose(two_levels((hops, masks), training=True), two_levels((hops, masks)))
    self.assertFalse(two_levels.get_config()["dropout_inputs"])

  def test_dropout_only_in_training(self):
    hops, masks = keras_testing.ego_hops(batch=8)
    gnn = EgoGNN([EgoSAGEConv(4), EgoSAGEConv(3)], dropout=0.5)
    self.assertAllClose(gnn((hops, masks)), gnn((hops, masks), training=False))
    self.assertNotAllClose(gnn((hops, masks), training=True), gnn((hops, masks)))

  def test_save_and_reload(self):
    hops, masks = keras_testing.ego_hops(dims=(4, 4, 4))
    inputs = [tf.keras.Input(h.shape[1:]) for h in hops]
    mask_inputs = [tf.keras.Input(m.shape[1:], dtype=tf.bool) for m in masks]
    gnn = EgoGNN([EgoLayer(convs=[EgoGATConv(3, heads=2), EgoSAGEConv(6)]),
                  EgoSAGEConv(2, aggregator="gcn")], activation="elu", dropout=0.1)
    model = tf.keras.Model([inputs, mask_inputs], gnn((inputs, mask_inputs)))
    keras_testing.assert_reloads_identically(self, model, [hops, masks])

  def test_config_round_trip(self):
    gnn = EgoGNN([EgoSAGEConv(4), EgoLayer(convs=[EgoGATConv(2)])], activation="relu",
                 dropout=0.2, name="gnn")
    config = gnn.get_config()
    self.assertEqual(EgoGNN.from_config(config).get_config(), config)
    self.assertEqual(config["layers"][0]["registered_name"], "tfgle>EgoLayer")

  def test_bad_configuration(self):
    hops, masks = keras_testing.ego_hops()
    with self.assertRaisesRegex(ValueError, "layers must not be empty"):
      EgoGNN([])
    with self.assertRaisesRegex(ValueError, "layers must be a list"):
      EgoGNN(EgoSAGEConv(2))
    with self.assertRaisesRegex(ValueError, "layers\\[1\\] must be a Keras layer"):
      EgoGNN([EgoSAGEConv(2), 3])
    with self.assertRaisesRegex(ValueError, r"dropout must be a float in \[0, 1\)"):
      EgoGNN([EgoSAGEConv(2)], dropout=1.5)
    with self.assertRaisesRegex(ValueError, "1 levels need inputs with 2 hops, got 3"):
      EgoGNN([EgoSAGEConv(2)])((hops, masks))
    with self.assertRaisesRegex(ValueError, "feature dims must match"):
      EgoGNN([EgoGINConv(3), EgoGINConv(2)])(
          keras_testing.ego_hops(dims=(4, 5, 4)))


class EgoGNNTrainingTest(tf.test.TestCase):

  def test_learns_from_neighbors_with_feature_encoder_in_fit(self):
    # Each seed's label is whether its real 1-hop neighbors' "x" sums to > 0:
    # only message passing (honouring masks) can learn it.
    tf.keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    n = 256
    shapes = [(n,), (n, 4), (n, 4, 2)]
    hops = {}
    parent = np.ones((n,), bool)
    for i, shape in enumerate(shapes):
      mask = parent if i == 0 else (rng.random(shape) < 0.75) & parent[..., None]
      hops[f"hop{i}"] = {"x": rng.normal(size=shape).astype(np.float32),
                         "cat": rng.integers(0, 4, shape), "mask": mask}
      parent = mask
    neighbor_sum = np.where(hops["hop1"]["mask"], hops["hop1"]["x"], 0).sum(-1)
    labels = (neighbor_sum > 0).astype(np.int64)

    encoder = FeatureEncoder({"x": numeric(), "cat": categorical(vocab_size=4,
                                                                 embedding_dim=2)})
    gnn = EgoGNN([EgoSAGEConv(16, aggregator="mean"), EgoSAGEConv(2)], activation="relu")
    inputs = {f"hop{i}": {"x": tf.keras.Input(s[1:]),
                          "cat": tf.keras.Input(s[1:], dtype=tf.int64),
                          "mask": tf.keras.Input(s[1:], dtype=tf.bool)}
              for i, s in enumerate(shapes)}
    embedded = [encoder(inputs[f"hop{i}"]) for i in range(3)]
    masks = [inputs[f"hop{i}"]["mask"] for i in range(3)]
    model = tf.keras.Model(inputs, gnn((embedded, masks)))
    model.compile(tf.keras.optimizers.Adam(0.05),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    dataset = tf.data.Dataset.from_tensor_slices((hops, labels)).batch(64)
    history = model.fit(dataset, epochs=6, verbose=0)
    self.assertLess(history.history["loss"][-1], 0.5 * history.history["loss"][0])
    self.assertGreater(history.history["accuracy"][-1], 0.85)
