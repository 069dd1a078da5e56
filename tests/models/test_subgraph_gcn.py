"""Tests of the SubGraph GCN."""
import tensorflow as tf

from tfgle.models import GCN
from tests.models import model_testing


class GCNTest(model_testing.SubGraphModelChecks, tf.test.TestCase):
  model_class = GCN
  model_kwargs = dict(hidden_dims=[6, 5])

  def test_without_self_loops(self):
    model = self.make(add_self_loops=False)
    self.assertEqual(model(self.batch).shape, (8, model_testing.NUM_CLASSES))
    self.assertFalse(model.get_config()["add_self_loops"])

  def test_seeds_are_the_first_rows(self):
    model = self.make(num_classes=None)
    full = model.embed(dict(self.batch, num_seeds=tf.size(self.batch["index"])))
    self.assertAllClose(model.embed(self.batch), full[:8])


if __name__ == "__main__":
  tf.test.main()
