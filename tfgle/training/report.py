"""The final report of a training binary: one "final metrics: {json}" line and a JSON file."""
from __future__ import annotations

import json
import os
from typing import Any, Mapping, Optional

import tensorflow as tf

from tfgle import distribute

PREFIX = "final metrics: "


def report_metrics(metrics: Mapping[str, Any], strategy: tf.distribute.Strategy,
                   metrics_json: Optional[str] = None) -> str:
  """Prints `metrics` (plus num_replicas) as one line; the chief also writes `metrics_json`.

  Returns:
    The JSON line printed after PREFIX.
  """
  line = json.dumps(dict(metrics, num_replicas=strategy.num_replicas_in_sync), sort_keys=True,
                    default=float)
  print(f"{PREFIX}{line}", flush=True)
  if metrics_json and distribute.is_chief(strategy):
    os.makedirs(os.path.dirname(os.path.abspath(metrics_json)), exist_ok=True)
    with open(metrics_json, "w") as f:
      f.write(line + "\n")
  return line
