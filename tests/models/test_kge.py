"""Tests of the KG models' shared machinery (models/kge.py): call, losses, masks, errors."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tests.models import kge_testing
from tfgle.models import DistMult, RotatE, TransE

MODELS = [("TransE", TransE), ("DistMult", DistMult), ("RotatE", RotatE)]


def _softplus(x):
  return np.logaddexp(0, x)


class KGEModelTest(tf.test.TestCase):

  @parameterized.expand(MODELS)
  def test_call_scores_the_triples_and_their_corruptions(self, _, cls):
    tf.keras.utils.set_random_seed(0)
    model = cls(kge_testing.NUM_ENTITIES, kge_testing.NUM_RELATIONS, embedding_dim=4)
    b = kge_testing.batch()
    scores = model(b).numpy()
    self.assertEqual(scores.shape, (5, 4))
    self.assertAllClose(scores[:, 0], model.score(b["head"], b["relation"], b["tail"]))
    heads, relations, tails = kge_testing.negative_triples(b)
    expected = model.score(heads, relations, tails).numpy()
    mask = b["neg_mask"].numpy()
    self.assertAllClose(scores[:, 1:], np.where(mask, expected, -1e9), rtol=1e-5)
    # score_tails / score_heads rank every entity (or the given ones) in one slot.
    entities = np.arange(kge_testing.NUM_ENTITIES)
    all_tails = model.score_tails(b["head"], b["relation"]).numpy()
    self.assertEqual(all_tails.shape, (5, kge_testing.NUM_ENTITIES))
    for i in range(5):
      h, r, t = (int(b[k][i]) for k in ("head", "relation", "tail"))
      self.assertAllClose(all_tails[i], model.score([h] * 7, [r] * 7, entities), rtol=1e-5)
      self.assertAllClose(model.score_heads(b["relation"], b["tail"], [2, 5])[i],
                          model.score([2, 5], [r] * 2, [t] * 2), rtol=1e-5)
    # Without negatives: the true triples' scores and no loss.
    only = model({k: b[k] for k in ("head", "relation", "tail")})
    self.assertAllClose(only[:, 0], scores[:, 0])
    self.assertEmpty(model.losses)

  @parameterized.expand([("margin", 2.0), ("softplus", 1.0), ("self_adversarial", 1.5)])
  def test_losses(self, loss, margin):
    model = DistMult(kge_testing.NUM_ENTITIES, kge_testing.NUM_RELATIONS, embedding_dim=3,
                     loss=loss, margin=margin, adversarial_temperature=0.7, l2=0.1)
    b = kge_testing.batch(seed=2)
    scores = model(b).numpy()
    pos = scores[:, 0]
    heads, relations, tails = kge_testing.negative_triples(b)
    neg = model.score(heads, relations, tails).numpy()
    mask = b["neg_mask"].numpy()
    if loss == "margin":
      expected = np.maximum(0, margin - pos[:, None] + neg)[mask].mean()
    elif loss == "softplus":
      expected = _softplus(-pos).mean() + _softplus(neg)[mask].mean()
    else:
      weights = np.where(mask, np.exp(0.7 * neg), 0)
      weights /= np.maximum(weights.sum(1, keepdims=True), 1e-30)
      expected = np.mean(_softplus(-(margin + pos)) +
                         (weights * _softplus(neg + margin)).sum(1))
    entities, rel = model.embed_entities().numpy(), model.embed_relations().numpy()
    head, relation, tail = (b[k].numpy() for k in ("head", "relation", "tail"))
    squares = sum(np.sum(x ** 2) for x in (entities[head], rel[relation], entities[tail],
                                           entities[b["neg"].numpy()]))
    self.assertLen(model.losses, 1)
    self.assertAllClose(model.losses[0], expected + 0.1 * 0.5 * squares / 5, rtol=1e-5)

  def test_masked_rows_and_missing_optional_inputs(self):
    model = RotatE(kge_testing.NUM_ENTITIES, kge_testing.NUM_RELATIONS, embedding_dim=2)
    b = kge_testing.batch(seed=3)
    b["neg_mask"] = tf.zeros_like(b["neg_mask"])  # no negative at all: finite loss
    model(b)
    self.assertTrue(np.isfinite(model.losses[0].numpy()))
    plain = {k: b[k] for k in ("head", "relation", "tail", "neg")}
    scores = model(plain)  # all negatives replace the tail, none is masked
    self.assertAllClose(scores[:, 1:], model.score(
        np.repeat(b["head"].numpy()[:, None], 3, 1),
        np.repeat(b["relation"].numpy()[:, None], 3, 1), b["neg"]), rtol=1e-5)

  @parameterized.expand(MODELS)
  def test_gradients_reach_both_tables(self, _, cls):
    model = cls(kge_testing.NUM_ENTITIES, kge_testing.NUM_RELATIONS, embedding_dim=4)
    model.build()
    with tf.GradientTape() as tape:
      model(kge_testing.batch(), training=True)
      loss = tf.add_n(model.losses)
    grads = tape.gradient(loss, model.trainable_weights)
    self.assertLen(grads, 2)
    for grad in grads:
      self.assertTrue(np.all(np.isfinite(tf.convert_to_tensor(grad).numpy())))
      self.assertGreater(np.abs(tf.convert_to_tensor(grad).numpy()).sum(), 0)

  def test_bad_arguments(self):
    for cls, kwargs, message in [
        (TransE, dict(num_entities=0), "TransE: num_entities must be a positive int, got 0"),
        (DistMult, dict(num_relations=1.0), "DistMult: num_relations must be a positive int, "
         "got 1.0"),
        (RotatE, dict(embedding_dim=0), "RotatE: embedding_dim must be a positive int, got 0"),
        (TransE, dict(embedding_dim=-3), "TransE: embedding_dim must be a positive int, got -3"),
        (TransE, dict(loss="hinge"), r"TransE: loss must be one of \['margin', 'softplus', "
         r"'self_adversarial'\], got 'hinge'"),
        (TransE, dict(margin=0.0), "TransE: margin must be a number > 0 with loss='margin', "
         "got 0.0"),
        (RotatE, dict(margin=-1), "RotatE: margin must be a number >= 0 with "
         "loss='self_adversarial', got -1"),
        (RotatE, dict(adversarial_temperature=-0.5), "RotatE: adversarial_temperature must be "
         "a number >= 0, got -0.5"),
        (DistMult, dict(l2=-1.0), "DistMult: l2 must be a number >= 0, got -1.0"),
        (TransE, dict(norm=3), "TransE: norm must be 1 or 2, got 3"),
        (TransE, dict(normalize_entities="yes"), "TransE: normalize_entities must be True or "
         "False, got 'yes'")]:
      args = dict(num_entities=5, num_relations=2)
      args.update(kwargs)
      with self.assertRaisesRegex(ValueError, message):
        cls(args.pop("num_entities"), args.pop("num_relations"), **args)
    model = TransE(5, 2, embedding_dim=2)
    with self.assertRaisesRegex(ValueError, r"TransE: inputs must be a dict with 'head', "
                                r"'relation', 'tail' .*, got \['head', 'tail'\]"):
      model({"head": [0], "tail": [1]})
    with self.assertRaisesRegex(ValueError, r"TransE: inputs\['neg'\] must be \[B, N\] entity "
                                r"indices, got shape \(1,\)"):
      model({"head": [0], "relation": [1], "tail": [1], "neg": [2]})


if __name__ == "__main__":
  tf.test.main()
