"""Tests of graph updates: add_nodes, add_edges, update, remove_edges_before."""
import os

import numpy as np
import tensorflow as tf

import tfgle


def _users_items():
  users = {"id": np.array(["u0", "u1"]), "age": np.array([20.0, 30.0]),
           "label": np.array([0, 1]), "split": np.array(["train", "test"])}
  items = {"id": np.array([10, 11, 12]), "genre": np.array(["a", "b", "a"])}
  rates = {"src_id": np.array(["u0", "u1"]), "dst_id": np.array([10, 11]),
           "t": np.array([1, 2])}
  return (tfgle.Graph()
          .node(users, node_type="user", decoder=tfgle.Decoder(
              string_ids=True, label="label", split="split", attrs={"age": tfgle.FloatAttr()}))
          .node(items, node_type="item", decoder=tfgle.Decoder(
              attrs={"genre": tfgle.CategoricalAttr()}))
          .edge(rates, edge_type=("user", "item", "rates"), directed=False,
                decoder=tfgle.Decoder(string_ids=True, timestamp="t"))
          .build())


def _full(g, edge_type, ids):
  return g.sampler.sample_full_neighbors(edge_type, ids).ids.to_list()


class UpdateTest(tf.test.TestCase):

  def test_add_nodes_extends_ids_features_splits_and_vocab(self):
    g = _users_items()
    before = g.fingerprint()
    g.add_nodes("user", {"id": np.array(["u2"]), "age": np.array([50.0]),
                         "label": np.array([1]), "split": np.array(["train"])})
    g.add_nodes("item", {"id": np.array([13, 14]), "genre": np.array(["b", "zzz"])})
    self.assertNotEqual(g.fingerprint(), before)
    self.assertEqual(g.num_nodes("user"), 3)
    self.assertAllEqual(g.ids_of_strings("user", ["u2"]), [2])
    self.assertAllEqual(g.id_strings("user", [2]), ["u2"])
    self.assertAllEqual(g.split("user", "train"), [0, 2])
    self.assertAllEqual(g.labels("user", [2]), [1])
    self.assertAllClose(g.node_features("user", [2])["age"], [50.0])
    # Existing vocabulary: "b" keeps its id, an unknown genre is 0 (out of vocabulary).
    self.assertAllEqual(g.node_features("item", [11, 13, 14])["genre"], [2, 2, 0])
    self.assertEqual(g.node_attrs("item"), _users_items().node_attrs("item"))
    # New nodes have no edges yet, and sampling covers them.
    self.assertEqual(_full(g, "rates_reverse", [3, 4]), [[], []])
    self.assertEqual(g.sampler.sample_neighbors("rates", [2], 2, seed=1).mask.numpy().sum(), 0)

  def test_add_edges_are_sampled_both_ways_in_time_order(self):
    g = _users_items()
    g.add_edges("rates", {"src_id": np.array(["u0", "u1"]), "dst_id": np.array([12, 10]),
                          "t": np.array([9, 0])})
    self.assertEqual(g.num_edges("rates"), 4)
    # Latest first: u0's row is 12 (t=9) then 10 (t=1); u1's is 11 (t=2) then 10 (t=0).
    self.assertEqual(_full(g, "rates", [0, 1]), [[2, 0], [1, 0]])
    self.assertEqual(_full(g, "rates_reverse", [0, 2]), [[0, 1], [0]])
    self.assertAllEqual(g.sampler.sample_neighbors("rates", [0], 1, strategy="topk",
                                                   seed=1).edge_ids, [[2]])
    window = g.sampler.sample_full_neighbors("rates", [0, 1], before=2)
    self.assertEqual(window.ids.to_list(), [[0], [0]])

  def test_update_takes_edges_to_nodes_of_the_same_update(self):
    g = _users_items()
    new_edges = {"src_id": np.array(["u9"]), "dst_id": np.array([15]), "t": np.array([3])}
    with self.assertRaisesRegex(ValueError, r"edge table 'rates': row 0: src id 'u9' is not in "
                                "node table 'user'"):
      g.add_edges("rates", new_edges)
    self.assertEqual(g.num_edges("rates"), 2)   # a failed update changes nothing
    g.update(nodes={"user": {"id": np.array(["u9"]), "age": np.array([1.0]),
                             "label": np.array([0]), "split": np.array([""])},
                    "item": {"id": np.array([15]), "genre": np.array(["a"])}},
             edges={"rates": new_edges})
    self.assertEqual(_full(g, "rates", g.ids_of_strings("user", ["u9"])), [[3]])
    self.assertEqual(g.node_ids("item").numpy().tolist(), [10, 11, 12, 15])

  def test_self_loops_and_symmetric_edges(self):
    g = (tfgle.Graph().node({"id": np.arange(3)}, node_type="n")
         .edge({"src_id": np.array([0]), "dst_id": np.array([1])}, edge_type=("n", "n", "e"),
               directed=False)
         .build())
    g.add_edges("e", {"src_id": np.array([1, 2]), "dst_id": np.array([2, 2])})
    self.assertEqual(g.num_edges("e"), 2 + 3)
    self.assertEqual([sorted(row) for row in _full(g, "e", [0, 1, 2])], [[1], [0, 2], [1, 2]])

  def test_remove_edges_before_is_a_sliding_window(self):
    g = _users_items()
    g.add_edges("rates", {"src_id": np.array(["u0"]), "dst_id": np.array([12]),
                          "t": np.array([7])})
    g.remove_edges_before("rates", 2)
    self.assertEqual(_full(g, "rates", [0, 1]), [[2], [1]])
    self.assertEqual(_full(g, "rates_reverse", [0, 1, 2]), [[], [1], [0]])
    self.assertAllEqual(g.edge_features("rates", [0]), {})   # edge ids stay valid

  def test_snapshot_of_an_updated_graph_round_trips(self):
    g = _users_items()
    g.add_nodes("item", {"id": np.array([13]), "genre": np.array(["a"])})
    g.add_edges("rates", {"src_id": np.array(["u1"]), "dst_id": np.array([13]),
                          "t": np.array([5])})
    path = g.save(os.path.join(self.get_temp_dir(), "snap"))
    loaded = tfgle.Graph.load(path)
    self.assertEqual(loaded.fingerprint(), g.fingerprint())
    loaded.add_edges("rates", {"src_id": np.array(["u0"]), "dst_id": np.array([13]),
                               "t": np.array([6])})
    self.assertEqual(_full(loaded, "rates_reverse", [3]), [[0, 1]])

  def test_errors(self):
    g = _users_items()
    with self.assertRaisesRegex(ValueError, r"node table 'user': node id 'u1' at row 1 is "
                                "already in the graph"):
      g.add_nodes("user", {"id": np.array(["u5", "u1"]), "age": np.array([1.0, 2.0]),
                           "label": np.array([0, 0]), "split": np.array(["", ""])})
    with self.assertRaisesRegex(ValueError, "node table 'item': duplicate node id 20 at row 1"):
      g.add_nodes("item", {"id": np.array([20, 20]), "genre": np.array(["a", "a"])})
    with self.assertRaisesRegex(ValueError, "unknown node type 'shop'"):
      g.add_nodes("shop", {"id": np.array([1])})
    with self.assertRaisesRegex(ValueError, "unknown edge type 'rates_reverse' to add edges to"):
      g.add_edges("rates_reverse", {"src_id": np.array([10]), "dst_id": np.array(["u0"])})
    with self.assertRaisesRegex(ValueError, "edge table 'rates': the arrays have no column 't'"):
      g.add_edges("rates", {"src_id": np.array(["u0"]), "dst_id": np.array([10])})
    with self.assertRaisesRegex(ValueError, "timestamp must be an int"):
      g.remove_edges_before("rates", 1.5)
    plain = (tfgle.Graph().node({"id": np.arange(2)}, node_type="n")
             .edge({"src_id": np.array([0]), "dst_id": np.array([1])},
                   edge_type=("n", "n", "e")).build())
    with self.assertRaisesRegex(ValueError, "edge type 'e' has no timestamps"):
      plain.remove_edges_before("e", 1)
    self.assertEqual(g.num_nodes("user"), 2)
    self.assertEqual(g.num_nodes("item"), 3)


if __name__ == "__main__":
  tf.test.main()
