"""`GIN`: graph isomorphism network for graph classification over graph batches."""
from __future__ import annotations

from typing import Sequence

import tensorflow as tf

from tfgle.data import graph_batch
from tfgle.features import specs as specs_lib
from tfgle.layers import GINConv
from tfgle.layers import readout as readout_lib
from . import _base  # pylint: disable=g-bad-import-order
from . import _subgraph  # pylint: disable=g-bad-import-order

READOUTS = {"sum": readout_lib.GlobalSumPool, "mean": readout_lib.GlobalMeanPool,
            "max": readout_lib.GlobalMaxPool, "attention": readout_lib.GlobalAttentionPool}


@tf.keras.utils.register_keras_serializable(package="tfgle")
class GIN(_subgraph.SubGraphModel):
  """GIN (Xu et al. 2019): graph classification on batches of whole graphs.

  The nodes of a graph batch (`tfgle.data.graph_batch_dataset`) are encoded
  by a FeatureEncoder, then L `GINConv` layers (MLP((1 + eps) x + sum of
  neighbors), activation) propagate over its edges; a readout pools each
  graph's node states (with jumping_knowledge, those of every layer,
  concatenated) into one vector, an MLP of `head_dims` follows, and with
  `num_classes` a Dense layer gives the logits. A sum readout (the default)
  keeps counts (of nodes, of edges through the degrees), which mean and max
  readouts lose (Xu et al.'s argument for GIN).

  Example:
    collection = tfgle.datasets.synthetic_graph_collection(1000, task="cycles")
    model = GIN.from_collection(collection, hidden_dims=[32, 32], dropout=0.1)
    model.compile("adam", loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(tfgle.data.graph_batch_dataset(collection, 64, split="train"), epochs=20)
    embeddings = model.embed(batch)          # [num_graphs, D]

  Args:
    features: feature name -> spec of the nodes.
    hidden_dims: width of each GIN layer.
    num_classes: the number of classes (logits [B, num_classes]), or None
      (graph embeddings).
    readout: "sum", "mean", "max" or "attention" (`tfgle.layers`' Global*Pool).
    jumping_knowledge: pool the concatenated states of every layer (as the GIN
      paper), not just the last layer's.
    head_dims: widths of the hidden layers of the MLP after the readout.
    train_eps: learn each layer's eps.
    num_mlp_layers: dense layers in each GIN layer's MLP.
    head: "dense" only (there is no node-level "conv" head for graphs).
    encoder_dim, activation, dropout, normalize, kernel_regularizer, raw: see
      `models._subgraph.SubGraphModel` (dropout applies to every layer's
      inputs, the head MLP's and the logits').

  Call args:
    inputs: a graph batch dict: "edge_index" [2, E], "graph_index" [N] (-1,
      or "node_mask" False: padding nodes, ignored by the readout),
      "num_graphs" (scalar) and the node features [N, ...]; optionally
      "edge_mask" [E].
    training: enables dropout.

  Call returns:
    logits [B, num_classes] or embeddings [B, D] of the B = num_graphs graphs.

  Raises:
    ValueError: bad arguments (naming them), a batch that is not a graph batch.
  """

  def __init__(self, features, *, hidden_dims: Sequence[int] = (64, 64, 64),
               readout: str = "sum", jumping_knowledge: bool = False,
               head_dims: Sequence[int] = (), train_eps: bool = False, num_mlp_layers: int = 2,
               head: str = "dense", **kwargs):
    cls = type(self).__name__
    if head != "dense":
      raise ValueError(f"{cls}: head must be 'dense' (graphs have no node-level 'conv' head), "
                       f"got {head!r}")
    super().__init__(features, hidden_dims=hidden_dims, head=head, **kwargs)
    if readout not in READOUTS:
      raise ValueError(f"{cls}: readout must be one of {list(READOUTS)}, got {readout!r}")
    self.readout_kind = readout
    self.jumping_knowledge = bool(jumping_knowledge)
    self.head_dims = [] if not head_dims else _base.check_dims(cls, "head_dims", head_dims)
    self.train_eps = bool(train_eps)
    self.num_mlp_layers = _base.check_positive_int(cls, "num_mlp_layers", num_mlp_layers)
    for name, spec in self.features.items():
      if _base.input_key(name, spec) in graph_batch.STRUCTURE and spec.kind != "id":
        raise ValueError(f"{cls}: features[{name!r}] collides with the graph batch entry "
                         f"{name!r}; rename the feature")
    self.readout = READOUTS[readout](name="readout")
    self.head_layers = [tf.keras.layers.Dense(units, activation=self.activation,
                                              kernel_regularizer=self.kernel_regularizer,
                                              name=f"head_{i}")
                        for i, units in enumerate(self.head_dims)]
    self._make_convs()

  @classmethod
  def from_collection(cls, collection, *, embedding_dim: int = 16, **kwargs):
    """The model with the feature specs of a `tfgle.graph.GraphCollection`'s node attributes.

    num_classes defaults to the collection's; every other argument is the
    model's.
    """
    kwargs.setdefault("num_classes", collection.num_classes)
    model = cls(specs_lib.from_attrs(collection.attrs, embedding_dim=embedding_dim), **kwargs)
    model.build()
    return model

  @property
  def embedding_dim(self) -> int:
    if self.head_dims:
      return self.head_dims[-1]
    return sum(self.hidden_dims) if self.jumping_knowledge else self.hidden_dims[-1]

  def _make_conv(self, units, logits):
    return GINConv(units, train_eps=self.train_eps, num_mlp_layers=self.num_mlp_layers,
                   activation=self.activation, kernel_regularizer=self.kernel_regularizer)

  def _embed(self, batch, training, dedupe=None, depth=None):
    cls = type(self).__name__
    missing = [k for k in ("edge_index", "graph_index", "num_graphs") if k not in batch]
    if missing:
      raise ValueError(f"{cls}: the batch must be a graph batch dict with 'edge_index', "
                       f"'graph_index' and 'num_graphs' (tfgle.data.graph_batch_dataset), got "
                       f"entries {sorted(batch)}")
    node_mask = batch.get("node_mask")
    inputs = _base.zero_padding(batch, self.features, node_mask)
    x = self._dropout(self.encoder(inputs, training=training), training=training)
    if self.projection is not None:
      x = self.projection(x)
    states = []
    for i, conv in enumerate(self.convs):
      if i > 0:
        x = self._dropout(x, training=training)
      x = conv((x, batch["edge_index"]), edge_mask=batch.get("edge_mask"), training=training)
      states.append(x)
    h = tf.concat(states, axis=-1) if self.jumping_knowledge else x
    graph_index = batch["graph_index"]
    if node_mask is not None:
      graph_index = tf.where(tf.cast(node_mask, tf.bool), graph_index,
                             tf.constant(-1, graph_index.dtype))
    out = self.readout((h, graph_index), num_graphs=batch["num_graphs"])
    for layer in self.head_layers:
      out = layer(self._dropout(out, training=training))
    return out

  def _dummy_batch(self):
    batch = _base.dummy_inputs(self.features, [1], self.raw)
    batch.update(edge_index=tf.zeros([2, 1], tf.int64), graph_index=tf.zeros([1], tf.int64),
                 num_graphs=tf.constant(1, tf.int64))
    return batch

  def _model_config(self) -> dict:
    return {**super()._model_config(), "readout": self.readout_kind,
            "jumping_knowledge": self.jumping_knowledge, "head_dims": list(self.head_dims),
            "train_eps": self.train_eps, "num_mlp_layers": self.num_mlp_layers}
