"""`EgoLayer`: one level of GLE's pyramid of hop-wise convolutions."""
from __future__ import annotations

from typing import Optional, Sequence

import tensorflow as tf

from tfgle.layers import _common


def unpack_hops(cls: str, inputs):
  """(hops, masks, relations) of an EgoLayer/EgoGNN inputs tuple, checked.

  inputs is (hops, masks) or (hops, masks, relations): hops[i] is hop i's
  embedding [B, k1, ..., ki, D], masks[i] its bool mask [B, k1, ..., ki] and
  relations[i] the relation ids [B, k1, ..., k(i+1)] of the edges from hop i to
  hop i+1 (so len(relations) == len(hops) - 1).
  """
  if not isinstance(inputs, (tuple, list)) or len(inputs) not in (2, 3):
    raise ValueError(f"{cls}: inputs must be (hops, masks) or (hops, masks, relations), "
                     f"got {type(inputs).__name__}")
  hops, masks = list(inputs[0]), list(inputs[1])
  relations = list(inputs[2]) if len(inputs) == 3 and inputs[2] is not None else None
  if len(hops) < 2:
    raise ValueError(f"{cls}: inputs needs at least 2 hops, got {len(hops)}")
  if len(masks) != len(hops):
    raise ValueError(f"{cls}: inputs has {len(hops)} hops but {len(masks)} masks; "
                     "give one mask per hop")
  if relations is not None and len(relations) != len(hops) - 1:
    raise ValueError(f"{cls}: inputs has {len(hops)} hops, so relations must have "
                     f"{len(hops) - 1} entries (one per hop after hop 0), got {len(relations)}")
  return hops, masks, relations


def _expand(mask: tf.Tensor, values: tf.Tensor) -> tf.Tensor:
  return mask[..., tf.newaxis] if values.shape.rank == mask.shape.rank + 1 else mask


@tf.keras.utils.register_keras_serializable(package="tfgle")
class EgoLayer(tf.keras.layers.Layer):
  """Applies an Ego convolution to every pair (hop i, hop i+1): m hops -> m - 1.

  Hop i's new embedding is conv_i((hops[i], hops[i+1], masks[i+1])): hop i+1
  (its neighbors, [..., k(i+1), D]) aggregated into hop i ([..., D]). Padding
  entries of every hop are zeroed first, so they reach no weights. One
  `conv` shared by all pairs suits homogeneous graphs; `convs` (one per pair)
  suits meta-paths whose hops have different node types. Convolutions with
  relations (EgoRGCNConv) also get relations[i].

  Example:
    level = tfgle.layers.EgoLayer(tfgle.layers.EgoSAGEConv(64))
    h0, h1 = level(([x0, x1, x2], [m0, m1, m2]))

  Args:
    conv: one Ego conv layer used for every pair, or None.
    convs: a list of Ego conv layers, one per pair, or None (give exactly one
      of conv and convs).

  Call args:
    inputs: (hops, masks) or (hops, masks, relations); see `unpack_hops`.

  Call returns:
    a list of len(hops) - 1 tensors: the new hop embeddings.

  Raises:
    ValueError: both or neither of conv/convs, or convs whose number does not
      match the number of hop pairs.
  """

  def __init__(self, conv: Optional[tf.keras.layers.Layer] = None, *,
               convs: Optional[Sequence[tf.keras.layers.Layer]] = None, **kwargs):
    super().__init__(**kwargs)
    if (conv is None) == (convs is None):
      raise ValueError("EgoLayer: give exactly one of conv (shared by every hop pair) and "
                       f"convs (one per hop pair), got conv={conv!r}, convs={convs!r}")
    for what, layer in ([("conv", conv)] if conv is not None else
                        [(f"convs[{i}]", c) for i, c in enumerate(convs)]):
      if not isinstance(layer, tf.keras.layers.Layer):
        raise ValueError(f"EgoLayer: {what} must be a Keras layer, got {layer!r}")
    if convs is not None and not convs:
      raise ValueError("EgoLayer: convs must not be empty")
    self.conv = conv
    self.convs = list(convs) if convs is not None else None

  def call(self, inputs, training=None):
    hops, masks, relations = unpack_hops("EgoLayer", inputs)
    pairs = len(hops) - 1
    if self.convs is not None and len(self.convs) != pairs:
      raise ValueError(f"EgoLayer: convs has {len(self.convs)} layers but inputs has "
                       f"{len(hops)} hops, i.e. {pairs} hop pairs")
    # Padding never reaches a convolution's weights, not even as a "self" input:
    # NaN padding would otherwise poison the gradients of x W_self.
    hops = [tf.where(_expand(tf.cast(m, tf.bool), h), h, tf.zeros_like(h))
            for h, m in zip(hops, masks)]
    outputs = []
    for i in range(pairs):
      conv = self.conv if self.convs is None else self.convs[i]
      if getattr(conv, "takes_relations", False):
        if relations is None:
          raise ValueError(f"EgoLayer: {conv.name} needs relations: pass inputs as "
                           "(hops, masks, relations)")
        conv_inputs = (hops[i], hops[i + 1], masks[i + 1], relations[i])
      else:
        conv_inputs = (hops[i], hops[i + 1], masks[i + 1])
      outputs.append(conv(conv_inputs, training=training))
    return outputs

  def get_config(self):
    config = super().get_config()
    config.update({
        "conv": None if self.conv is None else _common.serialize_layer(self.conv),
        "convs": None if self.convs is None else [
            _common.serialize_layer(c) for c in self.convs],
    })
    return config

  @classmethod
  def from_config(cls, config):
    config = dict(config)
    if config.get("conv") is not None:
      config["conv"] = _common.deserialize_layer(config["conv"])
    if config.get("convs") is not None:
      config["convs"] = [_common.deserialize_layer(c) for c in config["convs"]]
    return cls(**config)
