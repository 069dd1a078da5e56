"""Machinery shared by the models of the zoo (private).

Every model of the zoo is a Keras model built from plain, JSON-serializable
arguments (feature specs, layer sizes), so that `get_config`/`from_config`
rebuild it exactly and it saves in the SavedModel and Keras formats. Models
create their weights from their configuration alone (`build` runs one forward
pass on a tiny dummy batch made from the feature specs), which is what the
loaders of both formats need.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

import tensorflow as tf

from tfgle.features import FeatureEncoder, HeteroFeatureEncoder
from tfgle.features import specs as specs_lib
from tfgle.layers import aggregation


def check_positive_int(cls: str, name: str, value: Any) -> int:
  if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
    raise ValueError(f"{cls}: {name} must be a positive int, got {value!r}")
  return value


def check_dims(cls: str, name: str, value: Any) -> list[int]:
  """A non-empty list of positive ints (layer widths)."""
  if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)) or not value or any(
      isinstance(v, bool) or not isinstance(v, int) or v <= 0 for v in value):
    raise ValueError(f"{cls}: {name} must be a non-empty list of positive ints (one width per "
                     f"layer), got {value!r}")
  return [int(v) for v in value]


def check_input_dict(cls: str, inputs: Any, required: Sequence[str], expected: str) -> None:
  """Raises ValueError ("{cls}: inputs must be {expected}, got ...") unless `inputs` is a dict
  with every key of `required`."""
  if not isinstance(inputs, Mapping) or any(key not in inputs for key in required):
    keys = sorted(inputs) if isinstance(inputs, Mapping) else type(inputs).__name__
    raise ValueError(f"{cls}: inputs must be {expected}, got {keys}")


def check_rate(cls: str, name: str, value: Any) -> float:
  if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
    raise ValueError(f"{cls}: {name} must be a float in [0, 1), got {value!r}")
  return float(value)


def graph_features(graph, node_type: str, *, multi_hot: Sequence[str] = (),
                   normalize: bool = False, embedding_dim: int = 16,
                   id_embedding_dim: Optional[int] = None, include=None, exclude=(),
                   string_buckets: Optional[int] = None) -> dict:
  """Feature specs of `node_type` in a built graph, ready for tfgle batches.

  As `FeatureEncoder.from_graph`, except that an id embedding (given
  `id_embedding_dim`, or for a node type without attributes) reads the batch's
  dense "index" entry, so it embeds every node by its own row.
  """
  encoder = FeatureEncoder.from_graph(
      graph, node_type, embedding_dim=embedding_dim, normalize=normalize,
      string_buckets=string_buckets, include=include, exclude=exclude, multi_hot=multi_hot)
  features = {name: spec for name, spec in encoder.features.items()
              if not isinstance(spec, specs_lib.IdSpec)}
  if id_embedding_dim or not features:
    width = id_embedding_dim or embedding_dim
    name = "index" if "index" not in features else "index_embedding"
    features[name] = specs_lib.node_id(embedding_dim=width,
                                       num_ids=max(graph.num_nodes(node_type), 1), key="index")
  return features


def _dummy_value(spec: specs_lib.FeatureSpec, lead: list[int], raw: bool) -> tf.Tensor:
  """A zero input of one feature with leading shape `lead`."""
  if isinstance(spec, specs_lib.NumericSpec):
    return tf.zeros(lead + ([spec.dim] if spec.dim else []), tf.float32)
  if isinstance(spec, specs_lib.IdSpec):
    return tf.zeros(lead, tf.int64)
  if isinstance(spec, specs_lib.TextSpec):
    return tf.fill(lead, "")
  raw = raw or spec.raw_input
  if raw and spec.dtype == "string":
    value = tf.fill(lead, "")
  else:
    value = tf.zeros(lead, tf.int64)
  if spec.multivalued:
    value = tf.RaggedTensor.from_tensor(value[..., tf.newaxis], ragged_rank=len(lead))
  return value


def input_key(name: str, spec: specs_lib.FeatureSpec) -> str:
  """The batch entry a feature reads: its name, or an id feature's `key`."""
  return spec.key if isinstance(spec, specs_lib.IdSpec) else name


def dummy_inputs(features: Mapping[str, specs_lib.FeatureSpec], lead: list[int], raw: bool) -> dict:
  """A dict of zero inputs of every feature (by input key) with leading shape `lead`."""
  return {input_key(name, spec): _dummy_value(spec, lead, raw) for name, spec in features.items()}


def node_inputs(hop: Mapping[str, Any], features: Mapping[str, specs_lib.FeatureSpec], *,
                keep: Sequence[str] = ()) -> dict:
  """The entries of `hop` that `features` read (and those in `keep`), with the numeric
  features of its padding (hop["mask"] False) set to 0 (see `zero_padding`)."""
  keys = {input_key(name, spec) for name, spec in features.items()}.union(keep)
  return zero_padding({k: v for k, v in hop.items() if k in keys}, features, hop.get("mask"))


def zero_padding(inputs: Mapping[str, Any], features: Mapping[str, specs_lib.FeatureSpec],
                 mask: Optional[tf.Tensor]) -> dict:
  """`inputs` with the numeric features of padding entries (mask False) set to 0.

  Padding then never reaches a weight, not even through a projection's
  gradient (0 * NaN would poison it).
  """
  if mask is None:
    return dict(inputs)
  mask = tf.cast(mask, tf.bool)
  out = dict(inputs)
  for name, spec in features.items():
    if not isinstance(spec, specs_lib.NumericSpec) or name not in out:
      continue
    value = tf.convert_to_tensor(out[name])
    out[name] = aggregation.where_rows(mask, value, tf.zeros_like(value))
  return out


def link_scores(src: tf.Tensor, dst: tf.Tensor, neg: tf.Tensor) -> tf.Tensor:
  """Dot-product scores [B, 1 + N]: column 0 the positive pair, then the negatives."""
  pos = tf.reduce_sum(src * dst, axis=-1, keepdims=True)
  if neg.shape.rank == 2:
    neg = neg[:, tf.newaxis, :]
  return tf.concat([pos, tf.einsum("bd,bnd->bn", src, neg)], axis=1)


@tf.keras.utils.register_keras_serializable(package="tfgle")
class LinkPredictionLoss(tf.keras.losses.Loss):
  """Sigmoid cross-entropy of link scores [B, 1 + N]: column 0 positive, the rest negative.

  Per row: xent(1, pos) + mean_n xent(0, neg_n); y_true is ignored. The
  default loss of the zoo's models without num_classes (see ZooModel.compile).
  """

  def __init__(self, name: str = "link_prediction_loss", **kwargs):
    super().__init__(name=name, **kwargs)

  def call(self, y_true, y_pred):
    pos, neg = y_pred[:, 0], y_pred[:, 1:]
    pos_loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.ones_like(pos), logits=pos)
    neg_loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.zeros_like(neg), logits=neg)
    return pos_loss + tf.reduce_mean(neg_loss, axis=-1)


# Classification heads: a Dense layer on the embeddings, or a last convolution
# whose width is the number of classes (as in the GCN and GAT papers).
HEADS = ("dense", "conv")


def is_link_batch(batch) -> bool:
  return isinstance(batch, Mapping) and set(batch) == {"src", "dst", "neg"}


def _with_link_labels(data):
  """Link batches come without labels: give them dummy ones (LinkPredictionLoss
  ignores them) so that Keras' train and test steps accept them."""
  x, y, sample_weight = tf.keras.utils.unpack_x_y_sample_weight(data)
  if y is not None or not is_link_batch(x):
    return data
  hop0 = x["src"]["hop0"]
  batch_size = tf.shape(hop0["mask"])[:1] if "mask" in hop0 else leading_size(hop0)
  return tf.keras.utils.pack_x_y_sample_weight(x, tf.zeros(batch_size), sample_weight)


class ZooModel(tf.keras.Model):
  """Base of the zoo: config plumbing, building from config, link mode, as_raw.

  Subclasses implement `_embed(batch, training, dedupe)` (the last layer's
  output for the seeds), `_make_conv`, `_dummy_batch()` (a tiny batch that
  exercises every weight) and `_model_config()` (their own arguments).
  """

  def __init__(self, *, hidden_dims: Sequence[int], num_classes: Optional[int] = None,
               head: str = "dense", encoder_dim: Optional[int] = None, activation="relu",
               dropout: float = 0.0, normalize: bool = False, kernel_regularizer=None,
               raw: bool = False, **kwargs):
    super().__init__(**kwargs)
    cls = type(self).__name__
    self.num_classes = (None if num_classes is None
                        else check_positive_int(cls, "num_classes", num_classes))
    if head not in HEADS:
      raise ValueError(f"{cls}: head must be one of {list(HEADS)}, got {head!r}")
    if head == "conv" and self.num_classes is None:
      raise ValueError(f"{cls}: head='conv' makes the last convolution output the logits, so "
                       "it needs num_classes")
    self.head_kind = head
    self.hidden_dims = check_dims(cls, "hidden_dims", hidden_dims)
    self.layer_dims = self._layer_widths(self.hidden_dims)
    self.encoder_dim = (None if encoder_dim is None
                        else check_positive_int(cls, "encoder_dim", encoder_dim))
    self.activation = tf.keras.activations.get(activation)
    self.dropout = check_rate(cls, "dropout", dropout)
    self.normalize = bool(normalize)
    self.kernel_regularizer = tf.keras.regularizers.get(kernel_regularizer)
    self.raw = bool(raw)
    self._head_dropout = tf.keras.layers.Dropout(self.dropout)
    self.head = None
    if self.num_classes is not None and head == "dense":
      self.head = tf.keras.layers.Dense(self.num_classes,
                                        kernel_regularizer=self.kernel_regularizer, name="head")

  # ------------------------------------------------------------------ API

  @tf.autograph.experimental.do_not_convert
  def embed(self, batch, training=False) -> tf.Tensor:
    """Node embeddings of the batch's seed nodes, [B, embedding_dim].

    Without num_classes: the last layer's output (signed: link scores need
    that). With head="dense": the same after the activation (what the head
    sees). With head="conv": the seeds' representation entering the last
    convolution (after the activation), i.e. of the hidden layers.
    L2-normalized with normalize=True.
    """
    if not self.built:
      self.build(None)
    if self.head_kind == "conv":
      out = self.activation(self._embed(batch, training=training, depth=self.num_layers - 1))
    else:
      out = self._embed(batch, training=training)
      if self.head is not None:
        out = self.activation(out)
    if self.normalize:
      out = tf.math.l2_normalize(out, axis=-1)
    return out

  # The zoo's code has no data-dependent Python control flow: AutoGraph would
  # only cost (seconds of) conversion time when Keras traces the model.
  @tf.autograph.experimental.do_not_convert
  def call(self, inputs, training=None):
    """Logits [B, num_classes]; embeddings [B, D] without num_classes; link scores
    [B, 1 + N] for a {"src", "dst", "neg"} batch (see LinkPredictionLoss)."""
    if is_link_batch(inputs):
      return link_scores(self.embed(inputs["src"], training=training),
                         self.embed(inputs["dst"], training=training),
                         self.embed(inputs["neg"], training=training))
    if self.head_kind == "conv" and self.num_classes is not None:
      return self._embed(inputs, training=training)  # the last convolution's logits
    out = self.embed(inputs, training=training)
    if self.head is None:
      return out
    return self.head(self._head_dropout(out, training=training))

  def compile(self, optimizer="rmsprop", loss=None, **kwargs):
    """As Keras' compile; a model without num_classes defaults to LinkPredictionLoss."""
    if loss is None and self.num_classes is None:
      loss = LinkPredictionLoss()
    super().compile(optimizer=optimizer, loss=loss, **kwargs)

  def train_step(self, data):
    return super().train_step(_with_link_labels(data))

  def test_step(self, data):
    return super().test_step(_with_link_labels(data))

  def as_raw(self) -> "ZooModel":
    """A twin whose encoder takes raw categorical values, with this model's weights.

    For serving: the twin maps raw features (strings or raw ints, looked up by
    the vocabularies in the feature specs) to the same outputs.
    """
    if not self.built:
      self.build(None)
    twin = type(self).from_config(dict(self.get_config(), raw=True))
    twin.build(None)
    twin.set_weights(self.get_weights())
    return twin

  # ------------------------------------------------------------------ Keras

  def build(self, input_shape=None):
    """Creates every weight from the configuration (input shapes are not needed)."""
    if self.built:
      return
    # Built from a dummy batch: the sizes all follow from the feature specs.
    out = self._embed(self._dummy_batch(), training=False, dedupe=False)
    if self.head is not None:
      self.head(out)
    self.built = True

  def get_build_config(self):
    return {"from_config": True}

  def build_from_config(self, config):
    self.build(None)

  def get_config(self):
    return {
        "name": self.name,
        "num_classes": self.num_classes,
        "head": self.head_kind,
        "hidden_dims": list(self.hidden_dims),
        "encoder_dim": self.encoder_dim,
        "activation": tf.keras.activations.serialize(self.activation),
        "dropout": self.dropout,
        "normalize": self.normalize,
        "kernel_regularizer": tf.keras.regularizers.serialize(self.kernel_regularizer),
        "raw": self.raw,
        **self._model_config(),
    }

  @classmethod
  def from_config(cls, config):
    # Built right away: every weight follows from the config, and the legacy
    # SavedModel loader revives only models that are built (or that recorded
    # their input shapes, which a model built by build() has not).
    model = cls(**config)
    model.build()
    return model

  # ------------------------------------------------------------ subclasses

  @property
  def embedding_dim(self) -> int:
    """The width of `embed`'s output: the last hidden layer's."""
    return self.hidden_dims[-1]

  @property
  def num_layers(self) -> int:
    """The number of convolution layers (levels), the logits' one included."""
    return len(self.layer_dims)

  def _layer_widths(self, hidden_dims) -> list[int]:
    """The widths of the convolutions: hidden_dims, then num_classes with head="conv"."""
    return list(hidden_dims) + ([self.num_classes] if self.head_kind == "conv" else [])

  def _make_conv(self, units: int, logits: bool) -> tf.keras.layers.Layer:
    """A convolution of width `units`; `logits`: the last one of head="conv"."""
    raise NotImplementedError

  def _embed(self, batch, training, dedupe=None, depth=None):
    """The seeds' output of the first `depth` layers (default: all); dedupe=False
    runs every layer on every batch entry (how `build` reaches every weight)."""
    raise NotImplementedError

  def _dummy_batch(self):
    raise NotImplementedError

  def _model_config(self) -> dict:
    raise NotImplementedError


class AttentionArgs:
  """The attention arguments of the GAT models (a mixin of ZooModel subclasses)."""

  def _init_attention(self, *, heads: int, concat_heads: bool, attention_dropout: float,
                      negative_slope: float):
    cls = type(self).__name__
    self.heads = check_positive_int(cls, "heads", heads)
    self.concat_heads = bool(concat_heads)
    self.attention_dropout = check_rate(cls, "attention_dropout", attention_dropout)
    if isinstance(negative_slope, bool) or not isinstance(negative_slope, (int, float)) or (
        negative_slope < 0):
      raise ValueError(f"{cls}: negative_slope must be a float >= 0, got {negative_slope!r}")
    self.negative_slope = float(negative_slope)

  def _attention_conv_args(self, logits: bool) -> dict:
    # The logits' layer averages its heads (as the GAT paper's output layer).
    return dict(heads=self.heads, concat_heads=self.concat_heads and not logits,
                attention_dropout=self.attention_dropout, negative_slope=self.negative_slope,
                kernel_regularizer=self.kernel_regularizer)

  @property
  def embedding_dim(self) -> int:
    return self.hidden_dims[-1] * (self.heads if self.concat_heads else 1)

  def _attention_config(self) -> dict:
    return {"heads": self.heads, "concat_heads": self.concat_heads,
            "attention_dropout": self.attention_dropout, "negative_slope": self.negative_slope}


def make_encoder(cls: str, features, node_types, *, raw: bool, regularizer):
  """A FeatureEncoder (homogeneous) or a HeteroFeatureEncoder (with node_types).

  No projection: the models project (after dropout) themselves. `regularizer`
  applies to the embedding tables.
  """
  if node_types is None:
    if not isinstance(features, Mapping) or not features:
      raise ValueError(f"{cls}: features must be a non-empty dict feature name -> spec, got "
                       f"{features!r}")
    return FeatureEncoder(features, raw=raw, embeddings_regularizer=regularizer,
                          name="encoder")
  if not isinstance(features, Mapping) or not features:
    raise ValueError(f"{cls}: with node_types, features must be a dict node type -> feature "
                     f"specs, got {features!r}")
  missing = sorted(set(node_types) - set(features))
  if missing:
    raise ValueError(f"{cls}: node_types {list(node_types)} name types without feature specs: "
                     f"{missing}; features has {sorted(features)}")
  return HeteroFeatureEncoder(features, raw=raw, embeddings_regularizer=regularizer,
                              name="encoder")


def leading_size(inputs: Mapping[str, Any]) -> tf.Tensor:
  """The size of the first axis of a dict of inputs (dense or ragged), int32 [1]."""
  for value in inputs.values():
    if isinstance(value, tf.RaggedTensor):
      return tf.reshape(value.nrows(out_type=tf.int32), [1])
  for value in inputs.values():
    return tf.shape(value)[:1]
  raise ValueError("inputs must not be empty")
