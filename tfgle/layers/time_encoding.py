"""`TimeEncoding`: TGAT's functional time encoding, cos(omega * dt + phi)."""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from tfgle.layers import _common


@tf.keras.utils.register_keras_serializable(package="tfgle")
class TimeEncoding(tf.keras.layers.Layer):
  """Encodes time spans as [cos(omega_1 dt + phi_1), ..., cos(omega_d dt + phi_d)].

  The functional time encoding of TGAT (Xu et al. 2020, "Inductive
  Representation Learning on Temporal Graphs"), a learnable Bochner basis:
  the frequencies omega start log-spaced from 1 down to 10^-(max_exponent)
  (TGAT's 1 / 10^linspace(0, 9, d)), so that spans from one unit to
  10^max_exponent units each move some of the features; the phases phi start at
  0. Both are trained with the model (trainable=False keeps them fixed). A span
  of 0 (a node's own time) encodes as cos(phi).

  Example:
    encode = tfgle.layers.TimeEncoding(16)
    phi = encode(batch["hop1"]["time_delta"])   # int64 [B, k] -> float32 [B, k, 16]

  Args:
    dim: the number of features (> 0).
    max_exponent: the slowest initial frequency is 10^-max_exponent (> 0; 9
      suits time spans in seconds up to about 30 years).

  Call args:
    inputs: time spans of any shape [...], ints or floats (cast to the
      layer's dtype).

  Call returns:
    [..., dim].

  Raises:
    ValueError: dim <= 0 or max_exponent <= 0.
  """

  def __init__(self, dim: int, *, max_exponent: float = 9.0, **kwargs):
    super().__init__(**kwargs)
    cls = type(self).__name__
    self.dim = _common.check_positive_int(cls, "dim", dim)
    if isinstance(max_exponent, bool) or not isinstance(max_exponent, (int, float)) or not (
        max_exponent > 0):
      raise ValueError(f"{cls}: max_exponent must be a number > 0, got {max_exponent!r}")
    self.max_exponent = float(max_exponent)

  def build(self, input_shape):
    frequencies = 1.0 / 10.0 ** np.linspace(0.0, self.max_exponent, self.dim)
    self.frequency = self.add_weight(
        name="frequency", shape=(self.dim,),
        initializer=tf.keras.initializers.Constant(frequencies.astype(np.float32)))
    self.phase = self.add_weight(name="phase", shape=(self.dim,), initializer="zeros")
    super().build(input_shape)

  def call(self, inputs):
    spans = tf.cast(inputs, self.compute_dtype)[..., tf.newaxis]
    return tf.cos(spans * tf.cast(self.frequency, self.compute_dtype)
                  + tf.cast(self.phase, self.compute_dtype))

  def compute_output_shape(self, input_shape):
    return tf.TensorShape(input_shape).concatenate([self.dim])

  def get_config(self):
    config = super().get_config()
    config.update({"dim": self.dim, "max_exponent": self.max_exponent})
    return config
