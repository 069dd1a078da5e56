"""Hyper-parameter presets: complete data per data set; no preset is an error, never a fallback."""
from absl.testing import parameterized
import tensorflow as tf

from tfgle import training
from tfgle.training import presets

_MODELS = ("ego_graph_sage", "ego_gat", "ego_rgcn", "gcn", "gat")


class PresetsTest(tf.test.TestCase, parameterized.TestCase):

  def test_every_preset_sets_every_setting_and_resolves_for_every_model(self):
    for name, preset in training.PRESETS.items():
      self.assertCountEqual(preset["all"], presets.SETTINGS, name)
      for model, changes in preset.items():
        self.assertContainsSubset(changes, presets.SETTINGS, f"{name}/{model}")
      for model in _MODELS:
        settings = training.resolve_preset(name, model)
        self.assertEqual(settings.model, model)

  def test_model_changes_then_overrides(self):
    self.assertEqual(training.resolve_preset("citation", "ego_graph_sage").aggregator, "gcn")
    gat = training.resolve_preset("citation", "ego_gat")
    self.assertEqual((gat.hidden_dim, gat.epochs, gat.learning_rate), (8, 100, 0.005))
    self.assertEqual(gat.weight_decay, 5e-4)  # from "all"
    given = training.resolve_preset("citation", "ego_gat", {"epochs": 3, "fanouts": [4, 2, 1],
                                                            "eval_fanouts": [4, 2, 1]})
    self.assertEqual((given.epochs, given.fanouts, given.hidden_dim), (3, (4, 2, 1), 8))

  def test_a_name_without_a_preset_lists_the_presets(self):
    with self.assertRaisesRegex(ValueError, r"no hyper-parameter preset named 'movielens'; the "
                                r"presets are \['citation', 'synthetic'\]"):
      training.resolve_preset("movielens", "ego_graph_sage")

  def test_unknown_override(self):
    with self.assertRaisesRegex(ValueError, r"overrides must name settings among .*, got "
                                r"\['hiden_dim'\]"):
      training.resolve_preset("synthetic", "gcn", {"hiden_dim": 8})

  @parameterized.named_parameters(
      ("eval_fanouts", {"eval_fanouts": [3]},
       r"--eval_fanouts must be 2 positive ints \(one per hop of --fanouts\), got \[3\]"),
      ("fanouts", {"fanouts": [3, 0], "eval_fanouts": [3, 1]},
       r"--fanouts must be positive ints, got \[3, 0\]"),
      ("head", {"head": "conv", "fanouts": [5], "eval_fanouts": [5]},
       r"--head=conv needs at least 2 --fanouts \(a hidden layer and the logits' layer\)"),
      ("head_kind", {"head": "mlp"}, r"--head must be one of \['dense', 'conv'\], got 'mlp'"),
      ("dropout", {"dropout": 1.0}, r"--dropout must be a rate in \[0, 1\), got 1.0"),
      ("epochs", {"epochs": 0}, "--epochs must be a positive int, got 0"),
      ("encoder_dim", {"encoder_dim": -1}, "--encoder_dim must be an int >= 0, got -1"),
      ("learning_rate", {"learning_rate": 0.0}, "--learning_rate must be a positive number"),
      ("weight_decay", {"weight_decay": -1.0}, "--weight_decay must be a number >= 0"),
  )
  def test_bad_settings(self, overrides, message):
    with self.assertRaisesRegex(ValueError, message):
      training.resolve_preset("synthetic", "ego_graph_sage", overrides)

  def test_as_dict_is_json_ready(self):
    values = training.resolve_preset("citation", "gcn").as_dict()
    self.assertEqual(values["fanouts"], [10, 5])
    self.assertEqual(values["multi_hot"], ["words"])
    self.assertEqual(values["model"], "gcn")


if __name__ == "__main__":
  tf.test.main()
