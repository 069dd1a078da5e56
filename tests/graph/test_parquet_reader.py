"""Tests of the Parquet table reader (tensorflow-io, with pyarrow for lists and nulls)."""
import os

import numpy as np
from parameterized import parameterized
import pyarrow as pa
import pyarrow.parquet as pq
import tensorflow as tf

from tfgle.graph import schema
from tfgle.graph import tables

from tests.graph.columns import (FLOAT32, INT64, STRING, check_drops_counted_and_capped,
                                 int_list, string_list, vector)


class ParquetReaderTest(tf.test.TestCase):

  def write(self, name, columns, **kwargs):
    path = os.path.join(self.get_temp_dir(), name)
    pq.write_table(pa.table(columns), path, **kwargs)
    return path

  def read(self, paths, columns, **kwargs):
    return tables.read_table(paths, columns, **kwargs)

  def test_scalar_columns(self):
    path = self.write("t.parquet", {
        "id": pa.array([5, 6, 7], pa.int64()),
        "label": pa.array([0, 2, 1], pa.int32()),
        "weight": pa.array([0.5, 1.0, 2.0], pa.float64()),
        "score": pa.array([1.5, 2.5, 3.5], pa.float32()),
        "name": pa.array(["a", "bé", ""]),
        "extra": pa.array([1, 2, 3]),
    })
    table = self.read(path, [schema.Column("id", INT64), schema.Column("label", INT64),
                             schema.Column("weight", FLOAT32), schema.Column("score", FLOAT32),
                             schema.Column("name", STRING)])
    self.assertEqual(table.num_rows, 3)
    self.assertEqual(table.columns["id"].dtype, np.int64)
    self.assertAllEqual(table.columns["id"], [5, 6, 7])
    self.assertEqual(table.columns["label"].dtype, np.int64)
    self.assertAllEqual(table.columns["label"], [0, 2, 1])
    self.assertEqual(table.columns["weight"].dtype, np.float32)
    self.assertAllClose(table.columns["weight"], [0.5, 1.0, 2.0])
    self.assertAllClose(table.columns["score"], [1.5, 2.5, 3.5])
    self.assertEqual(list(table.columns["name"]), ["a", "bé", ""])
    self.assertEqual(table.files[0][0], path)
    self.assertAllEqual(table.files[0][1], [0, 1, 2])
    self.assertEqual(table.dropped, {path: 0})

  def test_vectors_and_lists_in_every_form(self):
    path = self.write("t.parquet", {
        "fixed": pa.array([[1, 2], [3, 4], [5, 6]], pa.list_(pa.float32(), 2)),
        "listed": pa.array([[1, 2], [3, 4], [5, 6]], pa.list_(pa.float64())),
        "text": pa.array(["1:2", "3:4", "5:6"]),
        "words": pa.array([[1, 2], [], [3]], pa.list_(pa.int64())),
        "words_text": pa.array(["1,2", "", "3"]),
        "tags": pa.array([["a"], ["b", "c"], []], pa.list_(pa.string())),
        "tags_text": pa.array(["a", "b,c", ""]),
        "small_ints": pa.array([[1], [2, 3], []], pa.large_list(pa.int16())),
    })
    table = self.read(path, [vector("fixed", 2), vector("listed", 2), vector("text", 2),
                             int_list("words"), int_list("words_text"), string_list("tags"),
                             string_list("tags_text"), int_list("small_ints")])
    for name in ("fixed", "listed", "text"):
      self.assertEqual(table.columns[name].dtype, np.float32)
      self.assertAllEqual(table.columns[name], [[1, 2], [3, 4], [5, 6]])
    for name in ("words", "words_text"):
      self.assertEqual(table.columns[name].values.dtype, np.int64)
      self.assertAllEqual(table.columns[name].values, [1, 2, 3])
      self.assertAllEqual(table.columns[name].row_splits, [0, 2, 2, 3])
    for name in ("tags", "tags_text"):
      self.assertEqual(list(table.columns[name].values), ["a", "b", "c"])
      self.assertAllEqual(table.columns[name].row_splits, [0, 1, 3, 3])
    self.assertAllEqual(table.columns["small_ints"].values, [1, 2, 3])
    self.assertAllEqual(table.columns["small_ints"].row_splits, [0, 1, 3, 3])

  def test_large_columns_over_many_pages_and_row_groups(self):
    # tensorflow-io 0.37 misreads string columns like this one (from row 68192 on).
    n = 100000
    rng = np.random.default_rng(0)
    ids, weights = rng.integers(0, 2**40, n), rng.random(n)
    names = [f"{i}:{i * 7}" for i in range(n)]
    path = self.write("t.parquet", {"id": ids, "w": weights.astype(np.float32),
                                    "name": names, "f": names}, row_group_size=n - 10000)
    table = self.read(path, [schema.Column("id", INT64), schema.Column("w", FLOAT32),
                             schema.Column("name", STRING), vector("f", 2)])
    self.assertAllEqual(table.columns["id"], ids)
    self.assertAllEqual(table.columns["w"], weights.astype(np.float32))
    self.assertEqual(list(table.columns["name"]), names)
    self.assertAllEqual(table.columns["f"][:, 1], np.arange(n) * 7)

  def test_dictionary_strings_and_int_ids_as_strings(self):
    path = self.write("t.parquet", {
        "city": pa.array(["x", "y", "x"]).dictionary_encode(),
        "id": pa.array([10, 20, 30], pa.int64()),
    })
    table = self.read(path, [schema.Column("city", STRING), schema.Column("id", STRING)])
    self.assertEqual(list(table.columns["city"]), ["x", "y", "x"])
    self.assertEqual(list(table.columns["id"]), ["10", "20", "30"])

  def test_many_row_groups_and_files_in_order(self):
    first = self.write("a.parquet", {"id": np.arange(1000)}, row_group_size=128)
    second = self.write("b.parquet", {"id": np.arange(1000, 1500)}, row_group_size=100)
    table = self.read([first, second], [schema.Column("id", INT64)])
    self.assertAllEqual(table.columns["id"], np.arange(1500))
    self.assertEqual(table.locate(1200), f"{second}:200")

  def test_empty_file(self):
    path = self.write("t.parquet", {"id": pa.array([], pa.int64()),
                                    "f": pa.array([], pa.list_(pa.float32(), 3))})
    table = self.read(path, [schema.Column("id", INT64), vector("f", 3)])
    self.assertEqual(table.num_rows, 0)
    self.assertEqual(table.columns["f"].shape, (0, 3))

  def test_read_table_dispatches_parquet(self):
    path = self.write("t.parquet", {"id": [1, 2]})
    table = tables.read_table([path], [schema.Column("id", INT64)])
    self.assertAllEqual(table.columns["id"], [1, 2])
    other = os.path.join(self.get_temp_dir(), "t.tsv")
    with open(other, "w") as f:
      f.write("id\n1\n")
    with self.assertRaisesRegex(ValueError, "mixes Parquet and text files"):
      tables.read_table([path, other], [schema.Column("id", INT64)])

  # ---------------------------------------------------------------- schema errors

  @parameterized.expand([
      ("string_for_int", pa.array(["1"]), schema.Column("c", INT64), "string",
       "int64, which needs an integer type"),
      ("float_for_int", pa.array([1.5]), schema.Column("c", INT64), "double",
       "int64, which needs an integer type"),
      ("uint64_for_int", pa.array([1], pa.uint64()), schema.Column("c", INT64), "uint64",
       "int64"),
      ("string_for_float", pa.array(["1"]), schema.Column("c", FLOAT32), "string",
       "float32, which needs a float or integer type"),
      ("wrong_fixed_size", pa.array([[1, 2]], pa.list_(pa.float32(), 2)), vector("c", 3),
       r"fixed_size_list<element: float>\[2\]", "float_vector, which needs a list"),
      ("strings_for_vector", pa.array([["a"]]), vector("c", 1), "list<element: string>",
       "float_vector"),
      ("floats_for_int_list", pa.array([[1.5]]), int_list("c"), "list<element: double>",
       "int64_list, which needs a list of integers"),
      ("float_for_string", pa.array([1.5]), schema.Column("c", STRING), "double", "string"),
  ])
  def test_column_type_that_does_not_fit(self, _, array, column, parquet_type, expected):
    path = self.write("t.parquet", {"c": array})
    with self.assertRaisesRegex(ValueError, f"{path}: column 'c' has Parquet type "
                                f"{parquet_type}, but the decoder reads it as {expected}"):
      self.read(path, [column])

  def test_missing_column(self):
    path = self.write("t.parquet", {"src_id": [1], "dst": [2]})
    with self.assertRaisesRegex(ValueError, rf"{path}: the file has no column 'dst_id' "
                                r"\(it has \['src_id', 'dst'\]\)"):
      self.read(path, [schema.Column("src_id", INT64), schema.Column("dst_id", INT64)])

  def test_not_a_parquet_file(self):
    path = os.path.join(self.get_temp_dir(), "bad.parquet")
    with open(path, "w") as f:
      f.write("id\n1\n")
    with self.assertRaisesRegex(ValueError, f"{path}: not a readable Parquet file"):
      self.read(path, [schema.Column("id", INT64)])

  # ---------------------------------------------------------------- malformed rows

  @parameterized.expand([
      ("null_int", {"c": pa.array([1, None, 3, 4])}, schema.Column("c", INT64), "is null"),
      ("null_string", {"c": pa.array(["a", None, "c", "d"])}, schema.Column("c", STRING),
       "is null"),
      ("null_float", {"c": pa.array([1.0, None, 3.0, 4.0])}, schema.Column("c", FLOAT32),
       "is null"),
      ("nan", {"c": pa.array([1.0, np.nan, 3.0, 4.0])}, schema.Column("c", FLOAT32),
       "nan is not a finite float"),
      ("inf_after_cast", {"c": pa.array([1.0, 1e300, 3.0, 4.0])}, schema.Column("c", FLOAT32),
       "1e[+]?300 is not a finite float"),
      ("null_list", {"c": pa.array([[1], None, [3], []])}, int_list("c"), "is null"),
      ("null_element", {"c": pa.array([[1], [2, None], [3], []])}, int_list("c"),
       "has a null element"),
      ("null_vector_element",
       {"c": pa.array([[1, 2], [None, 2], [3, 4], [5, 6]], pa.list_(pa.float32(), 2))},
       vector("c", 2), "has a null element"),
      ("short_vector", {"c": pa.array([[1, 2], [1], [3, 4], [5, 6]])}, vector("c", 2),
       r"has 1 values, expected 2: \[1\]"),
      ("nan_in_vector", {"c": pa.array([[1, 2], [np.nan, 1], [3, 4], [5, 6]])},
       vector("c", 2), "an element is not a finite float"),
      ("bad_text_vector", {"c": pa.array(["1:2", "1:z", "3:4", "5:6"])}, vector("c", 2),
       "element 'z' is not a float: '1:z'"),
      ("bad_text_list", {"c": pa.array(["1", "2,q", "3", ""])}, int_list("c"),
       "list element 'q' is not an int64: '2,q'"),
  ])
  def test_malformed_row_names_file_row_and_column(self, _, data, column, message):
    path = self.write("t.parquet", data)
    with self.assertRaisesRegex(ValueError, f"^{path}: row 1: column 'c': {message}"):
      self.read(path, [column])
    table = self.read(path, [column], strict=False)
    self.assertEqual(table.num_rows, 3)
    self.assertAllEqual(table.files[0][1], [0, 2, 3])
    self.assertEqual(table.dropped, {path: 1})

  def test_strict_error_names_the_first_bad_row_over_all_columns(self):
    path = self.write("t.parquet", {"a": pa.array([1, 2, None, 4]),
                                    "b": pa.array([1.0, np.inf, 3.0, np.nan])})
    with self.assertRaisesRegex(
        ValueError, rf"^{path}: row 1: column 'b': inf is not a finite float \(3 malformed rows"):
      self.read(path, [schema.Column("a", INT64), schema.Column("b", FLOAT32)])

  def test_lenient_drops_are_counted_per_file_and_capped(self):
    first = self.write("a.parquet", {"id": pa.array([1, None, 3]),
                                     "w": pa.array([[1.0], [2.0], None])})
    second = self.write("b.parquet", {"id": pa.array([None, 5]), "w": pa.array([[1.0], [2.0]])})
    columns = [schema.Column("id", INT64), vector("w", 1)]
    table = check_drops_counted_and_capped(
        self, [first, second], columns, locations=[f"{first}:0", f"{second}:1"],
        first_problem=f"{first}: row 1: column 'id': is null")
    self.assertAllEqual(table.columns["id"], [1, 5])
    self.assertAllEqual(table.columns["w"], [[1.0], [2.0]])


if __name__ == "__main__":
  tf.test.main()
