"""Tests of EgoMPNN (the edge-network MPNN on EgoGraphs with edge features)."""
import tensorflow as tf

from tfgle.models import EgoMPNN
from tests.models import model_testing


class EgoMPNNTest(model_testing.EgoEdgeFeatureChecks, tf.test.TestCase):
  model_class = EgoMPNN
  model_kwargs = dict(hidden_dims=[4, 3], edge_units=3, edge_features=model_testing.EDGE_FEATURES)
  hetero_kwargs = dict(hidden_dims=[3, 2], embedding_dim=4, edge_type="buys")

  def test_needs_edge_features(self):
    features = self.make().get_config()["features"]
    with self.assertRaisesRegex(ValueError, "EgoMPNN: edge_features must be a non-empty dict "
                                "edge feature name -> spec .*, got None"):
      EgoMPNN(features, hidden_dims=[2])

  def test_bad_mpnn_arguments(self):
    for kwargs, pattern in [(dict(edge_units=0), "edge_units must be a positive int, got 0"),
                            (dict(aggregator="min"), r"aggregator must be one of \['mean', "
                             r"'sum', 'max'\], got 'min'")]:
      with self.subTest(kwargs=kwargs), self.assertRaisesRegex(ValueError, "EgoMPNN: " + pattern):
        self.make(**kwargs)
    config = self.make(aggregator="sum", edge_units=5).get_config()
    self.assertEqual((config["aggregator"], config["edge_units"]), ("sum", 5))


if __name__ == "__main__":
  tf.test.main()
