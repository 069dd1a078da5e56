"""Tests of MPNNConv (the edge-network MPNN over a SubGraph's edge_index)."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tests import keras_testing
from tests.layers.test_ego_mpnn_conv import theta
from tfgle.layers import EgoMPNNConv, MPNNConv


def _reference(layer, x_src, edge_index, edges, x_dst=None, weight=None):
  """NNConv in numpy, edge by edge."""
  x_dst = x_src if x_dst is None else x_dst
  out = []
  for i in range(len(x_dst)):
    incoming = np.nonzero(edge_index[1] == i)[0]
    messages = [x_src[edge_index[0, e]] @ theta(layer, edges[e]) *
                (1.0 if weight is None else weight[e]) for e in incoming]
    agg = (np.zeros(layer.units) if not messages else
           {"mean": np.mean, "sum": np.sum, "max": np.max}[layer.aggregator](messages, axis=0))
    out.append(x_dst[i] @ layer.root_kernel.numpy() + agg + layer.bias.numpy())
  return np.array(out)


def _edges(num_edges, dim=3, seed=2):
  return np.random.default_rng(seed).normal(size=(num_edges, dim)).astype(np.float32)


class MPNNConvTest(tf.test.TestCase):

  @parameterized.expand([("mean", "mean"), ("sum", "sum"), ("max", "max")])
  def test_matches_reference(self, _, aggregator):
    x, edge_index = keras_testing.subgraph()
    edges = _edges(edge_index.shape[1])
    layer = MPNNConv(4, aggregator=aggregator, bias_initializer="random_normal")
    out = layer((x, edge_index, edges))
    self.assertEqual(out.shape, (6, 4))
    self.assertAllClose(out, _reference(layer, x, edge_index, edges), atol=1e-5)

  def test_two_node_sets_and_edge_weights(self):
    (x_src, x_dst), edge_index = keras_testing.bipartite_subgraph()
    edges = _edges(edge_index.shape[1])
    weight = np.random.default_rng(3).random(edge_index.shape[1]).astype(np.float32)
    layer = MPNNConv(3, bias_initializer="random_normal")
    out = layer(((x_src, x_dst), edge_index, edges), edge_weight=weight)
    self.assertAllClose(out, _reference(layer, x_src, edge_index, edges, x_dst, weight),
                        atol=1e-5)

  def test_equals_the_ego_twin(self):
    x, n, mask = keras_testing.ego_inputs(k=5)
    edges = keras_testing.edge_features(mask, dim=3)
    ego = EgoMPNNConv(3, aggregator="sum", bias_initializer="random_normal")
    expected = ego((x, n, mask, edges))
    nodes, edge_index, edge_values = keras_testing.ego_as_subgraph(x, n, mask, edges)
    sub = MPNNConv(3, aggregator="sum")
    sub((nodes, edge_index, edge_values))
    sub.set_weights(ego.get_weights())
    self.assertAllClose(sub((nodes, edge_index, edge_values))[:len(x)], expected, atol=1e-5)

  def test_edge_mask_drops_padding_edges_and_their_features(self):
    x, edge_index = keras_testing.subgraph()
    edges = _edges(edge_index.shape[1])
    layer = MPNNConv(3)
    expected = layer((x, edge_index, edges))
    padded = np.concatenate([edge_index, [[-1, 4], [3, 99]]], axis=1)
    padded_edges = np.concatenate([edges, np.full((2, 3), np.nan, np.float32)])
    mask = np.arange(padded.shape[1]) < edge_index.shape[1]
    self.assertAllClose(layer((x, padded, padded_edges), edge_mask=mask), expected)

  def test_gradients(self):
    x, edge_index = keras_testing.subgraph(num_nodes=4, num_edges=6, dim=2)
    edges = tf.constant(_edges(6, dim=2), tf.float64)
    layer = MPNNConv(2, edge_units=3, dtype="float64", edge_activation="tanh")
    theoretical, numerical = tf.test.compute_gradient(
        lambda a, e: layer((a, edge_index, e)), [tf.constant(x, tf.float64), edges])
    self.assertAllClose(theoretical, numerical, atol=1e-6)

  def test_save_and_reload(self):
    x, edge_index = keras_testing.subgraph()
    inputs = [tf.keras.Input((4,)), tf.keras.Input((None,), dtype=tf.int64, batch_size=2),
              tf.keras.Input((3,))]
    model = tf.keras.Model(inputs, MPNNConv(3, edge_units=4)(tuple(inputs)))
    keras_testing.assert_reloads_identically(self, model,
                                             [x, edge_index, _edges(edge_index.shape[1])])

  def test_bad_inputs(self):
    x, edge_index = keras_testing.subgraph()
    with self.assertRaisesRegex(ValueError, r"MPNNConv: inputs must be \(x, edge_index, "
                                r"edge_features\), got a 2-tuple"):
      MPNNConv(2)((x, edge_index))
    layer = MPNNConv(2)
    layer((x, edge_index, _edges(edge_index.shape[1], dim=3)))
    with self.assertRaisesRegex(ValueError, "MPNNConv 'mpnn_conv.*' was built for edge features "
                                r"of dim 3 but got shape \(12, 2\)"):
      layer((x, edge_index, _edges(edge_index.shape[1], dim=2)))
    with self.assertRaisesRegex(ValueError, "MPNNConv: edge_units must be a positive int"):
      MPNNConv(2, edge_units=-1)


if __name__ == "__main__":
  tf.test.main()
