"""`EgoModel`: the shared body of the EgoGraph models (private).

  features of every hop -> FeatureEncoder -> dropout -> projection (optional)
  -> K levels of hop-wise convolutions (GLE's pyramid: level j turns K + 1 - j
     hop embeddings into K - j; activation and dropout between levels)
  -> the seeds' embeddings [B, D] (with a head: after the activation)
  -> dropout -> Dense head (optional)

The encoding is `tfgle.layers.encode_ego_batch` and the levels a
`tfgle.layers.EgoGNN`. A node often occurs many times in one EgoGraph batch
(hubs, and small graphs where the 2-hop samples overlap); by default each
distinct node (by its dense "index") is encoded and projected once, and the
first convolution maps it once (its `pretransform`, when it has one) before it
is gathered into the hops, which makes wide inputs (multi-hot bags of words)
cheap. Subclasses choose the convolution.
"""
from __future__ import annotations

import functools
from typing import Optional, Sequence

import tensorflow as tf

from tfgle.data.ego_graph import hop_name
from tfgle.layers import EgoGNN, EgoLayer, encode_ego_batch, num_hops
from . import _base  # pylint: disable=g-bad-import-order
from . import _edges


class EgoModel(_base.ZooModel):
  """Node embeddings (and classification) over K-hop EgoGraph batches.

  Args (shared by the Ego models):
    features: feature name -> spec (see `tfgle.features.specs`) of the nodes of
      every hop; with `node_types`, node type -> {feature name -> spec}.
    hidden_dims: the width of each hidden level; the last one sets the
      embedding width. Batches have one hop per level: K = len(hidden_dims),
      plus one with head="conv".
    num_classes: the model gives logits [B, num_classes]; None makes it return
      the embeddings.
    head: "dense" (a Dense layer on the embeddings gives the logits) or "conv"
      (one more level, of width num_classes, gives them, as in the GCN and
      GAT papers).
    node_types: the node type of hop 0..K for heterogeneous meta-paths (each
      hop is encoded by its type's encoder, each hop pair gets its own
      convolution); None for one node type.
    encoder_dim: a linear projection of the encoded (and dropped-out) features
      to this width, per node type, before the first level (None: none). It
      makes the convolutions work on narrow vectors, whatever the inputs' width.
    activation: between levels, and on the embeddings given to the head.
    dropout: rate on the encoded features, between levels and before the head
      (training).
    normalize: L2-normalize the embeddings.
    kernel_regularizer: of every kernel and embedding table (e.g.
      tf.keras.regularizers.L2(2.5e-4)).
    dedupe_nodes: encode each distinct node of a batch once, by its "index"
      (hops without "index" are encoded entry by entry). It assumes a node's
      features are the same wherever it occurs in the batch, as in tfgle's
      batches; a node's dropout mask is then shared by its occurrences.
    raw: the encoder takes raw categorical values (see `as_raw`).
  """

  def __init__(self, features, *, hidden_dims: Sequence[int],
               node_types: Optional[Sequence[str]] = None, dedupe_nodes: bool = True, **kwargs):
    super().__init__(hidden_dims=hidden_dims, **kwargs)
    cls = type(self).__name__
    if node_types is not None:
      if isinstance(node_types, str) or not isinstance(node_types, (list, tuple)) or len(
          node_types) != self.num_hops + 1 or not all(
              isinstance(t, str) and t for t in node_types):
        raise ValueError(f"{cls}: node_types must name the node type of each of the "
                         f"{self.num_hops + 1} hops, got {node_types!r}")
      node_types = list(node_types)
    self.node_types = node_types
    self.dedupe_nodes = bool(dedupe_nodes)
    self.encoder = _base.make_encoder(cls, features, node_types, raw=self.raw,
                                      regularizer=self.kernel_regularizer)
    # One projection per node type, in the order of _types (tracked as a list).
    self.projections = [] if self.encoder_dim is None else [
        tf.keras.layers.Dense(self.encoder_dim, kernel_regularizer=self.kernel_regularizer,
                              name=f"projection_{i}") for i in range(len(self._types))]
    self._dropout = tf.keras.layers.Dropout(self.dropout)
    self.gnn = None  # subclasses call _make_levels() once their arguments are set

  # ---------------------------------------------------------------- layers

  def _make_levels(self):
    """The EgoGNN: per level a shared conv, or one conv per hop pair (node_types).

    Its dropout acts between levels; the features are dropped out (per
    distinct node) by `_encode_nodes`, before their projection.
    """
    k = self.num_hops
    levels = []
    for level, units in enumerate(self.layer_dims):
      logits = self.head_kind == "conv" and level == k - 1
      if self.node_types is None:
        levels.append(EgoLayer(self._make_conv(units, logits)))
      else:
        levels.append(EgoLayer(convs=[self._make_conv(units, logits)
                                      for _ in range(k - level)]))
    self.gnn = EgoGNN(levels, activation=self.activation, dropout=self.dropout,
                      dropout_inputs=False, name="gnn")

  @property
  def num_hops(self) -> int:
    """K: the number of hops after hop 0 that batches must have (one per level)."""
    return self.num_layers

  @property
  def features(self) -> dict:
    """The checked feature specs (per node type with node_types)."""
    if self.node_types is None:
      return self.encoder.features
    return self.encoder.node_features

  @property
  def _types(self) -> list:
    return [None] if self.node_types is None else list(dict.fromkeys(self.node_types))

  def _type_features(self, node_type) -> dict:
    return self.features if node_type is None else self.features[node_type]

  # ---------------------------------------------------------------- forward

  def _encode_nodes(self, node_type, inputs, training):
    """Encoded, dropped-out and projected features of nodes of one type, [L..., D]."""
    if node_type is None:
      x = self.encoder(inputs, training=training)
    else:
      x = self.encoder(inputs, node_type=node_type, training=training)
    x = self._dropout(x, training=training)
    if self.projections:
      x = self.projections[self._types.index(node_type)](x)
    return x

  def _embed(self, batch, training, dedupe=None, depth=None):
    cls = type(self).__name__
    k = num_hops(batch)
    if k != self.num_hops:
      raise ValueError(f"{cls}: the batch has {k} hops (hop0..hop{k}) but the model has "
                       f"{self.num_hops} levels; sample with {self.num_hops} fanouts")
    hops = {}
    for i in range(k + 1):
      hop = batch[hop_name(i)]
      node_type = None if self.node_types is None else self.node_types[i]
      hops[hop_name(i)] = _base.node_inputs(hop, self._type_features(node_type),
                                            keep=("mask", "index"))
    if self.node_types is None:
      encoder = functools.partial(self._encode_nodes, None)
    else:
      encoder = {t: functools.partial(self._encode_nodes, t) for t in self._types}
    dedupe = self.dedupe_nodes if dedupe is None else dedupe
    x, masks = encode_ego_batch(hops, encoder, node_types=self.node_types,
                                dedupe_key="index" if dedupe else None, training=training)
    relations = self._relations(batch, masks)
    inputs = (x, masks) if relations is None else (x, masks, relations)
    return self.gnn(inputs, training=training, depth=depth)

  def _relations(self, batch, masks):
    """Relation ids of the edges into hop 1..K (EgoRGCN), or None."""
    return None

  def _dummy_batch(self):
    batch = {}
    for i in range(self.num_hops + 1):
      lead = [1] * (i + 1)
      node_type = None if self.node_types is None else self.node_types[i]
      hop = _base.dummy_inputs(self._type_features(node_type), lead, self.raw)
      hop["mask"] = tf.ones(lead, tf.bool)
      batch[hop_name(i)] = hop
    return batch

  def _model_config(self) -> dict:
    features = ({n: s.get_config() for n, s in self.features.items()} if self.node_types is None
                else {t: {n: s.get_config() for n, s in f.items()}
                      for t, f in self.features.items()})
    return {
        "features": features,
        "node_types": None if self.node_types is None else list(self.node_types),
        "dedupe_nodes": self.dedupe_nodes,
    }

  @classmethod
  def from_graph(cls, graph, node_type: Optional[str] = None, *,
                 node_types: Optional[Sequence[str]] = None, multi_hot: Sequence[str] = (),
                 normalize_features: bool = False, embedding_dim: int = 16,
                 id_embedding_dim: Optional[int] = None, edge_type: Optional[str] = None,
                 **kwargs):
    """The model with the feature specs of a built graph's node type(s).

    Example:
      model = EgoGraphSAGE.from_graph(graph, "paper", multi_hot=["words"],
                                      hidden_dims=[64, 64], num_classes=7)

    Args:
      graph: a built tfgle.Graph.
      node_type: the node type of every hop (homogeneous meta-paths).
      node_types: instead, the node type of each hop (heterogeneous).
      multi_hot: categorical attributes encoded multi-hot instead of embedded.
      normalize_features: normalize numeric attributes by the graph's stats.
      embedding_dim: width of categorical embeddings.
      id_embedding_dim: add an embedding of each node's dense index ("index").
      edge_type: models that read edge features (EgoGAT, EgoMPNN): the
        edge_features of this edge type's attributes (the hops' edges; batches
        sampled with edge_features=).
      **kwargs: the model's arguments (hidden_dims, num_classes, ...).
    """
    if (node_type is None) == (node_types is None):
      raise ValueError(f"{cls.__name__}.from_graph: give exactly one of node_type and "
                       "node_types")
    if edge_type is not None:
      kwargs["edge_features"] = _edges.graph_edge_features(
          cls, graph, edge_type, embedding_dim=embedding_dim, multi_hot=multi_hot)

    def specs(t):
      return _base.graph_features(graph, t, multi_hot=[m for m in multi_hot
                                                       if m in graph.node_attrs(t)],
                                  normalize=normalize_features, embedding_dim=embedding_dim,
                                  id_embedding_dim=id_embedding_dim)
    if node_type is not None:
      model = cls(specs(node_type), **kwargs)
    else:
      model = cls({t: specs(t) for t in dict.fromkeys(node_types)},
                  node_types=list(node_types), **kwargs)
    model.build()  # its weights exist now: save_weights and load_weights see them
    return model
