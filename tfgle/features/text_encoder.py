"""Pre-trained text encoders over a graph's text attributes ("language model as enhancer").

`encode_text` runs a text encoder the user has locally (a Keras layer or
model, a SavedModel directory, or any Python callable from strings to
vectors: a sentence-transformer's `encode`, a call to a local LLM's
embedding endpoint) over every node's text once, ahead of training, in
batches with a progress bar, caches the vectors on disk, and stores them as
a float feature of the graph. Models then read that feature like any other;
nothing calls the encoder during training or serving.

Example:
  import sentence_transformers  # or any local encoder
  st = sentence_transformers.SentenceTransformer("/models/all-MiniLM-L6-v2")
  tfgle.features.encode_text(graph, "paper", "abstract", st.encode, name="abstract_vec",
                             cache_dir="/tmp/text_cache", cache_key="all-MiniLM-L6-v2")
"""
from __future__ import annotations

import hashlib
import os
from typing import Any, Callable, Optional, Union

import numpy as np
import tensorflow as tf

from tfgle._progress import RateProgress
from tfgle.graph import schema

TextEncoder = Union[tf.keras.layers.Layer, str, Callable[[Any], Any]]


def encode_text(graph, node_type: str, attr: str, encoder: TextEncoder, *,
                name: Optional[str] = None, batch_size: int = 256,
                cache_dir: Optional[str] = None, cache_key: Optional[str] = None,
                verbose: int = 1) -> np.ndarray:
  """Encodes text attribute `attr` of every `node_type` node; stores it as float feature `name`.

  Args:
    graph: a built tfgle.Graph; `attr` is one of its TextAttr (or StringAttr)
      attributes of `node_type`.
    node_type: the node type.
    attr: the text attribute.
    encoder: a Keras layer or model (called on a tf.string [B] tensor), a
      SavedModel directory (its `serving_default` signature, or the loaded
      object if callable, on a tf.string [B] tensor), or a callable taking a
      list of B Python strings; each returns B vectors of one width.
    name: the feature to store (default: f"{attr}_embedding").
    batch_size: texts per encoder call.
    cache_dir: cache the vectors in this directory; a later call with the
      same texts and cache key reads them instead of encoding (no encoder
      call).
    cache_key: what names the encoder in the cache (default: the SavedModel
      path, or the layer's or callable's name: give one when a name does not
      pin the weights).
    verbose: 1 shows a progress bar with texts/s.

  Returns:
    The vectors, float32 [N, D] in dense-index order (also the feature's values).

  Raises:
    ValueError: an unknown node type or attribute, an attribute that is not
      text, a bad batch_size, or an encoder whose output is not B finite
      vectors of one width.
  """
  attrs = graph.node_attrs(node_type)
  if attr not in attrs or not isinstance(attrs[attr], schema.StringAttr):
    texts = sorted(n for n, a in attrs.items() if isinstance(a, schema.StringAttr))
    raise ValueError(f"encode_text: node type {node_type!r} has no text attribute {attr!r}; "
                     f"its text attributes are {texts}")
  if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
    raise ValueError(f"encode_text: batch_size must be a positive int, got {batch_size!r}")
  texts = graph.feature_tensors(node_type)[attr].numpy()
  call, described = _callable(encoder)
  path = None
  if cache_dir is not None:
    digest = hashlib.sha256()
    for text in texts:
      digest.update(text + b"\0")
    digest.update((cache_key or described).encode("utf-8"))
    path = os.path.join(cache_dir, f"{node_type}.{attr}.{digest.hexdigest()[:24]}.npy")
  if path is not None and os.path.exists(path):
    vectors = np.load(path)
  else:
    vectors = _encode_all(texts, call, batch_size, verbose, described)
    if path is not None:
      os.makedirs(cache_dir, exist_ok=True)
      np.save(path + ".tmp.npy", vectors)
      os.replace(path + ".tmp.npy", path)  # a killed run leaves no half-written cache
  graph.set_node_feature(node_type, name or f"{attr}_embedding", vectors)
  return vectors


def _callable(encoder: TextEncoder) -> tuple[Callable[[np.ndarray], Any], str]:
  """(a function of a batch of byte strings, a name of the encoder)."""
  if isinstance(encoder, str):
    if not os.path.isdir(encoder):
      raise ValueError(f"encode_text: encoder {encoder!r} is a path but no SavedModel directory")
    loaded = tf.saved_model.load(encoder)
    signature = getattr(loaded, "signatures", {}).get("serving_default")
    if signature is not None:
      def serve(batch):
        outputs = signature(tf.constant(batch, tf.string))
        return next(iter(outputs.values()))
      return serve, os.path.abspath(encoder)
    if not callable(loaded):
      raise ValueError(f"encode_text: SavedModel {encoder!r} has no serving_default signature "
                       "and is not callable")
    return lambda batch: loaded(tf.constant(batch, tf.string)), os.path.abspath(encoder)
  if isinstance(encoder, tf.keras.layers.Layer):
    return lambda batch: encoder(tf.constant(batch, tf.string)), f"keras:{encoder.name}"
  if callable(encoder):
    described = getattr(encoder, "__qualname__", type(encoder).__name__)
    return (lambda batch: encoder([t.decode("utf-8") for t in batch]), f"callable:{described}")
  raise ValueError(f"encode_text: encoder must be a Keras layer, a SavedModel path or a "
                   f"callable, got {encoder!r}")


def _encode_all(texts: np.ndarray, call, batch_size: int, verbose: int,
                described: str) -> np.ndarray:
  progress = RateProgress(len(texts), unit="text", rate_name="texts/s", verbose=verbose)
  parts = []
  for start in range(0, len(texts), batch_size):
    batch = texts[start:start + batch_size]
    out = call(batch)
    out = np.asarray(out.numpy() if hasattr(out, "numpy") else out, np.float32)
    if out.ndim != 2 or len(out) != len(batch) or (parts and out.shape[1] != parts[0].shape[1]):
      raise ValueError(f"encode_text: encoder {described} gave shape {out.shape} for "
                       f"{len(batch)} texts; it must give one vector per text, all of one width")
    if not np.all(np.isfinite(out)):
      raise ValueError(f"encode_text: encoder {described} gave non-finite values")
    parts.append(out)
    progress.add(len(batch), len(batch))
  if not parts:
    return np.zeros((0, 1), np.float32)
  return np.concatenate(parts)
