"""`HeteroConv`: one SubGraph convolution per edge type of a heterogeneous SubGraph."""
from __future__ import annotations

import inspect
from typing import Mapping

import tensorflow as tf

from tfgle.layers import _common

AGGREGATES = ("sum", "mean", "max")


def _edge_type_key(key) -> tuple:
  """(src, dst, name) of a `convs` key, else a ValueError."""
  if (not isinstance(key, (tuple, list)) or len(key) != 3 or
      not all(isinstance(part, str) and part for part in key)):
    raise ValueError(
        "HeteroConv: convs must be keyed by (src node type, dst node type, edge type name) "
        f"triples (e.g. graph.edge_type('buys') or HeteroSpec.edge_types), got key {key!r}")
  return tuple(key)


@tf.keras.utils.register_keras_serializable(package="tfgle")
class HeteroConv(tf.keras.layers.Layer):
  """Runs one SubGraph conv per edge type and aggregates them per destination node type.

  As PyG's HeteroConv: for each edge type (src, dst, name) its conv sends
  messages from the src nodes' states to the dst nodes' states along
  edge_index[name] (row 0 src positions, row 1 dst positions). An edge type
  between two node types calls its conv with ((x_src, x_dst), edge_index) (so
  GATConv and GCNConv need add_self_loops=False there); an edge type within
  one node type calls it with (x, edge_index). The outputs of the edge types
  into one node type are summed (or averaged, or maxed: `aggregate`), so they
  must have one width. Node types that no edge type reaches keep their states
  unchanged (give them an edge type, or project them outside, to change them).

  Example:
    spec = tfgle.data.hetero_spec(g, hops=[{"buys": 10}, {"bought_by": 5}])
    conv = tfgle.layers.HeteroConv(
        {et: tfgle.layers.SAGEConv(32, activation="relu") for et in spec.edge_types})
    states = conv((states, edge_index))  # {node type: [N_t, D_t]}, {edge type: [2, E]}

  Args:
    convs: {(src node type, dst node type, edge type name): conv}, where a conv
      is a Keras layer called as tfgle's SubGraph convs are (SAGEConv, GATConv,
      GCNConv); tfgle.EdgeType triples work as keys.
    aggregate: "sum", "mean" or "max" over the edge types into one node type.

  Call args:
    inputs: (node_states, edge_index): node type -> states [N_t, D_t], and edge
      type name -> int edge_index [2, E] (edge sets without a conv are ignored).
    edge_weight: optional edge type name -> float [E], for convs that take
      weights (SAGEConv, GCNConv).
    edge_mask: optional edge type name -> bool [E]; False edges (padding) are
      ignored.
    training: passed to the convs.

  Call returns:
    node type -> states: the aggregated conv outputs [N_t, units] for the
    destination types of the edge types, the input states for the others.

  Raises:
    ValueError: no convs, a key that is not a (src, dst, name) triple, two
      convs for one edge type name, a conv that is not a Keras layer, a bad
      aggregate; at call: an edge type without edge_index, a node type of an
      edge type without states, edge_weight or edge_mask for an unknown edge
      type, edge weights for a conv that takes none, outputs of different
      widths into one node type.
  """

  def __init__(self, convs: Mapping, *, aggregate: str = "sum", **kwargs):
    super().__init__(**kwargs)
    if not isinstance(convs, Mapping) or not convs:
      raise ValueError(f"HeteroConv: convs must be a non-empty dict (src, dst, name) -> conv, "
                       f"got {convs!r}")
    edge_types, layers = [], []
    for key, conv in convs.items():
      key = _edge_type_key(key)
      if key[2] in [et[2] for et in edge_types]:
        raise ValueError(f"HeteroConv: two convs for edge type {key[2]!r}")
      if not isinstance(conv, tf.keras.layers.Layer):
        raise ValueError(f"HeteroConv: convs[{key!r}] must be a Keras layer (e.g. "
                         f"tfgle.layers.SAGEConv), got {conv!r}")
      edge_types.append(key)
      layers.append(conv)
    self.aggregate = _common.check_choice("HeteroConv", "aggregate", aggregate, AGGREGATES)
    # Tracked as a list: Keras checkpoints dicts with string keys only.
    self._edge_types = tuple(edge_types)
    self._convs = layers

  @property
  def edge_types(self) -> tuple:
    """The (src, dst, name) triple of each conv, in order."""
    return self._edge_types

  @property
  def convs(self) -> dict:
    """(src, dst, name) -> conv."""
    return dict(zip(self._edge_types, self._convs))

  def call(self, inputs, edge_weight=None, edge_mask=None, training=None):
    states, edge_index = self._unpack(inputs)
    names = [et[2] for et in self._edge_types]
    for what, per_edge in (("edge_weight", edge_weight), ("edge_mask", edge_mask)):
      unknown = sorted(set(per_edge or {}) - set(names))
      if unknown:
        raise ValueError(f"HeteroConv: {what} has edge types {unknown} without a conv; the "
                         f"convs' edge types are {names}")
    received = {}
    for (src, dst, name), conv in zip(self._edge_types, self._convs):
      if name not in edge_index:
        raise ValueError(f"HeteroConv: no edge_index for edge type {name!r}; inputs[1] has "
                         f"{sorted(edge_index)}")
      for role, node_type in (("source", src), ("destination", dst)):
        if node_type not in states:
          raise ValueError(f"HeteroConv: edge type {name!r} has {role} node type "
                           f"{node_type!r}, which has no states; inputs[0] has "
                           f"{sorted(states)}")
      x = states[src] if src == dst else (states[src], states[dst])
      kwargs = {}
      if edge_mask is not None and name in edge_mask:
        kwargs["edge_mask"] = edge_mask[name]
      if edge_weight is not None and name in edge_weight:
        if "edge_weight" not in inspect.signature(conv.call).parameters:
          raise ValueError(f"HeteroConv: edge_weight[{name!r}] given, but its conv "
                           f"{type(conv).__name__} takes no edge weights")
        kwargs["edge_weight"] = edge_weight[name]
      received.setdefault(dst, []).append((name, conv((x, edge_index[name]), training=training,
                                                      **kwargs)))
    outputs = dict(states)
    for node_type, outs in received.items():
      widths = {name: out.shape[-1] for name, out in outs}
      if len({w for w in widths.values() if w is not None}) > 1:
        raise ValueError(f"HeteroConv: the edge types into node type {node_type!r} give "
                         f"outputs of different widths {widths}; they must match to be "
                         f"aggregated ({self.aggregate!r})")
      outputs[node_type] = self._aggregate([out for _, out in outs])
    return outputs

  def _unpack(self, inputs):
    if (not isinstance(inputs, (tuple, list)) or len(inputs) != 2 or
        not all(isinstance(part, Mapping) for part in inputs)):
      got = (f"a {len(inputs)}-tuple of {[type(p).__name__ for p in inputs]}"
             if isinstance(inputs, (tuple, list)) else type(inputs).__name__)
      raise ValueError("HeteroConv: inputs must be (node_states, edge_index): a dict node type "
                       f"-> [N, D] and a dict edge type name -> [2, E], got {got}")
    return inputs[0], inputs[1]

  def _aggregate(self, outs):
    if len(outs) == 1:
      return outs[0]
    if self.aggregate == "sum":
      return tf.add_n(outs)
    stacked = tf.stack(outs)
    return tf.reduce_mean(stacked, 0) if self.aggregate == "mean" else tf.reduce_max(stacked, 0)

  def get_config(self):
    config = super().get_config()
    config.update({
        "convs": [{"edge_type": list(et), "conv": _common.serialize_layer(conv)}
                  for et, conv in zip(self._edge_types, self._convs)],
        "aggregate": self.aggregate,
    })
    return config

  @classmethod
  def from_config(cls, config):
    config = dict(config)
    config["convs"] = {tuple(entry["edge_type"]): _common.deserialize_layer(entry["conv"])
                       for entry in config["convs"]}
    return cls(**config)
