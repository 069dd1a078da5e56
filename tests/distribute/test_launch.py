"""Tests of the local cluster launcher (with small Python scripts as the binary)."""
import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import textwrap
import time
import unittest

from parameterized import parameterized

from tfgle.distribute import launch

# A binary that reports its task, then behaves as the environment asks:
#   EXIT_<TYPE>_<INDEX>=code  exit with code after a moment (else: run until killed),
#                             writing its pid to EXITED_DIR/<TYPE>_<INDEX> first if EXITED_DIR
#                             is set
#   FAIL_ONCE_DIR=dir         worker 1 fails on its first run only
#   WAIT_FOR=path             the chief waits for path to exist before exiting
#   WAIT_REAPED=path          the chief waits for path and then for the process whose pid it
#                             holds to be gone (reaped by the launcher) before exiting
BINARY = textwrap.dedent("""
    import json, os, resource, sys, time
    config = json.loads(os.environ["TF_CONFIG"])
    task = config["task"]
    name = f"{task['type']}_{task['index']}".upper()
    print(f"task {task['type']}:{task['index']} of {sorted(config['cluster'])} "
          f"pid {os.getpid()}", flush=True)
    print(f"address space limit {resource.getrlimit(resource.RLIMIT_AS)[0]}, "
          f"arenas {os.environ.get('MALLOC_ARENA_MAX')}", flush=True)
    marker = os.path.join(os.environ.get("FAIL_ONCE_DIR", ""), "failed_once")
    if "FAIL_ONCE_DIR" in os.environ and name == "WORKER_1":
      if not os.path.exists(marker):
        open(marker, "w").close()
        sys.exit(7)
      open(marker + ".restarted", "w").close()
    if name == "CHIEF_0" and "WAIT_FOR" in os.environ:
      while not os.path.exists(os.environ["WAIT_FOR"]):
        time.sleep(0.05)
    if name == "CHIEF_0" and "WAIT_REAPED" in os.environ:
      while not os.path.exists(os.environ["WAIT_REAPED"]):
        time.sleep(0.05)
      with open(os.environ["WAIT_REAPED"]) as f:
        pid = int(f.read())
      while os.path.exists(f"/proc/{pid}"):
        time.sleep(0.05)
    code = os.environ.get("EXIT_" + name)
    if code is not None:
      time.sleep(0.3)
      if "EXITED_DIR" in os.environ:
        path = os.path.join(os.environ["EXITED_DIR"], name)
        with open(path + ".tmp", "w") as f:
          f.write(str(os.getpid()))
        os.replace(path + ".tmp", path)
      sys.exit(int(code))
    while True:
      time.sleep(1)
""")


class ClusterSpecTest(unittest.TestCase):

  @parameterized.expand([
      ("workers", dict(workers=2), {"worker": 2}),
      ("chief", dict(workers=2, chief=True), {"chief": 1, "worker": 2}),
      ("parameter_servers", dict(workers=2, ps=2), {"chief": 1, "worker": 2, "ps": 2}),
  ])
  def test_tasks_on_distinct_loopback_ports(self, _, kwargs, sizes):
    cluster = launch.cluster_spec(**kwargs)
    self.assertEqual({k: len(v) for k, v in cluster.items()}, sizes)
    addresses = sum(cluster.values(), [])
    self.assertEqual(len(set(addresses)), len(addresses))
    self.assertTrue(all(a.startswith("127.0.0.1:") for a in addresses))

  def test_tf_config(self):
    cluster = {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}
    self.assertEqual(json.loads(launch.tf_config(cluster, "worker", 1)),
                     {"cluster": cluster, "task": {"type": "worker", "index": 1}})

  def test_bad_sizes(self):
    with self.assertRaisesRegex(ValueError, "workers must be an int >= 1, got 0"):
      launch.cluster_spec(0)
    with self.assertRaisesRegex(ValueError, "ps must be an int >= 0, got -1"):
      launch.cluster_spec(1, ps=-1)


class LaunchTest(unittest.TestCase):

  def setUp(self):
    super().setUp()
    self.dir = self.enterContext(_tempdir())
    self.binary = os.path.join(self.dir, "binary.py")
    with open(self.binary, "w") as f:
      f.write(BINARY)

  def run_launcher(self, args, env=None):
    """launch.main in this process (the binary's tasks are subprocesses)."""
    out, err = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    os.environ.update(env or {})
    try:
      with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
          code = launch.main([*args, "--", self.binary])
        except SystemExit as e:   # argparse errors
          code = e.code
    finally:
      os.environ.clear()
      os.environ.update(saved)
    return code, out.getvalue(), err.getvalue()

  def test_streams_prefixed_logs_and_exits_with_the_chiefs_status(self):
    code, out, _ = self.run_launcher(["--workers", "2", "--ps", "1"], env={"EXIT_CHIEF_0": "3"})
    self.assertEqual(code, 3)
    self.assertIn("[chief:0] task chief:0 of ['chief', 'ps', 'worker']", out)
    self.assertIn("[worker:1] task worker:1", out)
    self.assertIn("[ps:0] task ps:0", out)
    self.assertIn("[launch] chief:0 exited with status 3", out)
    _assert_all_gone(self, out)

  def test_worker_zero_is_the_chief_without_a_chief_task(self):
    code, out, _ = self.run_launcher(["--workers", "2"],
                                     env={"EXIT_WORKER_0": "0", "EXIT_WORKER_1": "0"})
    self.assertEqual(code, 0)
    self.assertIn("[launch] worker:0 exited with status 0", out)
    self.assertNotIn("chief:0", out)

  def test_a_failed_task_stops_the_cluster(self):
    code, out, _ = self.run_launcher(["--workers", "3", "--chief"], env={"EXIT_WORKER_2": "5"})
    self.assertEqual(code, 5)
    self.assertIn("[launch] worker:2 failed with status 5; stopping the cluster", out)
    _assert_all_gone(self, out)

  def test_max_restarts_replaces_a_failed_task(self):
    restarted = os.path.join(self.dir, "failed_once.restarted")
    code, out, _ = self.run_launcher(
        ["--workers", "2", "--ps", "1", "--max_restarts", "1"],
        env={"FAIL_ONCE_DIR": self.dir, "WAIT_FOR": restarted, "EXIT_CHIEF_0": "0"})
    self.assertEqual(code, 0, out)
    self.assertIn("[launch] worker:1 exited with status 7; restarting it (1 of 1)", out)
    self.assertEqual(out.count("[worker:1] task worker:1"), 2)
    _assert_all_gone(self, out)

  def test_a_lost_parameter_server_is_not_restarted_and_the_chief_reports_it(self):
    code, out, _ = self.run_launcher(
        ["--workers", "1", "--ps", "2", "--max_restarts", "3"],
        env={"EXIT_PS_1": "9", "EXITED_DIR": self.dir, "WAIT_REAPED": os.path.join(self.dir, "PS_1"),
             "EXIT_CHIEF_0": "1"})
    self.assertEqual(code, 1, out)   # the chief's
    self.assertIn("[launch] ps:1 failed with status 9; a lost parameter server ends the run: "
                  "waiting up to 60 s for chief:0 to end", out)
    self.assertIn("[launch] chief:0 exited with status 1", out)
    self.assertNotIn("restarting", out)
    self.assertEqual(out.count("[ps:1] task ps:1"), 1)
    _assert_all_gone(self, out)

  def test_a_chief_that_does_not_report_a_lost_parameter_server_is_stopped(self):
    out = io.StringIO()
    cluster = launch.Cluster([sys.executable, self.binary], launch.cluster_spec(1, ps=1),
                             env={"EXIT_PS_0": "9"}, output=out, report_s=0.5)
    try:
      cluster.start()
      code = cluster.wait()
    finally:
      cluster.stop()
    self.assertEqual(code, 9)   # the parameter server's
    self.assertIn("[launch] chief:0 did not end; stopping the cluster", out.getvalue())
    _assert_all_gone(self, out.getvalue())

  def test_ps_memory_limit_caps_the_parameter_servers(self):
    limit = 3 << 30
    code, out, _ = self.run_launcher(
        ["--workers", "1", "--ps", "2", "--ps_memory_limit", str(limit)],
        env={"EXIT_CHIEF_0": "0"})
    self.assertEqual(code, 0, out)
    for ps in ("ps:0", "ps:1"):
      self.assertRegex(out, rf"\[launch\] {ps} started: pid \d+, 127.0.0.1:\d+, address space "
                       rf"limit {limit} bytes")
      self.assertIn(f"[{ps}] address space limit {limit}, arenas 2", out)
    for task in ("chief:0", "worker:0"):
      self.assertIn(f"[{task}] address space limit {resource.RLIM_INFINITY}, arenas", out)
    _assert_all_gone(self, out)

  def test_bad_ps_memory_limit(self):
    for bad in (0, -5, 1.5, True):
      with self.assertRaisesRegex(ValueError, f"ps_memory_limit must be None or a positive int "
                                  rf"\(bytes\), got {bad!r}"):
        launch.Cluster(["true"], launch.cluster_spec(1, ps=1), ps_memory_limit=bad)
    code, _, err = self.run_launcher(["--workers", "1", "--ps", "1", "--ps_memory_limit", "0"])
    self.assertEqual(code, 2)
    self.assertIn("ps_memory_limit must be None or a positive int (bytes), got 0", err)

  def test_command_line(self):
    result = subprocess.run(
        [sys.executable, "-m", "tfgle.distribute.launch", "--workers", "1", "--", self.binary],
        env=dict(os.environ, EXIT_WORKER_0="4"), capture_output=True, text=True, check=False,
        timeout=120)
    self.assertEqual(result.returncode, 4)
    self.assertIn("[worker:0] task worker:0 of ['worker']", result.stdout)

  def test_usage(self):
    code, _, err = _main_without_separator(["--workers", "2"])
    self.assertEqual(code, 2)
    self.assertIn("usage: python -m tfgle.distribute.launch --workers N", err)
    code, _, err = self.run_launcher(["--workers", "0"])
    self.assertEqual(code, 2)
    self.assertIn("workers must be an int >= 1, got 0", err)


def _main_without_separator(args):
  err = io.StringIO()
  with contextlib.redirect_stderr(err):
    code = launch.main(args)
  return code, "", err.getvalue()


def _assert_all_gone(test, out):
  """Every task process the launcher started has ended."""
  pids = [int(line.split("pid ")[1].split(",")[0]) for line in out.splitlines()
          if line.startswith("[launch]") and " started: pid " in line]
  test.assertTrue(pids)
  deadline = time.monotonic() + 10
  for pid in pids:
    while _alive(pid) and time.monotonic() < deadline:
      time.sleep(0.05)
    test.assertFalse(_alive(pid), f"task process {pid} is still running")


def _alive(pid):
  try:
    os.kill(pid, 0)
  except ProcessLookupError:
    return False
  # A zombie (exited, not yet reaped by its parent) counts as gone.
  try:
    with open(f"/proc/{pid}/stat") as f:
      return f.read().split(")")[-1].split()[0] != "Z"
  except FileNotFoundError:
    return False


class _tempdir:  # pylint: disable=invalid-name
  def __enter__(self):
    import tempfile  # pylint: disable=g-import-not-at-top
    self._dir = tempfile.TemporaryDirectory()
    return self._dir.name

  def __exit__(self, *exc):
    self._dir.cleanup()


if __name__ == "__main__":
  unittest.main()
