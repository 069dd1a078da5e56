"""Tests of EgoGATConv."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tests import keras_testing
from tfgle.layers import EgoGATConv, EgoGNN


def _leaky(v, slope):
  return np.where(v > 0, v, slope * v)


def _reference(layer, x, n, mask, edges=None):
  """GAT in numpy, node by node and head by head, with the layer's weights.

  With edge features edges [..., k, F]: z_j += e_j W_edge, and the self loop's
  e is the mean of the real edges' (zeros without any).
  """
  w = {v.name.split("/")[-1].split(":")[0]: v.numpy() for v in layer.weights}
  heads, units = layer.heads, layer.units
  w_nbr = w.get("neighbor_kernel", w["kernel"])
  lead = x.shape[:-1]
  out = np.zeros(lead + (layer.output_dim,), np.float32)
  for idx in np.ndindex(*lead):
    z = (x[idx] @ w["kernel"]).reshape(heads, units)
    zn = (n[idx][mask[idx]] @ w_nbr).reshape(-1, heads, units)
    if edges is not None:
      real = edges[idx][mask[idx]]
      zn = zn + (real @ w["edge_kernel"]).reshape(-1, heads, units)
      loop = real.mean(0) if len(real) else np.zeros(edges.shape[-1])
      z_loop = z + (loop @ w["edge_kernel"]).reshape(heads, units)
    else:
      z_loop = z
    per_head = []
    for h in range(heads):
      dst = w["attention_self"][h] @ z[h]
      values = list(zn[:, h])
      logits = [dst + w["attention_neighbor"][h] @ v for v in values]
      if layer.add_self_loop:
        values.append(z_loop[h])
        logits.append(dst + w["attention_neighbor"][h] @ z_loop[h])
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

  @parameterized.expand([
      ("self_loop", dict(heads=2)),
      ("no_self_loop", dict(heads=3, add_self_loop=False, concat_heads=False)),
      ("hetero", dict(heads=2, share_weights=False)),
  ])
  def test_edge_features_match_reference(self, _, kwargs):
    d_nbr = 7 if not kwargs.get("share_weights", True) else None
    x, n, mask = keras_testing.ego_inputs(leading=(2,), d_nbr=d_nbr)
    edges = keras_testing.edge_features(mask, dim=3)
    layer = EgoGATConv(4, use_edge_features=True, bias_initializer="random_normal", **kwargs)
    out = layer((x, n, mask, edges))
    self.assertEqual(layer.edge_kernel.shape, (3, layer.heads * 4))
    self.assertAllClose(out, _reference(layer, x, n, mask, edges), atol=1e-5)
    self.assertNotAllClose(layer((x, n, mask, edges + 1.0)), out)  # edges change the output

  def test_padding_edge_features_change_nothing(self):
    x, n, mask = keras_testing.ego_inputs(k=6)
    edges = keras_testing.edge_features(mask)
    layer = EgoGATConv(3, heads=2, use_edge_features=True, activation="elu")
    expected = layer((x, n, mask, edges))
    for poison in (np.nan, np.inf, -1e30, 3.0):
      self.assertAllClose(layer((x, n, mask, keras_testing.poison_padding(edges, mask, poison))),
                          expected)
    poisoned = tf.constant(keras_testing.poison_padding(edges, mask))
    keras_testing.assert_finite_gradients(
        self, lambda: layer((x, n, mask, poisoned)), layer.trainable_weights, sources=[poisoned])

  def test_edge_features_pretransform_and_gradients(self):
    x, n, mask = keras_testing.ego_inputs(leading=(2,))
    edges = keras_testing.edge_features(mask)
    layer = EgoGATConv(3, heads=2, use_edge_features=True, bias_initializer="random_normal")
    keras_testing.assert_pretransform_matches_call(self, layer, (x, n, mask, edges))
    keras_testing.assert_ego_input_gradients(
        self, EgoGATConv(2, heads=2, use_edge_features=True, dtype="float64"),
        keras_testing.edge_features(np.ones((2, 3), bool)).astype(np.float64))

  def test_edge_features_save_and_reload(self):
    x, n, mask = keras_testing.ego_inputs(d_self=4)
    layer = EgoGATConv(3, heads=2, use_edge_features=True, bias_initializer="random_normal")
    keras_testing.assert_ego_conv_reloads(self, layer,
                                          (x, n, mask, keras_testing.edge_features(mask)))
    config = layer.get_config()
    self.assertTrue(config["use_edge_features"])
    self.assertEqual(EgoGATConv.from_config(config).get_config(), config)

  def test_edge_features_in_an_ego_gnn(self):
    hops, masks = keras_testing.ego_hops(dims=(4, 4, 4))
    edges = [keras_testing.edge_features(m, dim=2) for m in masks[1:]]
    gnn = EgoGNN([EgoGATConv(3, use_edge_features=True), EgoGATConv(2, use_edge_features=True)],
                 activation="relu")
    out = gnn((hops, masks, edges))
    self.assertEqual(out.shape, (3, 2))
    self.assertNotAllClose(gnn((hops, masks, [edges[0], edges[1] * 2.0])), out)
    with self.assertRaisesRegex(ValueError, r"EgoLayer: .* needs edge features: pass inputs as "
                                r"\(hops, masks, edge_features\)"):
      gnn((hops, masks))

  def test_bad_edge_feature_inputs(self):
    x, n, mask = keras_testing.ego_inputs()
    with self.assertRaisesRegex(ValueError, r"EgoGATConv: inputs must be \(x, neighbors, mask, "
                                r"edge_features\), got a 3-tuple"):
      EgoGATConv(2, use_edge_features=True)((x, n, mask))
    with self.assertRaisesRegex(ValueError, r"EgoGATConv: inputs must be \(x, neighbors\) or "
                                r"\(x, neighbors, mask\), got a 4-tuple"):
      EgoGATConv(2)((x, n, mask, keras_testing.edge_features(mask)))
    with self.assertRaisesRegex(ValueError, r"EgoGATConv: edge_features \(inputs\[3\]\) must "
                                r"have shape \(3, 4, None\)"):
      EgoGATConv(2, use_edge_features=True)((x, n, mask, np.zeros((3, 5, 2), np.float32)))
    layer = EgoGATConv(2, use_edge_features=True)
    layer((x, n, mask, keras_testing.edge_features(mask, dim=2)))
    with self.assertRaisesRegex(ValueError, "was built for edge features of dim 2 but got shape"):
      layer((x, n, mask, keras_testing.edge_features(mask, dim=3)))
    with self.assertRaisesRegex(ValueError, "EgoGATConv: use_edge_features must be True or False, "
                                "got 'yes'"):
      EgoGATConv(2, use_edge_features="yes")

  def test_shared_weights_need_equal_dims(self):
    keras_testing.assert_rejects_dims(self, EgoGATConv(2), r"share_weights=True.*got 3 \(x\) "
                                      "and 5", d_nbr=5)
