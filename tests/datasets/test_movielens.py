"""Tests of the MovieLens loader (tfgle.datasets.load_movielens)."""
import os
import shutil
import tempfile

import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tests.conftest import require_dataset
from tfgle.datasets import load_movielens
from tfgle.datasets.movielens import AGE_GROUPS, GENRES_100K


def _tmpdir(test):
  path = tempfile.mkdtemp(prefix="tfgle_movielens_")
  test.addCleanup(shutil.rmtree, path, ignore_errors=True)
  return path


def _write(directory, name, text, encoding="utf-8"):
  with open(os.path.join(directory, name), "w", encoding=encoding, newline="") as f:
    f.write(text)


def _flags(*genres):
  return "|".join("1" if g in genres else "0" for g in GENRES_100K)


def _small_100k(test, **replace):
  """A three-user, three-item data set in the 100K format; `replace` overrides files."""
  files = {
      "u.user": "1|24|M|technician|85711\n2|53|F|other|94043\n3|17|M|writer|T8H1N\n",
      "u.item": (f"1|Toy Story (1995)|01-Jan-1995||http://x|{_flags('Animation', 'Comedy')}\n"
                 f"2|Misérables, Les (1995)|01-Jan-1995||http://y|{_flags('Drama')}\n"
                 f"3|unknown||||{_flags('unknown')}\n"),
      "u.data": "1\t1\t5\t874965758\n1\t2\t3\t876893171\n2\t1\t4\t878542960\n3\t3\t1\t875071561\n",
  }
  files.update(replace)
  directory = _tmpdir(test)
  for name, text in files.items():
    if text is not None:
      _write(directory, name, text, encoding="latin-1" if name == "u.item" else "utf-8")
  return directory


MOVIES_CSV = (
    "movieId,title,genres\n"
    "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n"
    '11,"American President, The (1995)",Comedy|Drama|Romance\n'
    '29,"City of Lost Children, The (Cité des enfants perdus, La) (1995)",Adventure|Sci-Fi\n'
    "40,A Title Without Year,(no genres listed)\n"
)
RATINGS_CSV = (
    "userId,movieId,rating,timestamp\n"
    "7,1,4.0,964982703\n"
    "7,11,4.5,964981247\n"
    "3,29,0.5,964982224\n"
    "3,1,5.0,964983815\n"
)


def _small_csv(test, movies=MOVIES_CSV, ratings=RATINGS_CSV):
  directory = _tmpdir(test)
  _write(directory, "movies.csv", movies)
  if ratings is not None:
    _write(directory, "ratings.csv", ratings)
  return directory


class MovieLens100KTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.data_dir = require_dataset("ml-100k")

  def test_counts(self):
    graph, info = load_movielens(self.data_dir)
    self.assertEqual(graph.num_nodes("user"), 943)
    self.assertEqual(graph.num_nodes("item"), 1682)
    self.assertEqual(graph.num_edges("rates"), 100_000)
    self.assertEqual(graph.num_edges("rates_reverse"), 100_000)
    self.assertEqual(graph.edge_type("rates_reverse"), ("item", "user", "rates_reverse"))
    self.assertEqual((info.format, info.num_users, info.num_items, info.num_ratings),
                     ("100k", 943, 1682, 100_000))
    self.assertAllEqual(info.user_ids, np.arange(1, 944))
    self.assertAllEqual(info.item_ids, np.arange(1, 1683))
    self.assertEqual(info.user_features, ["age", "gender", "occupation", "zip_prefix"])
    self.assertEqual(info.item_features, ["genres", "year"])

  def test_user_features(self):
    graph, _ = load_movielens(self.data_dir)
    # 1|24|M|technician|85711 and 2|53|F|other|94043.
    features = graph.node_features("user", [1, 2])
    attrs = graph.node_attrs("user")
    self.assertAllEqual(features["age"], [AGE_GROUPS.index(18) + 1, AGE_GROUPS.index(50) + 1])
    self.assertAllEqual(features["gender"], [2, 1])
    occupations = attrs["occupation"].vocab
    self.assertLen(occupations, 21)
    self.assertAllEqual(features["occupation"],
                        [occupations.index("technician") + 1, occupations.index("other") + 1])
    zips = attrs["zip_prefix"].vocab
    self.assertAllEqual(features["zip_prefix"], [zips.index("8") + 1, zips.index("9") + 1])

  def test_item_features(self):
    graph, info = load_movielens(self.data_dir)
    features = graph.node_features("item", [1, 267, 543])
    genres = info.genres
    self.assertEqual(genres, list(GENRES_100K))
    self.assertAllEqual(features["genres"].to_list()[0],
                        [genres.index(g) + 1 for g in ("Animation", "Children's", "Comedy")])
    years = graph.node_attrs("item")["year"].vocab
    self.assertAllEqual(features["year"], [years.index(1995) + 1, 0, years.index(1995) + 1])
    # Item 543's title is latin-1 in u.item.
    self.assertAllEqual(features["title"],
                        [b"Toy Story (1995)", b"unknown", "Misérables, Les (1995)".encode()])

  def test_edges_carry_rating_and_timestamp(self):
    graph, _ = load_movielens(self.data_dir)
    # u.data: 196 242 3 881250949.
    nbrs = graph.neighbors("rates", [196])
    items = nbrs.ids.to_list()[0]
    at = items.index(242)
    self.assertEqual(nbrs.weights.to_list()[0][at], 3.0)
    self.assertEqual(nbrs.timestamps.to_list()[0][at], 881250949)
    times = nbrs.timestamps.to_list()[0]
    self.assertEqual(times, sorted(times, reverse=True))
    self.assertIn(196, graph.neighbors("rates_reverse", [242]).ids.to_list()[0])

  def test_train_on_ua_base_test_on_ua_test(self):
    graph, info = load_movielens(self.data_dir, ratings_file="ua.base")
    self.assertEqual(graph.num_edges("rates"), 90_570)
    self.assertEqual(info.split, "ua")
    self.assertLen(info.train, 90_570)
    self.assertLen(info.test, 9_430)
    self.assertEqual(info.test_pairs.shape, (9_430, 2))
    self.assertAllEqual(np.bincount(info.test.users)[1:], np.full(943, 10))
    user, item = info.test_pairs[0]
    self.assertNotIn(item, graph.neighbors("rates", [user]).ids.to_list()[0])

  def test_min_rating(self):
    graph, info = load_movielens(self.data_dir, min_rating=4, split="ua")
    ratings = np.loadtxt(os.path.join(self.data_dir, "u.data"), dtype=np.int64)[:, 2]
    self.assertEqual(graph.num_edges("rates"), int(np.sum(ratings >= 4)))
    self.assertEqual(info.split, "ua")
    self.assertGreaterEqual(info.test.ratings.min(), 4)
    self.assertGreaterEqual(info.train.ratings.min(), 4)
    self.assertEqual(graph.num_nodes("user"), 943)


class Small100KTest(tf.test.TestCase):

  def test_loads_and_latin1(self):
    graph, info = load_movielens(_small_100k(self))
    self.assertEqual(graph.num_edges("rates"), 4)
    self.assertIsNone(info.split)
    self.assertIsNone(info.test_pairs)
    self.assertAllEqual(graph.node_features("item", [2])["title"],
                        ["Misérables, Les (1995)".encode()])
    # Age 17 falls in the under-18 group; zip T8H1N is Canadian.
    features = graph.node_features("user", [3])
    self.assertAllEqual(features["age"], [1])
    zips = graph.node_attrs("user")["zip_prefix"].vocab
    self.assertAllEqual(features["zip_prefix"], [zips.index("T") + 1])

  @parameterized.expand([
      ("fields", {"u.data": "1\t1\t5\t874965758\n1\t2\t3\n"},
       r"u\.data:2: expected 4 tab-separated fields \(user item rating timestamp\), got 3"),
      ("rating", {"u.data": "1\t1\t5\t874965758\n\n1\t2\tfive\t874965758\n"},
       r"u\.data:3: rating 'five' is not a number"),
      ("negative", {"u.data": "1\t1\t5\t874965758\n1\t2\t-3\t874965758\n"},
       r"u\.data:2: rating -3\.0 is not a finite number >= 0"),
      ("unknown_item", {"u.data": "1\t1\t5\t874965758\n1\t9\t3\t874965758\n"},
       r"u\.data:2: item id 9 is not in u\.item"),
      ("unknown_user", {"u.data": "4\t1\t5\t874965758\n"},
       r"u\.data:1: user id 4 is not in u\.user"),
      ("age", {"u.user": "1|24|M|technician|85711\n2|old|F|other|94043\n"},
       r"u\.user:2: age 'old' is not an integer"),
      ("user_fields", {"u.user": "1|24|M|technician\n"},
       r"u\.user:1: expected 5 '\|'-separated fields"),
      ("duplicate_user", {"u.user": "1|24|M|technician|85711\n1|53|F|other|94043\n"},
       r"u\.user:2: duplicate user id 1 \(first at line 1\)"),
      ("flags", {"u.item": f"1|Toy Story (1995)|01-Jan-1995||http://x|{_flags()[:-1]}2\n"},
       r"u\.item:1: genre flags must be 0 or 1"),
      ("date", {"u.item": f"1|Toy Story (1995)|1995-01-01||http://x|{_flags()}\n"},
       r"u\.item:1: release date '1995-01-01' is not like 01-Jan-1995"),
      ("item_fields", {"u.item": "1|Toy Story (1995)|01-Jan-1995||http://x|0|1\n"},
       r"u\.item:1: expected 24 '\|'-separated fields"),
  ])
  def test_malformed_lines_name_file_and_line(self, _, replace, message):
    data_dir = _small_100k(self, **replace)
    with self.assertRaisesRegex(ValueError, message):
      load_movielens(data_dir)

  def test_ratings_file_and_split_errors(self):
    data_dir = _small_100k(self)
    with self.assertRaisesRegex(FileNotFoundError, "ratings_file 'ua.base' is neither a file"):
      load_movielens(data_dir, ratings_file="ua.base")
    with self.assertRaisesRegex(FileNotFoundError, "split 'ub' needs .*ub.base"):
      load_movielens(data_dir, split="ub")
    with self.assertRaisesRegex(ValueError, r"split must be one of \('ua', 'ub'"):
      load_movielens(data_dir, split="u9")
    with self.assertRaisesRegex(ValueError, "min_rating must be a number or None, got '4'"):
      load_movielens(data_dir, min_rating="4")

  def test_ratings_file_as_path(self):
    data_dir = _small_100k(self)
    other = os.path.join(_tmpdir(self), "few.data")
    _write(os.path.dirname(other), "few.data", "2\t2\t3\t1\n")
    graph, info = load_movielens(data_dir, ratings_file=other)
    self.assertEqual(graph.num_edges("rates"), 1)
    self.assertEqual(info.ratings_file, other)


class CsvFormatTest(tf.test.TestCase):

  def test_loads_quoted_titles_and_genres(self):
    graph, info = load_movielens(_small_csv(self))
    self.assertEqual(info.format, "csv")
    self.assertEqual(graph.num_nodes("item"), 4)
    self.assertEqual(graph.num_nodes("user"), 2)
    self.assertAllEqual(info.user_ids, [3, 7])
    self.assertAllEqual(info.item_ids, [1, 11, 29, 40])
    self.assertEqual(graph.num_edges("rates"), 4)
    self.assertEqual(info.user_features, [])
    self.assertEqual(graph.node_attrs("user"), {})
    features = graph.node_features("item", [11, 29, 40])
    self.assertAllEqual(features["title"], [
        b"American President, The (1995)",
        "City of Lost Children, The (Cité des enfants perdus, La) (1995)".encode(),
        b"A Title Without Year"])
    genres = info.genres
    self.assertEqual(genres, sorted(["Adventure", "Animation", "Children", "Comedy", "Fantasy",
                                     "Drama", "Romance", "Sci-Fi"]))
    self.assertAllEqual(features["genres"].to_list(),
                        [[genres.index(g) + 1 for g in ("Comedy", "Drama", "Romance")],
                         [genres.index(g) + 1 for g in ("Adventure", "Sci-Fi")], []])
    years = graph.node_attrs("item")["year"].vocab
    self.assertEqual(years, (1995,))
    self.assertAllEqual(features["year"], [1, 1, 0])
    nbrs = graph.neighbors("rates", [7])
    self.assertAllEqual(nbrs.ids.to_list()[0], [1, 11])  # latest first
    self.assertAllEqual(nbrs.weights.to_list()[0], [4.0, 4.5])
    self.assertIsNone(info.train)

  def test_min_rating(self):
    graph, info = load_movielens(_small_csv(self), min_rating=4.5)
    self.assertEqual(graph.num_edges("rates"), 2)
    self.assertEqual(graph.num_nodes("user"), 2)  # users who rated anything stay
    self.assertEqual(info.min_rating, 4.5)

  @parameterized.expand([
      ("fields", dict(ratings=RATINGS_CSV + "3,40,4.0\n"),
       r"ratings\.csv:6: expected 4 comma-separated fields \(userId,movieId,rating,timestamp\)"),
      ("number", dict(ratings=RATINGS_CSV.replace("7,11,4.5", "7,11,x")),
       r"ratings\.csv:3: rating 'x' is not a number"),
      ("user_id", dict(ratings=RATINGS_CSV.replace("3,29,0.5", "3.5,29,0.5")),
       r"ratings\.csv:4: userId '3\.5' is not an integer"),
      ("unknown_movie", dict(ratings=RATINGS_CSV + "3,99,4.0,964983815\n"),
       r"ratings\.csv:6: item id 99 is not in movies\.csv"),
      ("header", dict(ratings="user,movie,rating,time\n1,1,4.0,1\n"),
       r"ratings\.csv:1: expected the header 'userId,movieId,rating,timestamp'"),
      ("movie_fields", dict(movies=MOVIES_CSV + "41,Unquoted, The (1999),Drama\n"),
       r"movies\.csv:6: expected 3 comma-separated fields \(movieId,title,genres; quote titles"),
      ("movie_id", dict(movies=MOVIES_CSV + "x41,Title (1999),Drama\n"),
       r"movies\.csv:6: movieId 'x41' is not an integer"),
      ("duplicate_movie", dict(movies=MOVIES_CSV + "11,Again (1999),Drama\n"),
       r"movies\.csv:6: duplicate movie id 11 \(first at line 3\)"),
      ("movies_header", dict(movies="id,title,genres\n1,A (1999),Drama\n"),
       r"movies\.csv:1: expected the header 'movieId,title,genres'"),
  ])
  def test_malformed_lines_name_file_and_line(self, _, files, message):
    data_dir = _small_csv(self, **files)
    with self.assertRaisesRegex(ValueError, message):
      load_movielens(data_dir)

  def test_multiline_quoted_title_keeps_line_numbers(self):
    movies = MOVIES_CSV + '50,"Two\nLines (2000)",Drama\n51,x,Drama,extra\n'
    with self.assertRaisesRegex(ValueError, r"movies\.csv:8: expected 3 comma-separated"):
      load_movielens(_small_csv(self, movies=movies))

  def test_split_is_100k_only(self):
    with self.assertRaisesRegex(ValueError, "split='ua' applies to MovieLens 100K only"):
      load_movielens(_small_csv(self), split="ua")

  def test_missing_ratings_file(self):
    with self.assertRaisesRegex(FileNotFoundError, "ratings_file 'ratings.csv' is neither"):
      load_movielens(_small_csv(self, ratings=None))


class DetectFormatTest(tf.test.TestCase):

  def test_not_a_data_set(self):
    with self.assertRaisesRegex(ValueError, "holds no MovieLens data set"):
      load_movielens(_tmpdir(self))

  def test_missing_directory(self):
    with self.assertRaisesRegex(FileNotFoundError, "is not a directory"):
      load_movielens(os.path.join(_tmpdir(self), "nothing"))


if __name__ == "__main__":
  tf.test.main()
