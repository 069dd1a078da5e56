"""Tests of EgoTGAT: the zoo's checks on time-bounded batches, time spans, link training and
a SavedModel of stock ops."""
import functools
import os

import numpy as np
import tensorflow as tf

import tfgle
from tfgle.data import ego_graph_dataset, link_ego_graph_dataset
from tfgle.models import EgoTGAT
from tests.models import model_testing

BOUND = 800  # edges at or after it are never sampled


def _timed_batch(g, fanouts=(4, 3), batch_size=8):
  """One EgoGraph batch of model_testing.graph(timestamps=True), with time deltas."""
  ds = ego_graph_dataset(g, "train", ["e"] * len(fanouts), list(fanouts), batch_size,
                         label=False, shuffle=False, seed=5,
                         strategy="random_without_replacement", before=BOUND,
                         time_deltas=True)
  return next(iter(ds))


class EgoTGATTest(model_testing.EgoModelChecks, tf.test.TestCase):
  model_class = EgoTGAT
  model_kwargs = dict(hidden_dims=[4, 3], heads=2, time_dim=4, attention_dropout=0.2,
                      max_exponent=3.0)
  make_graph = staticmethod(functools.partial(model_testing.graph, timestamps=True))
  make_batch = staticmethod(_timed_batch)
  make_dataset = staticmethod(functools.partial(ego_graph_dataset, before=BOUND,
                                                time_deltas=True))

  def test_the_batch_has_time_spans(self):
    deltas = self.batch["hop2"]["time_delta"].numpy()
    mask = self.batch["hop2"]["mask"].numpy()
    self.assertTrue(np.all((deltas[mask] > 0) & (deltas[mask] <= BOUND)))

  def test_time_spans_change_the_embeddings(self):
    model = self.make()
    later = {h: (dict(hop, time_delta=hop["time_delta"] + 300) if "time_delta" in hop else hop)
             for h, hop in self.batch.items()}
    self.assertNotAllClose(model.embed(later), model.embed(self.batch))

  def test_batch_without_time_spans(self):
    plain = model_testing.ego_batch(self.graph)
    with self.assertRaisesRegex(ValueError, r"EgoTGAT: batch\['hop1'\] has no time spans "
                                r"time_key='time_delta'.*Sample with before= and "
                                "time_deltas=True"):
      self.make()(plain)

  def test_bad_temporal_arguments(self):
    features = self.make().get_config()["features"]
    for kwargs, pattern in [(dict(time_dim=0), "time_dim must be a positive int, got 0"),
                            (dict(max_exponent=0.0), "max_exponent must be a number > 0"),
                            (dict(time_key=""), "time_key must be a non-empty string")]:
      with self.subTest(kwargs=kwargs), self.assertRaisesRegex(ValueError, "EgoTGAT: " + pattern):
        EgoTGAT(features, **dict(self.model_kwargs, **kwargs))

  def test_heterogeneous_meta_path(self):
    rng = np.random.default_rng(4)
    g = (tfgle.Graph()
         .node({"id": np.arange(12), "x": rng.normal(size=(12, 2)).astype(np.float32),
                "label": np.arange(12) % 2}, node_type="user",
               decoder=tfgle.Decoder(label="label", attrs={"x": tfgle.FloatAttr(dim=2)}))
         .node({"id": np.arange(9) + 100}, node_type="item")
         .edge({"src_id": rng.integers(0, 12, 40), "dst_id": rng.integers(0, 9, 40) + 100,
                "t": rng.integers(0, 100, 40)}, edge_type=("user", "item", "buys"),
               directed=False, decoder=tfgle.Decoder(timestamp="t"))
         .build())
    batch, _ = next(iter(ego_graph_dataset(g, None, ["buys", "buys_reverse"], [3, 2], 6,
                                           shuffle=False, before=60, time_deltas=True)))
    model = EgoTGAT.from_graph(g, node_types=["user", "item", "user"], num_classes=2,
                               hidden_dims=[3, 2], embedding_dim=4)
    self.assertEqual(model(batch).shape, (6, 2))
    per_entry = EgoTGAT.from_config(dict(model.get_config(), dedupe_nodes=False))
    per_entry.set_weights(model.get_weights())
    self.assertAllClose(per_entry(batch), model(batch), atol=1e-6)
    model_testing.assert_gradients(self, model, model_testing.poison_ego_padding(batch))

  def test_trains_on_time_bounded_link_batches(self):
    g = model_testing.community_graph(timestamps=True)
    tf.keras.utils.set_random_seed(3)
    model = EgoTGAT.from_graph(g, "v", hidden_dims=[8, 8], heads=2, time_dim=4,
                               max_exponent=3.0, activation="elu")
    model.compile(tf.keras.optimizers.Adam(0.01))
    ds = link_ego_graph_dataset(g, "e", ["e", "e"], ["e", "e"], [4, 3], batch_size=100,
                                num_negatives=2, before="edge", strategy="topk",
                                time_deltas=True, seed=1).cache()
    history = model.fit(ds, epochs=10, verbose=0)
    self.assertLess(history.history["loss"][-1], 0.75 * history.history["loss"][0])

  def test_saved_model_has_stock_ops_only(self):
    # A serving SavedModel of embed(): its graph holds the time encoding and no tfgle op.
    model = self.make()
    module = tf.Module()
    module.weights = model.weights  # the variables only: the model's config is not needed
    specs = tf.nest.map_structure(tf.type_spec_from_value, self.batch)
    module.embed = tf.function(lambda batch: model.embed(batch), input_signature=[specs])
    path = os.path.join(self.get_temp_dir(), "tgat")
    tf.saved_model.save(module, path)
    from tensorflow.core.protobuf import saved_model_pb2  # pylint: disable=g-import-not-at-top
    saved = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
      saved.ParseFromString(f.read())
    graph_def = saved.meta_graphs[0].graph_def
    ops = {n.op for n in graph_def.node}
    for function in graph_def.library.function:
      ops.update(n.op for n in function.node_def)
    self.assertIn("Cos", ops)  # the time encoding is in the graph
    self.assertEqual([op for op in ops if op.startswith("Tfgle")], [])
    loaded = tf.saved_model.load(path)
    self.assertAllClose(loaded.embed(self.batch), model.embed(self.batch), atol=1e-6)

if __name__ == "__main__":
  tf.test.main()
