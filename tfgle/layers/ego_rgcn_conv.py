"""`EgoRGCNConv`: relational GCN on dense per-hop tensors, with basis decomposition."""
from __future__ import annotations

from typing import Optional

import tensorflow as tf

from tfgle.layers import _common
from tfgle.layers import _conv_base

AGGREGATORS = ("mean", "sum")


@tf.keras.utils.register_keras_serializable(package="tfgle")
class EgoRGCNConv(_conv_base.EgoConv):
  """R-GCN (Schlichtkrull et al. 2018): one weight per relation.

  out = x W_self + sum_r sum_{j in N_r} c_r n_j W_r + b, where N_r are the real
  neighbors reached over relation r and c_r = 1/|N_r| ("mean") or 1 ("sum").
  With num_bases=B the relation weights share B bases: W_r = sum_b a_rb V_b.
  Neighbors are aggregated per relation first ([..., R, D]), so the cost does
  not grow with the number of neighbors times relations.

  Example:
    conv = tfgle.layers.EgoRGCNConv(32, num_relations=4, num_bases=2)
    h0 = conv((x0, x1, mask1, rel1))  # rel1 int [B, k1]: relation of each edge

  Args:
    units: output dimension.
    num_relations: number of relation types; relation ids are in [0, R).
    num_bases: number of bases (None: a full weight per relation).
    aggregator: "mean" (normalize per relation) or "sum".
    root_weight: add the self term x W_self.
    activation, use_bias, kernel_initializer, bias_initializer,
    kernel_regularizer, bias_regularizer: as in `tf.keras.layers.Dense`.

  Call args:
    inputs: (x, neighbors, mask, relations): x [..., D_self], neighbors
      [..., k, D_nbr], mask bool [..., k] (False = padding), relations int
      [..., k] (ignored under padding; real entries out of [0, R) raise
      InvalidArgumentError).

  Call returns:
    [..., units].

  Raises:
    ValueError: units, num_relations or num_bases not positive, num_bases >
      num_relations, an unknown aggregator, unknown feature dims.
  """

  takes_relations = True

  def __init__(self, units: int, *, num_relations: int, num_bases: Optional[int] = None,
               aggregator: str = "mean", root_weight: bool = True, **kwargs):
    super().__init__(units, **kwargs)
    cls = type(self).__name__
    self.num_relations = _common.check_positive_int(cls, "num_relations", num_relations)
    self.num_bases = (None if num_bases is None
                      else _common.check_positive_int(cls, "num_bases", num_bases))
    if self.num_bases is not None and self.num_bases > self.num_relations:
      raise ValueError(f"{cls}: num_bases must be <= num_relations={num_relations}, "
                       f"got {num_bases}")
    self.aggregator = _common.check_choice(cls, "aggregator", aggregator, AGGREGATORS)
    self.root_weight = bool(root_weight)

  def build_weights(self, d_receiver, d_sender):
    if self.num_bases is None:
      self.relation_kernel = self._add_kernel("relation_kernel",
                                              (self.num_relations, d_sender, self.units))
      self.bases = self.coefficients = None
    else:
      self.relation_kernel = None
      self.bases = self._add_kernel("bases", (self.num_bases, d_sender, self.units))
      self.coefficients = self._add_kernel("coefficients", (self.num_relations, self.num_bases))
    self.self_kernel = (self._add_kernel("self_kernel", (d_receiver, self.units))
                        if self.root_weight else None)
    self.bias = self._add_bias("bias", (self.units,))

  def convolve(self, receiver, sender, adjacency, *, training=None, pretransformed=False):
    mask = adjacency.mask
    relations = tf.cast(adjacency.relations, tf.int64)
    relations = tf.where(mask, relations, tf.zeros_like(relations))
    checks = [
        tf.debugging.assert_non_negative(
            relations, message=f"{self.name}: relation ids must be >= 0"),
        tf.debugging.assert_less(
            relations, tf.constant(self.num_relations, tf.int64),
            message=f"{self.name}: relation ids must be < num_relations={self.num_relations}"),
    ]
    with tf.control_dependencies(checks):
      # [..., k, R]: which relation each real neighbor comes through.
      onehot = tf.one_hot(relations, self.num_relations, dtype=sender.dtype)
    onehot = tf.where(mask[..., tf.newaxis], onehot, tf.zeros_like(onehot))
    if self.aggregator == "mean":
      count = tf.reduce_sum(onehot, axis=-2, keepdims=True)  # [..., 1, R]
      onehot = onehot / tf.maximum(count, 1.0)
    per_relation = tf.einsum("...kr,...kd->...rd", onehot, sender)  # [..., R, D]
    kernel = self.relation_kernel
    if kernel is None:
      kernel = tf.einsum("rb,bdu->rdu", self.coefficients, self.bases)
    out = tf.einsum("...rd,rdu->...u", per_relation, kernel)
    if self.self_kernel is not None:
      out += _common.linear(receiver, self.self_kernel)
    return self._output(out)

  def _conv_config(self) -> dict:
    return {"num_relations": self.num_relations, "num_bases": self.num_bases,
            "aggregator": self.aggregator, "root_weight": self.root_weight}
