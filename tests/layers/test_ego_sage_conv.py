"""Tests of EgoSAGEConv."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tests import keras_testing
from tfgle.layers import EgoSAGEConv

AGGREGATORS = ["mean", "sum", "max", "gcn", "pool"]


def _reference(layer, x, n, mask):
  """GraphSAGE in numpy, one node at a time, with the layer's weights."""
  w = {v.name.split("/")[-1].split(":")[0]: v.numpy() for v in layer.weights}
  lead = x.shape[:-1]
  out = np.zeros(lead + (layer.units,), np.float32)
  for idx in np.ndindex(*lead):
    real = n[idx][mask[idx]]
    if layer.aggregator == "pool":
      real = np.maximum(real @ w["pool_kernel"] + w["pool_bias"], 0)
    if layer.aggregator == "gcn":
      agg = (x[idx] + real.sum(0)) / (1 + len(real))
    elif not len(real):
      agg = np.zeros(real.shape[1], np.float32)
    else:
      agg = {"mean": real.mean(0), "sum": real.sum(0), "max": real.max(0),
             "pool": real.max(0) if len(real) else 0}[layer.aggregator]
    h = agg @ w["neighbor_kernel"] + w["bias"]
    if "self_kernel" in w:
      h = h + x[idx] @ w["self_kernel"]
    out[idx] = h
  return out


class EgoSAGEConvTest(tf.test.TestCase):

  @parameterized.expand(AGGREGATORS)
  def test_matches_reference(self, aggregator):
    x, n, mask = keras_testing.ego_inputs(leading=(2,))
    layer = EgoSAGEConv(6, aggregator=aggregator, bias_initializer="random_normal")
    out = layer((x, n, mask))
    self.assertEqual(out.shape, (3, 2, 6))
    self.assertAllClose(out, _reference(layer, x, n, mask), atol=1e-5)

  @parameterized.expand(AGGREGATORS)
  def test_padding_does_not_change_outputs_or_gradients(self, aggregator):
    x, n, mask = keras_testing.ego_inputs(k=5)
    layer = EgoSAGEConv(4, aggregator=aggregator, activation="relu")
    expected = layer((x, n, mask))
    for poison in (np.nan, np.inf, 1e30, -7.0):
      self.assertAllClose(layer((x, keras_testing.poison_padding(n, mask, poison), mask)),
                          expected)
    poisoned = tf.constant(keras_testing.poison_padding(n, mask))
    keras_testing.assert_finite_gradients(
        self, lambda: layer((tf.constant(x), poisoned, mask)), layer.trainable_weights)

  @parameterized.expand(["mean", "sum", "gcn"])
  def test_pretransform_commutes_with_linear_aggregators(self, aggregator):
    # (x W, n W) first, then aggregated: what EgoLayer does with distinct nodes.
    x, n, mask = keras_testing.ego_inputs(leading=(2,))
    layer = EgoSAGEConv(4, aggregator=aggregator, activation="relu", normalize=True,
                        bias_initializer="random_normal")
    keras_testing.assert_pretransform_matches_call(self, layer, (x, n, mask))

  @parameterized.expand(["max", "pool"])
  def test_no_pretransform_for_nonlinear_aggregators(self, aggregator):
    x, n, mask = keras_testing.ego_inputs()
    layer = EgoSAGEConv(4, aggregator=aggregator)
    layer((x, n, mask))
    self.assertIsNone(layer.pretransform(tf.constant(x)))

  def test_all_padding_aggregates_to_zeros(self):
    x, n, _ = keras_testing.ego_inputs()
    mask = np.zeros(n.shape[:-1], bool)
    layer = EgoSAGEConv(3, aggregator="mean", root_weight=False, use_bias=False)
    self.assertAllEqual(layer((x, n, mask)), np.zeros((3, 3)))

  def test_no_mask_means_all_real(self):
    x, n, mask = keras_testing.ego_inputs()
    layer = EgoSAGEConv(3)
    self.assertAllClose(layer((x, n)), layer((x, n, np.ones_like(mask))))

  def test_different_self_and_neighbor_dims(self):
    x, n, mask = keras_testing.ego_inputs(d_self=3, d_nbr=7)
    layer = EgoSAGEConv(2, aggregator="pool", pool_units=5, normalize=True)
    out = layer((x, n, mask))
    self.assertAllClose(tf.norm(out, axis=-1), np.ones(3), atol=1e-5)

  def test_input_gradients(self):
    keras_testing.assert_ego_input_gradients(
        self, EgoSAGEConv(2, aggregator="mean", activation="tanh", dtype="float64"))

  def test_config_round_trip(self):
    layer = EgoSAGEConv(7, aggregator="pool", root_weight=False, normalize=True, pool_units=3,
                        activation="relu", kernel_initializer=tf.keras.initializers.Orthogonal(),
                        kernel_regularizer=tf.keras.regularizers.L2(0.01), name="sage")
    config = layer.get_config()
    self.assertAlmostEqual(config["kernel_regularizer"]["config"]["l2"], 0.01)
    self.assertEqual(config["kernel_initializer"]["class_name"], "Orthogonal")
    clone = EgoSAGEConv.from_config(config)
    self.assertEqual(clone.get_config(), config)
    self.assertEqual(tf.keras.layers.deserialize(tf.keras.layers.serialize(layer)).get_config(),
                     config)

  def test_save_and_reload(self):
    keras_testing.assert_ego_conv_reloads(
        self, EgoSAGEConv(5, aggregator="pool", kernel_regularizer="l2"),
        keras_testing.ego_inputs(leading=(2,), d_self=4, d_nbr=6))

  @parameterized.expand([
      (dict(units=0), "units must be a positive int, got 0"),
      (dict(units=4, aggregator="median"), r"aggregator must be one of .*got 'median'"),
      (dict(units=4, pool_units=-1), "pool_units must be a positive int"),
  ])
  def test_bad_arguments(self, kwargs, message):
    with self.assertRaisesRegex(ValueError, "EgoSAGEConv: " + message):
      EgoSAGEConv(**kwargs)

  def test_dims_that_do_not_match_the_inputs(self):
    keras_testing.assert_rejects_dims(self, EgoSAGEConv(2, aggregator="gcn"),
                                      r"aggregator='gcn'.*got 3 \(x\) and 4")
    x, n, mask = keras_testing.ego_inputs(d_self=3, d_nbr=4)
    with self.assertRaisesRegex(ValueError, r"mask \(inputs\[2\]\) must have shape \(3, 4\)"):
      EgoSAGEConv(2)((x, n, mask[:, :2]))
    with self.assertRaisesRegex(ValueError, r"neighbors \(inputs\[1\]\) must have shape"):
      EgoSAGEConv(2)((x, n[:, 0], mask))
    with self.assertRaisesRegex(ValueError, "different leading dimensions"):
      EgoSAGEConv(2)((x[:2], n, mask))
    with self.assertRaisesRegex(ValueError, r"inputs must be \(x, neighbors\)"):
      EgoSAGEConv(2)(x)
    with self.assertRaisesRegex(ValueError, "needs a known last"):
      tf.function(lambda a: EgoSAGEConv(2)((a, n)))(tf.TensorSpec([3, None]))
