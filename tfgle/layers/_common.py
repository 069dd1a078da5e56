"""Argument checks and weight helpers shared by tfgle's Keras layers (private)."""
from __future__ import annotations

from typing import Any, Sequence

import tensorflow as tf


def check_positive_int(cls: str, name: str, value: Any) -> int:
  """`value` if it is an int > 0, else a ValueError naming `name`."""
  if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
    raise ValueError(f"{cls}: {name} must be a positive int, got {value!r}")
  return value


def check_choice(cls: str, name: str, value: Any, allowed: Sequence[str]) -> str:
  """`value` if it is one of `allowed`, else a ValueError naming `name`."""
  if value not in allowed:
    raise ValueError(f"{cls}: {name} must be one of {list(allowed)}, got {value!r}")
  return value


def check_rate(cls: str, name: str, value: Any) -> float:
  """`value` if it is a number in [0, 1), else a ValueError naming `name`."""
  if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
    raise ValueError(f"{cls}: {name} must be a float in [0, 1), got {value!r}")
  return float(value)


def check_non_negative(cls: str, name: str, value: Any) -> float:
  """`value` if it is a number >= 0, else a ValueError naming `name`."""
  if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
    raise ValueError(f"{cls}: {name} must be a float >= 0, got {value!r}")
  return float(value)


def fresh(initializer):
  """A new instance of a Keras initializer.

  Keras initializers return identical values when one instance is called
  twice, so every weight gets its own instance.
  """
  return initializer.__class__.from_config(initializer.get_config())


def feature_dim(cls: str, what: str, shape: tf.TensorShape) -> int:
  """The static last dimension of `shape`, else a ValueError naming `what`."""
  shape = tf.TensorShape(shape)
  if shape.rank is None or shape.rank == 0 or shape[-1] is None:
    raise ValueError(f"{cls}: {what} needs a known last (feature) dimension, got shape {shape}")
  return int(shape[-1])


def linear(x: tf.Tensor, kernel: tf.Variable, bias=None) -> tf.Tensor:
  """x @ kernel (+ bias) over the last axis of `x`, for any rank of `x`."""
  if x.shape.rank == 2:
    y = tf.matmul(x, kernel)
  else:
    y = tf.tensordot(x, kernel, axes=[[x.shape.rank - 1], [0]])
  if bias is not None:
    y = tf.nn.bias_add(y, bias)
  return y


class DenseArgs:
  """The initializer/regularizer/activation arguments of a layer with kernels.

  A mixin: `_init_dense_args` stores them, `_dense_config` serializes them and
  `_add_kernel`/`_add_bias` create weights with fresh initializers.
  """

  def _init_dense_args(self, *, activation, use_bias, kernel_initializer, bias_initializer,
                       kernel_regularizer, bias_regularizer):
    self.activation = tf.keras.activations.get(activation)
    self.use_bias = bool(use_bias)
    self.kernel_initializer = tf.keras.initializers.get(kernel_initializer)
    self.bias_initializer = tf.keras.initializers.get(bias_initializer)
    self.kernel_regularizer = tf.keras.regularizers.get(kernel_regularizer)
    self.bias_regularizer = tf.keras.regularizers.get(bias_regularizer)

  def _dense_config(self) -> dict:
    return {
        "activation": tf.keras.activations.serialize(self.activation),
        "use_bias": self.use_bias,
        "kernel_initializer": tf.keras.initializers.serialize(self.kernel_initializer),
        "bias_initializer": tf.keras.initializers.serialize(self.bias_initializer),
        "kernel_regularizer": tf.keras.regularizers.serialize(self.kernel_regularizer),
        "bias_regularizer": tf.keras.regularizers.serialize(self.bias_regularizer),
    }

  def _add_kernel(self, name: str, shape) -> tf.Variable:
    return self.add_weight(name=name, shape=shape, initializer=fresh(self.kernel_initializer),
                           regularizer=self.kernel_regularizer, trainable=True)

  def _add_bias(self, name: str, shape):
    if not self.use_bias:
      return None
    return self.add_weight(name=name, shape=shape, initializer=fresh(self.bias_initializer),
                           regularizer=self.bias_regularizer, trainable=True)


def unpack_ego_inputs(cls: str, inputs, *, with_relations: bool = False,
                      edge_features: bool = False):
  """(x, neighbors, mask, relations) of an Ego conv's inputs tuple.

  Ego convs take `(x, neighbors)` or `(x, neighbors, mask)`; those with
  relations take `(x, neighbors, mask, relations)`, whose last slot holds edge
  features [..., k, F] for convs that take them (`edge_features`). A missing
  mask means every neighbor is real.
  """
  allowed = (4,) if with_relations else (2, 3)
  if not isinstance(inputs, (tuple, list)) or len(inputs) not in allowed:
    what = ("(x, neighbors) or (x, neighbors, mask)" if not with_relations else
            "(x, neighbors, mask, edge_features)" if edge_features else
            "(x, neighbors, mask, relations)")
    got = f"a {len(inputs)}-tuple" if isinstance(inputs, (tuple, list)) else type(inputs).__name__
    raise ValueError(f"{cls}: inputs must be {what}, got {got}")
  x, neighbors = inputs[0], inputs[1]
  mask = inputs[2] if len(inputs) > 2 else None
  relations = inputs[3] if len(inputs) > 3 else None
  return x, neighbors, mask, relations


def ego_dims(cls: str, input_shape, *, with_relations: bool = False,
             edge_features: bool = False):
  """(self dim, neighbor dim) from an Ego conv's input shapes, all checked.

  x is [..., D_self], neighbors [..., k, D_nbr] (one more axis than x, same
  leading axes), mask and relations [..., k]; with `edge_features` the
  relations slot holds edge features [..., k, F] of a known F.
  """
  x_shape, n_shape, m_shape, r_shape = unpack_ego_inputs(
      cls, input_shape, with_relations=with_relations, edge_features=edge_features)
  x_shape, n_shape = tf.TensorShape(x_shape), tf.TensorShape(n_shape)
  d_self = feature_dim(cls, "x (inputs[0])", x_shape)
  d_nbr = feature_dim(cls, "neighbors (inputs[1])", n_shape)
  if x_shape.rank < 2 or n_shape.rank != x_shape.rank + 1:
    raise ValueError(
        f"{cls}: neighbors (inputs[1]) must have shape [..., k, D] with one more axis than "
        f"x (inputs[0]) [..., D] (x at least [B, D]), got x {x_shape} and neighbors {n_shape}")
  if not x_shape[:-1].is_compatible_with(n_shape[:-2]):
    raise ValueError(f"{cls}: x (inputs[0]) {x_shape} and neighbors (inputs[1]) {n_shape} "
                     "have different leading dimensions")
  if edge_features:
    if r_shape is None:
      raise ValueError(f"{cls}: edge_features (inputs[3]) must not be None")
    e_shape = tf.TensorShape(r_shape)
    feature_dim(cls, "edge_features (inputs[3])", e_shape)
    if e_shape.rank != n_shape.rank or not e_shape[:-1].is_compatible_with(n_shape[:-1]):
      raise ValueError(f"{cls}: edge_features (inputs[3]) must have shape "
                       f"{n_shape[:-1].concatenate([None])} (one row of F features per neighbor), "
                       f"got {e_shape}")
    r_shape = None
  for what, shape in (("mask (inputs[2])", m_shape), ("relations (inputs[3])", r_shape)):
    if shape is not None and not tf.TensorShape(shape).is_compatible_with(n_shape[:-1]):
      raise ValueError(f"{cls}: {what} must have shape {n_shape[:-1]} (neighbors without "
                       f"the feature axis), got {tf.TensorShape(shape)}")
  return d_self, d_nbr


def neighbor_mask(neighbors: tf.Tensor, mask) -> tf.Tensor:
  """The bool mask [..., k] of neighbors [..., k, D] (all True when None)."""
  if mask is None:
    return tf.ones(tf.shape(neighbors)[:-1], tf.bool)
  return tf.cast(mask, tf.bool)


def unpack_subgraph_inputs(cls: str, inputs, *, edge_features: bool = False):
  """(x, edge_index) of a SubGraph conv's inputs, with static checks; with
  `edge_features` (x, edge_index, edge_features)."""
  size, what = (3, "(x, edge_index, edge_features)") if edge_features else (2, "(x, edge_index)")
  if not isinstance(inputs, (tuple, list)) or len(inputs) != size:
    got = f"a {len(inputs)}-tuple" if isinstance(inputs, (tuple, list)) else type(inputs).__name__
    raise ValueError(f"{cls}: inputs must be {what}, got {got}")
  return tuple(inputs)


def is_node_pair(x) -> bool:
  """True when a SubGraph conv's x (or its shape) is a (x_src, x_dst) pair of node sets.

  A shape given as a tuple of dims ((None, 16)) holds ints or None; a pair
  holds two tensors or shapes.
  """
  return (isinstance(x, (tuple, list)) and len(x) == 2 and
          not any(p is None or isinstance(p, int) for p in x))


def _node_features_dim(cls: str, what: str, shape) -> int:
  shape = tf.TensorShape(shape)
  if shape.rank != 2:
    raise ValueError(f"{cls}: {what} must be node features [N, D], got shape {shape}")
  return feature_dim(cls, what, shape)


def subgraph_dims(cls: str, input_shape, *, edge_features: bool = False
                  ) -> tuple[int, int, bool]:
  """(sender dim, receiver dim, bipartite) of a SubGraph conv's input shapes.

  x is node features [N, D] (senders and receivers are one node set), or a
  pair (x_src [N_src, D_src], x_dst [N_dst, D_dst]) of the senders' and the
  receivers' node sets (bipartite); edge_index is [2, E]; with `edge_features`
  the inputs also hold edge features [E, F] (see `subgraph_edge_dim`).
  """
  x_shape, e_shape = unpack_subgraph_inputs(cls, input_shape, edge_features=edge_features)[:2]
  e_shape = tf.TensorShape(e_shape)
  if is_node_pair(x_shape):
    d_src = _node_features_dim(cls, "x_src (inputs[0][0])", x_shape[0])
    d_dst = _node_features_dim(cls, "x_dst (inputs[0][1])", x_shape[1])
    dims = (d_src, d_dst, True)
  else:
    d = _node_features_dim(cls, "x (inputs[0])", x_shape)
    dims = (d, d, False)
  if not e_shape.is_compatible_with([2, None]):
    raise ValueError(f"{cls}: edge_index (inputs[1]) must have shape [2, E] (rows src, dst), "
                     f"got {e_shape}")
  return dims


def subgraph_edge_dim(cls: str, input_shape) -> int:
  """F of a SubGraph conv's edge features [E, F] (inputs (x, edge_index, edge_features))."""
  shape = tf.TensorShape(unpack_subgraph_inputs(cls, input_shape, edge_features=True)[2])
  if shape.rank != 2:
    raise ValueError(f"{cls}: edge_features (inputs[2]) must be [E, F], got shape {shape}")
  return feature_dim(cls, "edge_features (inputs[2])", shape)


def check_edge_dim(layer, edge_features):
  """ValueError if a conv gets edge features of another width than it was built for."""
  built = getattr(layer, "_edge_dim", None)
  got = edge_features.shape[-1]
  if built is not None and got is not None and got != built:
    raise ValueError(f"{type(layer).__name__} {layer.name!r} was built for edge features of "
                     f"dim {built} but got shape {edge_features.shape}")


def serialize_layer(layer: tf.keras.layers.Layer) -> dict:
  """The Keras config of a nested layer (for get_config of layers that hold layers)."""
  return tf.keras.layers.serialize(layer)


def deserialize_layer(config: dict) -> tf.keras.layers.Layer:
  """The inverse of `serialize_layer`, in every saving format.

  Legacy loaders (HDF5, SavedModel) look nested layers up by class name only;
  registered classes are passed to them by their registered name.
  """
  custom_objects = {}
  registered = config.get("registered_name") if isinstance(config, dict) else None
  if registered:
    cls = tf.keras.utils.get_registered_object(registered)
    if cls is not None:
      custom_objects[config["class_name"]] = cls
  return tf.keras.layers.deserialize(config, custom_objects=custom_objects)


def check_call_dims(layer, x: tf.Tensor, neighbors: tf.Tensor):
  """ValueError if an Ego conv is called with feature dims other than it was built for.

  A conv shared by several hop pairs (EgoLayer(conv)) must see the same dims at
  every pair; heterogeneous hops need one conv per pair (EgoLayer(convs=...)).
  """
  built = getattr(layer, "_ego_dims", None)
  got = (x.shape[-1], neighbors.shape[-1])
  if built is not None and None not in got and tuple(got) != built:
    raise ValueError(
        f"{type(layer).__name__} {layer.name!r} was built for feature dims {built[0]} (x) and "
        f"{built[1]} (neighbors) but got {got[0]} and {got[1]}; a conv shared by hop pairs "
        "needs the same dims at every pair: use EgoLayer(convs=[...]), one per pair")


def check_subgraph_dim(layer, x):
  """ValueError if a SubGraph conv gets node features of other dims than it was built for.

  `x` is node features [N, D] or a (x_src, x_dst) pair; the conv must get the
  same form it was built for.
  """
  built = getattr(layer, "_feature_dim", None)
  if built is None:
    return
  cls = type(layer).__name__
  pair = is_node_pair(x)
  if pair != isinstance(built, tuple):
    want, got = (("a (x_src, x_dst) pair", "one node set x") if not pair
                 else ("one node set x", "a (x_src, x_dst) pair"))
    raise ValueError(f"{cls} {layer.name!r} was built for {want} but inputs[0] is {got}")
  if pair:
    got = (x[0].shape[-1], x[1].shape[-1])
    if None not in got and tuple(got) != built:
      raise ValueError(f"{cls} {layer.name!r} was built for node features of dims {built[0]} "
                       f"(x_src) and {built[1]} (x_dst) but got shapes {x[0].shape} and "
                       f"{x[1].shape}")
  elif x.shape[-1] is not None and x.shape[-1] != built:
    raise ValueError(f"{cls} {layer.name!r} was built for node features of "
                     f"dim {built} but x (inputs[0]) has shape {x.shape}")
