"""Table schema: how the columns of a node or edge table become graph data.

A `Decoder` names the columns that hold ids, weights, labels, timestamps and
splits, and types every attribute column with one of the `*Attr` specs below.
The same decoder drives every source format (TSV/CSV, Parquet, numpy), and its
attribute specs later drive the feature columns of the Keras model.
"""
from __future__ import annotations

import dataclasses
from typing import Mapping, Optional, Sequence, Union

# Column kinds that a table reader produces (see tfgle.graph.columns).
INT64 = "int64"
FLOAT32 = "float32"
STRING = "string"
FLOAT_VECTOR = "float_vector"  # fixed-length float vector: delimited string or [N, D] array
INT64_LIST = "int64_list"      # variable-length ints: delimited string or ragged values
STRING_LIST = "string_list"    # variable-length strings: delimited string or ragged values


@dataclasses.dataclass(frozen=True)
class Column:
  """One column a reader must produce: its name in the table and its kind."""
  name: str
  kind: str
  dim: Optional[int] = None         # FLOAT_VECTOR length
  delimiter: Optional[str] = None   # FLOAT_VECTOR / *_LIST separator in text tables


@dataclasses.dataclass(frozen=True)
class FloatAttr:
  """A float attribute: a scalar, or a fixed-length vector when `dim` is set.

  In text tables a vector is one column of `delimiter`-separated numbers
  (GLE's `f0:f1:...`); from numpy it is an array of shape [N, dim].
  """
  dim: Optional[int] = None
  delimiter: str = ":"

  def __post_init__(self):
    if self.dim is not None and (not isinstance(self.dim, int) or self.dim <= 0):
      raise ValueError(f"FloatAttr dim must be a positive int or None, got {self.dim!r}")

  def column(self, name: str) -> Column:
    if self.dim is None:
      return Column(name, FLOAT32)
    return Column(name, FLOAT_VECTOR, dim=self.dim, delimiter=self.delimiter)


@dataclasses.dataclass(frozen=True)
class IntAttr:
  """A numeric int64 attribute (not categorical: it is fed as a number)."""

  def column(self, name: str) -> Column:
    return Column(name, INT64)


@dataclasses.dataclass(frozen=True)
class StringAttr:
  """A raw string attribute, kept as is (for example a title)."""

  def column(self, name: str) -> Column:
    return Column(name, STRING)


@dataclasses.dataclass(frozen=True)
class TextAttr(StringAttr):
  """A text attribute (a title, an abstract), kept as raw strings like StringAttr.

  Models vectorize it: FeatureEncoder.from_graph adapts a TF-IDF or
  embedding-bag text spec to it (`tfgle.features.adapt_text`), or
  `tfgle.features.encode_text` runs a pre-trained text encoder over it once
  and stores the vectors as a float feature.
  """


@dataclasses.dataclass(frozen=True)
class CategoricalAttr:
  """A categorical attribute, encoded as int64 category ids in the graph.

  Encoding, as Keras' lookup and hashing layers do it (so a model can repeat it
  on raw values at serving time):
  - by vocabulary (`vocab` given, or learned from the data when both `vocab` and
    `num_buckets` are None): id 0 is the out-of-vocabulary bucket, `vocab[i]`
    is id i + 1;
  - by hashing (`num_buckets` given): FarmHash64 of the value's string form
    modulo `num_buckets` (`tf.strings.to_hash_bucket_fast`, Keras `Hashing`).

  Args:
    vocab: the categories (ints or strings), or None.
    num_buckets: number of hash buckets, or None.
    multivalued: each row holds a variable-length list of values, `delimiter`
      separated in text tables; stored ragged.
    delimiter: separator of multi-values in text tables.
    dtype: "string" or "int64": the type of the raw values.
  """
  vocab: Optional[Sequence[Union[int, str]]] = None
  num_buckets: Optional[int] = None
  multivalued: bool = False
  delimiter: str = ","
  dtype: str = "string"

  def __post_init__(self):
    if self.vocab is not None and self.num_buckets is not None:
      raise ValueError("CategoricalAttr takes vocab or num_buckets, not both")
    if self.num_buckets is not None and (
        not isinstance(self.num_buckets, int) or self.num_buckets <= 0):
      raise ValueError(
          f"CategoricalAttr num_buckets must be a positive int, got {self.num_buckets!r}")
    if self.dtype not in ("string", "int64"):
      raise ValueError(f"CategoricalAttr dtype must be 'string' or 'int64', got {self.dtype!r}")
    if self.vocab is not None:
      object.__setattr__(self, "vocab", tuple(self.vocab))
      if len(set(self.vocab)) != len(self.vocab):
        raise ValueError("CategoricalAttr vocab has duplicate entries")

  @property
  def hashed(self) -> bool:
    return self.num_buckets is not None

  def column(self, name: str) -> Column:
    if self.multivalued:
      kind = INT64_LIST if self.dtype == "int64" else STRING_LIST
      return Column(name, kind, delimiter=self.delimiter)
    return Column(name, INT64 if self.dtype == "int64" else STRING)


Attr = Union[FloatAttr, IntAttr, StringAttr, TextAttr, CategoricalAttr]
_ATTR_TYPES = (FloatAttr, IntAttr, StringAttr, CategoricalAttr)  # (TextAttr is a StringAttr)


@dataclasses.dataclass(frozen=True)
class Decoder:
  """Names and types the columns of one node or edge table.

  Example:
    decoder = tfgle.Decoder(
        label="label", split="split",
        attrs={"words": tfgle.CategoricalAttr(multivalued=True, dtype="int64")})

  Args:
    attrs: attribute column name -> attribute spec.
    id_column: node tables: the id column.
    src_column, dst_column: edge tables: the endpoint id columns.
    string_ids: node tables: ids are strings; the graph maps them to int64 ids
      (their row in the node table) through a vocabulary it keeps. Edge tables
      follow their endpoint node types.
    weight: name of a float edge/node weight column, or None.
    label: name of an int64 label column, or None.
    timestamp: name of an int64 timestamp column, or None.
    split: node tables: name of a column naming each node's split (for example
      train/val/test; other values mean "no split"), or None.
  """
  attrs: Mapping[str, Attr] = dataclasses.field(default_factory=dict)
  id_column: str = "id"
  src_column: str = "src_id"
  dst_column: str = "dst_id"
  string_ids: bool = False
  weight: Optional[str] = None
  label: Optional[str] = None
  timestamp: Optional[str] = None
  split: Optional[str] = None

  def __post_init__(self):
    object.__setattr__(self, "attrs", dict(self.attrs))
    for name, spec in self.attrs.items():
      if not isinstance(name, str) or not name:
        raise ValueError(f"Decoder attrs keys must be non-empty column names, got {name!r}")
      if not isinstance(spec, _ATTR_TYPES):
        raise ValueError(
            f"Decoder attrs[{name!r}] must be one of FloatAttr, IntAttr, StringAttr, "
            f"TextAttr, CategoricalAttr, got {spec!r}")

  def columns(self, table_kind: str, *, src_string_ids: bool = False,
              dst_string_ids: bool = False) -> list[Column]:
    """The columns a `table_kind` ("node" or "edge") table must have.

    Edge endpoints are strings where their node type has string ids.
    """
    def id_kind(string_ids):
      return STRING if string_ids else INT64
    if table_kind == "node":
      columns = [Column(self.id_column, id_kind(self.string_ids))]
    elif table_kind == "edge":
      columns = [Column(self.src_column, id_kind(src_string_ids)),
                 Column(self.dst_column, id_kind(dst_string_ids))]
    else:
      raise ValueError(f"table_kind must be 'node' or 'edge', got {table_kind!r}")
    if self.weight:
      columns.append(Column(self.weight, FLOAT32))
    if self.label:
      columns.append(Column(self.label, INT64))
    if self.timestamp:
      columns.append(Column(self.timestamp, INT64))
    if self.split:
      if table_kind != "node":
        raise ValueError("Decoder split= applies to node tables only")
      columns.append(Column(self.split, STRING))
    columns.extend(spec.column(name) for name, spec in self.attrs.items())
    names = [c.name for c in columns]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
      raise ValueError(f"Decoder uses the columns {duplicates} for more than one role")
    return columns
