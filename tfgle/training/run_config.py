"""One model directory, one run configuration: a directory is reused only to resume its run.

A binary records its run configuration (the values that change the model or
its data: data set, model, hyper-parameters, seed) in `run_config.json`
beside the checkpoints before it trains. Started again on the same
`--model_dir` with the same configuration, it resumes (or repeats) that run;
with a different one it is refused, instead of mixing the checkpoints, backup
and best weights of two runs.

Example:
  tfgle.training.claim_model_dir(model_dir, {"binary": "train_supervised", ...})
"""
from __future__ import annotations

import json
import os
from typing import Any, Mapping

RUN_CONFIG_FILE = "run_config.json"


class ModelDirInUseError(ValueError):
  """A model directory that holds another run configuration's training."""


def _plain(config: Mapping[str, Any]) -> dict:
  return json.loads(json.dumps(dict(config), sort_keys=True))


def _differences(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str = "") -> list[str]:
  out = []
  for key in sorted(set(old) | set(new)):
    a, b = old.get(key, "<unset>"), new.get(key, "<unset>")
    if isinstance(a, dict) and isinstance(b, dict):
      out += _differences(a, b, f"{prefix}{key}.")
    elif a != b:
      out.append(f"{prefix}{key}: {a!r} -> {b!r}")
  return out


def claim_model_dir(model_dir: str, config: Mapping[str, Any], *, write: bool = True) -> bool:
  """Checks that `model_dir` is fresh or holds `config`'s run; records `config` there.

  Args:
    model_dir: the run's model directory (created if missing).
    config: the run configuration: JSON-serializable values that change the
      model or its data (not the directory, logging or the number of epochs).
    write: record `config` (on the chief; other tasks only check).

  Returns:
    True when `model_dir` already held this configuration's run.

  Raises:
    ModelDirInUseError: `model_dir` holds a run of another configuration;
      the message names the values that differ.
    ValueError: `config` is not JSON-serializable, or the recorded file is
      not a JSON object.
  """
  try:
    config = _plain(config)
  except TypeError as e:
    raise ValueError(f"config must be JSON-serializable, got {config!r}: {e}") from e
  path = os.path.join(model_dir, RUN_CONFIG_FILE)
  known = os.path.exists(path)
  if known:
    try:
      with open(path) as f:
        recorded = json.load(f)
    except ValueError as e:
      raise ValueError(f"{path} is not a JSON run configuration: {e}") from e
    if not isinstance(recorded, dict):
      raise ValueError(f"{path} is not a JSON object, got {recorded!r}")
    differences = _differences(recorded, config)
    if differences:
      raise ModelDirInUseError(
          f"model directory {model_dir} holds a run of another configuration "
          f"({'; '.join(differences)}): resume it with the flags it was started with, or "
          "train into a fresh model directory")
  if write and not known:
    os.makedirs(model_dir, exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
      json.dump(config, f, indent=2, sort_keys=True)
      f.write("\n")
    os.replace(tmp, path)
  return known
