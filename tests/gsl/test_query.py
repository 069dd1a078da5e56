"""Tests of GSL query construction: every construction error names its step."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

import tfgle


def _graph():
  users = {"id": np.arange(5), "split": np.array(["train"] * 3 + ["test"] * 2),
           "gender": np.array(["m", "f", "m", "f", "m"])}
  items = {"id": np.arange(100, 104), "genre": np.array(["a", "b", "a", "c"])}
  buys = {"src_id": np.array([0, 0, 1, 2, 3, 4]), "dst_id": np.array([100, 101, 101, 102, 103, 100])}
  follows = {"src_id": np.array([0, 1, 2]), "dst_id": np.array([1, 2, 3])}
  return (tfgle.Graph()
          .node(users, node_type="user", decoder=tfgle.Decoder(
              split="split", attrs={"gender": tfgle.CategoricalAttr()}))
          .node(items, node_type="item",
                decoder=tfgle.Decoder(attrs={"genre": tfgle.CategoricalAttr()}))
          .edge(buys, edge_type=("user", "item", "buys"), directed=False)
          .edge(follows, edge_type=("user", "user", "follows"))
          .build())


class QueryConstructionTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.g = _graph()

  def test_valid_queries_build(self):
    g = self.g
    q = (g.V("user", mask="train").batch(2).shuffle(traverse=True).alias("seed")
         .outV("buys").sample(3).by("random").alias("items")
         .outV("buys_reverse").sample(2).by("edge_weight").alias("users"))
    self.assertEqual(q.step.node_type, "user")
    e = g.E("buys").batch(4).alias("edge")
    src = e.outV().alias("src")
    self.assertEqual(src.step.node_type, "user")
    self.assertEqual(e.inV().alias("dst").step.node_type, "item")
    neg = src.outNeg("buys").sample(5).by("in_degree").alias("neg")
    self.assertEqual(neg.step.node_type, "item")
    self.assertEqual(g.V("item").inV("buys").step.node_type, "user")

  def test_each_builds_branches(self):
    q = self.g.V("user").batch(2).alias("u").each(lambda v: (
        v.outV("buys").sample(2).by("random").alias("i"),
        v.outV("follows").sample(2).by("random").alias("f")))
    self.assertEqual(q.step.alias, "u")
    with self.assertRaisesRegex(ValueError, "each\\(\\) must return queries"):
      self.g.V("user").each(lambda v: 3)

  @parameterized.expand([
      ("unknown_node_type", lambda g: g.V("movie"), r"step 0 V\('movie'\): unknown node type"),
      ("unknown_split", lambda g: g.V("user", mask="val"), "has no split 'val'"),
      ("unknown_edge_type", lambda g: g.V("user").outV("likes"),
       r"step 1 outV\('likes'\): unknown edge type"),
      ("wrong_start_type", lambda g: g.V("item").outV("buys"),
       r"step 1 outV\('buys'\): edge type 'buys' goes 'user' -> 'item', so outV needs 'user' "
       r"vertices, but step 0 V\('item'\) yields 'item'"),
      ("batch_not_positive", lambda g: g.V("user").batch(0), "batch size must be a positive int"),
      ("batch_not_on_source", lambda g: g.V("user").outV("buys").batch(3),
       r"step 1 outV\('buys'\): batch\(\) applies to V\(\)/E\(\) sources only"),
      ("fanout_zero", lambda g: g.V("user").outV("buys").sample(0),
       r"step 1 outV\('buys'\): sample count must be a positive int, got 0"),
      ("by_without_sample", lambda g: g.V("user").outV("buys").by("random"),
       "by\\(\\) must follow sample\\(\\)"),
      ("unknown_strategy", lambda g: g.V("user").outV("buys").sample(2).by("magic"),
       "unknown neighbor strategy 'magic'"),
      ("negative_strategy_after_neighbor_step",
       lambda g: g.V("user").outV("buys").sample(2).by("node_weight"),
       "negative strategies apply after outNeg/inNeg/Neg"),
      ("duplicate_alias", lambda g: g.V("user").alias("a").outV("buys").alias("a"),
       "duplicate alias 'a'"),
      ("edge_endpoint_with_type", lambda g: g.E("buys").outV("buys"),
       "from edges only outV\\(\\) \\(source\\) and inV\\(\\) \\(destination\\) apply"),
      ("neg_from_edges", lambda g: g.E("buys").outNeg("buys"), "outNeg follows a vertex step"),
      ("where_on_neighbors", lambda g: g.V("user").alias("u").outV("buys").where("u", "genre"),
       "where\\(\\) applies to negative steps only"),
      ("where_unknown_alias",
       lambda g: g.V("user").alias("u").outNeg("buys").where("nope", "genre"),
       "no step has that alias"),
      ("filter_type_mismatch",
       lambda g: g.V("user").alias("u").outV("buys").filter("u"),
       "the target yields 'user' vertices"),
      ("sample_on_source", lambda g: g.V("user").sample(3), "applies to sampling steps"),
  ])
  def test_construction_errors(self, _, build, message):
    with self.assertRaisesRegex(ValueError, message):
      build(self.g)

  @parameterized.expand([
      ("no_batch", lambda g: g.V("user").alias("u"), "call batch\\(n\\) on the source"),
      ("no_by", lambda g: g.V("user").batch(2).alias("u").outV("buys").sample(2),
       r"step 1 outV\('buys'\): sample\(\) without by\(\)"),
      ("no_sample", lambda g: g.V("user").batch(2).alias("u").outV("buys").alias("i"),
       r"no sample\(k\).by\(strategy\)"),
      ("no_alias", lambda g: g.V("user").batch(2), "no aliased step"),
      ("conditional_without_where",
       lambda g: g.V("user").batch(2).alias("u").outNeg("buys").sample(2).by("conditional"),
       "needs where"),
  ])
  def test_values_validation_errors(self, _, build, message):
    with self.assertRaisesRegex(ValueError, message):
      build(self.g).values()


if __name__ == "__main__":
  tf.test.main()
