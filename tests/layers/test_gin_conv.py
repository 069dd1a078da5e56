"""Tests of GINConv (SubGraph, edge_index)."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tests import keras_testing
from tfgle.layers import EgoGINConv
from tfgle.layers import GINConv


def _reference(layer, x, edge_index, weight=None):
  agg = np.zeros_like(x)
  for e, (s, d) in enumerate(edge_index.T):
    agg[d] += x[s] * (1.0 if weight is None else weight[e])
  eps = layer.eps_weight.numpy() if layer.train_eps else layer.eps
  h = (1 + eps) * x + agg
  for i, (kernel, bias) in enumerate(zip(layer.mlp_kernels, layer.mlp_biases)):
    h = h @ kernel.numpy() + bias.numpy()
    h = np.tanh(h) if i == layer.num_mlp_layers - 1 else np.maximum(h, 0)
  return h


class GINConvTest(tf.test.TestCase):

  @parameterized.expand([("fixed_eps", False, 1, False), ("trained_eps", True, 2, True),
                         ("deep", False, 3, False)])
  def test_matches_reference(self, _, train_eps, num_mlp_layers, weighted):
    x, edge_index = keras_testing.subgraph()
    weight = (np.random.default_rng(3).random(edge_index.shape[1]).astype(np.float32)
              if weighted else None)
    layer = GINConv(4, eps=0.3, train_eps=train_eps, num_mlp_layers=num_mlp_layers,
                    hidden_units=6, activation="tanh", bias_initializer="random_normal")
    out = layer((x, edge_index), edge_weight=weight)
    self.assertAllClose(out, _reference(layer, x, edge_index, weight), atol=1e-5)
    self.assertLen(layer.trainable_weights, 2 * num_mlp_layers + int(train_eps))

  def test_same_math_as_ego_gin_conv(self):
    # Node i's in-neighbors as an Ego hop: the two convs agree with the same weights.
    x, edge_index = keras_testing.subgraph(num_nodes=5, num_edges=9)
    conv, ego = GINConv(3, eps=0.2), EgoGINConv(3, eps=0.2)
    expected = conv((x, edge_index)).numpy()
    k = 9
    nbrs = np.zeros((5, k, x.shape[1]), np.float32)
    mask = np.zeros((5, k), bool)
    for e, (s, d) in enumerate(edge_index.T):
      nbrs[d, e], mask[d, e] = x[s], True
    ego((x, nbrs, mask))
    ego.set_weights(conv.get_weights())
    self.assertAllClose(ego((x, nbrs, mask)), expected, atol=1e-5)

  def test_edge_mask_drops_padding_edges(self):
    x, edge_index = keras_testing.subgraph()
    layer = GINConv(3, train_eps=True)
    expected = layer((x, edge_index))
    padded = np.concatenate([edge_index, [[-7], [10**9]]], axis=1)
    mask = np.arange(padded.shape[1]) < edge_index.shape[1]
    self.assertAllClose(layer((x, padded), edge_mask=mask), expected)

  def test_gradients(self):
    # Smooth activations and fixed weights: a ReLU kink near an input would make the
    # numerical gradient differ from the analytic one on some random draws.
    tf.keras.utils.set_random_seed(0)
    keras_testing.assert_subgraph_gradients(
        self, GINConv(2, train_eps=True, hidden_activation="tanh", activation="tanh",
                      dtype="float64"))

  def test_config_round_trip(self):
    layer = GINConv(5, eps=0.1, train_eps=True, hidden_units=9, num_mlp_layers=3,
                    hidden_activation="elu", activation="relu", use_bias=False)
    config = layer.get_config()
    self.assertEqual(GINConv.from_config(config).get_config(), config)

  def test_save_and_reload(self):
    x, edge_index = keras_testing.subgraph()
    inputs = [tf.keras.Input((4,)), tf.keras.Input((None,), dtype=tf.int64, batch_size=2)]
    out = GINConv(3, train_eps=True, eps=0.5)(tuple(inputs))
    model = tf.keras.Model(inputs, out)
    keras_testing.assert_reloads_identically(self, model, [x, edge_index])

  def test_bad_arguments(self):
    with self.assertRaisesRegex(ValueError, "GINConv: eps must be a float, got 'x'"):
      GINConv(2, eps="x")
    with self.assertRaisesRegex(ValueError, "GINConv: num_mlp_layers must be a positive int, "
                                "got 0"):
      GINConv(2, num_mlp_layers=0)
    with self.assertRaisesRegex(ValueError, r"GINConv: inputs must be \(x, edge_index\)"):
      GINConv(2)((np.zeros((2, 2), np.float32),))
