"""Tests of the readouts: GlobalSumPool, GlobalMeanPool, GlobalMaxPool, GlobalAttentionPool."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tests import keras_testing
from tfgle.layers import GlobalAttentionPool
from tfgle.layers import GlobalMaxPool
from tfgle.layers import GlobalMeanPool
from tfgle.layers import GlobalSumPool

# 9 nodes of 4 graphs; graph 2 has no nodes; rows 3 and 7 are padding (-1).
_GRAPH_INDEX = np.array([0, 0, 1, -1, 1, 1, 3, -1, 0], np.int64)
_NUM_GRAPHS = 4


def _states(dim=3, seed=0):
  return np.random.default_rng(seed).normal(size=(len(_GRAPH_INDEX), dim)).astype(np.float32)


def _softmax(v):
  e = np.exp(v - v.max())
  return e / e.sum()


def _reference(layer, x, graph_index, num_graphs):
  """Per-graph numpy pooling of the real nodes."""
  width = layer.units if getattr(layer, "units", None) else x.shape[1]
  out = np.zeros((num_graphs, width), np.float64)
  for g in range(num_graphs):
    rows = x[graph_index == g].astype(np.float64)
    if not len(rows):
      continue
    if isinstance(layer, GlobalSumPool):
      out[g] = rows.sum(0)
    elif isinstance(layer, GlobalMeanPool):
      out[g] = rows.mean(0)
    elif isinstance(layer, GlobalMaxPool):
      out[g] = rows.max(0)
    else:
      hidden = rows
      if layer.gate_units:
        hidden = np.maximum(rows @ layer.gate_hidden_kernel.numpy()
                            + layer.gate_hidden_bias.numpy(), 0)
      gate = (hidden @ layer.gate_kernel.numpy() + layer.gate_bias.numpy())[:, 0]
      values = rows
      if layer.units:
        values = np.tanh(rows @ layer.value_kernel.numpy() + layer.value_bias.numpy())
      out[g] = (_softmax(gate)[:, None] * values).sum(0)
  return out


def _layers():
  return [("sum", GlobalSumPool), ("mean", GlobalMeanPool), ("max", GlobalMaxPool),
          ("attention", lambda: GlobalAttentionPool()),
          ("attention_mlp", lambda: GlobalAttentionPool(
              5, gate_units=4, activation="tanh", bias_initializer="random_normal"))]


class ReadoutTest(tf.test.TestCase):

  @parameterized.expand(_layers())
  def test_matches_numpy_and_ignores_padding(self, _, make):
    layer = make()
    x = _states()
    out = layer((x, _GRAPH_INDEX), num_graphs=_NUM_GRAPHS).numpy()
    self.assertEqual(out.shape[0], _NUM_GRAPHS)
    self.assertAllClose(out, _reference(layer, x, _GRAPH_INDEX, _NUM_GRAPHS), atol=1e-5)
    self.assertAllEqual(out[2], np.zeros(out.shape[1]))  # a graph without nodes
    # Padding rows may hold anything: outputs and gradients do not change.
    for poison in (np.nan, np.inf, -1e30):
      poisoned = x.copy()
      poisoned[_GRAPH_INDEX < 0] = poison
      self.assertAllClose(layer((poisoned, _GRAPH_INDEX), num_graphs=_NUM_GRAPHS), out,
                          atol=1e-6)
    poisoned = tf.constant(np.where(_GRAPH_INDEX[:, None] < 0, np.nan, x).astype(np.float32))
    with tf.GradientTape() as tape:
      tape.watch(poisoned)
      loss = tf.reduce_sum(layer((poisoned, _GRAPH_INDEX), num_graphs=_NUM_GRAPHS))
    grads = tape.gradient(loss, [poisoned] + layer.trainable_weights)
    for grad in grads:
      self.assertTrue(np.all(np.isfinite(tf.convert_to_tensor(grad).numpy())))
    self.assertAllEqual(grads[0].numpy()[_GRAPH_INDEX < 0], np.zeros((2, 3)))

  @parameterized.expand(_layers())
  def test_default_num_graphs_and_dropping_padding_rows_agree(self, _, make):
    layer = make()
    x = _states(seed=1)
    real = _GRAPH_INDEX >= 0
    expected = layer((x[real], _GRAPH_INDEX[real]), num_graphs=_NUM_GRAPHS)
    self.assertAllClose(layer((x, _GRAPH_INDEX)), expected)  # num_graphs = max + 1 = 4
    self.assertAllClose(layer((x, _GRAPH_INDEX.astype(np.int32)), num_graphs=tf.constant(6)),
                        np.concatenate([expected, np.zeros((2, expected.shape[1]))]))

  def test_empty_batch(self):
    out = GlobalSumPool()((np.zeros((0, 2), np.float32), np.zeros(0, np.int64)), num_graphs=3)
    self.assertAllEqual(out, np.zeros((3, 2)))
    self.assertEqual(GlobalMeanPool()((np.zeros((0, 2), np.float32),
                                       np.zeros(0, np.int64))).shape, (0, 2))

  def test_gradients_match_numerical(self):
    x = tf.constant(_states(dim=2), tf.float64)
    for layer in (GlobalMeanPool(dtype="float64"),
                  GlobalAttentionPool(3, gate_units=2, activation="tanh", dtype="float64")):
      theoretical, numerical = tf.test.compute_gradient(
          lambda a, layer=layer: layer((a, _GRAPH_INDEX), num_graphs=_NUM_GRAPHS), [x])
      self.assertAllClose(theoretical, numerical, atol=1e-6)

  def test_config_round_trip(self):
    layer = GlobalAttentionPool(4, gate_units=3, activation="relu", use_bias=False,
                                kernel_initializer="he_normal", name="att")
    config = layer.get_config()
    self.assertEqual(GlobalAttentionPool.from_config(config).get_config(), config)
    for cls in (GlobalSumPool, GlobalMeanPool, GlobalMaxPool):
      config = cls(name="pool").get_config()
      self.assertEqual(cls.from_config(config).get_config(), config)

  def test_save_and_reload(self):
    x = tf.keras.Input((3,))
    graph_index = tf.keras.Input((), dtype=tf.int64)
    h = tf.keras.layers.Dense(4)(x)
    pooled = [GlobalSumPool()((h, graph_index)), GlobalMaxPool()((h, graph_index)),
              GlobalAttentionPool(2, gate_units=3)((h, graph_index))]
    model = tf.keras.Model([x, graph_index], tf.keras.layers.Concatenate()(pooled))
    keras_testing.assert_reloads_identically(self, model, [_states(), np.maximum(_GRAPH_INDEX, 0)])

  def test_bad_inputs(self):
    x = _states()
    with self.assertRaisesRegex(ValueError, r"GlobalSumPool: inputs must be \(x, graph_index\), "
                                "got a single tensor"):
      GlobalSumPool()(x)
    with self.assertRaisesRegex(ValueError, r"inputs must be \(x, graph_index\), got a 3-tuple"):
      GlobalMeanPool()((x, _GRAPH_INDEX, _GRAPH_INDEX))
    with self.assertRaisesRegex(ValueError, r"GlobalMaxPool: x \(inputs\[0\]\) must be node "
                                r"states \[N, D\], got shape \(9,\)"):
      GlobalMaxPool()((x[:, 0], _GRAPH_INDEX))
    with self.assertRaisesRegex(ValueError, r"graph_index \(inputs\[1\]\) must have shape \[N\]"):
      GlobalMeanPool()((x, _GRAPH_INDEX[:4]))
    with self.assertRaisesRegex(ValueError, "graph_index .* must be an int32/int64 tensor, got "
                                "<dtype: 'float32'>"):
      GlobalSumPool()((x, _GRAPH_INDEX.astype(np.float32)))
    with self.assertRaisesRegex(ValueError, "GlobalSumPool: num_graphs must be an int >= 0, got "
                                "-2"):
      GlobalSumPool()((x, _GRAPH_INDEX), num_graphs=-2)
    with self.assertRaisesRegex(ValueError, "GlobalAttentionPool: units must be a positive int, "
                                "got 0"):
      GlobalAttentionPool(0)
    with self.assertRaisesRegex(ValueError, "gate_units must be a positive int, got 1.5"):
      GlobalAttentionPool(gate_units=1.5)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                "graph_index has entries >= num_graphs"):
      GlobalSumPool()((x, _GRAPH_INDEX), num_graphs=3)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                r"graph_index has entries < -1 \(-1 marks padding\)"):
      GlobalMeanPool()((x, np.where(_GRAPH_INDEX < 0, -2, _GRAPH_INDEX)))
