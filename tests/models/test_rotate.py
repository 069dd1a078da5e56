"""Tests of RotatE: its score, saving, and recovering every planted pattern."""
import numpy as np
import tensorflow as tf

from tests.models import kge_testing
from tfgle.datasets import synthetic_knowledge_graph
from tfgle.models import RotatE


class RotatETest(tf.test.TestCase):

  def test_score_is_minus_the_rotation_distance(self):
    model = RotatE(7, 3, embedding_dim=4)
    self.assertEqual(model.embed_entities().shape, (7, 8))  # real parts, then imaginary ones
    self.assertEqual(model.embed_relations().shape, (3, 4))  # phases
    b = kge_testing.batch()
    h, r, t = (b[k].numpy() for k in ("head", "relation", "tail"))
    entities = model.embed_entities().numpy()
    complex_entities = entities[:, :4] + 1j * entities[:, 4:]
    rotations = np.exp(1j * model.embed_relations().numpy())
    expected = -np.abs(complex_entities[h] * rotations[r] - complex_entities[t]).sum(axis=1)
    self.assertAllClose(model.score(h, r, t), expected, rtol=1e-4)

  def test_reloads_identically(self):
    kge_testing.assert_reloads_identically(
        self, RotatE(7, 3, embedding_dim=4, margin=3.0, adversarial_temperature=0.5))

  def test_recovers_every_planted_pattern(self):
    kg, _ = synthetic_knowledge_graph(width=16, height=16)
    tf.keras.utils.set_random_seed(0)
    model = RotatE.from_knowledge_graph(kg, embedding_dim=16)
    _, overall, by_relation = kge_testing.fit_and_evaluate(model, kg, epochs=40)
    self.assertGreater(overall["mrr"], 0.8)
    self.assertGreater(overall["mrr"], 30 * kge_testing.random_mrr(kg.num_entities))
    for relation, metrics in by_relation.items():
      self.assertGreater(metrics["mrr"], 0.6, relation)


if __name__ == "__main__":
  tf.test.main()
