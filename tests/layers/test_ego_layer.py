"""Tests of EgoLayer: one pyramid level over hop pairs."""
from unittest import mock

import numpy as np
import tensorflow as tf

from tests import keras_testing
from tfgle.layers import EgoGATConv, EgoLayer, EgoRGCNConv, EgoSAGEConv


def _real(values, mask):
  """The entries of values [..., D] at the real (mask=True) positions."""
  return np.asarray(values)[np.asarray(mask)]


class EgoLayerTest(tf.test.TestCase):

  def test_shared_conv_applies_to_every_pair(self):
    hops, masks = keras_testing.ego_hops()
    conv = EgoSAGEConv(4)
    out = EgoLayer(conv)((hops, masks))
    self.assertLen(out, 2)
    self.assertAllClose(out[0], conv((hops[0], hops[1], masks[1])))
    self.assertAllClose(_real(out[1], masks[1]),
                        _real(conv((hops[1], hops[2], masks[2])), masks[1]))
    self.assertEqual(out[1].shape, (3, 3, 4))

  def test_one_conv_per_pair_for_heterogeneous_hops(self):
    hops, masks = keras_testing.ego_hops(dims=(4, 6, 3))
    convs = [EgoGATConv(2, heads=2, share_weights=False), EgoSAGEConv(5)]
    layer = EgoLayer(convs=convs)
    out = layer((hops, masks))
    self.assertAllClose(out[0], convs[0]((hops[0], hops[1], masks[1])))
    self.assertAllClose(_real(out[1], masks[1]),
                        _real(convs[1]((hops[1], hops[2], masks[2])), masks[1]))
    self.assertEqual([o.shape[-1] for o in out], [4, 5])

  def test_relations_reach_relational_convs(self):
    hops, masks = keras_testing.ego_hops()
    rng = np.random.default_rng(0)
    relations = [rng.integers(0, 2, m.shape) for m in masks[1:]]
    conv = EgoRGCNConv(3, num_relations=2)
    out = EgoLayer(conv)((hops, masks, relations))
    self.assertAllClose(_real(out[1], masks[1]),
                        _real(conv((hops[1], hops[2], masks[2], relations[1])), masks[1]))
    with self.assertRaisesRegex(ValueError, "needs relations"):
      EgoLayer(conv)((hops, masks))

  def test_padding_does_not_change_outputs(self):
    hops, masks = keras_testing.ego_hops()
    layer = EgoLayer(EgoGATConv(3, heads=2))
    expected = layer((hops, masks))
    poisoned = [hops[0]] + [keras_testing.poison_padding(h, m) for h, m in
                            zip(hops[1:], masks[1:])]
    actual = layer((poisoned, masks))
    # Padding is zeroed before the convolutions see it: every output matches.
    self.assertAllClose(actual[0], expected[0])
    self.assertAllClose(actual[1], expected[1])

  def test_convs_whose_call_lacks_padding_zeroed(self):
    # EgoLayer tells tfgle's convs that it zeroed the padding (padding_zeroed=True); a
    # conv whose call does not take that argument is called as before.
    class PlainCall(EgoSAGEConv):
      def call(self, inputs, training=None):  # pylint: disable=arguments-differ
        return super().call(inputs, training=training)

    hops, masks = keras_testing.ego_hops()
    poisoned = [hops[0]] + [keras_testing.poison_padding(h, m) for h, m in
                            zip(hops[1:], masks[1:])]
    plain, fast = PlainCall(4, aggregator="sum"), EgoSAGEConv(4, aggregator="sum")
    plain_out = EgoLayer(plain)((poisoned, masks))
    fast_layer = EgoLayer(fast)
    fast_layer((hops, masks))  # builds fast
    fast.set_weights(plain.get_weights())
    fast_out = fast_layer((poisoned, masks))
    self.assertAllClose(plain_out[0], fast_out[0])
    self.assertAllClose(_real(plain_out[1], masks[1]), _real(fast_out[1], masks[1]))

  def test_hops_given_as_distinct_nodes(self):
    # hop i = nodes[positions[i]]: a built conv with a pretransform maps each
    # distinct node once (SAGE mean: x W), others see the gathered hops.
    _, masks = keras_testing.ego_hops(dims=(4, 4, 4))
    rng = np.random.default_rng(1)
    nodes = tf.constant(rng.normal(size=(7, 4)).astype(np.float32))
    positions = [tf.constant(rng.integers(0, 7, m.shape)) for m in masks]
    dense = [tf.gather(nodes, p) for p in positions]
    for conv, pretransformed_pairs in ((EgoSAGEConv(3, bias_initializer="ones"), 2),
                                       (EgoGATConv(2, heads=2), 2),
                                       (EgoSAGEConv(3, aggregator="max"), 0)):  # none for max
      layer = EgoLayer(conv)
      expected = layer((dense, masks))
      cls = type(conv)
      with mock.patch.object(cls, "pretransform", autospec=True,
                             side_effect=cls.pretransform) as pretransform, mock.patch.object(
                                 cls, "call_pretransformed", autospec=True,
                                 side_effect=cls.call_pretransformed) as call_pretransformed:
        actual = layer(([(nodes, p) for p in positions], masks))
      self.assertEqual(pretransform.call_count, 1, conv.name)  # once for all hops
      self.assertEqual(call_pretransformed.call_count, pretransformed_pairs, conv.name)
      for a, e in zip(actual, expected):
        self.assertAllClose(a, e, atol=1e-6)

  def test_distinct_nodes_of_another_dim_than_the_conv_was_built_for(self):
    hops, masks = keras_testing.ego_hops(dims=(4, 4, 4))
    layer = EgoLayer(EgoSAGEConv(3))
    layer((hops, masks))
    nodes = tf.zeros([5, 6])
    distinct = [(nodes, tf.zeros(m.shape, tf.int64)) for m in masks]
    with self.assertRaisesRegex(ValueError, r"was built for feature dims 4 \(x\) and 4 "
                                r"\(neighbors\) but got 6 and 6"):
      layer((distinct, masks))

  def test_config_round_trip_and_save(self):
    hops, masks = keras_testing.ego_hops(dims=(4, 4, 4))
    for layer in (EgoLayer(EgoSAGEConv(3, aggregator="max")),
                  EgoLayer(convs=[EgoSAGEConv(3), EgoGATConv(3)])):
      config = layer.get_config()
      self.assertEqual(EgoLayer.from_config(config).get_config(), config)
      inputs = [tf.keras.Input(h.shape[1:]) for h in hops]
      mask_inputs = [tf.keras.Input(m.shape[1:], dtype=tf.bool) for m in masks]
      outputs = layer((inputs, mask_inputs))
      model = tf.keras.Model([inputs, mask_inputs], outputs)
      keras_testing.assert_reloads_identically(self, model, [hops, masks],
                                               formats=("keras", "h5"))

  def test_bad_configuration(self):
    hops, masks = keras_testing.ego_hops()
    with self.assertRaisesRegex(ValueError, "exactly one of conv .* and convs"):
      EgoLayer()
    with self.assertRaisesRegex(ValueError, "exactly one of conv"):
      EgoLayer(EgoSAGEConv(2), convs=[EgoSAGEConv(2)])
    with self.assertRaisesRegex(ValueError, "convs\\[1\\] must be a Keras layer"):
      EgoLayer(convs=[EgoSAGEConv(2), "sage"])
    with self.assertRaisesRegex(ValueError, "convs has 3 layers but inputs has 3 hops, i.e. 2"):
      EgoLayer(convs=[EgoSAGEConv(2)] * 3)((hops, masks))
    with self.assertRaisesRegex(ValueError, "3 hops but 2 masks"):
      EgoLayer(EgoSAGEConv(2))((hops, masks[:2]))
    with self.assertRaisesRegex(ValueError, "at least 2 hops"):
      EgoLayer(EgoSAGEConv(2))((hops[:1], masks[:1]))
    with self.assertRaisesRegex(ValueError, "relations must have 2 entries"):
      EgoLayer(EgoSAGEConv(2))((hops, masks, masks))
