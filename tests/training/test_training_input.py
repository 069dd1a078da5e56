"""training_input: model.fit's data under a strategy (clusters: tests/distribute)."""
import tensorflow as tf

from tfgle.training import training_input as training_input_lib


def _make(graph, *, shuffle, seed):
  del graph
  ds = tf.data.Dataset.range(10).batch(4)
  return ds.shuffle(10, seed=seed) if shuffle is True else ds


def _make_fn(graph, *, seed):
  raise AssertionError("no dataset function in one process")


class TrainingInputTest(tf.test.TestCase):

  def test_repeated_epochs_with_steps_and_skipped_epochs(self):
    strategy = tf.distribute.get_strategy()
    data, steps = training_input_lib.training_input(strategy, None, _make, _make_fn,
                                                    num_examples=10, batch_size=4, seed=1)
    self.assertEqual(steps, 3)
    batches = [b.numpy().tolist() for b in data.take(9)]
    resumed, _ = training_input_lib.training_input(
        strategy, None, _make, _make_fn, num_examples=10, batch_size=4, seed=1, skip_epochs=2,
        finish=lambda ds: ds.map(lambda b: b * 10))
    self.assertEqual([b.numpy().tolist() for b in resumed.take(3)],
                     [[10 * v for v in b] for b in batches[6:]])

  def test_one_pass_per_epoch(self):
    data, steps = training_input_lib.training_input(
        tf.distribute.get_strategy(), None, _make, _make_fn, num_examples=10, batch_size=4,
        seed=1, repeat=False)
    self.assertIsNone(steps)
    self.assertLen(list(data), 3)
    with self.assertRaisesRegex(ValueError, "skip_epochs=1 needs repeat=True"):
      training_input_lib.training_input(tf.distribute.get_strategy(), None, _make, _make_fn,
                                        num_examples=10, batch_size=4, seed=1, repeat=False,
                                        skip_epochs=1)


if __name__ == "__main__":
  tf.test.main()
