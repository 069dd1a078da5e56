"""The final report of a training binary: a short human summary, one "final metrics: {json}"
line and a JSON file."""
from __future__ import annotations

import json
import os
import re
from typing import Any, Mapping, Optional

import tensorflow as tf

from tfgle import distribute

PREFIX = "final metrics: "
# The metrics a summary shows: test results and the ranking metrics with their baselines.
_SUMMARIZED = re.compile(r"^(test_(?!loss).*|.*_at_\d+|recall_lift|final_val_accuracy)$")
# Where the run put things.
_PLACES = {"model_dir": "model directory", "graph_snapshot": "graph snapshot",
           "export": "exports"}


def report_metrics(metrics: Mapping[str, Any], strategy: tf.distribute.Strategy,
                   metrics_json: Optional[str] = None) -> str:
  """Prints `metrics` (plus num_replicas) as one line; the chief also writes `metrics_json`.

  Returns:
    The JSON line printed after PREFIX.
  """
  line = json.dumps(dict(metrics, num_replicas=strategy.num_replicas_in_sync), sort_keys=True,
                    default=float)
  print(summary(metrics), flush=True)
  print(f"{PREFIX}{line}", flush=True)
  if metrics_json and distribute.is_chief(strategy):
    os.makedirs(os.path.dirname(os.path.abspath(metrics_json)), exist_ok=True)
    with open(metrics_json, "w") as f:
      f.write(line + "\n")
  return line


def summary(metrics: Mapping[str, Any]) -> str:
  """A few lines for a person: the test metrics and where the model and exports went."""
  lines = ["Results:"]
  for key in sorted(metrics):
    value = metrics[key]
    if _SUMMARIZED.match(key) and isinstance(value, (int, float)) and not isinstance(value, bool):
      lines.append(f"  {key.replace('_', ' '):<28} {value:.4f}")
  for key, what in _PLACES.items():
    place = metrics.get(key)
    if isinstance(place, Mapping):  # an export: {tower: {what: path}} or {what: path}
      paths = list(_paths(place))
      place = os.path.commonpath(paths) if paths else None
    if place:
      lines.append(f"  {what:<28} {place}")
  return "\n".join(lines)


def _paths(value):
  """The absolute paths among the string leaves of a nested mapping."""
  if isinstance(value, Mapping):
    for item in value.values():
      yield from _paths(item)
  elif isinstance(value, str) and os.path.isabs(value):
    yield value
