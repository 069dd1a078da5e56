"""Tests of the SubGraph GAT (with and without edge features)."""
import tensorflow as tf

from tfgle.models import GAT
from tests.models import model_testing


class GATTest(model_testing.SubGraphModelChecks, tf.test.TestCase):
  model_class = GAT
  model_kwargs = dict(hidden_dims=[4, 3], heads=2, attention_dropout=0.2)

  def test_heads(self):
    self.assertEqual(self.make().embedding_dim, 6)
    self.assertEqual(self.make(concat_heads=False).embed(self.batch).shape, (8, 3))

  def test_bad_attention_arguments(self):
    for kwargs, pattern in [(dict(heads=-1), "heads must be a positive int, got -1"),
                            (dict(attention_dropout=1.0), "attention_dropout must be a float"),
                            (dict(negative_slope="x"), "negative_slope must be a float >= 0")]:
      with self.subTest(kwargs=kwargs), self.assertRaisesRegex(ValueError, pattern):
        self.make(**kwargs)


class GATEdgeFeaturesTest(model_testing.SubGraphEdgeFeatureChecks, tf.test.TestCase):
  model_class = GAT
  model_kwargs = dict(hidden_dims=[4, 3], heads=2, attention_dropout=0.2,
                      edge_features=model_testing.EDGE_FEATURES)


if __name__ == "__main__":
  tf.test.main()
