"""`EgoModel`: the shared body of the EgoGraph models (private).

  features of every hop -> FeatureEncoder -> dropout -> projection (optional)
  -> K levels of hop-wise convolutions (GLE's pyramid: level j turns K + 1 - j
     hop embeddings into K - j; activation and dropout between levels)
  -> the seeds' embeddings [B, D] (with a head: after the activation)
  -> dropout -> Dense head (optional)

A node often occurs many times in one EgoGraph batch (hubs, and small graphs
where the 2-hop samples overlap); by default each distinct node (by its dense
"index") is encoded and projected once and the result is gathered into the
hops, which makes wide inputs (multi-hot bags of words) cheap. Subclasses
choose the convolution.
"""
from __future__ import annotations

from typing import Optional, Sequence

import tensorflow as tf

from tfgle.data.ego_graph import hop_name
from tfgle.features import specs as specs_lib
from tfgle.layers import EgoLayer, num_hops
from . import _base  # pylint: disable=g-bad-import-order


def _flatten_leading(value, lead_rank: int):
  """`value` with its `lead_rank` leading axes merged into one."""
  if isinstance(value, tf.RaggedTensor):
    return value.merge_dims(0, lead_rank - 1) if lead_rank > 1 else value
  value = tf.convert_to_tensor(value)
  return tf.reshape(value, tf.concat([[-1], tf.shape(value)[lead_rank:]], 0))


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

  def __init__(self, features, *, hidden_dims: Sequence[int], num_classes: Optional[int] = None,
               head: str = "dense", node_types: Optional[Sequence[str]] = None,
               encoder_dim: Optional[int] = None, activation="relu", dropout: float = 0.0,
               normalize: bool = False, kernel_regularizer=None, dedupe_nodes: bool = True,
               raw: bool = False, **kwargs):
    super().__init__(num_classes=num_classes, head=head, dropout=dropout, normalize=normalize,
                     kernel_regularizer=kernel_regularizer, **kwargs)
    cls = type(self).__name__
    self.hidden_dims = _base.check_dims(cls, "hidden_dims", hidden_dims)
    self.level_dims = self._layer_widths(self.hidden_dims)
    if node_types is not None:
      if isinstance(node_types, str) or not isinstance(node_types, (list, tuple)) or len(
          node_types) != self.num_hops + 1 or not all(
              isinstance(t, str) and t for t in node_types):
        raise ValueError(f"{cls}: node_types must name the node type of each of the "
                         f"{self.num_hops + 1} hops, got {node_types!r}")
      node_types = list(node_types)
    self.node_types = node_types
    self.encoder_dim = (None if encoder_dim is None
                        else _base.check_positive_int(cls, "encoder_dim", encoder_dim))
    self.activation = tf.keras.activations.get(activation)
    self.dedupe_nodes = bool(dedupe_nodes)
    self.raw = bool(raw)
    self.encoder = _base.make_encoder(cls, features, node_types, raw=self.raw,
                                      regularizer=self.kernel_regularizer)
    # One projection per node type, in the order of _types (tracked as a list).
    self.projections = [] if self.encoder_dim is None else [
        tf.keras.layers.Dense(self.encoder_dim, kernel_regularizer=self.kernel_regularizer,
                              name=f"projection_{i}") for i in range(len(self._types))]
    self._dropout = tf.keras.layers.Dropout(self.dropout)
    self.levels = []  # subclasses call _make_levels() once their arguments are set

  # ---------------------------------------------------------------- layers

  def _make_levels(self):
    """One EgoLayer per level: a shared conv, or one conv per hop pair (node_types)."""
    k = self.num_hops
    self.levels = []
    for level, units in enumerate(self.level_dims):
      logits = self.head_kind == "conv" and level == k - 1
      if self.node_types is None:
        self.levels.append(EgoLayer(self._make_conv(units, logits)))
      else:
        self.levels.append(EgoLayer(convs=[self._make_conv(units, logits)
                                           for _ in range(k - level)]))

  def _make_conv(self, units: int, logits: bool) -> tf.keras.layers.Layer:
    """A convolution of width `units`; `logits`: the last one of head="conv"."""
    raise NotImplementedError

  @property
  def num_hops(self) -> int:
    """K: the number of hops after hop 0 that batches must have (one per level)."""
    return len(self.level_dims)

  @property
  def num_layers(self) -> int:
    return len(self.level_dims)

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

  def _encode_hops(self, hops, masks, training, dedupe):
    """The inputs of the first level: (hop embeddings, None), or (None, level 0's
    outputs) where a model computes level 0 from the distinct nodes directly."""
    out = [None] * len(hops)
    for node_type in self._types:
      members = [i for i in range(len(hops))
                 if node_type is None or self.node_types[i] == node_type]
      if not dedupe or any("index" not in hops[i] for i in members):
        for i in members:
          out[i] = self._encode_nodes(node_type, hops[i], training)
        continue
      nodes, positions = self._distinct_nodes(node_type, [hops[i] for i in members],
                                              [masks[i] for i in members])
      encoded = self._encode_nodes(node_type, nodes, training)
      if self.node_types is None:
        first_level = self._first_level(encoded, positions, masks, training)
        if first_level is not None:
          return None, first_level
      for i, position in zip(members, positions):
        out[i] = tf.gather(encoded, position)
    return out, None

  def _distinct_nodes(self, node_type, hops, masks):
    """(the inputs of each distinct node [U, ...], positions into them per hop).

    Distinct by "index"; all padding entries share one slot (index -1).
    """
    features = self._type_features(node_type)
    flat = [tf.reshape(tf.where(m, tf.cast(h["index"], tf.int64), tf.constant(-1, tf.int64)),
                       [-1]) for h, m in zip(hops, masks)]
    nodes, position = tf.unique(tf.concat(flat, 0), out_idx=tf.int64)
    first = tf.math.unsorted_segment_min(tf.range(tf.size(position, out_type=tf.int64)),
                                         position, tf.size(nodes))
    inputs = {}
    for name, spec in features.items():
      key = spec.key if isinstance(spec, specs_lib.IdSpec) else name
      if key in inputs:
        continue
      if key not in hops[0]:
        raise ValueError(f"{type(self).__name__}: a hop has no entry {key!r} for "
                         f"features[{name!r}]; it has {sorted(hops[0])}")
      values = [_flatten_leading(h[key], m.shape.rank) for h, m in zip(hops, masks)]
      inputs[key] = tf.gather(tf.concat(values, 0), first)
    positions = [tf.reshape(p, tf.shape(m))
                 for p, m in zip(tf.split(position, [tf.size(f) for f in flat]), masks)]
    return inputs, positions

  def _first_level(self, nodes, positions, masks, training):
    """Level 0's outputs computed from the distinct nodes' embeddings [U, D] and
    each hop's positions into them, or None to run level 0 on gathered hops.

    A model whose first convolution starts with a linear map of each node can
    apply it to the U distinct nodes instead of every hop entry (much cheaper
    for wide inputs).
    """
    return None

  def _embed(self, batch, training, dedupe=None, depth=None):
    cls = type(self).__name__
    k = num_hops(batch)
    if k != self.num_hops:
      raise ValueError(f"{cls}: the batch has {k} hops (hop0..hop{k}) but the model has "
                       f"{self.num_hops} levels; sample with {self.num_hops} fanouts")
    hops, masks = [], []
    for i in range(k + 1):
      hop = batch[hop_name(i)]
      if "mask" in hop:
        mask = tf.cast(hop["mask"], tf.bool)
      elif i == 0:
        mask = None
      else:
        raise ValueError(f"{cls}: batch['{hop_name(i)}'] has no 'mask'")
      node_type = None if self.node_types is None else self.node_types[i]
      hops.append(_base.zero_padding(hop, self._type_features(node_type), mask))
      masks.append(mask)
    if masks[0] is None:
      masks[0] = tf.ones(_base.leading_size(hops[0]), tf.bool)
    x, first_level = self._encode_hops(
        hops, masks, training, self.dedupe_nodes if dedupe is None else dedupe)
    relations = self._relations(batch, masks)
    for j, level in enumerate(self.levels[:depth]):
      if j == 0 and first_level is not None:
        x = first_level
        continue
      if j > 0:
        x = [self._dropout(self.activation(h), training=training) for h in x]
      n = len(x)
      inputs = (x, masks[:n]) if relations is None else (x, masks[:n], relations[:n - 1])
      x = level(inputs, training=training)
    return x[0]

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
        "hidden_dims": list(self.hidden_dims),
        "node_types": None if self.node_types is None else list(self.node_types),
        "encoder_dim": self.encoder_dim,
        "activation": tf.keras.activations.serialize(self.activation),
        "dedupe_nodes": self.dedupe_nodes,
        "raw": self.raw,
    }

  @classmethod
  def from_graph(cls, graph, node_type: Optional[str] = None, *,
                 node_types: Optional[Sequence[str]] = None, multi_hot: Sequence[str] = (),
                 normalize_features: bool = False, embedding_dim: int = 16,
                 id_embedding_dim: Optional[int] = None, **kwargs):
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
      **kwargs: the model's arguments (hidden_dims, num_classes, ...).
    """
    if (node_type is None) == (node_types is None):
      raise ValueError(f"{cls.__name__}.from_graph: give exactly one of node_type and "
                       "node_types")

    def specs(t):
      return _base.graph_features(graph, t, multi_hot=[m for m in multi_hot
                                                       if m in graph.node_attrs(t)],
                                  normalize=normalize_features, embedding_dim=embedding_dim,
                                  id_embedding_dim=id_embedding_dim)
    if node_type is not None:
      return cls(specs(node_type), **kwargs)
    return cls({t: specs(t) for t in dict.fromkeys(node_types)}, node_types=list(node_types),
               **kwargs)
