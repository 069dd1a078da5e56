"""Feature specs: how one node or edge attribute becomes part of a vector.

A spec is a plain, JSON-serializable dict (so it lives in a Keras config); the
helpers below build and check them, and `from_attrs` derives them from a
graph's attribute specs (`graph.node_attrs(node_type)`). Three kinds:

- numeric: float or int values, a scalar ([...]) or a vector ([..., dim]),
  optionally normalized with a given mean and variance.
- categorical: category ids embedded by a table, or (output="multi_hot") as a
  one-/multi-hot vector over the ids. In the graph, categorical values are
  already int64 ids (vocabulary index + 1 with 0 = out of vocabulary, or hash
  buckets); in raw mode the encoder maps raw values to the same ids first.
  Multi-valued attributes (ragged lists) are embedded (or counted) and
  combined with "sum", "mean" or "sqrtn". A multi-hot bag of words with the
  "mean" combiner is the row-normalized bag of words that GCN and GAT use.
- id: an embedding of the node id itself (for featureless node types): by
  index (ids in [0, num_ids), others share one extra out-of-range row) or by
  hash bucket.

Embedding tables are named by `table` (default: the feature's name); features
naming the same table share it (their sizes must agree).
"""
from __future__ import annotations

import copy
from typing import Any, Mapping, Optional, Sequence, Union

from tfgle.graph import schema

NUMERIC = "numeric"
CATEGORICAL = "categorical"
ID = "id"
KINDS = (NUMERIC, CATEGORICAL, ID)
COMBINERS = ("sum", "mean", "sqrtn")
OUTPUTS = ("embedding", "multi_hot")
DTYPES = ("string", "int64")

_KEYS = {
    NUMERIC: ("type", "dim", "mean", "variance"),
    CATEGORICAL: ("type", "embedding_dim", "vocab", "num_buckets", "vocab_size", "dtype",
                  "multivalued", "combiner", "table", "raw_input", "output"),
    ID: ("type", "embedding_dim", "num_ids", "num_buckets", "table", "key"),
}


def numeric(*, dim: Optional[int] = None, mean=None, variance=None) -> dict:
  """A numeric feature: a scalar (dim=None) or a vector of length `dim`.

  With `mean` and `variance` (scalars or lists of length dim) the values are
  normalized: (x - mean) / sqrt(variance).
  """
  return check(None, {"type": NUMERIC, "dim": dim, "mean": mean, "variance": variance})


def categorical(*, embedding_dim: Optional[int] = None,
                vocab: Optional[Sequence[Union[int, str]]] = None,
                num_buckets: Optional[int] = None, vocab_size: Optional[int] = None,
                dtype: str = "string", multivalued: bool = False, combiner: str = "mean",
                table: Optional[str] = None, raw_input: bool = False,
                output: str = "embedding") -> dict:
  """A categorical feature: embedded by a table of `embedding_dim` columns, or multi-hot.

  Give one of `vocab` (ids are vocabulary index + 1, 0 = out of vocabulary),
  `num_buckets` (hashed ids) or `vocab_size` (ids in [0, vocab_size), 0 = out
  of vocabulary; no raw mode). `dtype` is the type of the raw values;
  `raw_input` marks a feature that is raw even in the training graph (a hashed
  StringAttr). output="multi_hot" gives a vector of one entry per id (counts
  of multi-values, combined by `combiner`) instead of an embedding; it takes no
  embedding_dim or table.
  """
  return check(None, {
      "type": CATEGORICAL, "embedding_dim": embedding_dim,
      "vocab": None if vocab is None else list(vocab), "num_buckets": num_buckets,
      "vocab_size": vocab_size, "dtype": dtype, "multivalued": multivalued,
      "combiner": combiner, "table": table, "raw_input": raw_input, "output": output})


def node_id(*, embedding_dim: int, num_ids: Optional[int] = None,
            num_buckets: Optional[int] = None, table: Optional[str] = None,
            key: str = "ids") -> dict:
  """An id embedding: of the input entry `key`, by index (num_ids) or hash (num_buckets)."""
  return check(None, {"type": ID, "embedding_dim": embedding_dim, "num_ids": num_ids,
                      "num_buckets": num_buckets, "table": table, "key": key})


def _positive(where: str, field: str, value: Any, optional: bool = False):
  if value is None and optional:
    return None
  if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
    raise ValueError(f"{where}: {field} must be a positive int, got {value!r}")
  return value


def _stat(where: str, field: str, value: Any, dim: int):
  if value is None:
    return None
  values = list(value) if isinstance(value, (list, tuple)) else [value]
  if len(values) not in (1, dim) or not all(
      isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
    raise ValueError(f"{where}: {field} must be a number or a list of {dim} numbers, "
                     f"got {value!r}")
  return [float(v) for v in values] if isinstance(value, (list, tuple)) else float(value)


def check(name: Optional[str], spec: Mapping[str, Any]) -> dict:
  """A checked copy of feature spec `spec` of feature `name`, with defaults filled in.

  Raises:
    ValueError: naming the feature (or, with name None, the spec's type) and
      the bad field.
  """
  where = f"features[{name!r}]" if name is not None else f"{spec.get('type')} feature spec"
  if not isinstance(spec, Mapping):
    raise ValueError(f"{where} must be a dict, got {spec!r}")
  kind = spec.get("type")
  if kind not in KINDS:
    raise ValueError(f"{where}: type must be one of {list(KINDS)}, got {kind!r}")
  unknown = sorted(set(spec) - set(_KEYS[kind]))
  if unknown:
    raise ValueError(f"{where}: unknown fields {unknown} for type {kind!r}; "
                     f"allowed: {list(_KEYS[kind])}")
  spec = copy.deepcopy(dict(spec))
  if kind == NUMERIC:
    dim = _positive(where, "dim", spec.get("dim"), optional=True)
    width = dim or 1
    mean = _stat(where, "mean", spec.get("mean"), width)
    variance = _stat(where, "variance", spec.get("variance"), width)
    if (mean is None) != (variance is None):
      raise ValueError(f"{where}: give both mean and variance for normalization, or neither")
    if variance is not None and min(variance if isinstance(variance, list) else [variance]) < 0:
      raise ValueError(f"{where}: variance must be >= 0, got {variance!r}")
    return {"type": NUMERIC, "dim": dim, "mean": mean, "variance": variance}
  output = spec.get("output", "embedding")
  if kind == CATEGORICAL and output not in OUTPUTS:
    raise ValueError(f"{where}: output must be one of {list(OUTPUTS)}, got {output!r}")
  if output == "multi_hot":
    for field in ("embedding_dim", "table"):
      if spec.get(field) is not None:
        raise ValueError(f"{where}: output='multi_hot' takes no {field}, got "
                         f"{spec[field]!r}")
    embedding_dim = None
  else:
    embedding_dim = _positive(where, "embedding_dim", spec.get("embedding_dim"))
  table = spec.get("table")
  if table is not None and (not isinstance(table, str) or not table):
    raise ValueError(f"{where}: table must be a non-empty string or None, got {table!r}")
  if kind == ID:
    num_ids = _positive(where, "num_ids", spec.get("num_ids"), optional=True)
    num_buckets = _positive(where, "num_buckets", spec.get("num_buckets"), optional=True)
    if (num_ids is None) == (num_buckets is None):
      raise ValueError(f"{where}: give exactly one of num_ids (embedding by index) and "
                       f"num_buckets (by hash), got num_ids={num_ids!r}, "
                       f"num_buckets={num_buckets!r}")
    key = spec.get("key", "ids")
    if not isinstance(key, str) or not key:
      raise ValueError(f"{where}: key must be a non-empty string, got {key!r}")
    return {"type": ID, "embedding_dim": embedding_dim, "num_ids": num_ids,
            "num_buckets": num_buckets, "table": table, "key": key}
  vocab = spec.get("vocab")
  num_buckets = _positive(where, "num_buckets", spec.get("num_buckets"), optional=True)
  vocab_size = _positive(where, "vocab_size", spec.get("vocab_size"), optional=True)
  if sum(v is not None for v in (vocab, num_buckets, vocab_size)) != 1:
    raise ValueError(f"{where}: give exactly one of vocab, num_buckets and vocab_size")
  dtype = spec.get("dtype", "string")
  if dtype not in DTYPES:
    raise ValueError(f"{where}: dtype must be one of {list(DTYPES)}, got {dtype!r}")
  if vocab is not None:
    if isinstance(vocab, (str, bytes)) or not isinstance(vocab, (list, tuple)):
      raise ValueError(f"{where}: vocab must be a list, got {vocab!r}")
    vocab = [int(v) for v in vocab] if dtype == "int64" else [str(v) for v in vocab]
    if len(set(vocab)) != len(vocab):
      raise ValueError(f"{where}: vocab has duplicate entries")
  combiner = spec.get("combiner", "mean")
  if combiner not in COMBINERS:
    raise ValueError(f"{where}: combiner must be one of {list(COMBINERS)}, got {combiner!r}")
  return {"type": CATEGORICAL, "embedding_dim": embedding_dim, "vocab": vocab,
          "num_buckets": num_buckets, "vocab_size": vocab_size, "dtype": dtype,
          "multivalued": bool(spec.get("multivalued", False)), "combiner": combiner,
          "table": table, "raw_input": bool(spec.get("raw_input", False)), "output": output}


def output_dim(spec: Mapping[str, Any]) -> int:
  """Width of a checked spec's part of the encoded vector."""
  if spec["type"] == NUMERIC:
    return spec["dim"] or 1
  if spec.get("output") == "multi_hot":
    return table_rows(spec)
  return spec["embedding_dim"]


def table_rows(spec: Mapping[str, Any]) -> int:
  """Number of distinct ids (table rows) of a checked categorical or id spec."""
  if spec["type"] == ID:
    return spec["num_buckets"] or spec["num_ids"] + 1  # + the out-of-range row
  if spec["vocab"] is not None:
    return len(spec["vocab"]) + 1  # + the out-of-vocabulary id 0
  return spec["num_buckets"] or spec["vocab_size"]


def from_attrs(attrs: Mapping[str, schema.Attr], *,
               embedding_dim: Union[int, Mapping[str, int]] = 16, combiner: str = "mean",
               stats: Optional[Mapping[str, tuple]] = None,
               string_buckets: Optional[int] = None,
               include: Optional[Sequence[str]] = None,
               exclude: Sequence[str] = (), multi_hot: Sequence[str] = ()) -> dict:
  """Feature specs of a graph's attribute specs (vocabularies resolved).

  Args:
    attrs: attribute name -> FloatAttr / IntAttr / StringAttr / CategoricalAttr,
      as `graph.node_attrs(node_type)` returns them.
    embedding_dim: width of categorical embeddings: one int, or per attribute.
    combiner: combiner of multi-valued categorical attributes.
    stats: attribute name -> (mean, variance) to normalize numeric attributes.
    string_buckets: embed StringAttr attributes by hashing into this many
      buckets (they are raw strings in the graph); None skips them.
    include: only these attributes (default: all).
    exclude: not these attributes.
    multi_hot: categorical attributes to encode multi-hot, not embedded.

  Returns:
    name -> feature spec, in attribute order.
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
    if isinstance(attr, schema.FloatAttr):
      specs[name] = check(name, {"type": NUMERIC, "dim": attr.dim, "mean": mean,
                                 "variance": variance})
    elif isinstance(attr, schema.IntAttr):
      specs[name] = check(name, {"type": NUMERIC, "dim": None, "mean": mean,
                                 "variance": variance})
    elif isinstance(attr, schema.CategoricalAttr):
      if attr.vocab is None and attr.num_buckets is None:
        raise ValueError(f"attribute {name!r} has no vocabulary: pass the graph's resolved "
                         "specs (graph.node_attrs), which fill in learned vocabularies")
      hot = name in multi_hot
      specs[name] = check(name, {
          "type": CATEGORICAL, "embedding_dim": None if hot else dim,
          "vocab": None if attr.vocab is None else list(attr.vocab),
          "num_buckets": attr.num_buckets, "dtype": attr.dtype,
          "multivalued": attr.multivalued, "combiner": combiner,
          "output": "multi_hot" if hot else "embedding"})
    elif isinstance(attr, schema.StringAttr):
      if string_buckets is not None:
        specs[name] = check(name, {"type": CATEGORICAL, "embedding_dim": dim,
                                   "num_buckets": string_buckets, "dtype": "string",
                                   "raw_input": True})
    else:
      raise ValueError(f"attribute {name!r} has an unknown spec {attr!r}")
  return specs
