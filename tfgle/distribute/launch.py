"""Runs a binary as a local tf.distribute cluster: one process per task on 127.0.0.1.

  python -m tfgle.distribute.launch --workers 2 -- examples/train_supervised.py \\
      --strategy=multi_worker_mirrored --dataset=citation --data_dir=...
  python -m tfgle.distribute.launch --workers 2 --ps 2 -- my_trainer.py ...

Every task runs the same command with its own TF_CONFIG (the cluster, the task's
type and index), exactly as on a real cluster, where each machine (or
container) runs one task. The cluster is:
  - --workers N alone: N workers; worker 0 is the chief of
    MultiWorkerMirroredStrategy.
  - --chief: adds a chief task (MultiWorkerMirroredStrategy with a chief).
  - --ps M (M > 0): a chief (the ParameterServerStrategy coordinator), N
    workers and M parameter servers.
Ports are free loopback ports. The tasks' output is streamed with a task
prefix ("[worker:1] ..."). The launcher exits with the chief's exit status (or
worker 0's without a chief) as soon as that task ends, and then stops the
other tasks; any other task that fails stops the cluster too (exit status of
the failed task), unless --max_restarts lets the launcher restart it on the
same port, as a cluster manager replaces a failed worker (ParameterServerStrategy
recovers from that). A parameter server is never restarted:
ParameterServerStrategy cannot recover from a lost one (its variables are
gone). When one fails, the chief (the coordinator) gets up to 60 seconds to
report the failure and end (exit status: the chief's, if it failed) before
the cluster is stopped; then start the whole cluster again, and the run
resumes from its last checkpoint.

--ps_memory_limit BYTES caps the address space (RLIMIT_AS) of every parameter
server, as a machine of that size would: to check that a graph partitioned
over M servers fits machines of a given capacity. A server that exceeds it
fails (allocation error), which ends the run as above. TensorFlow reserves
address space well beyond what it touches (thread stacks, allocator arenas),
so the cap must include an idle server's (see its VmPeak in
/proc/PID/status); capped servers run with MALLOC_ARENA_MAX=2 and
TF_ENABLE_ONEDNN_OPTS=0 (unless the environment sets them) to keep that
reserve small.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Optional, Sequence

HOST = "127.0.0.1"
# Seconds a task gets to exit after SIGTERM before it is killed.
_GRACE_S = 5.0
# Seconds the chief gets to report a lost parameter server and end.
_REPORT_S = 60.0
# The environment of a parameter server under an address-space limit (unless
# set): fewer malloc arenas, and TensorFlow's plain CPU allocator instead of
# oneDNN's, which reserves address space in growing regions it keeps.
_CAPPED_ENV = {"MALLOC_ARENA_MAX": "2", "TF_ENABLE_ONEDNN_OPTS": "0"}
# Runs argv[2:] under an address-space limit of argv[1] bytes (set in the
# child before exec: no preexec_fn in this threaded launcher).
_LIMITED = ("import os, resource, sys; "
            "resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1]))); "
            "os.execvp(sys.argv[2], sys.argv[2:])")


@dataclasses.dataclass
class Task:
  """One task of the cluster and its process."""
  type: str
  index: int
  address: str
  process: Optional[subprocess.Popen] = None
  pump: Optional[threading.Thread] = None   # streams the process's output
  restarts: int = 0

  @property
  def name(self) -> str:
    return f"{self.type}:{self.index}"


def free_port() -> int:
  """A free TCP port on the loopback interface."""
  try:
    import portpicker  # pylint: disable=g-import-not-at-top
    return portpicker.pick_unused_port()
  except ImportError:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
      s.bind((HOST, 0))
      return s.getsockname()[1]


def cluster_spec(workers: int, ps: int = 0, chief: bool = False) -> dict[str, list[str]]:
  """The cluster dict of TF_CONFIG with fresh loopback addresses.

  Args:
    workers: number of worker tasks (>= 1).
    ps: number of parameter servers; > 0 implies a chief (the coordinator).
    chief: add a chief task.

  Raises:
    ValueError: workers < 1 or ps < 0.
  """
  if not isinstance(workers, int) or workers < 1:
    raise ValueError(f"workers must be an int >= 1, got {workers!r}")
  if not isinstance(ps, int) or ps < 0:
    raise ValueError(f"ps must be an int >= 0, got {ps!r}")
  ports = set()
  while len(ports) < workers + ps + int(chief or ps > 0):
    ports.add(free_port())
  addresses = iter(f"{HOST}:{p}" for p in sorted(ports))
  cluster = {}
  if chief or ps > 0:
    cluster["chief"] = [next(addresses)]
  cluster["worker"] = [next(addresses) for _ in range(workers)]
  if ps:
    cluster["ps"] = [next(addresses) for _ in range(ps)]
  return cluster


def tf_config(cluster: dict[str, list[str]], task_type: str, index: int) -> str:
  """The TF_CONFIG value of one task."""
  return json.dumps({"cluster": cluster, "task": {"type": task_type, "index": index}})


class Cluster:
  """The processes of a local cluster running `command`.

  Args:
    command: the command every task runs (argv list).
    cluster: the cluster dict (see cluster_spec).
    max_restarts: how often a failed worker (not the chief, not a parameter
      server) is restarted.
    env: extra environment variables of every task.
    output: where the prefixed log lines go (default sys.stdout).
    report_s: seconds the chief gets to report a failed parameter server and
      end before the cluster is stopped.
    ps_memory_limit: the address-space limit (RLIMIT_AS, bytes) of every
      parameter server, or None.

  Raises:
    ValueError: an empty command or a bad ps_memory_limit.
  """

  def __init__(self, command: Sequence[str], cluster: dict[str, list[str]], *,
               max_restarts: int = 0, env: Optional[dict[str, str]] = None, output=None,
               report_s: float = _REPORT_S, ps_memory_limit: Optional[int] = None):
    if not command:
      raise ValueError("command must not be empty: give the binary after --")
    if ps_memory_limit is not None and (
        isinstance(ps_memory_limit, bool) or not isinstance(ps_memory_limit, int)
        or ps_memory_limit <= 0):
      raise ValueError(f"ps_memory_limit must be None or a positive int (bytes), got "
                       f"{ps_memory_limit!r}")
    self.ps_memory_limit = ps_memory_limit
    self.command = list(command)
    self.cluster = cluster
    self.max_restarts = max_restarts
    self.report_s = report_s
    self.env = dict(env or {})
    self.output = output or sys.stdout
    self.tasks = [Task(t, i, address) for t in ("chief", "worker", "ps")
                  for i, address in enumerate(cluster.get(t, []))]
    self.chief = self.tasks[0]   # the chief, or worker 0
    self._lock = threading.Lock()

  def log(self, line: str):
    with self._lock:
      self.output.write(line if line.endswith("\n") else line + "\n")
      self.output.flush()

  def start(self):
    for task in self.tasks:
      self._start(task)

  def _start(self, task: Task):
    env = dict(os.environ)
    env.update(self.env)
    env["TF_CONFIG"] = tf_config(self.cluster, task.type, task.index)
    env["PYTHONUNBUFFERED"] = "1"
    command = self.command
    if task.type == "ps" and self.ps_memory_limit is not None:
      for name, value in _CAPPED_ENV.items():
        env.setdefault(name, value)
      command = [sys.executable, "-c", _LIMITED, str(self.ps_memory_limit), *command]
    task.process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True)
    limit = (f", address space limit {self.ps_memory_limit} bytes"
             if command is not self.command else "")
    self.log(f"[launch] {task.name} started: pid {task.process.pid}, {task.address}{limit}")
    task.pump = threading.Thread(target=self._pump, args=(task, task.process), daemon=True)
    task.pump.start()

  def _pump(self, task: Task, process: subprocess.Popen):
    for raw in iter(process.stdout.readline, b""):
      self.log(f"[{task.name}] {raw.decode('utf-8', 'replace').rstrip()}")
    process.stdout.close()

  def wait(self, poll_s: float = 0.2) -> int:
    """Waits for the chief; restarts or stops on other failures. Returns the exit status."""
    while True:
      code = self.chief.process.poll()
      if code is not None:
        self.chief.pump.join(timeout=_GRACE_S)   # its last lines first
        self.log(f"[launch] {self.chief.name} exited with status {code}")
        return code
      for task in self.tasks[1:]:
        code = task.process.poll()
        if code is None:
          continue
        if code != 0 and task.type != "ps" and task.restarts < self.max_restarts:
          task.restarts += 1
          self.log(f"[launch] {task.name} exited with status {code}; restarting it "
                   f"({task.restarts} of {self.max_restarts})")
          self._start(task)
        elif code != 0 and task.type == "ps":
          return self._lost_parameter_server(task, code, poll_s)
        elif code != 0:
          self.log(f"[launch] {task.name} failed with status {code}; stopping the cluster")
          return code
      time.sleep(poll_s)

  def _lost_parameter_server(self, task: Task, code: int, poll_s: float) -> int:
    """Gives the chief `report_s` seconds to report the lost `task` and end; its exit status."""
    self.log(f"[launch] {task.name} failed with status {code}; a lost parameter server ends "
             f"the run: waiting up to {self.report_s:.0f} s for {self.chief.name} to end, then "
             "stopping the cluster (restart all tasks to resume from the last checkpoint)")
    deadline = time.monotonic() + self.report_s
    while self.chief.process.poll() is None and time.monotonic() < deadline:
      time.sleep(poll_s)
    chief = self.chief.process.poll()
    if chief is None:
      self.log(f"[launch] {self.chief.name} did not end; stopping the cluster")
      return code
    self.chief.pump.join(timeout=_GRACE_S)   # its last lines first
    self.log(f"[launch] {self.chief.name} exited with status {chief}")
    return chief or code

  def stop(self, finish_s: float = 0.0):
    """Stops every task still running: SIGTERM, then SIGKILL after a grace period.

    Args:
      finish_s: first wait up to this long for the tasks to end on their own
        (MultiWorkerMirroredStrategy workers end with the chief).
    """
    deadline = time.monotonic() + finish_s
    while (time.monotonic() < deadline and
           any(t.process and t.process.poll() is None for t in self.tasks)):
      time.sleep(0.1)
    running = [t for t in self.tasks if t.process and t.process.poll() is None]
    for task in running:
      _signal_group(task.process, signal.SIGTERM)
    deadline = time.monotonic() + _GRACE_S
    for task in running:
      try:
        task.process.wait(max(0.0, deadline - time.monotonic()))
      except subprocess.TimeoutExpired:
        _signal_group(task.process, signal.SIGKILL)
        task.process.wait()
    for task in self.tasks:
      if task.pump is not None:
        task.pump.join(timeout=1.0)


def _signal_group(process: subprocess.Popen, sig):
  """Signals the task's process group (the task and any children it started)."""
  try:
    os.killpg(process.pid, sig)
  except ProcessLookupError:
    pass


def _command(binary: Sequence[str]) -> list[str]:
  """A .py binary runs under this interpreter; anything else as given."""
  binary = list(binary)
  if binary and binary[0].endswith(".py"):
    return [sys.executable] + binary
  return binary


def main(argv: Optional[Sequence[str]] = None) -> int:
  argv = list(sys.argv[1:] if argv is None else argv)
  if "--" not in argv:
    print("usage: python -m tfgle.distribute.launch --workers N [--ps M] [--chief] "
          "[--max_restarts K] -- BINARY FLAGS...", file=sys.stderr)
    return 2
  split = argv.index("--")
  parser = argparse.ArgumentParser(
      prog="python -m tfgle.distribute.launch",
      description="Runs BINARY as a local tf.distribute cluster on 127.0.0.1.")
  parser.add_argument("--workers", type=int, required=True, help="number of worker tasks")
  parser.add_argument("--ps", type=int, default=0,
                      help="number of parameter servers (adds a chief: the coordinator)")
  parser.add_argument("--chief", action="store_true", help="add a chief task")
  parser.add_argument("--max_restarts", type=int, default=0,
                      help="restart a failed worker (not the chief, not a parameter "
                      "server) up to this many times")
  parser.add_argument("--ps_memory_limit", type=int, default=None, metavar="BYTES",
                      help="address-space limit (RLIMIT_AS) of every parameter server")
  args = parser.parse_args(argv[:split])
  command = _command(argv[split + 1:])
  try:
    cluster = Cluster(command, cluster_spec(args.workers, args.ps, args.chief),
                      max_restarts=args.max_restarts, ps_memory_limit=args.ps_memory_limit)
  except ValueError as e:
    parser.error(str(e))

  def on_signal(signum, frame):  # pylint: disable=unused-argument
    raise KeyboardInterrupt
  previous = signal.signal(signal.SIGTERM, on_signal)
  cluster.log(f"[launch] cluster: {json.dumps(cluster.cluster)}")
  code = 130
  try:
    cluster.start()
    code = cluster.wait()
  except KeyboardInterrupt:
    cluster.log("[launch] interrupted; stopping the cluster")
  finally:
    # Peers of a finished chief get a moment to end on their own; servers
    # (parameter servers, ParameterServerStrategy workers) never do.
    cluster.stop(finish_s=_GRACE_S if code == 0 and args.ps == 0 else 0.0)
    signal.signal(signal.SIGTERM, previous)
  return code


if __name__ == "__main__":
  sys.exit(main())
