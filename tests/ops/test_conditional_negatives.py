"""Tests of multi-attribute conditional negatives (Sampler.sample_conditional_negatives)."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

import tfgle
from tfgle.ops import conditional_negatives
from tests.ops import sampling_graphs

_N = 120
_GENRE = np.arange(_N) % 3          # 40 nodes per genre
_YEAR = (np.arange(_N) // 3) % 4    # 30 nodes per year


def _graph(**kwargs):
  rng = np.random.default_rng(0)
  src = rng.integers(0, _N, 1500)
  dst = rng.integers(0, _N, 1500)
  g = sampling_graphs.homogeneous(src, dst, _N,
                                  node_attrs={"genre": _GENRE, "year": _YEAR},
                                  **kwargs)
  neighbors = [set() for _ in range(_N)]
  for s, d in zip(src, dst):
    neighbors[s].add(d)
  return g, src, dst, neighbors


class ConditionalNegativesTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.g, cls.src, cls.dst, cls.neighbors = _graph()

  def _sample(self, num=8, condition=None, **kwargs):
    condition = {"genre": 0.5, "year": 0.25} if condition is None else condition
    kwargs.setdefault("seed", 3)
    return self.g.sampler.sample_conditional_negatives(
        "e", self.src[:300], num, condition=condition, targets=self.dst[:300], **kwargs)

  def test_each_attribute_gets_its_columns_in_every_row(self):
    neg = self._sample()
    ids, mask = neg.ids.numpy(), neg.mask.numpy()
    targets = self.dst[:300]
    self.assertTrue(mask.all())
    # Columns 0-3 share the genre, 4-5 the year; at least as many as asked match each.
    self.assertAllEqual(_GENRE[ids[:, :4]], np.repeat(_GENRE[targets][:, None], 4, 1))
    self.assertAllEqual(_YEAR[ids[:, 4:6]], np.repeat(_YEAR[targets][:, None], 2, 1))
    self.assertTrue(((_GENRE[ids] == _GENRE[targets][:, None]).sum(1) >= 4).all())
    self.assertTrue(((_YEAR[ids] == _YEAR[targets][:, None]).sum(1) >= 2).all())
    # The last two are uniform: they do not all share the genre.
    self.assertLess((_GENRE[ids[:, 6:]] == _GENRE[targets][:, None]).mean(), 0.6)
    for s, row in zip(self.src[:300], ids):
      self.assertEmpty(self.neighbors[s] & set(row))

  def test_counts_truncate_as_gle_does(self):
    cond = conditional_negatives.negative_condition
    self.assertEqual(cond({"a": 0.7, "b": 0.2, "c": 0.1}).counts(10), (7, 2, 1, 0))
    self.assertEqual(cond({"a": 0.29}).counts(100), (29, 71))
    self.assertEqual(cond({"a": 0.25, "b": 0.5}).counts(3), (0, 1, 2))
    self.assertEqual(cond([("b", 0.5), ("a", 0.25)]).counts(4), (2, 1, 1))
    self.assertEqual(cond({}).counts(4), (4,))

  def test_one_attribute_with_proportion_one_is_the_conditional_strategy(self):
    new = self._sample(condition={"genre": 1.0}, seed=9)
    old = self.g.sampler.sample_negatives("e", self.src[:300], 8, strategy="conditional",
                                          attr="genre", targets=self.dst[:300], seed=9)
    self.assertAllEqual(new.ids, old.ids)
    self.assertAllEqual(new.mask, old.mask)

  def test_deterministic_per_seed(self):
    for options in ({}, {"unique": True, "batch_share": True}):
      a, b = self._sample(seed=5, **options), self._sample(seed=5, **options)
      self.assertAllEqual(a.ids, b.ids)
      self.assertAllEqual(a.mask, b.mask)
      self.assertNotAllEqual(a.ids, self._sample(seed=6, **options).ids)
    run = tf.function(lambda seed: self._sample(seed=seed, unique=True, batch_share=True))
    eager = self._sample(seed=[4, 1], unique=True, batch_share=True)
    self.assertAllEqual(run(tf.constant([4, 1], tf.int64)).ids, eager.ids)

  def test_unique_rows_have_no_repeats(self):
    # 16 from the 40 nodes of a genre: repeats are near certain without unique.
    plain = self._sample(num=16, condition={"genre": 1.0}).ids.numpy()
    self.assertTrue(any(len(set(row)) < 16 for row in plain))
    neg = self._sample(num=16, condition={"genre": 0.75}, unique=True)
    ids, mask = neg.ids.numpy(), neg.mask.numpy()
    self.assertTrue(mask.all())
    for row in ids:
      self.assertLen(set(row), 16)
    self.assertAllEqual(_GENRE[ids[:, :12]], np.repeat(_GENRE[self.dst[:300]][:, None], 12, 1))

  def test_unique_gives_up_when_a_group_is_too_small(self):
    # Category 1 of "tiny" has 3 nodes and 4 columns ask for it: 3 distinct ones, 1 given up
    # (still of the category). Sources 9 have no neighbors.
    g = sampling_graphs.homogeneous([5], [6], 10, node_attrs={"tiny": [1, 1, 1] + [0] * 7})
    neg = g.sampler.sample_conditional_negatives("e", [9, 9], 6, condition={"tiny": 4 / 6},
                                                 targets=[0, 0], unique=True, seed=1)
    ids, mask = neg.ids.numpy(), neg.mask.numpy()
    self.assertAllEqual(mask[:, :4].sum(1), [3, 3])
    self.assertAllEqual(mask[:, 4:], np.ones((2, 2), bool))
    for row, ok in zip(ids, mask):
      self.assertCountEqual(row[:4][ok[:4]], [0, 1, 2])
      self.assertAllInSet(row[:4], [0, 1, 2])
      self.assertLen(set(row[ok]), ok.sum())
    self.assertEqual(int(neg.num_give_ups), 2)

  def test_batch_share_excludes_every_target_of_the_batch(self):
    # Few nodes, so that the batch's targets are drawn often without batch_share.
    g = sampling_graphs.homogeneous([0, 1, 2, 3], [4, 5, 6, 7], 24,
                                    node_attrs={"genre": np.arange(24) % 2})
    ids, targets = [0, 1, 2, 3] * 25, [4, 5, 6, 7] * 25
    plain = g.sampler.sample_conditional_negatives("e", ids, 10, condition={"genre": 0.5},
                                                   targets=targets, seed=2)
    self.assertNotEmpty(set(plain.ids.numpy().ravel()) & set(targets))
    neg = g.sampler.sample_conditional_negatives("e", ids, 10, condition={"genre": 0.5},
                                                 targets=targets, batch_share=True, seed=2)
    self.assertTrue(neg.mask.numpy().all())
    self.assertEmpty(set(neg.ids.numpy().ravel()) & set(targets))
    genre = np.arange(24) % 2
    self.assertAllEqual(genre[neg.ids.numpy()[:, :5]], np.repeat(genre[targets][:, None], 5, 1))
    # A masked target (padding) stays out of the shared exclusion set.
    masked = g.sampler.sample_conditional_negatives(
        "e", ids, 10, condition={"genre": 0.5}, targets=targets, batch_share=True, seed=2,
        target_mask=[True, True, True, False] * 25)
    self.assertEmpty(set(masked.ids.numpy().ravel()) & {4, 5, 6})
    self.assertIn(7, masked.ids.numpy().ravel())

  def test_batch_share_still_excludes_true_neighbors(self):
    neg = self.g.sampler.sample_conditional_negatives(
        "e", self.src[:30], 8, condition={"genre": 0.5, "year": 0.25}, targets=self.dst[:30],
        batch_share=True, unique=True, seed=3)
    self.assertTrue(neg.mask.numpy().all())
    shared = set(self.dst[:30])
    for s, row in zip(self.src[:30], neg.ids.numpy()):
      self.assertEmpty(self.neighbors[s] & set(row))
      self.assertEmpty(shared & set(row))

  @parameterized.expand([("in_degree",), ("node_weight",)])
  def test_base_strategy_weighs_the_attribute_draws_and_the_rest(self, strategy):
    # Nodes 0-5 have no in-edges and node weight 0: never drawn, in any column.
    src = np.arange(6, 40)
    dst = np.arange(7, 41) % 40
    dst[dst < 6] += 6
    weights = np.where(np.arange(40) < 6, 0.0, 1.0)
    g = sampling_graphs.homogeneous(src, dst, 40, node_weights=weights,
                                    node_attrs={"genre": np.arange(40) % 2})
    neg = g.sampler.sample_conditional_negatives(
        "e", np.full(200, 40 - 1), 6, condition={"genre": 0.5}, targets=np.full(200, 10),
        strategy=strategy, seed=4)
    ids = neg.ids.numpy()
    self.assertTrue(neg.mask.numpy().all())
    self.assertTrue((ids >= 6).all())
    self.assertAllEqual(ids[:, :3] % 2, np.zeros((200, 3)))

  @parameterized.expand([
      ("not_a_mapping", dict(condition="genre"), "condition must be a mapping"),
      ("bad_pairs", dict(condition=[("genre",)]), "condition must be a mapping"),
      ("zero", dict(condition={"genre": 0}), r"condition\['genre'\] must be a proportion"),
      ("above_one", dict(condition={"genre": 1.5}), r"in \(0, 1\], got 1.5"),
      ("bool", dict(condition={"genre": True}), "must be a proportion"),
      ("nan", dict(condition={"genre": float("nan")}), "must be a proportion"),
      ("sum", dict(condition={"genre": 0.75, "year": 0.5}),
       r"sum to at most 1 \(the rest follow the base strategy\), got 1.25"),
      ("repeated", dict(condition=[("genre", 0.25), ("genre", 0.25)]),
       "names attribute 'genre' twice"),
      ("empty_name", dict(condition={"": 0.5}), "non-empty strings"),
      ("unknown_attr", dict(condition={"color": 0.5}), "has no attribute 'color'"),
      ("strategy", dict(strategy="conditional"),
       "unknown strategy 'conditional'.*random, in_degree"),
      ("num", dict(num=0), "num must be a positive int, got 0"),
      ("unique", dict(unique=1), "unique must be True or False, got 1"),
      ("batch_share", dict(batch_share="yes"), "batch_share must be True or False"),
      ("max_trials", dict(max_trials=0), "max_trials must be a positive int"),
  ])
  def test_bad_arguments(self, _, kwargs, message):
    with self.assertRaisesRegex(ValueError, message):
      self._sample(**kwargs)

  def test_bad_targets_and_attribute_types(self):
    with self.assertRaisesRegex(ValueError, "targets has 2 entries but there are 3 ids"):
      self.g.sampler.sample_conditional_negatives("e", [0, 1, 2], 4, condition={"genre": 0.5},
                                                  targets=[0, 1], seed=1)
    g = (tfgle.Graph()
         .node({"id": np.arange(4), "x": np.arange(4, dtype=np.float32)}, node_type="n",
               decoder=tfgle.Decoder(attrs={"x": tfgle.FloatAttr()}))
         .edge({"src_id": np.array([0]), "dst_id": np.array([1])}, edge_type=("n", "n", "e"))
         .build())
    with self.assertRaisesRegex(ValueError, "attribute 'x' of node type 'n' must be a "
                                "single-valued categorical"):
      g.sampler.sample_conditional_negatives("e", [0], 2, condition={"x": 0.5}, targets=[1],
                                             seed=1)
    cond = conditional_negatives.negative_condition({"genre": 0.5})
    with self.assertRaisesRegex(ValueError, "inside the NegativeCondition"):
      conditional_negatives.negative_condition(cond, unique=True)


if __name__ == "__main__":
  tf.test.main()
