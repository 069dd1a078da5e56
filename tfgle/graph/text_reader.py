"""Reading TSV/CSV node and edge tables into typed columns, fast and with exact errors.

A table file starts with a header row naming its columns, optionally typed as
in GLE (`src_id:int64<TAB>dst_id:int64<TAB>weight:float`; types int64, int32,
int, float, double, string). Files ending in `.csv` are comma separated (with
`"` quoting), all others tab separated. Blank lines are skipped (they still
count for line numbers).

Speed: the common case is one multithreaded typed `pyarrow.csv` read plus
vectorized `pyarrow.compute`/numpy work (vector and list columns are split and
parsed chunk by chunk in parallel); there is no Python loop per row. Only when
that read fails, or rows must be dropped, is the file read again, as bytes and
single-threaded, to find every malformed row with its line number and column.
"""
from __future__ import annotations

import concurrent.futures
import csv as csv_lib
import dataclasses
from typing import Optional, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from tfgle.graph import schema
from tfgle.graph import tables

_INT_TYPES = ("int64", "int32", "int")
_FLOAT_TYPES = ("float", "double")
HEADER_TYPES = _INT_TYPES + _FLOAT_TYPES + ("string",)

# Problems described per column and chunk (every bad row is still counted).
_MAX_PROBLEMS = 3
# Strict mode stops reading a file after this many rows with a wrong field count.
_MAX_STRICT_INVALID_ROWS = 1000
# Reading blocks of this size lets pyarrow parse a file on all cores.
_BLOCK_SIZE = 16 << 20
# Text to parse is split into pieces of at most this many rows, parsed in parallel.
_ROWS_PER_TASK = 1 << 16


@dataclasses.dataclass(frozen=True)
class Problem:
  """Why one row is malformed: `row` is its index in the parsed array."""
  row: int
  column: str
  message: str


@dataclasses.dataclass
class ParsedColumn:
  """One column parsed from strings (or taken from a typed read).

  Attributes:
    values: [N] (scalars), [N, dim] (float vectors) or the flat values (lists);
      rows marked bad hold placeholders.
    lengths: list kinds: number of values of each row; else None.
    bad: bool [N], rows that did not parse.
    problems: the first few bad rows of each chunk, described.
  """
  values: np.ndarray
  lengths: Optional[np.ndarray]
  bad: np.ndarray
  problems: list[Problem]

  def to_column(self) -> tables.ColumnData:
    if self.lengths is None:
      return self.values
    splits = np.zeros(len(self.lengths) + 1, np.int64)
    np.cumsum(self.lengths, out=splits[1:])
    return tables.RaggedColumn(self.values, splits)


def read_text_table(paths: Sequence[str], columns: Sequence[schema.Column], *,
                    strict: bool = True, max_dropped_rows: int = 1000) -> tables.Table:
  """Reads `columns` from TSV/CSV files with a header row, concatenated in order.

  Args:
    paths: the files (`.csv`: comma separated; anything else: tab separated).
    columns: the columns to produce; other columns of the files are ignored.
    strict: a malformed row (wrong number of fields, a number that does not
      parse, a NaN or infinite float, a vector of the wrong length, a list
      element that does not parse, bytes that are not UTF-8) is an error naming
      file, line and column. With strict=False such rows are dropped and
      counted per file in `Table.dropped`.
    max_dropped_rows: with strict=False, dropping more rows than this (over
      all files) is still an error.

  Returns:
    A `tables.Table`: INT64 columns as int64 arrays, FLOAT32 as float32,
    STRING as object arrays of str, FLOAT_VECTOR as float32 [N, dim], and
    INT64_LIST / STRING_LIST as `tables.RaggedColumn`s (an empty field is an
    empty list). `Table.files` holds the line number (header = line 1) of every
    kept row.

  Raises:
    ValueError: a file without a header, a requested column the header lacks,
      a header type that does not fit the column's kind, a malformed row
      (strict), or too many dropped rows (lenient).
  """
  return read_files(
      paths, columns, max_dropped_rows,
      lambda path, limit: _read_file(path, columns, strict, None if strict else limit))


def read_files(paths: Sequence[str], columns: Sequence[schema.Column], max_dropped_rows: int,
               read_file) -> tables.Table:
  """Reads the files in order and concatenates their tables (any format's reader).

  Args:
    paths, columns, max_dropped_rows: as read_text_table.
    read_file: (path, limit) -> (Table of the kept rows, rows dropped, first
      problem or None); `limit` is how many rows may still be dropped.

  Raises:
    ValueError: more than max_dropped_rows rows dropped over all files.
  """
  parts = []
  dropped: dict[str, int] = {}
  first_drop = None
  for path in paths:
    part, num_dropped, drop_example = read_file(path, max_dropped_rows - sum(dropped.values()))
    parts.append(part)
    dropped[path] = num_dropped
    first_drop = first_drop or drop_example
    total = sum(dropped.values())
    if total > max_dropped_rows:
      raise ValueError(
          f"{total} malformed rows dropped, more than max_dropped_rows={max_dropped_rows} "
          f"(per file: {dropped}); the first: {first_drop}")
  return concatenate(parts, columns, dropped)


# ---------------------------------------------------------------- one file


def delimiter_of(path: str) -> str:
  """The field separator of a table file: comma for .csv, else tab."""
  return "," if path.lower().endswith(".csv") else "\t"


def _read_file(path: str, columns: Sequence[schema.Column], strict: bool,
               drop_limit: Optional[int]):
  """Reads one file: (Table of the kept rows, rows dropped, first problem or None).

  `drop_limit`: lenient mode: how many more rows may be dropped.
  """
  delimiter = delimiter_of(path)
  names = read_header(path, delimiter, columns)
  table, invalid = None, []
  try:
    table, _ = _arrow_read(path, names, columns, delimiter, typed=True)
  except pa.ArrowInvalid:
    pass  # a value that does not convert or a row with too few or many fields
  if table is None:
    # A file full of rows with a wrong field count fails early, not after
    # collecting millions of them.
    limit = _MAX_STRICT_INVALID_ROWS if strict else drop_limit
    try:
      table, invalid = _arrow_read(path, names, columns, delimiter, typed=False,
                                   max_invalid=limit)
    except _TooManyInvalidRows as e:
      number, actual, text = e.first
      line = _data_lines(path, number - 1)[-1]
      why = (f"more than {limit} rows in {path} have a wrong number of fields" if strict else
             "more malformed rows than max_dropped_rows allows")
      raise ValueError(
          f"{path}:{line}: {_field_count_message(names, actual, text)} ({why})") from None
    except pa.ArrowInvalid as e:
      raise ValueError(f"{path}: {e}") from None
  data_lines = _data_lines(path, table.num_rows + len(invalid))
  # pyarrow numbers the rows it reports from 1 with the header, blank lines left out.
  lines = data_lines
  if invalid:
    lines = np.delete(data_lines, [number - 2 for number, _, _ in invalid])

  parsed = parse_columns(columns, table)
  problems = [(int(data_lines[number - 2]), _field_count_message(names, actual, text))
              for number, actual, text in invalid[:_MAX_PROBLEMS]]
  bad = np.zeros(table.num_rows, bool)
  for column in columns:
    bad |= parsed[column.name].bad
    problems.extend((int(lines[p.row]), f"column {p.column!r}: {p.message}")
                    for p in parsed[column.name].problems)
  num_bad = int(bad.sum()) + len(invalid)
  if not num_bad:
    return tables.Table({c.name: parsed[c.name].to_column() for c in columns},
                        table.num_rows, [(path, lines)]), 0, None
  line, message = min(problems)
  first = f"{path}:{line}: {message}"
  if strict:
    more = f" ({num_bad} malformed rows in {path}; strict=False drops them)" if num_bad > 1 else ""
    raise ValueError(first + more)
  keep = np.flatnonzero(~bad)
  full = tables.Table({c.name: parsed[c.name].to_column() for c in columns}, table.num_rows)
  kept = full.take(keep)
  return tables.Table(kept.columns, len(keep), [(path, lines[keep])]), num_bad, first


def read_header(path: str, delimiter: str, columns: Sequence[schema.Column]) -> list[str]:
  """The column names of a file's header row, checked against `columns`.

  Raises:
    ValueError: no header, an unknown header type, duplicate names, a missing
      column, or a header type that does not fit the column's kind.
  """
  with open(path, "rb") as f:
    first = f.readline()
  try:
    text = first.decode("utf-8").lstrip("\ufeff").rstrip("\r\n")
  except UnicodeDecodeError:
    raise ValueError(f"{path}:1: the header row is not UTF-8 text") from None
  if not text.strip():
    raise ValueError(f"{path}:1: expected a header row naming the columns, got "
                     f"{'an empty file' if not first else 'an empty line'}")
  if delimiter == ",":
    fields = next(csv_lib.reader([text]))
  else:
    fields = text.split(delimiter)
  names, types = [], {}
  for field in fields:
    name, _, type_name = field.strip().rpartition(":")
    if not name:
      name, type_name = type_name, ""
    type_name = type_name.strip().lower()
    name = name.strip()
    if type_name and type_name not in HEADER_TYPES:
      raise ValueError(
          f"{path}:1: header column {field!r} has type {type_name!r}; header types are "
          f"{', '.join(HEADER_TYPES)} (a name that contains ':' needs a type, as in "
          f"'{field}:string')")
    if not name:
      raise ValueError(f"{path}:1: the header has an empty column name: {text!r}")
    if name in types:
      raise ValueError(f"{path}:1: the header names column {name!r} twice: {text!r}")
    names.append(name)
    types[name] = type_name
  for column in columns:
    if column.name not in types:
      raise ValueError(f"{path}: the header has no column {column.name!r} (it has {names}); "
                       f"the decoder needs {[c.name for c in columns]}")
    header_type = types[column.name]
    fitting = _fitting_header_types(column)
    if header_type and header_type not in fitting:
      raise ValueError(
          f"{path}:1: column {column.name!r} has header type {header_type!r}, but the "
          f"decoder reads it as {_describe_kind(column)}, which needs header type "
          f"{' or '.join(fitting)} (or none)")
  return names


def _fitting_header_types(column: schema.Column) -> tuple[str, ...]:
  kind = column.kind
  if kind == schema.INT64:
    return _INT_TYPES
  if kind == schema.FLOAT32:
    return _FLOAT_TYPES + _INT_TYPES
  if kind == schema.FLOAT_VECTOR:
    return ("string",) + (_FLOAT_TYPES + _INT_TYPES if column.dim == 1 else ())
  if kind == schema.INT64_LIST:
    return ("string",) + _INT_TYPES
  return HEADER_TYPES  # STRING, STRING_LIST: any text


def _describe_kind(column: schema.Column) -> str:
  if column.kind == schema.FLOAT_VECTOR:
    return f"a float vector of {column.dim} {column.delimiter!r}-separated values"
  if column.kind in (schema.INT64_LIST, schema.STRING_LIST):
    return f"a {column.delimiter!r}-separated list ({column.kind})"
  return column.kind


def _arrow_read(path, names, columns, delimiter, *, typed, max_invalid=None):
  """One pyarrow.csv read of the requested columns: (pa.Table, invalid rows).

  typed=True: multithreaded, int64/float32 columns converted by pyarrow, any
  row with a wrong field count is an error. typed=False: single-threaded (so
  that pyarrow numbers the rows), every column as bytes, and rows with a wrong
  field count come back as (row number, field count, text); more than
  `max_invalid` of them raise _TooManyInvalidRows.
  """
  invalid = []

  def on_invalid_row(row):
    if typed:
      return "error"
    invalid.append((row.number, row.actual_columns, row.text))
    return "error" if max_invalid is not None and len(invalid) > max_invalid else "skip"

  def arrow_type(column):
    if not typed:
      return pa.binary()
    return {schema.INT64: pa.int64(), schema.FLOAT32: pa.float32()}.get(column.kind, pa.string())

  read_options = pa_csv.ReadOptions(column_names=names, skip_rows=1, use_threads=typed,
                                    block_size=_BLOCK_SIZE)
  parse_options = pa_csv.ParseOptions(
      delimiter=delimiter, quote_char='"' if delimiter == "," else False,
      ignore_empty_lines=True, invalid_row_handler=on_invalid_row)
  convert_options = pa_csv.ConvertOptions(
      include_columns=[c.name for c in columns],
      column_types={c.name: arrow_type(c) for c in columns},
      null_values=[], strings_can_be_null=False, quoted_strings_can_be_null=False)
  # A memory map, not the path: pyarrow would decompress by file extension.
  with pa.memory_map(path) as source:
    try:
      table = pa_csv.read_csv(source, read_options=read_options, parse_options=parse_options,
                              convert_options=convert_options)
    except pa.ArrowInvalid:
      if max_invalid is not None and len(invalid) > max_invalid:
        raise _TooManyInvalidRows(invalid[0]) from None
      raise
  return table, invalid


class _TooManyInvalidRows(Exception):
  """More rows with a wrong field count than allowed; `first` is the first of them."""

  def __init__(self, first):
    super().__init__(first)
    self.first = first


def _field_count_message(names, actual, text) -> str:
  shown = text if len(text) <= 80 else text[:77] + "..."
  if actual < len(names):
    return (f"column {names[actual]!r}: the row has {actual} fields, the header has "
            f"{len(names)} (missing from {names[actual]!r} on): {shown!r}")
  return (f"column {names[-1]!r}: the row has {actual} fields, the header has {len(names)} "
          f"(extra fields after {names[-1]!r}): {shown!r}")


def _data_lines(path: str, num_rows: int) -> np.ndarray:
  """Line numbers of the first `num_rows` non-blank lines after the header.

  Counting line ends is one cheap pass; only a file with blank lines needs
  their positions. A line is blank when empty or just "\\r" (as pyarrow sees it).
  """
  count, size, last = 0, 0, b""
  with open(path, "rb") as f:
    while True:
      block = f.read(1 << 24)
      if not block:
        break
      count += block.count(b"\n")
      size += len(block)
      last = block[-1:]
  num_lines = count + (1 if size and last != b"\n" else 0)
  if num_lines == num_rows + 1:
    return np.arange(2, num_rows + 2, dtype=np.int64)
  data = np.memmap(path, np.uint8, mode="r") if size else np.zeros(0, np.uint8)
  ends = np.flatnonzero(data == ord("\n"))
  if size and last != b"\n":
    ends = np.append(ends, size)
  starts = np.empty_like(ends)
  starts[:1] = 0
  starts[1:] = ends[:-1] + 1
  lengths = ends - starts
  blank = (lengths == 0) | ((lengths == 1) & (data[np.minimum(starts, max(size - 1, 0))] == 13))
  del data
  nonblank = np.flatnonzero(~blank) + 1
  lines = nonblank[nonblank >= 2][:num_rows].astype(np.int64)
  if len(lines) != num_rows:
    raise ValueError(f"{path}: the file has {len(lines)} non-blank data lines, but {num_rows} "
                     "rows were read; lone carriage returns (old Mac line ends) are not "
                     "supported")
  return lines


# ---------------------------------------------------------------- parsing columns


def parse_columns(columns: Sequence[schema.Column], table: pa.Table) -> dict[str, ParsedColumn]:
  """Parses the requested columns of a pyarrow table, chunk by chunk in parallel.

  A column may come typed (int64/float32 from a typed read) or as strings or
  bytes, which are parsed here; every row that does not parse is marked bad.
  Fixed-width results of many chunks are written straight into one output
  array by the worker threads (copying, and faulting in fresh memory, in
  parallel).
  """
  tasks, outputs = [], {}
  for column in columns:
    chunked = table.column(column.name)
    chunks = [piece for chunk in chunked.chunks for piece in _pieces(column, chunk)]
    chunks = chunks or [pa.array([], chunked.type)]
    if len(chunks) > 1 and column.kind not in (schema.INT64_LIST, schema.STRING_LIST):
      shape = (table.num_rows, column.dim) if column.kind == schema.FLOAT_VECTOR else (
          table.num_rows,)
      outputs[column.name] = np.empty(shape, _DTYPES[column.kind])
    start = 0
    for chunk in chunks:
      tasks.append((column, chunk, start))
      start += len(chunk)

  def run(task):
    column, chunk, start = task
    parsed = parse_array(column, chunk)
    output = outputs.get(column.name)
    if output is not None:
      output[start:start + len(chunk)] = parsed.values
      parsed.values = None
    return parsed

  workers = min(pa.cpu_count(), len(tasks))
  if workers > 1:
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
      results = list(pool.map(run, tasks))
  else:
    results = [run(task) for task in tasks]
  out = {}
  for column in columns:
    mine = [r for (c, _, _), r in zip(tasks, results) if c is column]
    out[column.name] = _concat_parsed(mine, outputs.get(column.name))
  return out


def _pieces(column: schema.Column, chunk: pa.Array) -> list[pa.Array]:
  """`chunk`, sliced for parallel parsing where it holds text, vectors or lists."""
  busy = (_is_text(chunk.type) or pa.types.is_binary(chunk.type) or
          column.kind in (schema.FLOAT_VECTOR, schema.INT64_LIST, schema.STRING_LIST))
  if not busy or len(chunk) <= _ROWS_PER_TASK:
    return [chunk]
  return [chunk.slice(start, _ROWS_PER_TASK) for start in range(0, len(chunk), _ROWS_PER_TASK)]


_DTYPES = {schema.INT64: np.int64, schema.FLOAT32: np.float32, schema.STRING: object,
           schema.FLOAT_VECTOR: np.float32}


def _concat_parsed(parts: list[ParsedColumn], values: Optional[np.ndarray]) -> ParsedColumn:
  """Joins the parsed chunks of a column (`values`: their values, already joined)."""
  if len(parts) == 1:
    return parts[0]
  problems, offset = [], 0
  for part in parts:
    problems.extend(dataclasses.replace(p, row=p.row + offset) for p in part.problems)
    offset += len(part.bad)
  if values is None:
    values = np.concatenate([p.values for p in parts])
  lengths = None if parts[0].lengths is None else np.concatenate([p.lengths for p in parts])
  return ParsedColumn(values, lengths, np.concatenate([p.bad for p in parts]), problems)


def parse_array(column: schema.Column, array: pa.Array) -> ParsedColumn:
  """Parses one array of a column into numpy, marking the rows that do not parse.

  `array` holds text (string or bytes: parsed here), numbers (from a typed
  read, or Parquet), or for vectors and lists also list arrays (Parquet). It
  must have no nulls.
  """
  n = len(array)
  bad = np.zeros(n, bool)
  problems: list[Problem] = []

  def mark(rows, message_of_row):
    """Marks `rows` bad, describing the first few new ones."""
    rows = np.asarray(rows, np.int64)
    if not len(rows):
      return
    new = rows[~bad[rows]]
    for row in new[:_MAX_PROBLEMS]:
      problems.append(Problem(int(row), column.name, message_of_row(int(row))))
    bad[rows] = True

  if pa.types.is_binary(array.type):
    array, not_utf8 = cast_strings(array, pa.string(), trim=False)
    mark(not_utf8, lambda r: "the value is not UTF-8 text")

  def value(row):
    return _shorten(array[row].as_py())

  kind = column.kind
  if kind in (schema.INT64, schema.FLOAT32):
    to_type = pa.int64() if kind == schema.INT64 else pa.float32()
    if _is_text(array.type):
      array_values, failed = cast_strings(array, to_type)
      mark(failed, lambda r: f"{value(r)} is not {_a(kind)}")
    else:
      array_values = pc.cast(array, to_type, safe=kind == schema.INT64)
    values = array_values.to_numpy(zero_copy_only=False)
    if kind == schema.FLOAT32:
      mark(np.flatnonzero(~np.isfinite(values)), lambda r: f"{value(r)} is not a finite float")
    return ParsedColumn(values, None, bad, problems)

  if kind == schema.STRING:
    if not _is_text(array.type):
      array = pc.cast(array, pa.string())
    return ParsedColumn(array.to_numpy(zero_copy_only=False), None, bad, problems)

  if kind == schema.FLOAT_VECTOR:
    return _parse_vector(column, array, bad, mark, value, problems)
  if kind in (schema.INT64_LIST, schema.STRING_LIST):
    return _parse_list(column, array, bad, mark, value, problems)
  raise ValueError(f"unknown column kind {kind!r} of column {column.name!r}")


def _is_text(data_type: pa.DataType) -> bool:
  return pa.types.is_string(data_type) or pa.types.is_large_string(data_type)


def is_list(data_type: pa.DataType) -> bool:
  return (pa.types.is_list(data_type) or pa.types.is_large_list(data_type) or
          pa.types.is_fixed_size_list(data_type))


def _parse_vector(column, array, bad, mark, value, problems) -> ParsedColumn:
  """A float vector column: `dim` floats per row (delimited text or a list)."""
  dim, n = column.dim, len(array)
  if is_list(array.type):
    parts = array
  elif _is_text(array.type):
    parts = pc.split_pattern(array, column.delimiter)
  else:  # numbers: vectors of one value
    parts = pa.ListArray.from_arrays(pa.array(np.arange(n + 1, dtype=np.int32)), array)
  lengths = pc.list_value_length(parts).to_numpy(zero_copy_only=False)
  mark(np.flatnonzero(lengths != dim),
       lambda r: f"has {lengths[r]} values, expected {dim}: {value(r)}")
  ok_rows = np.flatnonzero(~bad)
  if len(ok_rows) < n:
    parts = parts.take(pa.array(ok_rows))
  flat = pc.list_flatten(parts)
  if _is_text(flat.type):
    strings = flat
    flat, failed = cast_strings(strings, pa.float32())
    element = {int(ok_rows[i // dim]): strings[int(i)].as_py() for i in failed[::-1]}
    mark(ok_rows[failed // dim],
         lambda r: f"element {element[r]!r} is not a float: {value(r)}")
  flat = pc.cast(flat, pa.float32(), safe=False).to_numpy(zero_copy_only=False)
  flat = flat.reshape(-1, dim)
  mark(ok_rows[np.flatnonzero(~np.isfinite(flat).all(axis=1))],
       lambda r: f"an element is not a finite float: {value(r)}")
  if len(ok_rows) == n:
    return ParsedColumn(flat, None, bad, problems)
  values = np.zeros((n, dim), np.float32)
  values[ok_rows] = flat
  return ParsedColumn(values, None, bad, problems)


def _parse_list(column, array, bad, mark, value, problems) -> ParsedColumn:
  """An INT64_LIST / STRING_LIST column: delimited text ("" = []) or a list."""
  if is_list(array.type):
    parts = array
  else:
    # Empty fields become nulls, which split into no values at all.
    nullable = pc.if_else(pc.equal(array, ""), pa.scalar(None, array.type), array)
    parts = pc.split_pattern(nullable, column.delimiter)
  lengths = pc.list_value_length(parts).fill_null(0).to_numpy(zero_copy_only=False)
  lengths = lengths.astype(np.int64)
  flat = pc.list_flatten(parts)
  if column.kind == schema.STRING_LIST:
    if not _is_text(flat.type):
      flat = pc.cast(flat, pa.string())
    return ParsedColumn(flat.to_numpy(zero_copy_only=False).astype(object), lengths, bad,
                        problems)
  if not _is_text(flat.type):
    return ParsedColumn(pc.cast(flat, pa.int64()).to_numpy(zero_copy_only=False), lengths,
                        bad, problems)
  values, failed = cast_strings(flat, pa.int64())
  if len(failed):
    parents = pc.list_parent_indices(parts).to_numpy(zero_copy_only=False)
    element = {int(parents[i]): flat[int(i)].as_py() for i in failed[::-1]}
    mark(np.unique(parents[failed]),
         lambda r: f"list element {element[r]!r} is not an int64: {value(r)}")
  return ParsedColumn(values.to_numpy(zero_copy_only=False), lengths, bad, problems)


def cast_strings(strings: pa.Array, to_type: pa.DataType, *, trim: bool = True):
  """Casts strings (or bytes) to `to_type`: (cast array, indices that failed).

  Values that fail are cast from a placeholder instead. The failures are found
  by bisection, so a few bad values among millions cost a few extra casts.
  Numbers may carry spaces or tabs around them, as pyarrow's CSV reader allows.
  """
  try:
    return pc.cast(strings, to_type), np.zeros(0, np.int64)
  except pa.ArrowInvalid:
    pass
  if trim:
    strings = pc.utf8_trim(strings, " \t")
    try:
      return pc.cast(strings, to_type), np.zeros(0, np.int64)
    except pa.ArrowInvalid:
      pass
  failed = []
  pending = [(0, len(strings))]
  while pending:
    start, stop = pending.pop()
    try:
      pc.cast(strings.slice(start, stop - start), to_type)
      continue
    except pa.ArrowInvalid:
      pass
    if stop - start <= 8:
      for i in range(start, stop):
        try:
          pc.cast(strings.slice(i, 1), to_type)
        except pa.ArrowInvalid:
          failed.append(i)
    else:
      middle = (start + stop) // 2
      pending += [(middle, stop), (start, middle)]
  failed = np.sort(np.array(failed, np.int64))
  mask = np.zeros(len(strings), bool)
  mask[failed] = True
  placeholder = pa.scalar(b"0" if pa.types.is_binary(strings.type) else "0", strings.type)
  return pc.cast(pc.if_else(pa.array(mask), placeholder, strings), to_type), failed


def _a(kind: str) -> str:
  return {schema.INT64: "an int64", schema.FLOAT32: "a float"}[kind]


def _shorten(value) -> str:
  if isinstance(value, bytes):
    value = value.decode("utf-8", "replace")
  text = repr(value)
  return text if len(text) <= 80 else text[:76] + "...'"


# ---------------------------------------------------------------- concatenation


def concatenate(parts: list[tables.Table], columns, dropped) -> tables.Table:
  """Concatenates the tables read from several files, in order."""
  if len(parts) == 1:
    parts[0].dropped = dropped
    return parts[0]
  out = {}
  for column in columns:
    datas = [p.columns[column.name] for p in parts]
    if isinstance(datas[0], tables.RaggedColumn):
      offsets = np.cumsum([0] + [d.row_splits[-1] for d in datas[:-1]])
      splits = np.concatenate([datas[0].row_splits[:1]] + [
          d.row_splits[1:] + offset for d, offset in zip(datas, offsets)])
      out[column.name] = tables.RaggedColumn(np.concatenate([d.values for d in datas]),
                                             splits.astype(np.int64))
    else:
      out[column.name] = np.concatenate(datas)
  files = [f for p in parts for f in p.files]
  return tables.Table(out, sum(p.num_rows for p in parts), files, dropped)
