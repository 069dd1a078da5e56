"""Tests of typed columns: in-memory sources, declared value types, collecting bad rows."""
import numpy as np
from parameterized import parameterized
import pyarrow as pa
import tensorflow as tf

from tfgle.graph import columns
from tfgle.graph import schema

from tests.graph.columns import FLOAT32, INT64, STRING, int_list, string_list, vector

_BIG = 2**63 + 5  # above the int64 maximum


class FromArraysTest(tf.test.TestCase):

  def test_every_kind(self):
    rows = columns.from_arrays({
        "id": np.array([3, 4], np.uint32), "w": [0.5, 1], "name": ["a", "b"],
        "f": np.ones([2, 2]), "words": [[1, 2], []], "tags": [["x"], ["y", "z"]],
    }, [schema.Column("id", INT64), schema.Column("w", FLOAT32), schema.Column("name", STRING),
        vector("f", 2), int_list("words"), string_list("tags")])
    self.assertEqual(rows.columns["id"].dtype, np.int64)
    self.assertAllEqual(rows.columns["id"], [3, 4])
    self.assertEqual(rows.columns["w"].dtype, np.float32)
    self.assertEqual(rows.columns["f"].shape, (2, 2))
    self.assertAllEqual(rows.columns["words"].values, [1, 2])
    self.assertAllEqual(rows.columns["words"].row_splits, [0, 2, 2])
    self.assertEqual(list(rows.columns["tags"].values), ["x", "y", "z"])
    self.assertAllEqual(rows.positions, [0, 1])
    self.assertEqual((rows.dropped, rows.first_problem), (0, None))

  @parameterized.expand([
      ("not_from_zero", [1, 2, 3], r"row_splits\[0\] = 1, must be 0 \(row 0 starts at value 0\)"),
      ("short_of_the_end", [0, 2, 2],
       r"row_splits\[-1\] = 2, must be the number of values, 3"),
      ("past_the_end", [0, 2, 4], r"row_splits\[-1\] = 4, must be the number of values, 3"),
      ("decreasing", [0, 2, 1, 3],
       r"row_splits must not decrease, but row_splits\[2\] = 1 < row_splits\[1\] = 2 \(row 1\)"),
      ("empty", [], r"row_splits must be a non-empty 1-D array of integers"),
      ("floats", [0.0, 3.0], r"row_splits must be a non-empty 1-D array of integers"),
  ])
  def test_row_splits_that_do_not_describe_the_values(self, _, splits, message):
    # Row splits describe the whole column: an error in lenient mode too.
    for strict in (True, False):
      ragged = columns.RaggedColumn(np.array([1, 2, 3]), np.array(splits))
      with self.assertRaisesRegex(ValueError, f"^column 'w': {message}"):
        columns.from_arrays({"w": ragged}, [int_list("w")], strict=strict)

  def test_ragged_tensor_row_splits_are_checked(self):
    ragged = tf.RaggedTensor.from_row_splits([1, 2, 3], tf.constant([0, 2, 1, 3], tf.int64),
                                             validate=False)
    with self.assertRaisesRegex(ValueError, "^column 'w': row_splits must not decrease"):
      columns.from_arrays({"w": ragged}, [int_list("w")])
    nested = tf.ragged.constant([[[1], [2, 3]], [[4]]])
    with self.assertRaisesRegex(ValueError, r"^column 'w' must be a ragged tensor of shape "
                                r"\[N, None\]"):
      columns.from_arrays({"w": nested}, [int_list("w")])

  def test_good_ragged_sources_agree(self):
    values, splits = np.array([5, 6, 7], np.int64), np.array([0, 2, 2, 3], np.int32)
    for source in (columns.RaggedColumn(values, splits),
                   tf.RaggedTensor.from_row_splits(values, splits.astype(np.int64)),
                   [[5, 6], [], [7]]):
      data = columns.from_arrays({"w": source}, [int_list("w")]).columns["w"]
      self.assertAllEqual(data.values, values)
      self.assertEqual(data.row_splits.dtype, np.int64)
      self.assertAllEqual(data.row_splits, splits)

  @parameterized.expand([
      ("scalar", np.array([1, _BIG, 2], np.uint64), schema.Column("id", INT64),
       f"row 1: column 'id': {_BIG} is above the int64 maximum {2**63 - 1}"),
      ("list", [[1], np.array([2, _BIG], np.uint64), [3]], int_list("id"),
       f"row 1: column 'id': list element {_BIG} is above the int64 maximum"),
      ("ragged", columns.RaggedColumn(np.array([1, 2, _BIG, 3], np.uint64), np.array([0, 1, 3, 4])),
       int_list("id"), f"row 1: column 'id': list element {_BIG} is above"),
      ("nan", np.array([1.0, np.nan, 2.0]), schema.Column("id", FLOAT32),
       "row 1: column 'id': nan is not a finite float"),
      ("inf_in_vector", np.array([[1.0], [np.inf], [2.0]]), vector("id", 1),
       r"row 1: column 'id': an element is not a finite float: \[inf\]"),
  ])
  def test_a_bad_value_names_row_and_column_and_is_dropped_in_lenient_mode(
      self, _, data, column, message):
    # uint64 values above the int64 maximum once wrapped to negative ids.
    with self.assertRaisesRegex(ValueError, f"^{message}"):
      columns.from_arrays({"id": data}, [column])
    rows = columns.from_arrays({"id": data}, [column], strict=False)
    self.assertAllEqual(rows.positions, [0, 2])
    self.assertEqual(rows.dropped, 1)
    self.assertRegex(rows.first_problem, f"^{message}")

  def test_int_lists_keep_their_values_exactly(self):
    # Rows of int64 and uint64 once became floats: 2**62 + 1 came back as 2**62.
    data = columns.from_arrays({"w": [np.array([-1]), np.array([2**62 + 1], np.uint64), []]},
                               [int_list("w")]).columns["w"]
    self.assertEqual(data.values.tolist(), [-1, 2**62 + 1])
    self.assertAllEqual(data.row_splits, [0, 1, 2, 2])

  @parameterized.expand([
      ("floats_in_int_lists", {"w": [[1], [1.5]]}, [int_list("w")],
       "column 'w' must hold lists of integers, got dtype float64"),
      ("floats_for_ints", {"w": [1.5]}, [schema.Column("w", INT64)],
       "column 'w' must hold integers, got dtype float64"),
      ("strings_for_floats", {"w": ["a"]}, [schema.Column("w", FLOAT32)],
       "column 'w' must hold numbers"),
      ("ints_for_strings", {"w": [1]}, [schema.Column("w", STRING)],
       "column 'w' must hold strings"),
      ("vector_shape", {"w": np.ones([2, 3])}, [vector("w", 2)],
       r"column 'w' must have shape \[N, 2\], got \(2, 3\)"),
      ("not_1d", {"w": np.ones([2, 2])}, [schema.Column("w", FLOAT32)],
       "column 'w' must be one-dimensional"),
      ("missing", {"x": [1]}, [schema.Column("w", INT64)], "the arrays have no column 'w'"),
      ("lengths", {"a": [1, 2], "b": [1]}, [schema.Column("a", INT64), schema.Column("b", INT64)],
       "column 'b' has 1 rows, but 'a' has 2"),
  ])
  def test_bad_columns(self, _, arrays, column_list, message):
    # Floats in int lists were once truncated to ints without a word.
    for strict in (True, False):
      with self.assertRaisesRegex(ValueError, message):
        columns.from_arrays(arrays, column_list, strict=strict)


class ParseArrayTest(tf.test.TestCase):

  def test_declared_types_check_typed_arrays_too(self):
    parsed = columns.parse_array(schema.Column("x", INT64), pa.array([1, 2**40, -5]), "int32")
    self.assertAllEqual(parsed.bad, [False, True, False])
    self.assertEqual(parsed.problems, [columns.Problem(
        1, "x", "1099511627776 is outside the range of its header type 'int32'")])
    parsed = columns.parse_array(schema.Column("x", FLOAT32), pa.array([1.0, 0.5]), "int")
    self.assertAllEqual(parsed.bad, [False, True])

  def test_undeclared_and_string_types_check_nothing_more(self):
    for declared in (None, "string", "int64"):
      parsed = columns.parse_array(schema.Column("x", INT64), pa.array(["1", "2"]), declared)
      self.assertFalse(parsed.bad.any())
    parsed = columns.parse_array(schema.Column("x", STRING), pa.array(["a"]), "string")
    self.assertFalse(parsed.bad.any())


class CollectTest(tf.test.TestCase):

  def parsed(self):
    return {"x": columns.ParsedColumn(np.array([1, 2, 3]), None, np.array([False, True, False]),
                                      [columns.Problem(1, "x", "bad")])}

  def test_strict_names_the_first_problem_and_counts_the_rest(self):
    with self.assertRaisesRegex(ValueError, r"^f:4: a wrong field count \(3 malformed rows in f; "
                                r"strict=False drops them\)$"):
      columns.collect([schema.Column("x", INT64)], self.parsed(), np.array([5, 7, 9]),
                      strict=True, source="f", where=lambda line: f"f:{line}",
                      problems=[(4, "a wrong field count")], num_lost=2)

  def test_lenient_keeps_the_good_rows(self):
    rows = columns.collect([schema.Column("x", INT64)], self.parsed(), np.array([5, 7, 9]),
                           strict=False, source="f", where=lambda line: f"f:{line}")
    self.assertAllEqual(rows.columns["x"], [1, 3])
    self.assertAllEqual(rows.positions, [5, 9])
    self.assertEqual((rows.dropped, rows.first_problem), (1, "f:7: column 'x': bad"))


if __name__ == "__main__":
  tf.test.main()
