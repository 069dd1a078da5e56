"""`LightGCN`: full-graph propagation of free embeddings over the normalized user-item graph.

He et al., "LightGCN: Simplifying and Powering Graph Convolution Network for
Recommendation" (SIGIR 2020): user and item embeddings E^(0) are propagated
over the symmetrically normalized user-item adjacency, with no weights and no
nonlinearity,
  E^(k+1) = D^-1/2 A D^-1/2 E^(k),
and the final embedding of a node is the mean of its layers E^(0..K) (the
paper's alpha_k = 1 / (K + 1)). Trained with BPR, as `BPRMF`, on the batches
of `tfgle.models.bpr_dataset`; with num_layers=0 it is BPRMF.

The interactions (the graph's user -> item edges, deduplicated) are weights
of the model (non-trainable int64 variables), so a saved model carries its
graph; the normalized adjacency is rebuilt from them as a tf.sparse matrix
[U, I] on every call, and every training step propagates the whole graph (as
the paper does): the cost of a step is K sparse products with the E edges.

Example:
  model = tfgle.models.LightGCN.from_graph(graph, "rates", embedding_dim=64, num_layers=3)
  model.compile(optimizer=tf.keras.optimizers.Adam(1e-2))
  model.fit(tfgle.models.bpr_dataset(graph, "rates", batch_size=2048), epochs=30)
  users, items = model.embed_users(), model.embed_items()
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import tensorflow as tf

from ._base import check_positive_int
from .mf_bpr import BPRMF


@tf.keras.utils.register_keras_serializable(package="tfgle")
class LightGCN(BPRMF):
  """LightGCN: BPRMF's embeddings propagated over the normalized user-item graph.

  Example:
    model = LightGCN(3, 4, interactions=([0, 0, 1, 2], [0, 1, 1, 3]), embedding_dim=8)
    model.embed_users()   # [3, 8]

  Args:
    num_users, num_items: the number of users and items (dense indices).
    num_interactions: the number of distinct (user, item) interactions: the
      shape of the interaction weights (needed without `interactions`, for
      example when Keras rebuilds a saved model from its config).
    interactions: (users, items) dense index arrays of the edges to
      propagate over (duplicates count once), or None (zeros, for weights
      loaded later).
    num_layers: propagation layers K (>= 0).
    embedding_dim, l2, embeddings_initializer: as BPRMF (the L2 penalty is on
      the batch's layer-0 embeddings, as in the paper).

  Call args / returns: as BPRMF.

  Raises:
    ValueError: a bad argument, interactions out of range, or a
      num_interactions that does not match them.
  """

  def __init__(self, num_users: int, num_items: int, *, num_interactions: Optional[int] = None,
               interactions=None, num_layers: int = 3, **kwargs):
    super().__init__(num_users, num_items, **kwargs)
    cls = type(self).__name__
    if isinstance(num_layers, bool) or not isinstance(num_layers, int) or num_layers < 0:
      raise ValueError(f"{cls}: num_layers must be an int >= 0, got {num_layers!r}")
    self.num_layers = num_layers
    self._interactions = None
    if interactions is not None:
      self._interactions = _unique_pairs(cls, interactions, self.num_users, self.num_items)
      if num_interactions is not None and num_interactions != len(self._interactions[0]):
        raise ValueError(f"{cls}: num_interactions={num_interactions!r} does not match the "
                         f"{len(self._interactions[0])} distinct interactions given")
      num_interactions = len(self._interactions[0])
    elif num_interactions is None:
      raise ValueError(f"{cls}: give interactions= (the user -> item edges) or "
                       "num_interactions= (for weights loaded later)")
    self.num_interactions = check_positive_int(cls, "num_interactions", num_interactions)

  @classmethod
  def from_graph(cls, graph, edge_type, **kwargs) -> "LightGCN":
    """A model over every edge of `edge_type` (source: users, destination: items).

    Build the graph from training edges only (tfgle.data.split_edges): the
    model propagates over all of them.
    """
    et = graph.edge_type(edge_type)
    num_users = graph.num_nodes(et.src)
    full = graph.sampler.sample_full_neighbors(et.name, tf.range(num_users, dtype=tf.int64))
    interactions = (full.ids.value_rowids().numpy(), full.ids.flat_values.numpy())
    return cls(num_users, graph.num_nodes(et.dst), interactions=interactions, **kwargs)

  def build(self, input_shape=None):
    if self.built:
      return
    super().build(input_shape)
    self.built = False
    users, items = self._interactions if self._interactions is not None else (None, None)
    self.interaction_users = self.add_weight(
        "interaction_users", shape=(self.num_interactions,), dtype=tf.int64, trainable=False,
        initializer=_constant_or_zeros(users))
    self.interaction_items = self.add_weight(
        "interaction_items", shape=(self.num_interactions,), dtype=tf.int64, trainable=False,
        initializer=_constant_or_zeros(items))
    self._interactions = None  # the variables hold them now
    self.built = True

  def adjacency(self) -> tf.sparse.SparseTensor:
    """The normalized user-item adjacency D_u^-1/2 R D_i^-1/2, a tf.sparse matrix [U, I]."""
    self.build(None)
    users = tf.convert_to_tensor(self.interaction_users)
    items = tf.convert_to_tensor(self.interaction_items)
    ones = tf.ones_like(users, tf.float32)
    user_degree = tf.math.unsorted_segment_sum(ones, users, self.num_users)
    item_degree = tf.math.unsorted_segment_sum(ones, items, self.num_items)
    values = tf.math.rsqrt(tf.gather(user_degree, users) * tf.gather(item_degree, items))
    return tf.sparse.SparseTensor(tf.stack([users, items], axis=1), values,
                                  [self.num_users, self.num_items])

  def propagate(self) -> tuple[tf.Tensor, tf.Tensor]:
    """Final user [U, D] and item [I, D] embeddings: the mean of layers 0..K."""
    users, items = super().propagate()
    if not self.num_layers:
      return users, items
    adjacency = self.adjacency()
    user_sum, item_sum = users, items
    for _ in range(self.num_layers):
      users, items = (tf.sparse.sparse_dense_matmul(adjacency, items),
                      tf.sparse.sparse_dense_matmul(adjacency, users, adjoint_a=True))
      user_sum += users
      item_sum += items
    scale = 1.0 / (self.num_layers + 1)
    return user_sum * scale, item_sum * scale

  def get_config(self):
    return {**super().get_config(), "num_interactions": self.num_interactions,
            "num_layers": self.num_layers}


def _unique_pairs(cls: str, interactions, num_users: int, num_items: int):
  """Distinct (users, items) int64 arrays, sorted by user then item."""
  if not isinstance(interactions, (tuple, list)) or len(interactions) != 2:
    raise ValueError(f"{cls}: interactions must be a (users, items) pair of index arrays, got "
                     f"{type(interactions).__name__}")
  users, items = (np.asarray(v) for v in interactions)
  if users.ndim != 1 or users.shape != items.shape or (users.size and (
      users.dtype.kind not in "iu" or items.dtype.kind not in "iu")):
    raise ValueError(f"{cls}: interactions must be two 1-D int arrays of one length, got "
                     f"{users.dtype} {users.shape} and {items.dtype} {items.shape}")
  for what, ids, size in (("users", users, num_users), ("items", items, num_items)):
    bad = (ids < 0) | (ids >= size)
    if bad.any():
      raise ValueError(f"{cls}: interactions {what}[{int(np.argmax(bad))}] = "
                       f"{int(ids[np.argmax(bad)])} is not in [0, {size})")
  keys = np.unique(users.astype(np.int64) * num_items + items.astype(np.int64))
  return keys // num_items, keys % num_items


def _constant_or_zeros(values):
  return "zeros" if values is None else tf.constant_initializer(values)
