"""Shared test setup: the Keras 2 API, quiet TensorFlow, and the shared data sets."""
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # pylint: disable=g-import-not-at-top,wrong-import-position


def datasets_dir():
  """The shared data sets: $TFGLE_DATASETS, else ../shared/datasets if present, else None."""
  path = os.environ.get("TFGLE_DATASETS")
  if path:
    return path
  default = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "datasets")
  return default if os.path.isdir(default) else None


def require_dataset(name):
  """Path of shared data set `name`. Skips when no data is configured; fails when
  TFGLE_DATASETS is set but the data set is missing (CI must not silently skip)."""
  root = datasets_dir()
  if root is None:
    pytest.skip("shared data sets not available (set TFGLE_DATASETS)")
  path = os.path.join(root, name)
  if not os.path.isdir(path):
    if os.environ.get("TFGLE_DATASETS"):
      pytest.fail(f"TFGLE_DATASETS is set but {path} is missing")
    pytest.skip(f"{path} is missing")
  return path


def pytest_collection_modifyitems(items):
  # tf.test.TestCase has a deprecated `test_session` context manager that pytest
  # would collect (and report as skipped): it is not a test.
  items[:] = [item for item in items if item.name != "test_session"]
