"""Tests of tfgle.data.split_edges: exact partitions, temporal order, no leaks into sampling."""
import numpy as np
from parameterized import parameterized
import pyarrow as pa
import tensorflow as tf

import tfgle
from tfgle.data import split_edges

NUM_USERS, NUM_ITEMS = 30, 40


def _ratings(seed=0):
  """Unique (user, item) pairs: user u has 1 + u % 12 edges (users 0, 12, 24: one edge)."""
  rng = np.random.default_rng(seed)
  users, items = [], []
  for u in range(NUM_USERS):
    chosen = rng.choice(NUM_ITEMS, size=1 + u % 12, replace=False)
    users += [u] * len(chosen)
    items += list(chosen + 100)
  n = len(users)
  return {"user": np.array(users, np.int64), "item": np.array(items, np.int64),
          "timestamp": rng.integers(0, 50, n),  # ties on purpose
          "rating": rng.random(n).astype(np.float32),
          "tags": [[i % 3] * (i % 4) for i in range(n)]}


def _pairs(table, src="user", dst="item"):
  return set(zip(np.asarray(table[src]).tolist(), np.asarray(table[dst]).tolist()))


def _split(edges, **kwargs):
  return split_edges(edges, src_column="user", dst_column="item", **kwargs)


def _train_graph(table):
  return (tfgle.Graph()
          .node({"id": np.arange(NUM_USERS)}, node_type="user")
          .node({"id": np.arange(NUM_ITEMS) + 100}, node_type="item")
          .edge(table, edge_type=("user", "item", "rates"), directed=False,
                decoder=tfgle.Decoder(src_column="user", dst_column="item",
                                      timestamp="timestamp"))
          .build())


class SplitEdgesTest(tf.test.TestCase):

  def assert_partition(self, split, num_rows):
    rows = split.rows
    all_rows = np.concatenate([rows["train"], rows["val"], rows["test"]])
    self.assertAllEqual(np.sort(all_rows), np.arange(num_rows))
    self.assertAllEqual(np.union1d(rows["message"], rows["supervision"]), rows["train"])
    for name in ("train", "val", "test", "message", "supervision"):
      self.assertAllEqual(rows[name], np.sort(rows[name]))

  @parameterized.expand([("random_per_source", "random", True),
                         ("random_global", "random", False),
                         ("temporal_per_source", "temporal", True),
                         ("temporal_global", "temporal", False)])
  def test_parts_partition_the_edges_and_keep_every_column_aligned(self, _, method, per_source):
    edges = _ratings()
    n = len(edges["user"])
    split = _split(edges, method=method, per_source=per_source, val_fraction=0.2,
                   test_fraction=0.2, seed=3)
    self.assert_partition(split, n)
    self.assertGreater(len(split.rows["val"]), 0)
    self.assertGreater(len(split.rows["test"]), 0)
    for name in ("train", "val", "test"):
      rows = split.rows[name]
      table = getattr(split, name)
      for column in ("user", "item", "timestamp", "rating"):
        self.assertAllEqual(table[column], edges[column][rows])
      self.assertEqual(table["tags"], [edges["tags"][i] for i in rows])
    self.assertIs(split.message, split.train)
    self.assertIs(split.supervision, split.train)
    if not per_source:
      # Global: exactly round(fraction * n) edges each.
      self.assertLen(split.rows["test"], int(np.floor(0.2 * n + 0.5)))
      self.assertLen(split.rows["val"], int(np.floor(0.2 * n + 0.5)))

  def test_per_source_counts_follow_the_rounding_rule_and_small_sources_stay_in_train(self):
    edges = _ratings()
    split = _split(edges, val_fraction=0.2, test_fraction=0.2, seed=1)
    for u in range(NUM_USERS):
      n = 1 + u % 12
      count = lambda name: int(np.sum(edges["user"][split.rows[name]] == u))
      n_val, n_test = int(np.floor(0.2 * n + 0.5)), int(np.floor(0.2 * n + 0.5))
      excess = max(n_val + n_test - (n - 1), 0)
      n_val, n_test = n_val - min(n_val, excess), n_test - (excess - min(n_val, excess))
      self.assertEqual((count("train"), count("val"), count("test")),
                       (n - n_val - n_test, n_val, n_test), f"user {u} with {n} edges")
      self.assertGreaterEqual(count("train"), 1)
    # Users with one edge (0, 12, 24) keep it in train.
    held_out = edges["user"][np.concatenate([split.rows["val"], split.rows["test"]])]
    self.assertFalse(np.isin([0, 12, 24], held_out).any())

  @parameterized.expand([("per_source", True), ("global", False)])
  def test_min_source_edges_keeps_small_sources_in_train(self, _, per_source):
    edges = _ratings()
    split = _split(edges, per_source=per_source, val_fraction=0.3, test_fraction=0.3,
                   min_source_edges=6, seed=2)
    held_out = edges["user"][np.concatenate([split.rows["val"], split.rows["test"]])]
    degree = np.bincount(edges["user"])
    self.assertTrue(np.all(degree[held_out] >= 6))
    self.assertNotEmpty(held_out)
    small = np.flatnonzero(degree < 6)
    self.assertTrue(np.isin(np.flatnonzero(np.isin(edges["user"], small)),
                            split.rows["train"]).all())

  def test_temporal_per_source_holds_out_each_sources_latest_edges(self):
    edges = _ratings()
    split = _split(edges, method="temporal", val_fraction=0.2, test_fraction=0.2,
                   supervision_fraction=0.3)
    t = edges["timestamp"]
    checked = 0
    for u in range(NUM_USERS):
      times = {name: t[split.rows[name]][edges["user"][split.rows[name]] == u]
               for name in ("train", "val", "test", "message", "supervision")}
      if len(times["val"]):
        self.assertGreaterEqual(times["val"].min(), times["train"].max())
        checked += 1
      if len(times["test"]):
        self.assertGreaterEqual(times["test"].min(), times["train"].max())
        if len(times["val"]):
          self.assertGreaterEqual(times["test"].min(), times["val"].max())
      if len(times["supervision"]):  # supervision edges are the latest training edges
        self.assertGreaterEqual(times["supervision"].min(), times["message"].max())
    self.assertGreater(checked, 10)

  def test_temporal_global_fraction_and_cutoffs(self):
    edges = _ratings()
    t = edges["timestamp"]
    split = _split(edges, method="temporal", per_source=False, val_fraction=0.2,
                   test_fraction=0.1)
    self.assertGreaterEqual(t[split.rows["val"]].min(), t[split.rows["train"]].max())
    self.assertGreaterEqual(t[split.rows["test"]].min(), t[split.rows["val"]].max())
    cut = _split(edges, method="temporal", per_source=False, time_cutoffs=(30, 40))
    self.assertAllEqual(cut.rows["test"], np.flatnonzero(t >= 40))
    self.assertAllEqual(cut.rows["val"], np.flatnonzero((t >= 30) & (t < 40)))
    self.assertAllEqual(cut.rows["train"], np.flatnonzero(t < 30))
    dates = dict(edges, timestamp=np.datetime64("2024-01-01") + t.astype("timedelta64[D]"))
    by_date = _split(dates, method="temporal", per_source=False,
                     time_cutoffs=(np.datetime64("2024-01-31"), np.datetime64("2024-02-10")))
    self.assertAllEqual(by_date.rows["test"], cut.rows["test"])

  def test_disjoint_supervision_edges(self):
    edges = _ratings()
    split = _split(edges, supervision_fraction=0.3, seed=4)
    rows = split.rows
    self.assertEmpty(np.intersect1d(rows["message"], rows["supervision"]))
    self.assertAllEqual(np.union1d(rows["message"], rows["supervision"]), rows["train"])
    self.assertNotEmpty(rows["supervision"])
    self.assertAllEqual(split.supervision["item"], edges["item"][rows["supervision"]])
    # Each source keeps a message-passing edge.
    self.assertAllEqual(np.unique(edges["user"][rows["message"]]),
                        np.unique(edges["user"][rows["train"]]))

  def test_the_graph_of_the_training_edges_samples_no_held_out_edge(self):
    edges = _ratings()
    split = _split(edges, val_fraction=0.2, test_fraction=0.2, supervision_fraction=0.25,
                   seed=5)
    held_out = _pairs(split.val) | _pairs(split.test)
    self.assertNotEmpty(held_out)
    for table in (split.train, split.message):
      g = _train_graph(table)
      expected = _pairs(table)
      users = tf.range(NUM_USERS, dtype=tf.int64)
      full = g.sampler.sample_full_neighbors("rates", users)
      sampled = {(u, int(g.to_id("item", [i])[0])) for u, row in enumerate(full.ids.to_list())
                 for i in row}
      items = tf.range(NUM_ITEMS, dtype=tf.int64)
      back = g.sampler.sample_full_neighbors("rates_reverse", items)
      sampled_back = {(u, i + 100) for i, row in enumerate(back.ids.to_list()) for u in row}
      self.assertEqual(sampled, expected)
      self.assertEqual(sampled_back, expected)
      self.assertEmpty(sampled & held_out)
      # Fixed-fanout and multi-hop sampling see the same edges only.
      hop1, hop2 = g.sampler.sample_fanouts(["rates", "rates_reverse"], users, [8, 8], seed=1)
      item_ids = g.to_id("item", hop1.ids).numpy()
      pairs = {(u, int(i)) for u in range(NUM_USERS)
               for i, m in zip(item_ids[u], hop1.mask.numpy()[u]) if m}
      self.assertEmpty(pairs & held_out)
      self.assertLessEqual(pairs, expected)
      self.assertTrue(np.all(np.isin(hop2.ids.numpy()[hop2.mask.numpy()], np.arange(NUM_USERS))))
    self.assertEmpty(_pairs(split.supervision) & _pairs(split.message))

  def test_negatives_exclude_every_true_edge(self):
    edges = _ratings()
    split = _split(edges, num_negatives=3, dst_ids=np.arange(NUM_ITEMS + 5) + 100, seed=6)
    true = _pairs(edges)
    for part, negatives in (("val", split.val_negatives), ("test", split.test_negatives)):
      rows = split.rows[part]
      self.assertLen(negatives["user"], 3 * len(rows))
      self.assertAllEqual(negatives["user"], np.repeat(edges["user"][rows], 3))
      self.assertEmpty(_pairs(negatives) & true)
      self.assertTrue(np.all((negatives["item"] >= 100) & (negatives["item"] < NUM_ITEMS + 105)))
    self.assertIsNone(_split(edges).val_negatives)

  def test_negatives_of_a_source_with_one_free_destination(self):
    # User 0 rated every item but the last: its negatives are all that item.
    items = np.arange(10)
    edges = {"user": np.array([0] * 9 + [1, 1]), "item": np.concatenate([items[:9], [0, 1]])}
    split = _split(edges, val_fraction=0.0, test_fraction=0.4, num_negatives=4,
                   dst_ids=items, seed=0)
    negatives = split.test_negatives
    self.assertAllEqual(negatives["item"][negatives["user"] == 0], [9] * 16)
    with self.assertRaisesRegex(ValueError, "no negative exists for the held-out edges of "
                                "source 0 \\(column 'user'\\): it has an edge to every one of "
                                "the 9 candidate destinations"):
      _split(edges, val_fraction=0.0, test_fraction=0.4, num_negatives=1)

  def test_deterministic_by_seed(self):
    edges = _ratings()
    a = _split(edges, supervision_fraction=0.2, num_negatives=2, seed=7)
    b = _split(edges, supervision_fraction=0.2, num_negatives=2, seed=7)
    c = _split(edges, supervision_fraction=0.2, num_negatives=2, seed=8)
    for name in a.rows:
      self.assertAllEqual(a.rows[name], b.rows[name])
    self.assertAllEqual(a.test_negatives["item"], b.test_negatives["item"])
    self.assertNotAllEqual(a.rows["test"], c.rows["test"])

  def test_pyarrow_tables_in_and_out(self):
    edges = _ratings()
    del edges["tags"]
    table = pa.table(edges)
    split = _split(table, method="temporal", num_negatives=1)
    expected = _split(edges, method="temporal", num_negatives=1)
    self.assertIsInstance(split.train, pa.Table)
    self.assertIsInstance(split.test_negatives, pa.Table)
    for name in ("train", "val", "test"):
      self.assertAllEqual(split.rows[name], expected.rows[name])
      self.assertAllEqual(getattr(split, name).column("item").to_numpy(),
                          getattr(expected, name)["item"])
    self.assertAllEqual(split.test_negatives.column("item").to_numpy(),
                        expected.test_negatives["item"])

  def test_string_ids_and_empty_tables(self):
    edges = {"user": np.array(["a", "a", "a", "b", "b", "b"], object),
             "item": np.array(["x", "y", "z", "x", "y", "z"], object)}
    split = _split(edges, val_fraction=0.0, test_fraction=0.34)
    self.assertLen(split.rows["test"], 2)
    self.assertEqual(sorted(split.test["user"].tolist()), ["a", "b"])
    empty = _split({"user": np.zeros(0, np.int64), "item": np.zeros(0, np.int64)})
    self.assertEmpty(empty.rows["train"])

  @parameterized.expand([
      ("negative_fraction", dict(val_fraction=-0.1),
       r"val_fraction must be a number in \[0, 1\), got -0.1"),
      ("fraction_one", dict(test_fraction=1.0),
       r"test_fraction must be a number in \[0, 1\), got 1.0"),
      ("fraction_str", dict(test_fraction="0.1"),
       r"test_fraction must be a number in \[0, 1\), got '0.1'"),
      ("sum", dict(val_fraction=0.5, test_fraction=0.5),
       r"val_fraction \+ test_fraction must be < 1 \(training edges must remain\), got "
       r"0.5 \+ 0.5"),
      ("supervision", dict(supervision_fraction=1),
       r"supervision_fraction must be a number in \[0, 1\), got 1"),
      ("method", dict(method="leave_one_out"),
       r"method must be one of \['random', 'temporal'\], got 'leave_one_out'"),
      ("per_source", dict(per_source="yes"), "per_source must be a bool, got 'yes'"),
      ("min_source_edges", dict(min_source_edges=0), "min_source_edges must be an int >= 1, got 0"),
      ("num_negatives", dict(num_negatives=-1), "num_negatives must be an int >= 0, got -1"),
      ("seed", dict(seed=1.5), "seed must be an int >= 0, got 1.5"),
      ("src_column", dict(src_column="uid"), r"src_column='uid' is not a column of edges; it "
       r"has \['user', 'item', 'timestamp', 'rating', 'tags'\]"),
      ("no_timestamp", dict(method="temporal", timestamp_column="time"),
       "timestamp_column='time' is not a column of edges"),
      ("cutoffs_random", dict(time_cutoffs=(1, 2)),
       "time_cutoffs apply to method='temporal' with per_source=False, got method='random'"),
      ("cutoffs_per_source", dict(method="temporal", time_cutoffs=(1, 2)),
       "time_cutoffs apply to method='temporal' with per_source=False, got .*per_source=True"),
      ("cutoffs_and_fractions", dict(method="temporal", per_source=False, time_cutoffs=(1, 2),
                                     test_fraction=0.1),
       "give time_cutoffs or val_fraction/test_fraction, not both"),
      ("cutoffs_order", dict(method="temporal", per_source=False, time_cutoffs=(5, 2)),
       r"time_cutoffs must have val_start <= test_start, got \(5, 2\)"),
      ("cutoffs_shape", dict(method="temporal", per_source=False, time_cutoffs=(5,)),
       r"time_cutoffs must be a \(val_start, test_start\) pair of timestamps, got \(5,\)"),
      ("cutoffs_kind", dict(method="temporal", per_source=False,
                            time_cutoffs=(np.datetime64("2024-01-01"), 3)),
       "time_cutoffs must be two numbers as timestamp column 'timestamp' holds"),
      ("empty_dst_ids", dict(num_negatives=1, dst_ids=[]),
       "dst_ids must hold at least one destination id for negatives, got none"),
  ])
  def test_bad_arguments(self, _, kwargs, message):
    kwargs = dict(kwargs)
    kwargs.setdefault("src_column", "user")
    with self.assertRaisesRegex(ValueError, message):
      split_edges(_ratings(), dst_column="item", **kwargs)

  def test_bad_tables(self):
    with self.assertRaisesRegex(ValueError, "edges must be a dict of column arrays or a "
                                "pyarrow Table, got list"):
      _split([[0, 1]])
    with self.assertRaisesRegex(ValueError, "the columns of edges must have equal lengths, got "
                                r"\{'user': 3, 'item': 2\}"):
      _split({"user": [0, 1, 2], "item": [1, 2]})
    edges = _ratings()
    with self.assertRaisesRegex(ValueError, "timestamp column 'timestamp' holds NaN at row 2"):
      times = edges["timestamp"].astype(float)
      times[2] = np.nan
      _split(dict(edges, timestamp=times), method="temporal")
    with self.assertRaisesRegex(ValueError, "timestamp column 'timestamp' must hold numbers or "
                                "numpy datetimes, got dtype <U"):
      _split(dict(edges, timestamp=edges["timestamp"].astype(str)), method="temporal")


if __name__ == "__main__":
  tf.test.main()
