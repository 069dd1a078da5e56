"""Running the example binaries in subprocesses, as a user would, and reading their output."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PREFIX = "final metrics: "


def script(name: str) -> str:
  """The path of examples/`name`."""
  return os.path.join(ROOT, "examples", name)


def env(**changes) -> dict:
  """The binaries' environment: this one, quiet TensorFlow, the checkout importable;
  `changes` set variables (None removes one)."""
  out = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2",
             PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
  for name, value in changes.items():
    if value is None:
      out.pop(name, None)
    else:
      out[name] = value
  return out


def run(name: str, *flags, timeout: int = 600, environment=None) -> subprocess.CompletedProcess:
  """Runs examples/`name` with `flags`; the completed process, whatever its status."""
  return subprocess.run([sys.executable, script(name), *flags], capture_output=True, text=True,
                        env=environment or env(), timeout=timeout, check=False)


def final_metrics(stdout: str) -> dict:
  """The last "final metrics: {json}" line of a binary's output."""
  lines = [line for line in stdout.splitlines() if line.startswith(PREFIX)]
  return json.loads(lines[-1][len(PREFIX):])
