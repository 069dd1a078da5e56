"""The tf.distribute strategy of a training binary, checked against the cluster it runs in.

Every task of a cluster runs the same binary with the same flags and its own
TF_CONFIG. A strategy that cannot use the cluster is refused before anything
runs: under a one-process strategy every task would train its own copy of the
model into the same model directory (until one crashes on a checkpoint race).

Example:
  tfgle.training.check_strategy("multi_worker_mirrored", os.environ.get("TF_CONFIG"))
  strategy = tfgle.training.make_strategy("multi_worker_mirrored")
"""
from __future__ import annotations

import json
import os
from typing import Optional

import tensorflow as tf

from tfgle import distribute

STRATEGIES = ("default", "mirrored", "multi_worker_mirrored", "parameter_server")
_ONE_PROCESS = ("default", "mirrored")


def cluster_tasks(tf_config: Optional[str]) -> dict[str, int]:
  """Task type -> number of tasks of the cluster in a TF_CONFIG value ({} without one).

  Raises:
    ValueError: TF_CONFIG is not JSON, or its "cluster" is not a dict of task lists.
  """
  if not tf_config:
    return {}
  try:
    config = json.loads(tf_config)
  except ValueError as e:
    raise ValueError(f"TF_CONFIG is not JSON: {e}; got {tf_config!r}") from e
  cluster = config.get("cluster", {}) if isinstance(config, dict) else None
  if not isinstance(cluster, dict) or not all(isinstance(v, list) for v in cluster.values()):
    raise ValueError(f"TF_CONFIG's cluster must map task types to address lists, got "
                     f"{tf_config!r}")
  return {task_type: len(addresses) for task_type, addresses in cluster.items() if addresses}


def implied_strategy(tasks: dict[str, int]) -> str:
  """The strategy a cluster of `tasks` (cluster_tasks) is made for."""
  if tasks.get("ps"):
    return "parameter_server"
  return "multi_worker_mirrored" if sum(tasks.values()) > 1 else "default"


def check_strategy(name: str, tf_config: Optional[str]) -> None:
  """Refuses a strategy that cannot use the cluster of TF_CONFIG.

  Args:
    name: one of STRATEGIES.
    tf_config: the TF_CONFIG value (None or "" outside a cluster).

  Raises:
    ValueError: an unknown strategy; a one-process strategy in a cluster of
      several tasks; parameter_server without ps tasks; or
      multi_worker_mirrored in a cluster with ps tasks. The message names the
      strategy the cluster implies.
  """
  if name not in STRATEGIES:
    raise ValueError(f"strategy must be one of {list(STRATEGIES)}, got {name!r}")
  tasks = cluster_tasks(tf_config)
  described = ", ".join(f"{n} {t}" for t, n in sorted(tasks.items())) or "no cluster"
  implied = implied_strategy(tasks)
  if name in _ONE_PROCESS and sum(tasks.values()) > 1:
    raise ValueError(
        f"TF_CONFIG describes a cluster of {sum(tasks.values())} tasks ({described}), but "
        f"strategy {name!r} trains in one process: every task would train its own copy into "
        f"the same model directory. Use the strategy this cluster is made for: {implied!r}")
  if name == "parameter_server" and not tasks.get("ps"):
    raise ValueError(f"strategy 'parameter_server' needs a TF_CONFIG cluster with ps tasks "
                     f"(and a chief), got {described}; start the binary with "
                     "`python -m tfgle.distribute.launch --workers N --ps M -- ...`")
  if name == "multi_worker_mirrored" and tasks.get("ps"):
    raise ValueError(f"strategy 'multi_worker_mirrored' cannot use the ps tasks of TF_CONFIG's "
                     f"cluster ({described}); use {implied!r}")


def make_strategy(name: str) -> tf.distribute.Strategy:
  """The strategy `name`, after check_strategy(name, TF_CONFIG).

  Call it before anything else runs TensorFlow ops: MultiWorkerMirroredStrategy
  sets up the runtime's collectives, and on the worker and ps tasks of a
  parameter_server cluster this call serves and never returns.

  Raises:
    ValueError: see check_strategy.
  """
  check_strategy(name, os.environ.get("TF_CONFIG"))
  if name == "default":
    return tf.distribute.get_strategy()
  if name == "mirrored":
    return tf.distribute.MirroredStrategy()
  if name == "multi_worker_mirrored":
    return tf.distribute.MultiWorkerMirroredStrategy()
  return distribute.parameter_server_strategy()


def is_parameter_server(strategy: tf.distribute.Strategy) -> bool:
  return isinstance(strategy, tf.distribute.experimental.ParameterServerStrategy)


def task_dir(directory: str, strategy: tf.distribute.Strategy) -> str:
  """Where this task writes its saved model and files: `directory` on the chief.

  Other MultiWorkerMirrored workers hold copies of the same model and must
  save too (saving is collective), so they write under directory/workers/.
  """
  if distribute.is_chief(strategy):
    return directory
  resolver = strategy.cluster_resolver
  path = os.path.join(directory, "workers", f"{resolver.task_type}-{resolver.task_id}")
  os.makedirs(path, exist_ok=True)
  return path


def fit_verbosity(verbose: int, strategy: tf.distribute.Strategy) -> int:
  """Keras verbosity: progress bars (1) become one line per epoch (2) under
  ParameterServerStrategy, which does not allow them."""
  return 2 if verbose == 1 and is_parameter_server(strategy) else verbose
