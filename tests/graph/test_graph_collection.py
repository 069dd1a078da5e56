"""Tests of GraphCollection and read_graph_collection: the tables of many small graphs."""
import numpy as np
import tensorflow as tf

import tfgle
from tfgle.graph import GraphCollection
from tfgle.graph import read_graph_collection

from tests.graph.columns import write_file

_NODES = """graph_id\tid\tx\tatom
5\t0\t1:2\tC
7\t10\t3:4\tO
5\t1\t5:6\tN
5\t2\t7:8\tC
7\t11\t9:10\tC
"""
_EDGES = """graph_id\tsrc_id\tdst_id
5\t0\t1
7\t11\t10
5\t1\t2
"""
_GRAPHS = """graph_id\tlabel\tsplit
7\t1\ttrain
5\t0\ttest
9\t2\ttrain
"""
_NODE_DECODER = tfgle.Decoder(attrs={"x": tfgle.FloatAttr(dim=2),
                                     "atom": tfgle.CategoricalAttr()})
_GRAPH_DECODER = tfgle.Decoder(id_column="graph_id", label="label", split="split")


class ReadGraphCollectionTest(tf.test.TestCase):

  def write(self, name, text):
    return write_file(self.get_temp_dir(), name, text)

  def read(self, nodes=_NODES, edges=_EDGES, graphs=_GRAPHS, **kwargs):
    kwargs.setdefault("node_decoder", _NODE_DECODER)
    kwargs.setdefault("graph_decoder", _GRAPH_DECODER)
    return read_graph_collection(self.write("nodes.tsv", nodes), self.write("edges.tsv", edges),
                                 self.write("graphs.tsv", graphs), **kwargs)

  def test_reads_text_tables(self):
    c = self.read(undirected=True)
    self.assertAllEqual(c.graph_ids, [7, 5, 9])  # graph table order
    self.assertAllEqual(c.labels, [1, 0, 2])
    self.assertEqual((c.num_graphs, c.num_nodes, c.num_edges, c.num_classes), (3, 5, 6, 3))
    self.assertEqual({k: v.tolist() for k, v in c.splits.items()},
                     {"train": [0, 2], "test": [1]})
    self.assertAllEqual(c.node_offsets, [0, 2, 5, 5])  # graph 9 has no nodes
    self.assertAllEqual(c.node_ids, [10, 11, 0, 1, 2])  # table order within a graph
    self.assertAllEqual(c.features["x"], [[3, 4], [9, 10], [1, 2], [5, 6], [7, 8]])
    self.assertEqual(c.attrs["atom"].vocab, ("C", "N", "O"))
    self.assertAllEqual(c.features["atom"], [3, 1, 1, 2, 1])  # vocabulary index + 1
    self.assertAllEqual(c.edge_offsets, [0, 2, 6, 6])
    # Graph 7: 11 -> 10 is positions 1 -> 0; graph 5: 0 -> 1, 1 -> 2; then the reverses.
    features, edges = c.graph(0)
    self.assertAllEqual(edges, [[1, 0], [0, 1]])
    self.assertAllEqual(features["x"], [[3, 4], [9, 10]])
    self.assertAllEqual(c.graph(1)[1], [[0, 1], [1, 2], [1, 0], [2, 1]])
    directed = self.read()
    self.assertAllEqual(directed.edges, [[1, 0], [0, 1], [1, 2]])

  def test_round_trips_through_arrays(self):
    c = self.read(undirected=False)
    nodes, edges, graphs = c.to_arrays()
    again = read_graph_collection(
        nodes, edges, graphs, graph_decoder=_GRAPH_DECODER, node_decoder=tfgle.Decoder(
            attrs={"x": tfgle.FloatAttr(dim=2), "atom": tfgle.IntAttr()}))
    for field in ("graph_ids", "labels", "node_offsets", "node_ids", "edge_offsets", "edges"):
      self.assertAllEqual(getattr(again, field), getattr(c, field), msg=field)
    self.assertAllEqual(again.features["x"], c.features["x"])
    self.assertAllEqual(again.features["atom"], c.features["atom"])
    self.assertEqual({k: v.tolist() for k, v in again.splits.items()},
                     {k: v.tolist() for k, v in c.splits.items()})

  def test_unlabeled_and_default_columns(self):
    c = read_graph_collection({"graph_id": [1, 1], "id": [4, 3]},
                              {"graph_id": [1], "src_id": [3], "dst_id": [4]},
                              {"graph_id": [1]}, graph_decoder=tfgle.Decoder(id_column="graph_id"))
    self.assertIsNone(c.labels)
    self.assertIsNone(c.num_classes)
    self.assertAllEqual(c.edges, [[1, 0]])
    self.assertEqual(c.features, {})

  def test_bad_rows_name_file_and_line(self):
    cases = [
        (dict(graphs=_GRAPHS + "7\t0\ttrain\n"),
         r"graph table: duplicate graph id 7 at .*graphs.tsv:2 and .*graphs.tsv:5; graph ids "
         "must be unique"),
        (dict(graphs=_GRAPHS.replace("9\t2", "9\t-1")),
         r"graph table: .*graphs.tsv:4: label -1 is negative"),
        (dict(nodes=_NODES + "8\t0\t1:1\tC\n"),
         r"node table: .*nodes.tsv:7: graph id 8 is not in the graph table \(1 such rows\)"),
        (dict(nodes=_NODES + "7\t10\t1:1\tC\n"),
         r"node table: duplicate node id 10 in graph 7 at .*nodes.tsv:3 and .*nodes.tsv:7; "
         "node ids must be unique within a graph"),
        (dict(edges=_EDGES + "5\t0\t10\n"),  # node 10 exists, in graph 7
         r"edge table: .*edges.tsv:5: dst_id 10 is not a node of graph 5 \(1 such rows\); an "
         "edge's endpoints must be nodes of its own graph"),
        (dict(edges=_EDGES + "5\t99\t0\n"),
         r"edge table: .*edges.tsv:5: src_id 99 is not a node of graph 5"),
        (dict(edges=_EDGES + "6\t0\t1\n"),
         r"edge table: .*edges.tsv:5: graph id 6 is not in the graph table"),
        (dict(nodes=_NODES.replace("3:4", "3:x")),
         r"node table: .*nodes.tsv:3"),
        (dict(edges=_EDGES.replace("11\t10", "11\tten")),
         r"edge table: .*edges.tsv:3"),
    ]
    for kwargs, message in cases:
      with self.assertRaisesRegex(ValueError, message):
        self.read(**kwargs)

  def test_lenient_mode_drops_malformed_rows(self):
    c = self.read(nodes=_NODES + "7\t12\tbad\tC\n", strict=False)
    self.assertEqual(c.num_nodes, 5)

  def test_bad_decoders(self):
    cases = [
        (dict(node_decoder=tfgle.Decoder(label="label")),
         r"node_decoder: a graph collection has no use for the decoder's \['label'\]"),
        (dict(edge_decoder=tfgle.Decoder(attrs={"w": tfgle.FloatAttr()})),
         r"edge_decoder: a graph collection has no use for the decoder's \['attrs'\]"),
        (dict(graph_decoder=tfgle.Decoder(id_column="graph_id", string_ids=True)),
         r"graph_decoder: .*\['string_ids'\]"),
        (dict(node_decoder=tfgle.Decoder(attrs={"atom": tfgle.StringAttr()})),
         "node_decoder: attribute 'atom' is StringAttr.*graph collections take FloatAttr, "
         "IntAttr and single-valued CategoricalAttr"),
        (dict(node_decoder="id"), "node_decoder must be a tfgle.Decoder, got 'id'"),
        (dict(graph_column="id"), "graph_column 'id' is also a column of node_decoder"),
        (dict(graph_column=""), "graph_column must be a non-empty column name, got ''"),
        (dict(graph_decoder=tfgle.Decoder(id_column="gid", label="label")),
         r"graph table: .*gid"),
    ]
    for kwargs, message in cases:
      with self.assertRaisesRegex(ValueError, message):
        self.read(**kwargs)


class GraphCollectionTest(tf.test.TestCase):

  def make(self, **changes):
    fields = dict(graph_ids=[1, 2], labels=[0, 1], node_offsets=[0, 2, 3], node_ids=[0, 1, 0],
                  features={"x": np.ones((3, 1), np.float32)},
                  attrs={"x": tfgle.FloatAttr(dim=1)}, edge_offsets=[0, 1, 1], edges=[[0, 1]],
                  splits={"train": [1]})
    return GraphCollection(**dict(fields, **changes))

  def test_consistent_arrays(self):
    c = self.make()
    self.assertEqual((c.num_graphs, c.num_nodes, c.num_edges, c.num_classes), (2, 3, 1, 2))
    with self.assertRaisesRegex(ValueError, r"position must be in \[0, 2\), got 2"):
      c.graph(2)

  def test_inconsistent_arrays(self):
    cases = [
        (dict(node_offsets=[0, 3, 2]), "node_offsets must be 3 non-decreasing ints from 0"),
        (dict(edge_offsets=[0, 1]), "edge_offsets must be 3 non-decreasing ints"),
        (dict(node_ids=[0, 1]), "node_ids has 2 entries but node_offsets.* = 3 nodes"),
        (dict(edges=[[0, 1], [1, 0]]), r"edges has 2 rows but edge_offsets\[-1\] = 1"),
        (dict(edge_offsets=[0, 0, 1]),
         r"edges\[0\] = \[0, 1\] is not a pair of node positions of graph 2 \(which has 1 "
         "nodes\\)"),
        (dict(labels=[0, -1]), "labels must be 2 ints >= 0"),
        (dict(attrs={}), r"features \['x'\] and attrs \[\] must name the same attributes"),
        (dict(features={"x": np.ones(2)}), r"features\['x'\] must have shape \[N\] or \[N, D\] "
         r"with N = 3 nodes, got \(2,\)"),
        (dict(splits={"val": [2]}), r"splits\['val'\] has graph positions outside \[0, 2\)"),
    ]
    for changes, message in cases:
      with self.assertRaisesRegex(ValueError, message):
        self.make(**changes)
