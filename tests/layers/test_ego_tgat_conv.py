"""Tests of EgoTGATConv."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tests import keras_testing
from tfgle.layers import EgoGNN, EgoTGATConv


def _inputs(*, batch=3, leading=(), k=4, d_self=5, d_nbr=None, seed=0):
  """(x, neighbors, mask, time deltas): ego_inputs plus int64 spans in [0, 1000)."""
  x, n, mask = keras_testing.ego_inputs(batch=batch, leading=leading, k=k, d_self=d_self,
                                        d_nbr=d_nbr, seed=seed)
  spans = np.random.default_rng(seed + 1).integers(0, 1000, mask.shape).astype(np.int64)
  return x, n, mask, spans


def _reference(layer, x, n, mask, spans):
  """TGAT in numpy, node by node and head by head, with the layer's weights."""
  w = {v.name.split("/")[-1].split(":")[0]: v.numpy() for v in layer.weights}
  heads, units = layer.heads, layer.units
  phi = lambda t: np.cos(np.asarray(t, np.float64)[..., None] * w["frequency"] + w["phase"])
  lead = x.shape[:-1]
  out = np.zeros(lead + (units,), np.float64)
  for idx in np.ndindex(*lead):
    q = (np.concatenate([x[idx], phi(0.0)]) @ w["query_kernel"]).reshape(heads, units)
    real = mask[idx]
    kv = np.concatenate([n[idx][real], phi(spans[idx][real])], -1)
    keys = (kv @ w["key_kernel"]).reshape(-1, heads, units)
    values = (kv @ w["value_kernel"]).reshape(-1, heads, units)
    attended = np.zeros((heads, units))
    for h in range(heads):
      if not real.any():
        continue
      logits = keys[:, h] @ q[h] / np.sqrt(units)
      alpha = np.exp(logits - logits.max())
      attended[h] = (alpha / alpha.sum()) @ values[:, h]
    hidden = np.maximum(np.concatenate([attended.reshape(-1), x[idx]]) @ w["merge_kernel"]
                        + w["merge_bias"], 0)
    out[idx] = hidden @ w["output_kernel"] + w["bias"]
  return out


class EgoTGATConvTest(tf.test.TestCase):

  @parameterized.expand([
      ("one_head", dict(heads=1), None),
      ("two_heads", dict(heads=2, time_dim=3), None),
      ("hetero", dict(heads=2), 7),
  ])
  def test_matches_reference(self, _, kwargs, d_nbr):
    x, n, mask, spans = _inputs(leading=(2,), d_nbr=d_nbr)
    layer = EgoTGATConv(4, bias_initializer="random_normal", max_exponent=3.0, **kwargs)
    out = layer((x, n, mask, spans))
    self.assertEqual(out.shape, (3, 2, 4))
    self.assertAllClose(out, _reference(layer, x, n, mask, spans), atol=1e-4)

  def test_time_spans_of_real_neighbors_matter(self):
    x, n, mask, spans = _inputs()
    layer = EgoTGATConv(3, max_exponent=3.0)
    expected = layer((x, n, mask, spans))
    self.assertNotAllClose(layer((x, n, mask, spans + 500)), expected)
    # Padding's spans do not: not even NaN.
    poisoned = np.where(mask, spans.astype(np.float32), np.nan)
    self.assertAllClose(layer((x, n, mask, poisoned)), expected)

  def test_padding_does_not_change_outputs_or_gradients(self):
    x, n, mask, spans = _inputs(k=6)
    layer = EgoTGATConv(3, heads=2, activation="elu")
    expected = layer((x, n, mask, spans))
    for poison in (np.nan, np.inf, -1e30, 3.0):
      self.assertAllClose(layer((x, keras_testing.poison_padding(n, mask, poison), mask, spans)),
                          expected)
    poisoned = tf.constant(keras_testing.poison_padding(n, mask))
    keras_testing.assert_finite_gradients(
        self, lambda: layer((tf.constant(x), poisoned, mask, spans)), layer.trainable_weights,
        sources=[poisoned])
    self.assertLen(layer.trainable_weights, 9)  # 5 kernels, 2 biases, 2 of the time encoding

  def test_without_real_neighbors_the_node_keeps_its_own_features(self):
    x, n, _, spans = _inputs()
    layer = EgoTGATConv(2, use_bias=False)
    out = layer((x, n, np.zeros(spans.shape, bool), spans))
    merge = layer.merge_kernel.numpy()[-x.shape[-1]:]  # the rows of x in [h || x]
    self.assertAllClose(out, np.maximum(x @ merge, 0) @ layer.output_kernel.numpy(), atol=1e-6)

  def test_attention_dropout_only_in_training(self):
    inputs = _inputs(batch=16, k=8)
    layer = EgoTGATConv(4, heads=2, attention_dropout=0.5)
    self.assertAllClose(layer(inputs), layer(inputs, training=False))
    self.assertNotAllClose(layer(inputs, training=True), layer(inputs))

  def test_input_gradients(self):
    spans = np.array([[1.0, 20.0, 300.0], [4.0, 0.0, 60.0]])
    keras_testing.assert_ego_input_gradients(
        self, EgoTGATConv(2, heads=2, max_exponent=2.0, dtype="float64"), spans)

  def test_in_an_ego_gnn(self):
    hops, masks = keras_testing.ego_hops(dims=(4, 4, 4))
    spans = [np.full(m.shape, 10.0, np.float32) for m in masks[1:]]
    gnn = EgoGNN([EgoTGATConv(3), EgoTGATConv(2)], activation="relu")
    self.assertEqual(gnn((hops, masks, spans)).shape, (3, 2))
    with self.assertRaisesRegex(ValueError, "needs relations"):
      gnn((hops, masks))

  def test_config_round_trip(self):
    layer = EgoTGATConv(3, heads=4, time_dim=5, max_exponent=7.0, attention_dropout=0.25,
                        activation="elu", bias_regularizer=tf.keras.regularizers.L1(0.5))
    config = layer.get_config()
    self.assertEqual(EgoTGATConv.from_config(config).get_config(), config)
    self.assertEqual((config["heads"], config["time_dim"], config["max_exponent"]), (4, 5, 7.0))

  def test_save_and_reload(self):
    x, n, mask, spans = _inputs(d_self=4)
    model = keras_testing.assert_ego_conv_reloads(
        self, EgoTGATConv(3, heads=2, attention_dropout=0.1, bias_initializer="random_normal"),
        (x, n, mask, spans.astype(np.float32)))
    self.assertEqual(model.output_shape, (None, 3))

  def test_inputs_without_time_deltas(self):
    x, n, mask, _ = _inputs()
    with self.assertRaisesRegex(ValueError, r"EgoTGATConv: inputs must be \(x, neighbors, mask, "
                                r"time_deltas\), got a 3-tuple"):
      EgoTGATConv(2)((x, n, mask))

  @parameterized.expand([
      (dict(units=2, heads=0), "heads must be a positive int, got 0"),
      (dict(units=0), "units must be a positive int"),
      (dict(units=2, time_dim=-1), "time_dim must be a positive int, got -1"),
      (dict(units=2, attention_dropout=1.0), r"attention_dropout must be a float in \[0, 1\)"),
  ])
  def test_bad_arguments(self, kwargs, message):
    with self.assertRaisesRegex(ValueError, "EgoTGATConv: " + message):
      EgoTGATConv(**kwargs)
    with self.assertRaisesRegex(ValueError, "TimeEncoding: max_exponent must be a number > 0"):
      EgoTGATConv(2, max_exponent=-1.0)


if __name__ == "__main__":
  tf.test.main()
