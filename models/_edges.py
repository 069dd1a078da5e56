"""Edge features in the zoo's models: an edge FeatureEncoder whose output the convolutions
read (private).

A batch carries edge features as "edges" ({name: values}): hop i's of an
EgoGraph ([B, k1..ki, ...], tfgle.data.ego_graph_dataset(edge_features=...))
and a SubGraph's ([E, ...], subgraph_dataset(edge_features=...)). A model with
`edge_features` (edge feature name -> spec) encodes them with one
`FeatureEncoder`, shared by every hop and layer, and gives the result to its
convolutions: Ego convs where relations go, SubGraph convs as their third input.
"""
from __future__ import annotations

from typing import Mapping, Optional, Sequence

import tensorflow as tf

from tfgle.data.ego_graph import hop_name
from tfgle.features import FeatureEncoder
from tfgle.layers.ego_mpnn_conv import AGGREGATORS as MPNN_AGGREGATORS
from . import _base  # pylint: disable=g-bad-import-order

EDGES = "edges"


class EdgeFeatureArgs:
  """The `edge_features` argument of models whose convolutions read edge features (a mixin of
  ZooModel subclasses; call `_init_edge_features` before making the convolutions)."""

  # Whether the model's convolutions cannot work without edge features.
  requires_edge_features = False

  def _init_edge_features(self, edge_features):
    cls = type(self).__name__
    self.edge_encoder = None
    if edge_features is None:
      if self.requires_edge_features:
        raise ValueError(f"{cls}: edge_features must be a non-empty dict edge feature name -> "
                         "spec (its convolutions read edge features), got None")
      return
    if not isinstance(edge_features, Mapping) or not edge_features:
      raise ValueError(f"{cls}: edge_features must be None or a non-empty dict edge feature "
                       f"name -> spec, got {edge_features!r}")
    self.edge_encoder = FeatureEncoder(edge_features, raw=self.raw,
                                       embeddings_regularizer=self.kernel_regularizer,
                                       name="edge_encoder")

  @property
  def uses_edge_features(self) -> bool:
    return self.edge_encoder is not None

  @property
  def edge_features(self) -> Optional[dict]:
    """The checked edge feature specs, or None."""
    return None if self.edge_encoder is None else self.edge_encoder.features

  def _encode_edges(self, where: str, entry, mask) -> tf.Tensor:
    """The encoded edge features [..., F] of a batch's "edges" entry (padding's numeric
    features zeroed first)."""
    cls = type(self).__name__
    keys = {_base.input_key(n, s) for n, s in self.edge_features.items()}
    if not isinstance(entry, Mapping) or not keys <= set(entry):
      have = sorted(entry) if isinstance(entry, Mapping) else type(entry).__name__
      raise ValueError(f"{cls}: {where}['{EDGES}'] must hold the edge features "
                       f"{sorted(keys)}, got {have}")
    return self.edge_encoder(_base.zero_padding({k: entry[k] for k in keys}, self.edge_features,
                                                mask))

  def ego_edge_inputs(self, batch, masks) -> Optional[list]:
    """The encoded edge features [B, k1..ki, F] of hops 1..K, or None without edge features."""
    if not self.uses_edge_features:
      return None
    out = []
    for i in range(1, len(masks)):
      hop = batch[hop_name(i)]
      if EDGES not in hop:
        raise ValueError(f"{type(self).__name__}: batch['{hop_name(i)}'] has no edge features "
                         f"'{EDGES}'; it has {sorted(hop)}. Sample with edge_features= "
                         "(tfgle.data.ego_graph_dataset)")
      out.append(self._encode_edges(f"batch['{hop_name(i)}']", hop[EDGES], masks[i]))
    return out

  def subgraph_edge_inputs(self, batch) -> Optional[tf.Tensor]:
    """The encoded edge features [E, F] of a SubGraph batch, or None without edge features."""
    if not self.uses_edge_features:
      return None
    if EDGES not in batch:
      raise ValueError(f"{type(self).__name__}: the batch has no edge features '{EDGES}'; it "
                       f"has {sorted(batch)}. Sample with edge_features= "
                       "(tfgle.data.subgraph_dataset)")
    return self._encode_edges("batch", batch[EDGES], batch.get("edge_mask"))

  def with_dummy_edges(self, batch):
    """A model's dummy batch (EgoGraph or SubGraph) with dummy edge features, if it reads any."""
    if not self.uses_edge_features:
      return batch
    if "edge_index" in batch:  # a SubGraph: one row per edge
      return dict(batch, **{EDGES: _base.dummy_inputs(self.edge_features, [1], self.raw)})
    for i in range(1, len(batch)):
      hop = batch[hop_name(i)]
      hop[EDGES] = _base.dummy_inputs(self.edge_features, hop["mask"].shape.as_list(), self.raw)
    return batch

  def _edge_config(self) -> dict:
    return {"edge_features": None if self.edge_features is None else {
        n: s.get_config() for n, s in self.edge_features.items()}}


class EdgeNetworkArgs(EdgeFeatureArgs):
  """The arguments of the edge-network MPNN models (a mixin of ZooModel subclasses): they
  need edge features."""

  requires_edge_features = True

  def _init_edge_network(self, *, edge_features, edge_units: int, aggregator: str):
    cls = type(self).__name__
    self.edge_units = _base.check_positive_int(cls, "edge_units", edge_units)
    if aggregator not in MPNN_AGGREGATORS:
      raise ValueError(f"{cls}: aggregator must be one of {list(MPNN_AGGREGATORS)}, got "
                       f"{aggregator!r}")
    self.aggregator = aggregator
    self._init_edge_features(edge_features)

  def _edge_network_conv_args(self) -> dict:
    return dict(edge_units=self.edge_units, aggregator=self.aggregator,
                kernel_regularizer=self.kernel_regularizer)

  def _edge_network_config(self) -> dict:
    return {"edge_units": self.edge_units, "aggregator": self.aggregator, **self._edge_config()}


def graph_edge_features(cls, graph, edge_type, *, embedding_dim=16,
                        multi_hot: Sequence[str] = ()) -> dict:
  """The edge feature specs of `edge_type`'s attributes, for `cls.from_graph(edge_type=...)`.

  Raises:
    ValueError: `cls` does not read edge features, or the edge type has no
      attributes.
  """
  if not issubclass(cls, EdgeFeatureArgs):
    raise ValueError(f"{cls.__name__}.from_graph: edge_type={edge_type!r} gives the model edge "
                     f"features, but {cls.__name__}'s convolutions do not read any (EgoGAT, GAT, "
                     "EgoMPNN and MPNN do)")
  attrs = graph.edge_attrs(edge_type)
  encoder = FeatureEncoder.from_graph(graph, edge_type=edge_type, embedding_dim=embedding_dim,
                                      multi_hot=[m for m in multi_hot if m in attrs])
  return dict(encoder.features)
