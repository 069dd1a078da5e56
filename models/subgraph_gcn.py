"""`GCN`: graph convolutional network over SubGraph batches."""
from __future__ import annotations

from typing import Sequence

import tensorflow as tf

from tfgle.layers import GCNConv
from . import _subgraph  # pylint: disable=g-bad-import-order


@tf.keras.utils.register_keras_serializable(package="tfgle")
class GCN(_subgraph.SubGraphModel):
  """GCN (Kipf & Welling 2017) on SubGraph batches.

  The nodes of a SubGraph are encoded by a FeatureEncoder, then L `GCNConv`
  layers (symmetric normalization, self loops) propagate over its edges; the
  seeds' rows, after the activation, are their embeddings. With `num_classes`
  a Dense head gives logits.

  Example:
    model = GCN.from_graph(graph, "paper", multi_hot=["words"], hidden_dims=[64, 64],
                           num_classes=7, dropout=0.5)
    ds = tfgle.data.subgraph_dataset(graph, "train", ["cites", "cites"], [10, 5])
    model.compile("adam", loss=tfgle.losses.SoftmaxCrossEntropy())
    model.fit(ds)
    embeddings = model.embed(subgraph)      # [num_seeds, 64]

  Args:
    features: feature name -> spec of the nodes.
    hidden_dims: width of each GCN layer.
    num_classes: the number of classes (logits [B, num_classes]), or None
      (embeddings).
    head: "dense" (a Dense layer on the embeddings) or "conv" (a last
      convolution of width num_classes) gives the logits.
    add_self_loops: every node also receives its own message.
    encoder_dim, activation, dropout, normalize, kernel_regularizer, raw: see
      `models._subgraph.SubGraphModel`.

  Call args:
    inputs: a SubGraph dict (see `models._subgraph.SubGraphModel`).
    training: enables dropout.

  Call returns:
    logits [B, num_classes] or embeddings [B, D] of the B = num_seeds seeds.

  Raises:
    ValueError: bad arguments (naming them), a batch that is not a SubGraph.
  """

  def __init__(self, features, *, hidden_dims: Sequence[int] = (64, 64),
               add_self_loops: bool = True, **kwargs):
    super().__init__(features, hidden_dims=hidden_dims, **kwargs)
    self.add_self_loops = bool(add_self_loops)
    self._make_convs()

  def _make_conv(self, units, logits):
    return GCNConv(units, add_self_loops=self.add_self_loops,
                   kernel_regularizer=self.kernel_regularizer)

  def _model_config(self) -> dict:
    return {**super()._model_config(), "add_self_loops": self.add_self_loops}
