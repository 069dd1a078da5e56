"""A model directory serves one run configuration: reused only to resume that run."""
import json
import os
import tempfile

import tensorflow as tf

from tfgle import training


class ClaimModelDirTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.model_dir = os.path.join(tempfile.mkdtemp(dir=self.get_temp_dir()), "run")
    self.config = {"binary": "train", "data": {"dataset": "synthetic", "seed": 0},
                   "settings": {"hidden_dim": 64, "fanouts": (10, 5)}}

  def test_a_fresh_directory_records_the_configuration(self):
    self.assertFalse(training.claim_model_dir(self.model_dir, self.config))
    with open(os.path.join(self.model_dir, "run_config.json")) as f:
      self.assertEqual(json.load(f)["settings"], {"hidden_dim": 64, "fanouts": [10, 5]})

  def test_the_same_configuration_resumes(self):
    training.claim_model_dir(self.model_dir, self.config)
    self.assertTrue(training.claim_model_dir(self.model_dir, dict(self.config)))

  def test_another_configuration_is_refused_naming_what_differs(self):
    training.claim_model_dir(self.model_dir, self.config)
    other = dict(self.config, settings={"hidden_dim": 8, "fanouts": (10, 5)}, extra=1)
    with self.assertRaisesRegex(
        training.ModelDirInUseError,
        f"model directory {self.model_dir} holds a run of another configuration \\(extra: "
        r"'<unset>' -> 1; settings.hidden_dim: 64 -> 8\): resume it with the flags it was "
        "started with, or train into a fresh model directory"):
      training.claim_model_dir(self.model_dir, other)
    with open(os.path.join(self.model_dir, "run_config.json")) as f:
      self.assertEqual(json.load(f)["settings"]["hidden_dim"], 64)  # unchanged

  def test_other_tasks_only_check(self):
    self.assertFalse(training.claim_model_dir(self.model_dir, self.config, write=False))
    self.assertFalse(os.path.exists(os.path.join(self.model_dir, "run_config.json")))

  def test_bad_inputs(self):
    with self.assertRaisesRegex(ValueError, "config must be JSON-serializable"):
      training.claim_model_dir(self.model_dir, {"x": object()})
    os.makedirs(self.model_dir)
    with open(os.path.join(self.model_dir, "run_config.json"), "w") as f:
      f.write("[1]")
    with self.assertRaisesRegex(ValueError, r"run_config.json is not a JSON object, got \[1\]"):
      training.claim_model_dir(self.model_dir, self.config)
    with open(os.path.join(self.model_dir, "run_config.json"), "w") as f:
      f.write("{")
    with self.assertRaisesRegex(ValueError, "run_config.json is not a JSON run configuration"):
      training.claim_model_dir(self.model_dir, self.config)


if __name__ == "__main__":
  tf.test.main()
