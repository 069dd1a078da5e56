"""GraphSAGE's math, shared by `EgoSAGEConv` and `SAGEConv` (private)."""
from __future__ import annotations

import tensorflow as tf

from tfgle.layers import _common
from tfgle.layers import _conv_base

# Aggregators that commute with the neighbor kernel: mean(n_j) W == mean(n_j W).
_LINEAR = ("mean", "sum", "gcn")


class SAGEBase(_conv_base.Conv):
  """GraphSAGE: out = agg(senders) W_nbr + x W_self + b, activation, L2 (normalize).

  Subclasses set AGGREGATORS, the aggregators they take: "mean", "sum", "max",
  "pool" (max of relu(n W_pool + b_pool)) or "gcn" (((x + sum n) / (1 + k))
  W_nbr, no self kernel).
  """

  AGGREGATORS = ()
  pool_units = None

  def __init__(self, units: int, *, aggregator: str = "mean", root_weight: bool = True,
               normalize: bool = False, **kwargs):
    super().__init__(units, **kwargs)
    self.aggregator = _common.check_choice(type(self).__name__, "aggregator", aggregator,
                                           self.AGGREGATORS)
    self.root_weight = bool(root_weight)
    self.normalize = bool(normalize)

  def build_weights(self, d_receiver, d_sender):
    if self.aggregator == "gcn" and d_receiver != d_sender:
      raise ValueError(f"{type(self).__name__}: aggregator='gcn' averages self and neighbors, "
                       f"so their feature dims must match, got {d_receiver} (x) and {d_sender} "
                       "(neighbors)")
    d_agg = d_sender
    if self.aggregator == "pool":
      d_agg = self.pool_units or d_sender
      self.pool_kernel = self._add_kernel("pool_kernel", (d_sender, d_agg))
      self.pool_bias = self.add_weight(name="pool_bias", shape=(d_agg,),
                                       initializer="zeros", trainable=True)
    self.neighbor_kernel = self._add_kernel("neighbor_kernel", (d_agg, self.units))
    if self.root_weight and self.aggregator != "gcn":
      self.self_kernel = self._add_kernel("self_kernel", (d_receiver, self.units))
    else:
      self.self_kernel = None
    self.bias = self._add_bias("bias", (self.units,))

  def pretransform(self, nodes):
    """x W_nbr (and x W_self) of each node, for the aggregators linear in the neighbors."""
    if self.aggregator not in _LINEAR:
      return None
    out = {"neighbor": _common.linear(nodes, self.neighbor_kernel)}
    if self.self_kernel is not None:
      out["self"] = _common.linear(nodes, self.self_kernel)
    return out

  def convolve(self, receiver, sender, adjacency, *, training=None, pretransformed=False):
    messages = adjacency.from_sender(sender["neighbor"] if pretransformed else sender)
    if adjacency.weight is not None:
      messages *= adjacency.weight[:, tf.newaxis]
    if self.aggregator == "gcn":
      own = receiver["neighbor"] if pretransformed else receiver
      agg = ((own + adjacency.pool(messages, "sum", senders=True)) /
             (1.0 + adjacency.degree(messages.dtype)))
    elif self.aggregator == "pool":
      hidden = tf.nn.relu(_common.linear(messages, self.pool_kernel, self.pool_bias))
      agg = adjacency.pool(hidden, "max")
    else:
      agg = adjacency.pool(messages, self.aggregator, senders=True)
    out = agg if pretransformed else _common.linear(agg, self.neighbor_kernel)
    if self.self_kernel is not None:
      out += receiver["self"] if pretransformed else _common.linear(receiver, self.self_kernel)
    out = self._output(out)
    if self.normalize:
      out = tf.math.l2_normalize(out, axis=-1)
    return out

  def _conv_config(self) -> dict:
    return {"aggregator": self.aggregator, "root_weight": self.root_weight,
            "normalize": self.normalize}
