"""`EgoGNN`: a stack of EgoLayers, GLE's pyramid from K hops down to hop 0."""
from __future__ import annotations

from typing import Sequence

import tensorflow as tf

from tfgle.layers import _common
from tfgle.layers.ego_layer import EgoLayer, is_distinct, unpack_hops


@tf.keras.utils.register_keras_serializable(package="tfgle")
class EgoGNN(tf.keras.layers.Layer):
  """K levels of hop-wise convolutions over a K-hop EgoGraph.

  Level j (0-based) turns K + 1 - j hop embeddings into K - j: hop i aggregates
  hop i+1. After the last level only hop 0 is left: the embedding of the batch's
  seed nodes. Between levels the `activation` is applied; every level's inputs
  go through dropout when training.

  Example:
    gnn = tfgle.layers.EgoGNN([
        tfgle.layers.EgoSAGEConv(64),   # level 0: K hops -> K - 1
        tfgle.layers.EgoSAGEConv(7),    # level 1
    ], activation="relu", dropout=0.5)
    logits = gnn(([x0, x1, x2], [m0, m1, m2]))   # -> [B, 7]

  Args:
    layers: one entry per level: an `EgoLayer`, or an Ego conv layer (wrapped
      in an EgoLayer that shares it across the level's hop pairs).
    activation: applied between levels (not after the last).
    dropout: dropout rate on every level's inputs while training.
    dropout_inputs: False leaves the first level's inputs alone (for callers
      that drop out the features themselves, before projecting them).

  Call args:
    inputs: (hops, masks) or (hops, masks, relations) with len(hops) ==
      len(layers) + 1: hops[i] [B, k1, ..., ki, D_i], masks[i] bool
      [B, k1, ..., ki], relations[i] int [B, k1, ..., k(i+1)].
      A hop may be given as (nodes, positions); see `EgoLayer`.
    training: enables dropout.
    depth: run only the first `depth` levels (default: all of them).

  Call returns:
    hop 0's embedding [B, D] (after `depth` levels).

  Raises:
    ValueError: no layers, a bad dropout rate, a number of hops that is not
      len(layers) + 1, or a depth outside [1, len(layers)].
  """

  def __init__(self, layers: Sequence[tf.keras.layers.Layer], *, activation=None,
               dropout: float = 0.0, dropout_inputs: bool = True, **kwargs):
    super().__init__(**kwargs)
    if isinstance(layers, tf.keras.layers.Layer) or not isinstance(layers, (list, tuple)):
      raise ValueError(f"EgoGNN: layers must be a list of EgoLayers or Ego convs, got {layers!r}")
    if not layers:
      raise ValueError("EgoGNN: layers must not be empty")
    levels = []
    for i, layer in enumerate(layers):
      if not isinstance(layer, tf.keras.layers.Layer):
        raise ValueError(f"EgoGNN: layers[{i}] must be a Keras layer, got {layer!r}")
      levels.append(layer if isinstance(layer, EgoLayer) else EgoLayer(layer))
    self.ego_layers = levels
    self.activation = tf.keras.activations.get(activation)
    self.dropout = _common.check_rate("EgoGNN", "dropout", dropout)
    self.dropout_inputs = bool(dropout_inputs)
    self._dropout = tf.keras.layers.Dropout(self.dropout, dtype=self.dtype_policy)

  @property
  def num_hops(self) -> int:
    """The number of hops (after hop 0) the inputs must have."""
    return len(self.ego_layers)

  def call(self, inputs, training=None, depth=None):
    hops, masks, relations = unpack_hops("EgoGNN", inputs)
    if len(hops) != self.num_hops + 1:
      raise ValueError(f"EgoGNN: {self.num_hops} levels need inputs with "
                       f"{self.num_hops + 1} hops, got {len(hops)}")
    if depth is None:
      depth = self.num_hops
    elif isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= self.num_hops:
      raise ValueError(f"EgoGNN: depth must be an int in [1, {self.num_hops}] (the number of "
                       f"levels to run), got {depth!r}")
    for j, level in enumerate(self.ego_layers[:depth]):
      if j > 0:
        hops = [self.activation(h) for h in hops]
      if self.dropout and (j > 0 or self.dropout_inputs):
        hops = self._drop(hops, training)
      n = len(hops)
      level_inputs = (hops, masks[:n]) if relations is None else (
          hops, masks[:n], relations[:n - 1])
      hops = level(level_inputs, training=training)
    return hops[0]

  def _drop(self, hops, training):
    """Dropout of every hop; hops given as distinct nodes share one mask per node."""
    dropped = {}
    out = []
    for hop in hops:
      if not is_distinct(hop):
        out.append(self._dropout(hop, training=training))
        continue
      nodes, positions = hop
      if id(nodes) not in dropped:
        dropped[id(nodes)] = (nodes, self._dropout(nodes, training=training))
      out.append((dropped[id(nodes)][1], positions))
    return out

  def get_config(self):
    config = super().get_config()
    config.update({
        "layers": [_common.serialize_layer(layer) for layer in self.ego_layers],
        "activation": tf.keras.activations.serialize(self.activation),
        "dropout": self.dropout,
        "dropout_inputs": self.dropout_inputs,
    })
    return config

  @classmethod
  def from_config(cls, config):
    config = dict(config)
    config["layers"] = [_common.deserialize_layer(c) for c in config["layers"]]
    return cls(**config)
