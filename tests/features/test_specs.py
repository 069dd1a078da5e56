"""Tests of feature specs and their derivation from a graph's attribute specs."""
import dataclasses
import json

from parameterized import parameterized
import tensorflow as tf

from tfgle.features import specs
from tfgle.graph import CategoricalAttr, FloatAttr, IntAttr, StringAttr


class SpecsTest(tf.test.TestCase):

  def test_constructors_fill_defaults(self):
    self.assertEqual(specs.numeric().get_config(), {"type": "numeric", "dim": None,
                                                    "mean": None, "variance": None})
    self.assertEqual(specs.numeric(), specs.NumericSpec())
    spec = specs.categorical(embedding_dim=4, vocab=("a", "b"), multivalued=True)
    self.assertEqual(spec.vocab, ("a", "b"))
    self.assertEqual((spec.combiner, spec.dtype, spec.table), ("mean", "string", None))
    self.assertEqual(specs.table_rows(spec), 3)  # + OOV id 0
    self.assertEqual(specs.output_dim(spec), 4)
    spec = specs.node_id(embedding_dim=2, num_ids=10)
    self.assertEqual((spec.key, specs.table_rows(spec)), ("ids", 11))
    self.assertEqual(specs.table_rows(specs.node_id(embedding_dim=2, num_buckets=10)), 10)
    self.assertEqual(specs.output_dim(specs.numeric(dim=7)), 7)
    self.assertEqual(specs.output_dim(specs.numeric()), 1)
    self.assertEqual(specs.check("x", {"type": "categorical", "embedding_dim": 3,
                                       "vocab": [3, "4"], "dtype": "int64"}).vocab, (3, 4))

  @parameterized.expand([
      ({"type": "dense"}, r"type must be one of \['numeric', 'categorical', 'id', 'text'\]"),
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
    self.assertEqual(out["vec"].dim, 3)
    self.assertIsNone(out["score"].dim)
    self.assertEqual((out["age"].mean, out["age"].variance), (30.0, 4.0))
    self.assertEqual((out["city"].vocab, out["city"].embedding_dim), (("x", "y"), 4))
    self.assertEqual(out["tags"].embedding_dim, 16)
    self.assertEqual((out["tags"].multivalued, out["tags"].combiner,
                      out["tags"].dtype), (True, "sqrtn", "int64"))
    self.assertEqual(out["h"].num_buckets, 50)
    out = specs.from_attrs(attrs, string_buckets=64, include=["title", "city"], exclude=["city"])
    self.assertEqual(out, {"title": specs.categorical(embedding_dim=16, num_buckets=64,
                                                      raw_input=True)})

  def test_from_attrs_errors(self):
    with self.assertRaisesRegex(ValueError, r"unknown attributes \['nope'\]"):
      specs.from_attrs({"a": IntAttr()}, include=["nope"])
    with self.assertRaisesRegex(ValueError, "attribute 'c' has no vocabulary"):
      specs.from_attrs({"c": CategoricalAttr()})

  def test_from_attrs_names_the_attribute_of_a_bad_spec(self):
    with self.assertRaisesRegex(ValueError, r"features\['age'\]: variance must be >= 0"):
      specs.from_attrs({"age": IntAttr()}, stats={"age": (1.0, -1.0)})


SPECS = [
    ("numeric", specs.numeric()),
    ("numeric_vector", specs.numeric(dim=2, mean=[1, 2], variance=[3.0, 4.0])),
    ("numeric_scalar_stats", specs.numeric(dim=3, mean=0.5, variance=2)),
    ("categorical", specs.categorical(embedding_dim=4, vocab=["a", "b"], multivalued=True,
                                      combiner="sqrtn", table="t")),
    ("categorical_int", specs.categorical(embedding_dim=2, vocab=[3, 1], dtype="int64")),
    ("multi_hot", specs.categorical(vocab_size=5, output="multi_hot")),
    ("hashed", specs.categorical(embedding_dim=8, num_buckets=64, raw_input=True)),
    ("id", specs.node_id(embedding_dim=2, num_ids=10, key="index")),
    ("id_hashed", specs.node_id(embedding_dim=3, num_buckets=7, table="ids")),
]


class SpecClassesTest(tf.test.TestCase):

  @parameterized.expand(SPECS)
  def test_config_round_trip(self, _, spec):
    config = json.loads(json.dumps(spec.get_config()))
    self.assertEqual(config["type"], spec.kind)
    for cls in (specs.FeatureSpec, type(spec)):
      clone = cls.from_config(config)
      self.assertIsInstance(clone, type(spec))
      self.assertEqual(clone, spec)
      self.assertEqual(hash(clone), hash(spec))
      self.assertEqual(clone.get_config(), spec.get_config())
    self.assertIs(specs.check("f", spec), spec)
    self.assertEqual(specs.check("f", config), spec)

  def test_builders_return_the_dataclasses(self):
    self.assertIsInstance(specs.numeric(), specs.NumericSpec)
    self.assertIsInstance(specs.categorical(embedding_dim=2, vocab_size=3),
                          specs.CategoricalSpec)
    self.assertIsInstance(specs.node_id(embedding_dim=2, num_ids=3), specs.IdSpec)
    self.assertEqual(specs.numeric(dim=2, mean=[1, 2], variance=[1, 1]).mean, (1.0, 2.0))
    self.assertNotEqual(specs.categorical(embedding_dim=2, num_buckets=3),
                        specs.node_id(embedding_dim=2, num_buckets=3))

  @parameterized.expand(SPECS)
  def test_frozen(self, _, spec):
    field = dataclasses.fields(spec)[0].name
    with self.assertRaises(dataclasses.FrozenInstanceError):
      setattr(spec, field, 5)
    self.assertNotEqual(getattr(spec, field), 5)

  def test_vocab_and_stats_are_immutable_copies(self):
    vocab, mean = ["a", "b"], [1.0, 2.0]
    cat = specs.categorical(embedding_dim=2, vocab=vocab)
    num = specs.numeric(dim=2, mean=mean, variance=[1.0, 1.0])
    vocab.append("c")
    mean[0] = 9.0
    self.assertEqual((cat.vocab, num.mean), (("a", "b"), (1.0, 2.0)))
    config = cat.get_config()
    config["vocab"].append("c")
    self.assertEqual(cat.vocab, ("a", "b"))

  @parameterized.expand([
      (specs.FeatureSpec, 3, r"FeatureSpec.from_config: config must be a dict, got 3"),
      (specs.FeatureSpec, {"dim": 2},
       r"FeatureSpec.from_config: type must be one of \['numeric', 'categorical', 'id', 'text'\], "
       "got None"),
      (specs.FeatureSpec, {"type": "dense"}, r"FeatureSpec.from_config: type must be one of"),
      (specs.NumericSpec, {"type": "id", "embedding_dim": 2, "num_ids": 3},
       r"NumericSpec.from_config: type must be 'numeric', got 'id'"),
      (specs.IdSpec, {"type": "id", "embedding_dim": 2, "num_ids": 3, "vocab": ["a"]},
       r"IdSpec.from_config: unknown fields \['vocab'\] for type 'id'; allowed: \['type', "
       r"'embedding_dim', 'num_ids', 'num_buckets', 'table', 'key'\]"),
      (specs.FeatureSpec, {"type": "categorical", "embedding_dim": 2, "num_buckets": 0},
       "categorical feature spec: num_buckets must be a positive int, got 0"),
      (specs.CategoricalSpec, {"type": "categorical", "embedding_dim": 2},
       "categorical feature spec: give exactly one of vocab, num_buckets and vocab_size"),
  ])
  def test_from_config_errors(self, cls, config, message):
    with self.assertRaisesRegex(ValueError, message):
      cls.from_config(config)

  def test_builders_and_classes_check_fields(self):
    with self.assertRaisesRegex(ValueError, "numeric feature spec: dim must be a positive int, "
                                "got 0"):
      specs.numeric(dim=0)
    with self.assertRaisesRegex(ValueError, "id feature spec: key must be a non-empty string, "
                                "got ''"):
      specs.IdSpec(embedding_dim=2, num_ids=3, key="")
    with self.assertRaisesRegex(ValueError, r"categorical feature spec: combiner must be one of "
                                r"\['sum', 'mean', 'sqrtn'\], got 'max'"):
      specs.CategoricalSpec(embedding_dim=2, num_buckets=3, combiner="max")

  def test_check_errors(self):
    with self.assertRaisesRegex(ValueError, r"features\['f'\] must be a FeatureSpec \(numeric\(\), "
                                r"categorical\(\), node_id\(\)\) or its config dict, got \['x'\]"):
      specs.check("f", ["x"])
    with self.assertRaisesRegex(ValueError, r"a feature spec must be a FeatureSpec .*, got 3"):
      specs.check(None, 3)
    with self.assertRaisesRegex(ValueError, r"^features\['f'\]: unknown fields \['dims'\]"):
      specs.check("f", {"type": "numeric", "dims": 2})

  def test_base_class_is_not_a_spec(self):
    with self.assertRaisesRegex(TypeError, "FeatureSpec is the base of NumericSpec, "
                                "CategoricalSpec, IdSpec and TextSpec"):
      specs.FeatureSpec()
