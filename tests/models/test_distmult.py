"""Tests of DistMult: its score, saving, per-epoch evaluation, and recovering planted patterns."""
import numpy as np
import tensorflow as tf

import tfgle
from tests.models import kge_testing
from tfgle.datasets import synthetic_knowledge_graph
from tfgle.models import DistMult


class DistMultTest(tf.test.TestCase):

  def test_score_is_a_diagonal_bilinear_form(self):
    model = DistMult(7, 3, embedding_dim=4)
    b = kge_testing.batch()
    h, r, t = (b[k].numpy() for k in ("head", "relation", "tail"))
    entities, relations = model.embed_entities().numpy(), model.embed_relations().numpy()
    expected = np.sum(entities[h] * relations[r] * entities[t], axis=1)
    self.assertAllClose(model.score(h, r, t), expected, rtol=1e-5)
    self.assertAllClose(model.score(t, r, h), expected, rtol=1e-5)  # symmetric
    # The matrix-product shortcuts equal the broadcast score.
    self.assertAllClose(model.score_tails(h, r),
                        (entities[h] * relations[r]) @ entities.T, rtol=1e-5)
    self.assertAllClose(model.score_heads(r, t, [1, 4]),
                        (relations[r] * entities[t]) @ entities[[1, 4]].T, rtol=1e-5)

  def test_reloads_identically(self):
    kge_testing.assert_reloads_identically(
        self, DistMult(7, 3, embedding_dim=4, l2=0.01, loss="margin", margin=0.5))

  def test_recovers_symmetric_and_inverse_relations(self):
    kg, patterns = synthetic_knowledge_graph(width=16, height=16)
    tf.keras.utils.set_random_seed(0)
    model = DistMult.from_knowledge_graph(kg, embedding_dim=16)
    history, overall, by_relation = kge_testing.fit_and_evaluate(model, kg, epochs=40)
    self.assertLess(history.history["loss"][-1], history.history["loss"][0])
    random = kge_testing.random_mrr(kg.num_entities)
    self.assertGreater(overall["mrr"], 0.4)
    self.assertGreater(overall["mrr"], 15 * random)
    for symmetric in patterns["symmetric"]:
      self.assertGreater(by_relation[symmetric]["mrr"], 0.8, symmetric)
    # DistMult scores (a, east, b) and (b, east, a) alike: an inverse pair's answer ties with
    # the cell on the other side, so it ranks about 1.5.
    for pair in patterns["inverse"]:
      for relation in pair:
        self.assertGreater(by_relation[relation]["hits_at_3"], 0.8, relation)

  def test_evaluation_callback_logs_filtered_mrr(self):
    kg, _ = synthetic_knowledge_graph(width=6, height=6)
    model = DistMult.from_knowledge_graph(kg, embedding_dim=8)
    model.compile(tf.keras.optimizers.Adam(0.05))
    evaluation = tfgle.ranking.TripleRankingEvaluation(kg.valid, filter_triples=kg.all_triples(),
                                                       ks=[1, 10])
    ds = tfgle.data.triple_dataset(kg.train, num_entities=kg.num_entities, num_negatives=4)
    history = model.fit(ds, epochs=3, verbose=0, callbacks=[
        evaluation, tf.keras.callbacks.EarlyStopping("val_mrr", mode="max", patience=5)])
    self.assertLen(history.history["val_mrr"], 3)
    self.assertEqual(sorted(k for k in history.history if k.startswith("val_")),
                     ["val_hits_at_1", "val_hits_at_10", "val_mean_rank", "val_mrr"])
    self.assertAllClose(history.history["val_mrr"][-1], tfgle.ranking.evaluate_triples(
        model, kg.valid, filter_triples=kg.all_triples())["mrr"])
    self.assertLen(evaluation.history, 3)
    with self.assertRaisesRegex(ValueError, "prefix must be a string, got None"):
      tfgle.ranking.TripleRankingEvaluation(kg.valid, prefix=None)


if __name__ == "__main__":
  tf.test.main()
