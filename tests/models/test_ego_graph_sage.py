"""Tests of EgoGraphSAGE: supervised, unsupervised (link prediction), heterogeneous."""
import numpy as np
import tensorflow as tf

import tfgle
from tfgle.models import EgoGraphSAGE
from tests.models import model_testing


class EgoGraphSAGETest(model_testing.EgoModelChecks, tf.test.TestCase):
  model_class = EgoGraphSAGE
  model_kwargs = dict(hidden_dims=[8, 6])
  hetero_kwargs = dict(hidden_dims=[4, 4], encoder_dim=5, embedding_dim=3)

  def test_aggregators(self):
    for aggregator in ("mean", "sum", "max", "pool"):
      model = self.make(aggregator=aggregator)
      self.assertEqual(model(self.batch).shape, (8, model_testing.NUM_CLASSES))
    model = self.make(aggregator="gcn", hidden_dims=[6, 6], encoder_dim=6)
    self.assertEqual(model.embed(self.batch).shape, (8, 6))

  def test_bad_aggregator(self):
    with self.assertRaisesRegex(ValueError, "aggregator must be one of .*got 'median'"):
      self.make(aggregator="median")

  def test_unsupervised_link_prediction(self):
    g = model_testing.community_graph()
    tf.keras.utils.set_random_seed(0)
    model = EgoGraphSAGE.from_graph(g, "v", hidden_dims=[8, 8])
    self.assertIsNone(model.head)
    ds = tfgle.data.link_ego_graph_dataset(g, "e", ["e", "e"], ["e", "e"], [4, 3],
                                        batch_size=32, num_negatives=4, seed=2)
    batch = next(iter(ds))
    scores = model(batch)
    self.assertEqual(scores.shape, (32, 5))
    self.assertAllClose(scores[:, 0], tf.reduce_sum(
        model.embed(batch["src"]) * model.embed(batch["dst"]), -1), atol=1e-5)
    self.assertEqual(model.embed(batch["neg"]).shape, (32, 4, 8))
    model.compile(tf.keras.optimizers.Adam(0.01))  # the default loss: LinkPredictionLoss
    history = model.fit(ds, epochs=8, verbose=0)
    self.assertLess(history.history["loss"][-1], 0.9 * history.history["loss"][0])
    # The trained embeddings score true edges above sampled non-edges.
    scores = model(batch).numpy()
    auc = tfgle.metrics.auc(np.concatenate([np.ones(32), np.zeros(128)]),
                            np.concatenate([scores[:, 0], scores[:, 1:].ravel()]))
    self.assertGreater(auc.numpy(), 0.85)
    self.assertIn("loss", model.evaluate(ds.take(2), return_dict=True, verbose=0))

  def test_normalized_embeddings(self):
    model = self.make(num_classes=None, normalize=True)
    self.assertAllClose(tf.norm(model.embed(self.batch), axis=-1), tf.ones([8]), atol=1e-5)

  def test_heterogeneous_features_and_reload(self):
    g = model_testing.hetero_graph()
    model = EgoGraphSAGE.from_graph(g, node_types=["user", "item", "user"], num_classes=2,
                                    **self.hetero_kwargs)
    self.assertEqual(model.features["item"]["index"].num_ids, 9)
    model_testing.assert_reloads_identically(self, model, model_testing.hetero_batch(g))

  def test_from_graph_needs_one_of_node_type_and_node_types(self):
    with self.assertRaisesRegex(ValueError, "give exactly one of node_type and node_types"):
      EgoGraphSAGE.from_graph(self.graph)


if __name__ == "__main__":
  tf.test.main()
