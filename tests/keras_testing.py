"""Helpers for tests of Keras layers: save/reload in every format, finite gradients."""
import os
import tempfile

import numpy as np
import tensorflow as tf

# Keras formats a model is saved in and reloaded from: SavedModel, Keras v3, HDF5.
SAVE_FORMATS = (("saved_model", ""), ("keras", ".keras"), ("h5", ".h5"))


def save_and_reload(model: tf.keras.Model, fmt: str, directory: str) -> tf.keras.Model:
  """Saves `model` in format `fmt` ("saved_model", "keras" or "h5") and loads it back."""
  suffix = dict(SAVE_FORMATS)[fmt]
  path = os.path.join(directory, "model" + suffix)
  if fmt == "saved_model":
    model.save(path, save_format="tf", save_traces=False)
  else:
    model.save(path)
  return tf.keras.models.load_model(path)


def assert_reloads_identically(test: tf.test.TestCase, model: tf.keras.Model, inputs,
                               formats=("saved_model", "keras", "h5")):
  """Every format reloads `model` with outputs equal to the original's on `inputs`."""
  expected = model(inputs, training=False)
  for fmt in formats:
    with tempfile.TemporaryDirectory() as directory:
      loaded = save_and_reload(model, fmt, directory)
      actual = loaded(inputs, training=False)
      tf.nest.map_structure(
          lambda a, b, fmt=fmt: np.testing.assert_allclose(
              a.numpy(), b.numpy(), rtol=1e-6, atol=1e-6, err_msg=f"format {fmt}"),
          expected, actual)


def assert_finite_gradients(test: tf.test.TestCase, layer_call, variables, *, sources=()):
  """Gradients of sum(layer_call()) w.r.t. `variables` and `sources` exist and are finite."""
  with tf.GradientTape() as tape:
    for source in sources:
      tape.watch(source)
    out = layer_call()
    loss = tf.add_n([tf.reduce_sum(t) for t in tf.nest.flatten(out)])
  targets = list(variables) + list(sources)
  test.assertNotEmpty(targets)
  grads = tape.gradient(loss, targets)
  for target, grad in zip(targets, grads):
    name = getattr(target, "name", "input")
    test.assertIsNotNone(grad, f"no gradient for {name}")
    if isinstance(grad, tf.IndexedSlices):
      grad = tf.convert_to_tensor(grad)
    test.assertTrue(np.all(np.isfinite(grad.numpy())), f"non-finite gradient for {name}")


def ego_inputs(*, batch=3, leading=(), k=4, d_self=5, d_nbr=None, seed=0):
  """Random (x, neighbors, mask) of an Ego conv, numpy.

  x [batch, *leading, d_self], neighbors [batch, *leading, k, d_nbr], mask
  [batch, *leading, k]: random, with the first row all padding and the second
  all real.
  """
  rng = np.random.default_rng(seed)
  d_nbr = d_nbr or d_self
  lead = (batch,) + tuple(leading)
  x = rng.normal(size=lead + (d_self,)).astype(np.float32)
  n = rng.normal(size=lead + (k, d_nbr)).astype(np.float32)
  mask = rng.random(lead + (k,)) < 0.6
  mask[0] = False
  mask[1] = True
  return x, n, mask


def poison_padding(values, mask, value=np.nan):
  """`values` [..., k, ...] with every entry where mask [..., k] is False set to `value`."""
  values = np.array(values, copy=True)
  values[~mask] = value
  return values


def ego_hops(*, batch=3, fanouts=(3, 2), dims=(5, 5, 5), seed=0):
  """Random hop embeddings and consistent masks of a K-hop EgoGraph (numpy).

  hops[i] [batch, k1..ki, dims[i]], masks[i] [batch, k1..ki] (hop 0 all True;
  the children of a padding node are padding; the first seed has no real
  neighbors).
  """
  rng = np.random.default_rng(seed)
  hops, masks = [], []
  shape = (batch,)
  parent = np.ones(shape, bool)
  for i, dim in enumerate(dims):
    if i > 0:
      shape = shape + (fanouts[i - 1],)
      mask = (rng.random(shape) < 0.7) & parent[..., None]
      mask[0] = False
    else:
      mask = parent
    hops.append(rng.normal(size=shape + (dim,)).astype(np.float32))
    masks.append(mask)
    parent = mask
  return hops, masks


def subgraph(*, num_nodes=6, num_edges=12, dim=4, seed=0):
  """Random node features [N, dim] and edge_index [2, E] (int64), numpy."""
  rng = np.random.default_rng(seed)
  x = rng.normal(size=(num_nodes, dim)).astype(np.float32)
  edge_index = rng.integers(0, num_nodes, size=(2, num_edges)).astype(np.int64)
  edge_index[:, 0] = [1, 1]  # a self loop
  edge_index[1] = np.where(edge_index[1] == num_nodes - 1, 0, edge_index[1])  # no in-edges
  return x, edge_index


def bipartite_subgraph(*, num_src=5, num_dst=4, num_edges=10, d_src=4, d_dst=3, seed=0):
  """Random (x_src [num_src, d_src], x_dst [num_dst, d_dst]) and edge_index [2, E], numpy.

  Row 0 indexes x_src, row 1 x_dst; the last destination node has no in-edges.
  """
  rng = np.random.default_rng(seed)
  x_src = rng.normal(size=(num_src, d_src)).astype(np.float32)
  x_dst = rng.normal(size=(num_dst, d_dst)).astype(np.float32)
  edge_index = np.stack([rng.integers(0, num_src, num_edges),
                         rng.integers(0, num_dst - 1, num_edges)]).astype(np.int64)
  return (x_src, x_dst), edge_index


def assert_subgraph_gradients(test: tf.test.TestCase, layer):
  """A float64 SubGraph conv's gradients: w.r.t. x as numerical ones, w.r.t. weights finite."""
  x, edge_index = subgraph(num_nodes=4, num_edges=6, dim=2)
  x = tf.constant(x, tf.float64)
  theoretical, numerical = tf.test.compute_gradient(lambda a: layer((a, edge_index)), [x])
  test.assertAllClose(theoretical, numerical, atol=1e-6)
  assert_finite_gradients(test, lambda: layer((x, edge_index)), layer.trainable_weights)


def assert_ego_input_gradients(test: tf.test.TestCase, layer, *extra_inputs):
  """A float64 Ego conv's gradients w.r.t. x and neighbors are the numerical ones.

  The inputs are `ego_inputs(batch=2, k=3, d_self=2)` (then `extra_inputs`, e.g.
  relations [2, 3]).
  """
  x, n, mask = ego_inputs(batch=2, k=3, d_self=2)
  x, n = tf.constant(x, tf.float64), tf.constant(n, tf.float64)
  theoretical, numerical = tf.test.compute_gradient(
      lambda a, b: layer((a, b, mask) + tuple(extra_inputs)), [x, n])
  test.assertAllClose(theoretical, numerical, atol=1e-6)


def assert_rejects_dims(test: tf.test.TestCase, conv, pattern: str, *, d_self=3, d_nbr=4):
  """Calling an Ego conv on x of dim d_self and neighbors of dim d_nbr is a ValueError."""
  x, n, mask = ego_inputs(d_self=d_self, d_nbr=d_nbr)
  with test.assertRaisesRegex(ValueError, pattern):
    conv((x, n, mask))


def assert_ego_conv_reloads(test: tf.test.TestCase, conv, inputs) -> tf.keras.Model:
  """A Keras model of `conv` on Inputs shaped like `inputs` (numpy, batch first) reloads
  identically in every format; returns the model."""
  keras_inputs = [tf.keras.Input(a.shape[1:], dtype=tf.as_dtype(a.dtype)) for a in inputs]
  model = tf.keras.Model(keras_inputs, conv(tuple(keras_inputs)))
  assert_reloads_identically(test, model, list(inputs))
  return model


def assert_pretransform_matches_call(test: tf.test.TestCase, conv, inputs):
  """An Ego conv gives the same on its pretransformed nodes (padding zeroed) as on `inputs`."""
  x, n, mask = inputs[:3]
  expected = conv(tuple(inputs))
  zero_padding = lambda v: tf.where(  # pylint: disable=g-long-lambda
      tf.reshape(mask, mask.shape + (1,) * (v.shape.rank - mask.ndim)), v, tf.zeros_like(v))
  receiver = conv.pretransform(tf.constant(x))
  sender = tf.nest.map_structure(zero_padding, conv.pretransform(tf.constant(n)))
  test.assertAllClose(conv.call_pretransformed(receiver, sender, mask, *inputs[3:]), expected,
                      atol=1e-6)


def edge_features(mask, *, dim=2, seed=1):
  """Random float32 edge features [..., k, dim] for an Ego mask [..., k], numpy."""
  rng = np.random.default_rng(seed)
  return rng.normal(size=np.shape(mask) + (dim,)).astype(np.float32)


def ego_as_subgraph(x, n, mask, *extra):
  """The SubGraph of an Ego hop pair: nodes [x; every neighbor], an edge from each real
  neighbor to its node; extra [B, k, ...] per-neighbor values (edge features) per edge.

  Returns (nodes [B + B k, D], edge_index [2, E], *extra [E, ...]); the first B nodes are x's.
  """
  batch, k = mask.shape
  nodes = np.concatenate([x, n.reshape(batch * k, -1)]).astype(np.float32)
  owner, slot = np.nonzero(mask)
  edge_index = np.stack([batch + owner * k + slot, owner]).astype(np.int64)
  return (nodes, edge_index) + tuple(np.asarray(v)[owner, slot] for v in extra)
