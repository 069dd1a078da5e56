"""Tests of the TSV/CSV table reader: types, line numbers, strict errors, lenient drops."""
import os

import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tfgle.graph import columns
from tfgle.graph import schema
from tfgle.graph import tables
from tfgle.graph import text_reader

from tests.graph.columns import (FLOAT32, INT64, STRING, check_drops_counted_and_capped,
                                 int_list, string_list, vector, write_file)


EDGE_COLUMNS = [schema.Column("src_id", INT64), schema.Column("dst_id", INT64),
                schema.Column("weight", FLOAT32)]
NODE_COLUMNS = [schema.Column("id", INT64), vector("feature", 3),
                schema.Column("label", INT64), int_list("words"), string_list("tags"),
                schema.Column("name", STRING)]
NODE_HEADER = "id:int64\tfeature:string\tlabel:int64\twords\ttags:string\tname"


class TextReaderTest(tf.test.TestCase):

  def write(self, name, text):
    return write_file(self.get_temp_dir(), name, text)

  def read(self, paths, columns, **kwargs):
    return tables.read_table(paths, columns, **kwargs)

  # ---------------------------------------------------------------- reading

  def test_all_column_kinds(self):
    path = self.write("nodes.tsv", NODE_HEADER + "\n"
                      "7\t1.5:-2:3e2\t1\t4,5,6\ta,b\tseven\n"
                      "9\t0:0:0\t0\t\t\t\n")
    table = self.read(path, NODE_COLUMNS)
    self.assertEqual(table.num_rows, 2)
    self.assertEqual(table.columns["id"].dtype, np.int64)
    self.assertAllEqual(table.columns["id"], [7, 9])
    self.assertEqual(table.columns["feature"].dtype, np.float32)
    self.assertAllEqual(table.columns["feature"], [[1.5, -2, 300], [0, 0, 0]])
    self.assertAllEqual(table.columns["label"], [1, 0])
    words = table.columns["words"]
    self.assertIsInstance(words, tables.RaggedColumn)
    self.assertEqual(words.values.dtype, np.int64)
    self.assertAllEqual(words.values, [4, 5, 6])
    self.assertAllEqual(words.row_splits, [0, 3, 3])
    self.assertEqual(list(table.columns["tags"].values), ["a", "b"])
    self.assertAllEqual(table.columns["tags"].row_splits, [0, 2, 2])
    self.assertEqual(list(table.columns["name"]), ["seven", ""])
    self.assertEqual(table.columns["name"].dtype, object)
    self.assertEqual(table.files[0][0], path)
    self.assertAllEqual(table.files[0][1], [2, 3])
    self.assertEqual(table.dropped, {path: 0})

  def test_untyped_header_takes_types_from_columns_and_ignores_extra_columns(self):
    path = self.write("edges.tsv", "weight\textra\tdst_id\tsrc_id\n"
                      "0.5\tx\t2\t1\n"
                      "1\ty\t3\t2\n")
    table = self.read(path, EDGE_COLUMNS)
    self.assertAllEqual(table.columns["src_id"], [1, 2])
    self.assertAllEqual(table.columns["dst_id"], [2, 3])
    self.assertAllClose(table.columns["weight"], [0.5, 1.0])
    self.assertEqual(sorted(table.columns), ["dst_id", "src_id", "weight"])

  def test_csv_uses_commas_and_quotes(self):
    path = self.write("nodes.csv", 'id,name,words\n1,"a, b","1,2"\n2,plain,3\n')
    table = self.read(path, [schema.Column("id", INT64), schema.Column("name", STRING),
                             int_list("words")])
    self.assertEqual(list(table.columns["name"]), ["a, b", "plain"])
    self.assertAllEqual(table.columns["words"].values, [1, 2, 3])
    self.assertAllEqual(table.columns["words"].row_splits, [0, 2, 3])

  @parameterized.expand([("txt", "edges.txt"), ("no_suffix", "edges"), ("dat", "edges.dat")])
  def test_other_suffixes_are_tab_separated(self, _, name):
    path = self.write(name, "src_id\tdst_id\tweight\n1\t2\t0.5\n")
    self.assertAllEqual(self.read(path, EDGE_COLUMNS).columns["dst_id"], [2])

  def test_blank_lines_are_skipped_but_counted(self):
    path = self.write("edges.tsv", "src_id\tdst_id\tweight\n\n1\t2\t1\n\n\n3\t4\t1\n\n")
    table = self.read(path, EDGE_COLUMNS)
    self.assertAllEqual(table.columns["src_id"], [1, 3])
    self.assertAllEqual(table.files[0][1], [3, 6])
    self.assertEqual(table.locate(1), f"{path}:6")

  def test_windows_line_ends(self):
    path = self.write("edges.tsv", "src_id\tdst_id\tweight\r\n1\t2\t1\r\n\r\n3\t4\t0.5\r\n")
    with open(path, "rb") as f:  # the text mode of some platforms rewrites \r\n
      data = f.read().replace(b"\r\r\n", b"\r\n")
    with open(path, "wb") as f:
      f.write(data)
    table = self.read(path, EDGE_COLUMNS)
    self.assertAllEqual(table.columns["dst_id"], [2, 4])
    self.assertAllEqual(table.files[0][1], [2, 4])

  def test_single_column_file_with_blank_lines(self):
    path = self.write("ids.tsv", "id\n5\n\n6\n")
    table = self.read(path, [schema.Column("id", STRING)])
    self.assertEqual(list(table.columns["id"]), ["5", "6"])
    self.assertAllEqual(table.files[0][1], [2, 4])

  def test_no_trailing_newline_and_spaces_around_numbers(self):
    path = self.write("edges.tsv", "src_id\tdst_id\tweight\n 1\t2 \t 0.25 \n3\t4\t1")
    table = self.read(path, EDGE_COLUMNS)
    self.assertAllEqual(table.columns["src_id"], [1, 3])
    self.assertAllClose(table.columns["weight"], [0.25, 1.0])

  def test_header_only(self):
    path = self.write("nodes.tsv", NODE_HEADER + "\n")
    table = self.read(path, NODE_COLUMNS)
    self.assertEqual(table.num_rows, 0)
    self.assertEqual(table.columns["id"].shape, (0,))
    self.assertEqual(table.columns["feature"].shape, (0, 3))
    self.assertAllEqual(table.columns["words"].row_splits, [0])

  def test_files_are_concatenated_in_order(self):
    first = self.write("part-0.tsv", NODE_HEADER + "\n1\t1:1:1\t0\t1,2\tx\ta\n")
    second = self.write("part-1.tsv", NODE_HEADER + "\n\n2\t2:2:2\t1\t3\t\tb\n"
                        "3\t3:3:3\t0\t\ty,z\tc\n")
    table = self.read([first, second], NODE_COLUMNS)
    self.assertAllEqual(table.columns["id"], [1, 2, 3])
    self.assertAllEqual(table.columns["feature"][:, 0], [1, 2, 3])
    self.assertAllEqual(table.columns["words"].values, [1, 2, 3])
    self.assertAllEqual(table.columns["words"].row_splits, [0, 2, 3, 3])
    self.assertEqual(list(table.columns["tags"].values), ["x", "y", "z"])
    self.assertAllEqual(table.columns["tags"].row_splits, [0, 1, 1, 3])
    self.assertEqual([table.locate(i) for i in range(3)],
                     [f"{first}:2", f"{second}:3", f"{second}:4"])

  def test_many_chunks_match_one(self):
    rng = np.random.default_rng(0)
    n = 3000
    src, dst = rng.integers(0, 100, n), rng.integers(0, 100, n)
    weights = rng.random(n).astype(np.float32)
    lines = [f"{s}\t{d}\t{w!r}" for s, d, w in zip(src, dst, weights.tolist())]
    lines[2500] = "1\t2\tbad"
    path = self.write("edges.tsv", "src_id\tdst_id\tweight\n" + "\n".join(lines) + "\n")
    old = text_reader._BLOCK_SIZE, columns._ROWS_PER_TASK
    text_reader._BLOCK_SIZE = 1 << 12  # many pyarrow chunks
    columns._ROWS_PER_TASK = 50        # each parsed in pieces
    try:
      table = self.read(path, EDGE_COLUMNS, strict=False)
      with self.assertRaisesRegex(ValueError, f"{path}:2502: column 'weight': 'bad'"):
        self.read(path, EDGE_COLUMNS)
    finally:
      text_reader._BLOCK_SIZE, columns._ROWS_PER_TASK = old
    keep = np.arange(n) != 2500
    self.assertAllEqual(table.columns["src_id"], src[keep])
    self.assertAllEqual(table.columns["dst_id"], dst[keep])
    self.assertAllEqual(table.columns["weight"], weights[keep])
    self.assertAllEqual(table.files[0][1], np.arange(2, n + 2)[keep])

  # ---------------------------------------------------------------- header errors

  @parameterized.expand([
      ("string_for_int", "id:string", schema.Column("id", INT64), "'string'", "int64"),
      ("float_for_int", "id:float", schema.Column("id", INT64), "'float'", "int64"),
      ("string_for_float", "id:string", schema.Column("id", FLOAT32), "'string'", "float32"),
      ("int_for_vector", "id:int64", vector("id", 4), "'int64'", "float vector of 4"),
      ("float_for_list", "id:double", int_list("id"), "'double'", "list"),
  ])
  def test_header_type_that_does_not_fit(self, _, header, column, header_type, expected):
    path = self.write("t.tsv", header + "\n1\n")
    with self.assertRaisesRegex(ValueError, f"{path}:1: column 'id' has header type "
                                f"{header_type}, but the decoder reads it as .*{expected}"):
      self.read(path, [column])

  def test_fitting_header_types(self):
    path = self.write("t.tsv", "a:int32\tb:int\tc:double\td:int64\te:float\n1\t2\t3\t4\t5\n")
    table = self.read(path, [schema.Column("a", INT64), schema.Column("b", FLOAT32),
                             schema.Column("c", FLOAT32), schema.Column("d", STRING),
                             vector("e", 1)])
    self.assertAllEqual(table.columns["a"], [1])
    self.assertEqual(list(table.columns["d"]), ["4"])
    self.assertAllEqual(table.columns["e"], [[5.0]])

  def test_missing_column_names_file_column_and_header(self):
    path = self.write("edges.tsv", "src_id\tdst\tweight\n1\t2\t3\n")
    with self.assertRaisesRegex(
        ValueError, rf"{path}: the header has no column 'dst_id' "
        r"\(it has \['src_id', 'dst', 'weight'\]\)"):
      self.read(path, EDGE_COLUMNS)

  @parameterized.expand([
      ("unknown_type", "id:bool\n", r":1: header column 'id:bool' has type 'bool'; header types"),
      ("duplicate", "id\tid\n", ":1: the header names column 'id' twice"),
      ("empty_file", "", ":1: expected a header row naming the columns, got an empty file"),
      ("blank_first_line", "\nid\n1\n", ":1: expected a header row .* got an empty line"),
      ("empty_name", "id\t\n", ":1: the header has an empty column name"),
  ])
  def test_bad_header(self, _, text, message):
    path = self.write("t.tsv", text)
    with self.assertRaisesRegex(ValueError, message):
      self.read(path, [schema.Column("id", INT64)])

  # ---------------------------------------------------------------- malformed rows

  @parameterized.expand([
      ("too_few_fields", "1\t2\n", 3, "weight", r"the row has 2 fields, the header has 3"),
      ("too_many_fields", "1\t2\t3\t4\n", 3, "weight", r"the row has 4 fields, the header has 3"),
      ("bad_int", "1\tx2\t0.5\n", 3, "dst_id", r"'x2' is not an int64"),
      ("float_for_int", "1.5\t2\t0.5\n", 3, "src_id", r"'1.5' is not an int64"),
      ("int_overflow", "99999999999999999999\t2\t0.5\n", 3, "src_id",
       r"'99999999999999999999' is not an int64"),
      ("empty_int", "\t2\t0.5\n", 3, "src_id", r"'' is not an int64"),
      ("bad_float", "1\t2\tabc\n", 3, "weight", r"'abc' is not a float"),
      ("nan", "1\t2\tnan\n", 3, "weight", r"nan is not a finite float"),
      ("inf", "1\t2\t-inf\n", 3, "weight", r"-?inf is not a finite float"),
  ])
  def test_malformed_edge_row_is_an_error_naming_file_line_and_column(
      self, _, row, line, column, message):
    path = self.write("edges.tsv", "src_id:int64\tdst_id:int64\tweight:float\n1\t2\t0.5\n"
                      + row + "3\t4\t1\n")
    with self.assertRaisesRegex(ValueError, f"^{path}:{line}: column '{column}': {message}"):
      self.read(path, EDGE_COLUMNS)
    table = self.read(path, EDGE_COLUMNS, strict=False)
    self.assertAllEqual(table.columns["src_id"], [1, 3])
    self.assertAllEqual(table.files[0][1], [2, 4])
    self.assertEqual(table.dropped, {path: 1})

  @parameterized.expand([
      ("short_vector", "5\t1:2\t0\t\t\tx\n", "feature", r"has 2 values, expected 3: '1:2'"),
      ("long_vector", "5\t1:2:3:4\t0\t\t\tx\n", "feature", r"has 4 values, expected 3"),
      ("bad_vector_element", "5\t1:y:3\t0\t\t\tx\n", "feature",
       r"element 'y' is not a float: '1:y:3'"),
      ("empty_vector_element", "5\t1::3\t0\t\t\tx\n", "feature", r"element '' is not a float"),
      ("nan_in_vector", "5\t1:nan:3\t0\t\t\tx\n", "feature",
       r"an element is not a finite float: '1:nan:3'"),
      ("empty_vector", "5\t\t0\t\t\tx\n", "feature", r"has 1 values, expected 3: ''"),
      ("bad_list_element", "5\t1:2:3\t0\t1,a\t\tx\n", "words",
       r"list element 'a' is not an int64: '1,a'"),
      ("empty_list_element", "5\t1:2:3\t0\t1,,2\t\tx\n", "words", r"list element ''"),
      ("bad_label", "5\t1:2:3\tcat\t\t\tx\n", "label", r"'cat' is not an int64"),
  ])
  def test_malformed_node_row(self, _, row, column, message):
    good = "1\t0:0:0\t0\t1\ta\tok\n"
    path = self.write("nodes.tsv", NODE_HEADER + "\n" + good + "\n" + row + good)
    with self.assertRaisesRegex(ValueError, f"^{path}:4: column '{column}': {message}"):
      self.read(path, NODE_COLUMNS)
    table = self.read(path, NODE_COLUMNS, strict=False)
    self.assertEqual(table.num_rows, 2)
    self.assertAllEqual(table.files[0][1], [2, 5])
    self.assertAllEqual(table.columns["words"].row_splits, [0, 1, 2])
    self.assertEqual(table.dropped, {path: 1})

  def test_bytes_that_are_not_utf8(self):
    path = self.write("nodes.tsv", b"id\tname\n1\tok\n2\t\xff\xfe\n")
    columns = [schema.Column("id", INT64), schema.Column("name", STRING)]
    with self.assertRaisesRegex(ValueError, f"{path}:3: column 'name': the value is not UTF-8"):
      self.read(path, columns)
    self.assertEqual(list(self.read(path, columns, strict=False).columns["name"]), ["ok"])

  def test_strict_error_names_the_first_bad_line_and_counts_the_rest(self):
    path = self.write("edges.tsv", "src_id\tdst_id\tweight\n1\t2\t1\n1\t2\tx\n1\t2\n"
                      "z\t2\t1\n")
    with self.assertRaisesRegex(
        ValueError, rf"^{path}:3: column 'weight': 'x' is not a float \(3 malformed rows in "
        rf"{path}; strict=False drops them\)$"):
      self.read(path, EDGE_COLUMNS)

  def test_lenient_drops_are_counted_per_file_and_capped(self):
    first = self.write("a.tsv", "src_id\tdst_id\tweight\n1\t2\t1\nx\t2\t1\n1\t2\n")
    second = self.write("b.tsv", "src_id\tdst_id\tweight\n5\t6\t1\n5\t6\tnan\n")
    table = check_drops_counted_and_capped(
        self, [first, second], EDGE_COLUMNS, locations=[f"{first}:2", f"{second}:2"],
        first_problem=f"{first}:3: column 'src_id': 'x' is not an int64")
    self.assertAllEqual(table.columns["src_id"], [1, 5])

  def test_a_file_full_of_rows_with_a_wrong_field_count_fails_early(self):
    path = self.write("edges.tsv", "src_id\tdst_id\tweight\n1\t2\t1\n\n" +
                      "1\t2\t3\t4\n" * 1500)
    with self.assertRaisesRegex(
        ValueError, rf"^{path}:4: column 'weight': the row has 4 fields, the header has 3 "
        rf".*\(more than 1000 rows in {path} have a wrong number of fields\)$"):
      self.read(path, EDGE_COLUMNS)
    with self.assertRaisesRegex(
        ValueError, rf"^{path}:4: column 'weight': the row has 4 fields.*\(more malformed rows "
        r"than max_dropped_rows allows\)$"):
      self.read(path, EDGE_COLUMNS, strict=False, max_dropped_rows=10)
    table = self.read(path, EDGE_COLUMNS, strict=False, max_dropped_rows=1500)
    self.assertEqual(table.num_rows, 1)
    self.assertEqual(table.dropped, {path: 1500})

  def test_lenient_read_equals_strict_read_of_the_good_rows(self):
    good = ["1\t1:2:3\t0\t1,2\ta\tx", "2\t4:5:6\t1\t\t\ty", "3\t7:8:9\t1\t3\tb,c\tz"]
    bad = ["4\t1:2\t0\t\t\tq", "5\t1:2:3\tno\t\t\tq", "6\t1:2:3\t0\t1;2\t\tq"]
    mixed = self.write("mixed.tsv", "\n".join([NODE_HEADER] + [good[0], bad[0], good[1], bad[1],
                                                              bad[2], good[2]]) + "\n")
    clean = self.write("clean.tsv", "\n".join([NODE_HEADER] + good) + "\n")
    lenient = self.read(mixed, NODE_COLUMNS, strict=False)
    strict = self.read(clean, NODE_COLUMNS)
    for column in NODE_COLUMNS:
      a, b = lenient.columns[column.name], strict.columns[column.name]
      if isinstance(a, tables.RaggedColumn):
        self.assertEqual(list(a.values), list(b.values))
        self.assertAllEqual(a.row_splits, b.row_splits)
      else:
        self.assertEqual(a.tolist(), b.tolist())
    self.assertAllEqual(lenient.files[0][1], [2, 4, 7])
    self.assertEqual(lenient.dropped, {mixed: 3})

  # ---------------------------------------------------------------- one record a line

  def test_a_quote_that_does_not_close_is_a_malformed_row(self):
    # pyarrow reads the rest of the file into the quoted value: one row, no error.
    path = self.write("nodes.csv", 'id,name\n1,"abc\n2,x\n\n3,"y"\n')
    columns = [schema.Column("id", INT64), schema.Column("name", STRING)]
    with self.assertRaisesRegex(
        ValueError, rf"^{path}:2: column 'name': a quote opens a value that does not close on "
        r"its line \(a quoted value cannot span lines\): '1,\"abc'$"):
      self.read(path, columns)
    table = self.read(path, columns, strict=False)
    self.assertAllEqual(table.columns["id"], [2, 3])
    self.assertEqual(list(table.columns["name"]), ["x", "y"])
    self.assertAllEqual(table.files[0][1], [3, 5])
    self.assertEqual(table.dropped, {path: 1})

  @parameterized.expand([
      ("in_a_column_not_read", 'id,note,name\n1,"oops,a\n2,b,c\n', 2, "note"),
      ("on_the_last_line", 'id,note,name\n1,a,b\n2,b,"c\n\n', 3, "name"),
      ("closing_a_line_later", 'id,note,name\n1,"a\nb",c\n2,b,c\n', 2, "note"),
      ("on_a_long_last_line", 'id,note,name\n1,a,b\n2,' + "b" * 9000 + ',"c\r\n', 3, "name"),
  ])
  def test_open_quotes_anywhere(self, _, text, line, column):
    path = self.write("nodes.csv", text)
    with self.assertRaisesRegex(ValueError, f"^{path}:{line}: column '{column}': a quote opens"):
      self.read(path, [schema.Column("id", INT64), schema.Column("name", STRING)])

  def test_quotes_that_close_on_their_line(self):
    path = self.write("nodes.csv", 'id,name\n1,"a ""b"", c"\n2,x"y\n3,"z"w\n4,""\n')
    table = self.read(path, [schema.Column("id", INT64), schema.Column("name", STRING)])
    self.assertEqual(list(table.columns["name"]), ['a "b", c', 'x"y', "zw", ""])
    self.assertAllEqual(table.files[0][1], [2, 3, 4, 5])

  def test_a_quote_that_does_not_close_in_the_header(self):
    path = self.write("nodes.csv", 'id,"name\n1,x\n')
    with self.assertRaisesRegex(ValueError, f"^{path}:1: the header row has a quote that does "
                                "not close"):
      self.read(path, [schema.Column("id", INT64)])

  def test_old_mac_line_ends(self):
    # Once "the header names column 'dst_id\\r1' twice" or "has no column 'dst_id'".
    path = self.write("edges.tsv", b"src_id\tdst_id\tweight\r1\t2\t1\r3\t2\t1\r")
    with self.assertRaisesRegex(
        ValueError, rf"^{path}:1: the header row holds a carriage return that ends no line: "
        r".*; old Mac line ends \(a lone \\r\) are not supported"):
      self.read(path, EDGE_COLUMNS, strict=False)

  def test_a_carriage_return_inside_a_data_line(self):
    path = self.write("edges.tsv", b"src_id\tdst_id\tweight\n1\t2\t1\n3\t4\r5\t6\t1\n"
                      b"7\t8\t1\r\n9\t9\t1\r")
    with self.assertRaisesRegex(ValueError, rf"^{path}:3: column 'dst_id': a carriage return "
                                r"ends no line: '3\\t4\\r5\\t6\\t1'; old Mac line ends"):
      self.read(path, EDGE_COLUMNS)
    table = self.read(path, EDGE_COLUMNS, strict=False)
    self.assertAllEqual(table.columns["src_id"], [1, 7, 9])
    self.assertAllEqual(table.files[0][1], [2, 4, 5])
    self.assertEqual(table.dropped, {path: 1})

  def test_line_ends_split_across_scan_blocks(self):
    crlf = self.write("crlf.tsv", b"id\r\n1\r\n22\r\n333\r\n")
    lone = self.write("lone.tsv", b"id\n1\n2\r3\n4\n")
    old = text_reader._SCAN_BLOCK
    text_reader._SCAN_BLOCK = 3  # a block ends between \r and \n
    try:
      self.assertAllEqual(self.read(crlf, [schema.Column("id", INT64)]).columns["id"],
                          [1, 22, 333])
      table = self.read(lone, [schema.Column("id", INT64)], strict=False)
    finally:
      text_reader._SCAN_BLOCK = old
    self.assertAllEqual(table.columns["id"], [1, 4])
    self.assertEqual(table.dropped, {lone: 1})

  # ---------------------------------------------------------------- header types of values

  @parameterized.expand([
      ("int_for_float_column", "int64", schema.Column("x", FLOAT32), "0.5",
       "'0.5' does not fit its header type 'int64'"),
      ("int_for_string_column", "int", schema.Column("x", STRING), "abc",
       "'abc' does not fit its header type 'int'"),
      ("float_for_string_column", "double", schema.Column("x", STRING), "abc",
       "'abc' does not fit its header type 'double'"),
      ("int32_range", "int32", schema.Column("x", INT64), "3000000000",
       "3000000000 is outside the range of its header type 'int32'"),
      ("int_for_vector", "int64", vector("x", 1), "0.5",
       "element '0.5' does not fit its header type 'int64': '0.5'"),
      ("int32_for_list", "int32", int_list("x"), "1,-3000000000",
       "'1,-3000000000' is outside the range of its header type 'int32'"),
      ("int_for_string_list", "int64", string_list("x"), "1,a",
       "element 'a' does not fit its header type 'int64': '1,a'"),
  ])
  def test_a_value_must_fit_its_header_type(self, _, header_type, column, value, message):
    path = self.write("t.tsv", f"x:{header_type}\n1\n{value}\n2\n")
    with self.assertRaisesRegex(ValueError, f"^{path}:3: column 'x': {message}$"):
      self.read(path, [column])
    table = self.read(path, [column], strict=False)
    self.assertAllEqual(table.files[0][1], [2, 4])
    self.assertEqual(table.dropped, {path: 1})

  def test_values_that_fit_their_header_type(self):
    path = self.write("t.tsv", "a:int\tb:int32\tc:float\td:int64\te:int32\n"
                      "1\t-2147483648\t2.5\t7\t1,2147483647\n")
    table = self.read(path, [schema.Column("a", FLOAT32), schema.Column("b", INT64),
                             schema.Column("c", STRING), string_list("d"), int_list("e")])
    self.assertAllEqual(table.columns["a"], [1.0])
    self.assertAllEqual(table.columns["b"], [-2147483648])
    self.assertEqual(list(table.columns["c"]), ["2.5"])
    self.assertEqual(list(table.columns["d"].values), ["7"])
    self.assertAllEqual(table.columns["e"].values, [1, 2147483647])

  def test_read_table_dispatches_text_files(self):
    path = self.write("edges.tsv", "src_id\tdst_id\tweight\n1\t2\t1\n")
    table = tables.read_table(os.path.join(self.get_temp_dir(), "edges*.tsv"), EDGE_COLUMNS)
    self.assertEqual(table.files[0][0], path)
    with self.assertRaisesRegex(FileNotFoundError, "no file matches"):
      tables.read_table(os.path.join(self.get_temp_dir(), "nothing*.tsv"), EDGE_COLUMNS)


if __name__ == "__main__":
  tf.test.main()
