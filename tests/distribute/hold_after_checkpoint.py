"""Runs a training binary whose first training checkpoint is a hold point (for fault tests).

  python tests/distribute/hold_after_checkpoint.py HOLD_FILE BINARY FLAGS...

runs BINARY FLAGS... as its own __main__; the task that saves a
tfgle.training.TrainingCheckpoint (the chief) prints "holding after checkpoint
PATH" once its first one is written, and waits for HOLD_FILE to exist before
training on. Under ParameterServerStrategy no step is in flight then (a save
waits for them), so a test can kill a task at a known step.
"""
import os
import runpy
import sys
import time


def main():
  hold_file, binary = sys.argv[1], sys.argv[2]
  sys.argv = [binary, *sys.argv[3:]]
  sys.path[0] = os.path.dirname(os.path.abspath(binary))  # as `python BINARY` has it

  from tfgle.training import resume  # pylint: disable=g-import-not-at-top
  save = resume.TrainingCheckpoint.save
  held = []

  def save_and_hold(self):
    path = save(self)
    if not held:
      held.append(path)
      print(f"holding after checkpoint {path}", flush=True)
      while not os.path.exists(hold_file):
        time.sleep(0.1)
    return path
  resume.TrainingCheckpoint.save = save_and_hold
  runpy.run_path(binary, run_name="__main__")


if __name__ == "__main__":
  main()
