"""Column declarations and checks shared by the reader tests."""
import os

from tfgle.graph import schema
from tfgle.graph import tables

INT64, FLOAT32, STRING = schema.INT64, schema.FLOAT32, schema.STRING


def vector(name, dim, delimiter=":"):
  return schema.Column(name, schema.FLOAT_VECTOR, dim=dim, delimiter=delimiter)


def int_list(name, delimiter=","):
  return schema.Column(name, schema.INT64_LIST, delimiter=delimiter)


def string_list(name, delimiter=","):
  return schema.Column(name, schema.STRING_LIST, delimiter=delimiter)


def write_file(directory, name, data):
  """Writes `data` (str, or bytes as they are) to directory/name; returns the path."""
  path = os.path.join(directory, name)
  with open(path, "wb" if isinstance(data, bytes) else "w") as f:
    f.write(data)
  return path


def check_drops_counted_and_capped(test, paths, columns, *, locations, first_problem):
  """Reads two files that lose 2 and 1 rows: counted per file, and capped at 2.

  Returns the table read with max_dropped_rows=3.
  """
  first, second = paths
  table = tables.read_table(paths, columns, strict=False, max_dropped_rows=3)
  test.assertEqual(table.dropped, {first: 2, second: 1})
  test.assertEqual([table.locate(0), table.locate(1)], locations)
  with test.assertRaisesRegex(
      ValueError, r"3 malformed rows dropped, more than max_dropped_rows=2 "
      rf"\(per file: .*\); the first: {first_problem}"):
    tables.read_table(paths, columns, strict=False, max_dropped_rows=2)
  return table
