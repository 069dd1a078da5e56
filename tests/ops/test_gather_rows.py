"""Tests of tfgle.ops.gather_rows: tf.gather along axis 0 that reads rows ahead."""
import numpy as np
import tensorflow as tf

import tfgle


class GatherRowsTest(tf.test.TestCase):

  def test_matches_tf_gather(self):
    rng = np.random.default_rng(0)
    for dtype in (tf.float32, tf.float64, tf.float16, tf.bfloat16, tf.int64, tf.int32, tf.bool):
      for row_shape in ([], [3], [2, 5]):
        params = tf.cast(rng.integers(0, 2 if dtype == tf.bool else 100, [50] + row_shape),
                         dtype)
        for index_shape in ([0], [7], [4, 6], [2, 3, 2]):
          indices = rng.integers(0, 50, index_shape)
          with self.subTest(dtype=dtype.name, row=row_shape, index=index_shape):
            out = tfgle.ops.gather_rows(params, indices)
            self.assertEqual(out.dtype, dtype)
            self.assertAllEqual(out, tf.gather(params, indices))

  def test_an_empty_list_of_indices(self):
    self.assertAllEqual(tfgle.ops.gather_rows(tf.ones([4, 2]), []).shape, [0, 2])

  def test_large_gathers_split_over_threads_give_the_same_rows(self):
    # 200k rows of 64 floats: enough estimated work that the op shards the copy.
    params = tf.random.stateless_uniform([5000, 64], seed=[1, 2])
    indices = tf.random.stateless_uniform([200_000], seed=[3, 4], maxval=5000, dtype=tf.int64)
    self.assertAllEqual(tfgle.ops.gather_rows(params, indices), tf.gather(params, indices))

  def test_in_a_tf_function_and_pipeline_keeps_static_shapes(self):
    params = tf.reshape(tf.range(24.0), [8, 3])
    fn = tf.function(tfgle.ops.gather_rows).get_concrete_function(
        tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([4, None], tf.int64))
    self.assertEqual(fn.structured_outputs.shape.as_list(), [4, None, 3])
    ds = tf.data.Dataset.range(8).batch(4).map(lambda i: tfgle.ops.gather_rows(params, i))
    self.assertAllEqual(next(iter(ds)), params[:4])

  def test_bad_inputs(self):
    params = tf.zeros([4, 2])
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                r"indices\[2\] = 4 is not a row of the table: rows are \[0, 4\)"):
      tfgle.ops.gather_rows(params, [0, 1, 4])
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, r"indices\[0\] = -1"):
      tfgle.ops.gather_rows(params, [-1])
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, "rows are \\[0, 0\\)"):
      tfgle.ops.gather_rows(tf.zeros([0, 2]), [0])
    with self.assertRaisesRegex((ValueError, tf.errors.InvalidArgumentError),
                                "params must have at least one dimension"):
      tfgle.ops.gather_rows(tf.constant(1.0), [0])
    with self.assertRaisesRegex(TypeError, "gather_rows: indices must be integers, got dtype float32"):
      tfgle.ops.gather_rows(params, [1.5])
    with self.assertRaisesRegex(TypeError, "gather_rows: params must have one of the dtypes"):
      tfgle.ops.gather_rows(tf.constant(["a", "b"]), [0])


if __name__ == "__main__":
  tf.test.main()
