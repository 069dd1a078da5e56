"""ModelManifest: typed fields, the JSON file, and errors for a missing or malformed manifest."""
import dataclasses
import json
import os
import tempfile

from absl.testing import parameterized
import tensorflow as tf

from tfgle import training
from tfgle.training import manifest as manifest_lib


def _manifest(**changes):
  values = dict(
      task="node_classification", model="ego_graph_sage", model_class="tfgle>EgoGraphSAGE",
      batch="ego_graph", data={"dataset": "synthetic", "seed": 3},
      towers={"node": training.Tower("paper", ("cites", "cites"), ("paper",) * 3)},
      edge_type=("paper", "paper", "cites"), fanouts=(10, 5), features={"paper": ("words",)},
      embedding_dim=16, num_classes=7)
  values.update(changes)
  return training.ModelManifest(**values)


class ModelManifestTest(tf.test.TestCase, parameterized.TestCase):

  def test_writes_and_reads_back_the_same_manifest(self):
    directory = self.get_temp_dir()
    manifest = _manifest(settings={"hidden_dim": 64}, eval_fanouts=[25, 10])
    path = training.write_manifest(directory, manifest)
    self.assertEqual(path, os.path.join(directory, "model_info.json"))
    self.assertEqual(training.read_manifest(directory), manifest)
    with open(path) as f:
      values = json.load(f)
    self.assertEqual(values["format_version"], manifest_lib.FORMAT_VERSION)
    self.assertEqual(values["towers"]["node"]["meta_path"], ["cites", "cites"])
    self.assertEqual(values["eval_fanouts"], [25, 10])

  def test_lists_become_tuples_and_eval_fanouts_default_to_fanouts(self):
    manifest = _manifest(fanouts=[2, 3], features={"paper": ["a"]}, multi_hot=["a"])
    self.assertEqual(manifest.fanouts, (2, 3))
    self.assertEqual(manifest.eval_fanouts, (2, 3))
    self.assertEqual(manifest.features, {"paper": ("a",)})
    self.assertEqual(manifest.multi_hot, ("a",))

  def test_is_frozen(self):
    with self.assertRaises(dataclasses.FrozenInstanceError):
      _manifest().model = "gcn"

  def test_tower(self):
    manifest = _manifest()
    self.assertEqual(manifest.tower().node_type, "paper")
    self.assertEqual(manifest.tower("node").method, "embed")
    with self.assertRaisesRegex(KeyError, r"tower must be one of \['node'\], got 'user'"):
      manifest.tower("user")
    two = _manifest(towers={side: training.Tower("n", ("e",), ("n", "n")) for side in "ab"})
    with self.assertRaisesRegex(KeyError, r"tower must be one of \['a', 'b'\], got None"):
      two.tower()

  @parameterized.named_parameters(
      ("task", dict(task="regression"), r"task must be one of \['node_classification', "
       r"'link_prediction'\], got 'regression'"),
      ("batch", dict(batch="graph"), r"batch must be one of \['ego_graph', 'subgraph'\]"),
      ("fanouts", dict(fanouts=(10, 0)), r"fanouts must be a non-empty list of positive ints, "
       r"got \(10, 0\)"),
      ("eval_fanouts", dict(eval_fanouts=(3,)), r"eval_fanouts must have one entry per hop"),
      ("edge_type", dict(edge_type=("a", "b")), r"edge_type must be \[source type"),
      ("embedding_dim", dict(embedding_dim=0), "embedding_dim must be a positive int, got 0"),
      ("num_classes", dict(num_classes=True), "num_classes must be a positive int, got True"),
      ("features", dict(features={"paper": "words"}), r"features\['paper'\] must be a list of "
       "strings, got 'words'"),
      ("towers", dict(towers={}), "towers must name at least one Tower"),
      ("version", dict(format_version=1), "format_version must be 2, got 1"),
  )
  def test_bad_fields(self, changes, message):
    with self.assertRaisesRegex(ValueError, message):
      _manifest(**changes)

  def test_bad_tower(self):
    with self.assertRaisesRegex(ValueError, r"Tower.hop_node_types must name 3 node types"):
      training.Tower("paper", ("cites", "cites"), ("paper",))

  def test_missing_directory_says_which_and_to_train_first(self):
    directory = os.path.join(self.get_temp_dir(), "nothing_here")
    with self.assertRaisesRegex(training.MissingManifestError,
                                f"model directory {directory} does not exist: train a model "
                                "into it first"):
      training.read_manifest(directory)

  def test_directory_without_a_manifest_says_which_and_to_train_first(self):
    directory = tempfile.mkdtemp(dir=self.get_temp_dir())
    with self.assertRaisesRegex(training.MissingManifestError,
                                f"{directory} holds no trained model \\(no model_info.json\\): "
                                "train a model into it first"):
      training.read_manifest(directory)

  def _read(self, content):
    directory = tempfile.mkdtemp(dir=self.get_temp_dir())
    with open(os.path.join(directory, "model_info.json"), "w") as f:
      f.write(content if isinstance(content, str) else json.dumps(content))
    return training.read_manifest(directory)

  def test_malformed_json(self):
    with self.assertRaisesRegex(training.ManifestError,
                                r"model_info.json is not a readable JSON manifest"):
      self._read("{not json")

  def test_not_an_object(self):
    with self.assertRaisesRegex(training.ManifestError, "a manifest must be a JSON object, "
                                "got list"):
      self._read([1, 2])

  def test_other_version(self):
    values = _manifest().to_dict()
    values["format_version"] = 1
    with self.assertRaisesRegex(training.ManifestError, "format_version is 1, but this tfgle "
                                "reads manifests of version 2: train the model again"):
      self._read(values)
    del values["format_version"]
    with self.assertRaisesRegex(training.ManifestError, "format_version is None"):
      self._read(values)

  def test_missing_and_unknown_keys(self):
    values = _manifest().to_dict()
    del values["towers"], values["fanouts"]
    values["extra"] = 1
    with self.assertRaisesRegex(training.ManifestError,
                                r"not a valid model manifest: missing keys \['towers', "
                                r"'fanouts'\], unknown keys \['extra'\]"):
      self._read(values)

  def test_bad_value_names_the_file_and_field(self):
    values = _manifest().to_dict()
    values["towers"]["node"]["meta_path"] = "cites"
    with self.assertRaisesRegex(training.ManifestError, r"model_info.json is not a valid model "
                                r"manifest: Tower.meta_path must be a list of strings"):
      self._read(values)
    values = _manifest().to_dict()
    values["towers"]["node"]["color"] = "red"
    with self.assertRaisesRegex(training.ManifestError, "unexpected keyword argument 'color'"):
      self._read(values)

  def test_write_takes_a_manifest(self):
    with self.assertRaisesRegex(TypeError, "manifest must be a ModelManifest, got dict"):
      training.write_manifest(self.get_temp_dir(), {"task": "node_classification"})


if __name__ == "__main__":
  tf.test.main()
