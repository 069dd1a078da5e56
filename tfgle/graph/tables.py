"""Reading node and edge tables into typed numpy columns.

`read_table` accepts what `Graph.node()` / `Graph.edge()` accept as a source:
a path, a glob, a list of them (TSV/CSV text with a header, or Parquet), or a
dict of numpy arrays. It returns a `Table` with one numpy array (or ragged
column) per requested `schema.Column`, plus where every row came from, so that
later checks (dangling edges, duplicate ids) can name a file and line.
"""
from __future__ import annotations

import dataclasses
import glob as glob_lib
import os
from typing import Any, Mapping, Sequence, Union

import numpy as np

from tfgle.graph import schema


@dataclasses.dataclass
class RaggedColumn:
  """A variable-length column: row i is values[row_splits[i]:row_splits[i + 1]]."""
  values: np.ndarray
  row_splits: np.ndarray

  def __len__(self):
    return len(self.row_splits) - 1

  def take(self, rows: np.ndarray) -> "RaggedColumn":
    lengths = np.diff(self.row_splits)[rows]
    splits = np.zeros(len(rows) + 1, np.int64)
    np.cumsum(lengths, out=splits[1:])
    starts = self.row_splits[rows]
    # Position of every kept value in `values`: its row's start plus its offset.
    offsets = np.arange(splits[-1], dtype=np.int64) - np.repeat(splits[:-1], lengths)
    return RaggedColumn(self.values[np.repeat(starts, lengths) + offsets], splits)


ColumnData = Union[np.ndarray, RaggedColumn]


@dataclasses.dataclass
class Table:
  """Typed columns of one table, and the origin of each row.

  Attributes:
    columns: column name -> np.ndarray (or [N, D] for float vectors, or
      RaggedColumn for lists).
    num_rows: number of rows kept.
    files: (file name, line number of each kept row) per input file, in row
      order (text: 1-based lines, the header is line 1; Parquet: 0-based row
      indices); empty for in-memory sources.
    dropped: file name -> rows dropped in lenient mode.
  """
  columns: dict[str, ColumnData]
  num_rows: int
  files: list[tuple[str, np.ndarray]] = dataclasses.field(default_factory=list)
  dropped: dict[str, int] = dataclasses.field(default_factory=dict)

  def locate(self, row: int) -> str:
    """Where row `row` came from: 'path:line', or 'row N' for in-memory data."""
    for name, lines in self.files:
      if row < len(lines):
        return f"{name}:{int(lines[row])}"
      row -= len(lines)
    return f"row {row}"

  def take(self, rows: np.ndarray) -> "Table":
    """The table restricted to `rows` (sorted row indices)."""
    columns = {name: (col.take(rows) if isinstance(col, RaggedColumn) else col[rows])
               for name, col in self.columns.items()}
    all_lines = (np.concatenate([lines for _, lines in self.files])
                 if self.files else np.zeros(0, np.int64))
    files = []
    if self.files:
      bounds = np.cumsum([0] + [len(lines) for _, lines in self.files])
      for i, (name, _) in enumerate(self.files):
        mine = rows[(rows >= bounds[i]) & (rows < bounds[i + 1])]
        files.append((name, all_lines[mine]))
    return Table(columns, len(rows), files, dict(self.dropped))


Source = Union[str, os.PathLike, Sequence[Union[str, os.PathLike]], Mapping[str, Any]]

_PARQUET_SUFFIXES = (".parquet", ".pq")


def expand_paths(source) -> list[str]:
  """Expands a path, glob or list of them into sorted existing files."""
  items = [source] if isinstance(source, (str, os.PathLike)) else list(source)
  paths = []
  for item in items:
    if not isinstance(item, (str, os.PathLike)):
      raise ValueError(f"a table source must be a path, a glob, a list of them or a dict of "
                       f"arrays; got an item {item!r}")
    item = os.fspath(item)
    matches = sorted(glob_lib.glob(item)) if glob_lib.has_magic(item) else [item]
    if not matches:
      raise FileNotFoundError(f"no file matches {item!r}")
    for path in matches:
      if not os.path.isfile(path):
        raise FileNotFoundError(f"table file {path!r} does not exist")
    paths.extend(matches)
  if not paths:
    raise ValueError("a table source must name at least one file")
  return paths


def read_table(source: Source, columns: Sequence[schema.Column], *, strict: bool = True,
               max_dropped_rows: int = 1000) -> Table:
  """Reads `columns` of a table from `source`.

  Args:
    source: a path, glob or list of them (`.parquet`/`.pq` files are Parquet,
      anything else TSV/CSV text with a header row), or a dict of arrays.
    columns: the columns to produce (other columns of the source are ignored).
    strict: a malformed row is an error naming file, line and column. With
      strict=False such rows are dropped and counted per file.
    max_dropped_rows: in lenient mode, more dropped rows than this (per table)
      is still an error.

  Raises:
    ValueError: a malformed row (strict), a missing column, a header type that
      does not match the decoder, or too many dropped rows.
    FileNotFoundError: a path or glob that names no file.
  """
  if isinstance(source, Mapping):
    return _read_arrays(source, columns)
  paths = expand_paths(source)
  parquet = [p.endswith(_PARQUET_SUFFIXES) for p in paths]
  if any(parquet) and not all(parquet):
    raise ValueError(f"a table source mixes Parquet and text files: {paths}")
  if all(parquet):
    from tfgle.graph import parquet_reader  # pylint: disable=g-import-not-at-top
    return parquet_reader.read_parquet_table(paths, columns, strict=strict,
                                             max_dropped_rows=max_dropped_rows)
  from tfgle.graph import text_reader  # pylint: disable=g-import-not-at-top
  return text_reader.read_text_table(paths, columns, strict=strict,
                                     max_dropped_rows=max_dropped_rows)


def _read_arrays(arrays: Mapping[str, Any], columns: Sequence[schema.Column]) -> Table:
  """Checks and converts in-memory columns (numpy arrays, lists, ragged)."""
  out: dict[str, ColumnData] = {}
  num_rows = None
  for column in columns:
    if column.name not in arrays:
      raise ValueError(f"the arrays have no column {column.name!r} (they have "
                       f"{sorted(arrays)}); the decoder needs {[c.name for c in columns]}")
    data = _convert_array(arrays[column.name], column)
    if num_rows is None:
      num_rows = len(data)
    elif len(data) != num_rows:
      raise ValueError(f"column {column.name!r} has {len(data)} rows, but "
                       f"{columns[0].name!r} has {num_rows}")
    out[column.name] = data
  return Table(out, num_rows or 0)


def _convert_array(value, column: schema.Column) -> ColumnData:
  name = column.name
  if column.kind in (schema.INT64_LIST, schema.STRING_LIST):
    return _convert_ragged(value, column)
  array = np.asarray(value)
  if column.kind == schema.FLOAT_VECTOR:
    if array.ndim != 2 or array.shape[1] != column.dim:
      raise ValueError(f"column {name!r} must have shape [N, {column.dim}], got {array.shape}")
  elif array.ndim != 1:
    raise ValueError(f"column {name!r} must be one-dimensional, got shape {array.shape}")
  if column.kind == schema.INT64:
    if array.dtype.kind not in "iu":
      raise ValueError(f"column {name!r} must hold integers, got dtype {array.dtype}")
    return array.astype(np.int64, copy=False)
  if column.kind in (schema.FLOAT32, schema.FLOAT_VECTOR):
    if array.dtype.kind not in "iuf":
      raise ValueError(f"column {name!r} must hold numbers, got dtype {array.dtype}")
    array = array.astype(np.float32, copy=False)
    if not np.all(np.isfinite(array)):
      row = int(np.argwhere(~np.isfinite(array))[0][0])
      raise ValueError(f"column {name!r} row {row} is {array[row]!r}; values must be finite")
    return array
  if column.kind == schema.STRING:
    if array.dtype.kind not in "USO":
      raise ValueError(f"column {name!r} must hold strings, got dtype {array.dtype}")
    return array.astype(object)
  raise ValueError(f"unknown column kind {column.kind!r}")


def _convert_ragged(value, column: schema.Column) -> RaggedColumn:
  """Accepts a RaggedColumn, a tf.RaggedTensor or a sequence of sequences."""
  if isinstance(value, RaggedColumn):
    values, splits = np.asarray(value.values), np.asarray(value.row_splits, np.int64)
  elif hasattr(value, "flat_values") and hasattr(value, "row_splits"):
    values, splits = value.flat_values.numpy(), value.row_splits.numpy().astype(np.int64)
  else:
    rows = [np.asarray(r).reshape(-1) for r in value]
    splits = np.zeros(len(rows) + 1, np.int64)
    np.cumsum([len(r) for r in rows], out=splits[1:])
    want = np.int64 if column.kind == schema.INT64_LIST else object
    values = np.concatenate(rows).astype(want) if rows else np.zeros(0, want)
  if column.kind == schema.INT64_LIST:
    if values.size and values.dtype.kind not in "iu":
      raise ValueError(f"column {column.name!r} must hold lists of integers, got {values.dtype}")
    values = values.astype(np.int64, copy=False)
  else:
    values = values.astype(object)
  return RaggedColumn(values, splits)
