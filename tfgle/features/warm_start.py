"""Warm starts on a grown graph: a model's weights into the same model built for more rows.

After nodes are added (tfgle.Graph.add_nodes) a model rebuilt from the graph
has larger id-embedding tables, and a graph built again from grown tables may
have larger categorical vocabularies. `warm_start` copies a trained model's
weights into such a model: every weight of the same shape as is; embedding
tables row by row — node-id rows by index (updates append nodes, so old
indices keep their meaning), the out-of-range row to its new place, and
categorical rows by their vocabulary value (a vocabulary may also reorder).
Rows of new nodes and new categories keep their fresh initial values.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf

from tfgle.features import specs as specs_lib
from tfgle.features.feature_encoder import FeatureEncoder


@dataclasses.dataclass
class WarmStartReport:
  """What warm_start did: weights copied whole, tables grown (name -> (old, new rows))."""
  copied: int = 0
  grown: dict = dataclasses.field(default_factory=dict)


def warm_start(model: tf.keras.Model, trained: tf.keras.Model) -> WarmStartReport:
  """Copies the weights of `trained` into `model` (the same architecture, maybe more rows).

  Both models must be built. Weights are paired in order (the same class and
  arguments give the same order); feature-encoder tables are matched by
  table name.

  Raises:
    ValueError: the models' weights do not pair up (another architecture), a
      weight other than an embedding table changed shape, or a table shrank.
  """
  for which, m in (("model", model), ("trained", trained)):
    if not m.built or not m.weights:
      raise ValueError(f"warm_start: {which} must be built (call it on a batch) first")
  if len(model.weights) != len(trained.weights):
    raise ValueError(f"warm_start: the models have {len(model.weights)} and "
                     f"{len(trained.weights)} weights; they must be the same architecture")
  row_maps = {}
  for new_encoder, old_encoder in zip(_encoders(model), _encoders(trained)):
    for key, table in new_encoder.tables.items():
      if key in old_encoder.tables:
        row_maps[id(table.embeddings)] = (key, _rows(new_encoder, old_encoder, key))
  report = WarmStartReport()
  for new, old in zip(model.weights, trained.weights):
    value = old.numpy()
    if tuple(new.shape) == value.shape and id(new) not in row_maps:
      new.assign(value)
      report.copied += 1
      continue
    if id(new) not in row_maps:
      raise ValueError(f"warm_start: weight {new.name} has shape {tuple(new.shape)} but the "
                       f"trained one {value.shape}; only embedding tables may grow")
    key, (new_rows, old_rows) = row_maps[id(new)]
    if value.shape[1:] != tuple(new.shape[1:]):
      raise ValueError(f"warm_start: table {key!r} has width {new.shape[1]} but the trained "
                       f"one {value.shape[1]}")
    table = new.numpy()
    table[new_rows] = value[old_rows]
    new.assign(table)
    if value.shape[0] == new.shape[0] and np.array_equal(new_rows, old_rows):
      report.copied += 1
    else:
      report.grown[key] = (value.shape[0], int(new.shape[0]))
  return report


def _encoders(model) -> list:
  return [m for m in model._flatten_layers(include_self=False)  # pylint: disable=protected-access
          if isinstance(m, FeatureEncoder)]


def _rows(new: FeatureEncoder, old: FeatureEncoder, key: str):
  """(rows of the new table, rows of the old table) that hold the same thing."""
  new_spec = next(s for n, s in new.features.items() if _uses(new, n, s, key))
  old_spec = next(s for n, s in old.features.items() if _uses(old, n, s, key))
  old_size, new_size = specs_lib.table_rows(old_spec), specs_lib.table_rows(new_spec)
  if new_size < old_size:
    raise ValueError(f"warm_start: table {key!r} has {new_size} rows but the trained one "
                     f"{old_size}; tables may only grow")
  if isinstance(new_spec, specs_lib.IdSpec) and new_spec.num_ids is not None:
    # Rows 0..num_ids-1 by index, then the one out-of-range row.
    old_n = old_spec.num_ids
    return (np.append(np.arange(old_n), new_spec.num_ids), np.arange(old_n + 1))
  if (isinstance(new_spec, specs_lib.CategoricalSpec) and new_spec.vocab is not None and
      getattr(old_spec, "vocab", None) is not None):
    # Id 0 is out of vocabulary; a value's id is its vocabulary position + 1.
    position = {v: i + 1 for i, v in enumerate(new_spec.vocab)}
    kept = [(position[v], i + 1) for i, v in enumerate(old_spec.vocab) if v in position]
    new_rows = np.array([0] + [n for n, _ in kept], np.int64)
    old_rows = np.array([0] + [o for _, o in kept], np.int64)
    return new_rows, old_rows
  return np.arange(old_size), np.arange(old_size)   # hashed or sized ids: same positions


def _uses(encoder, name, spec, key) -> bool:
  return specs_lib.has_table(spec) and encoder.table_name(name, spec) == key
