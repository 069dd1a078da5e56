"""Typed columns: raw column values become numpy columns, every bad row found and described.

Every table source ends here. The text and Parquet readers hand over pyarrow
arrays (text, numbers or lists) with the line or row of each; in-memory sources
are numpy arrays, lists or ragged values. Each requested `schema.Column` becomes
one numpy column (`ColumnData`); a row that does not parse is marked bad with a
`Problem` naming its column, and `collect` turns the marks into an error naming
the first bad row (strict) or drops and counts the bad rows (lenient).

Speed: arrays are parsed with vectorized `pyarrow.compute`/numpy work, split
into pieces that are parsed in parallel; there is no Python loop per row.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
from typing import Any, Callable, Mapping, Optional, Sequence, Union

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tfgle.graph import schema

# Problems described per column and piece (every bad row is still counted).
_MAX_PROBLEMS = 3
# Text to parse is split into pieces of at most this many rows, parsed in parallel.
_ROWS_PER_TASK = 1 << 16

INT_TYPES = ("int64", "int32", "int")
FLOAT_TYPES = ("float", "double")
_INT64_MAX = np.iinfo(np.int64).max
# Delimiters that list values are often written with; see _check_delimiter.
COMMON_DELIMITERS = ("|", ";", ",")
_INT32 = np.iinfo(np.int32)


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


def take(data: ColumnData, rows: np.ndarray) -> ColumnData:
  """The rows `rows` (sorted indices) of a column."""
  return data.take(rows) if isinstance(data, RaggedColumn) else data[rows]


@dataclasses.dataclass(frozen=True)
class Problem:
  """Why one row is malformed: `row` is its index in the parsed array."""
  row: int
  column: str
  message: str


@dataclasses.dataclass
class ParsedColumn:
  """One column parsed from strings, numbers or lists.

  Attributes:
    values: [N] (scalars), [N, dim] (float vectors) or the flat values (lists);
      rows marked bad hold placeholders.
    lengths: list kinds: number of values of each row; else None.
    bad: bool [N], rows that did not parse.
    problems: the first few bad rows of each piece, described.
  """
  values: np.ndarray
  lengths: Optional[np.ndarray]
  bad: np.ndarray
  problems: list[Problem]

  def to_column(self) -> ColumnData:
    if self.lengths is None:
      return self.values
    splits = np.zeros(len(self.lengths) + 1, np.int64)
    np.cumsum(self.lengths, out=splits[1:])
    return RaggedColumn(self.values, splits)


@dataclasses.dataclass
class Rows:
  """The typed columns read from one source (a file, or in-memory arrays).

  Attributes:
    columns: column name -> ColumnData of the kept rows.
    positions: where each kept row is in its source (text: 1-based line,
      Parquet and arrays: 0-based row).
    dropped: rows dropped (lenient mode).
    first_problem: the first dropped row, described; None when none was.
  """
  columns: dict[str, ColumnData]
  positions: np.ndarray
  dropped: int = 0
  first_problem: Optional[str] = None

  @property
  def num_rows(self) -> int:
    return len(self.positions)


def collect(columns: Sequence[schema.Column], parsed: Mapping[str, ParsedColumn],
            positions: np.ndarray, *, strict: bool, source: str, where: Callable[[int], str],
            problems: Sequence[tuple[int, str]] = (), num_lost: int = 0) -> Rows:
  """The good rows of parsed columns, or an error naming the first bad one.

  Args:
    columns: the columns, all in `parsed`.
    parsed: the parsed columns, rows aligned with `positions`.
    positions: the position in `source` of each parsed row (sorted).
    strict: a bad row is an error; else bad rows are dropped and counted.
    source: the source, for messages ("data.tsv", "the arrays").
    where: position -> "where" in messages ("data.tsv:7", "row 7").
    problems: (position, message) of rows lost before parsing (a wrong field
      count, a null), and `num_lost` their number.

  Raises:
    ValueError: strict, and a row is bad.
  """
  problems = list(problems)
  bad = np.zeros(len(positions), bool)
  for column in columns:
    bad |= parsed[column.name].bad
    problems.extend((int(positions[p.row]), f"column {p.column!r}: {p.message}")
                    for p in parsed[column.name].problems)
  data = {c.name: parsed[c.name].to_column() for c in columns}
  num_bad = int(bad.sum()) + num_lost
  if not num_bad:
    return Rows(data, positions)
  position, message = min(problems)
  first = f"{where(position)}: {message}"
  if strict:
    more = (f" ({num_bad} malformed rows in {source}; strict=False drops them)"
            if num_bad > 1 else "")
    raise ValueError(first + more)
  keep = np.flatnonzero(~bad)
  return Rows({name: take(d, keep) for name, d in data.items()}, positions[keep], num_bad,
              first)


# ---------------------------------------------------------------- arrow arrays


def parse_columns(columns: Sequence[schema.Column], table: pa.Table,
                  declared: Optional[Mapping[str, str]] = None) -> dict[str, ParsedColumn]:
  """Parses the requested columns of a pyarrow table, piece by piece in parallel.

  A column may come typed (int64/float32, lists) or as strings or bytes, which
  are parsed here; every row that does not parse is marked bad. Fixed-width
  results of many pieces are written straight into one output array by the
  worker threads (copying, and faulting in fresh memory, in parallel).

  Args:
    columns: the columns to parse, all in `table`.
    table: the raw columns.
    declared: column name -> the value type the source declares for it (a
      text header type: int64, int32, int, float, double or string); rows whose
      values (or list elements) do not have that type are bad too.
  """
  declared = declared or {}
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
    parsed = parse_array(column, chunk, declared.get(column.name))
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
  """Joins the parsed pieces of a column (`values`: their values, already joined)."""
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


class _Marks:
  """The bad rows of one column's array, the first few described."""

  def __init__(self, column: str, num_rows: int):
    self.column = column
    self.bad = np.zeros(num_rows, bool)
    self.problems: list[Problem] = []

  def mark(self, rows, message_of_row: Callable[[int], str]):
    """Marks `rows` bad, describing the first few new ones."""
    rows = np.asarray(rows, np.int64)
    if not len(rows):
      return
    new = rows[~self.bad[rows]]
    for row in new[:_MAX_PROBLEMS]:
      self.problems.append(Problem(int(row), self.column, message_of_row(int(row))))
    self.bad[rows] = True

  def parsed(self, values: np.ndarray, lengths: Optional[np.ndarray] = None) -> ParsedColumn:
    return ParsedColumn(values, lengths, self.bad, self.problems)


def parse_array(column: schema.Column, array: pa.Array,
                declared: Optional[str] = None) -> ParsedColumn:
  """Parses one array of a column into numpy, marking the rows that do not parse.

  `array` holds text (string or bytes: parsed here), numbers (from a typed
  read, or Parquet), or for vectors and lists also list arrays (Parquet). It
  must have no nulls. `declared`: see `parse_columns`.
  """
  marks = _Marks(column.name, len(array))
  if pa.types.is_binary(array.type):
    array, not_utf8 = cast_strings(array, pa.string(), trim=False)
    marks.mark(not_utf8, lambda r: "the value is not UTF-8 text")

  def value(row):
    return _shorten(array[row].as_py())

  kind = column.kind
  if kind in (schema.INT64, schema.FLOAT32):
    to_type = pa.int64() if kind == schema.INT64 else pa.float32()
    if _is_text(array.type):
      array_values, failed = cast_strings(array, to_type)
      marks.mark(failed, lambda r: f"{value(r)} is not {_a(kind)}")
    else:
      array_values = pc.cast(array, to_type, safe=kind == schema.INT64)
    values = array_values.to_numpy(zero_copy_only=False)
    if kind == schema.FLOAT32:
      marks.mark(np.flatnonzero(~np.isfinite(values)),
                 lambda r: f"{value(r)} is not a finite float")
    parsed = marks.parsed(values)
  elif kind == schema.STRING:
    text = array if _is_text(array.type) else pc.cast(array, pa.string())
    parsed = marks.parsed(text.to_numpy(zero_copy_only=False))
  elif kind == schema.FLOAT_VECTOR:
    parsed = _parse_vector(column, array, marks, value)
  elif kind in (schema.INT64_LIST, schema.STRING_LIST):
    parsed = _parse_list(column, array, marks, value)
  else:
    raise ValueError(f"unknown column kind {kind!r} of column {column.name!r}")
  if declared and _declares_more(column, declared):
    _check_declared(column, array, declared, marks, value)
  return parsed


def _declares_more(column: schema.Column, declared: str) -> bool:
  """Whether a declared value type says more than the column's kind checks."""
  if declared in INT_TYPES:
    return declared == "int32" or column.kind not in (schema.INT64, schema.INT64_LIST)
  if declared in FLOAT_TYPES:
    return column.kind in (schema.STRING, schema.STRING_LIST)
  return False


def _check_declared(column, array, declared, marks, value):
  """Marks the rows whose values (or list elements) do not have the `declared` type."""
  integer = declared in INT_TYPES
  if _is_text(array.type):
    elements, parents = _elements(column, array)
    numbers, failed = cast_strings(elements, pa.int64() if integer else pa.float64())
    shown = {int(parents[i]): elements[int(i)].as_py() for i in failed[::-1]}
    whole = column.kind in (schema.INT64, schema.FLOAT32, schema.STRING)
    marks.mark(np.unique(parents[failed]), lambda r: (
        f"{value(r)} does not fit its header type {declared!r}" if whole else
        f"element {shown[r]!r} does not fit its header type {declared!r}: {value(r)}"))
    numbers = numbers.to_numpy(zero_copy_only=False)
  else:  # numbers from a typed read
    numbers = array.to_numpy(zero_copy_only=False)
    parents = np.arange(len(numbers))
  if integer and numbers.dtype.kind == "f":
    marks.mark(np.unique(parents[numbers != np.round(numbers)]),
               lambda r: f"{value(r)} does not fit its header type {declared!r}")
  if declared == "int32":
    outside = (numbers < _INT32.min) | (numbers > _INT32.max)
    marks.mark(np.unique(parents[outside]),
               lambda r: f"{value(r)} is outside the range of its header type 'int32'")


def _elements(column: schema.Column, text: pa.Array) -> tuple[pa.Array, np.ndarray]:
  """The values of a text array (list elements for vectors and lists), and their rows."""
  if column.kind in (schema.INT64, schema.FLOAT32, schema.STRING):
    return text, np.arange(len(text))
  if column.kind == schema.FLOAT_VECTOR:
    parts = pc.split_pattern(text, column.delimiter)
  else:
    parts = _split_list(text, column.delimiter)
  return pc.list_flatten(parts), pc.list_parent_indices(parts).to_numpy(zero_copy_only=False)


def _split_list(text: pa.Array, delimiter: str) -> pa.Array:
  """Delimited text as a list array; an empty field is an empty list."""
  # Empty fields become nulls, which split into no values at all.
  nullable = pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text)
  return pc.split_pattern(nullable, delimiter)


def _is_text(data_type: pa.DataType) -> bool:
  return pa.types.is_string(data_type) or pa.types.is_large_string(data_type)


def is_list(data_type: pa.DataType) -> bool:
  """Whether an arrow type is a list, large list or fixed-size list."""
  return (pa.types.is_list(data_type) or pa.types.is_large_list(data_type) or
          pa.types.is_fixed_size_list(data_type))


def _parse_vector(column, array, marks, value) -> ParsedColumn:
  """A float vector column: `dim` floats per row (delimited text or a list)."""
  dim, n = column.dim, len(array)
  if is_list(array.type):
    parts = array
  elif _is_text(array.type):
    parts = pc.split_pattern(array, column.delimiter)
  else:  # numbers: vectors of one value
    parts = pa.ListArray.from_arrays(pa.array(np.arange(n + 1, dtype=np.int32)), array)
  lengths = pc.list_value_length(parts).to_numpy(zero_copy_only=False)
  marks.mark(np.flatnonzero(lengths != dim),
             lambda r: f"has {lengths[r]} values, expected {dim}: {value(r)}")
  ok_rows = np.flatnonzero(~marks.bad)
  if len(ok_rows) < n:
    parts = parts.take(pa.array(ok_rows))
  flat = pc.list_flatten(parts)
  if _is_text(flat.type):
    strings = flat
    flat, failed = cast_strings(strings, pa.float32())
    element = {int(ok_rows[i // dim]): strings[int(i)].as_py() for i in failed[::-1]}
    marks.mark(ok_rows[failed // dim],
               lambda r: f"element {element[r]!r} is not a float: {value(r)}")
  flat = pc.cast(flat, pa.float32(), safe=False).to_numpy(zero_copy_only=False)
  flat = flat.reshape(-1, dim)
  marks.mark(ok_rows[np.flatnonzero(~np.isfinite(flat).all(axis=1))],
             lambda r: f"an element is not a finite float: {value(r)}")
  if len(ok_rows) == n:
    return marks.parsed(flat)
  values = np.zeros((n, dim), np.float32)
  values[ok_rows] = flat
  return marks.parsed(values)


def _parse_list(column, array, marks, value) -> ParsedColumn:
  """An INT64_LIST / STRING_LIST column: delimited text ("" = []) or a list."""
  if _is_text(array.type):
    _check_delimiter(column, array)
  parts = array if is_list(array.type) else _split_list(array, column.delimiter)
  lengths = pc.list_value_length(parts).fill_null(0).to_numpy(zero_copy_only=False)
  lengths = lengths.astype(np.int64)
  flat = pc.list_flatten(parts)
  if column.kind == schema.STRING_LIST:
    if not _is_text(flat.type):
      flat = pc.cast(flat, pa.string())
    return marks.parsed(flat.to_numpy(zero_copy_only=False).astype(object), lengths)
  if not _is_text(flat.type):
    return marks.parsed(pc.cast(flat, pa.int64()).to_numpy(zero_copy_only=False), lengths)
  values, failed = cast_strings(flat, pa.int64())
  if len(failed):
    parents = pc.list_parent_indices(parts).to_numpy(zero_copy_only=False)
    element = {int(parents[i]): flat[int(i)].as_py() for i in failed[::-1]}
    marks.mark(np.unique(parents[failed]),
               lambda r: f"list element {element[r]!r} is not an int64: {value(r)}")
  return marks.parsed(values.to_numpy(zero_copy_only=False), lengths)


def _check_delimiter(column: schema.Column, text: pa.Array):
  """Raises ValueError when no value holds the delimiter but most hold another common one.

  Such a column would silently become one value per row (a "genre" such as
  'Action|Adventure'), so it is an error of the whole column, lenient or not.
  """
  if not len(text) or pc.any(pc.match_substring(text, column.delimiter)).as_py():
    return
  filled = int(pc.sum(pc.not_equal(text, "")).as_py() or 0)
  for other in COMMON_DELIMITERS:
    if other == column.delimiter:
      continue
    holding = pc.match_substring(text, other)
    count = int(pc.sum(holding).as_py() or 0)
    if count * 2 > filled:
      example = text.filter(holding)[0].as_py()
      raise ValueError(
          f"column {column.name!r}: {count} of {filled} values hold {other!r} and none the "
          f"delimiter {column.delimiter!r} (for example {example!r}), so each would be read as "
          f"a single value; declare the delimiter, e.g. CategoricalAttr(multivalued=True, "
          f"delimiter={other!r})")


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


# ---------------------------------------------------------------- in-memory arrays


def from_arrays(arrays: Mapping[str, Any], columns: Sequence[schema.Column], *,
                strict: bool = True) -> Rows:
  """Checks and converts in-memory columns (numpy arrays, lists, ragged values).

  A column of the wrong shape or type, or ragged values whose row splits do not
  describe them, is an error naming the column. A row with a bad value (a NaN
  or infinite float, an integer outside the int64 range) is an error naming
  its row and column; with strict=False it is dropped and counted.

  Raises:
    ValueError: as above, or columns of different lengths.
  """
  parsed: dict[str, ParsedColumn] = {}
  num_rows = None
  for column in columns:
    if column.name not in arrays:
      raise ValueError(f"the arrays have no column {column.name!r} (they have "
                       f"{sorted(arrays)}); the decoder needs {[c.name for c in columns]}")
    parsed[column.name] = _convert(arrays[column.name], column)
    length = len(parsed[column.name].bad)
    if num_rows is None:
      num_rows = length
    elif length != num_rows:
      raise ValueError(f"column {column.name!r} has {length} rows, but "
                       f"{columns[0].name!r} has {num_rows}")
  return collect(columns, parsed, np.arange(num_rows or 0, dtype=np.int64), strict=strict,
                 source="the arrays", where=lambda row: f"row {row}")


def _convert(value, column: schema.Column) -> ParsedColumn:
  """One in-memory column, its bad rows marked."""
  name = column.name
  if column.kind in (schema.INT64_LIST, schema.STRING_LIST):
    return _convert_ragged(value, column)
  array = np.asarray(value)
  if column.kind == schema.FLOAT_VECTOR:
    if array.ndim != 2 or array.shape[1] != column.dim:
      raise ValueError(f"column {name!r} must have shape [N, {column.dim}], got {array.shape}")
  elif array.ndim != 1:
    raise ValueError(f"column {name!r} must be one-dimensional, got shape {array.shape}")
  marks = _Marks(name, len(array))
  if column.kind == schema.INT64:
    _check_integers(array, name, "integers")
    values = array.astype(np.int64, copy=False)
    _mark_above_int64(_above_int64(array), values, np.arange(len(array)), marks)
    return marks.parsed(values)
  if column.kind in (schema.FLOAT32, schema.FLOAT_VECTOR):
    if array.dtype.kind not in "iuf":
      raise ValueError(f"column {name!r} must hold numbers, got dtype {array.dtype}")
    values = array.astype(np.float32, copy=False)
    finite = np.isfinite(values) if values.ndim == 1 else np.isfinite(values).all(axis=1)
    marks.mark(np.flatnonzero(~finite), lambda r: (
        f"{array[r]!r} is not a finite float" if values.ndim == 1 else
        f"an element is not a finite float: {array[r].tolist()!r}"))
    return marks.parsed(values)
  if column.kind == schema.STRING:
    if array.dtype.kind not in "USO":
      raise ValueError(f"column {name!r} must hold strings, got dtype {array.dtype}")
    return marks.parsed(array.astype(object))
  raise ValueError(f"unknown column kind {column.kind!r}")


def _check_integers(array: np.ndarray, name: str, what: str):
  if array.size and array.dtype.kind not in "iu":
    raise ValueError(f"column {name!r} must hold {what}, got dtype {array.dtype}")


def _above_int64(array: np.ndarray) -> np.ndarray:
  """Where unsigned `array` holds values above the int64 maximum."""
  if array.dtype.kind != "u":
    return np.zeros(array.shape, bool)
  return array > _INT64_MAX


def _mark_above_int64(above: np.ndarray, wrapped: np.ndarray, rows: np.ndarray, marks: _Marks,
                      what: str = ""):
  """Marks the rows of values above the int64 maximum (`wrapped`: cast to int64)."""
  if not above.any():
    return
  shown = {int(r): int(v) % (1 << 64) for r, v in zip(rows[above][::-1], wrapped[above][::-1])}
  marks.mark(np.unique(rows[above]),
             lambda r: f"{what}{shown[r]} is above the int64 maximum {_INT64_MAX}")


def _convert_ragged(value, column: schema.Column) -> ParsedColumn:
  """Accepts a RaggedColumn, a tf.RaggedTensor or a sequence of sequences."""
  name = column.name
  ints = column.kind == schema.INT64_LIST
  if isinstance(value, RaggedColumn) or (hasattr(value, "flat_values") and
                                         hasattr(value, "row_splits")):
    if isinstance(value, RaggedColumn):
      values, splits = np.asarray(value.values), np.asarray(value.row_splits)
    elif value.ragged_rank != 1 or len(value.flat_values.shape) != 1:
      raise ValueError(f"column {name!r} must be a ragged tensor of shape [N, None], got "
                       f"shape {value.shape}")
    else:
      values, splits = value.flat_values.numpy(), value.row_splits.numpy()
    _check_row_splits(splits, len(values), name)
    if ints:
      _check_integers(values, name, "lists of integers")
    above = _above_int64(values)
  else:
    rows = [np.asarray(r).reshape(-1) for r in value]
    splits = np.zeros(len(rows) + 1, np.int64)
    np.cumsum([len(r) for r in rows], out=splits[1:])
    if ints:
      # Row by row: numpy would make floats of a mix of int64 and uint64 rows.
      for row in rows:
        _check_integers(row, name, "lists of integers")
      above = np.concatenate([_above_int64(r) for r in rows] + [np.zeros(0, bool)])
      values = np.concatenate([r.astype(np.int64) for r in rows] + [np.zeros(0, np.int64)])
    else:
      values = np.concatenate(rows) if rows else np.zeros(0, object)
  lengths = np.diff(splits).astype(np.int64)
  marks = _Marks(name, len(lengths))
  if not ints:
    return marks.parsed(values.astype(object), lengths)
  values = values.astype(np.int64, copy=False)
  _mark_above_int64(above, values, np.repeat(np.arange(len(lengths)), lengths), marks,
                    "list element ")
  return marks.parsed(values, lengths)


def _check_row_splits(splits: np.ndarray, num_values: int, name: str):
  """Raises ValueError unless `splits` are row splits of `num_values` values.

  Row splits describe the whole column: when they are wrong, no row can be
  trusted, so this is an error in lenient mode too.
  """
  prefix = f"column {name!r}: row_splits"
  if splits.ndim != 1 or not len(splits) or splits.dtype.kind not in "iu":
    raise ValueError(f"{prefix} must be a non-empty 1-D array of integers, got "
                     f"{splits.dtype} of shape {splits.shape}")
  if splits[0] != 0:
    raise ValueError(f"{prefix}[0] = {splits[0]}, must be 0 (row 0 starts at value 0)")
  if splits[-1] != num_values:
    raise ValueError(f"{prefix}[-1] = {splits[-1]}, must be the number of values, "
                     f"{num_values}")
  down = np.flatnonzero(splits[1:] < splits[:-1])
  if len(down):
    i = int(down[0])
    raise ValueError(f"{prefix} must not decrease, but row_splits[{i + 1}] = {splits[i + 1]} "
                     f"< row_splits[{i}] = {splits[i]} (row {i})")
