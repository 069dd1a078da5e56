"""Builds the op library with Bazel (BUILD, WORKSPACE) and loads it into TensorFlow.

Skips when `bazel` is not on PATH. Bazel builds against the TensorFlow of this
interpreter ($TFGLE_PYTHON) and keeps its output in its default output base
for this checkout (outside the source tree, see .bazelrc), so a repeated run
only rebuilds what changed.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_BAZEL = shutil.which("bazel")
_TIMEOUT_S = 1800  # A cold build on two cores takes about a minute.

pytestmark = pytest.mark.skipif(
    _BAZEL is None,
    reason="bazel is not on PATH (install Debian's bazel-bootstrap); the Bazel build is untested")


def _bazel(*args):
  """Runs bazel in the repository; returns its output, fails the test on error."""
  # The server exits after 5 idle minutes instead of Bazel's default 3 hours.
  cmd = [_BAZEL, "--max_idle_secs=300", *args]
  env = {**os.environ, "TFGLE_PYTHON": sys.executable}
  try:
    proc = subprocess.run(cmd, cwd=_REPO, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=_TIMEOUT_S, check=False)
  except subprocess.TimeoutExpired as e:
    pytest.fail(f"`{' '.join(cmd)}` timed out after {_TIMEOUT_S} s:\n{e.stdout}")
  if proc.returncode != 0:
    pytest.fail(f"`{' '.join(cmd)}` failed with status {proc.returncode}:\n"
                f"{proc.stdout[-20000:]}")
  return proc.stdout


@pytest.fixture(scope="module")
def bazel_library():
  """Path of the op library that Bazel built."""
  _bazel("build", "//:_tfgle_ops.so")
  bazel_bin = _bazel("info", "bazel-bin").strip().splitlines()[-1]
  path = os.path.join(bazel_bin, "_tfgle_ops.so")
  assert os.path.isfile(path), f"bazel build succeeded but {path} is missing"
  assert os.path.commonpath([path, _REPO]) != _REPO, f"{path} is inside the source tree"
  return path


def _registered_op_names():
  """Every op that custom_ops/ registers (as setup.py compiles it)."""
  names = set()
  for path in glob.glob(os.path.join(_REPO, "custom_ops", "**", "*.cc"), recursive=True):
    with open(path, encoding="utf-8") as f:
      names.update(re.findall(r'REGISTER_OP\("([^"]+)"\)', f.read()))
  return names


_CHECK_LIBRARY = textwrap.dedent("""\
    import json, sys
    import tensorflow as tf
    from tensorflow.python.framework import op_def_registry
    names = json.loads(sys.argv[2])
    registered_before = [name for name in names if op_def_registry.get(name) is not None]
    ops = tf.load_op_library(sys.argv[1])
    missing = [name for name in names if op_def_registry.get(name) is None]
    ids = ops.tfgle_id_map_handle(shared_name="bazel_test_ids")
    ops.tfgle_id_map_init(ids, tf.constant([10, 30, 20, -5], tf.int64))
    found = ops.tfgle_id_map_lookup(ids, tf.constant([20, -5, 99, 10], tf.int64),
                                    allow_missing=True)
    try:
      ops.tfgle_id_map_lookup(ids, tf.constant([10, 99], tf.int64))
      error = None
    except tf.errors.InvalidArgumentError as e:
      error = e.message
    csr = ops.tfgle_csr_handle(shared_name="bazel_test_csr")
    no_ints, no_floats = tf.zeros([0], tf.int64), tf.zeros([0], tf.float32)
    ops.tfgle_csr_init(csr, src=tf.constant([2, 0, 0, 1, 0], tf.int64),
                       dst=tf.constant([0, 2, 1, 2, 2], tf.int64), edge_ids=no_ints,
                       weights=no_floats, timestamps=no_ints,
                       num_src=tf.constant(3, tf.int64), num_dst=tf.constant(3, tf.int64))
    nbrs, eids, _, _, splits = ops.tfgle_csr_neighbors(csr, tf.constant([0, 2], tf.int64))
    print(json.dumps({
        "registered_before": registered_before,
        "missing": missing,
        "found": found.numpy().tolist(),
        "error": error,
        "neighbors": nbrs.numpy().tolist(),
        "edge_ids": eids.numpy().tolist(),
        "row_splits": splits.numpy().tolist(),
    }))
    """)


def test_bazel_built_library_loads_and_runs(bazel_library):
  # A fresh interpreter: the setup.py build of the same ops may be loaded in this one.
  op_names = sorted(_registered_op_names())
  assert "Tfgle>IdMapLookup" in op_names
  proc = subprocess.run([sys.executable, "-c", _CHECK_LIBRARY, bazel_library,
                         json.dumps(op_names)],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                        timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
                        check=False)
  assert proc.returncode == 0, proc.stderr[-20000:]
  result = json.loads(proc.stdout.strip().splitlines()[-1])
  # Every op of custom_ops/ comes from the library (none was there before).
  assert result["registered_before"] == []
  assert result["missing"] == []
  assert result["found"] == [2, 3, -1, 0]
  assert "ids[1] = 99 is not a known id" in result["error"]
  assert result["neighbors"] == [2, 1, 2, 0]
  assert result["edge_ids"] == [1, 2, 4, 0]
  assert result["row_splits"] == [0, 3, 4]


def test_bazel_core_cc_tests_pass(bazel_library):  # pylint: disable=unused-argument
  # The cc_test targets of tests/core (bazel exits nonzero if one fails or none
  # exist). Uses the fixture only to run after the library build.
  _bazel("test", "//:core_tests")
