"""Tests of TimeEncoding (TGAT's functional time encoding)."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tests import keras_testing
from tfgle.layers import TimeEncoding


class TimeEncodingTest(tf.test.TestCase):

  def test_matches_reference_at_initialization(self):
    spans = np.array([[0, 1, 7], [900, 5000, 12]], np.int64)
    layer = TimeEncoding(5, max_exponent=4.0)
    out = layer(spans)
    self.assertEqual(out.shape, (2, 3, 5))
    self.assertEqual(out.dtype, tf.float32)
    omega = 1.0 / 10.0 ** np.linspace(0, 4, 5)
    self.assertAllClose(out, np.cos(spans[..., None].astype(np.float64) * omega), atol=1e-4)
    self.assertAllClose(out[0, 0], np.ones(5))  # span 0: cos(phi) with phi = 0

  def test_frequencies_and_phases_are_learned(self):
    layer = TimeEncoding(4)
    spans = tf.constant([0.5, 3.0, 40.0])
    self.assertLen(layer.trainable_weights, 0)  # built on first call
    layer(spans)
    self.assertEqual(sorted(w.name.split("/")[-1] for w in layer.trainable_weights),
                     ["frequency:0", "phase:0"])
    keras_testing.assert_finite_gradients(self, lambda: layer(spans), layer.trainable_weights)
    layer.phase.assign([np.pi / 2] * 4)
    self.assertAllClose(layer(tf.zeros([1])), np.zeros((1, 4)), atol=1e-6)

  def test_config_and_save_reload(self):
    layer = TimeEncoding(3, max_exponent=6.5, trainable=False)
    config = layer.get_config()
    self.assertEqual(TimeEncoding.from_config(config).get_config(), config)
    self.assertEqual((config["dim"], config["max_exponent"]), (3, 6.5))
    inputs = tf.keras.Input([4])
    model = tf.keras.Model(inputs, TimeEncoding(3, max_exponent=2.0)(inputs))
    model.layers[-1].phase.assign([0.1, 0.2, 0.3])
    keras_testing.assert_reloads_identically(
        self, model, np.random.default_rng(0).random((2, 4)).astype(np.float32) * 50)
    self.assertEqual(model.output_shape, (None, 4, 3))

  @parameterized.expand([
      (dict(dim=0), "TimeEncoding: dim must be a positive int, got 0"),
      (dict(dim=2.0), "TimeEncoding: dim must be a positive int, got 2.0"),
      (dict(dim=2, max_exponent=0), "TimeEncoding: max_exponent must be a number > 0, got 0"),
      (dict(dim=2, max_exponent=True), "max_exponent must be a number > 0, got True"),
  ])
  def test_bad_arguments(self, kwargs, message):
    with self.assertRaisesRegex(ValueError, message):
      TimeEncoding(**kwargs)


if __name__ == "__main__":
  tf.test.main()
