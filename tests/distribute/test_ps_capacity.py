"""Capacity: parameter servers capped below the graph's size train it, partitioned over two.

Three local clusters (1 chief, 1 worker, parameter servers) run
tests/distribute/train_capacity.py; the servers run under
`launch --ps_memory_limit` (RLIMIT_AS, MALLOC_ARENA_MAX=2, oneDNN's allocator off):
  1. a tiny graph on 2 servers under a limit far above any use: an idle
     server's address space (VmPeak, read in /proc while the chief waits;
     about 2.4 GB that TensorFlow reserves for code, thread stacks and
     allocator arenas before it holds any data);
  2. a ~330 MB graph (float features dominate) on 2 servers, each capped at
     that VmPeak + 0.85 x the graph's node data bytes: training completes,
     each server holding about half (measured: VmPeak + 165-200 MiB each, the
     cap being + 255 MiB; one server holding it all holds 313 MiB of data);
  3. the same graph on 1 server under the same cap: loading it fails there
     (an OOM on the server), so the cap is tight enough to fail.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import threading

from tests.distribute import cluster_runs

TRAINER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "train_capacity.py")
NUM_NODES, NUM_EDGES, DIM = 300_000, 600_000, 256
# The graph's node data (features, labels, ids; topology and id maps come on top).
NODE_DATA_BYTES = NUM_NODES * (4 * DIM + 8 + 8)
BUDGET = 0.85   # of NODE_DATA_BYTES, on top of an idle server's VmPeak
TIMEOUT_S = 600


def _status(pid: int) -> dict:
  """VmPeak and VmHWM (bytes) of a live process."""
  with open(f"/proc/{pid}/status") as f:
    text = f.read()
  return {key: int(re.search(rf"{key}:\s+(\d+) kB", text).group(1)) * 1024
          for key in ("VmPeak", "VmHWM")}


def _run(num_ps: int, flags, ps_memory_limit=None):
  """(exit status, output, {ps task: its status when training ended}) of one cluster run."""
  with tempfile.TemporaryDirectory() as tmp:
    hold = os.path.join(tmp, "hold")
    launch = ["--workers", "1", "--ps", str(num_ps)]
    if ps_memory_limit is not None:
      launch += ["--ps_memory_limit", str(int(ps_memory_limit))]
    command = [sys.executable, "-m", "tfgle.distribute.launch", *launch, "--", TRAINER,
               f"--hold_file={hold}", *flags]
    process = subprocess.Popen(command, env=cluster_runs.env(), cwd=cluster_runs.REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    timer = threading.Timer(TIMEOUT_S, process.kill)
    timer.start()
    pids, peaks, lines = {}, {}, []
    try:
      for line in process.stdout:
        lines.append(line)
        started = re.match(r"\[launch\] (ps:\d+) started: pid (\d+)", line)
        if started:
          pids[started.group(1)] = int(started.group(2))
        if line.startswith("[chief:0] final metrics:"):
          # The chief waits for `hold`: the servers still run.
          peaks = {task: _status(pid) for task, pid in pids.items()}
          open(hold, "w").close()
      process.wait()
    finally:
      timer.cancel()
    return process.returncode, "".join(lines), peaks


def _graph_bytes(output: str) -> dict:
  return json.loads(re.search(r"\[chief:0\] graph bytes: (\{.*\})", output).group(1))


def test_servers_capped_below_the_graph_train_it_partitioned():
  big = [f"--num_nodes={NUM_NODES}", f"--num_edges={NUM_EDGES}", f"--dim={DIM}", "--steps=4"]
  # (A limit far above any use: the servers run as under a real cap, MALLOC_ARENA_MAX included.)
  code, output, idle = _run(2, ["--num_nodes=2000", "--num_edges=4000", "--dim=8", "--steps=4"],
                            ps_memory_limit=1 << 44)
  assert code == 0 and len(idle) == 2, output[-5000:]
  base = max(status["VmPeak"] for status in idle.values())
  base_resident = max(status["VmHWM"] for status in idle.values())
  cap = base + BUDGET * NODE_DATA_BYTES
  print(f"idle server VmPeak {base / 2**20:.0f} MiB; cap {cap / 2**20:.0f} MiB")

  code, output, peaks = _run(2, big, ps_memory_limit=cap)
  assert code == 0 and len(peaks) == 2, output[-5000:]
  assert "address space limit" in output
  sizes = _graph_bytes(output)
  print(f"graph bytes: {sizes}; servers: {peaks}")
  assert sizes["whole"] >= NODE_DATA_BYTES
  assert re.search(r'"steps": 4', output)
  # Each server holds about half of the node data and of the topology ...
  for share in sizes["node_data_per_ps"]:
    assert 0.45 <= share / NODE_DATA_BYTES <= 0.55, sizes
  # ... and its resident memory grew by well under the whole graph's size.
  for task, status in peaks.items():
    assert status["VmPeak"] <= cap, (task, status, cap)
    assert status["VmHWM"] - base_resident < 0.7 * sizes["whole"], (task, status, sizes)

  # The same cap is too small for one server holding the whole graph: loading fails there.
  code, output, _ = _run(1, big, ps_memory_limit=cap)
  assert code != 0, output[-5000:]
  assert re.search(r"OOM when allocating tensor .* on /job:ps/replica:0/task:0/", output) or (
      re.search(r"\[launch\] ps:0 failed with status", output)), output[-5000:]
