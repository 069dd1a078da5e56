"""Tests of BPRMF and bpr_dataset."""
import tempfile

import numpy as np
import tensorflow as tf

from tests import keras_testing
from tests.models import model_testing
from tests.models import recsys_testing
from tfgle.models import BPRMF
from tfgle.models import bpr_dataset


def _batch():
  return {"user": tf.constant([0, 1, 2, 1], tf.int64), "pos": tf.constant([3, 0, 4, 2], tf.int64),
          "neg": tf.constant([[1, 2], [4, 4], [0, 3], [1, 0]], tf.int64),
          "neg_mask": tf.constant([[True, True], [True, False], [True, True], [False, False]])}


class BPRMFTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.data = recsys_testing.planted()

  def test_beats_popularity_on_planted_clusters(self):
    tf.keras.utils.set_random_seed(0)
    model = BPRMF.from_graph(self.data.graph, "buys", embedding_dim=16)
    self.assertEqual((model.num_users, model.num_items), (recsys_testing.NUM_USERS,
                                                          recsys_testing.NUM_ITEMS))
    recall = recsys_testing.fit_and_recall(model, self.data)
    popularity = recsys_testing.popularity_recall(self.data)
    self.assertLess(popularity, 0.3)
    self.assertGreater(recall, 2 * popularity)
    self.assertGreater(recall, popularity + 0.3)

  def test_logits_and_loss(self):
    tf.keras.utils.set_random_seed(1)
    model = BPRMF(3, 5, embedding_dim=4, l2=0.1)
    batch = _batch()
    logits = model(batch).numpy()
    p, q = model.embed_users().numpy(), model.embed_items().numpy()
    self.assertEqual(p.shape, (3, 4))
    self.assertEqual(q.shape, (5, 4))
    self.assertNotAllClose(p, q[:3])  # the tables are initialized independently
    u, pos, neg, mask = (batch[k].numpy() for k in ("user", "pos", "neg", "neg_mask"))
    expected_pos = np.sum(p[u] * q[pos], axis=1)
    expected_neg = np.einsum("bd,bnd->bn", p[u], q[neg])
    self.assertAllClose(logits[:, 0], expected_pos, rtol=1e-5)
    self.assertAllClose(logits[:, 1:], np.where(mask, expected_neg, -1e9), rtol=1e-5)
    bpr = np.logaddexp(0, expected_neg - expected_pos[:, None])[mask].mean()
    l2 = 0.1 * 0.5 * (np.sum(p[u] ** 2) + np.sum(q[pos] ** 2) + np.sum(q[neg] ** 2)) / 4
    self.assertLen(model.losses, 1)
    self.assertAllClose(model.losses[0], bpr + l2, rtol=1e-5)
    self.assertAllClose(model.embed_users([2, 0]), p[[2, 0]])
    self.assertAllClose(model.embed_items(tf.constant([4])), q[[4]])
    # Without negatives: the positive logits only, and no loss.
    only_pos = model({"user": batch["user"], "pos": batch["pos"]})
    self.assertAllClose(only_pos[:, 0], expected_pos, rtol=1e-5)
    self.assertEmpty(model.losses)
    # One negative per row may come as [B].
    self.assertEqual(model(dict(user=batch["user"], pos=batch["pos"],
                                neg=batch["pos"])).shape, (4, 2))

  def test_reloads_identically(self):
    tf.keras.utils.set_random_seed(2)
    model = BPRMF(3, 5, embedding_dim=4, l2=0.0, name="mf")
    batch = _batch()
    expected = model(batch).numpy()
    for fmt in model_testing.FORMATS:
      with tempfile.TemporaryDirectory() as directory:
        loaded = keras_testing.save_and_reload(model, fmt, directory)
        self.assertIs(type(loaded), BPRMF)
        self.assertEqual(loaded.get_config(), model.get_config())
        self.assertAllClose(loaded(batch), expected, msg=fmt)
        self.assertAllClose(loaded.embed_items(), model.embed_items(), msg=fmt)

  def test_gradients(self):
    model = BPRMF(3, 5, embedding_dim=4)
    model.build()
    with tf.GradientTape() as tape:
      model(_batch(), training=True)
      loss = tf.add_n(model.losses)
    grads = tape.gradient(loss, model.trainable_weights)
    self.assertLen(grads, 2)
    for grad in grads:
      self.assertTrue(np.all(np.isfinite(tf.convert_to_tensor(grad).numpy())))

  def test_bad_arguments(self):
    for kwargs, message in [
        (dict(num_users=0), "BPRMF: num_users must be a positive int, got 0"),
        (dict(num_items=2.0), "BPRMF: num_items must be a positive int, got 2.0"),
        (dict(embedding_dim=-1), "BPRMF: embedding_dim must be a positive int, got -1"),
        (dict(l2=-0.1), "BPRMF: l2 must be a number >= 0, got -0.1"),
        (dict(l2=None), "BPRMF: l2 must be a number >= 0, got None")]:
      args = dict(num_users=3, num_items=5)
      args.update(kwargs)
      with self.assertRaisesRegex(ValueError, message):
        BPRMF(**args)
    model = BPRMF(3, 5)
    with self.assertRaisesRegex(ValueError, r"BPRMF: inputs must be a dict with 'user', 'pos' "
                                r"and optionally 'neg' and 'neg_mask' .*, got \['item', 'user'\]"):
      model({"user": [0], "item": [1]})
    with self.assertRaisesRegex(ValueError, r"inputs\['neg'\] must be \[B, N\] \(or \[B\]\) item "
                                r"indices, got shape \(1, 1, 1\)"):
      model({"user": [0], "pos": [1], "neg": [[[1]]]})


class BprDatasetTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.data = recsys_testing.planted()

  def test_one_pass_visits_every_edge_with_true_negatives(self):
    g = self.data.graph
    batches = list(bpr_dataset(g, "buys", batch_size=64, num_negatives=3, seed=4))
    self.assertEqual(batches[0]["neg"].shape, (64, 3))
    self.assertEqual(batches[0]["neg_mask"].dtype, tf.bool)
    users = np.concatenate([b["user"].numpy() for b in batches])
    items = np.concatenate([b["pos"].numpy() for b in batches])
    self.assertCountEqual(list(zip(users, items)), list(zip(*self.data.train)))
    true = set(zip(*self.data.train))
    for b in batches:
      for u, negs, mask in zip(b["user"].numpy(), b["neg"].numpy(), b["neg_mask"].numpy()):
        self.assertTrue(mask.all())
        self.assertFalse(any((u, n) in true for n in negs))
    # Deterministic by seed; a new order every pass.
    again = list(bpr_dataset(g, "buys", batch_size=64, num_negatives=3, seed=4))
    self.assertAllEqual(again[0]["neg"], batches[0]["neg"])
    ds = bpr_dataset(g, "buys", batch_size=64, seed=4)
    first, second = (next(iter(ds))["user"] for _ in range(2))
    self.assertNotAllEqual(first, second)
    ordered = next(iter(bpr_dataset(g, "buys", batch_size=8, shuffle=False)))
    self.assertAllEqual(ordered["user"], np.sort(ordered["user"]))


if __name__ == "__main__":
  tf.test.main()
