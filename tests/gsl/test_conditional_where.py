"""Tests of GSL's where(target, condition): GLE's multi-attribute conditional negatives."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

import tfgle

_USERS, _ITEMS = 30, 48
_GENRE = np.array(["a", "b", "c"])[np.arange(_ITEMS) % 3]
_YEAR = (np.arange(_ITEMS) // 3) % 4


def _graph():
  rng = np.random.default_rng(1)
  src = rng.integers(0, _USERS, 150)
  dst = rng.integers(0, _ITEMS, 150)
  users = {"id": np.arange(_USERS)}
  items = {"id": np.arange(1000, 1000 + _ITEMS), "genre": _GENRE, "year": _YEAR,
           "score": np.arange(_ITEMS, dtype=np.float32)}
  g = (tfgle.Graph()
       .node(users, node_type="user")
       .node(items, node_type="item", decoder=tfgle.Decoder(attrs={
           "genre": tfgle.CategoricalAttr(), "year": tfgle.IntAttr(),
           "score": tfgle.FloatAttr()}))
       .edge({"src_id": src, "dst_id": dst + 1000}, edge_type=("user", "item", "buys"),
             directed=False)
       .build())
  bought = [set() for _ in range(_USERS)]
  for s, d in zip(src, dst):
    bought[s].add(d)
  return g, bought


def _negatives(g, by, *args, seed=0, **kwargs):
  e = g.E("buys").batch(16).shuffle(traverse=True).alias("e")
  e.inV().alias("dst")
  e.outV().alias("src").outNeg("buys").sample(8).by(by).where("dst", *args, **kwargs).alias("neg")
  return [tf.nest.map_structure(lambda t: t.numpy(), b)
          for b in e.values(features=False, seed=seed)]


class ConditionalWhereTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.g, cls.bought = _graph()

  def test_proportions_unique_and_true_neighbors_per_row(self):
    batches = _negatives(self.g, "random", {"genre": 0.5, "year": 0.25}, unique=True)
    rows = 0
    for b in batches:
      neg, dst = b["neg"]["index"], b["dst"]["index"]
      self.assertTrue(b["neg"]["mask"].all())
      self.assertAllEqual(_GENRE[neg[:, :4]], np.repeat(_GENRE[dst][:, None], 4, 1))
      self.assertAllEqual(_YEAR[neg[:, 4:6]], np.repeat(_YEAR[dst][:, None], 2, 1))
      for user, row in zip(b["src"]["index"], neg):
        self.assertLen(set(row), 8)
        self.assertEmpty(self.bought[user] & set(row))
        rows += 1
    self.assertEqual(rows, 150)

  def test_batch_share_and_base_strategies(self):
    for by in ("conditional", "in_degree"):
      for b in _negatives(self.g, by, {"genre": 0.5}, batch_share=True):
        neg, dst = b["neg"]["index"], b["dst"]["index"]
        self.assertTrue(b["neg"]["mask"].all())
        self.assertEmpty(set(neg.ravel()) & set(dst))
        self.assertAllEqual(_GENRE[neg[:, :4]], np.repeat(_GENRE[dst][:, None], 4, 1))

  def test_deterministic_and_the_attribute_form_unchanged(self):
    a = _negatives(self.g, "random", {"genre": 0.5}, unique=True, seed=3)
    b = _negatives(self.g, "random", {"genre": 0.5}, unique=True, seed=3)
    tf.nest.map_structure(self.assertAllEqual, a, b)
    old = _negatives(self.g, "conditional", "genre", seed=3)
    same = _negatives(self.g, "conditional", {"genre": 1.0}, seed=3)
    tf.nest.map_structure(self.assertAllEqual, old, same)
    for batch in old:
      self.assertAllEqual(_GENRE[batch["neg"]["index"]],
                          np.repeat(_GENRE[batch["dst"]["index"]][:, None], 8, 1))

  @parameterized.expand([
      ("sum", ({"genre": 0.75, "year": 0.5},), {},
       r"step 3 outNeg\('buys'\): where\('dst'\): condition's proportions must sum to at most 1"),
      ("proportion", ({"genre": 0.0},), {}, r"where\('dst'\): condition\['genre'\] must be"),
      ("unknown", ({"genre": 0.5, "color": 0.25},), {},
       r"step 3 outNeg\('buys'\): where\(\): node type 'item' has no attribute 'color'"),
      ("not_categorical", ({"score": 0.5},), {},
       r"step 3 outNeg\('buys'\): where\(\): attribute 'score' of node type 'item' must be a "
       "single-valued categorical"),
      ("not_categorical_attr", ("score",), {}, "must be a single-valued categorical"),
      ("options_with_attr", ("genre",), {"unique": True},
       r"batch_share and unique need a condition mapping, e.g. \{'genre': 1.0\}"),
      ("bad_option", ({"genre": 0.5},), {"batch_share": 1}, "batch_share must be True or False"),
  ])
  def test_where_errors(self, _, args, kwargs, message):
    e = self.g.E("buys").batch(4).alias("e")
    e.inV().alias("dst")
    neg = e.outV().alias("src").outNeg("buys").sample(8).by("random")
    with self.assertRaisesRegex(ValueError, message):
      neg.where("dst", *args, **kwargs)

  def test_neg_steps_and_attribute_form_with_a_base_strategy(self):
    q = self.g.V("item").batch(4).alias("i")
    with self.assertRaisesRegex(ValueError, r"step 1 Neg\('item'\): where\(\) applies to "
                                "outNeg/inNeg"):
      q.Neg("item").sample(2).by("random").where("i", {"genre": 0.5})
    e = self.g.E("buys").batch(4).alias("e")
    e.inV().alias("dst")
    e.outV().alias("src").outNeg("buys").sample(2).by("random").where("dst", "genre").alias("n")
    with self.assertRaisesRegex(ValueError, r"where\(target, attr\) needs by\('conditional'\); "
                                r"with by\('random'\) as the base strategy pass a condition "
                                r"mapping, e.g. where\(target, \{'genre': 1.0\}\)"):
      e.values()


if __name__ == "__main__":
  tf.test.main()
