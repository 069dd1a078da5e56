"""Tests of EgoGINConv."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tests import keras_testing
from tfgle.layers import EgoGINConv


class EgoGINConvTest(tf.test.TestCase):

  @parameterized.expand([("fixed_eps", False, 1), ("trained_eps", True, 2), ("deep", False, 3)])
  def test_matches_reference(self, _, train_eps, num_mlp_layers):
    x, n, mask = keras_testing.ego_inputs(leading=(2,))
    layer = EgoGINConv(4, eps=0.3, train_eps=train_eps, num_mlp_layers=num_mlp_layers,
                       hidden_units=6, activation="tanh", bias_initializer="random_normal")
    out = layer((x, n, mask)).numpy()
    h = 1.3 * x + np.where(mask[..., None], n, 0).sum(-2)
    weights = [w.numpy() for w in layer.weights if "mlp" in w.name]
    for i in range(num_mlp_layers):
      h = h @ weights[2 * i] + weights[2 * i + 1]
      h = np.tanh(h) if i == num_mlp_layers - 1 else np.maximum(h, 0)
    self.assertAllClose(out, h, atol=1e-5)
    self.assertLen(layer.trainable_weights, 2 * num_mlp_layers + int(train_eps))

  def test_padding_does_not_change_outputs_or_gradients(self):
    x, n, mask = keras_testing.ego_inputs(k=5)
    layer = EgoGINConv(4, train_eps=True)
    expected = layer((x, n, mask))
    for poison in (np.nan, -np.inf, 1e30):
      self.assertAllClose(layer((x, keras_testing.poison_padding(n, mask, poison), mask)),
                          expected)
    poisoned = tf.constant(keras_testing.poison_padding(n, mask))
    keras_testing.assert_finite_gradients(
        self, lambda: layer((tf.constant(x), poisoned, mask)), layer.trainable_weights)

  def test_input_gradients(self):
    keras_testing.assert_ego_input_gradients(
        self, EgoGINConv(2, hidden_activation="tanh", dtype="float64"))

  def test_config_round_trip(self):
    layer = EgoGINConv(5, eps=0.1, train_eps=True, hidden_units=9, num_mlp_layers=3,
                       hidden_activation="elu", activation="relu", use_bias=False,
                       kernel_initializer="he_normal")
    config = layer.get_config()
    self.assertEqual(EgoGINConv.from_config(config).get_config(), config)

  def test_save_and_reload(self):
    keras_testing.assert_ego_conv_reloads(self, EgoGINConv(3, train_eps=True, eps=0.5),
                                          keras_testing.ego_inputs(d_self=4, leading=(3,)))

  @parameterized.expand([
      (dict(units=-1), "units must be a positive int"),
      (dict(units=2, num_mlp_layers=0), "num_mlp_layers must be a positive int, got 0"),
      (dict(units=2, hidden_units=0), "hidden_units must be a positive int"),
      (dict(units=2, eps="big"), "eps must be a float"),
  ])
  def test_bad_arguments(self, kwargs, message):
    with self.assertRaisesRegex(ValueError, "EgoGINConv: " + message):
      EgoGINConv(**kwargs)

  def test_dims_must_match(self):
    keras_testing.assert_rejects_dims(self, EgoGINConv(2),
                                      r"feature dims must match, got 3 \(x\) and 4")
