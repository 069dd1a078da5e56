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


def _edge_tables(begin, end):
  """Rows [begin, end) of four edge tables (weights with ties, distinct timestamps)."""
  rows = slice(begin, end)
  follows = {"src_id": np.array([0, 1, 2, 3, 4, 2, 5, 0, 2, 2, 1]),
             "dst_id": np.array([1, 2, 3, 4, 5, 0, 1, 3, 4, 5, 0]),
             "w": np.array([1.0, 2.0, 2.0, 1.0, 0.5, 2.0, 1.0, 1.0, 3.0, 2.0, 2.0]),
             "r": np.arange(11)}
  rates = {"src_id": np.array([0, 0, 1, 2, 5, 3, 0, 1, 4, 0, 2]),
           "dst_id": np.array([10, 11, 10, 12, 13, 10, 12, 10, 11, 10, 13]),
           "t": np.array([5, 3, 5, 1, 2, 4, 5, 3, 9, 0, 7])}
  knows = {"src_id": np.array([0, 1, 2, 3, 0, 5, 0, 2, 1, 4, 3]),
           "dst_id": np.array([1, 2, 0, 3, 4, 1, 2, 5, 5, 4, 0]),
           "t": np.array([10, 3, 7, 1, 8, 2, 5, 9, 4, 6, 11])}
  links = {"src_id": np.array([10, 11, 12, 10, 13, 11, 10, 12, 11, 10, 13]),
           "dst_id": np.array([11, 12, 10, 12, 10, 10, 13, 11, 13, 11, 12])}
  return {name: {k: v[rows] for k, v in table.items()}
          for name, table in (("follows", follows), ("rates", rates), ("knows", knows),
                              ("links", links))}


def _typed_graph(edges, num_users=6):
  """Users and items with a directed weighted, an undirected timed (both node types and one),
  and a directed plain edge type."""
  return (tfgle.Graph()
          .node({"id": np.arange(num_users)}, node_type="u")
          .node({"id": np.arange(10, 14)}, node_type="i")
          .edge(edges["follows"], edge_type=("u", "u", "follows"),
                decoder=tfgle.Decoder(weight="w", attrs={"r": tfgle.IntAttr()}))
          .edge(edges["rates"], edge_type=("u", "i", "rates"), directed=False,
                decoder=tfgle.Decoder(timestamp="t"))
          .edge(edges["knows"], edge_type=("u", "u", "knows"), directed=False,
                decoder=tfgle.Decoder(timestamp="t"))
          .edge(edges["links"], edge_type=("i", "i", "links"))
          .build())


def _snapshot_bytes(path):
  """{file name: bytes} of a snapshot directory."""
  return {name: open(os.path.join(path, name), "rb").read() for name in sorted(os.listdir(path))}


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

  def test_edges_added_in_place_reach_pipelines_made_before(self):
    g = (tfgle.Graph().node({"id": np.arange(4)}, node_type="n")
         .edge({"src_id": np.array([0, 1]), "dst_id": np.array([1, 2])},
               edge_type=("n", "n", "e"))
         .build())
    csr, reverse = g.csr("e"), g.csr("e", reverse=True)
    version = csr.version
    full = (g.V("n").batch(4).alias("seed").outV("e").sample().by("full").alias("out")
            .values())
    into = g.V("n").batch(4).alias("seed").inV("e").sample().by("full").alias("in").values()
    sample = tf.function(lambda ids: g.sampler.sample_full_neighbors("e", ids).ids)
    self.assertEqual(sample(tf.constant([0, 3], tf.int64)).to_list(), [[1], []])

    def rows(ds, alias):
      batch = next(iter(ds))[alias]
      return [sorted(ids[mask].tolist()) for ids, mask in
              zip(batch["ids"].numpy(), batch["mask"].numpy())]
    self.assertEqual(rows(full, "out"), [[1], [2], [], []])
    g.add_edges("e", {"src_id": np.array([3, 0]), "dst_id": np.array([0, 3])})
    # The same tables, a new version: what was made before samples the new edges.
    self.assertIs(g.csr("e"), csr)
    self.assertIs(g.csr("e", reverse=True), reverse)
    self.assertEqual(csr.version, version + 1)
    self.assertEqual(sample(tf.constant([0, 3], tf.int64)).to_list(), [[1, 3], [0]])
    self.assertEqual(rows(full, "out"), [[1, 3], [2], [], [0]])
    self.assertEqual(rows(into, "in"), [[3], [0], [1], [0]])

  def test_expired_edges_leave_pipelines_made_before(self):
    g = _users_items()
    g.csr("rates", reverse=True)
    sample = tf.function(lambda ids: g.sampler.sample_full_neighbors("rates", ids).ids)
    back = tf.function(
        lambda ids: g.sampler.sample_full_neighbors("rates", ids, reverse=True).ids)
    self.assertEqual(sample(tf.constant([0, 1], tf.int64)).to_list(), [[0], [1]])
    g.remove_edges_before("rates", 2)
    self.assertEqual(sample(tf.constant([0, 1], tf.int64)).to_list(), [[], [1]])
    self.assertEqual(back(tf.constant([0, 1], tf.int64)).to_list(), [[], [1]])
    self.assertEqual(_full(g, "rates_reverse", [0, 1]), [[], [1]])

  def test_appended_graph_saves_as_the_graph_built_whole(self):
    first, later = _edge_tables(0, 6), _edge_tables(6, 11)
    whole = _typed_graph({name: {k: np.concatenate([v, later[name][k]]) for k, v in t.items()}
                          for name, t in first.items()})
    grown = _typed_graph(first)
    grown.add_edges("follows", later["follows"])
    grown.update(edges={n: later[n] for n in ("rates", "knows", "links")})
    self.assertEqual(grown.fingerprint(), whole.fingerprint())
    directory = self.get_temp_dir()
    self.assertEqual(_snapshot_bytes(grown.save(os.path.join(directory, "grown"))),
                     _snapshot_bytes(whole.save(os.path.join(directory, "whole"))))
    # A loaded snapshot (its tables keep the edge types' order) takes appends alike.
    loaded = tfgle.Graph.load(_typed_graph(first).save(os.path.join(directory, "first")))
    loaded.update(edges=later)
    self.assertEqual(loaded.fingerprint(), whole.fingerprint())

  def test_tables_rebuilt_for_new_nodes_keep_the_edge_order(self):
    first, later = _edge_tables(0, 6), _edge_tables(6, 11)
    whole = _typed_graph({name: {k: np.concatenate([v, later[name][k]]) for k, v in t.items()}
                          for name, t in first.items()}, num_users=8)
    grown = _typed_graph(first)
    grown.add_nodes("u", {"id": np.arange(6, 8)})   # new tables, then appends in place
    grown.update(edges=later)
    self.assertEqual(grown.fingerprint(), whole.fingerprint())
    # u2's follows (weights 2, 2 then 3, 2 added): heaviest first, ties in edge order.
    self.assertEqual(grown.neighbors("follows", [2]).edge_ids.to_list(), [[8, 2, 5, 9]])

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
