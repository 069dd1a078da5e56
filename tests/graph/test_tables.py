"""Tests of read_table: the limits on dropped rows, in-memory sources, and what Graph sees."""
import io
import os
from unittest import mock

import numpy as np
from parameterized import parameterized
import pyarrow as pa
import pyarrow.parquet as pq
import tensorflow as tf

import tfgle
from tfgle.graph import schema
from tfgle.graph import tables

from tests.graph.columns import FLOAT32, INT64, write_file

IDS = [schema.Column("id", INT64)]
_BIG = 2**63 + 5  # above the int64 maximum


class ReadTableTest(tf.test.TestCase):

  def write(self, name, text):
    return write_file(self.get_temp_dir(), name, text)

  def test_big_tables_show_progress(self):
    paths = [self.write("a.tsv", "id\n" + "".join(f"{i}\n" for i in range(500))),
             self.write("b.tsv", "id\n7\n")]
    for min_bytes, shown in ((1 << 20, False), (100, True)):
      with mock.patch.object(tables, "PROGRESS_MIN_BYTES", min_bytes), mock.patch(
          "sys.stdout", new_callable=io.StringIO) as out:
        self.assertEqual(tables.read_table(paths, IDS).num_rows, 501)
      self.assertEqual("rows/s" in out.getvalue(), shown, out.getvalue())
      if shown:  # the bar counts the files' bytes
        self.assertIn(f"{sum(os.path.getsize(p) for p in paths)}/", out.getvalue())

  def test_lenient_mode_fails_when_a_file_loses_every_row(self):
    # Such a file once gave an empty table (and an empty graph).
    good = self.write("a.tsv", "id\n1\n")
    bad = self.write("b.tsv", "id\nx\n\ny\n")
    with self.assertRaisesRegex(ValueError, rf"^{bad}: all 2 rows are malformed; the first: "
                                rf"{bad}:2: column 'id': 'x' is not an int64$"):
      tables.read_table([good, bad], IDS, strict=False)

  def test_lenient_mode_fails_when_a_parquet_file_loses_every_row(self):
    path = os.path.join(self.get_temp_dir(), "t.parquet")
    pq.write_table(pa.table({"id": pa.array([None, None], pa.int64())}), path)
    with self.assertRaisesRegex(ValueError, rf"^{path}: all 2 rows are malformed; the first: "
                                rf"{path}: row 0: column 'id': is null$"):
      tables.read_table(path, IDS, strict=False)

  def test_lenient_mode_fails_when_arrays_lose_every_row(self):
    with self.assertRaisesRegex(ValueError, r"^<arrays>: all 1 rows are malformed; the first: "
                                r"row 0: column 'id': 9223372036854775813 is above"):
      tables.read_table({"id": np.array([_BIG], np.uint64)}, IDS, strict=False)

  def test_max_dropped_fraction(self):
    path = self.write("t.tsv", "id\n1\nx\n2\ny\n")
    table = tables.read_table(path, IDS, strict=False, max_dropped_fraction=0.5)
    self.assertAllEqual(table.columns["id"], [1, 2])
    self.assertEqual(table.dropped, {path: 2})
    for fraction in (0.25, 0):
      with self.assertRaisesRegex(
          ValueError, rf"^{path}: 2 of 4 rows, more than max_dropped_fraction={fraction}, are "
          rf"malformed; the first: {path}:3: column 'id'"):
        tables.read_table(path, IDS, strict=False, max_dropped_fraction=fraction)

  def test_a_file_without_rows_loses_none(self):
    path = self.write("t.tsv", "id\n")
    table = tables.read_table(path, IDS, strict=False, max_dropped_fraction=0)
    self.assertEqual(table.num_rows, 0)
    self.assertEqual(table.dropped, {path: 0})

  @parameterized.expand([
      ("fraction_above_one", {"max_dropped_fraction": 1.5}),
      ("negative_fraction", {"max_dropped_fraction": -0.1}),
      ("fraction_string", {"max_dropped_fraction": "0.5"}),
      ("fraction_bool", {"max_dropped_fraction": True}),
      ("negative_rows", {"max_dropped_rows": -1}),
      ("float_rows", {"max_dropped_rows": 1.5}),
  ])
  def test_bad_limits(self, _, kwargs):
    (name, value), = kwargs.items()
    allowed = "a number in \\[0, 1\\]" if name == "max_dropped_fraction" else "an int >= 0"
    with self.assertRaisesRegex(ValueError, f"^{name} must be {allowed}, got {value!r}$"):
      tables.read_table({"id": [1]}, IDS, **kwargs)

  def test_arrays_rows_keep_their_positions_through_drops(self):
    table = tables.read_table({"id": [4, 5, 6], "w": [1.0, np.nan, 2.0]},
                              IDS + [schema.Column("w", FLOAT32)], strict=False)
    self.assertAllEqual(table.columns["id"], [4, 6])
    self.assertEqual(table.dropped, {"<arrays>": 1})
    self.assertEqual([table.locate(0), table.locate(1)], ["row 0", "row 2"])
    self.assertEqual(table.take(np.array([1])).locate(0), "row 2")


class GraphLoadTest(tf.test.TestCase):
  """What Graph(strict=...) makes of the readers' errors and drops."""

  def test_lenient_graph_fails_on_a_file_whose_every_row_is_dropped(self):
    path = write_file(self.get_temp_dir(), "nodes.tsv", "id\nx\ny\n")
    with self.assertRaisesRegex(ValueError, f"^node table 'n': {path}: all 2 rows are "
                                "malformed"):
      tfgle.Graph(strict=False).node(path, node_type="n").build()

  def test_graph_max_dropped_fraction_reaches_the_readers(self):
    path = write_file(self.get_temp_dir(), "nodes.tsv", "id\n1\nx\n2\n3\n")
    self.assertEqual(tfgle.Graph(strict=False).node(path, node_type="n").build().num_nodes("n"),
                     3)
    with self.assertRaisesRegex(ValueError, "node table 'n': .*1 of 4 rows"):
      tfgle.Graph(strict=False, max_dropped_fraction=0.2).node(path, node_type="n").build()
    with self.assertRaisesRegex(ValueError, r"max_dropped_fraction must be a number in \[0, 1\], "
                                "got 2"):
      tfgle.Graph(max_dropped_fraction=2)

  def test_uint64_ids_above_the_int64_maximum(self):
    # They once wrapped to negative ids.
    nodes = {"id": np.array([1, _BIG, 2], np.uint64)}
    edges = {"src_id": np.array([1], np.uint64), "dst_id": np.array([2], np.uint64)}
    with self.assertRaisesRegex(ValueError, f"^node table 'n': row 1: column 'id': {_BIG} is "
                                "above the int64 maximum"):
      tfgle.Graph().node(nodes, node_type="n").build()
    g = (tfgle.Graph(strict=False).node(nodes, node_type="n")
         .edge(edges, edge_type=("n", "n", "e")).build())
    self.assertAllEqual(g.node_ids("n"), [1, 2])
    self.assertEqual(g.num_edges("e"), 1)
    self.assertEqual(g.load_report, {"node table 'n'": {"<arrays>": 1}, "edge table 'e'": {}})

  def test_rows_dropped_from_arrays_keep_their_row_numbers(self):
    nodes = {"id": [1, 2, 3, 1], "w": [1.0, np.inf, 1.0, 1.0]}
    with self.assertRaisesRegex(ValueError, "node table 'n': duplicate node id 1 at row 0 and "
                                "row 3"):
      tfgle.Graph(strict=False).node(nodes, node_type="n",
                                     decoder=tfgle.Decoder(weight="w")).build()

  @parameterized.expand([
      ("not_from_zero", [1, 2, 3], r"row_splits\[0\] = 1, must be 0"),
      ("short_of_the_end", [0, 1, 2], r"row_splits\[-1\] = 2, must be the number of values, 3"),
      ("decreasing", [0, 2, 1], r"row_splits\[-1\] = 1, must be the number of values, 3"),
      ("decreasing_inside", [0, 2, 1, 3], r"row_splits must not decrease"),
  ])
  def test_ragged_attributes_whose_row_splits_do_not_fit(self, _, splits, message):
    # They once shifted or dropped values, or failed later inside RaggedGather.
    words = tables.RaggedColumn(np.array([7, 8, 9]), np.array(splits))
    nodes = {"id": np.arange(len(splits) - 1), "words": words}
    decoder = tfgle.Decoder(attrs={"words": tfgle.CategoricalAttr(multivalued=True,
                                                                  dtype="int64")})
    for strict in (True, False):
      with self.assertRaisesRegex(ValueError, f"^node table 'n': column 'words': {message}"):
        tfgle.Graph(strict=strict).node(nodes, node_type="n", decoder=decoder).build()

  def test_good_ragged_attributes(self):
    words = tables.RaggedColumn(np.array([7, 8, 9]), np.array([0, 2, 2, 3]))
    decoder = tfgle.Decoder(attrs={"words": tfgle.CategoricalAttr(multivalued=True,
                                                                  dtype="int64")})
    g = tfgle.Graph().node({"id": np.arange(3), "words": words}, node_type="n",
                           decoder=decoder).build()
    self.assertAllEqual(g.node_features("n", [0, 1, 2])["words"].to_list(), [[1, 2], [], [3]])


class InMemorySourcesTest(tf.test.TestCase):
  """pyarrow Tables (and pandas DataFrames, if installed) are sources as dicts of arrays are."""

  def _decoder(self, **kwargs):
    return tfgle.Decoder(attrs={"genres": tfgle.CategoricalAttr(multivalued=True,
                                                                delimiter="|"),
                                "year": tfgle.IntAttr()}, **kwargs)

  def test_arrow_tables_build_a_graph(self):
    movies = pa.table({"id": pa.array([10, 20, 30], pa.int32()),
                       "genres": ["Drama|Crime", "", "Comedy"], "year": [1990, 1995, 2001],
                       "unused": ["x", "y", "z"]})
    ratings = pa.table({"src_id": [10, 20, 30], "dst_id": [20, 30, 10]}).to_batches()[0]
    g = (tfgle.Graph().node(movies, node_type="movie", decoder=self._decoder())
         .edge(ratings, edge_type=("movie", "movie", "similar")).build())
    self.assertEqual(g.num_edges("similar"), 3)
    features = g.node_features("movie", [10, 20, 30])
    self.assertAllEqual(features["year"], [1990, 1995, 2001])
    self.assertAllEqual(features["genres"].row_lengths(), [2, 0, 1])

  def test_arrow_list_columns(self):
    movies = pa.table({"id": [1, 2], "genres": pa.array([["a", "b"], ["b"]]), "year": [1, 2]})
    g = tfgle.Graph().node(movies, node_type="m", decoder=self._decoder()).build()
    self.assertAllEqual(g.node_features("m", [1, 2])["genres"].row_lengths(), [2, 1])

  def test_arrow_bad_tables(self):
    with self.assertRaisesRegex(ValueError, "the arrow table: the table has no column 'year'"):
      tfgle.Graph().node(pa.table({"id": [1], "genres": ["a"]}), node_type="m",
                         decoder=self._decoder()).build()
    with self.assertRaisesRegex(ValueError, "column 'year' has arrow type string"):
      tfgle.Graph().node(pa.table({"id": [1], "genres": ["a"], "year": ["1999"]}),
                         node_type="m", decoder=self._decoder()).build()
    nulls = pa.table({"id": [1, 2, 3], "genres": ["a", "b", "c"], "year": [1, None, 3]})
    with self.assertRaisesRegex(ValueError, "row 1: column 'year'"):
      tfgle.Graph().node(nulls, node_type="m", decoder=self._decoder()).build()
    g = tfgle.Graph(strict=False).node(nulls, node_type="m", decoder=self._decoder()).build()
    self.assertEqual(g.num_nodes("m"), 2)
    self.assertEqual([d.get(tables.ARRAYS) for d in g.load_report.values()], [1])
    with self.assertRaisesRegex(ValueError, "a pyarrow Table or a pandas DataFrame; got an item"):
      tfgle.Graph().node([object()], node_type="m").build()

  def test_pandas_data_frames(self):
    pandas = __import__("pytest").importorskip("pandas")
    movies = pandas.DataFrame({"id": [10, 20], "genres": ["Drama|Crime", "Comedy"],
                               "year": [1990, 1995]}, index=[5, 6])
    g = tfgle.Graph().node(movies, node_type="movie", decoder=self._decoder()).build()
    self.assertAllEqual(g.node_features("movie", [10, 20])["year"], [1990, 1995])
    self.assertAllEqual(g.node_features("movie", [10, 20])["genres"].row_lengths(), [2, 1])


class DelimiterTest(tf.test.TestCase):
  """A multi-valued column written with another common delimiter is an error, not one value."""

  def test_undeclared_delimiter(self):
    path = write_file(self.get_temp_dir(), "movies.csv",
                      "id,genres\n1,Action|Adventure\n2,Comedy\n3,Drama|Romance|War\n")
    decoder = tfgle.Decoder(attrs={"genres": tfgle.CategoricalAttr(multivalued=True)})
    for strict in (True, False):
      with self.assertRaisesRegex(
          ValueError, r"column 'genres': 2 of 3 values hold '\|' and none the delimiter ','.*"
          r"'Action\|Adventure'.*delimiter='\|'"):
        tfgle.Graph(strict=strict).node(path, node_type="movie", decoder=decoder).build()
    decoder = tfgle.Decoder(attrs={"genres": tfgle.CategoricalAttr(multivalued=True,
                                                                   delimiter="|")})
    g = tfgle.Graph().node(path, node_type="movie", decoder=decoder).build()
    self.assertAllEqual(g.node_features("movie", [1, 2, 3])["genres"].row_lengths(), [2, 1, 3])

  def test_semicolons_in_arrays_of_strings(self):
    tags = pa.table({"id": [1, 2], "tags": ["a;b", "c;d"]})
    with self.assertRaisesRegex(ValueError, "column 'tags'.*delimiter=';'"):
      tfgle.Graph().node(tags, node_type="n", decoder=tfgle.Decoder(
          attrs={"tags": tfgle.CategoricalAttr(multivalued=True)})).build()

  def test_a_few_other_delimiters_are_values(self):
    # One title of three holds a '|': that is a value, not a delimiter.
    path = write_file(self.get_temp_dir(), "n.csv", "id,tags\n1,a|b\n2,c\n3,d\n")
    g = tfgle.Graph().node(path, node_type="n", decoder=tfgle.Decoder(
        attrs={"tags": tfgle.CategoricalAttr(multivalued=True)})).build()
    self.assertAllEqual(g.node_features("n", [1, 2, 3])["tags"].row_lengths(), [1, 1, 1])


if __name__ == "__main__":
  tf.test.main()
