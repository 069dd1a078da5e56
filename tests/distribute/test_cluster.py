"""tfgle.distribute.is_chief: which task evaluates, saves and reports."""
import types

import tensorflow as tf

import tfgle


def _strategy_of(task_type, task_id, cluster):
  """A stand-in multi-worker strategy: only its cluster resolver matters."""
  resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
      tf.train.ClusterSpec(cluster), task_type=task_type, task_id=task_id)
  return types.SimpleNamespace(cluster_resolver=resolver)


def test_single_process_strategies_are_chief():
  assert tfgle.distribute.is_chief(tf.distribute.get_strategy())
  assert tfgle.distribute.is_chief(types.SimpleNamespace(cluster_resolver=None))


def test_worker_zero_is_chief_without_a_chief_task():
  cluster = {"worker": ["localhost:1", "localhost:2"]}
  assert tfgle.distribute.is_chief(_strategy_of("worker", 0, cluster))
  assert not tfgle.distribute.is_chief(_strategy_of("worker", 1, cluster))


def test_the_chief_task_is_chief():
  cluster = {"chief": ["localhost:0"], "worker": ["localhost:1", "localhost:2"]}
  assert tfgle.distribute.is_chief(_strategy_of("chief", 0, cluster))
  assert not tfgle.distribute.is_chief(_strategy_of("worker", 0, cluster))
