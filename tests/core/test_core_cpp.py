"""Compiles and runs the C++ unit tests of the TensorFlow-independent core.

Every tests/core/*_test.cc is linked with every custom_ops/core/*.cc (no
TensorFlow) by `g++ -std=c++17 -O1`, with AddressSanitizer and
UndefinedBehaviorSanitizer where they work on this machine, into a temporary
directory; each test binary must exit with status 0. New tests and new core
sources are picked up by their names alone. $CXX overrides the compiler.
"""
import concurrent.futures
import glob
import os
import shutil
import subprocess
import textwrap

import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
_REPO = os.path.dirname(os.path.dirname(_HERE))
_CORE_SOURCES = sorted(glob.glob(os.path.join(_REPO, "custom_ops", "core", "*.cc")))
_TEST_SOURCES = sorted(glob.glob(os.path.join(_HERE, "*_test.cc")))

_FLAGS = ["-std=c++17", "-O1", "-g", "-Wall", "-Wno-sign-compare", "-pthread", "-I", _REPO]
_SANITIZER_FLAGS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                    "-fno-omit-frame-pointer"]
_RUN_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=23",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}
_COMPILE_TIMEOUT_S = 900
_RUN_TIMEOUT_S = 900


def _run(cmd, timeout, env=None):
  """Runs cmd; returns (exit status, stdout and stderr together)."""
  try:
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout, env=None if env is None else {**os.environ, **env},
                          check=False)
  except subprocess.TimeoutExpired as e:
    return -1, f"timed out after {timeout} s: {' '.join(cmd)}\n{e.stdout or ''}"
  return proc.returncode, proc.stdout


@pytest.fixture(scope="module")
def compiler_flags(tmp_path_factory):
  """(compiler, flags): the sanitizers are on if a sanitized program runs here."""
  compiler = os.environ.get("CXX", "g++")
  if shutil.which(compiler) is None:
    pytest.skip(f"no C++ compiler {compiler!r} on PATH (set $CXX)")
  probe_dir = tmp_path_factory.mktemp("sanitizer_probe")
  source = probe_dir / "probe.cc"
  source.write_text(textwrap.dedent("""\
      #include <thread>
      #include <vector>
      int main() {
        std::vector<int> v(10, 1);
        std::thread t([&v] { v[3] = 2; });
        t.join();
        return v[3] - 2;
      }
      """))
  binary = str(probe_dir / "probe")
  status, _ = _run([compiler, *_FLAGS, *_SANITIZER_FLAGS, str(source), "-o", binary],
                   _COMPILE_TIMEOUT_S)
  if status == 0:
    status, _ = _run([binary], 60, env=_RUN_ENV)
  return compiler, _FLAGS + (_SANITIZER_FLAGS if status == 0 else [])


@pytest.fixture(scope="module")
def test_binaries(compiler_flags, tmp_path_factory):
  """Compiles everything in parallel: {test source: (binary or None, compiler output)}."""
  compiler, flags = compiler_flags
  out_dir = tmp_path_factory.mktemp("core_cpp")

  def compile_object(source):
    obj = str(out_dir / (os.path.relpath(source, _REPO).replace(os.sep, "_") + ".o"))
    status, output = _run([compiler, *flags, "-c", source, "-o", obj], _COMPILE_TIMEOUT_S)
    return (obj if status == 0 else None), output

  with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
    objects = dict(zip(_CORE_SOURCES + _TEST_SOURCES,
                       pool.map(compile_object, _CORE_SOURCES + _TEST_SOURCES)))
  core_errors = "".join(f"{source}:\n{output}" for source, (obj, output) in objects.items()
                        if source in _CORE_SOURCES and obj is None)
  binaries = {}
  for source in _TEST_SOURCES:
    test_obj, output = objects[source]
    if core_errors or test_obj is None:
      binaries[source] = (None, core_errors + output)
      continue
    binary = str(out_dir / os.path.basename(source)[:-len(".cc")])
    status, link_output = _run(
        [compiler, *flags, test_obj, *(objects[s][0] for s in _CORE_SOURCES), "-o", binary],
        _COMPILE_TIMEOUT_S)
    binaries[source] = (binary if status == 0 else None, output + link_output)
  return binaries


@pytest.mark.parametrize("source", _TEST_SOURCES, ids=os.path.basename)
def test_core_cpp(source, test_binaries, compiler_flags):
  binary, compile_output = test_binaries[source]
  if binary is None:
    pytest.fail(f"{os.path.basename(source)} does not compile:\n{compile_output}")
  status, output = _run([binary], _RUN_TIMEOUT_S, env=_RUN_ENV)
  if status != 0:
    pytest.fail(f"{os.path.basename(source)} exited with status {status} "
                f"(flags: {' '.join(compiler_flags[1])}):\n{output}")


def test_harness_reports_failures(compiler_flags, tmp_path):
  """A failed expectation prints file:line and makes main() return nonzero."""
  compiler, flags = compiler_flags
  source = tmp_path / "failing_test.cc"
  source.write_text(textwrap.dedent("""\
      #include <vector>
      #include "tests/core/test_util.h"
      void Passes() { EXPECT_EQ(2 + 2, 4); }
      void Fails() {
        EXPECT_EQ(1 + 1, 3);
        EXPECT_EQ(std::vector<int>({1, 2}), std::vector<int>({1, 3}));
        EXPECT_OK(tfgle::Status::InvalidArgument("bad x"));
      }
      int main() {
        RUN_TEST(Passes);
        RUN_TEST(Fails);
        return tfgle_test::Finish();
      }
      """))
  binary = str(tmp_path / "failing_test")
  status, output = _run([compiler, *flags, str(source), "-o", binary], _COMPILE_TIMEOUT_S)
  assert status == 0, output
  status, output = _run([binary], 60, env=_RUN_ENV)
  assert status == 1, output
  assert f"{source}:5: FAILED: 1 + 1 == 3, got 2 vs 3" in output, output
  assert ("FAILED: std::vector<int>({1, 2}) == std::vector<int>({1, 3}), got [1, 2] vs [1, 3]"
          in output), output
  assert "FAILED: EXPECT_OK(tfgle::Status::InvalidArgument(\"bad x\")), got bad x" in output
  assert "[       OK ] Passes" in output and "[  FAILED  ] Fails" in output, output
  assert "3 expectation(s) failed." in output, output
