"""ParameterServerStrategy for tfgle: servers on worker/ps tasks, sharded variables.

Under ParameterServerStrategy only the chief runs the training program (the
coordinator); worker and parameter-server tasks run a tf.distribute.Server
that executes what the coordinator sends. The same binary serves every task
(as `tfgle.distribute.launch` and real clusters run it): call
`parameter_server_strategy()` early; on worker and ps tasks it serves and
never returns, on the chief it returns the strategy. Servers load tfgle's op
library (importing this module does), so sampling ops and graph tables can
run on workers and parameter servers.

Example:
  strategy = tfgle.distribute.parameter_server_strategy()   # reads TF_CONFIG
  with strategy.scope():
    model = ...   # large variables (id embeddings) are sharded over the ps tasks
"""
from __future__ import annotations

import sys
from typing import NoReturn, Optional

from absl import logging
import tensorflow as tf

from tfgle.ops import _library  # pylint: disable=unused-import  (registers the ops)

SERVER_TASKS = ("worker", "ps")


def run_server(cluster_resolver=None) -> NoReturn:
  """Serves this worker or ps task of a TF_CONFIG cluster until the process is killed.

  Args:
    cluster_resolver: a cluster resolver (default: TFConfigClusterResolver).

  Raises:
    ValueError: the task is not a worker or ps task.
  """
  resolver = cluster_resolver or tf.distribute.cluster_resolver.TFConfigClusterResolver()
  if resolver.task_type not in SERVER_TASKS:
    raise ValueError(f"run_server serves worker and ps tasks, but this task is "
                     f"{resolver.task_type!r} (TF_CONFIG task type)")
  logging.info("serving %s:%d of %s", resolver.task_type, resolver.task_id,
               resolver.cluster_spec().as_dict())
  server = tf.distribute.Server(
      resolver.cluster_spec(), job_name=resolver.task_type, task_index=resolver.task_id,
      protocol=resolver.rpc_layer or "grpc", start=True)
  server.join()
  sys.exit(0)


def parameter_server_strategy(cluster_resolver=None, *, min_shard_bytes: int = 256 << 10,
                              max_shards: Optional[int] = None
                              ) -> tf.distribute.experimental.ParameterServerStrategy:
  """The ParameterServerStrategy of a TF_CONFIG cluster; on worker and ps tasks, serves.

  Variables are sharded over the parameter servers by a MinSizePartitioner:
  a variable is split along its first axis into shards of at least
  `min_shard_bytes` (so large id-embedding tables spread over the servers,
  small dense kernels stay whole), at most `max_shards` (default: the number
  of parameter servers).

  Args:
    cluster_resolver: a cluster resolver (default: TFConfigClusterResolver).
    min_shard_bytes: the smallest shard of a partitioned variable.
    max_shards: the most shards per variable (default: number of ps tasks).

  Returns:
    On the chief: the strategy. On worker and ps tasks it does not return.

  Raises:
    ValueError: the cluster has no ps tasks, or a bad min_shard_bytes/max_shards.
  """
  resolver = cluster_resolver or tf.distribute.cluster_resolver.TFConfigClusterResolver()
  if resolver.task_type in SERVER_TASKS:
    run_server(resolver)
  num_ps = len(resolver.cluster_spec().as_dict().get("ps", []))
  if not num_ps:
    raise ValueError(f"ParameterServerStrategy needs ps tasks in the cluster; TF_CONFIG has "
                     f"{resolver.cluster_spec().as_dict()}")
  if not isinstance(min_shard_bytes, int) or min_shard_bytes <= 0:
    raise ValueError(f"min_shard_bytes must be a positive int, got {min_shard_bytes!r}")
  if max_shards is not None and (not isinstance(max_shards, int) or max_shards <= 0):
    raise ValueError(f"max_shards must be None or a positive int, got {max_shards!r}")
  partitioner = tf.distribute.experimental.partitioners.MinSizePartitioner(
      min_shard_bytes=min_shard_bytes, max_shards=max_shards or num_ps)
  return tf.distribute.experimental.ParameterServerStrategy(
      resolver, variable_partitioner=partitioner)
