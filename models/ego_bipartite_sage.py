"""`EgoBipartiteSAGE`: a two-tower GraphSAGE for user-item recommendation and link prediction.

GLE's bipartite u2i GraphSAGE: a user tower embeds a user from its ego graph
along a meta-path (user -> item -> user ...), an item tower embeds an item from
its own (item -> user -> item ...), and a (user, item) pair is scored by the dot
product (or cosine) of the two embeddings. Every node type has its feature
encoder (categorical features, id embeddings by dense index, numeric
features), shared by both towers: an item's tables serve the item tower's hop
0 and the user tower's hop 1 alike. With one node type and `share_towers=True`
both towers are one GraphSAGE encoder, the unsupervised GraphSAGE of
homogeneous link prediction.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

import tensorflow as tf

from tfgle.features import HeteroFeatureEncoder
from tfgle.layers import EgoGNN
from tfgle.layers import EgoLayer
from tfgle.layers import EgoSAGEConv
from tfgle.layers import encode_ego_batch
from tfgle.layers import num_hops
from tfgle.layers.ego_sage_conv import AGGREGATORS

from ._base import check_input_dict

SCORES = ("dot", "cosine")
SIDES = ("user", "item")
# The logit of a negative that is padding (or, shared, the row's own positive).
MASKED_LOGIT = -1e9


def _check_node_types(cls: str, name: str, value: Any, known: Sequence[str]) -> list[str]:
  if isinstance(value, str) or not isinstance(value, (list, tuple)) or len(value) < 2:
    raise ValueError(f"{cls}: {name} must list the node type of each hop, hop 0 first, at "
                     f"least 2 (one hop), got {value!r}")
  for node_type in value:
    if node_type not in known:
      raise ValueError(f"{cls}: {name} names node type {node_type!r}, which has no entry in "
                       f"node_features (node types {list(known)})")
  return list(value)


@tf.keras.utils.register_keras_serializable(package="tfgle")
class EgoBipartiteSAGE(tf.keras.Model):
  """Two-tower GraphSAGE over EgoGraphs: user tower, item tower, dot-product score.

  Each tower encodes every hop of an EgoGraph with the feature encoder of the
  hop's node type (a `HeteroFeatureEncoder`), then runs GLE's pyramid of
  `EgoSAGEConv`s: level j turns K + 1 - j hops into K - j, hop i aggregating
  hop i + 1, with one conv per level and (self type, neighbor type) pair.
  Levels output `hidden_dim`, the last one `embedding_dim`; with
  score="cosine" the embeddings are L2-normalized. Scores (logits) are
  <user, item> / temperature.

  For link prediction on a homogeneous graph give one node type and
  `share_towers=True` ("user" is then the source and "item" the destination
  of an edge, both embedded by the same tower); with `share_towers=False` the
  two sides get towers of their own (for directed graphs).

  Example:
    model = EgoBipartiteSAGE(
        {"user": {"ids": tfgle.features.node_id(embedding_dim=32, num_ids=943,
                                                key="index")},
         "item": {"ids": tfgle.features.node_id(embedding_dim=32, num_ids=1682,
                                                key="index"),
                  "genres": tfgle.features.categorical(vocab=genres, multivalued=True,
                                                       embedding_dim=8)}},
        user_node_types=["user", "item", "user"],
        item_node_types=["item", "user", "item"])
    ds = tfgle.data.link_ego_graph_dataset(graph, "rates", ["rates", "rates_reverse"],
                                        ["rates_reverse", "rates"], [10, 5])
    logits = model(next(iter(ds)))          # [B, 1 + num_negatives]
    users = model.embed_users(user_batch)   # [B, embedding_dim]

  Args:
    node_features: node type -> {feature name -> feature spec}, as
      `HeteroFeatureEncoder` takes them. Id embeddings should read the dense
      index: `tfgle.features.node_id(..., num_ids=num_nodes, key="index")`.
    user_node_types: the node type of each hop (0..K) of the user tower's
      EgoGraphs, i.e. the user node type followed by the meta-path's
      destination types.
    item_node_types: the same for the item tower (default: user_node_types).
    feature_dim: width of a dense projection of each node type's encoded
      features, or None: the features enter the first level as they are and
      its convs project them. None is much cheaper: the outermost hop, the
      bulk of an EgoGraph, is then only looked up and averaged.
    hidden_dim: output width of the levels before the last.
    embedding_dim: width of the output embeddings.
    aggregator: the EgoSAGEConv aggregator ("mean", "sum", "max", "gcn",
      "pool").
    activation: applied between levels.
    dropout: dropout rate on every level's inputs while training.
    score: "dot" (raw dot product) or "cosine" (embeddings L2-normalized).
    temperature: logits are scores / temperature (> 0).
    share_towers: one tower for both sides (needs equal node types).
    share_negatives: score every row against the negatives of all rows of
      the batch (B * N of them, a sampled softmax with many negatives at the
      cost of N), not only its own N.
    embeddings_regularizer: of the feature encoders' embedding tables.
    kernel_regularizer: of the encoders' projections and of the convs.

  Call args:
    inputs: {"src": user EgoGraph (hop 0 [B]), "dst": item EgoGraph (hop 0
      [B]), optionally "neg": item EgoGraph of negatives (hop 0 [B, N])}, as
      `tfgle.data.link_ego_graph_dataset` yields them.
    training: enables dropout.

  Call returns:
    logits [B, 1 + N] (share_negatives: [B, 1 + B * N]): column 0 scores
    (src, dst), the others the negatives; [B, 1] without "neg". Negatives
    that are padding (mask False) or, when shared, the row's own positive (the
    same id) get the logit -1e9, which neither loss below counts. Train with
    softmax cross-entropy against label 0 (sampled softmax) or binary
    cross-entropy against [1, 0, ..., 0].

  Raises:
    ValueError: a bad argument, naming it.
  """

  def __init__(self, node_features: Mapping[str, Mapping[str, Mapping[str, Any]]], *,
               user_node_types: Sequence[str], item_node_types: Optional[Sequence[str]] = None,
               feature_dim: Optional[int] = None, hidden_dim: int = 64,
               embedding_dim: int = 64, aggregator: str = "mean",
               activation="relu", dropout: float = 0.0, score: str = "dot",
               temperature: float = 1.0, share_towers: bool = False,
               share_negatives: bool = False,
               embeddings_regularizer=None, kernel_regularizer=None, **kwargs):
    super().__init__(**kwargs)
    cls = type(self).__name__
    if not isinstance(node_features, Mapping) or not node_features:
      raise ValueError(f"{cls}: node_features must be a non-empty dict node type -> feature "
                       f"specs, got {node_features!r}")
    known = list(node_features)
    self.user_node_types = _check_node_types(cls, "user_node_types", user_node_types, known)
    self.item_node_types = (list(self.user_node_types) if item_node_types is None else
                            _check_node_types(cls, "item_node_types", item_node_types, known))
    for name, value in (("hidden_dim", hidden_dim), ("embedding_dim", embedding_dim)):
      if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{cls}: {name} must be a positive int, got {value!r}")
    if feature_dim is not None and (isinstance(feature_dim, bool) or
                                    not isinstance(feature_dim, int) or feature_dim <= 0):
      raise ValueError(f"{cls}: feature_dim must be a positive int or None, got {feature_dim!r}")
    if aggregator not in AGGREGATORS:
      raise ValueError(f"{cls}: aggregator must be one of {list(AGGREGATORS)}, "
                       f"got {aggregator!r}")
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not (
        0 <= dropout < 1):
      raise ValueError(f"{cls}: dropout must be a float in [0, 1), got {dropout!r}")
    if score not in SCORES:
      raise ValueError(f"{cls}: score must be one of {list(SCORES)}, got {score!r}")
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not (
        temperature > 0):
      raise ValueError(f"{cls}: temperature must be a number > 0, got {temperature!r}")
    if share_towers and self.item_node_types != self.user_node_types:
      raise ValueError(f"{cls}: share_towers=True needs item_node_types equal to "
                       f"user_node_types, got {self.item_node_types} and "
                       f"{self.user_node_types}")
    self.feature_dim = feature_dim
    self.hidden_dim = hidden_dim
    self.embedding_dim = embedding_dim
    self.aggregator = aggregator
    self.activation = tf.keras.activations.get(activation)
    self.dropout = float(dropout)
    self.score = score
    self.temperature = float(temperature)
    self.share_towers = bool(share_towers)
    self.share_negatives = bool(share_negatives)
    self.embeddings_regularizer = tf.keras.regularizers.get(embeddings_regularizer)
    self.kernel_regularizer = tf.keras.regularizers.get(kernel_regularizer)

    self.encoder = HeteroFeatureEncoder(
        node_features, output_dim=feature_dim,
        embeddings_regularizer=self.embeddings_regularizer,
        kernel_regularizer=self.kernel_regularizer, name="encoder")
    self.user_tower = self._make_tower("user_tower", self.user_node_types)
    self.item_tower = (self.user_tower if self.share_towers
                       else self._make_tower("item_tower", self.item_node_types))

  def _make_tower(self, name: str, node_types: Sequence[str]) -> EgoGNN:
    """GLE's pyramid: one conv per level and (self type, neighbor type) pair."""
    k = len(node_types) - 1
    levels = []
    for j in range(k):
      units = self.embedding_dim if j == k - 1 else self.hidden_dim
      convs = {}
      for i in range(k - j):
        key = (node_types[i], node_types[i + 1])
        if key not in convs:
          convs[key] = EgoSAGEConv(units, aggregator=self.aggregator,
                                   kernel_regularizer=self.kernel_regularizer,
                                   name=f"level{j}_{len(convs)}")
      pairs = [convs[(node_types[i], node_types[i + 1])] for i in range(k - j)]
      levels.append(EgoLayer(pairs[0]) if len(convs) == 1 else EgoLayer(convs=pairs))
    return EgoGNN(levels, activation=self.activation, dropout=self.dropout, name=name)

  def node_types(self, side: str) -> list[str]:
    """The node type of each hop of `side`'s ("user" or "item") EgoGraphs."""
    self._check_side(side)
    return list(self.user_node_types if side == "user" else self.item_node_types)

  def _check_side(self, side):
    if side not in SIDES:
      raise ValueError(f"{type(self).__name__}: side must be one of {list(SIDES)}, "
                       f"got {side!r}")

  def build(self, input_shape=None):
    """Creates every weight; their shapes follow from the config alone."""
    if not self.encoder.built:
      self.encoder.build(None)
    towers = [(self.user_tower, self.user_node_types)]
    if not self.share_towers:
      towers.append((self.item_tower, self.item_node_types))
    for tower, node_types in towers:
      for j, level in enumerate(tower.ego_layers):
        pairs = len(node_types) - 1 - j
        convs = level.convs if level.conv is None else [level.conv] * pairs
        for i, conv in enumerate(convs):
          if j == 0:
            d_self, d_nbr = (self.encoder.output_dim(t) for t in node_types[i:i + 2])
          else:
            d_self = d_nbr = self.hidden_dim
          if not conv.built:
            with tf.name_scope(tower.name), tf.name_scope(level.name), tf.name_scope(conv.name):
              conv.build(((None, d_self), (None, None, d_nbr), (None, None)))
        level.built = True
      tower.built = True
    # Not Model.build: it would call the model on placeholders of `input_shape`.
    self.built = True

  def get_build_config(self):
    # Keras' loaders call build_from_config only with a non-empty build config.
    return {"weights_from_config": True}

  def build_from_config(self, config):
    self.build(None)

  def embed(self, batch: Mapping[str, Mapping[str, tf.Tensor]], side: str, *,
            training=None) -> tf.Tensor:
    """Embeddings of the hop-0 nodes of `side`'s ("user" or "item") EgoGraphs.

    Args:
      batch: an EgoGraph {"hop0": ..., "hopK": ...} whose hops have
        `self.node_types(side)` (hop 0 of any leading shape [L...]).
      side: "user" or "item".
      training: enables dropout.

    Returns:
      [L..., embedding_dim] (L2-normalized with score="cosine").
    """
    self._check_side(side)
    if not self.built:
      self.build(None)
    tower = self.user_tower if side == "user" else self.item_tower
    node_types = self.user_node_types if side == "user" else self.item_node_types
    if num_hops(batch) + 1 != len(node_types):
      raise ValueError(f"{type(self).__name__}: {side} EgoGraphs must have "
                       f"{len(node_types)} hops, of node types {node_types}, got "
                       f"{num_hops(batch) + 1}")
    hops, masks = encode_ego_batch(batch, self.encoder, node_types=node_types,
                                   training=training)
    out = tower((hops, masks), training=training)
    if self.score == "cosine":
      out = tf.math.l2_normalize(out, axis=-1)
    return out

  def embed_users(self, batch, training=None) -> tf.Tensor:
    """`embed(batch, "user")`: user-tower (link prediction: source) embeddings."""
    return self.embed(batch, "user", training=training)

  def embed_items(self, batch, training=None) -> tf.Tensor:
    """`embed(batch, "item")`: item-tower (link prediction: destination) embeddings."""
    return self.embed(batch, "item", training=training)

  def call(self, inputs, training=None):
    cls = type(self).__name__
    check_input_dict(cls, inputs, ("src", "dst"),
                     "a dict with 'src', 'dst' and optionally 'neg' EgoGraphs")
    users = self.embed_users(inputs["src"], training=training)
    items = self.embed_items(inputs["dst"], training=training)
    logits = tf.reduce_sum(users * items, axis=-1, keepdims=True) / self.temperature
    neg = inputs.get("neg")
    if neg is None:
      return logits
    negatives = self.embed_items(neg, training=training)
    if negatives.shape.rank != 3:
      raise ValueError(f"{cls}: inputs['neg'] must hold [B, N] negatives at hop 0, got "
                       f"embeddings of shape {negatives.shape}")
    hop0 = neg["hop0"]
    valid = (tf.cast(hop0["mask"], tf.bool) if "mask" in hop0
             else tf.ones(tf.shape(negatives)[:2], tf.bool))
    if self.share_negatives:
      negatives = tf.reshape(negatives, [-1, negatives.shape[-1]])
      neg_logits = tf.matmul(users, negatives, transpose_b=True)
      neg_ids = tf.reshape(hop0["ids"], [1, -1])
      hits = tf.equal(tf.reshape(inputs["dst"]["hop0"]["ids"], [-1, 1]), neg_ids)
      valid = tf.logical_and(tf.reshape(valid, [1, -1]), tf.logical_not(hits))
    else:
      neg_logits = tf.einsum("bd,bnd->bn", users, negatives)
    masked = tf.fill(tf.shape(neg_logits), tf.constant(MASKED_LOGIT, neg_logits.dtype))
    neg_logits = tf.where(valid, neg_logits / self.temperature, masked)
    return tf.concat([logits, neg_logits], axis=1)

  def get_config(self):
    return {
        "name": self.name,
        "trainable": self.trainable,
        "node_features": {node_type: {name: spec.get_config() for name, spec in features.items()}
                          for node_type, features in self.encoder.node_features.items()},
        "user_node_types": list(self.user_node_types),
        "item_node_types": list(self.item_node_types),
        "feature_dim": self.feature_dim,
        "hidden_dim": self.hidden_dim,
        "embedding_dim": self.embedding_dim,
        "aggregator": self.aggregator,
        "activation": tf.keras.activations.serialize(self.activation),
        "dropout": self.dropout,
        "score": self.score,
        "temperature": self.temperature,
        "share_towers": self.share_towers,
        "share_negatives": self.share_negatives,
        "embeddings_regularizer": tf.keras.regularizers.serialize(self.embeddings_regularizer),
        "kernel_regularizer": tf.keras.regularizers.serialize(self.kernel_regularizer),
    }

  @classmethod
  def from_config(cls, config):
    return cls(**config)

