"""Which task of a tf.distribute cluster this process is."""
from __future__ import annotations

import tensorflow as tf


def is_chief(strategy: tf.distribute.Strategy) -> bool:
  """True on the task that evaluates, saves and reports for the cluster.

  That is every single-process strategy, the coordinator (chief) of a
  ParameterServerStrategy (its workers and ps tasks only serve), and under
  MultiWorkerMirroredStrategy the chief task, or worker 0 in a cluster
  without one.
  """
  if isinstance(strategy, tf.distribute.experimental.ParameterServerStrategy):
    return True
  resolver = getattr(strategy, "cluster_resolver", None)
  if resolver is None or not resolver.task_type:
    return True
  if resolver.task_type == "chief":
    return True
  has_chief = "chief" in resolver.cluster_spec().as_dict()
  return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief
