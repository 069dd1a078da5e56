"""Tests of triple_dataset: epochs of triples with head/tail corrupted negatives."""
import numpy as np
import tensorflow as tf

from tfgle.data import triple_dataset

NUM_ENTITIES = 12


def _triples(seed=0, count=60, num_relations=3):
  rng = np.random.default_rng(seed)
  triples = np.stack([rng.integers(0, NUM_ENTITIES, count), rng.integers(0, num_relations, count),
                      rng.integers(0, NUM_ENTITIES, count)], axis=1)
  return np.unique(triples, axis=0)


def _epoch(ds):
  batches = list(ds)
  return {k: np.concatenate([b[k].numpy() for b in batches]) for k in batches[0]}, batches


class TripleDatasetTest(tf.test.TestCase):

  def test_an_epoch_visits_every_triple_once(self):
    triples = _triples()
    ds = triple_dataset(triples, num_entities=NUM_ENTITIES, batch_size=16, num_negatives=3)
    epoch, batches = _epoch(ds)
    self.assertEqual(batches[0]["neg"].shape, (16, 3))
    self.assertEqual(batches[-1]["head"].shape, (len(triples) % 16 or 16,))
    for key, dtype in (("head", tf.int64), ("neg", tf.int64), ("neg_head", tf.bool),
                       ("neg_mask", tf.bool)):
      self.assertEqual(batches[0][key].dtype, dtype, key)
    seen = np.stack([epoch["head"], epoch["relation"], epoch["tail"]], axis=1)
    self.assertAllEqual(np.unique(seen, axis=0), triples)
    self.assertLen(seen, len(triples))
    self.assertTrue(np.all((epoch["neg"] >= 0) & (epoch["neg"] < NUM_ENTITIES)))
    self.assertTrue(epoch["neg_mask"].all())  # nothing is filtered without filter_triples
    # "both" corrupts heads and tails about evenly.
    self.assertBetween(epoch["neg_head"].mean(), 0.3, 0.7)
    dropped = list(triple_dataset(triples, num_entities=NUM_ENTITIES, batch_size=16,
                                  drop_remainder=True))
    self.assertLen(dropped, len(triples) // 16)

  def test_deterministic_by_seed_with_new_draws_every_epoch(self):
    triples = _triples()
    make = lambda seed: triple_dataset(triples, num_entities=NUM_ENTITIES, batch_size=16,
                                       num_negatives=2, seed=seed)
    ds = make(5)
    first, _ = _epoch(ds)
    second, _ = _epoch(ds)
    again, _ = _epoch(make(5))
    other, _ = _epoch(make(6))
    for key in first:
      self.assertAllEqual(first[key], again[key])
    self.assertNotAllEqual(first["head"], second["head"])
    self.assertNotAllEqual(first["neg"], second["neg"])
    self.assertNotAllEqual(first["neg"], other["neg"])
    ordered, _ = _epoch(triple_dataset(triples, num_entities=NUM_ENTITIES, batch_size=16,
                                       shuffle=False))
    self.assertAllEqual(ordered["head"], triples[:, 0])

  def test_filtered_negatives_are_never_known_triples(self):
    # A dense graph: a third of all (head, relation, tail) combinations are true.
    rng = np.random.default_rng(1)
    triples = np.argwhere(rng.random((NUM_ENTITIES, 2, NUM_ENTITIES)) < 0.35)
    known = {tuple(t) for t in triples}
    epoch, _ = _epoch(triple_dataset(triples, num_entities=NUM_ENTITIES, num_negatives=8,
                                     filter_triples=triples, batch_size=32, seed=2))
    heads = np.where(epoch["neg_head"], epoch["neg"], epoch["head"][:, None])
    tails = np.where(epoch["neg_head"], epoch["tail"][:, None], epoch["neg"])
    relations = np.broadcast_to(epoch["relation"][:, None], heads.shape)
    is_known = np.vectorize(lambda h, r, t: (h, r, t) in known)(heads, relations, tails)
    self.assertTrue(epoch["neg_mask"].any())
    self.assertFalse((is_known & epoch["neg_mask"]).any())
    # Unfiltered, many negatives are true triples; filtered, redrawing makes them rare.
    unfiltered, _ = _epoch(triple_dataset(triples, num_entities=NUM_ENTITIES, num_negatives=8,
                                          batch_size=32, seed=2))
    heads = np.where(unfiltered["neg_head"], unfiltered["neg"], unfiltered["head"][:, None])
    tails = np.where(unfiltered["neg_head"], unfiltered["tail"][:, None], unfiltered["neg"])
    self.assertGreater(np.vectorize(lambda h, r, t: (h, r, t) in known)(
        heads, relations, tails).mean(), 0.2)
    self.assertLess(1 - epoch["neg_mask"].mean(), 0.02)
    # With no redraws, every true negative is masked.
    once, _ = _epoch(triple_dataset(triples, num_entities=NUM_ENTITIES, num_negatives=8,
                                    filter_triples=triples, max_tries=0, batch_size=32, seed=2))
    self.assertGreater(1 - once["neg_mask"].mean(), 0.2)

  def test_corrupted_sides(self):
    triples = _triples()
    for corrupt, expected in (("head", 1.0), ("tail", 0.0)):
      epoch, _ = _epoch(triple_dataset(triples, num_entities=NUM_ENTITIES, num_negatives=2,
                                       corrupt=corrupt))
      self.assertAllEqual(epoch["neg_head"], np.full(epoch["neg"].shape, expected == 1.0))
    # Bernoulli: relation 0 is 1-to-N (one head, many tails): corrupt its head mostly;
    # relation 1 is N-to-1: corrupt its tail mostly.
    one_to_many = [(0, 0, t) for t in range(1, 11)]
    many_to_one = [(h, 1, 0) for h in range(1, 11)]
    triples = np.array(one_to_many + many_to_one)
    epoch, _ = _epoch(triple_dataset(triples, num_entities=NUM_ENTITIES, num_negatives=50,
                                     corrupt="bernoulli", seed=3))
    by_relation = [epoch["neg_head"][epoch["relation"] == r].mean() for r in (0, 1)]
    self.assertGreater(by_relation[0], 0.8)  # tph = 10, hpt = 1: p(head) = 10 / 11
    self.assertLess(by_relation[1], 0.2)

  def test_bad_arguments(self):
    triples = _triples()
    for kwargs, message in [
        (dict(num_entities=0), "num_entities must be an int >= 1, got 0"),
        (dict(batch_size=1.5), "batch_size must be an int >= 1, got 1.5"),
        (dict(num_negatives=0), "num_negatives must be an int >= 1, got 0"),
        (dict(max_tries=-1), "max_tries must be an int >= 0, got -1"),
        (dict(corrupt="random"), r"corrupt must be one of \['both', 'head', 'tail', "
         r"'bernoulli'\], got 'random'"),
        (dict(shuffle=1), "shuffle must be True or False, got 1"),
        (dict(seed=None), r"seed must be an int in \[-2\^63, 2\^63 - 1\), got None"),
        (dict(num_relations=0), "num_relations must be an int >= 1, got 0"),
        (dict(num_relations=2), r"triples\[\d+\] has relation 2, which is not in \[0, 2\)"),
        (dict(num_entities=5), r"triples\[\d+\] has (head|tail) \d+, which is not in \[0, 5\)"),
        (dict(triples=triples[:0]), "triples must not be empty"),
        (dict(triples=triples.astype(float)), r"triples must be an int array \[n, 3\] of "
         r"\(head, relation, tail\) dense indices, got float64 of shape \(\d+, 3\)"),
        (dict(filter_triples=[[0, 1]]), r"filter_triples must be an int array \[n, 3\]"),
        (dict(filter_triples=[[0, 1, -1]]), r"filter_triples\[0\] has tail -1, which is not "
         r"in \[0, 12\)"),
        (dict(filter_triples=triples, num_entities=2**31, num_relations=2**3),
         "2147483648 entities x 8 relations are too many to filter negatives")]:
      args = dict(triples=triples, num_entities=NUM_ENTITIES)
      args.update(kwargs)
      with self.assertRaisesRegex(ValueError, message):
        triple_dataset(args.pop("triples"), **args)


if __name__ == "__main__":
  tf.test.main()
