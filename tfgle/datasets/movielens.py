"""MovieLens (GroupLens) ratings as a bipartite user-item graph.

Two on-disk formats are recognized from the files in `data_dir`:

- MovieLens 100K (`u.data`, `u.user`, `u.item`, splits `ua.base`/`ua.test`,
  `ub.*`, `u1.*`..`u5.*`): tab-separated ratings `user item rating timestamp`;
  `|`-separated users `id|age|gender|occupation|zip` and items
  `id|title|release date|video release date|url|19 genre flags` (latin-1).
- The current GroupLens CSV format (ml-latest, ml-25m, ml-32m, ...):
  `ratings.csv` (`userId,movieId,rating,timestamp`, with header) and
  `movies.csv` (`movieId,title,genres`; titles with commas are quoted, genres
  are `|`-separated). There are no user features in this format.

The graph has node types "user" and "item" and the undirected edge type
("user", "item", "rates") whose weight is the rating and whose timestamp is the
rating's time (neighbors are ordered latest first); the reverse edges form
("item", "user", "rates_reverse").

Node attributes (categorical ones are encoded as int64 category ids, 0 = unknown):
- users (100K only): "age" (categorical, bucketized into MovieLens-1M's age
  groups 1 = under 18, 18, 25, 35, 45, 50, 56 = 56+), "gender" ("F"/"M"),
  "occupation" (the 21 occupations of `u.occupation`) and "zip_prefix" (the
  first character of the zip code: the US postal region, or the province
  letter of a Canadian code).
- items: "genres" (multi-valued, GroupLens' genre names), "year" (release year,
  int64 categorical; 0 = unknown) and "title" (TextAttr).

Age is bucketized rather than fed as a number so that every user feature goes
through the same embedding-lookup feature columns with a fixed vocabulary (no
normalization statistics to carry to serving), with the buckets GroupLens
itself uses in MovieLens-1M. Three-character zip prefixes would leave most of
943 users in a category of their own, so the region (first character) is used.

Example:
  graph, info = tfgle.datasets.load_movielens("ml-100k", ratings_file="ua.base")
  graph.num_edges("rates")   # 90570
  info.test_pairs            # int64 [9430, 2] (user, item) of ua.test
"""
from __future__ import annotations

import csv
import dataclasses
import datetime
import os
import re
from typing import Optional, Sequence

import numpy as np

USER = "user"
ITEM = "item"
EDGE_TYPE = (USER, ITEM, "rates")

# MovieLens-1M's age groups: the code is the lower bound of the group.
AGE_GROUPS = (1, 18, 25, 35, 45, 50, 56)
GENDERS = ("F", "M")
# The genre columns of u.item, in order (the contents of u.genre).
GENRES_100K = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
               "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
               "Romance", "Sci-Fi", "Thriller", "War", "Western")
# The GroupLens 100K splits: <name>.base (training ratings) and <name>.test.
SPLITS_100K = ("ua", "ub", "u1", "u2", "u3", "u4", "u5")
_NO_GENRES = "(no genres listed)"
_CSV_RATINGS_HEADER = ["userId", "movieId", "rating", "timestamp"]
_CSV_MOVIES_HEADER = ["movieId", "title", "genres"]
_YEAR_IN_TITLE = re.compile(r"\((\d{4})\)\s*$")


@dataclasses.dataclass
class Ratings:
  """Ratings as parallel arrays (external user and item ids)."""
  users: np.ndarray       # int64 [n]
  items: np.ndarray       # int64 [n]
  ratings: np.ndarray     # float32 [n]
  timestamps: np.ndarray  # int64 [n]

  def __len__(self):
    return len(self.users)

  @property
  def pairs(self) -> np.ndarray:
    """int64 [n, 2]: (user id, item id) of every rating."""
    return np.stack([self.users, self.items], axis=1)

  def _take(self, mask: np.ndarray) -> "Ratings":
    return Ratings(self.users[mask], self.items[mask], self.ratings[mask], self.timestamps[mask])


@dataclasses.dataclass
class MovieLensInfo:
  """What a recommender trainer needs besides the graph.

  Attributes:
    format: "100k" or "csv".
    data_dir: the directory read.
    ratings_file: path of the file the graph's edges came from.
    user_ids, item_ids: int64 external ids in dense-index order (as
      `graph.node_ids("user")` / `("item")`).
    num_users, num_items: node counts.
    num_ratings: number of edges of ("user", "item", "rates").
    user_features, item_features: names of the categorical node attributes
      (items also carry the string attribute "title").
    genres: the genre vocabulary of the "genres" attribute.
    split: the 100K split whose files fill `train`/`test` (e.g. "ua"), or None.
    train, test: the ratings of `<split>.base` / `<split>.test`, or None. Build the
      graph with `ratings_file="<split>.base"` to train without the test ratings.
    min_rating: the filter applied to the graph's edges and to train/test.
  """
  format: str
  data_dir: str
  ratings_file: str
  user_ids: np.ndarray
  item_ids: np.ndarray
  num_users: int
  num_items: int
  num_ratings: int
  user_features: list[str]
  item_features: list[str]
  genres: list[str]
  split: Optional[str] = None
  train: Optional[Ratings] = None
  test: Optional[Ratings] = None
  min_rating: Optional[float] = None

  @property
  def train_pairs(self) -> Optional[np.ndarray]:
    """int64 [n, 2] (user, item) pairs of `train`, or None."""
    return None if self.train is None else self.train.pairs

  @property
  def test_pairs(self) -> Optional[np.ndarray]:
    """int64 [n, 2] (user, item) pairs of `test`, or None."""
    return None if self.test is None else self.test.pairs


def detect_format(data_dir: str) -> str:
  """"100k" or "csv", from the files in `data_dir`.

  Raises:
    FileNotFoundError: `data_dir` is not a directory.
    ValueError: it holds neither format.
  """
  if not os.path.isdir(data_dir):
    raise FileNotFoundError(f"MovieLens data_dir {data_dir!r} is not a directory")
  has = lambda name: os.path.isfile(os.path.join(data_dir, name))
  if has("u.user") and has("u.item"):
    return "100k"
  if has("movies.csv"):
    return "csv"
  raise ValueError(
      f"{data_dir!r} holds no MovieLens data set: expected u.user + u.item (+ u.data) of "
      f"MovieLens 100K, or movies.csv + ratings.csv of the GroupLens CSV format; it has "
      f"{sorted(os.listdir(data_dir))[:20]}")


def load_movielens(data_dir: str, *, ratings_file: Optional[str] = None,
                   min_rating: Optional[float] = None, split: Optional[str] = None,
                   strict: bool = True):
  """Loads a MovieLens data set as a user-item graph.

  Example:
    graph, info = load_movielens("ml-100k")                         # all 100,000 ratings
    graph, info = load_movielens("ml-100k", ratings_file="ua.base")  # train on ua.base
    info.test.ratings, info.test_pairs                               # evaluate on ua.test

  Args:
    data_dir: a MovieLens 100K directory or a GroupLens CSV directory.
    ratings_file: the ratings file the graph's edges come from, a name in
      `data_dir` or a path (default: `u.data` for 100K, `ratings.csv` for CSV).
      100K files are tab-separated (u.data, ua.base, u1.test, ...); CSV files
      have the ratings.csv header.
    min_rating: keep only ratings >= this (for implicit-feedback training);
      applies to the edges and to `info.train`/`info.test`.
    split: 100K only: the split ("ua", "ub", "u1".."u5") whose `.base`/`.test`
      ratings fill `info.train`/`info.test`. None: "ua" when its files exist.
    strict: passed to `tfgle.Graph` (the loader itself always rejects
      malformed lines).

  Returns:
    (graph, MovieLensInfo).

  Raises:
    FileNotFoundError: a missing directory or file.
    ValueError: a malformed line (naming file and line), a rating of an unknown
      user or item, a duplicate id, or a bad argument.
  """
  if min_rating is not None and (isinstance(min_rating, bool) or
                                 not isinstance(min_rating, (int, float))):
    raise ValueError(f"min_rating must be a number or None, got {min_rating!r}")
  data_dir = os.fspath(data_dir)
  fmt = detect_format(data_dir)
  if fmt == "100k":
    users, occupations, items, genres = _read_100k_nodes(data_dir)
    default_ratings = "u.data"
  else:
    if split is not None:
      raise ValueError(f"split={split!r} applies to MovieLens 100K only; {data_dir!r} is in "
                       "the GroupLens CSV format, which has no standard split")
    items, genres = _read_csv_movies(os.path.join(data_dir, "movies.csv"))
    users, occupations, default_ratings = None, None, "ratings.csv"
  ratings_path = _resolve(data_dir, ratings_file or default_ratings, "ratings_file")
  ratings = _read_ratings(ratings_path, fmt)

  train = test = None
  if fmt == "100k":
    split_name = _resolve_split(data_dir, split)
    if split_name:
      train = _read_ratings(os.path.join(data_dir, f"{split_name}.base"), fmt)
      test = _read_ratings(os.path.join(data_dir, f"{split_name}.test"), fmt)
  else:
    split_name = None
    # No user table: the users are those who rated, in ascending id order.
    users = {"id": np.unique(ratings.users)}

  checks = [(ratings_path, ratings)]
  if split_name:
    checks += [(os.path.join(data_dir, f"{split_name}.base"), train),
               (os.path.join(data_dir, f"{split_name}.test"), test)]
  for path, part in checks:
    _check_known(path, part, users["id"], items["id"], fmt)
  if min_rating is not None:
    ratings = ratings._take(ratings.ratings >= min_rating)
    train = train._take(train.ratings >= min_rating) if train is not None else None
    test = test._take(test.ratings >= min_rating) if test is not None else None

  graph = _build_graph(users, occupations, items, ratings, genres, strict)
  user_features = [name for name in ("age", "gender", "occupation", "zip_prefix")
                   if name in users]
  info = MovieLensInfo(
      format=fmt, data_dir=data_dir, ratings_file=ratings_path,
      user_ids=graph.node_ids(USER).numpy(), item_ids=graph.node_ids(ITEM).numpy(),
      num_users=graph.num_nodes(USER), num_items=graph.num_nodes(ITEM),
      num_ratings=graph.num_edges(EDGE_TYPE[2]), user_features=user_features,
      item_features=["genres", "year"], genres=list(genres), split=split_name,
      train=train, test=test, min_rating=min_rating)
  return graph, info


# ------------------------------------------------------------------ graph


def _build_graph(users, occupations, items, ratings: Ratings, genres, strict):
  # pylint: disable=g-import-not-at-top
  from tfgle.graph.graph import Graph
  from tfgle.graph.schema import CategoricalAttr, Decoder, TextAttr
  user_attrs = {}
  if "age" in users:
    user_attrs = {
        "age": CategoricalAttr(vocab=AGE_GROUPS, dtype="int64"),
        "gender": CategoricalAttr(vocab=GENDERS),
        "occupation": CategoricalAttr(vocab=occupations),
        "zip_prefix": CategoricalAttr(),
    }
  known_years = np.unique(items["year"][items["year"] > 0])
  item_attrs = {
      "genres": CategoricalAttr(vocab=tuple(genres), multivalued=True, delimiter="|"),
      "year": CategoricalAttr(vocab=tuple(int(y) for y in known_years), dtype="int64"),
      "title": TextAttr(),
  }
  edges = {"user": ratings.users, "item": ratings.items, "rating": ratings.ratings,
           "timestamp": ratings.timestamps}
  return (Graph(strict=strict)
          .node(users, node_type=USER, decoder=Decoder(attrs=user_attrs))
          .node(items, node_type=ITEM, decoder=Decoder(attrs=item_attrs))
          .edge(edges, edge_type=EDGE_TYPE, directed=False,
                decoder=Decoder(src_column="user", dst_column="item", weight="rating",
                                timestamp="timestamp"))
          .build())


def _check_known(path, ratings: Ratings, user_ids, item_ids, fmt):
  """Fails naming the line of the first rating of an unknown user or item."""
  for what, ids, known in (("user", ratings.users, user_ids), ("item", ratings.items, item_ids)):
    unknown = ~np.isin(ids, known)
    if unknown.any():
      row = int(np.argmax(unknown))
      table = {"user": "u.user", "item": "u.item" if fmt == "100k" else "movies.csv"}[what]
      raise ValueError(f"{_line_of_row(path, row, fmt == 'csv')}: {what} id {int(ids[row])} is not "
                       f"in {table} ({int(unknown.sum())} ratings of unknown {what}s)")


def _resolve(data_dir, name, what) -> str:
  """A file name in `data_dir`, or else a path of its own."""
  name = os.fspath(name)
  for path in (os.path.join(data_dir, name), name):
    if os.path.isfile(path):
      return path
  raise FileNotFoundError(f"{what} {name!r} is neither a file in {data_dir!r} nor a file path")


def _resolve_split(data_dir, split) -> Optional[str]:
  if split is None:
    has_ua = all(os.path.isfile(os.path.join(data_dir, f"ua.{part}")) for part in ("base", "test"))
    return "ua" if has_ua else None
  if split not in SPLITS_100K:
    raise ValueError(f"split must be one of {SPLITS_100K} or None, got {split!r}")
  for part in ("base", "test"):
    path = os.path.join(data_dir, f"{split}.{part}")
    if not os.path.isfile(path):
      raise FileNotFoundError(f"split {split!r} needs {path!r}, which does not exist")
  return split


# ------------------------------------------------------------------ ratings


def _read_ratings(path: str, fmt: str) -> Ratings:
  """Reads a 100K tab-separated or a CSV ratings file; malformed lines are errors."""
  import pyarrow as pa  # pylint: disable=g-import-not-at-top
  import pyarrow.csv as pa_csv  # pylint: disable=g-import-not-at-top
  header = fmt == "csv"
  if header:
    with open(path, "r", encoding="utf-8", newline="") as f:
      first = f.readline().rstrip("\r\n")
    if first.split(",") != _CSV_RATINGS_HEADER:
      raise ValueError(f"{path}:1: expected the header {','.join(_CSV_RATINGS_HEADER)!r}, "
                       f"got {first!r}")
  names = ["user", "item", "rating", "timestamp"]
  types = {"user": pa.int64(), "item": pa.int64(), "rating": pa.float32(),
           "timestamp": pa.int64()}
  try:
    table = pa_csv.read_csv(
        path,
        read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1 if header else 0),
        parse_options=pa_csv.ParseOptions(delimiter="," if header else "\t", quote_char=False),
        convert_options=pa_csv.ConvertOptions(column_types=types, null_values=[],
                                              strings_can_be_null=False))
  except pa.ArrowInvalid as e:
    _find_bad_rating_line(path, header)  # raises naming the line
    raise ValueError(f"{path}: {e}") from None
  ratings = Ratings(*(table.column(name).to_numpy() for name in names))
  bad = ~np.isfinite(ratings.ratings) | (ratings.ratings < 0)
  if bad.any():
    row = int(np.argmax(bad))
    raise ValueError(f"{_line_of_row(path, row, header)}: rating {ratings.ratings[row]!r} is "
                     "not a finite number >= 0")
  return ratings


def _rating_lines(path, header):
  """Yields (line number, fields) of the non-empty data lines of a ratings file."""
  delimiter = "," if header else "\t"
  with open(path, "r", encoding="utf-8", errors="strict", newline="") as f:
    for number, line in enumerate(f, 1):
      if header and number == 1:
        continue
      line = line.rstrip("\r\n")
      if line:
        yield number, line.split(delimiter)


def _find_bad_rating_line(path, header):
  """Raises ValueError naming the first malformed line of a ratings file."""
  names = "userId,movieId,rating,timestamp" if header else "user item rating timestamp"
  separated = "comma" if header else "tab"
  try:
    for number, fields in _rating_lines(path, header):
      if len(fields) != 4:
        raise ValueError(f"{path}:{number}: expected 4 {separated}-separated fields "
                         f"({names}), got {len(fields)}: {fields!r}")
      for field, kind, name in zip(fields, (int, int, float, int), names.replace(",", " ").split()):
        try:
          kind(field)
        except ValueError:
          raise ValueError(f"{path}:{number}: {name} {field!r} is not "
                           f"{'an integer' if kind is int else 'a number'}") from None
  except UnicodeDecodeError as e:
    raise ValueError(f"{path}: is not UTF-8 text ({e})") from None


def _line_of_row(path, row, header) -> str:
  """'path:line' of data row `row` (0-based, empty lines skipped)."""
  for i, (number, _) in enumerate(_rating_lines(path, header)):
    if i == row:
      return f"{path}:{number}"
  return f"{path}: row {row}"


# ------------------------------------------------------------------ 100K nodes


def _split_lines(path, sep, num_fields, encoding, what):
  """Yields (line number, fields) of a `sep`-separated file, checking the field count."""
  with open(path, "r", encoding=encoding, newline="") as f:
    for number, line in enumerate(f, 1):
      line = line.rstrip("\r\n")
      if not line:
        continue
      fields = line.split(sep)
      if len(fields) != num_fields:
        raise ValueError(f"{path}:{number}: expected {num_fields} {sep!r}-separated fields "
                         f"({what}), got {len(fields)}: {line!r}")
      yield number, fields


def _parse_int(path, number, name, value) -> int:
  try:
    return int(value)
  except ValueError:
    raise ValueError(f"{path}:{number}: {name} {value!r} is not an integer") from None


def _check_unique(path, ids, lines, what):
  seen = {}
  for id_, number in zip(ids, lines):
    if id_ in seen:
      raise ValueError(f"{path}:{number}: duplicate {what} id {id_} (first at line "
                       f"{seen[id_]}); ids must be unique")
    seen[id_] = number


def _read_100k_nodes(data_dir):
  """MovieLens 100K's user and item tables (numpy dict sources), occupations and genres."""
  users_path = os.path.join(data_dir, "u.user")
  ids, ages, genders, occupations, zips, lines = [], [], [], [], [], []
  for number, (uid, age, gender, occupation, zip_code) in _split_lines(
      users_path, "|", 5, "latin-1", "id|age|gender|occupation|zip"):
    ids.append(_parse_int(users_path, number, "user id", uid))
    ages.append(_parse_int(users_path, number, "age", age))
    genders.append(gender)
    occupations.append(occupation)
    zips.append(zip_code[:1])
    lines.append(number)
  _check_unique(users_path, ids, lines, "user")
  age_bounds = np.asarray(AGE_GROUPS[1:])
  users = {
      "id": np.asarray(ids, np.int64),
      "age": np.asarray(AGE_GROUPS, np.int64)[np.searchsorted(age_bounds, ages, side="right")],
      "gender": np.asarray(genders, object),
      "occupation": np.asarray(occupations, object),
      "zip_prefix": np.asarray(zips, object),
  }
  occupation_vocab = _occupation_vocab(data_dir, occupations)

  genres = _genre_names(data_dir)
  items_path = os.path.join(data_dir, "u.item")
  ids, titles, years, genre_lists, lines = [], [], [], [], []
  for number, fields in _split_lines(
      items_path, "|", 5 + len(genres), "latin-1",
      f"id|title|release date|video release date|url|{len(genres)} genre flags"):
    ids.append(_parse_int(items_path, number, "item id", fields[0]))
    titles.append(fields[1])
    years.append(_release_year(items_path, number, fields[2]))
    flags = fields[5:]
    if any(flag not in ("0", "1") for flag in flags):
      raise ValueError(f"{items_path}:{number}: genre flags must be 0 or 1, got {flags!r}")
    genre_lists.append([g for g, flag in zip(genres, flags) if flag == "1"])
    lines.append(number)
  _check_unique(items_path, ids, lines, "item")
  items = {"id": np.asarray(ids, np.int64), "title": np.asarray(titles, object),
           "year": np.asarray(years, np.int64), "genres": _ragged(genre_lists)}
  return users, occupation_vocab, items, genres


def _release_year(path, number, date: str) -> int:
  """The year of a 100K release date ('01-Jan-1995'); 0 when empty."""
  if not date:
    return 0
  try:
    return datetime.datetime.strptime(date, "%d-%b-%Y").year
  except ValueError:
    raise ValueError(f"{path}:{number}: release date {date!r} is not like 01-Jan-1995") from None


def _genre_names(data_dir) -> tuple[str, ...]:
  """The genre columns of u.item: from u.genre when present (`name|index`)."""
  path = os.path.join(data_dir, "u.genre")
  if not os.path.isfile(path):
    return GENRES_100K
  by_index = {}
  for number, (name, index) in _split_lines(path, "|", 2, "latin-1", "name|index"):
    by_index[_parse_int(path, number, "genre index", index)] = name
  if sorted(by_index) != list(range(len(by_index))):
    raise ValueError(f"{path}: genre indices must be 0..{len(by_index) - 1}, got "
                     f"{sorted(by_index)}")
  return tuple(by_index[i] for i in range(len(by_index)))


def _occupation_vocab(data_dir, occupations) -> tuple[str, ...]:
  """u.occupation's list (one per line) when present, else the occupations seen."""
  path = os.path.join(data_dir, "u.occupation")
  if os.path.isfile(path):
    with open(path, "r", encoding="latin-1") as f:
      vocab = [line.strip() for line in f if line.strip()]
    return tuple(dict.fromkeys(vocab))
  return tuple(sorted(set(occupations)))


def _ragged(lists: Sequence[Sequence[str]]):
  from tfgle.graph.tables import RaggedColumn  # pylint: disable=g-import-not-at-top
  splits = np.zeros(len(lists) + 1, np.int64)
  np.cumsum([len(row) for row in lists], out=splits[1:])
  values = np.empty(int(splits[-1]), object)
  values[:] = [value for row in lists for value in row]
  return RaggedColumn(values, splits)


# ------------------------------------------------------------------ CSV format


def _read_csv_movies(path):
  """movies.csv: movieId,title,genres (quoted titles, '|'-separated genres)."""
  ids, titles, years, genre_lists, lines = [], [], [], [], []
  seen_genres = {}
  try:
    with open(path, "r", encoding="utf-8", newline="") as f:
      reader = csv.reader(f, strict=True)
      try:
        header = next(reader)
      except StopIteration:
        raise ValueError(f"{path}:1: the file is empty; expected the header "
                         f"{','.join(_CSV_MOVIES_HEADER)!r}") from None
      if header != _CSV_MOVIES_HEADER:
        raise ValueError(f"{path}:1: expected the header {','.join(_CSV_MOVIES_HEADER)!r}, "
                         f"got {','.join(header)!r}")
      while True:
        number = reader.line_num + 1
        try:
          row = next(reader)
        except StopIteration:
          break
        except csv.Error as e:
          raise ValueError(f"{path}:{number}: malformed CSV: {e}") from None
        if not row:
          continue
        if len(row) != 3:
          raise ValueError(f"{path}:{number}: expected 3 comma-separated fields "
                           f"(movieId,title,genres; quote titles that contain commas), got "
                           f"{len(row)}: {row!r}")
        ids.append(_parse_int(path, number, "movieId", row[0]))
        titles.append(row[1])
        match = _YEAR_IN_TITLE.search(row[1])
        years.append(int(match.group(1)) if match else 0)
        genres = [] if row[2] in ("", _NO_GENRES) else row[2].split("|")
        for genre in genres:
          seen_genres.setdefault(genre, None)
        genre_lists.append(genres)
        lines.append(number)
  except UnicodeDecodeError as e:
    raise ValueError(f"{path}: is not UTF-8 text ({e})") from None
  _check_unique(path, ids, lines, "movie")
  items = {"id": np.asarray(ids, np.int64), "title": np.asarray(titles, object),
           "year": np.asarray(years, np.int64), "genres": _ragged(genre_lists)}
  return items, tuple(sorted(seen_genres))
