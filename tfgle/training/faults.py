"""A lost parameter server ends a ParameterServerStrategy run with a clear error.

TensorFlow's ParameterServerStrategy recovers from a lost worker (the
coordinator retries its steps on the others and takes a replacement back),
not from a lost parameter server: the variables it held are gone. The
coordinator then raises the remote error (an UnavailableError naming
/job:ps/replica:0/task:N, or a PSUnavailableError) from whatever call comes
next, deep inside `model.fit`. `parameter_server_failures` turns it into a
`ParameterServerFailure` whose one-line message names the lost server and
says how to go on: restart every task with the same flags, and the run
resumes from its last checkpoint (tfgle.training.TrainingCheckpoint).

Example:
  with faults.parameter_server_failures(strategy, checkpoint=resumption.checkpoint):
    model.fit(...)
"""
from __future__ import annotations

import contextlib
import re
from typing import Optional, Sequence

import tensorflow as tf

_PS_TASK = re.compile(r"/job:ps/replica:\d+/task:(\d+)")
# Errors that say a remote task is gone (or was replaced by a server without
# its state: "unknown device", a lost remote handle).
_LOST = (tf.errors.UnavailableError, tf.errors.AbortedError)
_REPLACED = ("unknown device", "unable to find the relevant tensor remote_handle")


class ParameterServerFailure(RuntimeError):
  """A parameter server of a ParameterServerStrategy run was lost; the run cannot go on.

  Attributes:
    tasks: the indices of the lost ps tasks ([] when the error names none).
    addresses: their addresses in the cluster.
    checkpoint: the last checkpoint a restarted run resumes from (None: it
      begins afresh).
  """

  def __init__(self, tasks: Sequence[int], addresses: Sequence[str],
               checkpoint: Optional[str]):
    self.tasks = list(tasks)
    self.addresses = list(addresses)
    self.checkpoint = checkpoint
    if self.tasks:
      lost = ", ".join(f"ps:{t} ({a})" for t, a in zip(self.tasks, self.addresses))
      lost = f"parameter server{'s' if len(self.tasks) > 1 else ''} {lost}"
    else:
      lost = "a parameter server"
    if checkpoint:
      where = f"resume from the last checkpoint, {checkpoint}"
    else:
      where = "start the run again (no checkpoint was written yet)"
    super().__init__(
        f"{lost} failed; ParameterServerStrategy cannot go on without it (the variables it "
        f"held are lost): restart all tasks (chief, workers and parameter servers) with the same "
        f"flags to {where}")


def lost_parameter_servers(error: BaseException) -> Optional[list[int]]:
  """The ps task indices that `error` reports lost: None when it is no parameter server failure.

  It looks through the coordinator's wrappers (`original_exception`) and the
  error's cause and context. An empty list: a parameter server failure that
  names no task.
  """
  seen, pending, tasks, failure = set(), [error], set(), False
  while pending:
    e = pending.pop()
    if e is None or id(e) in seen:
      continue
    seen.add(id(e))
    pending += [getattr(e, "original_exception", None), e.__cause__, e.__context__]
    text = str(e)
    named = {int(t) for t in _PS_TASK.findall(text)}
    # tf's coordinator raises PSUnavailableError (naming the server in its
    # message, or not at all when its coordination service is down).
    if type(e).__name__ == "PSUnavailableError" or (named and (
        isinstance(e, _LOST) or (isinstance(e, tf.errors.InvalidArgumentError) and
                                 any(s in text.lower() for s in _REPLACED)))):
      failure = True
      tasks |= named
  return sorted(tasks) if failure else None


def as_failure(error: BaseException, addresses: Sequence[str],
               checkpoint: Optional[str] = None) -> Optional[ParameterServerFailure]:
  """The `ParameterServerFailure` that `error` means, or None when it is no parameter server
  failure.

  Args:
    error: an error raised under ParameterServerStrategy.
    addresses: the cluster's ps addresses (TF_CONFIG's "ps" list).
    checkpoint: the last checkpoint of the run, or None.
  """
  tasks = lost_parameter_servers(error)
  if tasks is None:
    return None
  return ParameterServerFailure(
      tasks, [addresses[t] if t < len(addresses) else "?" for t in tasks], checkpoint)


@contextlib.contextmanager
def parameter_server_failures(strategy: tf.distribute.Strategy, *, checkpoint=None):
  """Turns a lost parameter server into a `ParameterServerFailure` (other errors pass).

  Args:
    strategy: the run's strategy (other strategies: nothing changes).
    checkpoint: the run's `TrainingCheckpoint` (its latest checkpoint is named
      in the message), or None.

  Raises:
    ParameterServerFailure: the block raised an error that reports a lost
      parameter server (chained to it).
  """
  if not isinstance(strategy, tf.distribute.experimental.ParameterServerStrategy):
    yield
    return
  try:
    yield
  except Exception as e:  # pylint: disable=broad-except  (the others are re-raised)
    failure = as_failure(e, _ps_addresses(strategy),
                         checkpoint.latest() if checkpoint is not None else None)
    if failure is None:
      raise
    raise failure from e


def _ps_addresses(strategy) -> list[str]:
  """The ps addresses of the strategy's cluster (TF 2.17's ParameterServerStrategy keeps its
  resolver in `_cluster_resolver`; its `cluster_resolver` property is None)."""
  resolver = (strategy.cluster_resolver or getattr(strategy, "_cluster_resolver", None) or
              tf.distribute.cluster_resolver.TFConfigClusterResolver())
  return resolver.cluster_spec().as_dict().get("ps", [])
