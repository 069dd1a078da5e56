"""The node-classification pieces: types, splits, data under a strategy, model, manifest."""
import tempfile
from unittest import mock

import numpy as np
import tensorflow as tf

import tfgle
from tfgle import models
from tfgle import training
from tfgle.training import node_classification as nc


def _graph():
  return tfgle.datasets.synthetic(num_nodes=200, num_edges=1000, dim=8, num_classes=4, seed=5)


def _bipartite():
  users = {"id": np.arange(3), "label": np.array([0, 1, 0])}
  items = {"id": np.arange(10, 14)}
  rates = {"src_id": np.array([0, 1, 2]), "dst_id": np.array([10, 11, 12])}
  return (tfgle.Graph().node(users, node_type="user", decoder=tfgle.Decoder(label="label"))
          .node(items, node_type="item").edge(rates, edge_type=("user", "item", "rates"))
          .build())


def _settings(**overrides):
  return training.resolve_preset("synthetic", overrides.pop("model", "ego_graph_sage"),
                                 dict(dict(batch_size=32, eval_batch_size=50, hidden_dim=8),
                                      **overrides))


class TypesTest(tf.test.TestCase):

  def test_the_data_set_types_by_default(self):
    graph, info = _graph()
    self.assertEqual(nc.choose_types(graph, info), ("node", "links"))
    self.assertEqual(nc.choose_types(graph), ("node", "links"))
    self.assertEqual(nc.choose_types(graph, None, "node", "links"), ("node", "links"))

  def test_bad_types(self):
    graph, _ = _graph()
    with self.assertRaisesRegex(ValueError, r"node_type 'paper' is not a node type of the "
                                r"graph: \['node'\]"):
      nc.choose_types(graph, None, "paper")
    bipartite = _bipartite()
    with self.assertRaisesRegex(ValueError, "no edge type from 'user' to 'user'; give edge_type"):
      nc.choose_types(bipartite, None, "user")
    with self.assertRaisesRegex(ValueError, "edge_type 'rates' must go from 'user' to 'user', "
                                "got 'user' -> 'item'"):
      nc.choose_types(bipartite, None, "user", "rates")

  def test_classes_and_splits(self):
    graph, info = _graph()
    self.assertEqual(nc.count_classes(graph, "node", info), 4)
    self.assertEqual(nc.count_classes(_bipartite(), "user"), 2)  # largest label + 1
    nc.check_splits(graph, "node")
    with self.assertRaisesRegex(ValueError, r"node type 'user' needs the splits \['train', "
                                r"'val', 'test'\]; it has \[\]"):
      nc.check_splits(_bipartite(), "user")


class DataTest(tf.test.TestCase):

  def test_a_resumed_run_sees_the_batches_of_an_uninterrupted_one(self):
    graph, _ = _graph()
    settings = _settings()
    strategy = tf.distribute.get_strategy()
    train, steps = nc.training_data(graph, settings, ["links", "links"], batch="ego_graph",
                                    strategy=strategy, seed=1)
    self.assertEqual(steps, -(-120 // 32))  # 120 training seeds of 200
    # Resumed at step 2 * steps + 1: epoch 2, batch 1.
    resumed, _ = nc.training_data(graph, settings, ["links", "links"], batch="ego_graph",
                                  strategy=strategy, seed=1, start_step=2 * steps + 1)
    uninterrupted = [b["hop0"]["ids"].numpy() for b, _ in train.take(3 * steps)][2 * steps + 1:]
    self.assertLen(uninterrupted, steps - 1)
    for expected, (batch, _) in zip(uninterrupted, resumed.take(steps - 1)):
      self.assertAllEqual(batch["hop0"]["ids"], expected)
    first = np.concatenate(
        [b["hop0"]["ids"].numpy() for b, _ in train.take(steps)])
    self.assertCountEqual(first, graph.split("node", "train").numpy())

  def test_subgraph_batches_train_in_one_process_only(self):
    graph, _ = _graph()
    train, _ = nc.training_data(graph, _settings(model="gcn"), ["links"] * 2, batch="subgraph",
                                strategy=tf.distribute.get_strategy(), seed=1)
    self.assertIn("edge_index", next(iter(train))[0])
    strategy = mock.create_autospec(tf.distribute.MultiWorkerMirroredStrategy, instance=True)
    with self.assertRaisesRegex(ValueError, "trains EgoGraph batches, not 'subgraph'"):
      nc.training_data(graph, _settings(model="gcn"), ["links"] * 2, batch="subgraph",
                       strategy=strategy, seed=1)
    with self.assertRaisesRegex(ValueError, r"batch must be one of \['ego_graph', 'subgraph'\]"):
      nc.evaluation_data(graph, _settings(), ["links"] * 2, batch="graph", seed=1)

  def test_evaluation_data(self):
    graph, _ = _graph()
    val, test = nc.evaluation_data(graph, _settings(), ["links", "links"], batch="ego_graph",
                                   seed=1)
    first = [b["hop1"]["ids"].numpy() for b, _ in val]
    self.assertAllEqual(np.concatenate(first),
                        np.concatenate([b["hop1"]["ids"].numpy() for b, _ in val]))
    self.assertEqual([len(y) for _, y in test], [40])  # 40 test seeds, batches of 50
    self.assertAllEqual(np.concatenate([b["hop0"]["ids"] for b, _ in val]),
                        graph.split("node", "val"))


class ModelTest(tf.test.TestCase):

  def test_settings_reach_the_models_that_take_them(self):
    graph, _ = _graph()
    gat = nc.build_classifier(models.EgoGAT, graph, _settings(model="ego_gat", heads=2), "node", 4)
    self.assertEqual(gat.get_config()["heads"], 2)
    sage = nc.build_classifier(models.EgoGraphSAGE, graph,
                               _settings(aggregator="gcn", weight_decay=0.1), "node", 4)
    self.assertEqual(sage.get_config()["aggregator"], "gcn")
    self.assertAllClose(sage.get_config()["kernel_regularizer"]["config"]["l2"], 0.05)
    gcn = nc.build_classifier(models.GCN, graph, _settings(model="gcn"), "node", 4)
    self.assertNotIn("heads", gcn.get_config())
    self.assertEqual(gcn.get_config()["hidden_dims"], [8, 8])
    conv = nc.build_classifier(models.GCN, graph, _settings(model="gcn", head="conv"), "node", 4)
    self.assertEqual(conv.get_config()["hidden_dims"], [8])

  def test_manifest_of_a_classifier(self):
    graph, info = _graph()
    settings = _settings()
    model = nc.build_classifier(models.EgoGraphSAGE, graph, settings, "node", 4)
    manifest = nc.classifier_manifest(model, graph, settings, data_config={"dataset": "x"},
                                      batch="ego_graph", node_type="node",
                                      meta_path=["links", "links"], num_classes=4)
    self.assertEqual(manifest.model_class, "tfgle>EgoGraphSAGE")
    self.assertEqual(manifest.tower().hop_node_types, ("node",) * 3)
    self.assertEqual(manifest.edge_type, tuple(info.edge_type))
    self.assertEqual(manifest.features, {"node": ("feat",)})
    self.assertEqual(manifest.eval_strategy, nc.EVAL_STRATEGY)
    self.assertEqual(manifest.settings["hidden_dim"], 8)
    directory = tempfile.mkdtemp(dir=self.get_temp_dir())
    training.write_manifest(directory, manifest)
    self.assertEqual(training.read_manifest(directory), manifest)


if __name__ == "__main__":
  tf.test.main()
