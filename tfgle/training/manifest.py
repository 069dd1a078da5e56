"""The model manifest: what a trained model needs to be used again (`model_info.json`).

A training run writes `ModelManifest` next to its saved model; an export
(examples/export_embeddings.py) reads it back to rebuild the graph and the
batches the model embeds. The manifest is typed: `read_manifest` checks the
format version, every field and its type, and says what is wrong with a
missing or malformed file instead of failing on a missing key later.

Example:
  manifest = tfgle.training.read_manifest(model_dir)
  graph, _ = tfgle.training.load_graph(tfgle.training.DataConfig.from_dict(manifest.data))
  tower = manifest.tower()
  ds = tfgle.data.ego_graph_dataset(graph, tower.node_type, tower.meta_path,
                                  manifest.eval_fanouts, label=False,
                                  features=manifest.features)
  embeddings = getattr(model, tower.method)(next(iter(ds)))
"""
from __future__ import annotations

import dataclasses
import json
import os
from typing import Any, Mapping, Optional

MANIFEST_FILE = "model_info.json"
# Version 1 was the link-prediction binary's untyped model_info.json.
FORMAT_VERSION = 2
TASKS = ("node_classification", "link_prediction")
BATCH_KINDS = ("ego_graph", "subgraph")


class ManifestError(ValueError):
  """A model directory whose manifest is missing or malformed."""


class MissingManifestError(ManifestError):
  """A directory that holds no trained model (no manifest)."""


def _strings(where: str, value: Any) -> tuple[str, ...]:
  if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)) or not all(
      isinstance(v, str) for v in value):
    raise ValueError(f"{where} must be a list of strings, got {value!r}")
  return tuple(value)


def _positive_ints(where: str, value: Any) -> tuple[int, ...]:
  if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)) or not value or any(
      isinstance(v, bool) or not isinstance(v, int) or v <= 0 for v in value):
    raise ValueError(f"{where} must be a non-empty list of positive ints, got {value!r}")
  return tuple(value)


def _string(where: str, value: Any, allowed: Optional[tuple[str, ...]] = None) -> str:
  if not isinstance(value, str) or not value or (allowed and value not in allowed):
    expected = f"one of {list(allowed)}" if allowed else "a non-empty string"
    raise ValueError(f"{where} must be {expected}, got {value!r}")
  return value


def _mapping(where: str, value: Any) -> dict:
  if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
    raise ValueError(f"{where} must be a mapping with string keys, got {value!r}")
  return dict(value)


@dataclasses.dataclass(frozen=True)
class Tower:
  """How the model embeds one kind of node: EgoGraphs of `node_type` along `meta_path`.

  Attributes:
    node_type: the node type embedded (hop 0 of the EgoGraphs).
    meta_path: the edge types followed from hop 0, one per hop.
    hop_node_types: the node type of every hop, hop 0 first.
    method: the model's method that maps a batch to embeddings [B, D]
      (`embed`, or `embed_users` / `embed_items` for two towers).
  """
  node_type: str
  meta_path: tuple[str, ...]
  hop_node_types: tuple[str, ...]
  method: str = "embed"

  def __post_init__(self):
    _string("Tower.node_type", self.node_type)
    object.__setattr__(self, "meta_path", _strings("Tower.meta_path", self.meta_path))
    hops = _strings("Tower.hop_node_types", self.hop_node_types)
    if len(hops) != len(self.meta_path) + 1:
      raise ValueError(f"Tower.hop_node_types must name {len(self.meta_path) + 1} node types "
                       f"(hop 0 and one per edge of the meta-path), got {list(hops)}")
    object.__setattr__(self, "hop_node_types", hops)
    _string("Tower.method", self.method)


@dataclasses.dataclass(frozen=True)
class ModelManifest:
  """What a trained model needs to be used again, written as `model_info.json`.

  Load the model with `tf.keras.models.load_model(os.path.join(model_dir,
  manifest.saved_model))` after `import tfgle.models`.

  Attributes:
    task: "node_classification" or "link_prediction".
    model: the model's name in the zoo (e.g. "ego_graph_sage").
    model_class: the model class's registered Keras name (e.g. "tfgle>EgoGraphSAGE").
    batch: the batches the model takes: "ego_graph" or "subgraph".
    data: what rebuilds the graph it was trained on (`DataConfig.to_dict()`).
    towers: name -> Tower: one ("node") for a node classifier, "user" and
      "item" for a two-tower model.
    edge_type: (source type, destination type, name): the edges sampled
      (node classification) or predicted (link prediction).
    fanouts: neighbors sampled per hop in training.
    features: node type -> the attributes its hops gather.
    embedding_dim: width D of the embeddings.
    eval_fanouts: neighbors per hop when embedding (default: fanouts).
    sampling: the neighbor sampling strategy in training.
    eval_strategy: the neighbor sampling strategy when embedding.
    num_classes: classes of a node classifier (None for link prediction).
    multi_hot: attributes encoded multi-hot instead of embedded.
    settings: the run's hyper-parameters (for the record).
    saved_model: the SavedModel's directory, relative to the model directory.
    format_version: FORMAT_VERSION.
  """
  task: str
  model: str
  model_class: str
  batch: str
  data: Mapping[str, Any]
  towers: Mapping[str, Tower]
  edge_type: tuple[str, str, str]
  fanouts: tuple[int, ...]
  features: Mapping[str, tuple[str, ...]]
  embedding_dim: int
  eval_fanouts: Optional[tuple[int, ...]] = None
  sampling: str = "random"
  eval_strategy: str = "random"
  num_classes: Optional[int] = None
  multi_hot: tuple[str, ...] = ()
  settings: Mapping[str, Any] = dataclasses.field(default_factory=dict)
  saved_model: str = "model"
  format_version: int = FORMAT_VERSION

  def __post_init__(self):
    def put(name, value):
      object.__setattr__(self, name, value)
    if self.format_version != FORMAT_VERSION:
      raise ValueError(f"format_version must be {FORMAT_VERSION}, got {self.format_version!r}")
    _string("task", self.task, TASKS)
    for name in ("model", "model_class", "sampling", "eval_strategy", "saved_model"):
      _string(name, getattr(self, name))
    _string("batch", self.batch, BATCH_KINDS)
    put("data", _mapping("data", self.data))
    towers = _mapping("towers", self.towers)
    if not towers:
      raise ValueError("towers must name at least one Tower, got {}")
    put("towers", {name: tower if isinstance(tower, Tower) else Tower(**_mapping(
        f"towers[{name!r}]", tower)) for name, tower in towers.items()})
    edge_type = _strings("edge_type", self.edge_type)
    if len(edge_type) != 3:
      raise ValueError(f"edge_type must be [source type, destination type, name], got "
                       f"{self.edge_type!r}")
    put("edge_type", edge_type)
    put("fanouts", _positive_ints("fanouts", self.fanouts))
    put("eval_fanouts", _positive_ints("eval_fanouts", self.eval_fanouts or self.fanouts))
    if len(self.eval_fanouts) != len(self.fanouts):
      raise ValueError(f"eval_fanouts must have one entry per hop of fanouts {list(self.fanouts)}"
                       f", got {list(self.eval_fanouts)}")
    put("features", {t: _strings(f"features[{t!r}]", names)
                     for t, names in _mapping("features", self.features).items()})
    for name, value in (("embedding_dim", self.embedding_dim), ("num_classes", self.num_classes)):
      if (value is not None or name == "embedding_dim") and (
          isinstance(value, bool) or not isinstance(value, int) or value <= 0):
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    put("multi_hot", _strings("multi_hot", self.multi_hot))
    put("settings", _mapping("settings", self.settings))

  def tower(self, name: Optional[str] = None) -> Tower:
    """The tower `name`; without a name, the only one.

    Raises:
      KeyError: no tower `name`, or no name given and the model has several.
    """
    if name is None and len(self.towers) == 1:
      return next(iter(self.towers.values()))
    if name not in self.towers:
      raise KeyError(f"tower must be one of {sorted(self.towers)}, got {name!r}")
    return self.towers[name]

  def to_dict(self) -> dict:
    """The manifest as JSON-ready values."""
    return json.loads(json.dumps(dataclasses.asdict(self)))

  @classmethod
  def from_dict(cls, values: Mapping[str, Any]) -> "ModelManifest":
    """The manifest of `to_dict()` values.

    Raises:
      ValueError: another format version, a missing or unknown key, or a bad value.
    """
    if not isinstance(values, Mapping):
      raise ValueError(f"a manifest must be a JSON object, got {type(values).__name__}")
    version = values.get("format_version")
    if version != FORMAT_VERSION:
      raise ValueError(f"format_version is {version!r}, but this tfgle reads manifests of "
                       f"version {FORMAT_VERSION}: train the model again with this tfgle")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    required = [name for name, f in fields.items() if f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING]
    missing = [name for name in required if name not in values]
    unknown = sorted(set(values) - set(fields))
    if missing or unknown:
      raise ValueError(f"missing keys {missing}, unknown keys {unknown}")
    return cls(**values)


def manifest_path(directory: str) -> str:
  """The manifest file of a model directory."""
  return os.path.join(directory, MANIFEST_FILE)


def write_manifest(directory: str, manifest: ModelManifest) -> str:
  """Writes `manifest` to `directory`/model_info.json (atomically); returns the path."""
  if not isinstance(manifest, ModelManifest):
    raise TypeError(f"manifest must be a ModelManifest, got {type(manifest).__name__}")
  path = manifest_path(directory)
  tmp = f"{path}.tmp-{os.getpid()}"
  with open(tmp, "w") as f:
    json.dump(manifest.to_dict(), f, indent=2, sort_keys=True)
    f.write("\n")
  os.replace(tmp, path)
  return path


def read_manifest(directory: str) -> ModelManifest:
  """The manifest of the model trained into `directory`.

  Raises:
    MissingManifestError: `directory` does not exist or holds no trained
      model; the message names it and says to train first.
    ManifestError: the manifest is not JSON, or not a valid manifest of this
      format version; the message names the file and what is wrong.
  """
  path = manifest_path(directory)
  if not os.path.isfile(path):
    why = ("does not exist" if not os.path.isdir(directory) else
           f"holds no trained model (no {MANIFEST_FILE})")
    raise MissingManifestError(
        f"model directory {directory} {why}: train a model into it first (e.g. "
        f"examples/train_supervised.py --model_dir={directory}), then export from it")
  try:
    with open(path) as f:
      values = json.load(f)
  except (OSError, ValueError) as e:
    raise ManifestError(f"{path} is not a readable JSON manifest: {e}") from e
  try:
    return ModelManifest.from_dict(values)
  except (TypeError, ValueError) as e:
    raise ManifestError(f"{path} is not a valid model manifest: {e}") from e
