"""`EgoLayer`: one level of GLE's pyramid of hop-wise convolutions."""
from __future__ import annotations

import inspect
from typing import Optional, Sequence

import tensorflow as tf

from tfgle.layers import _common
from tfgle.layers import aggregation


def unpack_hops(cls: str, inputs):
  """(hops, masks, relations) of an EgoLayer/EgoGNN inputs tuple, checked.

  inputs is (hops, masks) or (hops, masks, relations): hops[i] is hop i's
  embedding [B, k1, ..., ki, D], masks[i] its bool mask [B, k1, ..., ki] and
  relations[i] the per-edge inputs of the edges from hop i to hop i+1 (so
  len(relations) == len(hops) - 1): relation ids [B, k1, ..., k(i+1)]
  (EgoRGCNConv), time spans (EgoTGATConv) or edge features
  [B, k1, ..., k(i+1), F] (convs that take edge features).
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


def is_distinct(hop) -> bool:
  """Whether a hop is given as (nodes [U, D], positions [B, k1..ki]): hop = nodes[positions]."""
  return isinstance(hop, (tuple, list))


def gather_hop(hop, mask: tf.Tensor):
  """A hop's (or pretransformed hop's) values [B, k1..ki, ...] with padding zeroed.

  `hop` is a tensor, or (nodes, positions) whose nodes may be a nest of tensors.
  """
  if is_distinct(hop):
    nodes, positions = hop
    return tf.nest.map_structure(
        lambda v: aggregation.zero_masked(tf.gather(v, positions), mask), nodes)
  return aggregation.zero_masked(hop, mask)


def _takes_padding_zeroed(conv) -> bool:
  """Whether conv.call takes padding_zeroed= (EgoConv's, and a subclass's that keeps it)."""
  return "padding_zeroed" in inspect.signature(conv.call).parameters


@tf.keras.utils.register_keras_serializable(package="tfgle")
class EgoLayer(tf.keras.layers.Layer):
  """Applies an Ego convolution to every pair (hop i, hop i+1): m hops -> m - 1.

  Hop i's new embedding is conv_i((hops[i], hops[i+1], masks[i+1])): hop i+1
  (its neighbors, [..., k(i+1), D]) aggregated into hop i ([..., D]). Padding
  entries of every hop are zeroed first, so they reach no weights. One
  `conv` shared by all pairs suits homogeneous graphs; `convs` (one per pair)
  suits meta-paths whose hops have different node types. Convolutions with
  relations (EgoRGCNConv) also get relations[i], and so do those that take
  edge features (EgoGATConv(use_edge_features=True), EgoMPNNConv): there the
  slot holds the edges' features.

  Example:
    level = tfgle.layers.EgoLayer(tfgle.layers.EgoSAGEConv(64))
    h0, h1 = level(([x0, x1, x2], [m0, m1, m2]))

  Args:
    conv: one Ego conv layer used for every pair, or None.
    convs: a list of Ego conv layers, one per pair, or None (give exactly one
      of conv and convs).

  Call args:
    inputs: (hops, masks) or (hops, masks, relations); see `unpack_hops`. A
      hop may also be given as (nodes [U, D], positions int [B, k1..ki]), each
      entry the row of its node in `nodes` (see `encode_ego_batch(...,
      dedupe_key=...)`): a built conv with a `pretransform` (e.g. SAGE's mean)
      then maps each of the U nodes once, before they are gathered into the hop.

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
    masks = [tf.cast(m, tf.bool) for m in masks]
    # Padding never reaches a convolution's weights, not even as a "self" input:
    # NaN padding would otherwise poison the gradients of x W_self.
    gathered = {}  # (conv id or None, hop) -> the hop's values, padding zeroed
    pretransformed = {}
    outputs = []
    for i in range(pairs):
      conv = self.conv if self.convs is None else self.convs[i]
      pair_relations = None
      if getattr(conv, "takes_relations", False):
        if relations is None:
          what = ("edge features" if getattr(conv, "takes_edge_features", False)
                  else "relations")
          raise ValueError(f"EgoLayer: {conv.name} needs {what}: pass inputs as "
                           f"(hops, masks, {what.replace(' ', '_')}) (one entry per hop after "
                           "hop 0)")
        pair_relations = relations[i]
      hop_nodes = self._pretransform(conv, hops[i:i + 2], pretransformed)
      if hop_nodes is None:
        for j in (i, i + 1):
          if (None, j) not in gathered:
            gathered[(None, j)] = gather_hop(hops[j], masks[j])
        conv_inputs = (gathered[(None, i)], gathered[(None, i + 1)], masks[i + 1])
        if pair_relations is not None:
          conv_inputs += (pair_relations,)
        if _takes_padding_zeroed(conv):  # tfgle's Ego convs then skip zeroing it again
          outputs.append(conv(conv_inputs, training=training, padding_zeroed=True))
        else:
          outputs.append(conv(conv_inputs, training=training))
        continue
      for j, nodes in zip((i, i + 1), hop_nodes):
        if (id(conv), j) not in gathered:
          gathered[(id(conv), j)] = gather_hop((nodes, hops[j][1]), masks[j])
      outputs.append(conv.call_pretransformed(
          gathered[(id(conv), i)], gathered[(id(conv), i + 1)], masks[i + 1], pair_relations,
          training=training))
    return outputs

  @staticmethod
  def _pretransform(conv, pair, cache):
    """`conv.pretransform` of the distinct nodes of a (receiver, sender) hop pair, or None.

    Only for hops given as distinct nodes and a built conv that has a
    pretransform; each (conv, nodes) is transformed once per call.
    """
    if not all(is_distinct(h) for h in pair) or not getattr(conv, "built", False) or (
        not hasattr(conv, "call_pretransformed")):
      return None
    _common.check_call_dims(conv, pair[0][0], pair[1][0])
    out = []
    for nodes, _ in pair:
      key = (id(conv), id(nodes))
      if key not in cache:
        cache[key] = (nodes, conv.pretransform(nodes))  # holds `nodes`: its id stays unique
      out.append(cache[key][1])
    return None if any(t is None for t in out) else out

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
