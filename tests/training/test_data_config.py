"""DataConfig: the graph of a training run as a value (checked, round-tripped, loaded)."""
import os
import tempfile

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

import tfgle
from tfgle import training
from tfgle.training import data_config as data_config_lib


class DataConfigTest(tf.test.TestCase, parameterized.TestCase):

  def test_synthetic_to_dict_and_back(self):
    config = training.DataConfig(seed=3, synthetic_nodes=400, synthetic_edges=2000)
    self.assertEqual(config.to_dict(), {"dataset": "synthetic", "seed": 3,
                                        "synthetic_nodes": 400, "synthetic_edges": 2000})
    self.assertEqual(training.DataConfig.from_dict(config.to_dict()), config)
    held_out = training.DataConfig(synthetic_nodes=400, holdout_edges=0.1)
    self.assertEqual(held_out.to_dict()["holdout_edges"], 0.1)
    self.assertEqual(training.DataConfig.from_dict(held_out.to_dict()), held_out)

  def test_movielens_with_held_out_edges_records_the_split(self):
    config = training.DataConfig(dataset="movielens", data_dir="ml", holdout_edges=0.1)
    values = config.to_dict()
    self.assertEqual(values["data_dir"], os.path.abspath("ml"))
    self.assertEqual((values["ratings_file"], values["split"]), ("ua.base", "ua"))
    self.assertEqual(training.DataConfig.from_dict(values), config)
    with self.assertRaisesRegex(ValueError, "ratings_file must be 'ua.base'"):
      training.DataConfig.from_dict(dict(values, ratings_file="u1.base"))

  def test_tables_round_trip(self):
    config = training.DataConfig(dataset="tables", node_tables=["paper=p.tsv"],
                                 edge_tables=["paper,paper,cites=c.tsv"], features=["x:float:4"],
                                 undirected=False)
    self.assertEqual(training.DataConfig.from_dict(config.to_dict()), config)
    self.assertEqual(config.node_tables, ("paper=p.tsv",))

  @parameterized.named_parameters(
      ("dataset", dict(dataset="imagenet"), r"dataset must be one of \['synthetic'"),
      ("data_dir", dict(dataset="citation"), "dataset 'citation' needs data_dir"),
      ("tables", dict(dataset="tables"), "dataset 'tables' needs node_tables and edge_tables"),
      ("node_table", dict(dataset="tables", node_tables=["p.tsv"], edge_tables=["a,a,e=e"]),
       "node_tables entry 'p.tsv' must be NODE_TYPE=PATH"),
      ("edge_table", dict(dataset="tables", node_tables=["a=p"], edge_tables=["a,e=e"]),
       "edge_tables entry 'a,e=e' must be SRC_TYPE,DST_TYPE,NAME=PATH"),
      ("feature", dict(dataset="tables", node_tables=["a=p"], edge_tables=["a,a,e=e"],
                       features=["x:complex"]), "features entry 'x:complex' must be NAME:KIND"),
      ("feature_dim", dict(dataset="tables", node_tables=["a=p"], edge_tables=["a,a,e=e"],
                           features=["x:float:0"]), "features entry 'x:float:0'"),
      ("nodes", dict(synthetic_nodes=0), "synthetic_nodes must be a positive int, got 0"),
      ("holdout", dict(holdout_edges=1.0), r"holdout_edges must be a fraction in \[0, 1\)"),
      ("holdout_citation", dict(dataset="citation", data_dir="x", holdout_edges=0.1),
       "dataset 'citation' has no held-out edges for link prediction"),
      ("seed", dict(seed="0"), "seed must be an int, got '0'"),
      ("strings", dict(features="x:int"), "features must be a list of strings, got 'x:int'"),
  )
  def test_bad_values(self, values, message):
    with self.assertRaisesRegex(ValueError, message):
      training.DataConfig(**values)

  def test_unknown_key(self):
    with self.assertRaisesRegex(ValueError, r"unknown DataConfig keys \['colour'\]"):
      training.DataConfig.from_dict({"dataset": "synthetic", "colour": "red"})

  def test_parse_feature(self):
    name, attr = data_config_lib.parse_feature("x:float:3")
    self.assertEqual((name, type(attr).__name__, attr.dim), ("x", "FloatAttr", 3))
    name, attr = data_config_lib.parse_feature("tags:multi_categorical")
    self.assertEqual((name, attr.multivalued, attr.delimiter), ("tags", True, ","))
    name, attr = data_config_lib.parse_feature("tags:multi_categorical:|")
    self.assertEqual((name, attr.multivalued, attr.delimiter), ("tags", True, "|"))
    self.assertEqual(data_config_lib.parse_node_feature("item=tags:categorical")[:2],
                     ("item", "tags"))
    self.assertEqual(data_config_lib.parse_node_feature("tags:multi_categorical:=")[2].delimiter,
                     "=")

  def test_loads_the_synthetic_graph_of_the_run_seed(self):
    config = training.DataConfig(synthetic_nodes=300, synthetic_edges=1500, seed=2)
    graph, info = training.load_graph(config)
    expected, _ = tfgle.datasets.synthetic(num_nodes=300, num_edges=1500, seed=2 + 20261121)
    self.assertEqual(graph.num_nodes("node"), 300)
    self.assertEqual(graph.fingerprint(), expected.fingerprint())
    self.assertEqual(graph.num_edges(info.edge_type[2]), 1500)
    other, _ = training.load_graph(training.DataConfig(synthetic_nodes=300,
                                                       synthetic_edges=1500, seed=3))
    self.assertNotEqual(other.fingerprint(), expected.fingerprint())

  def test_loads_tables(self):
    directory = tempfile.mkdtemp(dir=self.get_temp_dir())
    nodes, edges = os.path.join(directory, "nodes.tsv"), os.path.join(directory, "edges.tsv")
    with open(nodes, "w") as f:
      f.write("id\tlabel\tsplit\tx\n" + "".join(
          f"{i}\t{i % 2}\t{('train', 'val', 'test')[i % 3]}\t{i / 10}\n" for i in range(6)))
    with open(edges, "w") as f:
      f.write("src_id\tdst_id\n0\t1\n1\t2\n2\t3\n4\t5\n")
    graph, info = training.load_graph(training.DataConfig(
        dataset="tables", node_tables=[f"paper={nodes}"],
        edge_tables=[f"paper,paper,cites={edges}"], features=["x:float"]))
    self.assertIsNone(info)
    self.assertEqual(graph.num_nodes("paper"), 6)
    self.assertEqual(graph.num_edges("cites"), 8)  # undirected: reverse edges added
    self.assertEqual(sorted(graph.node_attrs("paper")), ["x"])
    self.assertEqual(sorted(graph.splits("paper")), ["test", "train", "val"])

  def test_movielens_without_the_split_to_hold_out(self):
    directory = tempfile.mkdtemp(dir=self.get_temp_dir())
    with self.assertRaisesRegex(FileNotFoundError, r"has no MovieLens 100K split \['ua.base', "
                                r"'ua.test'\] to hold out test ratings"):
      training.load_graph(training.DataConfig(dataset="movielens", data_dir=directory,
                                              holdout_edges=0.1))



def _write(directory, name, text):
  path = os.path.join(directory, name)
  with open(path, "w") as f:
    f.write(text)
  return path


class TablesEdgeSplitTest(tf.test.TestCase, parameterized.TestCase):
  """dataset 'tables' with an edge_split: own column names, the graph on training edges only."""

  def setUp(self):
    super().setUp()
    directory = tempfile.mkdtemp(dir=self.get_temp_dir())
    self.users = _write(directory, "users.csv", "userId,age\n" + "".join(
        f"{u},{20 + u}\n" for u in range(1, 5)))
    self.movies = _write(directory, "movies.csv", "movieId,genres\n" + "".join(
        f"{m},{'Drama|Crime' if m % 3 else 'Comedy'}\n" for m in range(10, 20)))
    # User u rates movies 10..19 at times 100 * m, except user 4 (one rating).
    rows = [f"{u},{m},{100 * m}" for u in range(1, 4) for m in range(10, 20)] + ["4,10,5"]
    self.ratings = _write(directory, "ratings.csv", "userId,movieId,ts\n" + "\n".join(rows))

  def config(self, **changes):
    values = dict(
        dataset="tables", node_tables=[f"user={self.users}", f"item={self.movies}"],
        edge_tables=[f"user,item,rates={self.ratings}"], label_column="", split_column="",
        id_columns=["user=userId", "item=movieId"], src_columns=["userId"],
        dst_columns=["rates=movieId"], features=["genres:multi_categorical:|", "user=age:int"],
        edge_split="temporal", val_fraction=0.1, test_fraction=0.2, timestamp_column="ts")
    values.update(changes)
    return training.DataConfig(**values)

  def test_temporal_split_holds_out_each_users_latest_edges(self):
    config = self.config()
    self.assertEqual(training.DataConfig.from_dict(config.to_dict()), config)
    self.assertEqual(config.to_dict()["edge_split"], "temporal")
    graph, held_out = training.load_graph(config)
    self.assertEqual(held_out.edge_type, ("user", "item", "rates"))
    # Users 1-3: 1 validation and 2 test edges each, the latest; user 4 keeps its one edge.
    self.assertAllEqual(held_out.test[0], [1, 1, 2, 2, 3, 3])
    self.assertAllEqual(held_out.test[1], [18, 19] * 3)
    self.assertAllEqual(held_out.val[1], [17] * 3)
    self.assertEqual(graph.num_edges("rates"), 3 * 7 + 1)
    self.assertLen(held_out.train[0], 22)
    # No held-out edge is in the graph, in either direction.
    for user, movie in zip(*held_out.test):
      self.assertNotIn(movie, graph.neighbors("rates", [user]).ids.flat_values.numpy())
      self.assertNotIn(user, graph.neighbors("rates_reverse", [movie]).ids.flat_values.numpy())
    # Features go to the tables that have their columns.
    self.assertEqual(sorted(graph.node_attrs("item")), ["genres"])
    self.assertEqual(sorted(graph.node_attrs("user")), ["age"])
    self.assertAllEqual(graph.node_features("item", [11])["genres"].row_lengths(), [2])

  def test_random_split_is_deterministic(self):
    first = training.load_graph(self.config(edge_split="random"))[1]
    again = training.load_graph(self.config(edge_split="random"))[1]
    self.assertAllEqual(first.test[1], again.test[1])
    self.assertLen(first.test[0], 6)

  def test_without_a_split(self):
    graph, held_out = training.load_graph(self.config(edge_split=""))
    self.assertIsNone(held_out)
    self.assertEqual(graph.num_edges("rates"), 31)

  def test_missing_timestamp_column(self):
    with self.assertRaisesRegex(ValueError, r"ratings.csv: .*no column 'timestamp'.*"
                                r"--timestamp_column names the time column"):
      training.load_graph(self.config(timestamp_column="timestamp"))

  def test_undeclared_delimiter(self):
    with self.assertRaisesRegex(ValueError, r"column 'genres'.*delimiter='\|'.*"
                                r"--features=NAME:multi_categorical:DELIMITER"):
      training.load_graph(self.config(features=["genres:multi_categorical"]))

  @parameterized.named_parameters(
      ("split", dict(edge_split="time"), r"edge_split must be one of \['', 'random'"),
      ("not_tables", dict(dataset="synthetic"), "edge_split splits dataset 'tables'"),
      ("fraction", dict(val_fraction=1.0), r"val_fraction must be a fraction in \[0, 1\)"),
      ("sum", dict(val_fraction=0.5, test_fraction=0.5), r"val_fraction \+ test_fraction"),
      ("column", dict(id_columns=["user="]), "id_columns entry 'user=' must be COLUMN or "),
      ("column_key", dict(src_columns=["cites=a"]),
       r"src_columns entry 'cites=a' names 'cites', which is none of \['rates'\]"),
      ("feature_type", dict(features=["paper=x:int"]),
       "features entry 'paper=x:int' names node type 'paper'"),
      ("timestamp", dict(timestamp_column=""), "timestamp_column must be a column name"),
  )
  def test_bad_values(self, changes, message):
    with self.assertRaisesRegex(ValueError, message):
      self.config(**changes)


class TablesNodeSplitTest(tf.test.TestCase):
  """dataset 'tables' with node_split="random": the nodes' splits drawn instead of read."""

  def config(self, **changes):
    directory = tempfile.mkdtemp(dir=self.get_temp_dir())
    # A split column that says "train" everywhere: a random split must not read it.
    nodes = _write(directory, "nodes.csv", "id,label,split\n" + "".join(
        f"{100 + i},{i % 3},train\n" for i in range(200)))
    edges = _write(directory, "edges.csv", "src_id,dst_id\n" + "".join(
        f"{100 + i},{100 + (i * 7) % 200}\n" for i in range(200)))
    values = dict(dataset="tables", node_tables=[f"paper={nodes}"],
                  edge_tables=[f"paper,paper,cites={edges}"], node_split="random",
                  val_fraction=0.2, test_fraction=0.3)
    values.update(changes)
    return training.DataConfig(**values)

  def test_random_split_partitions_the_nodes(self):
    config = self.config()
    self.assertEqual(training.DataConfig.from_dict(config.to_dict()), config)
    graph, _ = training.load_graph(config)
    parts = {name: graph.split("paper", name).numpy() for name in ("train", "val", "test")}
    self.assertEqual({name: len(ids) for name, ids in parts.items()},
                     {"train": 100, "val": 40, "test": 60})
    self.assertAllEqual(np.sort(np.concatenate(list(parts.values()))), np.arange(100, 300))
    again, _ = training.load_graph(config)
    self.assertAllEqual(again.split("paper", "test"), parts["test"])
    other, _ = training.load_graph(self.config(seed=1))
    self.assertNotAllEqual(other.split("paper", "test"), parts["test"])

  def test_the_split_column_without_node_split(self):
    graph, _ = training.load_graph(self.config(node_split=""))
    self.assertEqual(graph.splits("paper"), ["train"])

  def test_bad_values(self):
    with self.assertRaisesRegex(ValueError, r"node_split must be one of \['', 'random'\]"):
      self.config(node_split="column")
    with self.assertRaisesRegex(ValueError, "node_split splits dataset 'tables', not 'synthetic'"):
      training.DataConfig(node_split="random")
    with self.assertRaisesRegex(ValueError, r"val_fraction \+ test_fraction must be < 1"):
      self.config(val_fraction=0.5, test_fraction=0.5)


if __name__ == "__main__":
  tf.test.main()
