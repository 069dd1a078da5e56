"""Tests of a PartitionedGraph's node data: features, labels, ids and id maps on the partitions.

The partitions are logical CPU devices of this process (three, where the
runtime is not yet initialized; else this process's one CPU, the tables and
variables still separate per partition). tests/distribute/test_ps_capacity.py
puts them on parameter servers.
"""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

import tfgle
from tfgle.distribute import PartitionedGraph

try:
  tf.config.set_logical_device_configuration(
      tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 3)
except RuntimeError:  # the runtime is initialized (another test module ran first)
  pass

# External ids: not contiguous, some negative (partitioned by id mod P).
IDS = np.array([7, -3, 100, 4, 12, 5, 33, -8, 0, 21, 9])
FEATURES = ("vec", "score", "count", "name", "title", "color", "tags")


def _devices(num: int) -> list[str]:
  cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
  return [cpus[i % len(cpus)] for i in range(num)]


def _graph():
  """Items with every kind of feature (dense float vector and scalar, int, string, text,
  categorical, multi-valued categorical) and labels; shops with no features or labels."""
  n = len(IDS)
  nodes = {"id": IDS, "vec": np.arange(n * 3, dtype=np.float32).reshape(n, 3),
           "score": np.linspace(0, 1, n), "count": np.arange(n) * 2,
           "name": np.array([f"n{i}" for i in range(n)]),
           "title": np.array([f"title {i} words" for i in range(n)]),
           "color": np.array(["red", "green", "blue"] * 3 + ["red", "red"]),
           "tags": [[1, 2], [], [3], [4, 5, 6], [2], [1], [], [7, 8], [9], [1, 1], [2, 3]],
           "label": np.arange(n) % 3}
  attrs = {"vec": tfgle.FloatAttr(dim=3), "score": tfgle.FloatAttr(), "count": tfgle.IntAttr(),
           "name": tfgle.StringAttr(), "title": tfgle.TextAttr(),
           "color": tfgle.CategoricalAttr(),
           "tags": tfgle.CategoricalAttr(multivalued=True, dtype="int64")}
  return (tfgle.Graph()
          .node(nodes, node_type="item", decoder=tfgle.Decoder(label="label", attrs=attrs))
          .node({"id": np.arange(5) * 10}, node_type="shop")
          .edge({"src_id": IDS, "dst_id": np.roll(IDS, 1)}, edge_type=("item", "item", "next"))
          .edge({"src_id": IDS[:5], "dst_id": np.arange(5) * 10},
                edge_type=("item", "shop", "sold_at"))
          .build())


def _same(test, got, want):
  """Equal values and structure (ragged rows included), and the same static shape."""
  test.assertEqual(type(got), type(want))
  test.assertEqual(got.dtype, want.dtype)
  test.assertEqual(got.shape.as_list(), want.shape.as_list())
  test.assertEqual(_values(got), _values(want))


def _values(t):
  return t.to_list() if isinstance(t, tf.RaggedTensor) else np.asarray(t.numpy()).tolist()


class PartitionedNodesTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.g = _graph()
    cls.local = cls.g.sampler
    cls.pgs = {num: PartitionedGraph(cls.g, _devices(num)) for num in (1, 2, 3)}

  @parameterized.expand([(1,), (2,), (3,)])
  def test_partitions_hold_the_rows_they_own(self, num):
    pg = self.pgs[num]
    n = len(IDS)
    for p, partition in enumerate(pg.partitions):
      owned = np.arange(p, n, num)
      for column in partition.columns.values():   # on the partition's device
        self.assertEqual(tf.DeviceSpec.from_string(column.values.device).device_index,
                         tf.DeviceSpec.from_string(pg.devices[p]).device_index)
      self.assertAllEqual(partition.columns[("item", "id")].values, IDS[owned])
      self.assertAllEqual(partition.columns[("item", "feature", "vec")].values,
                          self.g.feature_tensors("item")["vec"].numpy()[owned])
      tags = partition.columns[("item", "feature", "tags")]
      self.assertAllEqual(tf.RaggedTensor.from_row_splits(tags.values, tags.row_splits).to_list(),
                          tf.gather(self.g.feature_tensors("item")["tags"], owned).to_list())
      # The id map part of partition p holds the ids with id mod P = p.
      in_part = pg.partitions[p].id_maps["item"].lookup(tf.constant(IDS, tf.int64)).numpy()
      self.assertAllEqual(in_part >= 0, np.mod(IDS, num) == p)
      self.assertAllEqual(in_part[in_part >= 0], np.flatnonzero(np.mod(IDS, num) == p))
    self.assertLen(pg.node_data_bytes(), num)

  @parameterized.expand([(num, shape) for num in (1, 2, 3)
                         for shape in ("vector", "matrix", "empty", "scalar")])
  def test_gathers_equal_the_base_graphs(self, num, shape):
    pg = self.pgs[num]
    indices = {"vector": [10, 0, 3, 3, 7, 1], "matrix": [[2, 9, 4], [5, 5, 0]],
               "empty": np.zeros([0], np.int64), "scalar": 6}[shape]
    indices = tf.constant(indices, tf.int64)
    got, want = pg.gather_features("item", indices), self.local.gather_features("item", indices)
    self.assertEqual(list(got), list(FEATURES))
    for name in FEATURES:
      with self.subTest(feature=name):
        _same(self, got[name], want[name])
    got = pg.gather_features("item", indices, ["tags", "vec"])
    self.assertEqual(list(got), ["tags", "vec"])
    _same(self, pg.gather_labels("item", indices), self.local.gather_labels("item", indices))
    _same(self, pg.gather_ids("item", indices), self.local.gather_ids("item", indices))
    _same(self, pg.gather_ids("shop", tf.constant([4, 0], tf.int64)),
          self.local.gather_ids("shop", tf.constant([4, 0], tf.int64)))

  @parameterized.expand([(1,), (2,), (3,)])
  def test_ids_and_lookups_equal_the_base_graphs(self, num):
    pg = self.pgs[num]
    ragged = tf.ragged.constant([[1, 4], [], [10]], tf.int64)
    _same(self, pg.gather_ids("item", ragged), self.local.gather_ids("item", ragged))
    for ids in ([-8, 7, 21, -3], [[100, 0], [9, 12]], np.zeros([0], np.int64)):
      with self.subTest(ids=ids):
        _same(self, pg.lookup_indices("item", ids), self.local.lookup_indices("item", ids))
    # Unknown ids: -1 where allowed, else the local lookup's error.
    with_unknown = [7, 8, -3, 1000, -1]
    _same(self, pg.lookup_indices("item", with_unknown, allow_missing=True),
          self.local.lookup_indices("item", with_unknown, allow_missing=True))
    message = r"ids\[1\] = 8 is not a known id of this node type \(11 ids\)"
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, message):
      self.local.lookup_indices("item", with_unknown)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, message):
      pg.lookup_indices("item", with_unknown)

  def test_in_a_function(self):
    pg = self.pgs[3]

    @tf.function
    def gather(indices, ids):
      return (pg.gather_features("item", indices), pg.gather_labels("item", indices),
              pg.lookup_indices("item", ids))
    indices = tf.constant([[3, 1], [8, 8]], tf.int64)
    features, labels, found = gather(indices, tf.constant([33, 4], tf.int64))
    want = self.local.gather_features("item", indices)
    for name in FEATURES:
      self.assertEqual(_values(features[name]), _values(want[name]), name)
    self.assertAllEqual(labels, self.g.labels("item").numpy()[indices.numpy()])
    self.assertAllEqual(found, [6, 3])

  def test_gsl_on_the_partitions_equals_the_base_graph(self):
    # topk sampling takes the same neighbors on both: every output must be equal.
    def values(source):
      return next(iter(source.V("item").batch(4).alias("seed").outV("next").sample(2)
                       .by("topk").alias("nbr").values(labels=True)))
    got, want = values(self.pgs[3]), values(self.g)
    self.assertEqual(sorted(got["nbr"]), sorted(want["nbr"]))
    for alias in ("seed", "nbr"):
      for key in want[alias]:
        with self.subTest(alias=alias, key=key):
          _same(self, got[alias][key], want[alias][key])

  def test_datasets_read_node_data_through_the_sampler(self):
    sub = tfgle.data.induced_subgraph(self.pgs[2], "next", tf.constant([3, 4, 5], tf.int64),
                                      tf.constant([True, True, True]), 1)
    want = tfgle.data.induced_subgraph(self.g, "next", tf.constant([3, 4, 5], tf.int64),
                                       tf.constant([True, True, True]), 1)
    for key in ("ids", "vec", "tags", "name"):
      _same(self, sub[key], want[key])
    got = next(iter(tfgle.data.full_graph_dataset(self.pgs[2], "next")))
    want = next(iter(tfgle.data.full_graph_dataset(self.g, "next")))
    self.assertAllEqual(got[1], want[1])

  def test_node_data_false_leaves_it_to_the_base_graph(self):
    pg = PartitionedGraph(self.g, _devices(2), node_data=False)
    self.assertFalse(pg.partitions[0].columns)
    self.assertFalse(pg.partitions[0].id_maps)
    self.assertEqual(pg.node_data_bytes(), [0, 0])
    indices = tf.constant([4, 2], tf.int64)
    _same(self, pg.gather_features("item", indices)["tags"],
          self.local.gather_features("item", indices)["tags"])
    self.assertAllEqual(pg.lookup_indices("item", [21]), [9])

  def test_errors(self):
    pg = self.pgs[2]
    with self.assertRaisesRegex(ValueError, "node_data must be True or False, got 1"):
      PartitionedGraph(self.g, _devices(2), node_data=1)
    # As the local sampler's.
    for sampler in (self.local, pg):
      with self.assertRaisesRegex(ValueError, r"node type 'item' has no attributes \['nope'\]; "
                                  r"it has \['color', 'count', "):
        sampler.gather_features("item", [1], ["vec", "nope"])
      with self.assertRaisesRegex(ValueError, "node type 'shop' has no label column"):
        sampler.gather_labels("shop", [1])
      with self.assertRaisesRegex(ValueError, "unknown node type 'nope'"):
        sampler.gather_ids("nope", [1])
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                r"indices must be dense node indices of node type 'item' in "
                                r"\[0, 11\)"):
      pg.gather_features("item", [3, 11])
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, r"in \[0, 11\)"):
      pg.gather_labels("item", [-1])
    with self.assertRaisesRegex(TypeError, "indices must be integers, got dtype float32"):
      pg.gather_ids("item", [1.5])
    with self.assertRaisesRegex(TypeError, "ids must be integers, got dtype float32"):
      pg.lookup_indices("item", [1.5])


class DatasetGraphTest(tf.test.TestCase):
  """What a worker receives: the traced dataset function holds handles, not node data."""

  def _traced_bytes(self, pg) -> int:
    """Bytes of the traced dataset function: its graph and every non-resource capture."""
    def dataset_fn():
      return tfgle.data.ego_graph_dataset(pg, "train", ["links"], [3], 16, shuffle="random",
                                          seed=1)
    concrete = tf.function(dataset_fn).get_concrete_function()
    captures = sum(t.numpy().nbytes for t in concrete.captured_inputs if t.dtype != tf.resource)
    return concrete.graph.as_graph_def().ByteSize() + captures

  def test_the_dataset_function_carries_no_node_data(self):
    graph, _ = tfgle.datasets.synthetic(num_nodes=4000, num_edges=8000, dim=64, num_classes=3)
    feature_bytes = 4000 * 64 * 4
    partitioned = self._traced_bytes(PartitionedGraph(graph, _devices(2)))
    unpartitioned = self._traced_bytes(PartitionedGraph(graph, _devices(2), node_data=False))
    print(f"traced dataset function: {partitioned} bytes with node data partitioned, "
          f"{unpartitioned} without; features {feature_bytes}")
    self.assertLess(partitioned, feature_bytes / 10)
    self.assertGreater(unpartitioned, feature_bytes)   # the check can fail
