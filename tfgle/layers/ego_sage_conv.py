"""`EgoSAGEConv`: GraphSAGE convolution on dense per-hop (EgoGraph) tensors."""
from __future__ import annotations

from typing import Optional

import tensorflow as tf

from tfgle.layers import _common
from tfgle.layers import _conv_base
from tfgle.layers import _sage

AGGREGATORS = ("mean", "sum", "max", "gcn", "pool")


@tf.keras.utils.register_keras_serializable(package="tfgle")
class EgoSAGEConv(_sage.SAGEBase, _conv_base.EgoConv):
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

  AGGREGATORS = AGGREGATORS

  def __init__(self, units: int, *, pool_units: Optional[int] = None, **kwargs):
    super().__init__(units, **kwargs)
    self.pool_units = (None if pool_units is None else
                       _common.check_positive_int(type(self).__name__, "pool_units", pool_units))

  def _conv_config(self) -> dict:
    return {**super()._conv_config(), "pool_units": self.pool_units}
