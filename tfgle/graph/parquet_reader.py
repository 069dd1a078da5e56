"""Reading Parquet node and edge tables through tensorflow-io.

Numeric columns (int32, int64, float, double) are read with tensorflow-io
(`tfio.IOTensor.from_parquet`). pyarrow.parquet reads the file's schema and
statistics (to check column types and find nulls before anything is read) and
the columns that tensorflow-io 0.37 cannot read correctly:
- string columns: tensorflow-io returns wrong values once a string column
  chunk outgrows about 1 MB (in a 100k-row test every row from 68192 on);
- list and fixed-size-list columns: tensorflow-io returns only the first
  num_rows flat values of a list column, without row boundaries;
- columns that hold nulls: tensorflow-io crashes the process (SIGSEGV) on
  them, so they must never reach it; pyarrow also says which rows are null;
- other types (unsigned and 8/16-bit ints, dictionaries).

Columns have the same kinds as in text tables: FLOAT_VECTOR may be a
fixed-size list or list column of numbers, or a delimited string column;
INT64_LIST / STRING_LIST a list column or a delimited string column. Rows are
located by their 0-based row index in the file (`Table.files`).
"""
from __future__ import annotations

import concurrent.futures
from typing import Optional, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tfgle.graph import columns as columns_lib
from tfgle.graph import schema

# Arrow types that tensorflow-io reads exactly (see the module docstring for the others).
_TFIO_TYPES = (pa.int32(), pa.int64(), pa.float32(), pa.float64())
# Null rows described per column.
_MAX_PROBLEMS = 3


def read_file(path: str, columns: Sequence[schema.Column], *, strict: bool = True,
              drop_limit: Optional[int] = None) -> columns_lib.Rows:
  """Reads `columns` from one Parquet file.

  Args:
    path: the Parquet file.
    columns: the columns to produce; other columns of the file are ignored.
    strict: a null, a NaN or infinite float, a vector of the wrong length or a
      delimited value that does not parse is an error naming file, row and
      column. With strict=False such rows are dropped and counted.
    drop_limit: unused (the table's reader caps the dropped rows); the text
      reader's argument.

  Returns:
    The kept rows, typed as `text_reader.read_file` types them;
    `Rows.positions` holds the 0-based row index in the file of every kept row.

  Raises:
    ValueError: an unreadable file, a missing column, a column type that does
      not fit the decoder, or a malformed row (strict).
  """
  del drop_limit  # every row is read anyway
  try:
    parquet_file = pq.ParquetFile(path)
  except (pa.ArrowException, OSError) as e:
    raise ValueError(f"{path}: not a readable Parquet file: {e}") from None
  file_schema = parquet_file.schema_arrow
  num_rows = parquet_file.metadata.num_rows
  for column in columns:
    _check_type(path, column, file_schema)
  null_counts = _null_counts(parquet_file)
  by_tfio = [c.name for c in columns
             if num_rows and file_schema.field(c.name).type in _TFIO_TYPES
             and null_counts.get(c.name) == 0]
  by_arrow = [c.name for c in columns if c.name not in by_tfio]
  arrays = _read_tfio(path, by_tfio, num_rows) if by_tfio else {}
  if by_arrow:
    read = parquet_file.read(columns=by_arrow)
    for name in by_arrow:
      chunks = [chunk.dictionary_decode() if pa.types.is_dictionary(chunk.type) else chunk
                for chunk in read.column(name).chunks]
      value_type = _plain(file_schema.field(name).type)
      arrays[name] = pa.chunked_array(chunks, value_type)
  table = pa.table({c.name: arrays[c.name] for c in columns})
  return read_arrow(table, columns, strict=strict, source=path,
                    where=lambda row: f"{path}: row {row}", checked=True)


def read_arrow(table: pa.Table, columns: Sequence[schema.Column], *, strict: bool, source: str,
               where, checked: bool = False) -> columns_lib.Rows:
  """The typed rows of a pyarrow table holding `columns` (checked as a Parquet file's are).

  `source` names the table in messages, `where(row)` a row; `checked`: the
  column types were checked already.

  Raises:
    ValueError: a missing column, a column type that does not fit the decoder,
      or a malformed row (strict).
  """
  if not checked:
    for column in columns:
      _check_type(source, column, table.schema, "arrow")
    table = pa.table({c.name: _decoded(table.column(c.name)) for c in columns})
  num_rows = table.num_rows
  # Rows with nulls go first; the rest is parsed as text tables are.
  problems = []
  null = np.zeros(num_rows, bool)
  for column in columns:
    for rows, what in _null_rows(table.column(column.name)):
      new = rows[~null[rows]]
      problems.extend((int(r), f"column {column.name!r}: {what}") for r in new[:_MAX_PROBLEMS])
      null[rows] = True
  rows = np.arange(num_rows, dtype=np.int64)
  if null.any():
    rows = np.flatnonzero(~null)
    table = table.filter(pa.array(~null))
  return columns_lib.collect(columns, columns_lib.parse_columns(columns, table), rows,
                             strict=strict, source=source, where=where, problems=problems,
                             num_lost=int(null.sum()))


def _decoded(chunked: pa.ChunkedArray) -> pa.ChunkedArray:
  """A column with its dictionary-encoded chunks decoded."""
  chunks = [chunk.dictionary_decode() if pa.types.is_dictionary(chunk.type) else chunk
            for chunk in chunked.chunks]
  return pa.chunked_array(chunks, _plain(chunked.type))


def _plain(data_type: pa.DataType) -> pa.DataType:
  return data_type.value_type if pa.types.is_dictionary(data_type) else data_type


def _check_type(path: str, column: schema.Column, file_schema: pa.Schema,
                kind_name: str = "Parquet"):
  """Raises ValueError when the file lacks `column` or its type does not fit the kind."""
  if column.name not in file_schema.names:
    what = "file" if kind_name == "Parquet" else "table"
    raise ValueError(f"{path}: the {what} has no column {column.name!r} (it has "
                     f"{file_schema.names})")
  data_type = _plain(file_schema.field(column.name).type)

  def ints(t):
    return pa.types.is_integer(t) and t != pa.uint64()

  def numbers(t):
    return ints(t) or pa.types.is_floating(t)

  def text(t):
    return pa.types.is_string(t) or pa.types.is_large_string(t)

  def listed(t, value_ok):
    return columns_lib.is_list(t) and value_ok(t.value_type)

  kind = column.kind
  if kind == schema.INT64:
    ok, needs = ints(data_type), "an integer type (not uint64)"
  elif kind == schema.FLOAT32:
    ok, needs = numbers(data_type), "a float or integer type"
  elif kind == schema.STRING:
    ok, needs = text(data_type) or ints(data_type), "string or an integer type"
  elif kind == schema.FLOAT_VECTOR:
    ok = text(data_type) or listed(data_type, numbers) or (numbers(data_type) and column.dim == 1)
    if pa.types.is_fixed_size_list(data_type) and data_type.list_size != column.dim:
      ok = False
    needs = (f"a list or fixed-size list of {column.dim} numbers, or a string of "
             f"{column.delimiter!r}-separated numbers")
  elif kind == schema.INT64_LIST:
    ok = text(data_type) or listed(data_type, ints)
    needs = f"a list of integers, or a string of {column.delimiter!r}-separated integers"
  elif kind == schema.STRING_LIST:
    ok = text(data_type) or listed(data_type, lambda t: text(t) or ints(t))
    needs = f"a list of strings, or a string of {column.delimiter!r}-separated values"
  else:
    raise ValueError(f"unknown column kind {kind!r} of column {column.name!r}")
  if not ok:
    raise ValueError(f"{path}: column {column.name!r} has {kind_name} type {data_type}, but the "
                     f"decoder reads it as {kind}, which needs {needs}")


def _null_counts(parquet_file: pq.ParquetFile) -> dict[str, Optional[int]]:
  """Nulls per top-level scalar column from the file's metadata (None: unknown)."""
  metadata = parquet_file.metadata
  counts = {}
  for i in range(metadata.num_columns):
    leaf = metadata.schema.column(i)
    if "." in leaf.path:  # a nested column: read with pyarrow anyway
      continue
    if leaf.max_definition_level == 0:  # a required column
      counts[leaf.path] = 0
      continue
    total = 0
    for group in range(metadata.num_row_groups):
      stats = metadata.row_group(group).column(i).statistics
      if stats is None or not stats.has_null_count:
        total = None
        break
      total += stats.null_count
    counts[leaf.path] = total
  return counts


def _read_tfio(path: str, names: list[str], num_rows: int) -> dict[str, pa.ChunkedArray]:
  """Reads numeric columns without nulls with tensorflow-io, one thread per column."""
  import tensorflow_io as tfio  # pylint: disable=g-import-not-at-top

  def read(name):
    # np.asarray shares the tensor's buffer; .numpy() would copy it.
    values = np.asarray(tfio.IOTensor.from_parquet(path)(name).to_tensor())
    if len(values) != num_rows:
      raise ValueError(f"{path}: tensorflow-io read {len(values)} values of column {name!r}, "
                       f"the file has {num_rows} rows")
    return pa.chunked_array([pa.array(values)])

  with concurrent.futures.ThreadPoolExecutor(min(len(names), pa.cpu_count())) as pool:
    return dict(zip(names, pool.map(read, names)))


def _null_rows(chunked: pa.ChunkedArray) -> list[tuple[np.ndarray, str]]:
  """Rows that are null, and list rows that hold a null element, with what is wrong."""
  null, null_element, offset = [], [], 0
  for chunk in chunked.chunks:
    if chunk.null_count:
      null.append(offset + np.flatnonzero(chunk.is_null().to_numpy(zero_copy_only=False)))
    if columns_lib.is_list(chunk.type):
      flat = pc.list_flatten(chunk)
      if flat.null_count:
        parents = pc.list_parent_indices(chunk).to_numpy(zero_copy_only=False)
        null_element.append(offset + parents[flat.is_null().to_numpy(zero_copy_only=False)])
    offset += len(chunk)
  return [(np.unique(np.concatenate(rows)).astype(np.int64), what)
          for rows, what in ((null, "is null"), (null_element, "has a null element")) if rows]
