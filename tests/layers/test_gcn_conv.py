"""Tests of GCNConv (SubGraph, edge_index)."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tests import keras_testing
from tfgle.layers import GCNConv


def _reference(layer, x, edge_index, weight=None, num_dst=None):
  kernel = layer.kernel.numpy()
  bias = layer.bias.numpy() if layer.bias is not None else 0
  n = len(x) if num_dst is None else num_dst  # num_dst: edges from x to another node set
  src, dst = list(edge_index[0]), list(edge_index[1])
  w = list(np.ones(len(src)) if weight is None else weight)
  if layer.add_self_loops:
    for i in range(n):
      if not any(s == d == i for s, d in zip(src, dst)):
        src.append(i)
        dst.append(i)
        w.append(1.0)
  deg = np.zeros(n)
  for d, ww in zip(dst, w):
    deg[d] += ww
  src_deg = deg  # one node set: the in-degree at both ends
  if num_dst is not None:  # two node sets: the senders' out-degree
    src_deg = np.zeros(len(x))
    for s, ww in zip(src, w):
      src_deg[s] += ww
  h = x @ kernel
  out = np.zeros((n, layer.units))
  for s, d, ww in zip(src, dst, w):
    norm = ww / np.sqrt(src_deg[s] * deg[d]) if layer.normalize else ww
    out[d] += norm * h[s]
  return out + bias


class GCNConvTest(tf.test.TestCase):

  @parameterized.expand([
      ("default", dict(), False),
      ("weighted", dict(), True),
      ("no_loops_unnormalized", dict(add_self_loops=False, normalize=False), True),
  ])
  def test_matches_reference(self, _, kwargs, weighted):
    x, edge_index = keras_testing.subgraph()
    weight = np.random.default_rng(3).random(edge_index.shape[1]).astype(np.float32) + 0.1
    weight = weight if weighted else None
    layer = GCNConv(3, bias_initializer="random_normal", **kwargs)
    out = layer((x, edge_index), edge_weight=weight)
    self.assertAllClose(out, _reference(layer, x, edge_index, weight), atol=1e-5)

  def test_two_node_sets_match_reference(self):
    (x_src, x_dst), edge_index = keras_testing.bipartite_subgraph()
    weight = np.random.default_rng(3).random(edge_index.shape[1]).astype(np.float32) + 0.1
    layer = GCNConv(3, add_self_loops=False, bias_initializer="random_normal")
    out = layer(((x_src, x_dst), edge_index), edge_weight=weight)
    self.assertEqual(out.shape, (4, 3))
    self.assertAllClose(out, _reference(layer, x_src, edge_index, weight, num_dst=4), atol=1e-5)
    with self.assertRaisesRegex(ValueError, r"GCNConv: add_self_loops=True needs one node set "
                                r".* pass add_self_loops=False"):
      GCNConv(3)(((x_src, x_dst), edge_index))

  def test_edge_mask_drops_padding_edges_whatever_their_ids(self):
    x, edge_index = keras_testing.subgraph()
    layer = GCNConv(3)
    expected = layer((x, edge_index))
    padded = np.concatenate([edge_index, [[-1, 99, 3], [1000, -5, 2]]], axis=1)
    mask = np.arange(padded.shape[1]) < edge_index.shape[1]
    self.assertAllClose(layer((x, padded), edge_mask=mask), expected)
    weights = np.where(mask, 1.0, np.nan).astype(np.float32)
    self.assertAllClose(layer((x, padded), edge_weight=weights, edge_mask=mask), expected)

  def test_out_of_range_ids_are_an_error(self):
    x, edge_index = keras_testing.subgraph()
    edge_index[0, 3] = 6
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, "ids >= the number of nodes"):
      GCNConv(2)((x, edge_index))

  def test_gradients(self):
    keras_testing.assert_subgraph_gradients(self, GCNConv(2, dtype="float64", activation="tanh"))

  def test_config_round_trip(self):
    layer = GCNConv(4, add_self_loops=False, normalize=False, activation="relu",
                    kernel_regularizer="l1", use_bias=False)
    config = layer.get_config()
    self.assertEqual(GCNConv.from_config(config).get_config(), config)

  def test_save_and_reload(self):
    x, edge_index = keras_testing.subgraph()
    weight = np.linspace(0.5, 1.5, edge_index.shape[1]).astype(np.float32)
    inputs = [tf.keras.Input((4,), batch_size=None), tf.keras.Input((None,), dtype=tf.int64,
                                                                    batch_size=2)]
    w_input = tf.keras.Input((), batch_size=None)
    out = GCNConv(3)((inputs[0], inputs[1]), edge_weight=w_input)
    model = tf.keras.Model(inputs + [w_input], out)
    keras_testing.assert_reloads_identically(self, model, [x, edge_index, weight])

  def test_bad_arguments(self):
    x, edge_index = keras_testing.subgraph()
    with self.assertRaisesRegex(ValueError, "GCNConv: units must be a positive int, got 0"):
      GCNConv(0)
    with self.assertRaisesRegex(ValueError, r"edge_index \(inputs\[1\]\) must have shape \[2, E\]"):
      GCNConv(2)((x, edge_index.T))
    with self.assertRaisesRegex(ValueError, r"x \(inputs\[0\]\) must be node features \[N, D\]"):
      GCNConv(2)((x[None], edge_index))
    with self.assertRaisesRegex(ValueError, "edge_index must be an int32/int64 tensor"):
      GCNConv(2)((x, edge_index.astype(np.float32)))
    with self.assertRaisesRegex(ValueError, r"inputs must be \(x, edge_index\)"):
      GCNConv(2)(x)
    layer = GCNConv(2)
    layer((x, edge_index))
    with self.assertRaisesRegex(ValueError, r"was built for node features of dim 4 but x "
                                r"\(inputs\[0\]\) has shape \(6, 3\)"):
      layer((x[:, :3], edge_index))
