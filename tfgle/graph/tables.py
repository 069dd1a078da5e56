"""Reading node and edge tables into typed numpy columns.

`read_table` accepts what `Graph.node()` / `Graph.edge()` accept as a source:
a path, a glob, a list of them (TSV/CSV text with a header, or Parquet), a
dict of numpy arrays, a pyarrow Table (or RecordBatch), or a pandas DataFrame
(if pandas is installed; it is converted with `pyarrow.Table.from_pandas`).
It returns a `Table` with one numpy array (or ragged column) per requested
`schema.Column`, plus where every row came from, so that
later checks (dangling edges, duplicate ids) can name a file and line. The
formats' readers (`text_reader`, `parquet_reader`) read one file each, and
`tfgle.graph.columns` types its columns; here the files of a table are read in
order, the rows dropped in lenient mode are counted and capped, and the
files' rows are concatenated.
"""
from __future__ import annotations

import dataclasses
import glob as glob_lib
import os
from typing import Any, Mapping, Sequence, Union

import numpy as np
import pyarrow as pa

from tfgle._progress import RateProgress
from tfgle.graph import columns as columns_lib
from tfgle.graph import parquet_reader
from tfgle.graph import schema
from tfgle.graph import text_reader
from tfgle.graph.columns import ColumnData, RaggedColumn  # pylint: disable=unused-import


# Files of a table this large (in all) are read with a progress bar (bytes read, rows/s);
# None turns it off.
PROGRESS_MIN_BYTES = 256 << 20


@dataclasses.dataclass
class Table:
  """Typed columns of one table, and the origin of each row.

  Attributes:
    columns: column name -> np.ndarray (or [N, D] for float vectors, or
      RaggedColumn for lists).
    num_rows: number of rows kept.
    files: (file name, line number of each kept row) per input file, in row
      order (text: 1-based lines, the header is line 1; Parquet: 0-based row
      indices); in-memory sources (arrays, arrow tables, data frames):
      ("<arrays>", 0-based row of each kept row).
    dropped: file name (`<arrays>` for in-memory sources) -> rows dropped in
      lenient mode.
  """
  columns: dict[str, ColumnData]
  num_rows: int
  files: list[tuple[str, np.ndarray]] = dataclasses.field(default_factory=list)
  dropped: dict[str, int] = dataclasses.field(default_factory=dict)

  def locate(self, row: int) -> str:
    """Where row `row` came from: 'path:line', or 'row N' for in-memory data."""
    for name, lines in self.files:
      if row < len(lines):
        return f"row {int(lines[row])}" if name == ARRAYS else f"{name}:{int(lines[row])}"
      row -= len(lines)
    return f"row {row}"

  def take(self, rows: np.ndarray) -> "Table":
    """The table restricted to `rows` (sorted row indices)."""
    columns = {name: columns_lib.take(col, rows) for name, col in self.columns.items()}
    all_lines = (np.concatenate([lines for _, lines in self.files])
                 if self.files else np.zeros(0, np.int64))
    files = []
    if self.files:
      bounds = np.cumsum([0] + [len(lines) for _, lines in self.files])
      for i, (name, _) in enumerate(self.files):
        mine = rows[(rows >= bounds[i]) & (rows < bounds[i + 1])]
        files.append((name, all_lines[mine]))
    return Table(columns, len(rows), files, dict(self.dropped))


# The name of in-memory sources in `Table.files` and `Table.dropped`.
ARRAYS = "<arrays>"

Source = Union[str, os.PathLike, Sequence[Union[str, os.PathLike]], Mapping[str, Any], pa.Table,
               pa.RecordBatch, Any]  # Any: a pandas DataFrame

_PARQUET_SUFFIXES = (".parquet", ".pq")


def expand_paths(source) -> list[str]:
  """Expands a path, glob or list of them into sorted existing files."""
  items = [source] if isinstance(source, (str, os.PathLike)) else list(source)
  paths = []
  for item in items:
    if not isinstance(item, (str, os.PathLike)):
      raise ValueError(f"a table source must be a path, a glob, a list of them, a dict of "
                       f"arrays, a pyarrow Table or a pandas DataFrame; got an item "
                       f"{_shorten(item)}")
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


def check_dropped_fraction(value):
  """Raises ValueError unless `value` is a number in [0, 1] (a max_dropped_fraction)."""
  if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
    raise ValueError(f"max_dropped_fraction must be a number in [0, 1], got {value!r}")


def read_table(source: Source, columns: Sequence[schema.Column], *, strict: bool = True,
               max_dropped_rows: int = 1000, max_dropped_fraction: float = 1.0) -> Table:
  """Reads `columns` of a table from `source`.

  Args:
    source: a path, glob or list of them (`.parquet`/`.pq` files are Parquet,
      anything else TSV/CSV text with a header row), a dict of arrays, a
      pyarrow Table or RecordBatch (columns typed as Parquet's may be), or a
      pandas DataFrame (its index is not a column).
    columns: the columns to produce (other columns of the source are ignored).
    strict: a malformed row is an error naming file, line and column (for
      arrays: row and column). With strict=False such rows are dropped and
      counted per file (`Table.dropped`).
    max_dropped_rows: in lenient mode, more dropped rows than this (per table)
      is still an error.
    max_dropped_fraction: in lenient mode, a file (or the arrays) that loses
      more than this fraction of its rows is still an error, and so is one that
      loses all of them; the default 1.0 allows any loss short of that.

  Raises:
    ValueError: a malformed row (strict), a missing column, a header type that
      does not match the decoder, too many dropped rows (lenient), or a bad
      `max_dropped_rows` / `max_dropped_fraction`.
    FileNotFoundError: a path or glob that names no file.
  """
  if isinstance(max_dropped_rows, bool) or not isinstance(max_dropped_rows, int) or (
      max_dropped_rows < 0):
    raise ValueError(f"max_dropped_rows must be an int >= 0, got {max_dropped_rows!r}")
  check_dropped_fraction(max_dropped_fraction)
  limits = _DropLimits(strict, max_dropped_rows, max_dropped_fraction)
  source = _from_pandas(source)
  if isinstance(source, pa.RecordBatch):
    source = pa.Table.from_batches([source])
  if isinstance(source, (Mapping, pa.Table)):
    if isinstance(source, pa.Table):
      rows = parquet_reader.read_arrow(source, columns, strict=strict, source="the arrow table",
                                       where=lambda row: f"row {row}")
    else:
      rows = columns_lib.from_arrays(source, columns, strict=strict)
    limits.add(ARRAYS, rows)
    return Table(rows.columns, rows.num_rows, [(ARRAYS, rows.positions)], limits.dropped)
  paths = expand_paths(source)
  parquet = [p.endswith(_PARQUET_SUFFIXES) for p in paths]
  if any(parquet) and not all(parquet):
    raise ValueError(f"a table source mixes Parquet and text files: {paths}")
  reader = parquet_reader if all(parquet) else text_reader
  sizes = [os.path.getsize(path) for path in paths]
  big = PROGRESS_MIN_BYTES is not None and sum(sizes) >= PROGRESS_MIN_BYTES
  progress = RateProgress(sum(sizes), unit="byte", rate_name="rows/s", verbose=int(big))
  parts = []
  for path, size in zip(paths, sizes):
    rows = reader.read_file(path, columns, strict=strict, drop_limit=limits.left())
    limits.add(path, rows)
    parts.append(rows)
    progress.add(size, rows.num_rows)
  return _concatenate(parts, paths, columns, limits.dropped)


def _from_pandas(source):
  """A pandas DataFrame as a pyarrow Table (pandas is imported only if it is loaded)."""
  if not type(source).__module__.startswith("pandas"):
    return source
  import pandas  # pylint: disable=g-import-not-at-top
  if not isinstance(source, pandas.DataFrame):
    return source
  return pa.Table.from_pandas(source, preserve_index=False)


def _shorten(value) -> str:
  text = repr(value)
  return text if len(text) <= 80 else text[:76] + "..."


class _DropLimits:
  """Counts the rows dropped per file and enforces read_table's limits."""

  def __init__(self, strict: bool, max_rows: int, max_fraction: float):
    self.strict, self.max_rows, self.max_fraction = strict, max_rows, max_fraction
    self.dropped: dict[str, int] = {}
    self.first_problem = None

  def left(self):
    """How many more rows may be dropped (None: strict, none may)."""
    return None if self.strict else self.max_rows - sum(self.dropped.values())

  def add(self, name: str, rows: columns_lib.Rows):
    """Counts the rows dropped from file `name`; raises ValueError over a limit."""
    self.dropped[name] = rows.dropped
    self.first_problem = self.first_problem or rows.first_problem
    if not rows.dropped:
      return
    total = rows.num_rows + rows.dropped
    if not rows.num_rows or rows.dropped > self.max_fraction * total:
      what = (f"all {total} rows" if not rows.num_rows else
              f"{rows.dropped} of {total} rows, more than max_dropped_fraction="
              f"{self.max_fraction},")
      raise ValueError(f"{name}: {what} are malformed; the first: {rows.first_problem}")
    all_files = sum(self.dropped.values())
    if all_files > self.max_rows:
      raise ValueError(
          f"{all_files} malformed rows dropped, more than max_dropped_rows={self.max_rows} "
          f"(per file: {self.dropped}); the first: {self.first_problem}")


def _concatenate(parts: list[columns_lib.Rows], paths: Sequence[str],
                 columns: Sequence[schema.Column], dropped: dict[str, int]) -> Table:
  """The table of the rows read from several files, in order."""
  files = [(path, part.positions) for path, part in zip(paths, parts)]
  num_rows = sum(part.num_rows for part in parts)
  if len(parts) == 1:
    return Table(parts[0].columns, num_rows, files, dropped)
  out = {}
  for column in columns:
    datas = [p.columns[column.name] for p in parts]
    if isinstance(datas[0], RaggedColumn):
      offsets = np.cumsum([0] + [d.row_splits[-1] for d in datas[:-1]])
      splits = np.concatenate([datas[0].row_splits[:1]] + [
          d.row_splits[1:] + offset for d, offset in zip(datas, offsets)])
      out[column.name] = RaggedColumn(np.concatenate([d.values for d in datas]),
                                      splits.astype(np.int64))
    else:
      out[column.name] = np.concatenate(datas)
  return Table(out, num_rows, files, dropped)
