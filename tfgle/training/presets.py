"""Hyper-parameter presets of node classification, as data, and the settings they resolve to.

`PRESETS` holds one complete set of hyper-parameters per data set (under
"all") and per-model changes to it (under the model's name). `resolve` picks a
preset by name, applies the model's changes and then the caller's overrides
(the flags given on a command line), and checks the result. A name without a
preset is an error that lists the presets: there is no silent fallback.

The settings are named as the flags of examples/train_supervised.py, and
errors name them as those flags (`--eval_fanouts`).

Example:
  settings = tfgle.training.resolve_preset("citation", "ego_gat", {"epochs": 20})
  settings.hidden_dim   # 8, the citation preset for ego_gat
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

# Cora's presets follow the GCN/GAT papers: dropout on the inputs and hidden
# layers, L2 weight decay 5e-4, small hidden layers, model selection on val.
PRESETS: Mapping[str, Mapping[str, Mapping[str, Any]]] = {
    "synthetic": {
        "all": dict(epochs=5, batch_size=512, learning_rate=0.01, fanouts=[10, 5],
                    eval_fanouts=[10, 5], eval_batch_size=1000, hidden_dim=64, heads=4,
                    encoder_dim=0, dropout=0.0, attention_dropout=0.0, weight_decay=0.0,
                    multi_hot=[], aggregator="mean", sampling="random", head="dense"),
        "ego_gat": dict(hidden_dim=16),
        "gat": dict(hidden_dim=16),
    },
    "citation": {
        "all": dict(epochs=60, batch_size=32, learning_rate=0.01, fanouts=[10, 5],
                    eval_fanouts=[10, 5], eval_batch_size=500, hidden_dim=64, heads=8,
                    encoder_dim=0, dropout=0.5, attention_dropout=0.0, weight_decay=5e-4,
                    multi_hot=["words"], aggregator="mean", sampling="random", head="conv"),
        # The GCN normalization of the neighbor mean (degree-aware) suits Cora.
        "ego_graph_sage": dict(aggregator="gcn"),
        "ego_gat": dict(hidden_dim=8, learning_rate=0.005, dropout=0.6, attention_dropout=0.6,
                        epochs=100),
        "gat": dict(hidden_dim=8, learning_rate=0.005, dropout=0.6, attention_dropout=0.6,
                    epochs=100),
    },
}
HEADS = ("dense", "conv")


def _positive_ints(value) -> bool:
  return (isinstance(value, (list, tuple)) and bool(value) and
          all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value))


@dataclasses.dataclass(frozen=True)
class NodeClassificationSettings:
  """The hyper-parameters of a node classification run (see examples/train_supervised.py)."""
  model: str
  epochs: int
  batch_size: int
  learning_rate: float
  fanouts: tuple[int, ...]
  eval_fanouts: tuple[int, ...]
  eval_batch_size: int
  hidden_dim: int
  heads: int
  encoder_dim: int
  dropout: float
  attention_dropout: float
  weight_decay: float
  multi_hot: tuple[str, ...]
  aggregator: str
  sampling: str
  head: str

  def __post_init__(self):
    for name in ("epochs", "batch_size", "eval_batch_size", "hidden_dim", "heads"):
      value = getattr(self, name)
      if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"--{name} must be a positive int, got {value!r}")
    if isinstance(self.encoder_dim, bool) or not isinstance(self.encoder_dim, int) or (
        self.encoder_dim < 0):
      raise ValueError(f"--encoder_dim must be an int >= 0, got {self.encoder_dim!r}")
    for name in ("dropout", "attention_dropout"):
      value = getattr(self, name)
      if not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"--{name} must be a rate in [0, 1), got {value!r}")
    if not isinstance(self.learning_rate, (int, float)) or self.learning_rate <= 0:
      raise ValueError(f"--learning_rate must be a positive number, got {self.learning_rate!r}")
    if not isinstance(self.weight_decay, (int, float)) or self.weight_decay < 0:
      raise ValueError(f"--weight_decay must be a number >= 0, got {self.weight_decay!r}")
    if not _positive_ints(self.fanouts):
      raise ValueError(f"--fanouts must be positive ints, got {list(self.fanouts)}")
    if len(self.eval_fanouts) != len(self.fanouts) or not _positive_ints(self.eval_fanouts):
      raise ValueError(f"--eval_fanouts must be {len(self.fanouts)} positive ints (one per hop "
                       f"of --fanouts), got {list(self.eval_fanouts)}")
    if self.head not in HEADS:
      raise ValueError(f"--head must be one of {list(HEADS)}, got {self.head!r}")
    if self.head == "conv" and len(self.fanouts) < 2:
      raise ValueError("--head=conv needs at least 2 --fanouts (a hidden layer and the "
                       f"logits' layer), got {list(self.fanouts)}")
    object.__setattr__(self, "fanouts", tuple(self.fanouts))
    object.__setattr__(self, "eval_fanouts", tuple(self.eval_fanouts))
    object.__setattr__(self, "multi_hot", tuple(self.multi_hot))

  def as_dict(self) -> dict:
    """JSON-ready values."""
    out = dataclasses.asdict(self)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


SETTINGS = tuple(f.name for f in dataclasses.fields(NodeClassificationSettings)
                 if f.name != "model")


def resolve_preset(preset: str, model: str,
                   overrides: Mapping[str, Any] = None) -> NodeClassificationSettings:
  """The settings of preset `preset` for `model`, with `overrides` applied last.

  Args:
    preset: a name of PRESETS (usually the data set's).
    model: the model's name in the zoo; the preset's changes for it apply.
    overrides: setting name -> value (e.g. the flags given on a command line).

  Raises:
    ValueError: no preset `preset` (the message lists the presets), an
      unknown setting in overrides, or settings that do not fit together.
  """
  if preset not in PRESETS:
    raise ValueError(f"no hyper-parameter preset named {preset!r}; the presets are "
                     f"{sorted(PRESETS)}")
  unknown = sorted(set(overrides or {}) - set(SETTINGS))
  if unknown:
    raise ValueError(f"overrides must name settings among {list(SETTINGS)}, got {unknown}")
  values = dict(PRESETS[preset]["all"])
  values.update(PRESETS[preset].get(model, {}))
  values.update(overrides or {})
  return NodeClassificationSettings(model=model, **values)
