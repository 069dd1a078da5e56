"""Link prediction pieces: the towers' task, its training data, embeddings and manifest."""
import numpy as np
import tensorflow as tf

import tfgle
from tfgle.models import EgoBipartiteSAGE
from tfgle.training import link_prediction as lp


def _user_item(directed=False):
  users = {"id": np.arange(4), "age": np.array([20, 30, 40, 50])}
  items = {"id": np.arange(10, 15)}
  rates = {"src_id": np.array([0, 0, 1, 2, 3, 3]), "dst_id": np.array([10, 11, 11, 12, 13, 14])}
  age = tfgle.CategoricalAttr(num_buckets=8, dtype="int64")
  return (tfgle.Graph()
          .node(users, node_type="user", decoder=tfgle.Decoder(attrs={"age": age}))
          .node(items, node_type="item")
          .edge(rates, edge_type=("user", "item", "rates"), directed=directed).build())


def _model(task):
  return EgoBipartiteSAGE(task.node_features, user_node_types=task.hop_node_types["user"],
                          item_node_types=task.hop_node_types["item"], hidden_dim=4,
                          embedding_dim=4, share_towers=task.share_towers)


class LinkTaskTest(tf.test.TestCase):

  def test_two_towers_alternate_the_edge_and_its_reverse(self):
    task = lp.make_task(_user_item(), "rates", 2, feature_embedding_dim=2, id_embedding_dim=3)
    self.assertEqual(task.node_types, {"user": "user", "item": "item"})
    self.assertEqual(task.meta_paths, {"user": ["rates", "rates_reverse"],
                                       "item": ["rates_reverse", "rates"]})
    self.assertEqual(task.hop_node_types["item"], ["item", "user", "item"])
    self.assertEqual(task.features, {"user": ["age"], "item": []})
    self.assertEqual(task.node_features["item"]["ids"].num_ids, 5)
    self.assertFalse(task.share_towers)
    no_features = lp.make_task(_user_item(), "rates", 1, node_features=False)
    self.assertEqual(no_features.features, {"user": [], "item": []})

  def test_one_node_type_shares_the_towers(self):
    graph, info = tfgle.datasets.synthetic(num_nodes=100, num_edges=500, holdout_edges=0.1)
    task = lp.make_task(graph, info.edge_type[2], 2)
    self.assertTrue(task.share_towers)
    self.assertEqual(task.meta_paths["user"], ["links", "links"])

  def test_needs_a_reverse_edge_type(self):
    with self.assertRaisesRegex(ValueError, "edge type 'rates' \\(user -> item\\) has no reverse "
                                "edge type.*build it with directed=False"):
      lp.make_task(_user_item(directed=True), "rates", 2)

  def test_training_data_embeddings_and_manifest(self):
    graph = _user_item()
    task = lp.make_task(graph, "rates", 2, feature_embedding_dim=2, id_embedding_dim=3)
    data, steps = lp.training_data(graph, task, [2, 2], batch_size=4, seed=0,
                                   strategy=tf.distribute.get_strategy(), num_negatives=2,
                                   neg_strategy="random")
    self.assertEqual(steps, 2)  # one pass over the 6 edges per epoch
    batches = list(data.take(steps))
    self.assertEqual([len(labels) for _, labels in batches], [4, 2])  # 6 edges
    self.assertAllEqual(np.concatenate([labels for _, labels in batches]), np.zeros(6))
    self.assertEqual(batches[0][0]["neg"]["hop0"]["ids"].shape, (4, 2))
    model = _model(task)
    items = lp.embed_all(model, graph, task, "item", [2, 2], batch_size=2, seed=1)
    self.assertEqual(items.shape, (5, 4))
    for batch in tfgle.data.ego_graph_dataset(graph, None, task.meta_paths["item"], [2, 2],
                                            batch_size=2, label=False, shuffle=False,
                                            features=task.features, seed=1):
      self.assertAllClose(items[batch["hop0"]["index"].numpy()], model.embed_items(batch),
                          atol=1e-6)
    manifest = lp.link_manifest(model, task, [2, 2], data_config={"dataset": "x"},
                                settings={"hidden_dim": 4})
    self.assertEqual(manifest.task, "link_prediction")
    self.assertEqual(manifest.towers["item"].method, "embed_items")
    self.assertEqual(manifest.towers["user"].meta_path, ("rates", "rates_reverse"))
    self.assertEqual(manifest.settings, {"hidden_dim": 4, "score": "dot", "share_towers": False})
    self.assertEqual(manifest.features, {"user": ("age",), "item": ()})

  def test_training_data_draws_conditional_negatives(self):
    # 40 items in 4 genres; conditional columns must share the genre of each edge's item.
    rng = np.random.default_rng(0)
    items = {"id": np.arange(100, 140), "genre": np.arange(40) % 4}
    rates = {"src_id": rng.integers(0, 8, 60), "dst_id": 100 + rng.integers(0, 40, 60)}
    graph = (tfgle.Graph()
             .node({"id": np.arange(8)}, node_type="user")
             .node(items, node_type="item", decoder=tfgle.Decoder(
                 attrs={"genre": tfgle.CategoricalAttr(num_buckets=4, dtype="int64")}))
             .edge(rates, edge_type=("user", "item", "rates"), directed=False).build())
    task = lp.make_task(graph, "rates", 1, feature_embedding_dim=2, id_embedding_dim=3)
    genre = graph.sampler.categories("item", "genre").numpy()
    data, steps = lp.training_data(graph, task, [2], batch_size=16, seed=0,
                                   strategy=tf.distribute.get_strategy(), num_negatives=4,
                                   neg_strategy="random", neg_condition={"genre": 0.5},
                                   neg_unique=True)
    for batch, _ in data.take(steps):
      dst = batch["dst"]["hop0"]["index"].numpy()
      neg = batch["neg"]["hop0"]["index"].numpy()
      self.assertAllEqual(genre[neg[:, :2]], np.repeat(genre[dst][:, None], 2, axis=1))
      self.assertTrue(all(len(set(row)) == 4 for row in neg.tolist()))
    self.assertEqual(lp.parse_neg_condition(["genre:0.5", "year:0.25"]),
                     {"genre": 0.5, "year": 0.25})
    for bad in (["genre"], ["genre:x"], ["genre:0"], ["genre:0.5", "genre:0.2"], [":0.5"]):
      with self.assertRaisesRegex(ValueError, "takes ATTR:SHARE items"):
        lp.parse_neg_condition(bad)
    with self.assertRaisesRegex(ValueError, "must sum to at most 1"):
      lp.parse_neg_condition(["genre:0.6", "year:0.6"])
    with self.assertRaisesRegex(ValueError, "neg_unique and neg_batch_share apply to "
                                "conditional negatives: give neg_condition too"):
      lp.training_data(graph, task, [2], batch_size=16, seed=0,
                       strategy=tf.distribute.get_strategy(), num_negatives=4,
                       neg_strategy="random", neg_unique=True)


if __name__ == "__main__":
  tf.test.main()
