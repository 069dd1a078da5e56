"""`Node2Vec`: skip-gram node embeddings over random walks (DeepWalk, node2vec)."""
from __future__ import annotations

import tensorflow as tf

from ._base import LinkPredictionLoss, check_positive_int, link_scores


@tf.keras.utils.register_keras_serializable(package="tfgle")
class Node2Vec(tf.keras.Model):
  """Skip-gram with negative sampling (word2vec's SGNS) on random-walk windows.

  DeepWalk (Perozzi et al. 2014) and node2vec (Grover & Leskovec 2016) learn
  one vector per node so that nodes that co-occur in walk windows score high:
  sigmoid(embedding[target] . context[context]) for observed pairs and low for
  negatives. The model holds the embedding table (what `embed` returns) and a
  context table (word2vec's output vectors; `shared_context=True` uses the
  embedding table for both, as PyG's Node2Vec does). It trains on
  `tfgle.data.skip_gram_dataset` batches with `model.fit` and needs no loss
  argument (the sigmoid cross-entropy of `LinkPredictionLoss`).

  The gradients are sparse (a batch touches few rows). Keras' Adam still
  updates every row of the tables each step, which is fine up to some
  hundred thousand nodes; for larger graphs use an optimizer with sparse
  updates, such as tf.keras.optimizers.legacy.Adagrad or SGD.

  Example:
    graph, info = tfgle.datasets.load_citation(path)
    ds = tfgle.data.skip_gram_dataset(graph, "cites", walk_length=40, p=0.25, q=4.0)
    model = tfgle.models.Node2Vec(graph.num_nodes("paper"), 128)
    model.compile(tf.keras.optimizers.Adam(0.01))
    model.fit(ds, epochs=2)
    ids = tf.range(graph.num_nodes("paper"), dtype=tf.int64)
    table = tf.concat([model.embed(b) for b in tf.data.Dataset.from_tensor_slices(ids)
                       .batch(65536)], 0)                       # [N, 128]
    tfgle.export.export_embedding_table(out_dir, graph.node_ids("paper"), table)

  Args:
    num_nodes: nodes of the embedded type (dense indices 0..num_nodes-1).
    embedding_dim: the embedding width.
    shared_context: one table for targets and contexts.
    embeddings_initializer: of the embedding table (default: uniform in
      +-0.5 / embedding_dim, as word2vec); the context table starts at zero.
    embeddings_regularizer: of both tables.

  Call args:
    inputs: {"target": int [B], "context": int [B], "negatives": int [B, N]}.

  Call returns:
    Scores [B, 1 + N]: column 0 the (target, context) pair, then the negatives.

  Raises:
    ValueError: bad arguments (naming them).
  """

  def __init__(self, num_nodes: int, embedding_dim: int = 128, *, shared_context: bool = False,
               embeddings_initializer=None, embeddings_regularizer=None, **kwargs):
    super().__init__(**kwargs)
    cls = type(self).__name__
    self.num_nodes = check_positive_int(cls, "num_nodes", num_nodes)
    self.embedding_dim = check_positive_int(cls, "embedding_dim", embedding_dim)
    if not isinstance(shared_context, bool):
      raise ValueError(f"{cls}: shared_context must be True or False, got {shared_context!r}")
    self.shared_context = shared_context
    scale = 0.5 / self.embedding_dim
    self.embeddings_initializer = tf.keras.initializers.get(
        embeddings_initializer or tf.keras.initializers.RandomUniform(-scale, scale))
    self.embeddings_regularizer = tf.keras.regularizers.get(embeddings_regularizer)
    self.embedding = tf.keras.layers.Embedding(
        self.num_nodes, self.embedding_dim, embeddings_initializer=self.embeddings_initializer,
        embeddings_regularizer=self.embeddings_regularizer, name="embedding")
    self.context = self.embedding if shared_context else tf.keras.layers.Embedding(
        self.num_nodes, self.embedding_dim, embeddings_initializer="zeros",
        embeddings_regularizer=self.embeddings_regularizer, name="context_embedding")
    self.build(None)

  def build(self, input_shape=None):
    """Creates both tables (their sizes follow from the configuration)."""
    if self.built:
      return
    self.embedding.build((None,))
    if not self.shared_context:
      self.context.build((None,))
    self.built = True

  @property
  def embeddings(self) -> tf.Variable:
    """The embedding table [num_nodes, embedding_dim]."""
    return self.embedding.embeddings

  def embed(self, ids) -> tf.Tensor:
    """Embeddings of dense node indices `ids` (any shape) -> ids.shape + [embedding_dim]."""
    return tf.gather(self.embedding.embeddings, tf.cast(ids, tf.int64))

  @tf.autograph.experimental.do_not_convert
  def call(self, inputs, training=None):
    return link_scores(self.embedding(inputs["target"]), self.context(inputs["context"]),
                       self.context(inputs["negatives"]))

  def compile(self, optimizer="adam", loss=None, **kwargs):
    """As Keras' compile; the loss defaults to LinkPredictionLoss."""
    super().compile(optimizer=optimizer, loss=loss or LinkPredictionLoss(), **kwargs)

  def train_step(self, data):
    return super().train_step(_with_dummy_labels(data))

  def test_step(self, data):
    return super().test_step(_with_dummy_labels(data))

  def get_config(self):
    return {"num_nodes": self.num_nodes, "embedding_dim": self.embedding_dim,
            "shared_context": self.shared_context,
            "embeddings_initializer": tf.keras.initializers.serialize(
                self.embeddings_initializer),
            "embeddings_regularizer": tf.keras.regularizers.serialize(
                self.embeddings_regularizer) if self.embeddings_regularizer else None,
            "name": self.name}

  @classmethod
  def from_config(cls, config):
    config = dict(config)
    config["embeddings_initializer"] = tf.keras.initializers.deserialize(
        config["embeddings_initializer"])
    if config.get("embeddings_regularizer") is not None:
      config["embeddings_regularizer"] = tf.keras.regularizers.deserialize(
          config["embeddings_regularizer"])
    return cls(**config)


def _with_dummy_labels(data):
  """Skip-gram batches come without labels (the loss ignores them): give Keras zeros."""
  x, y, sample_weight = tf.keras.utils.unpack_x_y_sample_weight(data)
  if y is not None:
    return data
  return tf.keras.utils.pack_x_y_sample_weight(x, tf.zeros(tf.shape(x["target"])[:1]),
                                               sample_weight)
