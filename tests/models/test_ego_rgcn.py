"""Tests of EgoRGCN: relations from the meta-path or from the batch."""
import numpy as np
import tensorflow as tf

from tfgle.models import EgoRGCN
from tests.models import model_testing


class EgoRGCNTest(model_testing.EgoModelChecks, tf.test.TestCase):
  model_class = EgoRGCN
  model_kwargs = dict(hidden_dims=[6, 5], num_relations=2, num_bases=1, hop_relations=[0, 1])
  hetero_kwargs = dict(hidden_dims=[4, 3], num_relations=2, hop_relations=[0, 1], encoder_dim=4)

  def _with_relations(self, batch, fill=None, seed=0):
    rng = np.random.default_rng(seed)
    out = dict(batch)
    for i in (1, 2):
      hop = dict(batch[f"hop{i}"])
      shape = hop["mask"].shape
      hop["rel"] = np.full(shape, fill) if fill is not None else rng.integers(0, 2, shape)
      out[f"hop{i}"] = hop
    return out

  def test_relations_from_the_batch(self):
    by_path = self.make(hop_relations=[1, 1])
    by_batch = self.make(relation_key="rel")
    by_path.build()
    by_batch.build()
    by_batch.set_weights(by_path.get_weights())
    self.assertAllClose(by_batch(self._with_relations(self.batch, fill=1)),
                        by_path(self.batch), atol=1e-6)
    mixed = self._with_relations(self.batch)
    self.assertNotAllClose(by_batch(mixed), by_path(self.batch))
    # Relations under padding are ignored, even out of range.
    poisoned = model_testing.poison_ego_padding(mixed)
    self.assertAllClose(by_batch(poisoned), by_batch(mixed), atol=1e-6)
    model_testing.assert_reloads_identically(self, by_batch, mixed)
    with self.assertRaisesRegex(ValueError, "batch\\['hop1'\\] has no relation entry"):
      by_batch(self.batch)

  def test_bad_relation_arguments(self):
    for kwargs, pattern in [
        (dict(num_relations=0), "num_relations must be a positive int"),
        (dict(num_bases=3), "num_bases must be <= num_relations=2"),
        (dict(hop_relations=[0, 2]), r"hop_relations must hold the relation id in \[0, "
                                     r"num_relations=2\)"),
        (dict(hop_relations=[0]), "hop_relations must hold .* of each of the 2 hops"),
        (dict(aggregator="max"), "aggregator must be one of \\['mean', 'sum'\\]"),
        (dict(relation_key=""), "relation_key must be a non-empty string"),
    ]:
      with self.subTest(kwargs=kwargs), self.assertRaisesRegex(ValueError, pattern):
        self.make(**kwargs)


if __name__ == "__main__":
  tf.test.main()
