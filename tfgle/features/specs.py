"""Feature specs: how one node or edge attribute becomes part of a vector.

A spec is a frozen dataclass, one per kind (`NumericSpec`, `CategoricalSpec`,
`IdSpec`, `TextSpec`, all `FeatureSpec`s), checked when it is built; `get_config()` gives
its JSON-serializable dict (what Keras configs hold) and
`FeatureSpec.from_config` rebuilds it. The builders `numeric`, `categorical`
, `node_id` and `text` (or `adapt_text`, which learns a text vocabulary) make
them, and `from_attrs` derives them from a graph's attribute specs
(`graph.node_attrs(node_type)`). Four kinds:

- numeric: float or int values, a scalar ([...]) or a vector ([..., dim]),
  optionally normalized with a given mean and variance.
- categorical: category ids embedded by a table, or (output="multi_hot") as a
  one-/multi-hot vector over the ids. In the graph, categorical values are
  already int64 ids (vocabulary index + 1 with 0 = out of vocabulary, or hash
  buckets); in raw mode the encoder maps raw values to the same ids first.
  Multi-valued attributes (ragged lists) are embedded (or counted) and
  combined with "sum", "mean" or "sqrtn". A multi-hot bag of words with the
  "mean" combiner is the row-normalized bag of words that GCN and GAT use.
- text: raw strings (TextAttr) vectorized by Keras' TextVectorization with a
  fixed vocabulary: TF-IDF weights over the vocabulary (output="tf_idf"), or
  the mean of trainable token embeddings (output="embedding", an embedding
  bag over the first `max_length` tokens).
- id: an embedding of the node id itself (for featureless node types): by
  index (ids in [0, num_ids), others share one extra out-of-range row) or by
  hash bucket.

Embedding tables are named by `table` (default: the feature's name); features
naming the same table share it (their sizes must agree).
"""
from __future__ import annotations

import contextlib
import dataclasses
from typing import Any, ClassVar, Mapping, Optional, Sequence, Union

from tfgle.graph import schema

NUMERIC = "numeric"
CATEGORICAL = "categorical"
ID = "id"
TEXT = "text"
KINDS = (NUMERIC, CATEGORICAL, ID, TEXT)
TEXT_OUTPUTS = ("tf_idf", "embedding")
COMBINERS = ("sum", "mean", "sqrtn")
OUTPUTS = ("embedding", "multi_hot")
DTYPES = ("string", "int64")


class _SpecError(ValueError):
  """A bad feature spec: `where` names the spec (or feature), `detail` the field and value."""

  def __init__(self, where: str, detail: str):
    super().__init__(f"{where}: {detail}")
    self.detail = detail


@contextlib.contextmanager
def _naming(name: Optional[str]):
  """Spec errors raised inside name feature `name` (`features['name']: ...`)."""
  if name is None:
    yield
    return
  try:
    yield
  except _SpecError as error:
    raise _SpecError(f"features[{name!r}]", error.detail) from None


@dataclasses.dataclass(frozen=True)
class FeatureSpec:
  """The base of the feature specs: `NumericSpec`, `CategoricalSpec`, `IdSpec`, `TextSpec`.

  Specs are immutable and checked when built (a bad field raises ValueError
  naming it). `get_config()` is a JSON-serializable dict with the kind under
  "type"; `FeatureSpec.from_config` rebuilds the spec of any kind from it.

  Example:
    spec = tfgle.features.categorical(vocab=["a", "b"], embedding_dim=8)
    config = spec.get_config()   # {"type": "categorical", "vocab": ["a", "b"], ...}
    assert tfgle.features.FeatureSpec.from_config(config) == spec
  """

  kind: ClassVar[str] = ""

  def __post_init__(self):
    if type(self) is FeatureSpec:
      raise TypeError("FeatureSpec is the base of NumericSpec, CategoricalSpec, IdSpec and "
                      "TextSpec; build one of those (numeric(), categorical(), node_id(), text())")
    self._check()

  def _check(self):
    """Checks the fields and normalizes them (lists to tuples, flags to bools)."""
    raise NotImplementedError

  def _fail(self, detail: str):
    raise _SpecError(f"{self.kind} feature spec", detail)

  def _normalize(self, field: str, value: Any):
    object.__setattr__(self, field, value)

  def _positive(self, field: str, optional: bool = False) -> Optional[int]:
    value = getattr(self, field)
    if value is None and optional:
      return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
      self._fail(f"{field} must be a positive int, got {value!r}")
    return value

  def _check_table(self, embedded: bool):
    """Checks embedding_dim (given iff `embedded`) and table (None unless `embedded`)."""
    if not embedded:
      for field in ("embedding_dim", "table"):
        if getattr(self, field) is not None:
          self._fail(f"output='multi_hot' takes no {field}, got {getattr(self, field)!r}")
    else:
      self._positive("embedding_dim")
    if self.table is not None and (not isinstance(self.table, str) or not self.table):
      self._fail(f"table must be a non-empty string or None, got {self.table!r}")

  def get_config(self) -> dict:
    """The spec as a JSON-serializable dict ("type" and every field; tuples as lists)."""
    config = {"type": self.kind}
    for field in dataclasses.fields(self):
      value = getattr(self, field.name)
      config[field.name] = list(value) if isinstance(value, tuple) else value
    return config

  @classmethod
  def from_config(cls, config: Mapping[str, Any]) -> "FeatureSpec":
    """The spec of a `get_config()` dict (of any kind from FeatureSpec, else of cls's kind).

    Raises:
      ValueError: `config` is not a dict, has an unknown (or, from a subclass,
        another) "type" or unknown fields, or a bad field value.
    """
    where = f"{cls.__name__}.from_config"
    if not isinstance(config, Mapping):
      raise _SpecError(where, f"config must be a dict, got {config!r}")
    kind = config.get("type")
    if cls is not FeatureSpec and kind != cls.kind:
      raise _SpecError(where, f"type must be {cls.kind!r}, got {kind!r}")
    if kind not in _CLASSES:
      raise _SpecError(where, f"type must be one of {list(KINDS)}, got {kind!r}")
    spec_class = _CLASSES[kind]
    allowed = ["type"] + [field.name for field in dataclasses.fields(spec_class)]
    unknown = sorted(set(config) - set(allowed))
    if unknown:
      raise _SpecError(where, f"unknown fields {unknown} for type {kind!r}; allowed: {allowed}")
    return spec_class(**{key: value for key, value in config.items() if key != "type"})


@dataclasses.dataclass(frozen=True, kw_only=True)
class NumericSpec(FeatureSpec):
  """A numeric feature: a scalar (dim=None) or a vector of length `dim`.

  With `mean` and `variance` (numbers, or sequences of 1 or dim numbers) the
  values are normalized: (x - mean) / sqrt(variance). Sequences are kept as
  tuples of floats.
  """

  kind: ClassVar[str] = NUMERIC
  dim: Optional[int] = None
  mean: Union[None, float, tuple[float, ...]] = None
  variance: Union[None, float, tuple[float, ...]] = None

  def _check(self):
    width = self._positive("dim", optional=True) or 1
    for field in ("mean", "variance"):
      self._normalize(field, self._stat(field, width))
    if (self.mean is None) != (self.variance is None):
      self._fail("give both mean and variance for normalization, or neither")
    variance = self.variance if isinstance(self.variance, tuple) else [self.variance]
    if self.variance is not None and min(variance) < 0:
      self._fail(f"variance must be >= 0, got {self.variance!r}")

  def _stat(self, field: str, width: int):
    value = getattr(self, field)
    if value is None:
      return None
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if len(values) not in (1, width) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
      self._fail(f"{field} must be a number or a list of {width} numbers, got {value!r}")
    return tuple(float(v) for v in values) if isinstance(value, (list, tuple)) else float(value)


@dataclasses.dataclass(frozen=True, kw_only=True)
class CategoricalSpec(FeatureSpec):
  """A categorical feature: embedded by a table of `embedding_dim` columns, or multi-hot.

  Give one of `vocab` (ids are vocabulary index + 1, 0 = out of vocabulary;
  kept as a tuple of `dtype` values), `num_buckets` (hashed ids) or
  `vocab_size` (ids in [0, vocab_size), 0 = out of vocabulary; no raw mode).
  `dtype` is the type of the raw values; `raw_input` marks a feature that is
  raw even in the training graph (a hashed StringAttr). output="multi_hot"
  gives a vector of one entry per id (counts of multi-values, combined by
  `combiner`) instead of an embedding; it takes no embedding_dim or table.
  """

  kind: ClassVar[str] = CATEGORICAL
  embedding_dim: Optional[int] = None
  vocab: Optional[tuple[Union[int, str], ...]] = None
  num_buckets: Optional[int] = None
  vocab_size: Optional[int] = None
  dtype: str = "string"
  multivalued: bool = False
  combiner: str = "mean"
  table: Optional[str] = None
  raw_input: bool = False
  output: str = "embedding"

  def _check(self):
    if self.output not in OUTPUTS:
      self._fail(f"output must be one of {list(OUTPUTS)}, got {self.output!r}")
    self._check_table(embedded=self.output == "embedding")
    self._positive("num_buckets", optional=True)
    self._positive("vocab_size", optional=True)
    if sum(v is not None for v in (self.vocab, self.num_buckets, self.vocab_size)) != 1:
      self._fail("give exactly one of vocab, num_buckets and vocab_size")
    if self.dtype not in DTYPES:
      self._fail(f"dtype must be one of {list(DTYPES)}, got {self.dtype!r}")
    if self.vocab is not None:
      if isinstance(self.vocab, (str, bytes)) or not isinstance(self.vocab, (list, tuple)):
        self._fail(f"vocab must be a list, got {self.vocab!r}")
      convert = int if self.dtype == "int64" else str
      self._normalize("vocab", tuple(convert(v) for v in self.vocab))
      if len(set(self.vocab)) != len(self.vocab):
        self._fail("vocab has duplicate entries")
    if self.combiner not in COMBINERS:
      self._fail(f"combiner must be one of {list(COMBINERS)}, got {self.combiner!r}")
    self._normalize("multivalued", bool(self.multivalued))
    self._normalize("raw_input", bool(self.raw_input))


@dataclasses.dataclass(frozen=True, kw_only=True)
class IdSpec(FeatureSpec):
  """An id embedding of the input entry `key`: by index (num_ids) or hash (num_buckets)."""

  kind: ClassVar[str] = ID
  embedding_dim: Optional[int] = None
  num_ids: Optional[int] = None
  num_buckets: Optional[int] = None
  table: Optional[str] = None
  key: str = "ids"

  def _check(self):
    self._check_table(embedded=True)
    num_ids = self._positive("num_ids", optional=True)
    num_buckets = self._positive("num_buckets", optional=True)
    if (num_ids is None) == (num_buckets is None):
      self._fail(f"give exactly one of num_ids (embedding by index) and num_buckets (by "
                 f"hash), got num_ids={num_ids!r}, num_buckets={num_buckets!r}")
    if not isinstance(self.key, str) or not self.key:
      self._fail(f"key must be a non-empty string, got {self.key!r}")


@dataclasses.dataclass(frozen=True, kw_only=True)
class TextSpec(FeatureSpec):
  """A text feature: raw strings vectorized over a fixed vocabulary (Keras TextVectorization).

  Text is lower-cased, stripped of punctuation and split on whitespace.
  output="tf_idf" gives [len(vocab) + 1] TF-IDF weights (entry 0: tokens out
  of the vocabulary) with `idf` (one weight per vocabulary token);
  output="embedding" embeds the first `max_length` tokens with a trainable
  table of `embedding_dim` columns and averages them (an embedding bag; an
  empty text gives zeros). Vocabulary tokens are kept as a tuple of strings.
  """

  kind: ClassVar[str] = TEXT
  vocab: tuple[str, ...] = ()
  output: str = "tf_idf"
  idf: Optional[tuple[float, ...]] = None
  embedding_dim: Optional[int] = None
  max_length: int = 64
  table: Optional[str] = None

  def _check(self):
    if self.output not in TEXT_OUTPUTS:
      self._fail(f"output must be one of {list(TEXT_OUTPUTS)}, got {self.output!r}")
    if isinstance(self.vocab, (str, bytes)) or not isinstance(self.vocab, (list, tuple)):
      self._fail(f"vocab must be a list of tokens, got {self.vocab!r}")
    self._normalize("vocab", tuple(str(v) for v in self.vocab))
    if len(set(self.vocab)) != len(self.vocab) or "" in self.vocab:
      self._fail("vocab has duplicate or empty tokens")
    self._positive("max_length")
    if self.output == "tf_idf":
      self._check_table(embedded=False)
      if self.idf is None or len(self.idf) != len(self.vocab) or not all(
          isinstance(w, (int, float)) and not isinstance(w, bool) and w >= 0 for w in self.idf):
        self._fail(f"output='tf_idf' needs idf: one weight >= 0 per vocabulary token "
                   f"({len(self.vocab)}), got {self.idf!r}")
      self._normalize("idf", tuple(float(w) for w in self.idf))
    else:
      self._check_table(embedded=True)
      if self.idf is not None:
        self._fail("output='embedding' takes no idf")


_CLASSES = {spec_class.kind: spec_class
            for spec_class in (NumericSpec, CategoricalSpec, IdSpec, TextSpec)}

# What FeatureEncoder takes as a spec: a FeatureSpec, or its get_config() dict.
SpecLike = Union[FeatureSpec, Mapping[str, Any]]


def numeric(*, dim: Optional[int] = None, mean=None, variance=None) -> NumericSpec:
  """A numeric feature: a scalar (dim=None) or a vector of length `dim`.

  With `mean` and `variance` (scalars or lists of length dim) the values are
  normalized: (x - mean) / sqrt(variance).
  """
  return NumericSpec(dim=dim, mean=mean, variance=variance)


def categorical(*, embedding_dim: Optional[int] = None,
                vocab: Optional[Sequence[Union[int, str]]] = None,
                num_buckets: Optional[int] = None, vocab_size: Optional[int] = None,
                dtype: str = "string", multivalued: bool = False, combiner: str = "mean",
                table: Optional[str] = None, raw_input: bool = False,
                output: str = "embedding") -> CategoricalSpec:
  """A categorical feature: embedded by a table of `embedding_dim` columns, or multi-hot.

  Give one of `vocab` (ids are vocabulary index + 1, 0 = out of vocabulary),
  `num_buckets` (hashed ids) or `vocab_size` (ids in [0, vocab_size), 0 = out
  of vocabulary; no raw mode). `dtype` is the type of the raw values;
  `raw_input` marks a feature that is raw even in the training graph (a hashed
  StringAttr). output="multi_hot" gives a vector of one entry per id (counts
  of multi-values, combined by `combiner`) instead of an embedding; it takes no
  embedding_dim or table.
  """
  return CategoricalSpec(embedding_dim=embedding_dim,
                         vocab=None if vocab is None else tuple(vocab),
                         num_buckets=num_buckets, vocab_size=vocab_size, dtype=dtype,
                         multivalued=multivalued, combiner=combiner, table=table,
                         raw_input=raw_input, output=output)


def node_id(*, embedding_dim: int, num_ids: Optional[int] = None,
            num_buckets: Optional[int] = None, table: Optional[str] = None,
            key: str = "ids") -> IdSpec:
  """An id embedding: of the input entry `key`, by index (num_ids) or hash (num_buckets)."""
  return IdSpec(embedding_dim=embedding_dim, num_ids=num_ids, num_buckets=num_buckets,
                table=table, key=key)


def text(*, vocab: Sequence[str], output: str = "tf_idf",
         idf: Optional[Sequence[float]] = None, embedding_dim: Optional[int] = None,
         max_length: int = 64, table: Optional[str] = None) -> TextSpec:
  """A text feature over a given vocabulary (see TextSpec; adapt_text learns one)."""
  vocab = vocab if isinstance(vocab, (str, bytes)) else tuple(vocab)  # a string: refused
  return TextSpec(vocab=vocab, output=output,
                  idf=None if idf is None else tuple(idf), embedding_dim=embedding_dim,
                  max_length=max_length, table=table)


def adapt_text(texts, *, output: str = "tf_idf", max_tokens: int = 10_000,
               embedding_dim: Optional[int] = None, max_length: int = 64) -> TextSpec:
  """The text spec of the `max_tokens` - 1 most frequent tokens of `texts` (and their idf).

  Args:
    texts: the strings (a list, numpy array or tf.string tensor, any shape).
    output, embedding_dim, max_length: see TextSpec.
    max_tokens: vocabulary size, the out-of-vocabulary entry included (>= 2).

  Raises:
    ValueError: a bad max_tokens, or spec fields (see TextSpec).
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top  (specs are TF-free otherwise)
  if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 2:
    raise ValueError(f"adapt_text: max_tokens must be an int >= 2, got {max_tokens!r}")
  if output not in TEXT_OUTPUTS:
    raise ValueError(f"adapt_text: output must be one of {list(TEXT_OUTPUTS)}, got {output!r}")
  vectorizer = tf.keras.layers.TextVectorization(max_tokens=max_tokens, output_mode="tf_idf")
  vectorizer.adapt(tf.reshape(tf.constant(texts, tf.string), [-1]), batch_size=4096)
  vocab = vectorizer.get_vocabulary()[1:]  # without the OOV token
  idf = None
  if output == "tf_idf":
    idf = vectorizer._lookup_layer.idf_weights.numpy()[1:].tolist()  # pylint: disable=protected-access
  return TextSpec(vocab=tuple(vocab), output=output, idf=idf, embedding_dim=embedding_dim,
                  max_length=max_length)


def check(name: Optional[str], spec: SpecLike) -> FeatureSpec:
  """The spec of feature `name`: a FeatureSpec as it is, a config dict rebuilt.

  Raises:
    ValueError: `spec` is neither a FeatureSpec nor a dict, or a bad config
      dict (see `FeatureSpec.from_config`), naming the feature (with name
      None, the spec's kind) and the bad field.
  """
  if isinstance(spec, FeatureSpec):
    return spec
  if not isinstance(spec, Mapping):
    where = f"features[{name!r}]" if name is not None else "a feature spec"
    raise ValueError(f"{where} must be a FeatureSpec (numeric(), categorical(), node_id()) or "
                     f"its config dict, got {spec!r}")
  with _naming(name):
    return FeatureSpec.from_config(spec)


def has_table(spec: FeatureSpec) -> bool:
  """Whether a spec is encoded by an embedding table (id specs, embedded categorical ones)."""
  return isinstance(spec, IdSpec) or (isinstance(spec, (CategoricalSpec, TextSpec)) and
                                      spec.output == "embedding")


def output_dim(spec: FeatureSpec) -> int:
  """Width of a spec's part of the encoded vector."""
  if isinstance(spec, NumericSpec):
    return spec.dim or 1
  if isinstance(spec, TextSpec) and spec.output == "tf_idf":
    return len(spec.vocab) + 1  # + the out-of-vocabulary entry
  if not has_table(spec):
    return table_rows(spec)  # multi-hot
  return spec.embedding_dim


def table_rows(spec: Union[CategoricalSpec, IdSpec, TextSpec]) -> int:
  """Number of distinct ids (table rows) of a categorical, id or text spec."""
  if isinstance(spec, TextSpec):
    return len(spec.vocab) + 2  # + padding 0 and out of vocabulary 1
  if isinstance(spec, IdSpec):
    return spec.num_buckets or spec.num_ids + 1  # + the out-of-range row
  if spec.vocab is not None:
    return len(spec.vocab) + 1  # + the out-of-vocabulary id 0
  return spec.num_buckets or spec.vocab_size


def from_attrs(attrs: Mapping[str, schema.Attr], *,
               embedding_dim: Union[int, Mapping[str, int]] = 16, combiner: str = "mean",
               stats: Optional[Mapping[str, tuple]] = None,
               string_buckets: Optional[int] = None,
               include: Optional[Sequence[str]] = None,
               exclude: Sequence[str] = (), multi_hot: Sequence[str] = (),
               texts: Optional[Mapping[str, TextSpec]] = None) -> dict:
  """Feature specs of a graph's attribute specs (vocabularies resolved).

  Args:
    attrs: attribute name -> FloatAttr / IntAttr / StringAttr / TextAttr / CategoricalAttr,
      as `graph.node_attrs(node_type)` returns them.
    embedding_dim: width of categorical embeddings: one int, or per attribute.
    combiner: combiner of multi-valued categorical attributes.
    stats: attribute name -> (mean, variance) to normalize numeric attributes.
    string_buckets: embed StringAttr attributes by hashing into this many
      buckets (they are raw strings in the graph); None skips them.
    include: only these attributes (default: all).
    exclude: not these attributes.
    multi_hot: categorical attributes to encode multi-hot, not embedded.
    texts: TextAttr name -> its TextSpec (adapt_text learns one from the
      graph's texts; FeatureEncoder.from_graph does so).

  Returns:
    name -> FeatureSpec, in attribute order.
  """
  names = list(attrs) if include is None else list(include)
  missing = [n for n in list(names) + list(exclude) + list(multi_hot) if n not in attrs]
  if missing:
    raise ValueError(f"unknown attributes {missing}; the attributes are {list(attrs)}")
  stats = dict(stats or {})
  specs = {}
  for name in names:
    if name in exclude:
      continue
    attr = attrs[name]
    dim = (embedding_dim.get(name, 16) if isinstance(embedding_dim, Mapping)
           else embedding_dim)
    mean, variance = stats.get(name, (None, None))
    with _naming(name):
      if isinstance(attr, (schema.FloatAttr, schema.IntAttr)):
        specs[name] = NumericSpec(dim=attr.dim if isinstance(attr, schema.FloatAttr) else None,
                                  mean=mean, variance=variance)
      elif isinstance(attr, schema.CategoricalAttr):
        if attr.vocab is None and attr.num_buckets is None:
          raise ValueError(f"attribute {name!r} has no vocabulary: pass the graph's resolved "
                           "specs (graph.node_attrs), which fill in learned vocabularies")
        hot = name in multi_hot
        specs[name] = CategoricalSpec(
            embedding_dim=None if hot else dim, vocab=attr.vocab,
            num_buckets=attr.num_buckets, dtype=attr.dtype, multivalued=attr.multivalued,
            combiner=combiner, output="multi_hot" if hot else "embedding")
      elif isinstance(attr, schema.TextAttr):
        if name not in (texts or {}):
          raise ValueError(f"attribute {name!r} is text: give its TextSpec in texts= "
                           "(adapt_text learns one from the graph's texts), or exclude it")
        specs[name] = check(name, texts[name])
      elif isinstance(attr, schema.StringAttr):
        if string_buckets is not None:
          specs[name] = CategoricalSpec(embedding_dim=dim, num_buckets=string_buckets,
                                        dtype="string", raw_input=True)
      else:
        raise ValueError(f"attribute {name!r} has an unknown spec {attr!r}")
  return specs
