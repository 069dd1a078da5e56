"""Tests of the SubGraph MPNN (edge network, edge features)."""
import tensorflow as tf

from tfgle.models import MPNN
from tests.models import model_testing


class MPNNTest(model_testing.SubGraphEdgeFeatureChecks, tf.test.TestCase):
  model_class = MPNN
  model_kwargs = dict(hidden_dims=[4, 3], edge_units=3, edge_features=model_testing.EDGE_FEATURES)

  def test_needs_edge_features(self):
    features = self.make().get_config()["features"]
    with self.assertRaisesRegex(ValueError, "MPNN: edge_features must be a non-empty dict"):
      MPNN(features, hidden_dims=[2])
    with self.assertRaisesRegex(ValueError, "MPNN: aggregator must be one of"):
      self.make(aggregator="min")


if __name__ == "__main__":
  tf.test.main()
