"""Tests of GATConv (SubGraph, edge_index)."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tests import keras_testing
from tfgle.layers import EgoGATConv, GATConv


def _reference(layer, x, edge_index, x_dst=None, edges=None):
  heads, units = layer.heads, layer.units
  z = (x @ layer.kernel.numpy()).reshape(len(x), heads, units)
  z_dst = z  # two node sets: the receivers have a kernel of their own
  if x_dst is not None:
    z_dst = (x_dst @ layer.receiver_kernel.numpy()).reshape(len(x_dst), heads, units)
  a_src, a_dst = layer.attention_src.numpy(), layer.attention_dst.numpy()
  features = edges
  edges = [tuple(e) for e in edge_index.T]
  # Each edge's sender projection; with edge features z_j + e W_edge (an added
  # self loop's e: the mean of its node's in-edges').
  z_edge = [z[s] for s, _ in edges]
  if features is not None:
    z_edge = [z_e + (e @ layer.edge_kernel.numpy()).reshape(heads, units)
              for z_e, e in zip(z_edge, features)]
  if layer.add_self_loops:
    for i in range(len(x)):
      if (i, i) in edges:
        continue
      edges.append((i, i))
      z_loop = z[i]
      if features is not None:
        incoming = [e for (_, d), e in zip(edges, features) if d == i]
        loop = np.mean(incoming, 0) if incoming else np.zeros(features.shape[-1])
        z_loop = z_loop + (loop @ layer.edge_kernel.numpy()).reshape(heads, units)
      z_edge.append(z_loop)
  out = np.zeros((len(z_dst), heads, units))
  for i in range(len(z_dst)):
    sources = [z_e for (_, d), z_e in zip(edges, z_edge) if d == i]
    for h in range(heads):
      if not sources:
        continue
      logits = np.array([a_src[h] @ z_s[h] + a_dst[h] @ z_dst[i, h] for z_s in sources])
      logits = np.where(logits > 0, logits, layer.negative_slope * logits)
      alpha = np.exp(logits - logits.max())
      alpha /= alpha.sum()
      out[i, h] = sum(a * z_s[h] for a, z_s in zip(alpha, sources))
  out = out.reshape(len(z_dst), -1) if layer.concat_heads else out.mean(1)
  return out + layer.bias.numpy()


class GATConvTest(tf.test.TestCase):

  @parameterized.expand([
      ("one_head", dict()),
      ("concat", dict(heads=3)),
      ("mean", dict(heads=2, concat_heads=False)),
      ("no_self_loops", dict(heads=2, add_self_loops=False)),
  ])
  def test_matches_reference(self, _, kwargs):
    x, edge_index = keras_testing.subgraph()
    layer = GATConv(3, bias_initializer="random_normal", **kwargs)
    out = layer((x, edge_index))
    self.assertEqual(out.shape, (6, layer.output_dim))
    self.assertAllClose(out, _reference(layer, x, edge_index), atol=1e-5)

  def test_two_node_sets_match_reference(self):
    (x_src, x_dst), edge_index = keras_testing.bipartite_subgraph()
    layer = GATConv(3, heads=2, add_self_loops=False, bias_initializer="random_normal")
    out = layer(((x_src, x_dst), edge_index))
    self.assertEqual(out.shape, (4, 6))
    self.assertEqual(layer.kernel.shape, (4, 6))
    self.assertEqual(layer.receiver_kernel.shape, (3, 6))
    self.assertAllClose(out, _reference(layer, x_src, edge_index, x_dst=x_dst), atol=1e-5)
    with self.assertRaisesRegex(ValueError, "GATConv: add_self_loops=True needs one node set"):
      GATConv(3)(((x_src, x_dst), edge_index))

  @parameterized.expand([("self_loops", True), ("no_self_loops", False)])
  def test_edge_features_match_reference(self, _, add_self_loops):
    x, edge_index = keras_testing.subgraph()
    edges = np.random.default_rng(2).normal(size=(edge_index.shape[1], 3)).astype(np.float32)
    layer = GATConv(3, heads=2, use_edge_features=True, add_self_loops=add_self_loops,
                    bias_initializer="random_normal")
    out = layer((x, edge_index, edges))
    self.assertAllClose(out, _reference(layer, x, edge_index, edges=edges), atol=1e-5)
    # Padding edges and their features are dropped.
    padded = np.concatenate([edge_index, [[-1, 4], [3, 99]]], axis=1)
    padded_edges = np.concatenate([edges, np.full((2, 3), np.nan, np.float32)])
    mask = np.arange(padded.shape[1]) < edge_index.shape[1]
    self.assertAllClose(layer((x, padded, padded_edges), edge_mask=mask), out)

  def test_edge_features_equal_the_ego_twin(self):
    # One convolve: EgoGATConv on a hop pair == GATConv on that pair as a SubGraph.
    x, n, mask = keras_testing.ego_inputs(k=5)
    edges = keras_testing.edge_features(mask, dim=3)
    ego = EgoGATConv(3, heads=2, use_edge_features=True, bias_initializer="random_normal")
    expected = ego((x, n, mask, edges))
    sub = GATConv(3, heads=2, use_edge_features=True)
    nodes, edge_index, edge_values = keras_testing.ego_as_subgraph(x, n, mask, edges)
    sub((nodes, edge_index, edge_values))
    sub.set_weights([ego.self_kernel.numpy(), ego.attention_neighbor.numpy(),
                     ego.attention_self.numpy(), ego.edge_kernel.numpy(), ego.bias.numpy()])
    self.assertAllClose(sub((nodes, edge_index, edge_values))[:len(x)], expected, atol=1e-5)

  def test_edge_features_save_and_reload(self):
    x, edge_index = keras_testing.subgraph()
    edges = np.random.default_rng(2).normal(size=(edge_index.shape[1], 3)).astype(np.float32)
    inputs = [tf.keras.Input((4,)), tf.keras.Input((None,), dtype=tf.int64, batch_size=2),
              tf.keras.Input((3,))]
    model = tf.keras.Model(inputs, GATConv(3, heads=2, use_edge_features=True)(tuple(inputs)))
    keras_testing.assert_reloads_identically(self, model, [x, edge_index, edges])

  def test_bad_edge_feature_inputs(self):
    x, edge_index = keras_testing.subgraph()
    with self.assertRaisesRegex(ValueError, r"GATConv: inputs must be \(x, edge_index, "
                                r"edge_features\), got a 2-tuple"):
      GATConv(2, use_edge_features=True)((x, edge_index))
    with self.assertRaisesRegex(ValueError, r"GATConv: edge_features \(inputs\[2\]\) must be "
                                r"\[E, F\], got shape \(12,\)"):
      GATConv(2, use_edge_features=True)((x, edge_index, np.zeros(12, np.float32)))

  def test_edge_mask_drops_padding_edges(self):
    x, edge_index = keras_testing.subgraph()
    layer = GATConv(3, heads=2)
    expected = layer((x, edge_index))
    padded = np.concatenate([edge_index, [[-1, 4], [3, 99]]], axis=1)
    mask = np.arange(padded.shape[1]) < edge_index.shape[1]
    self.assertAllClose(layer((x, padded), edge_mask=mask), expected)

  def test_attention_dropout_only_in_training(self):
    x, edge_index = keras_testing.subgraph(num_edges=40)
    layer = GATConv(3, heads=2, attention_dropout=0.5)
    self.assertAllClose(layer((x, edge_index)), layer((x, edge_index), training=False))
    self.assertNotAllClose(layer((x, edge_index), training=True), layer((x, edge_index)))

  def test_gradients(self):
    keras_testing.assert_subgraph_gradients(self, GATConv(2, heads=2, dtype="float64"))

  def test_config_round_trip(self):
    layer = GATConv(4, heads=3, concat_heads=False, add_self_loops=False, negative_slope=0.3,
                    attention_dropout=0.1, activation="elu")
    config = layer.get_config()
    self.assertEqual(GATConv.from_config(config).get_config(), config)

  def test_save_and_reload(self):
    x, edge_index = keras_testing.subgraph()
    inputs = [tf.keras.Input((4,)), tf.keras.Input((None,), dtype=tf.int64, batch_size=2)]
    model = tf.keras.Model(inputs, GATConv(3, heads=2, attention_dropout=0.2)(tuple(inputs)))
    keras_testing.assert_reloads_identically(self, model, [x, edge_index])

  @parameterized.expand([
      (dict(units=2, heads=0), "heads must be a positive int, got 0"),
      (dict(units=0), "units must be a positive int"),
      (dict(units=2, attention_dropout=-0.1), "attention_dropout must be a float"),
  ])
  def test_bad_arguments(self, kwargs, message):
    with self.assertRaisesRegex(ValueError, "GATConv: " + message):
      GATConv(**kwargs)
