"""`HeteroFeatureEncoder`: feature encoders of several node types, sharing tables."""
from __future__ import annotations

from typing import Mapping, Optional

import tensorflow as tf

from tfgle.features import specs as specs_lib
from tfgle.features.feature_encoder import FeatureEncoder, _layer_name


@tf.keras.utils.register_keras_serializable(package="tfgle")
class HeteroFeatureEncoder(tf.keras.layers.Layer):
  """One `FeatureEncoder` per node type, with embedding tables shared by name.

  A feature whose spec names a `table` shares that table with every feature,
  of any node type, that names it too (e.g. a "city" vocabulary of users and
  items, or one id table for two node types with the same ids); features
  without one get a table of their own. Each node type has its own projection
  to `output_dim`. In a heterogeneous EgoGraph every hop is encoded with the
  encoder of its node type.

  Example:
    encoder = tfgle.features.HeteroFeatureEncoder({
        "user": {"city": categorical(vocab=cities, embedding_dim=8, table="city")},
        "item": {"city": categorical(vocab=cities, embedding_dim=8, table="city"),
                 "price": numeric()},
    }, output_dim=32)
    h0 = encoder(batch["hop0"], node_type="user")   # [B, 32]
    h1 = encoder(batch["hop1"], node_type="item")   # [B, k1, 32]

  Args:
    node_features: node type -> {feature name -> spec}, as FeatureEncoder's
      `features`.
    output_dim, activation, raw, use_bias, embeddings_initializer,
    embeddings_regularizer, kernel_initializer, kernel_regularizer,
    bias_initializer, bias_regularizer: as in FeatureEncoder, for every type.

  Call args:
    inputs: one hop's features (a dict), as FeatureEncoder takes them.
    node_type: the node type of those features.

  Call returns:
    [L..., output_dim] (without output_dim: the type's concatenated width).

  Raises:
    ValueError: no node types, a bad spec, a shared table with different sizes,
      an unknown node type at call.
  """

  def __init__(self, node_features: Mapping[str, Mapping[str, specs_lib.SpecLike]], *,
               output_dim: Optional[int] = None, activation=None, raw: bool = False,
               use_bias: bool = True, embeddings_initializer="uniform",
               embeddings_regularizer=None, kernel_initializer="glorot_uniform",
               kernel_regularizer=None, bias_initializer="zeros", bias_regularizer=None,
               **kwargs):
    super().__init__(**kwargs)
    cls = type(self).__name__
    if not isinstance(node_features, Mapping) or not node_features:
      raise ValueError(f"{cls}: node_features must be a non-empty dict node type -> feature "
                       f"specs, got {node_features!r}")
    checked = {}
    for node_type, features in node_features.items():
      if not isinstance(node_type, str) or not node_type:
        raise ValueError(f"{cls}: node types must be non-empty strings, got {node_type!r}")
      if not isinstance(features, Mapping) or not features:
        raise ValueError(f"{cls}: node_features[{node_type!r}] must be a non-empty dict of "
                         f"feature specs, got {features!r}")
      checked[node_type] = {name: specs_lib.check(name, spec) for name, spec in features.items()}
    object.__setattr__(self, "_node_features", checked)
    object.__setattr__(self, "_encoder_args", dict(
        output_dim=output_dim, activation=activation, raw=raw, use_bias=use_bias,
        embeddings_initializer=embeddings_initializer,
        embeddings_regularizer=embeddings_regularizer, kernel_initializer=kernel_initializer,
        kernel_regularizer=kernel_regularizer, bias_initializer=bias_initializer,
        bias_regularizer=bias_regularizer))
    embeddings_initializer = tf.keras.initializers.get(embeddings_initializer)
    embeddings_regularizer = tf.keras.regularizers.get(embeddings_regularizer)

    # Global table name -> (rows, dim) and the first feature that wants it.
    sizes, first = {}, {}
    per_type_keys = {}
    for node_type, features in checked.items():
      keys = {}
      for name, spec in features.items():
        if not specs_lib.has_table(spec):
          continue
        local = FeatureEncoder.table_name(name, spec)
        key = spec.table or f"{node_type}.{name}"
        size = (specs_lib.table_rows(spec), spec.embedding_dim)
        if key in sizes and sizes[key] != size:
          raise ValueError(
              f"{cls}: node_features[{node_type!r}][{name!r}] and {first[key]} share table "
              f"{key!r} but need {size} and {sizes[key]} (rows, embedding_dim)")
        sizes.setdefault(key, size)
        first.setdefault(key, f"node_features[{node_type!r}][{name!r}]")
        keys[local] = key
      per_type_keys[node_type] = keys
    tables = {key: tf.keras.layers.Embedding(
        rows, dim,
        embeddings_initializer=embeddings_initializer.__class__.from_config(
            embeddings_initializer.get_config()),
        embeddings_regularizer=embeddings_regularizer, name=_layer_name(f"{key}_embedding"))
                   for key, (rows, dim) in sizes.items()}
    encoders = {
        node_type: FeatureEncoder(
            features, _shared_tables={local: tables[key]
                                      for local, key in per_type_keys[node_type].items()},
            name=_layer_name(f"{node_type}_encoder"), **self._encoder_args)
        for node_type, features in checked.items()}
    # Tracked as lists: SavedModel paths split tracked dict keys at dots.
    object.__setattr__(self, "_table_names", list(tables))
    self._table_layers = list(tables.values())
    self._encoder_layers = list(encoders.values())

  @property
  def tables(self) -> dict:
    """Table name -> Embedding; default tables are named "<node type>.<feature>"."""
    return dict(zip(self._table_names, self._table_layers))

  @property
  def encoders(self) -> dict:
    """Node type -> its FeatureEncoder."""
    return dict(zip(self._node_features, self._encoder_layers))

  @property
  def node_features(self) -> dict:
    return self._node_features

  @property
  def node_types(self) -> list:
    return list(self._node_features)

  def __getitem__(self, node_type: str) -> FeatureEncoder:
    """The encoder of `node_type` (its tables are shared with the others)."""
    if node_type not in self._node_features:
      raise ValueError(f"{type(self).__name__}: unknown node_type {node_type!r}; the node "
                       f"types are {self.node_types}")
    return self.encoders[node_type]

  def output_dim(self, node_type: str) -> int:
    return self[node_type].output_dim

  def build(self, input_shape=None):
    for encoder in self.encoders.values():
      if not encoder.built:
        with tf.name_scope(encoder.name):
          encoder.build(None)
    super().build(input_shape)

  def call(self, inputs, node_type: str = None, training=None):
    if node_type is None:
      raise ValueError(f"{type(self).__name__}: call with node_type=, one of {self.node_types}")
    return self[node_type](inputs, training=training)

  def as_raw(self, name: Optional[str] = None) -> "HeteroFeatureEncoder":
    """A raw=True twin with this encoder's (current) weights, for serving."""
    if not self.built:
      self.build(None)
    twin = type(self).from_config(dict(self.get_config(), raw=True, name=name or self.name))
    twin.build(None)
    for key, table in self.tables.items():
      twin.tables[key].set_weights(table.get_weights())
    for node_type, encoder in self.encoders.items():
      if encoder.projection is not None:
        twin.encoders[node_type].projection.set_weights(encoder.projection.get_weights())
    return twin

  def get_config(self):
    config = super().get_config()
    args = dict(self._encoder_args)
    for key in ("embeddings_initializer", "kernel_initializer", "bias_initializer"):
      args[key] = tf.keras.initializers.serialize(tf.keras.initializers.get(args[key]))
    for key in ("embeddings_regularizer", "kernel_regularizer", "bias_regularizer"):
      args[key] = tf.keras.regularizers.serialize(tf.keras.regularizers.get(args[key]))
    args["activation"] = tf.keras.activations.serialize(
        tf.keras.activations.get(args["activation"]))
    config.update({"node_features": {t: {n: s.get_config() for n, s in f.items()}
                                     for t, f in self._node_features.items()}, **args})
    return config
