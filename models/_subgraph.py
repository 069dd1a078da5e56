"""`SubGraphModel`: the shared body of the SubGraph models (private).

FeatureEncoder (every node) -> L SubGraph convolutions over edge_index ->
the seeds' rows (the first num_seeds nodes) as embeddings [B, D] (with a
head: after the activation) -> an optional Dense classification head.
"""
from __future__ import annotations

from typing import Optional, Sequence

import tensorflow as tf

from . import _base  # pylint: disable=g-bad-import-order
from . import _edges

# Entries of a SubGraph batch that are not node features.
STRUCTURE = ("index", "ids", "num_seeds", "edge_index", "edge_ids", "edge_mask", "node_mask",
             "edges")


class SubGraphModel(_base.ZooModel):
  """Node embeddings (and classification) over SubGraph batches.

  A SubGraph batch is the dict of `tfgle.data.subgraph_dataset`: "index",
  "ids", "num_seeds", "edge_index" [2, E] (row 0 source, row 1 target),
  "edge_ids" and the node features [N, ...]; seeds come first. Optional
  entries for batches padded to fixed sizes: "node_mask" bool [N] (padding
  nodes' numeric features are zeroed) and "edge_mask" bool [E] (padding edges
  are ignored). Models that read edge features take them from "edges"
  ({name: [E, ...]}, see `subgraph_dataset(edge_features=...)`).

  Args (shared by the SubGraph models):
    features: feature name -> spec (see `tfgle.features.specs`).
    hidden_dims: the width of each hidden convolution; the last one sets the
      embedding width.
    num_classes: the model gives logits [B, num_classes]; None makes it return
      the embeddings.
    head: "dense" (a Dense layer on the embeddings gives the logits) or "conv"
      (one more convolution, of width num_classes, gives them, as in the GCN
      and GAT papers).
    encoder_dim: a linear projection of the encoded (and dropped-out) features
      to this width before the first convolution (None: none).
    activation: between layers, and on the embeddings given to the head.
    dropout: rate on every layer's inputs and before the head (training).
    normalize: L2-normalize the embeddings.
    kernel_regularizer: of every kernel and embedding table.
    raw: the encoder takes raw categorical values (see `as_raw`).
  """

  def __init__(self, features, *, hidden_dims: Sequence[int], **kwargs):
    super().__init__(hidden_dims=hidden_dims, **kwargs)
    cls = type(self).__name__
    self.encoder = _base.make_encoder(cls, features, None, raw=self.raw,
                                      regularizer=self.kernel_regularizer)
    self.projection = None if self.encoder_dim is None else tf.keras.layers.Dense(
        self.encoder_dim, kernel_regularizer=self.kernel_regularizer, name="projection")
    for name in self.encoder.features:
      if name in STRUCTURE and self.encoder.features[name].kind != "id":
        raise ValueError(f"{cls}: features[{name!r}] collides with the SubGraph entry "
                         f"{name!r}; rename the feature")
    self._dropout = tf.keras.layers.Dropout(self.dropout)
    self.convs = []  # subclasses call _make_convs() once their arguments are set

  def _make_convs(self):
    last = len(self.layer_dims) - 1
    self.convs = [self._make_conv(units, self.head_kind == "conv" and i == last)
                  for i, units in enumerate(self.layer_dims)]

  @property
  def features(self) -> dict:
    return self.encoder.features

  def _embed(self, batch, training, dedupe=None, depth=None):
    cls = type(self).__name__
    missing = [k for k in ("edge_index", "num_seeds") if k not in batch]
    if missing:
      raise ValueError(f"{cls}: the batch must be a SubGraph dict with 'edge_index' and "
                       f"'num_seeds', got entries {sorted(batch)}")
    inputs = _base.zero_padding(batch, self.features, batch.get("node_mask"))
    x = self._dropout(self.encoder(inputs, training=training), training=training)
    if self.projection is not None:
      x = self.projection(x)
    edge_index, edge_mask = batch["edge_index"], batch.get("edge_mask")
    edges = self._edge_inputs(batch)
    for i, conv in enumerate(self.convs[:depth]):
      if i > 0:
        x = self._dropout(self.activation(x), training=training)
      inputs = (x, edge_index) if edges is None else (x, edge_index, edges)
      x = conv(inputs, edge_mask=edge_mask, training=training)
    return x[:tf.cast(tf.reshape(batch["num_seeds"], []), tf.int32)]

  def _edge_inputs(self, batch):
    """The encoded edge features [E, F] the convolutions read, or None."""
    return None

  def _dummy_batch(self):
    batch = _base.dummy_inputs(self.features, [1], self.raw)
    batch.update(edge_index=tf.zeros([2, 1], tf.int64), num_seeds=tf.constant(1, tf.int64))
    return batch

  def _model_config(self) -> dict:
    return {"features": {n: s.get_config() for n, s in self.features.items()}}

  @classmethod
  def from_graph(cls, graph, node_type: str, *, multi_hot: Sequence[str] = (),
                 normalize_features: bool = False, embedding_dim: int = 16,
                 id_embedding_dim: Optional[int] = None, edge_type: Optional[str] = None,
                 **kwargs):
    """The model with the feature specs of a built graph's node type.

    Args:
      graph: a built tfgle.Graph.
      node_type: the node type of the subgraphs.
      multi_hot, normalize_features, embedding_dim, id_embedding_dim: as
        `EgoGraphSAGE.from_graph`.
      edge_type: models that read edge features (GAT, MPNN): the edge_features
        of this edge type's attributes (batches sampled with edge_features=).
      **kwargs: the model's arguments (hidden_dims, num_classes, ...).
    """
    if edge_type is not None:
      kwargs["edge_features"] = _edges.graph_edge_features(
          cls, graph, edge_type, embedding_dim=embedding_dim, multi_hot=multi_hot)
    model = cls(_base.graph_features(graph, node_type, multi_hot=multi_hot,
                                     normalize=normalize_features, embedding_dim=embedding_dim,
                                     id_embedding_dim=id_embedding_dim), **kwargs)
    model.build()  # its weights exist now: save_weights and load_weights see them
    return model
