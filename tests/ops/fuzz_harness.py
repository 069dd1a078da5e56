"""The op fuzz: seeded random calls of every tfgle op, each checked against a numpy oracle.

Every public op (tfgle.ops.sample_*, CsrTable, IdMapTable, NodeDistribution
and their methods, the Sampler methods of `graph.sampler` and of a
`tfgle.distribute.PartitionedGraph`) and every raw op of the library
(`tfgle.ops._library.ops.tfgle_*`) is called with random arguments. A call is
either VALID (every argument from the documented domain: it must succeed and
its outputs must match the oracle of tests/ops/fuzz_oracle.py, and a second
call with the same seed must give the same outputs) or FAULTY (one or two
arguments replaced by a value that must be refused: it must raise one of the
ALLOWED errors). Anything else is a failure: a crash, a hang, another error
type, a refused valid call, an accepted faulty one, or an output the oracle
contradicts.

Calls run in forked children, a batch per child; each child announces a call
before making it, so a crash or hang names the call and its arguments. The
parent then goes on after the call that crashed.

Run by hand (prints one JSON line):
  python -m tests.ops.fuzz_harness --seed 20261121 --calls 1000
"""
import argparse
import json
import os
import select
import signal
import time
import traceback

import numpy as np
import tensorflow as tf  # imported before forking: children share the loaded library

from tests.ops import fuzz_oracle as oracle
from tests.ops.fuzz_calls import ALLOWED_ERRORS, Builder, Call, all_ops, generator, same_outputs
from tests.ops.fuzz_fixtures import Fixtures

MIN_CALLS_PER_OP = 12
CALL_TIMEOUT_S = 60      # a call that takes longer is reported as a hang


def schedule(seed: int, num_calls: int) -> list:
  """The op of every call: each op at least MIN_CALLS_PER_OP times, the rest by weight."""
  ops = all_ops()
  names = sorted(ops)
  total = sum(ops.values())
  counts = {n: max(MIN_CALLS_PER_OP, round(num_calls * ops[n] / total)) for n in names}
  order = [n for n in names for _ in range(counts[n])]
  np.random.default_rng([seed, 1]).shuffle(order)
  return order


# KNOWN LIBRARY DEFECTS, reported to the coordinator: a valid call refused in one of these
# ways is counted under "known_defects" (printed) instead of failing the fuzz. Remove an entry
# once the library is fixed.
#  (none at present)
KNOWN_DEFECTS = {}
_TABLE_METHODS = ("CsrTable.neighbors", "CsrTable.degree", "CsrTable.edges_at",
                  "IdMapTable.lookup", "IdMapTable")


def known_defect(call, error):
  return next((name for name, matches in KNOWN_DEFECTS.items() if matches(call, error)), None)


def execute(call: Call, checks: oracle.Checks) -> dict:
  """Runs one call (twice when it samples) and checks it; returns its record."""
  record = {"op": call.op, "expect": call.expect, "faults": call.faults, "tags": call.tags}
  failures = []
  try:
    out = call.run()
  except ALLOWED_ERRORS as e:
    record["outcome"] = "refused"
    record["error"] = type(e).__name__
    defect = known_defect(call, e) if call.expect == "ok" else None
    if defect:
      checks.known_defect(defect)
    elif call.expect == "ok":
      failures.append(f"a valid call was refused: {type(e).__name__}: "
                      f"{str(e).split(' [Op:')[0][-400:]}")
  except Exception as e:  # pylint: disable=broad-except
    record["outcome"] = "bad_error"
    record["error"] = type(e).__name__
    failures.append(f"raised {type(e).__name__} (allowed: "
                    f"{', '.join(t.__name__ for t in ALLOWED_ERRORS)}): {str(e)[-400:]}")
  else:
    record["outcome"] = "ok"
    if call.expect == "error":
      failures.append(f"a faulty call was accepted ({'; '.join(call.faults)})")
    else:
      try:
        call.check(out, checks)
        if call.repeat:
          again = call.run()
          checks.check("same_seed_same_result", same_outputs(out, again),
                       "a second call with the same arguments gave other outputs")
      except Exception:  # pylint: disable=broad-except
        failures.append("the oracle check raised: " + traceback.format_exc()[-800:])
  failures.extend(checks.end_call())
  record["failures"] = failures
  return record


# ---------------------------------------------------------------- processes

def child_main(seed, ops, start, end, fd):
  """Runs calls [start, end) and reports each on file descriptor fd; never returns."""
  def send(obj):
    data = (json.dumps(obj) + "\n").encode()
    while data:
      data = data[os.write(fd, data):]
  status = 0
  try:
    fixtures = Fixtures(seed)
    for i in range(start, end):
      rng = np.random.default_rng([seed, 2, i])
      checks = oracle.Checks()
      b = Builder(rng, fixtures, ops[i])
      call = generator(ops[i])(b)
      send({"start": i, "op": call.op, "expect": call.expect, "faults": call.faults,
            "args": call.args})
      record = execute(call, checks)
      record.update(i=i, checks=dict(checks.items), known=dict(checks.known))
      send(record)
  except BaseException:  # pylint: disable=broad-except
    send({"harness_error": traceback.format_exc()[-3000:]})
    status = 3
  finally:
    os._exit(status)  # pylint: disable=protected-access


def run_fuzz(seed: int, num_calls: int, batch: int = 50) -> dict:
  """Runs the whole fuzz in forked children; returns the summary."""
  ops = schedule(seed, num_calls)
  summary = {"seed": seed, "calls": 0, "ok": 0, "refused": 0, "expected_ok": 0,
             "expected_error": 0, "checks": {}, "check_items": {}, "known_defects": {},
             "variants": {},
             "per_op": {}, "failures": [], "crashes": []}
  start = 0
  while start < len(ops):
    end = min(start + batch, len(ops))
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
      os.close(read_fd)
      child_main(seed, ops, start, end, write_fd)
    os.close(write_fd)
    started, finished, buffer, hung = None, start - 1, b"", False
    last = time.monotonic()
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
      while True:
        ready, _, _ = select.select([pipe], [], [], 5)
        if not ready:
          if time.monotonic() - last > CALL_TIMEOUT_S:
            hung = True
            os.kill(pid, signal.SIGKILL)
            break
          continue
        chunk = pipe.read(1 << 16)
        if not chunk:
          break
        last = time.monotonic()
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
          message = json.loads(line)
          if "start" in message:
            started = message
          elif "harness_error" in message:
            summary["failures"].append({"call": None, "op": None,
                                        "failures": [message["harness_error"]]})
          else:
            finished = message["i"]
            add_record(summary, message, started)
    _, status = os.waitpid(pid, 0)
    if started is not None and started["start"] > finished:
      # The child died (or hung) inside this call.
      what = ("hung for more than %d s" % CALL_TIMEOUT_S if hung else
              f"killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else
              f"exited with status {os.WEXITSTATUS(status)}")
      summary["crashes"].append({"call": started["start"], "op": started["op"], "what": what,
                                 "args": started["args"], "faults": started["faults"]})
      summary["calls"] += 1
      start = started["start"] + 1
    elif finished < end - 1:
      summary["crashes"].append({"call": finished + 1, "op": None, "what":
                                 f"the child stopped before its first call (status {status})"})
      start = finished + 2
    else:
      start = end
  return summary


def add_record(summary, record, started):
  summary["calls"] += 1
  op = summary["per_op"].setdefault(record["op"], {"ok": 0, "refused": 0})
  if record["outcome"] == "ok":
    summary["ok"] += 1
    op["ok"] += 1
    for tag in record["tags"]:
      summary["variants"][tag] = summary["variants"].get(tag, 0) + 1
  elif record["outcome"] == "refused":
    summary["refused"] += 1
    op["refused"] += 1
  summary["expected_ok" if record["expect"] == "ok" else "expected_error"] += 1
  for kind, n in record["checks"].items():
    summary["checks"][kind] = summary["checks"].get(kind, 0) + 1
    summary["check_items"][kind] = summary["check_items"].get(kind, 0) + n
  for kind, n in record["known"].items():
    summary["known_defects"][kind] = summary["known_defects"].get(kind, 0) + n
  if record["failures"]:
    summary["failures"].append({"call": record["i"], "op": record["op"],
                                "args": started["args"] if started else None,
                                "faults": record["faults"], "failures": record["failures"]})


def main(argv=None):
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--seed", type=int, default=20261121)
  parser.add_argument("--calls", type=int, default=1000)
  parser.add_argument("--batch", type=int, default=50)
  args = parser.parse_args(argv)
  summary = run_fuzz(args.seed, args.calls, args.batch)
  print(json.dumps(summary), flush=True)


if __name__ == "__main__":
  main()
