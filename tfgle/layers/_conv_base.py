"""The base of tfgle's convolutions: one `convolve` hook over an adjacency (private).

As in TF-GNN's `AnyToAnyConvolutionBase`, a convolution's math is written once,
against an adjacency that says how messages reach a receiver node:

  adjacency.from_sender(values)    the senders' values, per edge
  adjacency.from_receiver(values)  the receivers' values, broadcast to their edges
  adjacency.pool(values, reduce)   per-edge values reduced into their receivers
                                   (senders=True: `values` are from_sender's, whose
                                   padding the conv's caller zeroed)
  adjacency.softmax(logits)        per-edge logits normalized over each receiver's edges

`EgoAdjacency` is a hop pair of an EgoGraph (receivers [..., D], each with k
senders [..., k, D] under a mask [..., k]); `EdgeAdjacency` is a SubGraph's
edge_index. `EgoConv` and `SubGraphConv` turn their inputs into one and call
`convolve`, so an Ego conv and its SubGraph twin share their math by sharing
`convolve`.

Convolutions that take edge features (`takes_edge_features`) find them on the
adjacency: `adjacency.edge_values()` gives one row [F] per edge, aligned with
`from_sender`'s (a self loop that the conv adds gets the mean of its receiver's
real edges, PyG's fill_value="mean"). Ego convs get them where relations go,
(x, neighbors, mask, edge_features [..., k, F]); SubGraph convs as a third
input, (x, edge_index, edge_features [E, F]).

Ego convs may also declare a node-wise `pretransform` (for example the linear
maps that SAGE's mean aggregation commutes with): `EgoLayer` then applies it to
each distinct node of a deduplicated batch once, gathers the results into the
hops and calls `convolve(..., pretransformed=True)`.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Optional

import tensorflow as tf

from tfgle.layers import _common
from tfgle.layers import aggregation


@dataclasses.dataclass(frozen=True, eq=False)
class EgoAdjacency:
  """Receivers [..., D] and their k senders [..., k, D]; mask [..., k] marks real ones.

  With self_loops every receiver is also the first of its own senders.
  edge_features [..., k, F] (optional) are the features of the edges.
  """
  mask: tf.Tensor
  relations: Optional[tf.Tensor] = None
  self_loops: bool = False
  edge_features: Optional[tf.Tensor] = None
  weight = None  # Ego edges carry no weights

  @property
  def _axis(self) -> int:
    return self.mask.shape.rank - 1

  @property
  def needs_receiver_values(self) -> bool:
    """True when `from_sender` needs the receivers' own values (their self loops)."""
    return self.self_loops

  def with_self_loops(self) -> "EgoAdjacency":
    return dataclasses.replace(self, self_loops=True)

  @property
  def edge_mask(self) -> tf.Tensor:
    if not self.self_loops:
      return self.mask
    return tf.concat([tf.ones_like(self.mask[..., :1]), self.mask], axis=-1)

  def from_sender(self, values, receiver_values=None):
    """Senders' values [..., k, ...] (already given per edge); self loops first."""
    if not self.self_loops:
      return values
    return tf.concat([tf.expand_dims(receiver_values, self._axis), values], axis=self._axis)

  def from_receiver(self, values):
    return tf.expand_dims(values, self._axis)

  def edge_values(self) -> tf.Tensor:
    """The edge features [..., k(+1), F], a self loop's (first) the mean of the real edges'."""
    if not self.self_loops:
      return self.edge_features
    loop = aggregation.masked_mean(self.edge_features, self.mask)
    return tf.concat([tf.expand_dims(loop, self._axis), self.edge_features], axis=self._axis)

  def pool(self, values, reduce: str, senders: bool = False):
    """`values` [..., k, ...] reduced over k where edge_mask. senders=True says `values`
    are `from_sender`'s of senders whose padding is zeroed (as `convolve` gets them): a sum
    or mean then needs no mask, and skipping the copy it makes saves a pass over the hop."""
    if senders and reduce in ("sum", "mean"):
      total = tf.reduce_sum(values, axis=self._axis)
      return total if reduce == "sum" else aggregation.mean_of_sum(total, self.edge_mask)
    return _MASKED[reduce](values, self.edge_mask)

  def softmax(self, logits):
    mask = self.edge_mask
    for _ in range(logits.shape.rank - mask.shape.rank):
      mask = mask[..., tf.newaxis]
    return aggregation.masked_softmax(logits, mask, axis=self._axis)

  def degree(self, dtype) -> tf.Tensor:
    """The number of real senders of each receiver, [..., 1]."""
    return aggregation.masked_count(self.edge_mask, dtype)


@dataclasses.dataclass(frozen=True, eq=False)
class EdgeAdjacency:
  """Edges src -> dst (optionally weighted) into num_nodes receivers.

  Senders and receivers are one node set, unless num_senders is given: then
  src indexes another node set of that size (bipartite, e.g. one edge type of
  a heterogeneous SubGraph). edge_features [E, F] (optional) are the
  features of the edges.
  """
  src: tf.Tensor
  dst: tf.Tensor
  num_nodes: Any
  weight: Optional[tf.Tensor] = None
  num_senders: Any = None
  edge_features: Optional[tf.Tensor] = None
  needs_receiver_values = False  # self loops are edges like any other

  @property
  def bipartite(self) -> bool:
    return self.num_senders is not None

  def with_self_loops(self) -> "EdgeAdjacency":
    """Adds the missing (i, i) edges, of weight 1 (existing self loops are kept)."""
    if self.bipartite:
      raise ValueError("self loops need senders and receivers of one node set, but the edges "
                       "go between two node sets (x_src, x_dst): pass add_self_loops=False")
    src, dst, weight = aggregation.add_remaining_self_loops(self.src, self.dst, self.num_nodes,
                                                            self.weight)
    edge_features = self.edge_features
    if edge_features is not None:  # a new loop gets the mean of its node's in-edges' features
      mean = aggregation.segment_mean(edge_features, self.dst, self.num_nodes)
      loops = dst[tf.shape(self.dst)[0]:]
      edge_features = tf.concat([edge_features, tf.gather(mean, loops)], 0)
    return dataclasses.replace(self, src=src, dst=dst, weight=weight, edge_features=edge_features)

  def from_sender(self, values, receiver_values=None):
    del receiver_values  # self loops are edges of the edge list
    return tf.gather(values, self.src)

  def from_receiver(self, values):
    return tf.gather(values, self.dst)

  def edge_values(self) -> tf.Tensor:
    """The edge features [E, F]."""
    return self.edge_features

  def pool(self, values, reduce: str, senders: bool = False):
    del senders  # every edge is real
    return _SEGMENT[reduce](values, self.dst, self.num_nodes)

  def softmax(self, logits):
    return aggregation.segment_softmax(logits, self.dst, self.num_nodes)

  def degree(self, dtype) -> tf.Tensor:
    ones = tf.ones(tf.shape(self.dst), dtype)
    return tf.math.unsorted_segment_sum(ones, self.dst, self.num_nodes)[:, tf.newaxis]

  def sender_degree(self, weight: tf.Tensor) -> tf.Tensor:
    """The weighted out-degree [num_senders] of each sender (bipartite adjacencies)."""
    return tf.math.unsorted_segment_sum(weight, self.src, self.num_senders)


_MASKED = {"sum": aggregation.masked_sum, "mean": aggregation.masked_mean,
           "max": aggregation.masked_max}
_SEGMENT = {"sum": tf.math.unsorted_segment_sum, "mean": aggregation.segment_mean,
            "max": aggregation.segment_max}


class Conv(_common.DenseArgs, tf.keras.layers.Layer):
  """Arguments, weights and output of a convolution; subclasses write `convolve`.

  Subclasses implement `build_weights(d_receiver, d_sender)`, `convolve` and
  `_conv_config()` (their own constructor arguments); `EgoConv` and
  `SubGraphConv` give them their inputs.
  """

  # EgoLayer passes its relations slot (per-edge inputs of each hop pair) to
  # convolutions that declare this: relation ids, time spans, or edge features.
  takes_relations = False
  # The conv reads edge features: Ego convs in the relations slot ([..., k, F]),
  # SubGraph convs as inputs (x, edge_index, edge_features [E, F]); its
  # build_weights finds their width F in self._edge_dim.
  takes_edge_features = False

  def __init__(self, units: int, *, activation=None, use_bias: bool = True,
               kernel_initializer="glorot_uniform", bias_initializer="zeros",
               kernel_regularizer=None, bias_regularizer=None, **kwargs):
    super().__init__(**kwargs)
    self.units = _common.check_positive_int(type(self).__name__, "units", units)
    self._init_dense_args(activation=activation, use_bias=use_bias,
                          kernel_initializer=kernel_initializer,
                          bias_initializer=bias_initializer,
                          kernel_regularizer=kernel_regularizer,
                          bias_regularizer=bias_regularizer)

  def build_weights(self, d_receiver: int, d_sender: int):
    """Creates the weights for receivers of dim d_receiver and senders of dim d_sender."""
    raise NotImplementedError

  def convolve(self, receiver, sender, adjacency, *, training=None, pretransformed=False):
    """The output [..., units] of each receiver, from the receivers' and senders' values.

    Args:
      receiver: the receivers' features [..., D] (or, pretransformed, the output
        of `pretransform` for them).
      sender: the senders' features ([..., k, D] for an EgoAdjacency, [N, D] for
        an EdgeAdjacency), or their `pretransform` output.
      adjacency: an EgoAdjacency or EdgeAdjacency.
      training: Keras' training flag.
      pretransformed: receiver and sender are outputs of `pretransform`.
    """
    raise NotImplementedError

  def pretransform(self, nodes: tf.Tensor):
    """The node-wise first step of `convolve` applied to nodes [U, D], or None.

    A conv whose math starts by mapping each node on its own (whether it
    receives or sends) returns that map's outputs (a tensor or a dict of them,
    [U, ...]); `convolve(..., pretransformed=True)` takes them, gathered per
    hop, with the padding entries zeroed. The map must send zeros to zeros.
    """
    del nodes
    return None

  def _output(self, out: tf.Tensor) -> tf.Tensor:
    """Bias and activation."""
    if self.bias is not None:
      out = tf.nn.bias_add(out, self.bias)
    return self.activation(out)

  def _conv_config(self) -> dict:
    raise NotImplementedError

  def get_config(self):
    config = super().get_config()
    config.update({"units": self.units, **self._conv_config(), **self._dense_config()})
    return config


class EgoConv(Conv):
  """A conv on dense per-hop tensors: hop i+1 ([..., k, D]) aggregated into hop i ([..., D]).

  Call args: (x, neighbors) or (x, neighbors, mask), or with takes_relations
  (x, neighbors, mask, relations) (with takes_edge_features (x, neighbors,
  mask, edge_features [..., k, F])); see `_common.unpack_ego_inputs`.
  """

  def build(self, input_shape):
    cls = type(self).__name__
    d_self, d_nbr = _common.ego_dims(cls, input_shape, with_relations=self.takes_relations,
                                     edge_features=self.takes_edge_features)
    self._ego_dims = (d_self, d_nbr)
    if self.takes_edge_features:
      self._edge_dim = _common.feature_dim(cls, "edge_features (inputs[3])", input_shape[3])
    self.build_weights(d_self, d_nbr)
    super().build(input_shape)

  def call(self, inputs, training=None, padding_zeroed=False):
    """padding_zeroed=True: the caller has already zeroed the neighbors where mask is
    False (EgoLayer does), so they are not copied again."""
    x, neighbors, mask, relations = _common.unpack_ego_inputs(
        type(self).__name__, inputs, with_relations=self.takes_relations,
        edge_features=self.takes_edge_features)
    _common.check_call_dims(self, x, neighbors)
    mask = _common.neighbor_mask(neighbors, mask)
    if not padding_zeroed:
      neighbors = aggregation.zero_masked(neighbors, mask)
    return self.convolve(x, neighbors, self._adjacency(mask, relations, x.dtype),
                         training=training)

  def call_pretransformed(self, receiver, sender, mask, relations=None, training=None):
    """`convolve` on `pretransform` outputs gathered per hop (receiver [..., ...],
    sender [..., k, ...], padding zeroed) with the senders' mask [..., k]."""
    dtype = tf.nest.flatten(receiver)[0].dtype
    return self.convolve(receiver, sender,
                         self._adjacency(tf.cast(mask, tf.bool), relations, dtype),
                         training=training, pretransformed=True)

  def _adjacency(self, mask, relations, dtype) -> EgoAdjacency:
    """The hop pair's adjacency; the relations slot holds edge features for convs that take
    them (zeroed where padded)."""
    if not self.takes_edge_features:
      return EgoAdjacency(mask, relations)
    if relations is None:
      raise ValueError(f"{type(self).__name__}: the edge features of the neighbors are missing; "
                       "inputs must be (x, neighbors, mask, edge_features)")
    _common.check_edge_dim(self, relations)
    edge_features = aggregation.zero_masked(tf.cast(relations, dtype), mask)
    return EgoAdjacency(mask, edge_features=edge_features)


class SubGraphConv(Conv):
  """A conv over a SubGraph: node features [N, D] and edge_index [2, E] (src -> dst).

  Call args: inputs (x, edge_index) (with takes_edge_features (x, edge_index,
  edge_features [E, F])), where x is node features [N, D], or a pair
  (x_src [N_src, D_src], x_dst [N_dst, D_dst]) when the edges go from one node
  set to another (bipartite: row 0 of edge_index indexes x_src, row 1 x_dst;
  the output has a row per x_dst node); edge_weight, optional float [E];
  edge_mask, optional bool [E] (False edges are padding and ignored, whatever
  their ids).
  """

  def build(self, input_shape):
    cls = type(self).__name__
    d_sender, d_receiver, bipartite = _common.subgraph_dims(
        cls, input_shape, edge_features=self.takes_edge_features)
    if self.takes_edge_features:
      self._edge_dim = _common.subgraph_edge_dim(cls, input_shape)
    if bipartite and getattr(self, "add_self_loops", False):
      raise ValueError(f"{cls}: add_self_loops=True needs one node set x [N, D], but inputs[0] "
                       "is a (x_src, x_dst) pair of two node sets: pass add_self_loops=False")
    self._feature_dim = (d_sender, d_receiver) if bipartite else d_sender
    self.build_weights(d_receiver, d_sender)
    super().build(input_shape)

  @property
  def bipartite(self) -> bool:
    """Whether the conv was built for (x_src, x_dst) pairs."""
    return isinstance(getattr(self, "_feature_dim", None), tuple)

  def call(self, inputs, edge_weight=None, edge_mask=None, training=None):
    x, edge_index, *edge_features = _common.unpack_subgraph_inputs(
        type(self).__name__, inputs, edge_features=self.takes_edge_features)
    _common.check_subgraph_dim(self, x)
    if _common.is_node_pair(x):
      sender, receiver = x
      num_senders = tf.shape(sender, out_type=tf.int64)[0]
      num_nodes = tf.shape(receiver, out_type=tf.int64)[0]
      bounds = tf.stack([num_senders, num_nodes])
    else:
      sender = receiver = x
      num_senders = None
      num_nodes = bounds = tf.shape(x, out_type=tf.int64)[0]
    src, dst, weight = aggregation.prepare_edges(edge_index, bounds, edge_weight, edge_mask,
                                                 layer=self.name, dtype=receiver.dtype)
    features = None
    if edge_features:
      features = tf.cast(edge_features[0], receiver.dtype)
      _common.check_edge_dim(self, features)
      if edge_mask is not None:  # padding edges go, as in prepare_edges
        features = tf.boolean_mask(features, tf.convert_to_tensor(edge_mask, tf.bool))
    return self.convolve(receiver, sender,
                         EdgeAdjacency(src, dst, num_nodes, weight, num_senders, features),
                         training=training)
