"""Tests of EgoGATConv."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tests import keras_testing
from tfgle.layers import EgoGATConv


def _leaky(v, slope):
  return np.where(v > 0, v, slope * v)


def _reference(layer, x, n, mask):
  """GAT in numpy, node by node and head by head, with the layer's weights."""
  w = {v.name.split("/")[-1].split(":")[0]: v.numpy() for v in layer.weights}
  heads, units = layer.heads, layer.units
  w_nbr = w.get("neighbor_kernel", w["kernel"])
  lead = x.shape[:-1]
  out = np.zeros(lead + (layer.output_dim,), np.float32)
  for idx in np.ndindex(*lead):
    z = (x[idx] @ w["kernel"]).reshape(heads, units)
    zn = (n[idx][mask[idx]] @ w_nbr).reshape(-1, heads, units)
    per_head = []
    for h in range(heads):
      dst = w["attention_self"][h] @ z[h]
      values = list(zn[:, h])
      logits = [dst + w["attention_neighbor"][h] @ v for v in values]
      if layer.add_self_loop:
        values.append(z[h])
        logits.append(dst + w["attention_neighbor"][h] @ z[h])
      if not values:
        per_head.append(np.zeros(units))
        continue
      logits = _leaky(np.array(logits), layer.negative_slope)
      alpha = np.exp(logits - logits.max())
      alpha /= alpha.sum()
      per_head.append((alpha[:, None] * np.array(values)).sum(0))
    per_head = np.array(per_head)
    result = per_head.reshape(-1) if layer.concat_heads else per_head.mean(0)
    out[idx] = result + w["bias"]
  return out


class EgoGATConvTest(tf.test.TestCase):

  @parameterized.expand([
      ("one_head", dict(heads=1)),
      ("concat", dict(heads=3)),
      ("mean_heads", dict(heads=3, concat_heads=False)),
      ("no_self_loop", dict(heads=2, add_self_loop=False)),
      ("hetero", dict(heads=2, share_weights=False)),
  ])
  def test_matches_reference(self, _, kwargs):
    d_nbr = 7 if not kwargs.get("share_weights", True) else None
    x, n, mask = keras_testing.ego_inputs(leading=(2,), d_nbr=d_nbr)
    layer = EgoGATConv(4, bias_initializer="random_normal", **kwargs)
    out = layer((x, n, mask))
    self.assertEqual(out.shape, (3, 2, layer.output_dim))
    self.assertAllClose(out, _reference(layer, x, n, mask), atol=1e-5)

  @parameterized.expand([("self_loop", True), ("no_self_loop", False)])
  def test_padding_does_not_change_outputs_or_gradients(self, _, add_self_loop):
    x, n, mask = keras_testing.ego_inputs(k=6)
    layer = EgoGATConv(3, heads=2, add_self_loop=add_self_loop, activation="elu")
    expected = layer((x, n, mask))
    for poison in (np.nan, np.inf, -1e30, 3.0):
      self.assertAllClose(layer((x, keras_testing.poison_padding(n, mask, poison), mask)),
                          expected)
    poisoned = tf.constant(keras_testing.poison_padding(n, mask))
    keras_testing.assert_finite_gradients(
        self, lambda: layer((tf.constant(x), poisoned, mask)), layer.trainable_weights,
        sources=[poisoned])

  @parameterized.expand([("self_loop", True), ("no_self_loop", False)])
  def test_pretransform_projects_each_node(self, _, add_self_loop):
    x, n, mask = keras_testing.ego_inputs(leading=(2,))
    layer = EgoGATConv(3, heads=2, add_self_loop=add_self_loop, bias_initializer="random_normal")
    keras_testing.assert_pretransform_matches_call(self, layer, (x, n, mask))
    hetero = EgoGATConv(3, heads=2, share_weights=False)
    hetero((x, n, mask))
    self.assertIsNone(hetero.pretransform(tf.constant(x)))  # x and neighbors differ in W

  def test_all_padding_without_self_loop_gives_zeros(self):
    x, n, _ = keras_testing.ego_inputs()
    mask = np.zeros(n.shape[:-1], bool)
    layer = EgoGATConv(2, heads=2, add_self_loop=False, use_bias=False)
    self.assertAllEqual(layer((x, n, mask)), np.zeros((3, 4)))
    # With the self loop the node attends only to itself: out = x W.
    layer = EgoGATConv(2, heads=2, use_bias=False)
    self.assertAllClose(layer((x, n, mask)), x @ layer.weights[0].numpy(), atol=1e-6)

  def test_attention_dropout_only_in_training(self):
    x, n, mask = keras_testing.ego_inputs(batch=16, k=8)
    layer = EgoGATConv(4, heads=2, attention_dropout=0.5)
    self.assertAllClose(layer((x, n, mask)), layer((x, n, mask), training=False))
    self.assertNotAllClose(layer((x, n, mask), training=True), layer((x, n, mask)))

  def test_input_gradients(self):
    keras_testing.assert_ego_input_gradients(self, EgoGATConv(2, heads=2, dtype="float64"))

  def test_config_round_trip(self):
    layer = EgoGATConv(3, heads=4, concat_heads=False, add_self_loop=False, negative_slope=0.1,
                       attention_dropout=0.25, share_weights=False, activation="elu",
                       bias_regularizer=tf.keras.regularizers.L1(0.5))
    config = layer.get_config()
    self.assertEqual(EgoGATConv.from_config(config).get_config(), config)
    self.assertEqual(config["bias_regularizer"]["class_name"], "L1")

  def test_save_and_reload(self):
    model = keras_testing.assert_ego_conv_reloads(
        self, EgoGATConv(3, heads=2, attention_dropout=0.1), keras_testing.ego_inputs(d_self=4))
    self.assertEqual(model.output_shape, (None, 6))

  @parameterized.expand([
      (dict(units=2, heads=0), "heads must be a positive int, got 0"),
      (dict(units=2, heads=-3), "heads must be a positive int, got -3"),
      (dict(units=0), "units must be a positive int"),
      (dict(units=2, attention_dropout=1.0), r"attention_dropout must be a float in \[0, 1\)"),
      (dict(units=2, negative_slope=-1), "negative_slope must be a float >= 0"),
  ])
  def test_bad_arguments(self, kwargs, message):
    with self.assertRaisesRegex(ValueError, "EgoGATConv: " + message):
      EgoGATConv(**kwargs)

  def test_shared_weights_need_equal_dims(self):
    keras_testing.assert_rejects_dims(self, EgoGATConv(2), r"share_weights=True.*got 3 \(x\) "
                                      "and 5", d_nbr=5)
