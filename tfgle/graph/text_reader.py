"""Reading one TSV/CSV node or edge table file: its header, records and line numbers.

A table file starts with a header row naming its columns, optionally typed as
in GLE (`src_id:int64<TAB>dst_id:int64<TAB>weight:float`; types int64, int32,
int, float, double, string). Files ending in `.csv` are comma separated (with
`"` quoting), all others tab separated. A record is one line: lines end with
\\n or \\r\\n, a quoted value cannot span lines, and a line that holds a lone
\\r (old Mac line ends) or a quote that does not close is a malformed row.
Blank lines are skipped (they still count for line numbers).

Speed: the common case is one multithreaded typed `pyarrow.csv` read plus
vectorized parsing (`tfgle.graph.columns`); there is no Python loop per row.
Only when that read fails, or rows must be dropped, is the file read again, as
bytes and single-threaded, to find every malformed row with its line number
and column; only lines that break the one-record-a-line rule are looked at one
by one, and only when the counts of lines and records say that some do.
"""
from __future__ import annotations

import csv as csv_lib
from typing import Optional, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from tfgle.graph import columns as columns_lib
from tfgle.graph import schema

HEADER_TYPES = columns_lib.INT_TYPES + columns_lib.FLOAT_TYPES + ("string",)

# Strict mode stops reading a file after this many rows with a wrong field count.
_MAX_STRICT_INVALID_ROWS = 1000
# Reading blocks of this size lets pyarrow parse a file on all cores.
_BLOCK_SIZE = 16 << 20
# Line-end checks read files in blocks of this size.
_SCAN_BLOCK = 1 << 24
# Malformed lines (a lone \r, an open quote) described per file.
_MAX_PROBLEMS = 3
_LF, _CR, _QUOTE = ord("\n"), ord("\r"), ord('"')


def delimiter_of(path: str) -> str:
  """The field separator of a table file: comma for .csv, else tab."""
  return "," if path.lower().endswith(".csv") else "\t"


def read_file(path: str, columns: Sequence[schema.Column], *, strict: bool = True,
              drop_limit: Optional[int] = None) -> columns_lib.Rows:
  """Reads `columns` from one TSV/CSV file with a header row.

  Args:
    path: the file (`.csv`: comma separated; anything else: tab separated).
    columns: the columns to produce; other columns of the file are ignored.
    strict: a malformed row (wrong number of fields, a number that does not
      parse, a value that does not fit its header type, a NaN or infinite
      float, a vector of the wrong length, a list element that does not
      parse, bytes that are not UTF-8, a lone \\r, a quote that does not close
      on its line) is an error naming file, line and column. With
      strict=False such rows are dropped and counted.
    drop_limit: lenient mode: reading stops with an error once more rows than
      this have a wrong field count (the table's reader counts the rest).

  Returns:
    The kept rows (`Rows.positions`: their line numbers, header = line 1):
    INT64 columns as int64 arrays, FLOAT32 as float32, STRING as object
    arrays of str, FLOAT_VECTOR as float32 [N, dim], and INT64_LIST /
    STRING_LIST as `RaggedColumn`s (an empty field is an empty list).

  Raises:
    ValueError: a file without a header, a requested column the header lacks,
      a header type that does not fit the column's kind, a malformed header,
      or a malformed row (strict).
  """
  delimiter = delimiter_of(path)
  names, types = read_header(path, delimiter, columns)
  declared = {c.name: types[c.name] for c in columns if types[c.name]}
  text = _Text(path)
  # Lines that are no record (dropped): line number -> why.
  broken = _lone_cr_lines(text, delimiter, names) if text.counts()[1] else {}
  quotes_checked = delimiter != ","
  while True:
    source = text.without(broken) if broken else text
    limit = None if drop_limit is None else drop_limit - len(broken)
    table, invalid = _read_records(source, names, columns, declared, delimiter, strict, limit)
    lines = _data_lines(source, table.num_rows + len(invalid))
    if lines is not None and (quotes_checked or not _last_line_is_open(source, lines)):
      break
    more = {} if quotes_checked else _open_quote_lines(text, names)
    quotes_checked = True
    if not more:
      raise ValueError(f"{path}: the file has a different number of non-blank data lines "
                       f"than pyarrow read records from it")
    broken.update(more)

  # pyarrow numbers the rows it reports from 1 with the header, blank lines left out.
  kept_lines = np.delete(lines, [number - 2 for number, _, _ in invalid]) if invalid else lines
  problems = [(int(lines[number - 2]), _field_count_message(names, actual, record))
              for number, actual, record in invalid[:_MAX_PROBLEMS]]
  problems.extend(sorted(broken.items())[:_MAX_PROBLEMS])
  parsed = columns_lib.parse_columns(columns, table, declared)
  return columns_lib.collect(columns, parsed, kept_lines, strict=strict, source=path,
                             where=lambda line: f"{path}:{line}", problems=problems,
                             num_lost=len(invalid) + len(broken))


# ---------------------------------------------------------------- the header


def read_header(path: str, delimiter: str,
                columns: Sequence[schema.Column]) -> tuple[list[str], dict[str, str]]:
  """The column names of a file's header row, and their types ("" when untyped).

  Raises:
    ValueError: no header, a lone \\r or an open quote in it, an unknown header
      type, duplicate names, a missing column, or a header type that does not
      fit the column's kind.
  """
  with open(path, "rb") as f:
    first = f.readline()
  try:
    text = first.decode("utf-8").lstrip("\ufeff").rstrip("\n").removesuffix("\r")
  except UnicodeDecodeError:
    raise ValueError(f"{path}:1: the header row is not UTF-8 text") from None
  if not text.strip():
    raise ValueError(f"{path}:1: expected a header row naming the columns, got "
                     f"{'an empty file' if not first else 'an empty line'}")
  if "\r" in text:
    raise ValueError(f"{path}:1: the header row holds a carriage return that ends no line: "
                     f"{_shown(text)}; {_LONE_CR}")
  if delimiter == "," and _open_quote_field(text.encode("utf-8"), ord(delimiter)) is not None:
    raise ValueError(f"{path}:1: the header row has a quote that does not close: "
                     f"{_shown(text)}")
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
  return names, types


_LONE_CR = "old Mac line ends (a lone \\r) are not supported; end lines with \\n or \\r\\n"


def _fitting_header_types(column: schema.Column) -> tuple[str, ...]:
  ints, floats = columns_lib.INT_TYPES, columns_lib.FLOAT_TYPES
  kind = column.kind
  if kind == schema.INT64:
    return ints
  if kind == schema.FLOAT32:
    return floats + ints
  if kind == schema.FLOAT_VECTOR:
    return ("string",) + (floats + ints if column.dim == 1 else ())
  if kind == schema.INT64_LIST:
    return ("string",) + ints
  return HEADER_TYPES  # STRING, STRING_LIST: any text


def _describe_kind(column: schema.Column) -> str:
  if column.kind == schema.FLOAT_VECTOR:
    return f"a float vector of {column.dim} {column.delimiter!r}-separated values"
  if column.kind in (schema.INT64_LIST, schema.STRING_LIST):
    return f"a {column.delimiter!r}-separated list ({column.kind})"
  return column.kind


def _shown(text: str) -> str:
  return repr(text if len(text) <= 80 else text[:77] + "...")


# ---------------------------------------------------------------- records


def _read_records(text: "_Text", names, columns, declared, delimiter, strict, drop_limit):
  """The file's records as a pyarrow table, and those with a wrong field count.

  A typed multithreaded read first; when it fails, an untyped one that finds
  the records with a wrong field count.
  """
  try:
    return _arrow_read(text, names, columns, declared, delimiter, typed=True)
  except pa.ArrowInvalid:
    pass  # a value that does not convert or a row with too few or many fields
  # A file full of rows with a wrong field count fails early, not after
  # collecting millions of them.
  limit = _MAX_STRICT_INVALID_ROWS if strict else drop_limit
  try:
    return _arrow_read(text, names, columns, declared, delimiter, typed=False, max_invalid=limit)
  except _TooManyInvalidRows as e:
    number, actual, record = e.first
    lines = _data_lines(text, number - 1, exact=False)
    where = f"{text.path}:{lines[-1]}" if lines is not None else f"{text.path}: record {number}"
    why = (f"more than {limit} rows in {text.path} have a wrong number of fields" if strict else
           "more malformed rows than max_dropped_rows allows")
    raise ValueError(f"{where}: {_field_count_message(names, actual, record)} ({why})") from None
  except pa.ArrowInvalid as e:
    raise ValueError(f"{text.path}: {e}") from None


def _arrow_read(text, names, columns, declared, delimiter, *, typed, max_invalid=None):
  """One pyarrow.csv read of the requested columns: (pa.Table, invalid rows).

  typed=True: multithreaded, int64/float32 columns converted by pyarrow (as
  int64 where the header declares ints), any row with a wrong field count is
  an error. typed=False: single-threaded (so that pyarrow numbers the rows),
  every column as bytes, and rows with a wrong field count come back as (row
  number, field count, text); more than `max_invalid` of them raise
  _TooManyInvalidRows.
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
    if column.kind == schema.INT64 or (column.kind == schema.FLOAT32 and
                                       declared.get(column.name) in columns_lib.INT_TYPES):
      return pa.int64()
    return pa.float32() if column.kind == schema.FLOAT32 else pa.string()

  read_options = pa_csv.ReadOptions(column_names=names, skip_rows=1, use_threads=typed,
                                    block_size=_BLOCK_SIZE)
  parse_options = pa_csv.ParseOptions(
      delimiter=delimiter, quote_char='"' if delimiter == "," else False,
      ignore_empty_lines=True, invalid_row_handler=on_invalid_row)
  convert_options = pa_csv.ConvertOptions(
      include_columns=[c.name for c in columns],
      column_types={c.name: arrow_type(c) for c in columns},
      null_values=[], strings_can_be_null=False, quoted_strings_can_be_null=False)
  with text.arrow_input() as source:
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


# ---------------------------------------------------------------- lines


class _Text:
  """The bytes of one text file, or of a copy whose malformed lines are emptied."""

  def __init__(self, path: str, data: Optional[bytes] = None):
    self.path = path
    self._data = data
    self._counts = None

  def blocks(self):
    """The bytes, block by block."""
    if self._data is not None:
      for start in range(0, len(self._data), _SCAN_BLOCK):
        yield self._data[start:start + _SCAN_BLOCK]
      return
    with open(self.path, "rb") as f:
      while True:
        block = f.read(_SCAN_BLOCK)
        if not block:
          return
        yield block

  def array(self) -> np.ndarray:
    """The bytes as a uint8 array (a memory map of the file)."""
    if self._data is not None:
      return np.frombuffer(self._data, np.uint8)
    with open(self.path, "rb") as f:
      empty = not f.read(1)
    return np.zeros(0, np.uint8) if empty else np.memmap(self.path, np.uint8, mode="r")

  def arrow_input(self):
    # A memory map, not the path: pyarrow would decompress by file extension.
    return pa.memory_map(self.path) if self._data is None else pa.BufferReader(self._data)

  def counts(self) -> tuple[int, int]:
    """(number of lines, number of \r's that end no line), counted in one pass."""
    if self._counts is None:
      lines, lone, size, last = 0, 0, 0, b""
      for block in self.blocks():
        lines += block.count(b"\n")
        returns = block.count(b"\r")
        lone += returns - block.count(b"\r\n") if returns else 0
        if last == b"\r" and block[:1] == b"\n":
          lone -= 1
        size += len(block)
        last = block[-1:]
      # A last line without \n is a line too; a \r ending the file ends a line.
      self._counts = (lines + (1 if size and last != b"\n" else 0), lone - (last == b"\r"))
    return self._counts

  def without(self, lines) -> "_Text":
    """A copy with `lines` (line numbers) emptied; blank lines are skipped but counted."""
    data = self.array()
    starts, ends = _line_bounds(data)
    keep = np.ones(len(data), bool)
    for line in lines:
      keep[starts[line - 1]:ends[line - 1]] = False
    return _Text(self.path, data[keep].tobytes())


def _line_bounds(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """Start and end (the \\n's offset, or the size) of every line."""
  ends = np.flatnonzero(data == _LF)
  if len(data) and data[-1] != _LF:
    ends = np.append(ends, len(data))
  starts = np.zeros_like(ends)
  starts[1:] = ends[:-1] + 1
  return starts, ends


def _data_lines(text: _Text, num_rows: int, *, exact: bool = True) -> Optional[np.ndarray]:
  """Line numbers of the first `num_rows` non-blank lines after the header.

  None when the file has fewer, or (exact=True) more. Counting line ends is one cheap pass; only a
  file with blank lines needs their positions. A line is blank when empty or
  just "\\r" (as pyarrow sees it).
  """
  if text.counts()[0] == num_rows + 1:
    return np.arange(2, num_rows + 2, dtype=np.int64)
  data = text.array()
  size = len(data)
  starts, ends = _line_bounds(data)
  lengths = ends - starts
  blank = (lengths == 0) | ((lengths == 1) & (data[np.minimum(starts, max(size - 1, 0))] == _CR))
  del data
  nonblank = np.flatnonzero(~blank) + 1
  lines = nonblank[nonblank >= 2].astype(np.int64)
  if not exact:
    lines = lines[:num_rows]
  return lines if len(lines) == num_rows else None


def _lone_cr_lines(text: _Text, delimiter: str, names: list[str]) -> dict[int, str]:
  """The data lines that hold a \\r ending no line, and why they are malformed."""
  data = text.array()
  starts, ends = _line_bounds(data)
  returns = np.flatnonzero(data == _CR)
  follower = data[np.minimum(returns + 1, len(data) - 1)]
  lone = returns[(returns + 1 < len(data)) & (follower != _LF)]
  found = {}
  for position in lone:
    index = int(np.searchsorted(ends, position))
    if index == 0 or index + 1 in found:
      continue  # the header is read_header's
    field = data[starts[index]:position].tobytes().count(delimiter.encode())
    line = data[starts[index]:ends[index]].tobytes()
    found[index + 1] = (f"column {names[min(field, len(names) - 1)]!r}: a carriage return "
                        f"ends no line: {_shown(line.decode('utf-8', 'replace'))}; {_LONE_CR}")
  return found


def _open_quote_lines(text: _Text, names: list[str]) -> dict[int, str]:
  """The data lines of a CSV file whose quoted value does not close on the line."""
  data = text.array()
  starts, ends = _line_bounds(data)
  found = {}
  for index in np.unique(np.searchsorted(ends, np.flatnonzero(data == _QUOTE))):
    if index == 0:
      continue
    line = data[starts[index]:ends[index]].tobytes().removesuffix(b"\r")
    field = _open_quote_field(line, ord(","))
    if field is not None:
      found[int(index) + 1] = (
          f"column {names[min(field, len(names) - 1)]!r}: a quote opens a value that does not "
          f"close on its line (a quoted value cannot span lines): "
          f"{_shown(line.decode('utf-8', 'replace'))}")
  return found


def _last_line_is_open(text: _Text, lines: np.ndarray) -> bool:
  """Whether the last record of a CSV file ends in an open quote.

  Only it can, when every record is one line: a quote left open earlier would
  have swallowed a later line. Only the file's tail is read.
  """
  if not len(lines):
    return False
  data = text.array()
  end = len(data)
  while end and data[end - 1] in (_LF, _CR):  # blank lines after the last record
    end -= 1
  window = 1 << 12
  while True:
    low = max(0, end - window)
    breaks = np.flatnonzero(data[low:end] == _LF)
    if len(breaks) or not low:
      line = data[low + (int(breaks[-1]) + 1 if len(breaks) else 0):end].tobytes()
      break
    window *= 2
  return b'"' in line and _open_quote_field(line, ord(",")) is not None


def _open_quote_field(line: bytes, delimiter: int) -> Optional[int]:
  """The field in which a quote opens and does not close by the line's end, or None.

  As pyarrow parses CSV: a quote opens a quoted value only at a field's start;
  inside it "" is a quote, and the next lone quote closes it.
  """
  field, quoted, at_start, i = 0, False, True, 0
  opened = None
  while i < len(line):
    byte = line[i]
    if quoted:
      if byte == _QUOTE:
        if line[i + 1:i + 2] == b'"':
          i += 1
        else:
          quoted = False
    elif byte == delimiter:
      field += 1
      at_start = True
      i += 1
      continue
    elif byte == _QUOTE and at_start:
      quoted, opened = True, field
    at_start = False
    i += 1
  return opened if quoted else None
