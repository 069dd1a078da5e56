"""Tests of EgoRGCNConv."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tests import keras_testing
from tfgle.layers import EgoRGCNConv


def _inputs(num_relations=3, **kwargs):
  x, n, mask = keras_testing.ego_inputs(**kwargs)
  rng = np.random.default_rng(1)
  relations = rng.integers(0, num_relations, size=mask.shape).astype(np.int64)
  return x, n, mask, relations


def _reference(layer, x, n, mask, relations):
  w = {v.name.split("/")[-1].split(":")[0]: v.numpy() for v in layer.weights}
  if layer.num_bases is None:
    kernels = w["relation_kernel"]
  else:
    kernels = np.einsum("rb,bdu->rdu", w["coefficients"], w["bases"])
  lead = x.shape[:-1]
  out = np.zeros(lead + (layer.units,), np.float32)
  for idx in np.ndindex(*lead):
    h = w.get("bias", np.zeros(layer.units))
    if layer.root_weight:
      h = h + x[idx] @ w["self_kernel"]
    for r in range(layer.num_relations):
      real = n[idx][mask[idx] & (relations[idx] == r)]
      if len(real):
        agg = real.mean(0) if layer.aggregator == "mean" else real.sum(0)
        h = h + agg @ kernels[r]
    out[idx] = h
  return out


class EgoRGCNConvTest(tf.test.TestCase):

  @parameterized.expand([
      ("full_mean", dict(num_bases=None, aggregator="mean")),
      ("bases_mean", dict(num_bases=2, aggregator="mean")),
      ("bases_sum_no_root", dict(num_bases=1, aggregator="sum", root_weight=False)),
  ])
  def test_matches_reference(self, _, kwargs):
    x, n, mask, rel = _inputs(leading=(2,), k=6, d_nbr=4)
    layer = EgoRGCNConv(5, num_relations=3, bias_initializer="random_normal", **kwargs)
    out = layer((x, n, mask, rel))
    self.assertEqual(out.shape, (3, 2, 5))
    self.assertAllClose(out, _reference(layer, x, n, mask, rel), atol=1e-5)

  def test_basis_decomposition_shares_bases(self):
    x, n, mask, rel = _inputs(num_relations=10)
    layer = EgoRGCNConv(4, num_relations=10, num_bases=2)
    layer((x, n, mask, rel))
    shapes = {w.name.split("/")[-1].split(":")[0]: w.shape for w in layer.weights}
    self.assertEqual(shapes["bases"], (2, 5, 4))
    self.assertEqual(shapes["coefficients"], (10, 2))
    self.assertNotIn("relation_kernel", shapes)

  def test_padding_does_not_change_outputs_or_gradients(self):
    x, n, mask, rel = _inputs(k=6)
    layer = EgoRGCNConv(4, num_relations=3, num_bases=2)
    expected = layer((x, n, mask, rel))
    bad_rel = np.where(mask, rel, -99)
    huge_rel = np.where(mask, rel, 10**9)
    for poison in (np.nan, np.inf, 1e30):
      poisoned = keras_testing.poison_padding(n, mask, poison)
      self.assertAllClose(layer((x, poisoned, mask, bad_rel)), expected)
      self.assertAllClose(layer((x, poisoned, mask, huge_rel)), expected)
    poisoned = tf.constant(keras_testing.poison_padding(n, mask))
    keras_testing.assert_finite_gradients(
        self, lambda: layer((tf.constant(x), poisoned, mask, bad_rel)), layer.trainable_weights)

  def test_real_relation_out_of_range_is_an_error(self):
    x, n, mask, rel = _inputs()
    rel[1, 0] = 3  # row 1 is all real
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, "num_relations=3"):
      EgoRGCNConv(2, num_relations=3)((x, n, mask, rel))

  def test_input_gradients(self):
    _, _, _, rel = _inputs(batch=2, k=3, d_self=2)
    keras_testing.assert_ego_input_gradients(
        self, EgoRGCNConv(2, num_relations=3, num_bases=2, dtype="float64"), rel)

  def test_config_round_trip(self):
    layer = EgoRGCNConv(3, num_relations=5, num_bases=2, aggregator="sum", root_weight=False,
                        activation="relu", kernel_regularizer="l2")
    config = layer.get_config()
    self.assertEqual(EgoRGCNConv.from_config(config).get_config(), config)

  def test_save_and_reload(self):
    keras_testing.assert_ego_conv_reloads(
        self, EgoRGCNConv(3, num_relations=3, num_bases=2), _inputs(d_self=4))

  @parameterized.expand([
      (dict(units=2, num_relations=0), "num_relations must be a positive int, got 0"),
      (dict(units=2, num_relations=2, num_bases=3), "num_bases must be <= num_relations=2"),
      (dict(units=2, num_relations=2, num_bases=0), "num_bases must be a positive int"),
      (dict(units=2, num_relations=2, aggregator="max"),
       r"aggregator must be one of \['mean', 'sum'\]"),
  ])
  def test_bad_arguments(self, kwargs, message):
    with self.assertRaisesRegex(ValueError, "EgoRGCNConv: " + message):
      EgoRGCNConv(**kwargs)

  def test_bad_inputs(self):
    x, n, mask, rel = _inputs()
    with self.assertRaisesRegex(ValueError, r"inputs must be \(x, neighbors, mask, relations\)"):
      EgoRGCNConv(2, num_relations=3)((x, n, mask))
    with self.assertRaisesRegex(ValueError, r"relations \(inputs\[3\]\) must have shape"):
      EgoRGCNConv(2, num_relations=3)((x, n, mask, rel[:, :1]))
