"""`EgoTGATConv`: TGAT's temporal graph attention on dense per-hop (EgoGraph) tensors."""
from __future__ import annotations

import math

import tensorflow as tf

from tfgle.layers import _common
from tfgle.layers import _conv_base
from tfgle.layers.time_encoding import TimeEncoding

_INPUTS = "(x, neighbors, mask, time_deltas)"


def _check_arity(inputs):
  if not isinstance(inputs, (tuple, list)) or len(inputs) != 4:
    got = f"a {len(inputs)}-tuple" if isinstance(inputs, (tuple, list)) else type(inputs).__name__
    raise ValueError(f"EgoTGATConv: inputs must be {_INPUTS}, got {got}")


@tf.keras.utils.register_keras_serializable(package="tfgle")
class EgoTGATConv(_conv_base.EgoConv):
  """Temporal graph attention (TGAT): a node attends over its neighbors at their times.

  As in TGAT (Xu et al. 2020), each neighbor j enters the attention with its
  features and the encoding of its time span dt_j (the query time minus the
  time of the edge to j), the node itself with the encoding of span 0:
    q   = [x || Phi(0)] W_q,   k_j = [n_j || Phi(dt_j)] W_k,
    v_j = [n_j || Phi(dt_j)] W_v                       (per head, width units)
    alpha = softmax_j(q . k_j / sqrt(units)) over the real neighbors,
    h = concat over heads of sum_j alpha_j v_j,
    out = activation(ReLU([h || x] W_1 + b_1) W_2 + b)  (TGAT's merge layer)
  where Phi is a learnable `TimeEncoding` of width time_dim. A node without
  real neighbors gets h = 0: its output comes from its own features.
  Padding (mask False) gets attention 0, whatever its values or time spans.

  In an `EgoLayer` / `EgoGNN` the time spans go where relations go: inputs
  (hops, masks, time_deltas), time_deltas[i] the spans of hop i+1 (for
  example `ego["hop{i+1}"]["time_delta"]` of a dataset sampled with before=
  and time_deltas=True).

  Example:
    conv = tfgle.layers.EgoTGATConv(32, heads=2, time_dim=16)
    h0 = conv((x0, x1, mask1, ego["hop1"]["time_delta"]))   # -> [B, 32]

  Args:
    units: output width, and width of each attention head.
    heads: attention heads (> 0), concatenated before the merge layer.
    time_dim: width of the time encoding (> 0).
    max_exponent: the time encoding's slowest initial frequency is
      10^-max_exponent (see `TimeEncoding`).
    attention_dropout: dropout rate on the attention coefficients (training).
    activation, use_bias, kernel_initializer, bias_initializer,
    kernel_regularizer, bias_regularizer: as in `tf.keras.layers.Dense`
      (of the merge layer's output).

  Call args:
    inputs: (x, neighbors, mask, time_deltas): x [..., D_self], neighbors
      [..., k, D_nbr], mask bool [..., k] (False = padding), time_deltas
      [..., k] ints or floats.
    training: enables attention dropout.

  Call returns:
    [..., units].

  Raises:
    ValueError: units, heads or time_dim <= 0, a bad dropout rate, inputs
      that are not a 4-tuple, or unknown feature dims.
  """

  # EgoLayer passes its relations slot (the time deltas) to convs that declare this.
  takes_relations = True

  def __init__(self, units: int, *, heads: int = 2, time_dim: int = 16,
               max_exponent: float = 9.0, attention_dropout: float = 0.0, **kwargs):
    super().__init__(units, **kwargs)
    cls = type(self).__name__
    self.heads = _common.check_positive_int(cls, "heads", heads)
    self.time_dim = _common.check_positive_int(cls, "time_dim", time_dim)
    self.attention_dropout = _common.check_rate(cls, "attention_dropout", attention_dropout)
    self.time_encoding = TimeEncoding(time_dim, max_exponent=max_exponent,
                                      dtype=self.dtype_policy, name="time_encoding")
    self.max_exponent = self.time_encoding.max_exponent
    self._dropout = tf.keras.layers.Dropout(self.attention_dropout, dtype=self.dtype_policy)

  def build(self, input_shape):
    _check_arity(input_shape)
    super().build(input_shape)

  def build_weights(self, d_receiver, d_sender):
    width, t = self.heads * self.units, self.time_dim
    self.query_kernel = self._add_kernel("query_kernel", (d_receiver + t, width))
    self.key_kernel = self._add_kernel("key_kernel", (d_sender + t, width))
    self.value_kernel = self._add_kernel("value_kernel", (d_sender + t, width))
    self.merge_kernel = self._add_kernel("merge_kernel", (width + d_receiver, self.units))
    self.merge_bias = self._add_bias("merge_bias", (self.units,))
    self.output_kernel = self._add_kernel("output_kernel", (self.units, self.units))
    self.bias = self._add_bias("bias", (self.units,))
    with tf.name_scope(self.time_encoding.name):
      self.time_encoding.build(tf.TensorShape([None]))

  def call(self, inputs, training=None, padding_zeroed=False):
    _check_arity(inputs)
    return super().call(inputs, training=training, padding_zeroed=padding_zeroed)

  def _heads(self, x, kernel):
    """x W split into heads: [..., heads, units]."""
    z = _common.linear(x, kernel)
    return tf.reshape(z, tf.concat([tf.shape(z)[:-1], [self.heads, self.units]], 0))

  def convolve(self, receiver, sender, adjacency, *, training=None, pretransformed=False):
    del pretransformed  # no pretransform: keys and values depend on the edge's time
    if adjacency.relations is None:
      raise ValueError(f"EgoTGATConv: the time deltas of the neighbors are missing; inputs must "
                       f"be {_INPUTS}")
    dtype = receiver.dtype
    spans = tf.where(adjacency.mask, tf.cast(adjacency.relations, dtype), tf.zeros((), dtype))
    own_time = self.time_encoding(tf.zeros_like(receiver[..., 0]))
    query = self._heads(tf.concat([receiver, own_time], -1), self.query_kernel)
    neighbors = tf.concat([sender, self.time_encoding(spans)], -1)
    keys = self._heads(neighbors, self.key_kernel)  # [..., k, H, U]
    values = self._heads(neighbors, self.value_kernel)
    logits = tf.reduce_sum(adjacency.from_receiver(query) * keys, -1) / math.sqrt(self.units)
    alpha = self._dropout(adjacency.softmax(logits), training=training)  # [..., k, H]
    attended = adjacency.pool(values * alpha[..., tf.newaxis], "sum")  # [..., H, U]
    attended = tf.reshape(attended, tf.concat([tf.shape(attended)[:-2],
                                               [self.heads * self.units]], 0))
    hidden = tf.nn.relu(_common.linear(tf.concat([attended, receiver], -1), self.merge_kernel,
                                       self.merge_bias))
    return self._output(_common.linear(hidden, self.output_kernel))

  def compute_output_shape(self, input_shape):
    return tf.TensorShape(input_shape[0])[:-1].concatenate([self.units])

  def _conv_config(self) -> dict:
    return {"heads": self.heads, "time_dim": self.time_dim, "max_exponent": self.max_exponent,
            "attention_dropout": self.attention_dropout}
