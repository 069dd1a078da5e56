"""Tests of TransE: its score, saving, and recovering the planted translations of a KG."""
import numpy as np
import tensorflow as tf

from tests.models import kge_testing
from tfgle.datasets import synthetic_knowledge_graph
from tfgle.models import TransE


class TransETest(tf.test.TestCase):

  def test_score_is_minus_the_translation_distance(self):
    b = kge_testing.batch()
    h, r, t = (b[k].numpy() for k in ("head", "relation", "tail"))
    for norm, normalize in ((1, True), (2, False)):
      model = TransE(7, 3, embedding_dim=4, norm=norm, normalize_entities=normalize)
      entities, relations = model.embed_entities().numpy(), model.embed_relations().numpy()
      if normalize:
        entities = entities / np.linalg.norm(entities, axis=1, keepdims=True)
      expected = -np.linalg.norm(entities[h] + relations[r] - entities[t], ord=norm, axis=1)
      self.assertAllClose(model.score(h, r, t), expected, rtol=1e-5)
    self.assertEqual(model.embed_entities().shape, (7, 4))
    self.assertEqual(model.embed_relations([0, 2]).shape, (2, 4))

  def test_reloads_identically(self):
    kge_testing.assert_reloads_identically(
        self, TransE(7, 3, embedding_dim=4, norm=2, loss="softplus", name="transe"))

  def test_recovers_translations_inverses_and_composition(self):
    # The grid without its symmetric relation: TransE cannot model "mirror" (r would be 0 and
    # mirrored cells equal), and on the same cells it would undo the translations. The grid's
    # long translation chains cannot lie on a unit sphere: entities are not normalized, and the
    # logistic loss pins true triples at distance ~0 (the margin loss only orders them).
    kg, patterns = synthetic_knowledge_graph(
        width=16, height=16, relations=["east", "west", "north", "south", "northeast"])
    tf.keras.utils.set_random_seed(0)
    model = TransE.from_knowledge_graph(kg, embedding_dim=16, loss="softplus",
                                        normalize_entities=False)
    history, overall, by_relation = kge_testing.fit_and_evaluate(model, kg, epochs=60)
    self.assertLess(history.history["loss"][-1], history.history["loss"][0])
    random = kge_testing.random_mrr(kg.num_entities)
    self.assertLess(random, 0.03)
    self.assertGreater(overall["mrr"], 0.6)
    self.assertGreater(overall["mrr"], 20 * random)
    self.assertGreater(overall["hits_at_10"], 0.9)
    for inverse in patterns["inverse"]:
      self.assertGreater(by_relation[inverse[1]]["mrr"], 0.5, inverse)
    for composition in patterns["composition"]:
      self.assertGreater(by_relation[composition[2]]["mrr"], 0.5, composition)


if __name__ == "__main__":
  tf.test.main()
