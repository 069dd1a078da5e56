"""Checkpointing tfgle input pipelines.

A tf.data iterator over tfgle's in-graph tables saves its position only: the
tables are resources, which tf.data treats as external state. Restoring that
position onto a different graph would silently continue a different stream, so
`IteratorCheckpoint` stores the graph's content fingerprint with the iterator
and refuses a restore onto a graph whose fingerprint differs.
"""
from __future__ import annotations

import tensorflow as tf


class IteratorCheckpoint(tf.train.Checkpoint):
  """A tf.train.Checkpoint that also records (and checks) the graph's fingerprint.

  Example:
    it = iter(dataset)
    ckpt = tfgle.data.IteratorCheckpoint(graph, iterator=it)
    ckpt.write(path)
    ...                       # later, in a fresh process, same graph and query
    ckpt = tfgle.data.IteratorCheckpoint(graph, iterator=iter(dataset))
    ckpt.read(path)           # the iterator continues where it was saved

  Args:
    graph: the built tfgle.Graph the pipeline samples.
    **kwargs: objects to checkpoint (the iterator, a model, ...).

  Raises (from read/restore):
    ValueError: the checkpoint was written for a graph with other content.
  """

  def __init__(self, graph, **kwargs):
    expected = graph.fingerprint()
    super().__init__(graph_fingerprint=tf.Variable(expected, trainable=False), **kwargs)
    self._expected_fingerprint = expected

  def read(self, save_path, options=None):
    self._check(save_path)
    return super().read(save_path, options)

  def restore(self, save_path, options=None):
    self._check(save_path)
    return super().restore(save_path, options)

  def _check(self, save_path):
    """Refuses a checkpoint of another graph BEFORE anything is restored from it."""
    reader = tf.train.load_checkpoint(save_path)
    key = "graph_fingerprint/.ATTRIBUTES/VARIABLE_VALUE"
    if not reader.has_tensor(key):
      raise ValueError(f"checkpoint {save_path} holds no graph fingerprint: it was not written "
                       "by tfgle.data.IteratorCheckpoint")
    saved = reader.get_tensor(key).decode()
    if saved != self._expected_fingerprint:
      raise ValueError(
          f"checkpoint {save_path} was written for a graph with fingerprint {saved}, but this "
          f"graph's is {self._expected_fingerprint}: its pipeline position would continue a "
          "different sample stream. Restore onto the same graph, or start the pipeline afresh.")
