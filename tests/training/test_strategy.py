"""The strategy of a binary is checked against TF_CONFIG's cluster before anything runs."""
import json
import os
from unittest import mock

from absl.testing import parameterized
import tensorflow as tf

from tfgle import training
from tfgle.training import strategy as strategy_lib


def _tf_config(**cluster):
  return json.dumps({"cluster": {t: [f"h{i}:1" for i in range(n)] for t, n in cluster.items()},
                     "task": {"type": "worker", "index": 0}})


class CheckStrategyTest(tf.test.TestCase, parameterized.TestCase):

  def test_cluster_tasks(self):
    self.assertEqual(strategy_lib.cluster_tasks(None), {})
    self.assertEqual(strategy_lib.cluster_tasks(_tf_config(chief=1, worker=2, ps=2)),
                     {"chief": 1, "worker": 2, "ps": 2})
    with self.assertRaisesRegex(ValueError, "TF_CONFIG is not JSON"):
      strategy_lib.cluster_tasks("{cluster")
    with self.assertRaisesRegex(ValueError, "TF_CONFIG's cluster must map task types to "
                                "address lists"):
      strategy_lib.cluster_tasks('{"cluster": {"worker": "h0:1"}}')

  @parameterized.parameters(
      ("default", None), ("mirrored", None), ("multi_worker_mirrored", None),
      ("default", _tf_config(worker=1)), ("multi_worker_mirrored", _tf_config(worker=2)),
      ("multi_worker_mirrored", _tf_config(chief=1, worker=2)),
      ("parameter_server", _tf_config(chief=1, worker=2, ps=2)))
  def test_strategies_that_fit_the_cluster(self, name, tf_config):
    training.check_strategy(name, tf_config)

  @parameterized.parameters(
      ("default", _tf_config(worker=2), r"TF_CONFIG describes a cluster of 2 tasks \(2 worker\), "
       r"but strategy 'default' trains in one process: every task would train its own copy "
       r"into the same model directory. Use the strategy this cluster is made for: "
       r"'multi_worker_mirrored'"),
      ("mirrored", _tf_config(chief=1, worker=2, ps=2), r"cluster of 5 tasks \(1 chief, 2 ps, "
       r"2 worker\).*made for: 'parameter_server'"),
      ("parameter_server", None, "strategy 'parameter_server' needs a TF_CONFIG cluster with ps "
       "tasks \\(and a chief\\), got no cluster"),
      ("parameter_server", _tf_config(worker=2), "needs a TF_CONFIG cluster with ps tasks"),
      ("multi_worker_mirrored", _tf_config(chief=1, worker=1, ps=1),
       "strategy 'multi_worker_mirrored' cannot use the ps tasks.*use 'parameter_server'"),
      ("tpu", None, r"strategy must be one of \['default', 'mirrored', 'multi_worker_mirrored', "
       r"'parameter_server'\], got 'tpu'"))
  def test_strategies_that_cannot_use_the_cluster(self, name, tf_config, message):
    with self.assertRaisesRegex(ValueError, message):
      training.check_strategy(name, tf_config)

  def test_make_strategy_checks_first(self):
    with mock.patch.dict(os.environ, {"TF_CONFIG": _tf_config(worker=2)}):
      with self.assertRaisesRegex(ValueError, "cluster of 2 tasks"):
        training.make_strategy("default")
    with mock.patch.dict(os.environ, {"TF_CONFIG": ""}):
      self.assertIs(training.make_strategy("default"), tf.distribute.get_strategy())

  def test_task_dir_and_verbosity_of_a_one_process_strategy(self):
    strategy = tf.distribute.get_strategy()
    self.assertEqual(training.task_dir("/m", strategy), "/m")
    self.assertEqual(training.fit_verbosity(1, strategy), 1)
    self.assertFalse(training.is_parameter_server(strategy))


if __name__ == "__main__":
  tf.test.main()
