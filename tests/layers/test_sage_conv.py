"""Tests of SAGEConv (SubGraph, edge_index)."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tests import keras_testing
from tfgle.layers import SAGEConv


def _reference(layer, x, edge_index, weight=None, x_dst=None):
  x_dst = x if x_dst is None else x_dst  # the receivers' own features (two node sets)
  n = len(x_dst)
  out = np.zeros((n, layer.units))
  for i in range(n):
    incoming = [(s, 1.0 if weight is None else weight[e])
                for e, (s, d) in enumerate(edge_index.T) if d == i]
    msgs = np.array([x[s] * w for s, w in incoming]).reshape(-1, x.shape[1])
    if not len(msgs):
      agg = np.zeros(x.shape[1])
    else:
      agg = {"mean": msgs.mean(0), "sum": msgs.sum(0), "max": msgs.max(0)}[layer.aggregator]
    h = agg @ layer.neighbor_kernel.numpy() + layer.bias.numpy()
    if layer.root_weight:
      h += x_dst[i] @ layer.self_kernel.numpy()
    out[i] = h
  return out


class SAGEConvTest(tf.test.TestCase):

  @parameterized.expand([("mean", True), ("sum", False), ("max", False), ("mean", False)])
  def test_matches_reference(self, aggregator, weighted):
    x, edge_index = keras_testing.subgraph()
    weight = (np.random.default_rng(3).random(edge_index.shape[1]).astype(np.float32)
              if weighted else None)
    layer = SAGEConv(3, aggregator=aggregator, bias_initializer="random_normal")
    out = layer((x, edge_index), edge_weight=weight)
    self.assertAllClose(out, _reference(layer, x, edge_index, weight), atol=1e-5)
    self.assertAllClose(out[-1], x[-1] @ layer.self_kernel.numpy() + layer.bias.numpy(),
                        atol=1e-6)  # the node without in-edges

  @parameterized.expand([("mean",), ("max",)])
  def test_two_node_sets_match_reference(self, aggregator):
    (x_src, x_dst), edge_index = keras_testing.bipartite_subgraph()
    layer = SAGEConv(3, aggregator=aggregator, bias_initializer="random_normal")
    out = layer(((x_src, x_dst), edge_index))
    self.assertTrue(layer.bipartite)
    self.assertEqual(layer.neighbor_kernel.shape, (4, 3))
    self.assertEqual(layer.self_kernel.shape, (3, 3))
    self.assertEqual(out.shape, (4, 3))
    self.assertAllClose(out, _reference(layer, x_src, edge_index, x_dst=x_dst), atol=1e-5)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                "row 0 indexes the source node set"):
      layer(((x_src[:2], x_dst), edge_index))
    with self.assertRaisesRegex(ValueError, r"was built for a \(x_src, x_dst\) pair but "
                                r"inputs\[0\] is one node set x"):
      layer((x_src, edge_index))
    with self.assertRaisesRegex(ValueError, r"dims 4 \(x_src\) and 3 \(x_dst\)"):
      layer(((x_src, x_src), edge_index))
    with self.assertRaisesRegex(ValueError, r"x_dst \(inputs\[0\]\[1\]\) must be node "
                                r"features \[N, D\]"):
      SAGEConv(2)(((x_src, x_dst[0]), edge_index))

  def test_edge_mask_drops_padding_edges(self):
    x, edge_index = keras_testing.subgraph()
    layer = SAGEConv(3, aggregator="max", normalize=True)
    expected = layer((x, edge_index))
    padded = np.concatenate([edge_index, [[-7], [10**9]]], axis=1)
    mask = np.arange(padded.shape[1]) < edge_index.shape[1]
    self.assertAllClose(layer((x, padded), edge_mask=mask), expected)
    self.assertAllClose(tf.norm(expected, axis=-1), np.ones(len(x)), atol=1e-5)

  def test_gradients(self):
    keras_testing.assert_subgraph_gradients(self, SAGEConv(2, dtype="float64", activation="tanh"))

  def test_config_round_trip(self):
    layer = SAGEConv(4, aggregator="sum", root_weight=False, normalize=True,
                     bias_initializer="ones")
    config = layer.get_config()
    self.assertEqual(SAGEConv.from_config(config).get_config(), config)

  def test_save_and_reload(self):
    x, edge_index = keras_testing.subgraph()
    inputs = [tf.keras.Input((4,)), tf.keras.Input((None,), dtype=tf.int64, batch_size=2)]
    mask_input = tf.keras.Input((), dtype=tf.bool)
    out = SAGEConv(3, aggregator="max")(tuple(inputs), edge_mask=mask_input)
    model = tf.keras.Model(inputs + [mask_input], out)
    mask = np.ones(edge_index.shape[1], bool)
    mask[2] = False
    keras_testing.assert_reloads_identically(self, model, [x, edge_index, mask])

  def test_bad_arguments(self):
    with self.assertRaisesRegex(ValueError, r"SAGEConv: aggregator must be one of \['mean', "
                                r"'sum', 'max'\], got 'pool'"):
      SAGEConv(2, aggregator="pool")
    with self.assertRaisesRegex(ValueError, "SAGEConv: units must be a positive int"):
      SAGEConv(-2)
    x, edge_index = keras_testing.subgraph()
    with self.assertRaisesRegex(ValueError, "needs a known last"):
      tf.function(lambda a: SAGEConv(2)((a, edge_index)))(tf.TensorSpec([None, None]))
