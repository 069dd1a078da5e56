"""Helpers of the knowledge-graph model tests: a batch, training on the synthetic KG, MRR."""
import tempfile

import numpy as np
import tensorflow as tf

import tfgle
from tests import keras_testing
from tests.models import model_testing

NUM_ENTITIES, NUM_RELATIONS = 7, 3


def batch(seed=0, size=5, negatives=3):
  """A triple_dataset-like batch with random entities, sides and masks."""
  rng = np.random.default_rng(seed)
  return {"head": tf.constant(rng.integers(0, NUM_ENTITIES, size)),
          "relation": tf.constant(rng.integers(0, NUM_RELATIONS, size)),
          "tail": tf.constant(rng.integers(0, NUM_ENTITIES, size)),
          "neg": tf.constant(rng.integers(0, NUM_ENTITIES, (size, negatives))),
          "neg_head": tf.constant(rng.random((size, negatives)) < 0.5),
          "neg_mask": tf.constant(rng.random((size, negatives)) < 0.8)}


def negative_triples(b):
  """(heads, relations, tails) [B, N] numpy of the batch's corrupted triples."""
  head, relation, tail, neg, neg_head = (b[k].numpy() for k in
                                         ("head", "relation", "tail", "neg", "neg_head"))
  heads = np.where(neg_head, neg, head[:, None])
  tails = np.where(neg_head, tail[:, None], neg)
  return heads, np.broadcast_to(relation[:, None], heads.shape), tails


def random_mrr(num_entities: int) -> float:
  """The expected filtered MRR of a random ranking (at most every entity a candidate)."""
  return float(np.mean(1.0 / np.arange(1, num_entities + 1)))


def fit_and_evaluate(model, kg, *, epochs: int, learning_rate: float = 0.02,
                     num_negatives: int = 8, batch_size: int = 64, seed: int = 0):
  """Trains `model` on kg.train and returns the filtered test metrics, overall and by relation.

  Keras epochs of 10 passes over the triples each (a pass of a small KG is short: Keras'
  per-epoch overhead would dominate): epochs must be a multiple of 10.
  """
  ds = tfgle.data.triple_dataset(kg.train, num_entities=kg.num_entities, batch_size=batch_size,
                                 num_negatives=num_negatives, filter_triples=kg.train, seed=seed)
  model.compile(tf.keras.optimizers.Adam(learning_rate))
  history = model.fit(ds.repeat(10), epochs=epochs // 10, verbose=0)
  known = kg.all_triples()
  overall = tfgle.ranking.evaluate_triples(model, kg.test, filter_triples=known)
  by_relation = {name: tfgle.ranking.evaluate_triples(
      model, kg.test[kg.test[:, 1] == r], filter_triples=known)
                 for r, name in enumerate(kg.relations)}
  return history, overall, by_relation


def assert_reloads_identically(test: tf.test.TestCase, model):
  """Every format reloads `model` as its class, with its config and its scores of a batch."""
  b = batch()
  expected = model(b).numpy()
  for fmt in model_testing.FORMATS:
    with tempfile.TemporaryDirectory() as directory:
      loaded = keras_testing.save_and_reload(model, fmt, directory)
      test.assertIs(type(loaded), type(model))
      test.assertEqual(loaded.get_config(), model.get_config())
      test.assertAllClose(loaded(b), expected, msg=fmt)
  test.assertEqual(type(model).from_config(model.get_config()).get_config(), model.get_config())
