"""training_input: model.fit's data under a strategy (clusters: tests/distribute)."""
import tensorflow as tf

from tfgle import gsl
from tfgle.training import training_input as training_input_lib


def _make(graph, *, shuffle, seed, position=None):
  del graph
  assert shuffle is True
  return gsl.seed_batches(10, 4, seed=seed, position=position).map(lambda items, key: items)


def _make_fn(graph, *, seed):
  raise AssertionError("no dataset function in one process")


def _input(**kwargs):
  return training_input_lib.training_input(tf.distribute.get_strategy(), None, _make, _make_fn,
                                           num_examples=10, batch_size=4, seed=1, **kwargs)


class TrainingInputTest(tf.test.TestCase):

  def test_an_endless_stream_of_epochs_from_a_step(self):
    data, steps = _input()
    self.assertEqual(steps, 3)
    batches = [b.numpy().tolist() for b in data.take(9)]
    epochs = [sorted(sum(batches[i:i + 3], [])) for i in (0, 3, 6)]
    self.assertEqual(epochs, [list(range(10))] * 3)  # each epoch every example once
    self.assertNotEqual(batches[:3], batches[3:6])  # in a new order
    # A run resumed at step 5 (epoch 1, batch 2) sees the batches of an uninterrupted one.
    resumed, _ = _input(start_step=5, finish=lambda ds: ds.map(lambda b: b * 10))
    self.assertEqual([b.numpy().tolist() for b in resumed.take(4)],
                     [[10 * v for v in b] for b in batches[5:]])

  def test_bad_starts(self):
    with self.assertRaisesRegex(ValueError, "start_step must be an int >= 0, got -1"):
      _input(start_step=-1)
    with self.assertRaisesRegex(ValueError, r"skip_epochs=1: in one process give start_step"):
      _input(skip_epochs=1)


if __name__ == "__main__":
  tf.test.main()
