"""Tests of graph snapshots: Graph.save / Graph.load round trips, bit for bit."""
import json
import os

import numpy as np
import tensorflow as tf

import tfgle


def _graph(directory):
  """Two node types (string ids on one), every kind of attribute, weighted timed edges."""
  users = {"id": np.array(["u0", "u1", "u2"]), "age": np.array([20.0, 30.0, 40.0]),
           "label": np.array([0, 1, 0]), "split": np.array(["train", "test", "train"])}
  items = os.path.join(directory, "items.tsv")
  with open(items, "w", encoding="utf-8") as f:
    f.write("id\tgenres\ttitle\tvec\n10\ta,b\tx\t1:2\n11\tb\tCafé Noël\t3:4\n12\t\tz\t5:6\n"
            "13\tc,a\tw\t7:8\n")
  rates = {"src_id": np.array(["u0", "u0", "u1", "u2", "u2"]),
           "dst_id": np.array([10, 11, 12, 13, 10]), "w": np.array([1.0, 2.0, 0.5, 1.5, 3.0]),
           "t": np.array([5, 4, 3, 2, 1]), "r": np.array([1, 2, 3, 4, 5])}
  cites = {"src_id": np.array([10, 11]), "dst_id": np.array([11, 12])}
  return (tfgle.Graph()
          .node(users, node_type="user", decoder=tfgle.Decoder(
              string_ids=True, label="label", split="split",
              attrs={"age": tfgle.FloatAttr()}))
          .node(items, node_type="item", decoder=tfgle.Decoder(attrs={
              "genres": tfgle.CategoricalAttr(multivalued=True),
              "title": tfgle.StringAttr(), "vec": tfgle.FloatAttr(dim=2)}))
          .edge(rates, edge_type=("user", "item", "rates"), directed=False,
                decoder=tfgle.Decoder(string_ids=True, weight="w", timestamp="t",
                                      attrs={"r": tfgle.IntAttr()}))
          .edge(cites, edge_type=("item", "item", "cites"), directed=False)
          .build())


class SnapshotTest(tf.test.TestCase):

  def test_round_trip_is_bit_identical(self):
    g = _graph(self.get_temp_dir())
    path = g.save(os.path.join(self.get_temp_dir(), "snap"))
    loaded = tfgle.Graph.load(path)
    self.assertEqual(loaded.fingerprint(), g.fingerprint())
    self.assertEqual(repr(loaded), repr(g))
    self.assertEqual(loaded.node_attrs("item"), g.node_attrs("item"))
    self.assertAllEqual(loaded.ids_of_strings("user", ["u2"]), g.ids_of_strings("user", ["u2"]))
    self.assertAllEqual(loaded.id_strings("user", [1]), ["u1"])
    self.assertAllEqual(loaded.split("user", "train"), g.split("user", "train"))
    for edge_type in ("rates", "rates_reverse", "cites"):
      ids = np.arange(loaded.num_nodes(loaded.edge_type(edge_type).src))
      want = g.sampler.sample_neighbors(edge_type, ids, 3, strategy="topk", seed=1)
      got = loaded.sampler.sample_neighbors(edge_type, ids, 3, strategy="topk", seed=1)
      self.assertAllEqual(got.ids, want.ids)
      self.assertAllEqual(got.edge_ids, want.edge_ids)
    self.assertAllEqual(loaded.edge_features("rates", [0, 4])["r"], [1, 5])
    self.assertEqual(loaded.node_features("item", [11])["title"].numpy()[0].decode(),
                     "Café Noël")   # non-ASCII text is hashed and saved intact
    self.assertAllEqual(loaded.node_features("item", [13])["genres"].to_list(),
                        g.node_features("item", [13])["genres"].to_list())
    # Reverse tables built on first use agree too, and time filters still hold.
    before = loaded.sampler.sample_full_neighbors("rates", [0, 2], before=5)
    self.assertAllEqual(before.ids.to_list(),
                        g.sampler.sample_full_neighbors("rates", [0, 2], before=5).ids.to_list())
    self.assertAllEqual(loaded.sampler.sample_full_neighbors("rates", [0], reverse=True).ids,
                        g.sampler.sample_full_neighbors("rates", [0], reverse=True).ids)

  def test_a_changed_array_is_refused_on_load(self):
    path = _graph(self.get_temp_dir()).save(os.path.join(self.get_temp_dir(), "snap"))
    labels = os.path.join(path, "node.0.labels.npy")
    np.save(labels, np.array([1, 1, 1]))
    with self.assertRaisesRegex(ValueError, "graph snapshot .* is corrupted: its content has "
                                "fingerprint"):
      tfgle.Graph.load(path)
    self.assertAllEqual(tfgle.Graph.load(path, verify=False).labels("user"), [1, 1, 1])

  def test_errors(self):
    g = _graph(self.get_temp_dir())
    path = g.save(os.path.join(self.get_temp_dir(), "snap"))
    with self.assertRaisesRegex(FileExistsError, "already holds a graph snapshot"):
      g.save(path)
    with self.assertRaisesRegex(FileNotFoundError, "holds no graph snapshot"):
      tfgle.Graph.load(os.path.join(self.get_temp_dir(), "nothing"))
    with open(os.path.join(path, "snapshot.json")) as f:
      manifest = json.load(f)
    manifest["version"] = 99
    with open(os.path.join(path, "snapshot.json"), "w") as f:
      json.dump(manifest, f)
    with self.assertRaisesRegex(ValueError, "has snapshot version 99; this tfgle reads "
                                "version 1"):
      tfgle.Graph.load(path)
    os.remove(os.path.join(path, "edge.0.dst.npy"))
    manifest["version"] = 1
    with open(os.path.join(path, "snapshot.json"), "w") as f:
      json.dump(manifest, f)
    with self.assertRaisesRegex(FileNotFoundError, "lacks edge.0.dst.npy"):
      tfgle.Graph.load(path)
    with self.assertRaisesRegex(RuntimeError, "not built"):
      tfgle.Graph().save(os.path.join(self.get_temp_dir(), "unbuilt"))


if __name__ == "__main__":
  tf.test.main()
