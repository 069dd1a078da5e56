"""Tests of the SubGraph GAT (with and without edge features)."""
import tensorflow as tf

from tfgle.models import GAT
from tests.models import model_testing


class GATTest(model_testing.AttentionArgumentChecks, model_testing.SubGraphModelChecks,
              tf.test.TestCase):
  model_class = GAT
  model_kwargs = dict(hidden_dims=[4, 3], heads=2, attention_dropout=0.2)

  def test_heads(self):
    self.assertEqual(self.make().embedding_dim, 6)
    self.assertEqual(self.make(concat_heads=False).embed(self.batch).shape, (8, 3))


class GATEdgeFeaturesTest(model_testing.SubGraphEdgeFeatureChecks, tf.test.TestCase):
  model_class = GAT
  model_kwargs = dict(hidden_dims=[4, 3], heads=2, attention_dropout=0.2,
                      edge_features=model_testing.EDGE_FEATURES)


if __name__ == "__main__":
  tf.test.main()
