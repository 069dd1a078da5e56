"""Small graphs for the sampling tests, built through tfgle.Graph from numpy arrays.

Node external ids are 100 + dense index, so tests that mix the two up fail.
"""
import numpy as np

import tfgle


def node_table(n, **columns):
  return {"id": np.arange(n, dtype=np.int64) + 100, **columns}


def edge_table(src, dst, **columns):
  src = np.asarray(src, np.int64) + 100
  dst = np.asarray(dst, np.int64) + 100
  return {"src_id": src, "dst_id": dst, **columns}


def homogeneous(src, dst, num_nodes, *, weights=None, timestamps=None, node_weights=None,
                node_attrs=None):
  """One node type "n" and one edge type "e" (n -> n), dense indices as given."""
  columns, kwargs = {}, {}
  if weights is not None:
    columns["w"] = np.asarray(weights, np.float32)
    kwargs["weight"] = "w"
  if timestamps is not None:
    columns["t"] = np.asarray(timestamps, np.int64)
    kwargs["timestamp"] = "t"
  node_columns, node_kwargs, attrs = {}, {}, {}
  if node_weights is not None:
    node_columns["nw"] = np.asarray(node_weights, np.float32)
    node_kwargs["weight"] = "nw"
  for name, values in (node_attrs or {}).items():
    node_columns[name] = np.asarray(values, np.int64)
    attrs[name] = tfgle.IntAttr()
  return (tfgle.Graph()
          .node(node_table(num_nodes, **node_columns), node_type="n",
                decoder=tfgle.Decoder(attrs=attrs, **node_kwargs))
          .edge(edge_table(src, dst, **columns), edge_type=("n", "n", "e"),
                decoder=tfgle.Decoder(**kwargs))
          .build())


def bipartite(src, dst, num_users, num_items):
  """Users "u" -> items "i" along "buys", and the reverse "bought_by"."""
  return (tfgle.Graph()
          .node(node_table(num_users), node_type="u")
          .node(node_table(num_items), node_type="i")
          .edge(edge_table(src, dst), edge_type=("u", "i", "buys"))
          .edge(edge_table(dst, src), edge_type=("i", "u", "bought_by"))
          .build())


def random_graph(num_nodes, num_edges, seed=0, **kwargs):
  rng = np.random.default_rng(seed)
  src = rng.integers(0, num_nodes, num_edges)
  dst = rng.integers(0, num_nodes, num_edges)
  return homogeneous(src, dst, num_nodes, **kwargs), src, dst
