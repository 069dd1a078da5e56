"""Command-line plumbing shared by the absl binaries in examples/."""
from __future__ import annotations

from typing import Callable

from absl import app
from absl import flags
from absl import logging


def main_of(run: Callable[[], object]) -> Callable[[list], None]:
  """The absl `main` of a binary whose work is `run()`.

  It refuses positional arguments (a one-line usage error) and keeps the logs
  at WARNING unless --verbosity is given: TensorFlow's INFO lines would break
  Keras' progress bars.
  """
  def main(argv):
    if len(argv) > 1:
      raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    if not flags.FLAGS["verbosity"].present:
      logging.set_verbosity(logging.WARNING)
    run()
  return main
