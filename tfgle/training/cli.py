"""Command-line plumbing shared by the absl binaries in examples/."""
from __future__ import annotations

import contextlib
import sys
from typing import Callable

from absl import app
from absl import flags
from absl import logging

from tfgle.training import faults


def main_of(run: Callable[[], object]) -> Callable[[list], None]:
  """The absl `main` of a binary whose work is `run()`.

  It refuses positional arguments (a one-line usage error), keeps the logs
  at WARNING unless the binary's --verbose flag (or absl's --verbosity) is
  given (TensorFlow's INFO lines would break Keras' progress bars), and ends
  a run whose parameter server failed with its one-line error (exit status 1).
  """
  def main(argv):
    if len(argv) > 1:
      raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    verbose = "verbose" in flags.FLAGS and flags.FLAGS["verbose"].value is True
    if not verbose and not flags.FLAGS["verbosity"].present:
      logging.set_verbosity(logging.WARNING)
    try:
      run()
    except faults.ParameterServerFailure as e:
      sys.exit(f"error: {e}")
  return main


def validator(check: Callable) -> Callable:
  """A flag validator of check(value), which raises ValueError for a bad value."""
  def validate(value):
    try:
      return check(value) or True
    except ValueError as e:
      raise flags.ValidationError(str(e)) from e
  return validate


@contextlib.contextmanager
def usage_errors(*types):
  """Errors of `types` (bad data, a model directory in use) end as absl usage errors."""
  try:
    yield
  except types as e:
    raise app.UsageError(str(e)) from e
