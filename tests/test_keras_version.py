"""tfgle's layers are Keras 2 (tf-keras) layers: tf.keras must be tf-keras 2.x."""
import tensorflow as tf
import tf_keras


class KerasVersionTest(tf.test.TestCase):

  def test_tf_keras_is_keras_2(self):
    # tf-keras' API module has no __version__; the tf_keras package has.
    self.assertTrue(tf_keras.__version__.startswith("2."), tf_keras.__version__)
    self.assertTrue(tf.keras.__name__.startswith("tf_keras"), tf.keras.__name__)
    self.assertIs(tf.keras.layers.Layer, tf_keras.layers.Layer)
