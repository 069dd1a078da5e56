"""A lost parameter server is told apart from other errors and named in a one-line error.

The cluster run (a parameter server killed mid-training, then the whole
cluster restarted) is tests/distribute/test_faults.py.
"""
import tensorflow as tf
from tensorflow.python.distribute.coordinator import cluster_coordinator  # PS errors as TF raises

from tfgle import training
from tfgle.training import faults

_ADDRESSES = ["127.0.0.1:1000", "127.0.0.1:1001"]
_FROM_PS1 = ("Socket closed\nAdditional GRPC error information from remote target "
             "/job:ps/replica:0/task:1 while calling /tensorflow.eager.EagerService/Enqueue:")


def _unavailable(text=_FROM_PS1):
  return tf.errors.UnavailableError(None, None, text)


class LostParameterServersTest(tf.test.TestCase):

  def test_errors_of_a_lost_parameter_server(self):
    self.assertEqual(faults.lost_parameter_servers(_unavailable()), [1])
    self.assertEqual(faults.lost_parameter_servers(tf.errors.AbortedError(None, None, _FROM_PS1)),
                     [1])
    # As the coordinator raises it (wrapped once more for the other closures).
    ps_error = cluster_coordinator.PSUnavailableError(_unavailable())
    self.assertEqual(faults.lost_parameter_servers(ps_error), [1])
    self.assertEqual(faults.lost_parameter_servers(cluster_coordinator.ClosureInputError(
        ps_error)), [1])
    # Named by neither (the coordination service was down): a failure of an unknown server.
    self.assertEqual(faults.lost_parameter_servers(cluster_coordinator.PSUnavailableError(
        _unavailable("Socket closed"))), [])
    # A server restarted without its state.
    replaced = tf.errors.InvalidArgumentError(
        None, None, "Unable to find the relevant tensor remote_handle: Op ID: 7, Output num: 0 "
        "on /job:ps/replica:0/task:0/device:CPU:0")
    self.assertEqual(faults.lost_parameter_servers(replaced), [0])
    # Raised while handling one (a callback's error with the lost server as its context).
    try:
      try:
        raise _unavailable()
      except tf.errors.UnavailableError as e:
        raise RuntimeError("while saving") from e
    except RuntimeError as e:
      self.assertEqual(faults.lost_parameter_servers(e), [1])

  def test_other_errors_are_no_parameter_server_failure(self):
    for error in [
        ValueError("bad input"),
        _unavailable("GRPC error information from remote target /job:worker/replica:0/task:1"),
        tf.errors.InvalidArgumentError(None, None, "indices[3] = 9 is not in [0, 5) on "
                                       "/job:ps/replica:0/task:1/device:CPU:0"),
        tf.errors.NotFoundError(None, None, "/job:ps/replica:0/task:0: no such file"),
    ]:
      self.assertIsNone(faults.lost_parameter_servers(error), error)
      self.assertIsNone(faults.as_failure(error, _ADDRESSES), error)


class FailureMessageTest(tf.test.TestCase):

  def test_names_the_server_and_says_to_restart_every_task(self):
    failure = faults.as_failure(_unavailable(), _ADDRESSES, "/m/backup/ckpt-10")
    self.assertIsInstance(failure, training.ParameterServerFailure)
    self.assertEqual((failure.tasks, failure.addresses, failure.checkpoint),
                     ([1], ["127.0.0.1:1001"], "/m/backup/ckpt-10"))
    self.assertEqual(
        str(failure), "parameter server ps:1 (127.0.0.1:1001) failed; ParameterServerStrategy "
        "cannot go on without it (the variables it held are lost): restart all tasks (chief, "
        "workers and parameter servers) with the same flags to resume from the last checkpoint, "
        "/m/backup/ckpt-10")

  def test_without_a_checkpoint_or_a_named_server(self):
    failure = faults.as_failure(cluster_coordinator.PSUnavailableError(_unavailable("gone")),
                                _ADDRESSES)
    self.assertEqual(
        str(failure), "a parameter server failed; ParameterServerStrategy cannot go on without "
        "it (the variables it held are lost): restart all tasks (chief, workers and parameter "
        "servers) with the same flags to start the run again (no checkpoint was written yet)")


class ParameterServerFailuresTest(tf.test.TestCase):

  def test_other_strategies_pass_every_error(self):
    with self.assertRaises(tf.errors.UnavailableError):
      with faults.parameter_server_failures(tf.distribute.get_strategy()):
        raise _unavailable()


if __name__ == "__main__":
  tf.test.main()
