"""Tests of tfgle.Graph: building from arrays and files, lookups, and bad input."""
import os

import numpy as np
from parameterized import parameterized
import pyarrow as pa
import pyarrow.parquet as pq
import tensorflow as tf

import tfgle
from tfgle.graph.graph import EdgeType


def user_item_graph(**graph_kwargs):
  """Users and items: users buy items (undirected, weighted) and follow users (undirected)."""
  users = {"id": np.array([10, 20, 30]), "age": np.array([31, 42, 53]),
           "emb": np.array([[1, 2], [3, 4], [5, 6]], np.float32),
           "label": np.array([1, 0, 1]), "split": np.array(["train", "none", "test"])}
  items = {"id": np.array([100, 200]), "cat": np.array(["b", "a"])}
  buys = {"src_id": np.array([10, 10, 20]), "dst_id": np.array([100, 200, 200]),
          "weight": np.array([1.0, 2.0, 3.0], np.float32), "qty": np.array([5, 6, 7])}
  follows = {"src_id": np.array([10, 20]), "dst_id": np.array([20, 30])}
  return (tfgle.Graph(**graph_kwargs)
          .node(users, node_type="user", decoder=tfgle.Decoder(
              label="label", split="split",
              attrs={"age": tfgle.IntAttr(), "emb": tfgle.FloatAttr(dim=2)}))
          .node(items, node_type="item",
                decoder=tfgle.Decoder(attrs={"cat": tfgle.CategoricalAttr()}))
          .edge(buys, edge_type=("user", "item", "buys"), directed=False,
                decoder=tfgle.Decoder(weight="weight", attrs={"qty": tfgle.IntAttr()}))
          .edge(follows, edge_type=("user", "user", "follows"), directed=False)
          .build())


class GraphFromArraysTest(tf.test.TestCase):

  def test_heterogeneous_types_and_undirected_edges(self):
    g = user_item_graph()
    self.assertEqual(g.node_types, ["user", "item"])
    self.assertEqual(g.edge_types, [EdgeType("user", "item", "buys"),
                                    EdgeType("item", "user", "buys_reverse"),
                                    EdgeType("user", "user", "follows")])
    self.assertEqual(g.edge_type("buys_reverse"), EdgeType("item", "user", "buys_reverse"))
    self.assertEqual(g.num_nodes("user"), 3)
    self.assertEqual(g.num_nodes("item"), 2)
    self.assertEqual(g.num_edges("buys"), 3)
    self.assertEqual(g.num_edges(("item", "user", "buys_reverse")), 3)
    self.assertEqual(g.num_edges("follows"), 4)  # same node type: both directions in one
    buys = g.neighbors("buys", [10, 30])
    self.assertAllEqual(buys.ids.to_list(), [[200, 100], []])  # heaviest first
    self.assertAllEqual(buys.weights.to_list(), [[2.0, 1.0], []])
    self.assertAllEqual(buys.edge_ids.to_list(), [[1, 0], []])
    back = g.neighbors("buys_reverse", [200, 100])
    self.assertAllEqual(back.ids.to_list(), [[20, 10], [10]])
    self.assertAllEqual(back.edge_ids.to_list(), [[2, 1], [0]])  # edge ids of the edge table
    follows = g.neighbors("follows", [10, 20, 30]).ids.to_list()
    self.assertEqual([sorted(row) for row in follows], [[20], [10, 30], [20]])
    self.assertAllEqual(g.degree("buys", [10, 20, 30]), [2, 1, 0])
    self.assertAllEqual(g.degree("buys", [100, 200], direction="in"), [1, 2])
    self.assertAllEqual(g.degree("buys_reverse", [100, 200]), [1, 2])

  def test_lookups(self):
    g = user_item_graph()
    self.assertAllEqual(g.node_ids("user"), [10, 20, 30])
    self.assertAllEqual(g.to_index("user", [30, 10]), [2, 0])
    self.assertAllEqual(g.to_id("user", [1, 2]), [20, 30])
    ragged = g.to_id("item", tf.ragged.constant([[1], [], [0, 1]], tf.int64))
    self.assertAllEqual(ragged.to_list(), [[200], [], [100, 200]])
    # Contiguous ids (5..9) are computed, not looked up; the indices are still checked.
    contiguous = (tfgle.Graph().node({"id": np.arange(5, 10)}, node_type="n")
                  .edge({"src_id": [5], "dst_id": [6]}, edge_type=("n", "n", "r")).build())
    self.assertAllEqual(contiguous.to_id("n", tf.constant([[4, 0]], tf.int32)), [[9, 5]])
    for bad in ([5], [-1]):
      with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                  r"dense indices of node type 'n' must lie in \[0, 5\)"):
        contiguous.to_id("n", bad)
    self.assertAllEqual(g.labels("user"), [1, 0, 1])
    self.assertAllEqual(g.labels("user", [30, 20]), [1, 0])
    features = g.node_features("user", [30, 10])
    self.assertAllEqual(features["age"], [53, 31])
    self.assertAllEqual(features["emb"], [[5, 6], [1, 2]])
    self.assertEqual(list(g.node_features("user", [20], names=["age"])), ["age"])
    # learned vocabulary: sorted values, id 0 is out of vocabulary
    self.assertEqual(g.node_attrs("item")["cat"].vocab, ("a", "b"))
    self.assertAllEqual(g.node_features("item", [100, 200])["cat"], [2, 1])
    self.assertAllEqual(g.edge_features("buys", [2, 0])["qty"], [7, 5])
    self.assertAllEqual(g.edge_features("buys_reverse", [1])["qty"], [6])

  def test_splits_from_a_column_and_add_split(self):
    g = user_item_graph()
    self.assertEqual(g.splits("user"), ["test", "train"])  # "none" is no split
    self.assertAllEqual(g.split("user", "train"), [10])
    self.assertAllEqual(g.split_indices("user", "test"), [2])
    g.add_split("user", "val", [30, 20, 30])
    self.assertAllEqual(g.split("user", "val"), [20, 30])
    self.assertEqual(g.splits("user"), ["test", "train", "val"])
    g.add_split("item", "hot", [200])
    self.assertAllEqual(g.split("item", "hot"), [200])
    with self.assertRaisesRegex(ValueError, r"node type 'user' has no split 'valid'; it has "
                                r"\['test', 'train', 'val'\]"):
      g.split("user", "valid")
    with self.assertRaisesRegex(ValueError, "split name must be a non-empty string, got ''"):
      g.add_split("user", "", [10])

  def test_string_ids(self):
    people = {"id": np.array(["ann", "bob", "cy"]), "label": np.array([0, 1, 0])}
    knows = {"src_id": np.array(["ann", "bob"]), "dst_id": np.array(["bob", "cy"])}
    g = (tfgle.Graph()
         .node(people, node_type="person", decoder=tfgle.Decoder(string_ids=True, label="label"))
         .edge(knows, edge_type=("person", "person", "knows"), directed=False)
         .build())
    ids = g.ids_of_strings("person", ["cy", "ann"])
    self.assertAllEqual(ids, [2, 0])
    self.assertEqual(list(g.id_strings("person", [1, 2])), ["bob", "cy"])
    bob = g.ids_of_strings("person", ["bob"])
    self.assertEqual(sorted(g.id_strings("person", g.neighbors("knows", bob).ids[0]).tolist()),
                     ["ann", "cy"])
    self.assertAllEqual(g.labels("person", ids), [0, 0])
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                r"(?s)unknown string ids of node type 'person'.*b'dan'"):
      g.ids_of_strings("person", ["ann", "dan"])
    g2 = user_item_graph()
    with self.assertRaisesRegex(ValueError, "node type 'user' does not have string ids"):
      g2.ids_of_strings("user", ["x"])

  @parameterized.expand([
      ("to_index", lambda g: g.to_index("user", [10, 99])),
      ("labels", lambda g: g.labels("user", [99])),
      ("neighbors", lambda g: g.neighbors("buys", [20, 99])),
      ("degree", lambda g: g.degree("buys", [99])),
      ("node_features", lambda g: g.node_features("user", [99])),
      ("add_split", lambda g: g.add_split("user", "x", [99])),
      ("in_degree_of_a_user_id", lambda g: g.degree("buys", [99], direction="in")),
  ])
  def test_unknown_ids_are_an_error_naming_the_id(self, _, lookup):
    g = user_item_graph()
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, r"= 99 is not a known id"):
      lookup(g)

  def test_edge_ids_out_of_range(self):
    g = user_item_graph()
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, "edge id out of range"):
      g.edge_features("buys", [3])
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, "edge ids must be >= 0"):
      g.edge_features("buys", [-1])

  @parameterized.expand([
      ("num_nodes", lambda g: g.num_nodes("ghost"),
       r"unknown node type 'ghost'; the graph has \['user', 'item'\]"),
      ("to_index", lambda g: g.to_index("ghost", [1]), "unknown node type 'ghost'"),
      ("labels", lambda g: g.labels("ghost"), "unknown node type 'ghost'"),
      ("num_edges", lambda g: g.num_edges("ghost"),
       r"unknown edge type 'ghost'; the graph has \[\('user', 'item', 'buys'\), "
       r"\('item', 'user', 'buys_reverse'\), \('user', 'user', 'follows'\)\]"),
      ("wrong_ends", lambda g: g.neighbors(("user", "user", "buys"), [10]),
       r"unknown edge type \('user', 'user', 'buys'\)"),
      ("two_parts", lambda g: g.csr(("user", "buys")), r"unknown edge type \('user', 'buys'\)"),
      ("no_label", lambda g: g.labels("item"), "node type 'item' has no label column"),
      ("no_weight", lambda g: g.node_weights("user"), "node type 'user' has no weight column"),
      ("unknown_attr", lambda g: g.node_features("user", [10], names=["age", "height"]),
       r"node type 'user' has no attributes \['height'\]; it has \['age', 'emb'\]"),
      ("direction", lambda g: g.degree("buys", [10], direction="both"),
       "direction must be 'out' or 'in', got 'both'"),
  ])
  def test_unknown_names_in_lookups(self, _, lookup, message):
    with self.assertRaisesRegex(ValueError, message):
      lookup(user_item_graph())

  def test_bad_declarations(self):
    nodes = {"id": np.array([1, 2])}
    edges = {"src_id": np.array([1]), "dst_id": np.array([2])}
    with self.assertRaisesRegex(
        ValueError, r"edge type 'e': dst node type 'ghost' has no node table; declared node "
        r"types: \['n'\]"):
      tfgle.Graph().node(nodes, node_type="n").edge(edges, edge_type=("n", "ghost", "e")).build()
    with self.assertRaisesRegex(ValueError, r"edge_type must be a \(src_type, dst_type, name\) "
                                r"tuple of names, got \('n', 'e'\)"):
      tfgle.Graph().edge(edges, edge_type=("n", "e"))
    with self.assertRaisesRegex(ValueError, "node type 'n' is declared twice"):
      tfgle.Graph().node(nodes, node_type="n").node(nodes, node_type="n")
    with self.assertRaisesRegex(ValueError, "edge type name 'e_reverse' is declared twice"):
      (tfgle.Graph().edge(edges, edge_type=("a", "b", "e"), directed=False)
       .edge(edges, edge_type=("a", "b", "e_reverse")))
    with self.assertRaisesRegex(ValueError, "the graph has no node types"):
      tfgle.Graph().build()
    with self.assertRaisesRegex(RuntimeError, "the graph is not built yet"):
      tfgle.Graph().node(nodes, node_type="n").num_nodes("n")
    with self.assertRaisesRegex(RuntimeError, "the graph is already built"):
      tfgle.Graph().node(nodes, node_type="n").build().node(nodes, node_type="m")

  def test_duplicate_node_ids_in_arrays(self):
    with self.assertRaisesRegex(ValueError, "node table 'n': duplicate node id 1 at row 0 and "
                                "row 2; node ids must be unique"):
      tfgle.Graph().node({"id": np.array([1, 2, 1])}, node_type="n").build()

  def test_dangling_edges_in_arrays(self):
    nodes = {"id": np.array([1, 2])}
    edges = {"src_id": np.array([1, 7, 2]), "dst_id": np.array([2, 1, 8])}
    with self.assertRaisesRegex(ValueError, "edge table 'e': row 1: src id 7 is not in node "
                                r"table 'n' \(2 such rows\)"):
      tfgle.Graph().node(nodes, node_type="n").edge(edges, edge_type=("n", "n", "e")).build()
    g = (tfgle.Graph(strict=False).node(nodes, node_type="n")
         .edge(edges, edge_type=("n", "n", "e")).build())
    self.assertEqual(g.num_edges("e"), 1)
    self.assertEqual(g.load_report, {"node table 'n'": {}, "edge table 'e'": {"<arrays>": 2}})


class GraphFromFilesTest(tf.test.TestCase):

  def write(self, name, text):
    path = os.path.join(self.get_temp_dir(), name)
    with open(path, "w") as f:
      f.write(text)
    return path

  def paper_files(self, nodes_text=None, edges_text=None):
    nodes = self.write("nodes.tsv", nodes_text or (
        "id:int64\tlabel:int64\tsplit:string\twords\n"
        "1\t0\ttrain\t3,4\n"
        "2\t1\tval\t\n"
        "3\t1\ttest\t4\n"
        "4\t0\tnone\t5,3\n"))
    edges = self.write("edges.tsv", edges_text or (
        "src_id:int64\tdst_id:int64\n1\t2\n2\t3\n\n4\t1\n"))
    return nodes, edges

  def paper_graph(self, nodes, edges, **graph_kwargs):
    decoder = tfgle.Decoder(label="label", split="split", attrs={
        "words": tfgle.CategoricalAttr(multivalued=True, dtype="int64")})
    return (tfgle.Graph(**graph_kwargs)
            .node(nodes, node_type="paper", decoder=decoder)
            .edge(edges, edge_type=("paper", "paper", "cites"), directed=False)
            .build())

  def test_build_from_tsv(self):
    g = self.paper_graph(*self.paper_files())
    self.assertEqual(g.num_nodes("paper"), 4)
    self.assertEqual(g.num_edges("cites"), 6)
    self.assertEqual(sorted(g.neighbors("cites", [1]).ids[0].numpy().tolist()), [2, 4])
    self.assertAllEqual(g.split("paper", "val"), [2])
    self.assertEqual(g.node_attrs("paper")["words"].vocab, (3, 4, 5))
    self.assertAllEqual(g.node_features("paper", [1, 2, 4])["words"].to_list(),
                        [[1, 2], [], [3, 1]])
    self.assertEqual(g.load_report, {"node table 'paper'": {}, "edge table 'cites'": {}})

  def test_tsv_and_parquet_give_the_same_graph(self):
    nodes, edges = self.paper_files()
    parquet = os.path.join(self.get_temp_dir(), "edges.parquet")
    pq.write_table(pa.table({"src_id": [1, 2, 4], "dst_id": [2, 3, 1]}), parquet)
    a = self.paper_graph(nodes, edges)
    b = self.paper_graph(nodes, parquet)
    for g in (a, b):
      self.assertEqual(g.num_edges("cites"), 6)
    ids = [1, 2, 3, 4]
    self.assertAllEqual(a.neighbors("cites", ids).ids, b.neighbors("cites", ids).ids)

  def test_undirected_between_two_types_from_files(self):
    users = self.write("users.tsv", "id\n1\n2\n")
    items = self.write("items.csv", "id,price:float\n7,1.5\n8,2\n")
    clicks = self.write("clicks.tsv", "src_id\tdst_id\n1\t7\n2\t7\n2\t8\n")
    g = (tfgle.Graph()
         .node(users, node_type="user")
         .node(items, node_type="item", decoder=tfgle.Decoder(weight="price"))
         .edge(clicks, edge_type=("user", "item", "click"), directed=False)
         .build())
    self.assertAllEqual(g.neighbors("click_reverse", [7, 8]).ids.to_list(), [[1, 2], [2]])
    self.assertAllClose(g.node_weights("item"), [1.5, 2.0])

  def test_string_ids_from_files(self):
    nodes = self.write("people.tsv", "id\tlabel\nann\t0\nbob\t1\n")
    edges = self.write("knows.tsv", "src_id\tdst_id\nann\tbob\nbob\tzed\n")
    graph = (tfgle.Graph()
             .node(nodes, node_type="p", decoder=tfgle.Decoder(string_ids=True, label="label"))
             .edge(edges, edge_type=("p", "p", "knows")))
    with self.assertRaisesRegex(ValueError, f"edge table 'knows': {edges}:3: dst id 'zed' is "
                                "not in node table 'p'"):
      graph.build()

  # ---------------------------------------------------------------- bad input

  def test_malformed_row_names_table_file_line_and_column(self):
    nodes, edges = self.paper_files(nodes_text=(
        "id\tlabel\tsplit\twords\n1\t0\ttrain\t3\n2\tx\tval\t\n3\t1\ttest\t4,y\n"))
    with self.assertRaisesRegex(ValueError, f"^node table 'paper': {nodes}:3: column 'label': "
                                "'x' is not an int64 \\(2 malformed rows"):
      self.paper_graph(nodes, edges)

  def test_lenient_drops_are_reported_and_capped(self):
    nodes, edges = self.paper_files(
        nodes_text="id\tlabel\tsplit\twords\n1\t0\ttrain\t3\n2\tx\tval\t\n3\t1\ttest\t4\n",
        edges_text="src_id\tdst_id\n1\t3\n1\t2\n1\n3\t1\n")
    g = self.paper_graph(nodes, edges, strict=False)
    self.assertEqual(g.num_nodes("paper"), 2)
    self.assertEqual(g.num_edges("cites"), 4)  # 1-3 and 3-1, both ways
    self.assertEqual(g.load_report, {"node table 'paper'": {nodes: 1},
                                     "edge table 'cites'": {edges: 2}})
    with self.assertRaisesRegex(ValueError, r"edge table 'cites': 2 rows dropped, more than "
                                f"max_dropped_rows=1: {{'{edges}': 2}}"):
      self.paper_graph(nodes, edges, strict=False, max_dropped_rows=1)
    with self.assertRaisesRegex(ValueError, f"^node table 'paper': 1 malformed rows dropped, "
                                "more than max_dropped_rows=0"):
      self.paper_graph(nodes, edges, strict=False, max_dropped_rows=0)

  def test_dangling_edge_names_file_line_and_id(self):
    nodes, edges = self.paper_files(edges_text="src_id\tdst_id\n1\t2\n\n2\t99\n3\t1\n")
    with self.assertRaisesRegex(ValueError, f"^edge table 'cites': {edges}:4: dst id 99 is not "
                                r"in node table 'paper' \(1 such rows\)"):
      self.paper_graph(nodes, edges)
    g = self.paper_graph(nodes, edges, strict=False)
    self.assertEqual(g.num_edges("cites"), 4)
    self.assertEqual(g.load_report["edge table 'cites'"], {edges: 1})

  def test_duplicate_node_ids_name_both_lines(self):
    nodes, edges = self.paper_files(
        nodes_text="id\tlabel\tsplit\twords\n1\t0\ttrain\t\n2\t0\ttrain\t\n\n1\t1\ttest\t\n")
    with self.assertRaisesRegex(ValueError, f"node table 'paper': duplicate node id 1 at "
                                f"{nodes}:2 and {nodes}:5; node ids must be unique"):
      self.paper_graph(nodes, edges)

  def test_duplicate_string_ids(self):
    nodes = self.write("people.tsv", "id\nann\nbob\nann\n")
    with self.assertRaisesRegex(ValueError, f"node table 'p': duplicate node id 'ann' at "
                                f"{nodes}:4"):
      tfgle.Graph().node(nodes, node_type="p", decoder=tfgle.Decoder(string_ids=True)).build()

  def test_header_that_does_not_match_the_decoder(self):
    nodes, edges = self.paper_files(
        nodes_text="id:string\tlabel\tsplit\twords\np1\t0\ttrain\t\n")
    with self.assertRaisesRegex(ValueError, f"^node table 'paper': {nodes}:1: column 'id' has "
                                "header type 'string', but the decoder reads it as int64"):
      self.paper_graph(nodes, edges)
    nodes, edges = self.paper_files(nodes_text="id\tlabel\tsplit\n1\t0\ttrain\n")
    with self.assertRaisesRegex(ValueError, f"^node table 'paper': {nodes}: the header has no "
                                r"column 'words' \(it has \['id', 'label', 'split'\]\)"):
      self.paper_graph(nodes, edges)

  def test_negative_edge_weight(self):
    nodes = self.write("n.tsv", "id\n1\n2\n")
    edges = self.write("e.tsv", "src_id\tdst_id\tw\n1\t2\t1\n2\t1\t-1\n")
    with self.assertRaisesRegex(ValueError, f"edge table 'e': {edges}:3: weight -1.0 is "
                                "negative; edge weights must be >= 0"):
      (tfgle.Graph().node(nodes, node_type="n")
       .edge(edges, edge_type=("n", "n", "e"), decoder=tfgle.Decoder(weight="w")).build())


if __name__ == "__main__":
  tf.test.main()
