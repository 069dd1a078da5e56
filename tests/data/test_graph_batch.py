"""Tests of graph_batch_dataset: whole graphs of a collection batched into one disjoint union."""
import numpy as np
import tensorflow as tf

import tfgle
from tfgle.data import graph_batch_dataset
from tfgle.datasets import synthetic_graph_collection
from tfgle.graph import read_graph_collection


def _collection(num_graphs=23, **kwargs):
  c = synthetic_graph_collection(num_graphs, task="cycles", num_classes=3, min_nodes=4,
                                 max_nodes=7, seed=5, **kwargs)
  # A second feature that tells nodes apart.
  c.features["pos"] = np.arange(c.num_nodes, dtype=np.int64)
  c.attrs["pos"] = tfgle.IntAttr()
  return c


def _epoch(ds):
  return [(tf.nest.map_structure(lambda t: t.numpy(), batch), labels.numpy())
          for batch, labels in ds]


class GraphBatchDatasetTest(tf.test.TestCase):

  def assert_batch_is_its_graphs(self, c, batch, labels):
    positions = np.searchsorted(c.graph_ids, batch["graph_ids"])  # graph_ids are 0..G-1
    self.assertEqual(batch["num_graphs"], len(positions))
    self.assertAllEqual(labels, c.labels[positions])
    src, dst = batch["edge_index"]
    self.assertAllEqual(batch["graph_index"][src], batch["graph_index"][dst])  # within graphs
    for b, g in enumerate(positions):
      rows = np.flatnonzero(batch["graph_index"] == b)
      features, edges = c.graph(g)
      self.assertAllEqual(batch["pos"][rows], features["pos"])
      self.assertAllEqual(batch["x"][rows], features["x"])
      self.assertAllEqual(batch["ids"][rows], c.node_ids[c.node_offsets[g]:c.node_offsets[g + 1]])
      mine = batch["graph_index"][src] == b
      self.assertAllEqual(np.stack([src[mine], dst[mine]], 1) - rows[0] if len(rows) else
                          np.zeros((0, 2)), edges)
    self.assertAllEqual(batch["graph_index"], np.sort(batch["graph_index"]))

  def test_batches_are_whole_graphs_and_an_epoch_visits_the_split_once(self):
    c = _collection()
    ds = graph_batch_dataset(c, 4, split="train", seed=3)
    epoch = _epoch(ds)
    self.assertLen(epoch, int(np.ceil(len(c.splits["train"]) / 4)))
    for batch, labels in epoch:
      self.assert_batch_is_its_graphs(c, batch, labels)
    seen = np.concatenate([b["graph_ids"] for b, _ in epoch])
    self.assertAllEqual(np.sort(seen), c.graph_ids[c.splits["train"]])
    self.assertNotAllEqual(seen, np.sort(seen))  # shuffled

  def test_deterministic_in_the_seed(self):
    c = _collection()

    def two_epochs(seed):
      ds = graph_batch_dataset(c, 5, seed=seed)
      return [np.concatenate([b["graph_ids"] for b, _ in _epoch(ds)]) for _ in range(2)]

    first, second = two_epochs(7)
    self.assertNotAllEqual(first, second)  # reshuffled every epoch
    again = two_epochs(7)
    self.assertAllEqual(again[0], first)
    self.assertAllEqual(again[1], second)
    self.assertNotAllEqual(two_epochs(8)[0], first)

  def test_unshuffled_positions_features_and_remainder(self):
    c = _collection()
    ds = graph_batch_dataset(c, 4, split=[5, 0, 9, 2, 7], shuffle=False, features=["x"],
                             label=False, drop_remainder=True)
    batches = [tf.nest.map_structure(lambda t: t.numpy(), b) for b in ds]
    self.assertLen(batches, 1)
    self.assertAllEqual(batches[0]["graph_ids"], [5, 0, 9, 2])
    self.assertNotIn("pos", batches[0])

  def test_graphs_without_edges_or_nodes(self):
    c = read_graph_collection({"graph_id": [1, 1, 3], "id": [0, 1, 0]},
                              {"graph_id": [1], "src_id": [1], "dst_id": [0]},
                              {"graph_id": [1, 2, 3], "label": [0, 1, 0]})
    batch, labels = next(iter(graph_batch_dataset(c, 3, shuffle=False)))
    self.assertAllEqual(batch["graph_index"], [0, 0, 2])
    self.assertAllEqual(batch["edge_index"], [[1], [0]])
    self.assertAllEqual(labels, [0, 1, 0])
    pooled = tfgle.layers.GlobalSumPool()((tf.ones([3, 1]), batch["graph_index"]),
                                          num_graphs=batch["num_graphs"])
    self.assertAllEqual(pooled[:, 0], [2, 0, 1])  # node counts

  def test_graph_tensor(self):
    import tensorflow_gnn as tfgnn  # pylint: disable=g-import-not-at-top
    c = _collection()
    ds = graph_batch_dataset(c, 4, shuffle=False)
    (batch, labels), (graph, same_labels) = next(iter(ds)), next(iter(
        graph_batch_dataset(c, 4, shuffle=False, graph_tensor=True)))
    self.assertAllEqual(labels, same_labels)
    self.assertAllEqual(graph.context["graph_ids"], batch["graph_ids"])
    nodes = graph.node_sets["nodes"]
    self.assertAllEqual(nodes.sizes, np.bincount(batch["graph_index"], minlength=4))
    self.assertAllEqual(nodes["pos"], batch["pos"])
    self.assertAllEqual(graph.edge_sets["edges"].adjacency.source, batch["edge_index"][0])
    summed = tfgnn.pool_nodes_to_context(graph, "nodes", "sum", feature_name="x")
    self.assertAllEqual(summed[:, 0], np.bincount(batch["graph_index"], minlength=4))

  def test_bad_arguments(self):
    c = _collection()
    unlabeled = read_graph_collection({"graph_id": [1], "id": [0]},
                                      {"graph_id": [1], "src_id": [0], "dst_id": [0]},
                                      {"graph_id": [1]},
                                      graph_decoder=tfgle.Decoder(id_column="graph_id"))
    cases = [
        (dict(collection="c"), "collection must be a tfgle.graph.GraphCollection, got str"),
        (dict(batch_size=0), "batch_size must be a positive int, got 0"),
        (dict(split="dev"), r"split 'dev' is not a split of the collection; its splits are "
         r"\['test', 'train', 'val'\]"),
        (dict(split=[0, 23]), r"split has graph positions outside \[0, 23\)"),
        (dict(split=[0.5]), "split must be None, a split name or a list of graph positions"),
        (dict(collection=unlabeled), "label=True, but the collection has no labels"),
        (dict(features=["x", "y"]), r"features \['y'\] are not features of the collection; it "
         r"has \['pos', 'x'\]"),
        (dict(split="val", batch_size=100, drop_remainder=True),
         "drop_remainder=True, but the split has 2 graphs, fewer than batch_size=100"),
    ]
    for kwargs, message in cases:
      kwargs = dict(dict(collection=c, batch_size=4), **kwargs)
      with self.assertRaisesRegex(ValueError, message):
        graph_batch_dataset(kwargs.pop("collection"), kwargs.pop("batch_size"), **kwargs)
    c.features["ids"], c.attrs["ids"] = c.features["pos"], tfgle.IntAttr()
    with self.assertRaisesRegex(ValueError, r"features \['ids'\] collide with graph batch "
                                "entries"):
      graph_batch_dataset(c, 4)
