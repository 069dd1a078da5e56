"""`EgoSAGEConv`: GraphSAGE convolution on dense per-hop (EgoGraph) tensors."""
from __future__ import annotations

from typing import Optional

import tensorflow as tf

from tfgle.layers import _common
from tfgle.layers import aggregation

AGGREGATORS = ("mean", "sum", "max", "gcn", "pool")


@tf.keras.utils.register_keras_serializable(package="tfgle")
class EgoSAGEConv(_common.DenseArgs, tf.keras.layers.Layer):
  """GraphSAGE convolution: aggregates hop i+1 into hop i.

  For a node x with neighbors n_1..n_k (the real ones, where mask is True):
  - mean / sum / max: a = mean/sum/max(n_j); out = a W_nbr + x W_self + b
  - pool: a = max(relu(n_j W_pool + b_pool)); out = a W_nbr + x W_self + b
  - gcn: out = ((x + sum(n_j)) / (1 + k)) W_nbr + b (self and neighbors must
    have the same dimension; no separate self weight)
  then the activation and, with normalize=True, L2 normalization. A node whose
  neighbors are all padding aggregates to zeros.

  Example:
    conv = tfgle.layers.EgoSAGEConv(64, aggregator="mean", activation="relu")
    h0 = conv((x0, x1, mask1))   # x0 [B, D], x1 [B, k1, D], mask1 [B, k1]

  Args:
    units: output dimension.
    aggregator: one of "mean", "sum", "max", "gcn", "pool".
    root_weight: add the self term x W_self (not with "gcn").
    normalize: L2-normalize the output.
    pool_units: hidden width of the "pool" aggregator (default: neighbor dim).
    activation, use_bias, kernel_initializer, bias_initializer,
    kernel_regularizer, bias_regularizer: as in `tf.keras.layers.Dense`.

  Call args:
    inputs: (x, neighbors) or (x, neighbors, mask): x [..., D_self],
      neighbors [..., k, D_nbr], mask bool [..., k] (False = padding).

  Call returns:
    [..., units].

  Raises:
    ValueError: unknown aggregator, units <= 0, unknown feature dims, or "gcn"
      with different self and neighbor dims.
  """

  def __init__(self, units: int, *, aggregator: str = "mean", root_weight: bool = True,
               normalize: bool = False, pool_units: Optional[int] = None,
               activation=None, use_bias: bool = True,
               kernel_initializer="glorot_uniform", bias_initializer="zeros",
               kernel_regularizer=None, bias_regularizer=None, **kwargs):
    super().__init__(**kwargs)
    cls = type(self).__name__
    self.units = _common.check_positive_int(cls, "units", units)
    self.aggregator = _common.check_choice(cls, "aggregator", aggregator, AGGREGATORS)
    self.root_weight = bool(root_weight)
    self.normalize = bool(normalize)
    self.pool_units = (None if pool_units is None
                       else _common.check_positive_int(cls, "pool_units", pool_units))
    self._init_dense_args(activation=activation, use_bias=use_bias,
                          kernel_initializer=kernel_initializer,
                          bias_initializer=bias_initializer,
                          kernel_regularizer=kernel_regularizer,
                          bias_regularizer=bias_regularizer)

  def build(self, input_shape):
    cls = type(self).__name__
    d_self, d_nbr = _common.ego_dims(cls, input_shape)
    self._ego_dims = (d_self, d_nbr)
    if self.aggregator == "gcn" and d_self != d_nbr:
      raise ValueError(f"{cls}: aggregator='gcn' averages self and neighbors, so their "
                       f"feature dims must match, got {d_self} (x) and {d_nbr} (neighbors)")
    d_agg = d_nbr
    if self.aggregator == "pool":
      d_agg = self.pool_units or d_nbr
      self.pool_kernel = self._add_kernel("pool_kernel", (d_nbr, d_agg))
      self.pool_bias = self.add_weight(name="pool_bias", shape=(d_agg,),
                                       initializer="zeros", trainable=True)
    self.neighbor_kernel = self._add_kernel("neighbor_kernel", (d_agg, self.units))
    if self.root_weight and self.aggregator != "gcn":
      self.self_kernel = self._add_kernel("self_kernel", (d_self, self.units))
    else:
      self.self_kernel = None
    self.bias = self._add_bias("bias", (self.units,))
    super().build(input_shape)

  def call(self, inputs, training=None):
    x, neighbors, mask, _ = _common.unpack_ego_inputs(type(self).__name__, inputs)
    _common.check_call_dims(self, x, neighbors)
    mask = _common.neighbor_mask(neighbors, mask)
    neighbors = aggregation.zero_masked(neighbors, mask)
    if self.aggregator == "mean":
      agg = aggregation.masked_mean(neighbors, mask)
    elif self.aggregator == "sum":
      agg = aggregation.masked_sum(neighbors, mask)
    elif self.aggregator == "max":
      agg = aggregation.masked_max(neighbors, mask)
    elif self.aggregator == "pool":
      hidden = tf.nn.relu(_common.linear(neighbors, self.pool_kernel, self.pool_bias))
      agg = aggregation.masked_max(hidden, mask)
    else:  # gcn
      count = aggregation.masked_count(mask, x.dtype)
      agg = (x + aggregation.masked_sum(neighbors, mask)) / (1.0 + count)
    out = _common.linear(agg, self.neighbor_kernel)
    if self.self_kernel is not None:
      out += _common.linear(x, self.self_kernel)
    if self.bias is not None:
      out = tf.nn.bias_add(out, self.bias)
    out = self.activation(out)
    if self.normalize:
      out = tf.math.l2_normalize(out, axis=-1)
    return out

  def get_config(self):
    config = super().get_config()
    config.update({
        "units": self.units,
        "aggregator": self.aggregator,
        "root_weight": self.root_weight,
        "normalize": self.normalize,
        "pool_units": self.pool_units,
        **self._dense_config(),
    })
    return config
