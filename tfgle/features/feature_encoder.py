"""`FeatureEncoder`: a node (or edge) type's attributes -> one dense vector."""
from __future__ import annotations

import re
from typing import Mapping, Optional, Sequence

import numpy as np
import tensorflow as tf

from tfgle.features import specs as specs_lib
from tfgle.graph import schema

# Padding of dense (not ragged) multi-valued inputs: rows are padded at the end.
INT_PADDING = -1
STRING_PADDING = ""


def _layer_name(text: str) -> str:
  return re.sub(r"[^A-Za-z0-9_.\-]", "_", text)


def _unused_token(vocab: Sequence, candidates):
  """The first candidate that is not in `vocab` (Keras rejects an OOV token in it)."""
  taken = set(vocab)
  for candidate in candidates:
    if candidate not in taken:
      return candidate
  raise AssertionError("unreachable: the candidates outnumber the vocabulary")


@tf.keras.utils.register_keras_serializable(package="tfgle")
class FeatureEncoder(tf.keras.layers.Layer):
  """Encodes the features of one node (or edge) type into [..., D].

  Each feature is turned into a vector: numeric ones as they are (optionally
  normalized), categorical ones by an embedding table or as one-/multi-hot
  vectors (multi-valued ones combined with sum, mean or sqrtn), id features by
  an id embedding. The
  vectors are concatenated and, with `output_dim`, projected by a dense layer.
  Works on any leading shape: [B] (hop 0), [B, k1, ..., ki] (hop i).

  In the training graph categorical values are already int64 category ids
  (vocabulary index + 1 with 0 = out of vocabulary, or hash buckets); ids
  outside the table map to 0, so padding or unknown ids never crash. With
  raw=True the encoder first maps raw values (strings or ints) to those same
  ids with Keras `StringLookup`/`IntegerLookup` (one OOV index) or `Hashing`,
  so an exported model can take raw features; `as_raw()` makes such a twin
  with the same weights.

  Example:
    encoder = tfgle.features.FeatureEncoder({
        "price": tfgle.features.numeric(mean=10.0, variance=4.0),
        "tags": tfgle.features.categorical(vocab=["a", "b"], multivalued=True,
                                           embedding_dim=8),
    }, output_dim=32)
    h0 = encoder(batch["hop0"])   # [B, 32]
    h1 = encoder(batch["hop1"])   # [B, k1, 32]: the same tables at every hop
    encoder = tfgle.features.FeatureEncoder.from_graph(graph, "paper", output_dim=64)

  Args:
    features: feature name (its key in the inputs) -> spec (see
      `tfgle.features.specs`: numeric(), categorical(), node_id()), or the
      spec's `get_config()` dict (as in this layer's config).
    output_dim: width of a dense projection of the concatenation, or None.
    activation: activation of the projection.
    raw: inputs hold raw categorical values instead of category ids.
    use_bias: the projection has a bias.
    embeddings_initializer, embeddings_regularizer: of the embedding tables.
    kernel_initializer, kernel_regularizer, bias_initializer,
    bias_regularizer: of the projection.

  Call args:
    inputs: a dict with an entry per feature (extra entries, e.g. "mask", are
      ignored): dense [L...] or [L..., dim] numeric values, int64 ids [L...],
      multi-valued ids as a RaggedTensor [L..., None] (or dense [L..., M]
      padded with -1, "" for raw strings), and for id features the ids [L...].

  Call returns:
    [L..., output_dim] (or [L..., sum of feature widths] without projection).

  Raises:
    ValueError: a bad feature spec (naming the feature and field), tables of
      one name with different sizes, raw=True for a feature without
      vocabulary, inputs without a feature or with the wrong width.
  """

  def __init__(self, features: Mapping[str, specs_lib.SpecLike], *,
               output_dim: Optional[int] = None, activation=None, raw: bool = False,
               use_bias: bool = True, embeddings_initializer="uniform",
               embeddings_regularizer=None, kernel_initializer="glorot_uniform",
               kernel_regularizer=None, bias_initializer="zeros", bias_regularizer=None,
               **kwargs):
    shared_tables = kwargs.pop("_shared_tables", None)
    super().__init__(**kwargs)
    cls = type(self).__name__
    if not isinstance(features, Mapping) or not features:
      raise ValueError(f"{cls}: features must be a non-empty dict of feature specs, "
                       f"got {features!r}")
    for name in features:
      if not isinstance(name, str) or not name:
        raise ValueError(f"{cls}: feature names must be non-empty strings, got {name!r}")
    # A plain (untracked) dict: Keras would wrap a tracked one.
    object.__setattr__(self, "_features", {
        name: specs_lib.check(name, spec) for name, spec in features.items()})
    if output_dim is not None and (isinstance(output_dim, bool) or not isinstance(
        output_dim, int) or output_dim <= 0):
      raise ValueError(f"{cls}: output_dim must be a positive int or None, got {output_dim!r}")
    self._projection_dim = output_dim
    self.activation = tf.keras.activations.get(activation)
    self.raw = bool(raw)
    self.use_bias = bool(use_bias)
    self.embeddings_initializer = tf.keras.initializers.get(embeddings_initializer)
    self.embeddings_regularizer = tf.keras.regularizers.get(embeddings_regularizer)
    self.kernel_initializer = tf.keras.initializers.get(kernel_initializer)
    self.kernel_regularizer = tf.keras.regularizers.get(kernel_regularizer)
    self.bias_initializer = tf.keras.initializers.get(bias_initializer)
    self.bias_regularizer = tf.keras.regularizers.get(bias_regularizer)

    tables = self._make_tables(shared_tables)
    lookups, normalizers, encodings, vectorizers = {}, {}, {}, {}
    for name, spec in self.features.items():
      if isinstance(spec, specs_lib.TextSpec) and spec.vocab:  # (no vocabulary: zeros)
        vectorizers[name] = _text_vectorizer(name, spec)
      categorical = isinstance(spec, specs_lib.CategoricalSpec)
      if categorical and (self.raw or spec.raw_input):
        lookup = self._make_lookup(name, spec)
        if lookup is not None:
          lookups[name] = lookup
      elif isinstance(spec, specs_lib.IdSpec) and spec.num_buckets:
        lookups[name] = tf.keras.layers.Hashing(spec.num_buckets,
                                                name=_layer_name(f"{name}_hashing"))
      if categorical and spec.output == "multi_hot" and spec.multivalued:
        encodings[name] = tf.keras.layers.CategoryEncoding(
            specs_lib.table_rows(spec), output_mode="count", name=_layer_name(f"{name}_count"))
      if isinstance(spec, specs_lib.NumericSpec) and spec.mean is not None:
        normalizers[name] = tf.keras.layers.Normalization(
            mean=_as_list(spec.mean), variance=_as_list(spec.variance),
            name=_layer_name(f"{name}_norm"))
    # Sublayers are tracked in lists: SavedModel paths split tracked dict keys at
    # dots, and feature or table names may contain them.
    object.__setattr__(self, "_names", {"tables": list(tables), "lookups": list(lookups),
                                        "normalizers": list(normalizers),
                                        "encodings": list(encodings),
                                        "vectorizers": list(vectorizers)})
    self._table_layers = list(tables.values())
    self._lookup_layers = list(lookups.values())
    self._normalizer_layers = list(normalizers.values())
    self._encoding_layers = list(encodings.values())
    self._vectorizer_layers = list(vectorizers.values())
    self.concat_dim = sum(specs_lib.output_dim(s) for s in self.features.values())
    self.projection = None
    if output_dim is not None:
      self.projection = tf.keras.layers.Dense(
          output_dim, activation=self.activation, use_bias=self.use_bias,
          kernel_initializer=_fresh(self.kernel_initializer),
          bias_initializer=_fresh(self.bias_initializer),
          kernel_regularizer=self.kernel_regularizer, bias_regularizer=self.bias_regularizer,
          name="projection")

  # ------------------------------------------------------------ construction

  @property
  def features(self) -> dict:
    """Feature name -> its `specs.FeatureSpec`."""
    return self._features

  @property
  def tables(self) -> dict:
    """Table name -> its `tf.keras.layers.Embedding`."""
    return dict(zip(self._names["tables"], self._table_layers))

  @property
  def lookups(self) -> dict:
    """Feature name -> the layer that maps its raw values (or ids) to table rows."""
    return dict(zip(self._names["lookups"], self._lookup_layers))

  @property
  def encodings(self) -> dict:
    """Feature name -> its `tf.keras.layers.CategoryEncoding` (multi-hot multi-values)."""
    return dict(zip(self._names["encodings"], self._encoding_layers))

  @property
  def vectorizers(self) -> dict:
    """Feature name -> its `tf.keras.layers.TextVectorization` (text features)."""
    return dict(zip(self._names["vectorizers"], self._vectorizer_layers))

  @property
  def normalizers(self) -> dict:
    """Feature name -> its `tf.keras.layers.Normalization`."""
    return dict(zip(self._names["normalizers"], self._normalizer_layers))

  @staticmethod
  def table_name(name: str, spec: specs_lib.FeatureSpec) -> str:
    """The table a spec embeds with: its `table`, else the feature name."""
    return getattr(spec, "table", None) or name

  def _make_tables(self, shared_tables):
    sizes = {}
    for name, spec in self.features.items():
      if not specs_lib.has_table(spec):
        continue
      key = self.table_name(name, spec)
      size = (specs_lib.table_rows(spec), spec.embedding_dim)
      if key in sizes and sizes[key][0] != size:
        other = sizes[key][1]
        raise ValueError(
            f"{type(self).__name__}: features[{name!r}] and features[{other!r}] share table "
            f"{key!r} but need {size} and {sizes[key][0]} (rows, embedding_dim)")
      sizes.setdefault(key, (size, name))
    if shared_tables is not None:
      return {key: shared_tables[key] for key in sizes}
    return {key: tf.keras.layers.Embedding(
        rows, dim, embeddings_initializer=_fresh(self.embeddings_initializer),
        embeddings_regularizer=self.embeddings_regularizer,
        name=_layer_name(f"{key}_embedding")) for key, ((rows, dim), _) in sizes.items()}

  def _make_lookup(self, name, spec):
    """The layer mapping raw values of categorical feature `name` to ids."""
    layer_name = _layer_name(f"{name}_lookup")
    if spec.num_buckets is not None:
      return tf.keras.layers.Hashing(spec.num_buckets, name=layer_name)
    if spec.vocab is None:
      raise ValueError(f"{type(self).__name__}: features[{name!r}] has no vocab, so raw "
                       "values cannot be mapped to its ids; give vocab or num_buckets")
    if not spec.vocab:
      return None  # every value is out of vocabulary
    if spec.dtype == "int64":
      oov = _unused_token(spec.vocab, range(-1, -len(spec.vocab) - 3, -1))
      return tf.keras.layers.IntegerLookup(vocabulary=[int(v) for v in spec.vocab],
                                           num_oov_indices=1, oov_token=oov, mask_token=None,
                                           name=layer_name)
    oov = _unused_token(spec.vocab,
                        ["[UNK]"] + [f"[UNK{i}]" for i in range(len(spec.vocab) + 1)])
    return tf.keras.layers.StringLookup(vocabulary=list(spec.vocab), num_oov_indices=1,
                                        oov_token=oov, mask_token=None, name=layer_name)

  @classmethod
  def from_attrs(cls, attrs, *, embedding_dim=16, combiner="mean", stats=None,
                 string_buckets=None, include=None, exclude=(), multi_hot=(),
                 **kwargs) -> "FeatureEncoder":
    """An encoder of a graph's attribute specs; see `specs.from_attrs`."""
    return cls(specs_lib.from_attrs(attrs, embedding_dim=embedding_dim, combiner=combiner,
                                    stats=stats, string_buckets=string_buckets,
                                    include=include, exclude=exclude, multi_hot=multi_hot),
               **kwargs)

  @classmethod
  def from_graph(cls, graph, node_type: Optional[str] = None, *, edge_type=None,
                 embedding_dim=16, combiner: str = "mean", normalize: bool = False,
                 id_embedding_dim: Optional[int] = None, id_buckets: Optional[int] = None,
                 string_buckets: Optional[int] = None, include=None, exclude=(),
                 multi_hot=(), text_output: str = "tf_idf", text_max_tokens: int = 10_000,
                 text_max_length: int = 64, **kwargs) -> "FeatureEncoder":
    """The encoder of a built graph's node type (or edge type).

    Args:
      graph: a built `tfgle.Graph`.
      node_type: the node type; or None with `edge_type`.
      edge_type: an edge type (name or triple), for edge features.
      embedding_dim: width of categorical embeddings (int or per attribute).
      combiner: combiner of multi-valued categorical attributes.
      normalize: normalize numeric node attributes by the graph's mean and
        variance.
      id_embedding_dim: add an id embedding of this width (node types). A
        node type without attributes gets one of width `embedding_dim`
        anyway. It embeds by index when the node ids are 0..N-1, else by hash
        into `id_buckets` (default N) buckets.
      string_buckets, include, exclude, multi_hot: see `specs.from_attrs`.
      text_output, text_max_tokens, text_max_length: how TextAttr attributes
        are vectorized: a vocabulary of text_max_tokens entries learned from
        the graph's texts (`specs.adapt_text`), TF-IDF weights or
        ("embedding") a bag of `embedding_dim`-wide token embeddings.
      **kwargs: FeatureEncoder arguments (output_dim, activation, ...).
    """
    if (node_type is None) == (edge_type is None):
      raise ValueError("from_graph: give exactly one of node_type and edge_type")
    if edge_type is not None:
      if normalize or id_embedding_dim:
        raise ValueError("from_graph: normalize and id_embedding_dim apply to node types")
      attrs = graph.edge_attrs(edge_type)
      stats = None
    else:
      attrs = graph.node_attrs(node_type)
      stats = None
      if normalize:
        tensors = graph.feature_tensors(node_type)
        stats = {}
        for name, attr in attrs.items():
          if isinstance(attr, (schema.FloatAttr, schema.IntAttr)):
            values = tf.cast(tensors[name], tf.float64).numpy()
            values = values.reshape(len(values), -1)
            mean, var = values.mean(0), values.var(0)
            vector = isinstance(attr, schema.FloatAttr) and attr.dim is not None
            stats[name] = ((mean.tolist(), var.tolist()) if vector
                           else (float(mean[0]), float(var[0])))
    names = [n for n in (attrs if include is None else include) if n not in exclude]
    texts = graph_text_specs(graph, node_type, edge_type=edge_type, names=names,
                             output=text_output, max_tokens=text_max_tokens,
                             max_length=text_max_length, embedding_dim=embedding_dim)
    features = specs_lib.from_attrs(attrs, embedding_dim=embedding_dim, combiner=combiner,
                                    stats=stats, string_buckets=string_buckets,
                                    include=include, exclude=exclude, multi_hot=multi_hot,
                                    texts=texts)
    if node_type is not None and (id_embedding_dim or not features):
      width = id_embedding_dim or (embedding_dim if isinstance(embedding_dim, int) else 16)
      num_nodes = graph.num_nodes(node_type)
      ids = graph.node_ids(node_type).numpy()
      if id_buckets is None and np.array_equal(ids, np.arange(num_nodes)):
        spec = specs_lib.node_id(embedding_dim=width, num_ids=max(num_nodes, 1))
      else:
        spec = specs_lib.node_id(embedding_dim=width, num_buckets=id_buckets or max(num_nodes, 1))
      features["ids" if "ids" not in features else "id_embedding"] = spec
    if not features:
      raise ValueError(f"from_graph: edge type {edge_type!r} has no attributes to encode")
    kwargs.setdefault("name", _layer_name(f"{node_type or 'edge'}_encoder"))
    return cls(features, **kwargs)

  def as_raw(self, name: Optional[str] = None) -> "FeatureEncoder":
    """A raw=True twin with this encoder's (current) weights, for serving."""
    if not self.built:
      self.build(None)
    config = dict(self.get_config(), raw=True, name=name or self.name)
    twin = type(self).from_config(config)
    # Raw inputs have the shapes of id inputs; Keras' SavedModel loader rebuilds
    # a layer from its recorded build shape.
    twin.build(getattr(self, "_build_input_shape", None))
    for key, table in self.tables.items():
      twin.tables[key].set_weights(table.get_weights())
    if self.projection is not None:
      twin.projection.set_weights(self.projection.get_weights())
    return twin

  # ------------------------------------------------------------ Keras

  @property
  def output_dim(self) -> int:
    """Width of the encoded vectors."""
    return self._projection_dim if self.projection is not None else self.concat_dim

  def build(self, input_shape):
    # Everything is sized by the specs, not by the inputs. Name scopes keep the
    # weight names unique (HDF5 saving needs that).
    sublayers = [(table, (None,)) for table in self.tables.values()]
    sublayers += [(normalizer, (None, specs_lib.output_dim(self.features[name])))
                  for name, normalizer in self.normalizers.items()]
    if self.projection is not None:
      sublayers.append((self.projection, (None, self.concat_dim)))
    for layer, shape in sublayers:
      if not layer.built:
        with tf.name_scope(layer.name):
          layer.build(shape)
    super().build(input_shape)

  def call(self, inputs, training=None):
    cls = type(self).__name__
    if not isinstance(inputs, Mapping):
      raise ValueError(f"{cls}: inputs must be a dict of feature tensors, got "
                       f"{type(inputs).__name__}")
    parts, leading, static_leading = [], None, None
    for name, spec in self.features.items():
      key = spec.key if isinstance(spec, specs_lib.IdSpec) else name
      if key not in inputs:
        raise ValueError(f"{cls}: inputs have no entry {key!r} for features[{name!r}]; they "
                         f"have {sorted(inputs)}")
      flat, lead, static = self._flatten(name, spec, inputs[key])
      parts.append(self._encode(name, spec, flat))
      if leading is None:
        leading, static_leading = lead, static
    x = parts[0] if len(parts) == 1 else tf.concat(parts, axis=-1)
    if self.projection is not None:
      x = self.projection(x)
    x = tf.reshape(x, tf.concat([leading, [self.output_dim]], 0))
    x.set_shape(static_leading.concatenate([self.output_dim]))
    return x

  def _flatten(self, name, spec, value):
    """(values with leading axes flattened, dynamic leading shape, static one)."""
    cls = type(self).__name__
    if isinstance(spec, specs_lib.CategoricalSpec) and spec.multivalued:
      if isinstance(value, tf.RaggedTensor):
        static = value.shape[:-1]
        if value.shape.rank == 2:
          return value, tf.reshape(value.nrows(out_type=tf.int32), [1]), static
        leading = value.bounding_shape(out_type=tf.int32)[:-1]
        return value.merge_dims(0, -2), leading, static
      value = tf.convert_to_tensor(value)
      if value.shape.rank is not None and value.shape.rank < 2:
        raise ValueError(f"{cls}: features[{name!r}] is multi-valued: give a RaggedTensor "
                         f"[..., None] or a padded tensor [..., M], got shape {value.shape}")
      leading = tf.shape(value)[:-1]
      flat = tf.reshape(value, [-1, tf.shape(value)[-1]])
      padding = STRING_PADDING if value.dtype == tf.string else tf.cast(INT_PADDING, value.dtype)
      return tf.RaggedTensor.from_tensor(flat, padding=padding), leading, value.shape[:-1]
    if isinstance(value, tf.RaggedTensor):
      raise ValueError(f"{cls}: features[{name!r}] is single-valued but got a RaggedTensor")
    value = tf.convert_to_tensor(value)
    if isinstance(spec, specs_lib.NumericSpec) and spec.dim is not None:
      if value.shape.rank is not None and (value.shape.rank == 0 or (
          value.shape[-1] is not None and value.shape[-1] != spec.dim)):
        raise ValueError(f"{cls}: features[{name!r}] has dim={spec.dim}, but its input has "
                         f"shape {value.shape}; expected [..., {spec.dim}]")
      return (tf.reshape(value, [-1, spec.dim]), tf.shape(value)[:-1], value.shape[:-1])
    return tf.reshape(value, [-1]), tf.shape(value), value.shape

  def _ids(self, name, spec, values):
    """Category ids (int64, inside the table) of flat raw values or ids."""
    rows = specs_lib.table_rows(spec)
    if isinstance(spec, specs_lib.IdSpec):
      ids = tf.cast(values, tf.int64)
      if spec.num_buckets:
        return self.lookups[name](ids)
      num_ids = spec.num_ids
      return tf.where((ids >= 0) & (ids < num_ids), ids, tf.cast(num_ids, tf.int64))
    if self.raw or spec.raw_input:
      if name not in self.lookups:  # an empty vocabulary
        return tf.zeros(tf.shape(values), tf.int64)
      if spec.dtype == "string" and spec.num_buckets is None and values.dtype.is_integer:
        values = tf.strings.as_string(values)
      if spec.dtype == "int64" and spec.num_buckets is None and values.dtype.is_integer:
        values = tf.cast(values, tf.int64)
      return tf.cast(self.lookups[name](values), tf.int64)
    if not values.dtype.is_integer:
      raise ValueError(f"{type(self).__name__}: features[{name!r}] needs int category ids "
                       f"(raw=False), got {values.dtype.name} values; use raw=True for raw "
                       "values")
    ids = tf.cast(values, tf.int64)
    return tf.where((ids >= 0) & (ids < rows), ids, tf.zeros_like(ids))

  def _encode(self, name, spec, flat):
    if isinstance(spec, specs_lib.TextSpec):
      return self._encode_text(name, spec, flat)
    if isinstance(spec, specs_lib.NumericSpec):
      x = tf.cast(flat, self.compute_dtype)
      if spec.dim is None:
        x = x[:, tf.newaxis]
      if name in self.normalizers:
        x = self.normalizers[name](x)
      return x
    multivalued = isinstance(spec, specs_lib.CategoricalSpec) and spec.multivalued
    if not specs_lib.has_table(spec):  # multi-hot
      ids = self._ids(name, spec, flat.values if multivalued else flat)
      depth = specs_lib.table_rows(spec)
      if not multivalued:
        return tf.one_hot(ids, depth, dtype=self.compute_dtype)
      total = tf.cast(self.encodings[name](flat.with_values(ids)), self.compute_dtype)
    else:
      table = self.tables[self.table_name(name, spec)]
      if not multivalued:
        return table(self._ids(name, spec, flat))
      # Multi-valued: embed every value, then combine each row's values.
      embedded = table(self._ids(name, spec, flat.values))
      rows = flat.nrows(out_type=tf.int64)
      total = tf.math.unsorted_segment_sum(embedded, flat.value_rowids(), rows)
    if spec.combiner == "sum":
      return total
    count = tf.cast(flat.row_lengths(), total.dtype)[:, tf.newaxis]
    count = tf.maximum(count, 1.0)
    return total / (count if spec.combiner == "mean" else tf.sqrt(count))

  def _encode_text(self, name, spec, flat):
    if flat.dtype != tf.string:
      raise ValueError(f"{type(self).__name__}: features[{name!r}] is text and needs strings, "
                       f"got {flat.dtype.name} values")
    width = specs_lib.output_dim(spec)
    if name not in self.vectorizers:  # an empty vocabulary: nothing to weigh or embed
      return tf.zeros([tf.shape(flat)[0], width], self.compute_dtype)
    tokens = self.vectorizers[name](flat)
    if spec.output == "tf_idf":
      return tf.cast(tokens, self.compute_dtype)
    # An embedding bag: the mean of the text's token embeddings (0 pads, 1 is out of vocabulary).
    embedded = self.tables[self.table_name(name, spec)](tokens)
    present = tf.cast(tokens > 0, embedded.dtype)[..., tf.newaxis]
    count = tf.maximum(tf.reduce_sum(present, axis=1), 1.0)
    return tf.reduce_sum(embedded * present, axis=1) / count

  def get_config(self):
    config = super().get_config()
    config.update({
        "features": {name: spec.get_config() for name, spec in self.features.items()},
        "output_dim": self._projection_dim,
        "activation": tf.keras.activations.serialize(self.activation),
        "raw": self.raw,
        "use_bias": self.use_bias,
        "embeddings_initializer": tf.keras.initializers.serialize(self.embeddings_initializer),
        "embeddings_regularizer": tf.keras.regularizers.serialize(self.embeddings_regularizer),
        "kernel_initializer": tf.keras.initializers.serialize(self.kernel_initializer),
        "kernel_regularizer": tf.keras.regularizers.serialize(self.kernel_regularizer),
        "bias_initializer": tf.keras.initializers.serialize(self.bias_initializer),
        "bias_regularizer": tf.keras.regularizers.serialize(self.bias_regularizer),
    })
    return config


def graph_text_specs(graph, node_type: Optional[str] = None, *, edge_type=None,
                     names: Optional[Sequence[str]] = None, output: str = "tf_idf",
                     max_tokens: int = 10_000, max_length: int = 64,
                     embedding_dim=16) -> dict[str, specs_lib.TextSpec]:
  """Text specs adapted to the texts of a graph's TextAttr attributes (among `names`).

  Args:
    graph: a built tfgle.Graph.
    node_type, edge_type: whose attributes (give one).
    names: the attributes to consider (default: all).
    output, max_tokens, max_length: see specs.adapt_text.
    embedding_dim: output="embedding": the token embeddings' width (an int, or
      per attribute).
  """
  attrs = graph.node_attrs(node_type) if edge_type is None else graph.edge_attrs(edge_type)
  tensors = None
  specs = {}
  for name in (attrs if names is None else names):
    if not isinstance(attrs.get(name), schema.TextAttr):
      continue
    if tensors is None:
      tensors = (graph.feature_tensors(node_type) if edge_type is None
                 else graph.edge_feature_tensors(edge_type))
    dim = embedding_dim.get(name, 16) if isinstance(embedding_dim, Mapping) else embedding_dim
    specs[name] = specs_lib.adapt_text(
        tensors[name], output=output, max_tokens=max_tokens, max_length=max_length,
        embedding_dim=dim if output == "embedding" else None)
  return specs


def _text_vectorizer(name: str, spec: specs_lib.TextSpec):
  """Keras' TextVectorization of a text spec, with its fixed vocabulary."""
  if spec.output == "tf_idf":
    return tf.keras.layers.TextVectorization(
        vocabulary=list(spec.vocab), idf_weights=list(spec.idf), output_mode="tf_idf",
        name=_layer_name(f"{name}_tf_idf"))
  return tf.keras.layers.TextVectorization(
      vocabulary=list(spec.vocab), output_mode="int", output_sequence_length=spec.max_length,
      name=_layer_name(f"{name}_tokens"))


def _as_list(stat):
  """A spec's mean or variance as Normalization takes it (a float or a list)."""
  return list(stat) if isinstance(stat, tuple) else stat


def _fresh(initializer):
  return initializer.__class__.from_config(initializer.get_config())
