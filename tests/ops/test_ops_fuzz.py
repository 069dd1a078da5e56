"""The op fuzz with an oracle: every public and raw tfgle op, random calls, checked outputs.

tests/ops/fuzz_harness.py makes about a thousand seeded calls (each op at least
a dozen times) in forked children, so a crash or hang is caught and reported
with the call's arguments. Valid calls must succeed and match the numpy oracle
of tests/ops/fuzz_oracle.py (shapes, masks and padding, real edges of the right
table, the time filter, distinct edges, topk order, full neighbor lists,
negatives that are no neighbors, degrees, lookups, fingerprints, table
updates on fresh tables against a rebuilt oracle, random walks along real
edges, same seed => same outputs); faulty calls must raise an allowed error. This test runs it in a
subprocess, prints its counts as one JSON line and asserts that nothing failed
and that every kind of check ran.

Run by hand: python -m tests.ops.fuzz_harness --seed 20261121 --calls 1000
"""
import json
import os
import subprocess
import sys

from tests.ops import fuzz_calls

_SEED = 20261121
_CALLS = 1000

# The least number of calls in which each kind of check must have run.
_MIN_CHECKS = {
    # fixed-fanout samples (sample_neighbors, sample_fanouts, Sampler, raw ops)
    "shape": 300, "dtype": 50, "row_count": 150, "mask_padding": 100, "padding_values": 100,
    "real_edge": 150, "time_filter": 25, "distinct": 80, "all_when_few": 10, "topk_order": 25,
    "weight_positive": 5, "edge_ids_none": 80, "padding_children": 5, "fanout_hop0": 25,
    # full neighbor lists
    "full_list": 30, "full_order": 30,
    # negatives
    "negative_none_drawable": 60, "negative_in_range": 60, "negative_support": 60,
    "negative_not_neighbor": 60, "negative_give_up": 10, "negative_give_up_all": 3,
    # tables, id maps, distributions
    "neighbors": 25, "degree": 25, "edges_at": 15, "csr_info": 20, "fingerprint": 25,
    "lookup": 20, "id_map_size": 10, "init_once": 15, "uninitialized_refused": 5,
    "table_memory": 3, "distribution": 5,
    # table updates on fresh tables (append, remove_before, versions, id map append)
    "version": 30, "append": 15, "remove_before": 8, "id_map_append": 10,
    # random walks: starts in column 0, real edges of the step's table or -1, mask
    "walk_start": 30, "walk_step": 30, "walk_mask": 30,
    # every sampling call, twice
    "same_seed_same_result": 300,
}
# The least number of successful valid calls of each variant (fuzz_calls.variant_tags).
_MIN_VARIANTS = {
    "reverse": 15, "before": 25, "circular": 30, "no_edge_ids": 20, "max_neighbors": 10,
    "empty_batch": 20, "strategy=random": 30, "strategy=random_without_replacement": 20,
    "strategy=edge_weight": 10, "strategy=topk": 20, "strategy=in_degree": 20,
    "strategy=node_weight": 8, "strategy=conditional": 8,
}


def _format(summary, limit=10):
  lines = []
  for crash in summary["crashes"][:limit]:
    lines.append(f"CRASH in call {crash['call']} ({crash['op']}): {crash['what']}; "
                 f"faults {crash.get('faults')}; args {crash.get('args')}")
  for failure in summary["failures"][:limit]:
    lines.append(f"FAILED call {failure['call']} ({failure['op']}) faults {failure.get('faults')}"
                 f" args {failure.get('args')}:\n    " + "\n    ".join(failure["failures"]))
  more = len(summary["crashes"]) + len(summary["failures"]) - len(lines)
  return "\n".join(lines) + (f"\n... and {more} more" if more > 0 else "")


def test_ops_fuzz_with_oracle():
  repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
  env = dict(os.environ, PYTHONPATH=repo + os.pathsep + os.environ.get("PYTHONPATH", ""),
             TF_CPP_MIN_LOG_LEVEL="3", TF_USE_LEGACY_KERAS="1")
  proc = subprocess.run(
      [sys.executable, "-m", "tests.ops.fuzz_harness", "--seed", str(_SEED),
       "--calls", str(_CALLS)],
      cwd=repo, env=env, capture_output=True, text=True, timeout=1200, check=False)
  assert proc.returncode == 0, (f"the fuzz harness died with status {proc.returncode}:\n"
                                f"{proc.stderr[-5000:]}")
  summary = json.loads(proc.stdout.strip().splitlines()[-1])
  print(json.dumps({key: summary[key] for key in (
      "seed", "calls", "ok", "refused", "expected_ok", "expected_error", "checks",
      "variants", "known_defects")}))

  assert not summary["crashes"] and not summary["failures"], _format(summary)
  assert summary["calls"] >= 500
  # Both outcomes in bulk: valid calls that succeed, faulty ones that are refused.
  assert summary["ok"] >= 0.4 * summary["calls"], summary
  assert summary["refused"] >= 0.25 * summary["calls"], summary
  # Every public and raw op was called, and both succeeded and was refused.
  ops = set(fuzz_calls.all_ops())
  assert {f"raw.{name}" for name in fuzz_calls.RAW_OPS} <= ops
  assert len(fuzz_calls.RAW_OPS) >= 18, fuzz_calls.RAW_OPS
  per_op = summary["per_op"]
  assert sorted(ops - set(per_op)) == []
  lacking = {op: counts for op, counts in per_op.items()
             if counts["ok"] == 0 or counts["refused"] == 0}
  assert not lacking, f"ops never accepted or never refused: {lacking}"
  # Every kind of check ran, in enough calls that the fuzz cannot pass by checking nothing.
  too_few = {kind: (summary["checks"].get(kind, 0), least)
             for kind, least in _MIN_CHECKS.items() if summary["checks"].get(kind, 0) < least}
  assert not too_few, f"checks that ran in too few calls (ran, least): {too_few}"
  too_few = {tag: (summary["variants"].get(tag, 0), least)
             for tag, least in _MIN_VARIANTS.items() if summary["variants"].get(tag, 0) < least}
  assert not too_few, f"variants checked in too few calls (ran, least): {too_few}"
