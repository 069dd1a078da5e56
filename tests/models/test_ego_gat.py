"""Tests of EgoGAT (with and without edge features)."""
import tensorflow as tf

from tfgle.models import EgoGAT
from tests.models import model_testing


class EgoGATTest(model_testing.AttentionArgumentChecks, model_testing.EgoModelChecks,
                 tf.test.TestCase):
  model_class = EgoGAT
  model_kwargs = dict(hidden_dims=[4, 3], heads=2, attention_dropout=0.2)
  hetero_kwargs = dict(hidden_dims=[3, 2], heads=2, embedding_dim=4)

  def test_heads(self):
    self.assertEqual(self.make().embedding_dim, 6)
    averaged = self.make(concat_heads=False)
    self.assertEqual(averaged.embedding_dim, 3)
    self.assertEqual(averaged.embed(self.batch).shape, (8, 3))


class EgoGATEdgeFeaturesTest(model_testing.EgoEdgeFeatureChecks, tf.test.TestCase):
  model_class = EgoGAT
  model_kwargs = dict(hidden_dims=[4, 3], heads=2, attention_dropout=0.2,
                      edge_features=model_testing.EDGE_FEATURES)
  hetero_kwargs = dict(hidden_dims=[3, 2], heads=2, embedding_dim=4, edge_type="buys")


if __name__ == "__main__":
  tf.test.main()
