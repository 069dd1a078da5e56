"""Throughput counts the optimizer's steps over the epochs' training time."""
import numpy as np
import tensorflow as tf

from tfgle import training


class ThroughputTest(tf.test.TestCase):

  def test_counts_examples_of_every_step(self):
    model = tf.keras.Sequential([tf.keras.layers.Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    throughput = training.Throughput(batch_size=4)
    x = np.ones((12, 2), np.float32)
    model.fit(x, np.ones((12,), np.float32), batch_size=4, epochs=2, verbose=0,
              validation_data=(x, np.ones((12,), np.float32)), callbacks=[throughput])
    self.assertEqual(throughput.examples, 4 * 3 * 2)
    self.assertGreater(throughput.seconds, 0)
    self.assertAllClose(throughput.examples_per_second, throughput.examples / throughput.seconds)

  def test_bad_batch_size(self):
    with self.assertRaisesRegex(ValueError, "batch_size must be a positive int, got 0"):
      training.Throughput(0)
    self.assertEqual(training.Throughput(8).examples_per_second, 0.0)


class ReportMetricsTest(tf.test.TestCase):

  def test_prints_one_line_and_writes_the_json(self):
    path = self.get_temp_dir() + "/out/metrics.json"
    line = training.report_metrics({"b": 2, "a": np.float32(0.5)}, tf.distribute.get_strategy(),
                                   path)
    self.assertEqual(line, '{"a": 0.5, "b": 2, "num_replicas": 1}')
    with open(path) as f:
      self.assertEqual(f.read(), line + "\n")


if __name__ == "__main__":
  tf.test.main()
