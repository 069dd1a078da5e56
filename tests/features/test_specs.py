"""Tests of feature specs and their derivation from a graph's attribute specs."""
from parameterized import parameterized
import tensorflow as tf

from tfgle.features import specs
from tfgle.graph import CategoricalAttr, FloatAttr, IntAttr, StringAttr


class SpecsTest(tf.test.TestCase):

  def test_constructors_fill_defaults(self):
    self.assertEqual(specs.numeric(), {"type": "numeric", "dim": None, "mean": None,
                                       "variance": None})
    spec = specs.categorical(embedding_dim=4, vocab=("a", "b"), multivalued=True)
    self.assertEqual(spec["vocab"], ["a", "b"])
    self.assertEqual((spec["combiner"], spec["dtype"], spec["table"]), ("mean", "string", None))
    self.assertEqual(specs.table_rows(spec), 3)  # + OOV id 0
    self.assertEqual(specs.output_dim(spec), 4)
    spec = specs.node_id(embedding_dim=2, num_ids=10)
    self.assertEqual((spec["key"], specs.table_rows(spec)), ("ids", 11))
    self.assertEqual(specs.table_rows(specs.node_id(embedding_dim=2, num_buckets=10)), 10)
    self.assertEqual(specs.output_dim(specs.numeric(dim=7)), 7)
    self.assertEqual(specs.output_dim(specs.numeric()), 1)
    self.assertEqual(specs.check("x", {"type": "categorical", "embedding_dim": 3,
                                       "vocab": [3, "4"], "dtype": "int64"})["vocab"], [3, 4])

  @parameterized.expand([
      ({"type": "dense"}, r"type must be one of \['numeric', 'categorical', 'id'\]"),
      ({"type": "numeric", "size": 3}, r"unknown fields \['size'\]"),
      ({"type": "numeric", "dim": 0}, "dim must be a positive int, got 0"),
      ({"type": "numeric", "mean": 1.0}, "give both mean and variance"),
      ({"type": "numeric", "dim": 2, "mean": [1, 2, 3], "variance": 1},
       "mean must be a number or a list of 2 numbers"),
      ({"type": "numeric", "mean": 0.0, "variance": -1.0}, "variance must be >= 0"),
      ({"type": "categorical", "vocab": ["a"]}, "embedding_dim must be a positive int, got None"),
      ({"type": "categorical", "embedding_dim": 2},
       "give exactly one of vocab, num_buckets and vocab_size"),
      ({"type": "categorical", "embedding_dim": 2, "vocab": ["a"], "num_buckets": 3},
       "give exactly one of vocab, num_buckets and vocab_size"),
      ({"type": "categorical", "embedding_dim": 2, "vocab": "abc"}, "vocab must be a list"),
      ({"type": "categorical", "embedding_dim": 2, "vocab": ["a", "a"]},
       "vocab has duplicate entries"),
      ({"type": "categorical", "embedding_dim": 2, "num_buckets": 3, "combiner": "max"},
       r"combiner must be one of \['sum', 'mean', 'sqrtn'\], got 'max'"),
      ({"type": "categorical", "embedding_dim": 2, "num_buckets": 3, "dtype": "float"},
       "dtype must be one of"),
      ({"type": "categorical", "embedding_dim": 2, "num_buckets": 3, "table": ""},
       "table must be a non-empty string"),
      ({"type": "id", "embedding_dim": 2},
       r"give exactly one of num_ids \(embedding by index\) and num_buckets"),
      ({"type": "id", "embedding_dim": 2, "num_ids": 3, "key": 5}, "key must be a non-empty"),
  ])
  def test_bad_specs_name_feature_and_field(self, spec, message):
    with self.assertRaisesRegex(ValueError, r"features\['f'\]: " + message):
      specs.check("f", spec)

  def test_from_attrs(self):
    attrs = {
        "vec": FloatAttr(dim=3), "score": FloatAttr(), "age": IntAttr(),
        "city": CategoricalAttr(vocab=("x", "y")),
        "tags": CategoricalAttr(vocab=(5, 7), multivalued=True, dtype="int64"),
        "h": CategoricalAttr(num_buckets=50),
        "title": StringAttr(),
    }
    out = specs.from_attrs(attrs, embedding_dim={"city": 4}, combiner="sqrtn",
                           stats={"age": (30.0, 4.0)})
    self.assertEqual(list(out), ["vec", "score", "age", "city", "tags", "h"])  # no StringAttr
    self.assertEqual(out["vec"]["dim"], 3)
    self.assertIsNone(out["score"]["dim"])
    self.assertEqual((out["age"]["mean"], out["age"]["variance"]), (30.0, 4.0))
    self.assertEqual((out["city"]["vocab"], out["city"]["embedding_dim"]), (["x", "y"], 4))
    self.assertEqual(out["tags"]["embedding_dim"], 16)
    self.assertEqual((out["tags"]["multivalued"], out["tags"]["combiner"],
                      out["tags"]["dtype"]), (True, "sqrtn", "int64"))
    self.assertEqual(out["h"]["num_buckets"], 50)
    out = specs.from_attrs(attrs, string_buckets=64, include=["title", "city"], exclude=["city"])
    self.assertEqual(out, {"title": specs.categorical(embedding_dim=16, num_buckets=64,
                                                      raw_input=True)})

  def test_from_attrs_errors(self):
    with self.assertRaisesRegex(ValueError, r"unknown attributes \['nope'\]"):
      specs.from_attrs({"a": IntAttr()}, include=["nope"])
    with self.assertRaisesRegex(ValueError, "attribute 'c' has no vocabulary"):
      specs.from_attrs({"c": CategoricalAttr()})
