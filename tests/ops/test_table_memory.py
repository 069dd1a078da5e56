"""Tests of Tfgle>TableMemory: the bytes a graph table holds, read where it lives."""
import numpy as np
import tensorflow as tf

from tfgle.ops._library import ops
from tfgle.ops.tables import CsrTable, IdMapTable


class TableMemoryTest(tf.test.TestCase):

  def test_memory_grows_with_the_table(self):
    small = CsrTable([0, 1], [1, 0], 2, 2)
    rng = np.random.default_rng(0)
    large = CsrTable(rng.integers(0, 1000, 50_000), rng.integers(0, 1000, 50_000), 1000, 1000)
    small_bytes = int(ops.tfgle_table_memory(small.resource_handle))
    large_bytes = int(ops.tfgle_table_memory(large.resource_handle))
    self.assertGreater(small_bytes, 0)
    # At least the neighbor indices and edge ids: 16 bytes an edge.
    self.assertGreaterEqual(large_bytes, 16 * 50_000)
    self.assertLess(large_bytes, 64 * 50_000)

  def test_id_map_tables(self):
    ids = IdMapTable(np.arange(0, 20_000, 7))   # not contiguous: a hash map
    self.assertGreater(int(ops.tfgle_table_memory(ids.resource_handle)), 8 * (20_000 // 7))

  def test_shape_function(self):
    table = CsrTable([0], [0], 1, 1)
    fn = tf.function(lambda: ops.tfgle_table_memory(table.resource_handle))
    self.assertEqual(fn.get_concrete_function().structured_outputs.shape.as_list(), [])
    with self.assertRaisesRegex(ValueError, "must be rank 0"):
      tf.function(lambda h: ops.tfgle_table_memory(h)).get_concrete_function(
          tf.TensorSpec([2], tf.resource))

  def test_other_resources_are_rejected(self):
    variable = tf.Variable(1.0)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                "table must be a tfgle CSR or id-map table, got a handle to"):
      ops.tfgle_table_memory(variable.handle)


if __name__ == "__main__":
  tf.test.main()
