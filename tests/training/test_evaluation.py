"""LocalEvaluation / LocalValidation: evaluation on the chief (ParameterServerStrategy too)."""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import tensorflow as tf

from tfgle import training
from tfgle.distribute import launch

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_RNG = np.random.default_rng(0)
_X = _RNG.normal(size=(48, 3)).astype(np.float32)
_Y = (_X[:, 0] + _X[:, 1] > 0).astype(np.int64)


def _data():
  return tf.data.Dataset.from_tensor_slices((_X, _Y)).batch(16)


def _model():
  return tf.keras.Sequential([tf.keras.layers.Dense(4, activation="relu", input_shape=(3,)),
                              tf.keras.layers.Dense(2)])


def _loss(**kwargs):
  return tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, **kwargs)


def _metrics():
  return [tf.keras.metrics.SparseCategoricalAccuracy(name="accuracy")]


def _evaluation(model):
  return training.LocalEvaluation(model, _loss(reduction="none"), _metrics())


def _reference(model):
  """Loss and accuracy of `model` over _X computed with numpy."""
  logits = np.asarray(model(_X))
  log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
  return {"loss": float(-log_p[np.arange(len(_Y)), _Y].mean()),
          "accuracy": float((logits.argmax(-1) == _Y).mean())}


class LocalEvaluationTest(tf.test.TestCase):

  def test_gives_what_model_evaluate_gives(self):
    tf.keras.utils.set_random_seed(0)
    model = _model()
    model.compile("adam", _loss(), metrics=_metrics())
    model.fit(_data(), epochs=2, verbose=0)
    expected = model.evaluate(_data(), return_dict=True, verbose=0)
    results = _evaluation(model)(_data())
    self.assertEqual(sorted(results), ["accuracy", "loss"])
    self.assertAllClose(results, expected, atol=1e-6)
    self.assertAllClose(results, _reference(model), atol=1e-5)
    self.assertAllClose(_evaluation(model)(_data()), results)  # metrics reset every call

  def test_validation_adds_val_values_to_the_epoch_logs(self):
    tf.keras.utils.set_random_seed(0)
    model = _model()
    model.compile("adam", _loss())
    evaluate = _evaluation(model)
    history = model.fit(_data(), epochs=3, verbose=0,
                        callbacks=[training.LocalValidation(evaluate, _data())])
    self.assertLen(history.history["val_loss"], 3)
    self.assertLen(history.history["val_accuracy"], 3)
    self.assertAllClose(history.history["val_loss"][-1], evaluate(_data())["loss"])

  def test_needs_per_example_losses(self):
    with self.assertRaisesRegex(ValueError, "loss must have reduction NONE .*, got 'auto'"):
      training.LocalEvaluation(_model(), _loss(), _metrics())


def _parameter_server_strategy():
  """A ParameterServerStrategy of one worker and one ps task in this process."""
  cluster = tf.train.ClusterSpec({"worker": [f"localhost:{launch.free_port()}"],
                                  "ps": [f"localhost:{launch.free_port()}"]})
  for job in ("worker", "ps"):
    tf.distribute.Server(cluster, job_name=job, task_index=0, protocol="grpc", start=True)
  resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(cluster, rpc_layer="grpc")
  return tf.distribute.experimental.ParameterServerStrategy(resolver)


def parameter_server_run(model_dir: str) -> None:
  """Trains under ParameterServerStrategy with chief-side validation; prints the results.

  It runs in a process of its own (see the test): the strategy connects this
  process's eager context to the cluster for good.
  """
  strategy = _parameter_server_strategy()
  tf.keras.utils.set_random_seed(0)
  with strategy.scope():
    model = _model()
    model.compile("adam", _loss())
  evaluate = _evaluation(model)
  best = training.BestCheckpoint(os.path.join(model_dir, "best"), resume=False)
  train = tf.keras.utils.experimental.DatasetCreator(lambda context: _data().repeat())
  history = model.fit(train, epochs=3, steps_per_epoch=3, verbose=0,
                      callbacks=[training.LocalValidation(evaluate, _data()), best])
  reference = _model()  # the same weights, read from the parameter servers
  reference.set_weights(model.get_weights())
  results = {"history": history.history, "chief": evaluate(_data()),
             "reference": _reference(reference), "best": best.best}
  best.restore(model)
  reference.set_weights(model.get_weights())
  results["restored"] = _reference(reference)
  print("RESULTS " + json.dumps(results), flush=True)


class ParameterServerEvaluationTest(tf.test.TestCase):

  def test_the_chief_validates_every_epoch_and_keeps_the_best(self):
    code = ("from tests.training import test_evaluation as t; "
            f"t.parameter_server_run({tempfile.mkdtemp(dir=self.get_temp_dir())!r})")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=os.pathsep.join(
        filter(None, [_ROOT, os.environ.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=_ROOT, timeout=300, check=False)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("RESULTS ")]
    self.assertLen(lines, 1, proc.stdout[-3000:] + proc.stderr[-3000:])
    results = json.loads(lines[0][len("RESULTS "):])
    self.assertLen(results["history"]["val_accuracy"], 3)
    self.assertLen(results["history"]["val_loss"], 3)
    # The chief's evaluation reads the weights on the parameter servers.
    self.assertAllClose(results["chief"], results["reference"], atol=1e-5)
    self.assertAllClose(results["history"]["val_loss"][-1], results["reference"]["loss"],
                        atol=1e-5)
    # The best epoch's weights come back.
    self.assertIn(results["best"]["epoch"], (1, 2, 3))
    self.assertAllClose(results["restored"]["accuracy"], results["best"]["val_accuracy"])
    self.assertAllClose(results["restored"]["loss"], results["best"]["val_loss"], atol=1e-5)


if __name__ == "__main__":
  tf.test.main()
