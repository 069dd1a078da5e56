"""Tests of EgoMPNNConv (the edge-network MPNN on dense per-hop tensors)."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tests import keras_testing
from tfgle.layers import EgoGNN, EgoLayer, EgoMPNNConv


def theta(layer, e):
  """NNConv's matrix [D, units] of an edge with features e, from the layer's weights."""
  hidden = np.maximum(e @ layer.edge_kernel.numpy() + layer.edge_bias.numpy(), 0)
  per_hidden = layer.message_kernel.numpy().reshape(-1, layer.edge_units + 1, layer.units)
  return per_hidden[:, 0] + np.einsum("h,dhu->du", hidden, per_hidden[:, 1:])


def reference(layer, x, n, mask, edges):
  """NNConv in numpy, node by node: x W_root + agg_j n_j Theta(e_j) + b."""
  lead = x.shape[:-1]
  out = np.zeros(lead + (layer.units,), np.float32)
  reduce = {"mean": np.mean, "sum": np.sum, "max": lambda m, axis: np.max(m, axis)}
  for idx in np.ndindex(*lead):
    messages = [n[idx][j] @ theta(layer, edges[idx][j]) for j in np.nonzero(mask[idx])[0]]
    agg = reduce[layer.aggregator](messages, axis=0) if messages else np.zeros(layer.units)
    root = x[idx] @ layer.root_kernel.numpy() if layer.root_kernel is not None else 0
    out[idx] = root + agg + layer.bias.numpy()
  return out


class EgoMPNNConvTest(tf.test.TestCase):

  @parameterized.expand([
      ("mean", dict()),
      ("sum", dict(aggregator="sum", edge_units=3)),
      ("max", dict(aggregator="max")),
      ("no_root", dict(root_weight=False)),
      ("hetero", dict(), 7),
  ])
  def test_matches_reference(self, _, kwargs, d_nbr=None):
    x, n, mask = keras_testing.ego_inputs(leading=(2,), d_nbr=d_nbr)
    edges = keras_testing.edge_features(mask, dim=3)
    layer = EgoMPNNConv(4, bias_initializer="random_normal", **kwargs)
    out = layer((x, n, mask, edges))
    self.assertEqual(out.shape, (3, 2, 4))
    self.assertAllClose(out, reference(layer, x, n, mask, edges), atol=1e-5)
    self.assertNotAllClose(layer((x, n, mask, edges + 1.0)), out)

  def test_without_real_neighbors_the_node_keeps_its_root_term(self):
    x, n, mask = keras_testing.ego_inputs()
    layer = EgoMPNNConv(2, use_bias=False)
    out = layer((x, n, np.zeros_like(mask), keras_testing.edge_features(mask)))
    self.assertAllClose(out, x @ layer.root_kernel.numpy(), atol=1e-6)

  def test_padding_does_not_change_outputs_or_gradients(self):
    x, n, mask = keras_testing.ego_inputs(k=6)
    edges = keras_testing.edge_features(mask)
    layer = EgoMPNNConv(3, activation="elu")
    expected = layer((x, n, mask, edges))
    for poison in (np.nan, np.inf, -1e30, 3.0):
      self.assertAllClose(layer((x, keras_testing.poison_padding(n, mask, poison), mask,
                                 keras_testing.poison_padding(edges, mask, poison))), expected)
    poisoned = tf.constant(keras_testing.poison_padding(edges, mask))
    keras_testing.assert_finite_gradients(
        self, lambda: layer((x, keras_testing.poison_padding(n, mask), mask, poisoned)),
        layer.trainable_weights, sources=[poisoned])

  def test_pretransform_maps_each_node(self):
    x, n, mask = keras_testing.ego_inputs(leading=(2,))
    layer = EgoMPNNConv(3, bias_initializer="random_normal")
    keras_testing.assert_pretransform_matches_call(self, layer,
                                                   (x, n, mask, keras_testing.edge_features(mask)))
    hetero = EgoMPNNConv(3)
    x7, n7, _ = keras_testing.ego_inputs(d_nbr=7)
    hetero((x7, n7, mask[:, 0], keras_testing.edge_features(mask[:, 0])))
    self.assertIsNone(hetero.pretransform(tf.constant(x7)))  # receivers and senders differ

  def test_deduplicated_hops_in_an_ego_layer(self):
    # Hops given as (distinct nodes, positions) take the pretransform path.
    hops, masks = keras_testing.ego_hops(dims=(4, 4, 4))
    edges = [keras_testing.edge_features(m) for m in masks[1:]]
    nodes = np.concatenate([h.reshape(-1, 4) for h in hops])
    starts = np.cumsum([0] + [m.size for m in masks])
    distinct = [(tf.constant(nodes), np.arange(starts[i], starts[i + 1]).reshape(m.shape))
                for i, m in enumerate(masks)]
    level = EgoLayer(EgoMPNNConv(3, bias_initializer="random_normal"))
    expected = level((hops, masks, edges))
    self.assertAllClose(level((distinct, masks, edges)), expected, atol=1e-5)

  def test_in_an_ego_gnn(self):
    hops, masks = keras_testing.ego_hops(dims=(4, 4, 4))
    edges = [keras_testing.edge_features(m, dim=2) for m in masks[1:]]
    gnn = EgoGNN([EgoMPNNConv(3), EgoMPNNConv(2)], activation="relu")
    self.assertEqual(gnn((hops, masks, edges)).shape, (3, 2))
    with self.assertRaisesRegex(ValueError, "needs edge features"):
      gnn((hops, masks))

  def test_input_gradients(self):
    keras_testing.assert_ego_input_gradients(
        self, EgoMPNNConv(2, edge_units=3, dtype="float64", edge_activation="tanh"),
        keras_testing.edge_features(np.ones((2, 3), bool)).astype(np.float64))

  def test_config_round_trip(self):
    layer = EgoMPNNConv(3, edge_units=5, edge_activation="tanh", aggregator="sum",
                        root_weight=False, activation="elu",
                        kernel_regularizer=tf.keras.regularizers.L2(0.1))
    config = layer.get_config()
    self.assertEqual(EgoMPNNConv.from_config(config).get_config(), config)
    self.assertEqual((config["edge_units"], config["aggregator"]), (5, "sum"))

  def test_save_and_reload(self):
    x, n, mask = keras_testing.ego_inputs(d_self=4)
    model = keras_testing.assert_ego_conv_reloads(
        self, EgoMPNNConv(3, bias_initializer="random_normal"),
        (x, n, mask, keras_testing.edge_features(mask)))
    self.assertEqual(model.output_shape, (None, 3))

  def test_inputs_without_edge_features(self):
    x, n, mask = keras_testing.ego_inputs()
    with self.assertRaisesRegex(ValueError, r"EgoMPNNConv: inputs must be \(x, neighbors, mask, "
                                r"edge_features\), got a 3-tuple"):
      EgoMPNNConv(2)((x, n, mask))
    with self.assertRaisesRegex(ValueError, r"EgoMPNNConv: edge_features \(inputs\[3\]\) must "
                                r"have shape \(3, 4, None\) \(one row of F features per "
                                r"neighbor\), got \(3, 4\)"):
      EgoMPNNConv(2)((x, n, mask, np.zeros(mask.shape, np.float32)))

  @parameterized.expand([
      (dict(units=0), "units must be a positive int"),
      (dict(units=2, edge_units=0), "edge_units must be a positive int, got 0"),
      (dict(units=2, aggregator="median"), r"aggregator must be one of \['mean', 'sum', 'max'\]"),
  ])
  def test_bad_arguments(self, kwargs, message):
    with self.assertRaisesRegex(ValueError, "EgoMPNNConv: " + message):
      EgoMPNNConv(**kwargs)


if __name__ == "__main__":
  tf.test.main()
