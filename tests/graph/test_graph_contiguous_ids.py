"""Graph building with contiguous node ids (no id lookup) and release of source arrays."""
import gc
import weakref

import numpy as np
from parameterized import parameterized
import tensorflow as tf

import tfgle


def _graph(node_ids, src, dst, strict=True, weights=None):
  edges = {"src_id": np.asarray(src, np.int64), "dst_id": np.asarray(dst, np.int64)}
  if weights is not None:
    edges["weight"] = np.asarray(weights, np.float32)
  return (tfgle.Graph(strict=strict)
          .node({"id": np.asarray(node_ids, np.int64)}, node_type="n")
          .edge(edges, edge_type=("n", "n", "e"),
                decoder=tfgle.Decoder(weight="weight" if weights is not None else None))
          .build())


class ContiguousIdsTest(tf.test.TestCase):

  @parameterized.expand([("from_zero", 0), ("offset", 100)])
  def test_neighbors_and_degrees(self, _, first):
    ids = np.arange(first, first + 4)
    graph = _graph(ids, ids[[0, 0, 2, 3]], ids[[1, 2, 3, 0]])
    self.assertAllEqual(graph.neighbors("e", [first]).ids.to_list(), [[first + 1, first + 2]])
    self.assertAllEqual(graph.degree("e", ids), [2, 0, 1, 1])
    self.assertAllEqual(graph.degree("e", ids, "in"), [1, 1, 1, 1])

  @parameterized.expand([
      ("too_large", 0, [0, 4], [1, 1], "src id 4 is not in node table 'n'"),
      ("negative", 0, [0, 1], [1, -1], "dst id -1 is not in node table 'n'"),
      ("below_offset", 10, [10, 9], [11, 11], "src id 9 is not in node table 'n'"),
  ])
  def test_unknown_endpoints(self, _, first, src, dst, message):
    ids = np.arange(first, first + 4)
    with self.assertRaisesRegex(ValueError, rf"edge table 'e': row 1: {message} \(1 such rows\)"):
      _graph(ids, src, dst)
    graph = _graph(ids, src, dst, strict=False)
    self.assertEqual(graph.num_edges("e"), 1)
    self.assertEqual(sum(graph.load_report["edge table 'e'"].values()), 1)

  def test_negative_weight(self):
    with self.assertRaisesRegex(ValueError, "row 2: weight -1.0 is negative"):
      _graph(np.arange(3), [0, 1, 2], [1, 2, 0], weights=[1.0, 0.5, -1.0])

  def test_subnormal_weight_is_a_bad_row(self):
    # Such a weight could never be drawn (TensorFlow flushes denormals to zero).
    with self.assertRaisesRegex(ValueError, "row 1: weight 1e-40 is negative or subnormal; "
                                "edge weights must be 0 or >= 1.1754944e-38"):
      _graph(np.arange(3), [0, 1, 2], [1, 2, 0], weights=[1.0, 1e-40, 0.0])
    graph = _graph(np.arange(3), [0, 1, 2], [1, 2, 0], weights=[1.0, 1e-40, 0.0], strict=False)
    self.assertEqual(graph.num_edges("e"), 2)

  def test_build_releases_source_arrays(self):
    feats = np.ones((1000, 4), np.float32)
    src = np.zeros(1000, np.int64)
    alive = [weakref.ref(feats), weakref.ref(src)]
    graph = (tfgle.Graph()
             .node({"id": np.arange(1000), "f": feats}, node_type="n",
                   decoder=tfgle.Decoder(attrs={"f": tfgle.FloatAttr(dim=4)}))
             .edge({"src_id": src, "dst_id": np.arange(1000)}, edge_type=("n", "n", "e"))
             .build())
    del feats, src
    gc.collect()
    self.assertEqual([ref() for ref in alive], [None, None])
    self.assertAllEqual(graph.node_features("n", [3])["f"], [[1, 1, 1, 1]])


if __name__ == "__main__":
  tf.test.main()
