"""Tests of HeteroConv (one SubGraph conv per edge type)."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tests import keras_testing
from tfgle.layers import GATConv, GCNConv, HeteroConv, SAGEConv

BUYS = ("user", "item", "buys")
BOUGHT_BY = ("item", "user", "bought_by")
SIMILAR = ("item", "item", "similar")


def _inputs(seed=0):
  """States of 5 users (dim 3), 4 items (dim 2) and 2 shops (dim 1); three edge sets."""
  rng = np.random.default_rng(seed)
  states = {"user": rng.normal(size=(5, 3)).astype(np.float32),
            "item": rng.normal(size=(4, 2)).astype(np.float32),
            "shop": rng.normal(size=(2, 1)).astype(np.float32)}
  edge_index = {
      "buys": np.array([[0, 0, 1, 3, 4], [0, 2, 2, 1, 3]], np.int64),
      "bought_by": np.array([[0, 2, 2, 1], [0, 0, 1, 3]], np.int64),  # user 2, 4 get none
      "similar": np.array([[0, 1, 2], [1, 2, 0]], np.int64),
  }
  return states, edge_index


def _hetero(aggregate="sum", units=4):
  return HeteroConv({BUYS: SAGEConv(units, bias_initializer="random_normal"),
                     BOUGHT_BY: SAGEConv(units),
                     SIMILAR: GCNConv(units)}, aggregate=aggregate)


class HeteroConvTest(tf.test.TestCase):

  @parameterized.expand([("sum",), ("mean",), ("max",)])
  def test_aggregates_one_conv_per_edge_type(self, aggregate):
    states, edge_index = _inputs()
    layer = _hetero(aggregate)
    out = layer((states, edge_index))
    convs = layer.convs
    to_item = [convs[BUYS](((states["user"], states["item"]), edge_index["buys"])),
               convs[SIMILAR]((states["item"], edge_index["similar"]))]
    expected_item = {"sum": to_item[0] + to_item[1],
                     "mean": (to_item[0] + to_item[1]) / 2,
                     "max": tf.maximum(to_item[0], to_item[1])}[aggregate]
    self.assertAllClose(out["item"], expected_item)
    self.assertAllClose(out["user"], convs[BOUGHT_BY](((states["item"], states["user"]),
                                                       edge_index["bought_by"])))
    # A node type that no edge type reaches keeps its states.
    self.assertAllClose(out["shop"], states["shop"])
    self.assertEqual(sorted(out), ["item", "shop", "user"])
    self.assertLen(layer.trainable_weights, 3 + 3 + 2)

  def test_messages_follow_the_edge_types(self):
    states, edge_index = _inputs()
    layer = HeteroConv({BOUGHT_BY: SAGEConv(2, aggregator="sum", root_weight=False,
                                            use_bias=False, kernel_initializer="ones")})
    out = layer((states, edge_index))["user"]
    items = states["item"].sum(-1)
    self.assertAllClose(out[:, 0], [items[0] + items[2], items[2], 0, items[1], 0])

  def test_empty_edge_sets_and_node_sets(self):
    states, edge_index = _inputs()
    layer = _hetero()
    expected = layer((states, edge_index))
    empty = dict(edge_index, buys=np.zeros((2, 0), np.int64))
    out = layer((states, empty))
    # With no "buys" edges an item gets the "similar" messages plus buys' self term and bias.
    buys = layer.convs[BUYS]
    self.assertAllClose(out["item"] - expected["item"],
                        buys(((states["user"], states["item"]), empty["buys"]))
                        - buys(((states["user"], states["item"]), edge_index["buys"])))
    no_items = {"user": states["user"], "item": np.zeros((0, 2), np.float32),
                "shop": states["shop"]}
    out = layer((no_items, {k: np.zeros((2, 0), np.int64) for k in edge_index}))
    self.assertEqual(out["item"].shape, (0, 4))
    self.assertEqual(out["user"].shape, (5, 4))

  def test_edge_mask_drops_padding_edges(self):
    states, edge_index = _inputs()
    layer = _hetero()
    expected = layer((states, edge_index))
    padded = dict(edge_index, buys=np.concatenate([edge_index["buys"], [[99], [-3]]], axis=1))
    mask = {"buys": np.arange(6) < 5}
    out = layer((states, padded), edge_mask=mask)
    for node_type in states:
      self.assertAllClose(out[node_type], expected[node_type])

  def test_edge_weights_reach_their_conv(self):
    states, edge_index = _inputs()
    layer = HeteroConv({BUYS: SAGEConv(3, aggregator="sum")})
    plain = layer((states, edge_index))["item"]
    doubled = layer((states, edge_index), edge_weight={"buys": np.full(5, 2.0, np.float32)})
    conv = layer.convs[BUYS]
    self.assertAllClose(doubled["item"] - plain,
                        conv(((states["user"], states["item"]), edge_index["buys"]),
                             edge_weight=np.full(5, 2.0, np.float32)) - plain)
    self.assertNotAllClose(doubled["item"], plain)

  def test_gat_between_node_types(self):
    states, edge_index = _inputs()
    layer = HeteroConv({BUYS: GATConv(2, heads=2, add_self_loops=False),
                        SIMILAR: GATConv(4, heads=1)})
    self.assertEqual(layer((states, edge_index))["item"].shape, (4, 4))

  def test_gradients(self):
    states, edge_index = _inputs()
    layer = _hetero()
    layer((states, edge_index))  # builds the convs
    keras_testing.assert_finite_gradients(self, lambda: layer((states, edge_index)),
                                          layer.trainable_weights)

  def test_config_round_trip(self):
    layer = _hetero("mean")
    config = layer.get_config()
    restored = HeteroConv.from_config(config)
    self.assertEqual(restored.get_config(), config)
    self.assertEqual(restored.edge_types, (BUYS, BOUGHT_BY, SIMILAR))
    self.assertIsInstance(restored.convs[SIMILAR], GCNConv)

  def test_save_and_reload(self):
    states, edge_index = _inputs()
    state_inputs = {t: tf.keras.Input((x.shape[1],), name=t) for t, x in states.items()}
    edge_inputs = {n: tf.keras.Input((None,), dtype=tf.int64, batch_size=2, name=n)
                   for n in edge_index}
    out = _hetero()((state_inputs, edge_inputs))
    out = HeteroConv({BOUGHT_BY: SAGEConv(3)}, aggregate="max")((out, edge_inputs))
    model = tf.keras.Model([state_inputs, edge_inputs], out["user"])
    keras_testing.assert_reloads_identically(self, model, [states, edge_index])

  def test_bad_arguments(self):
    with self.assertRaisesRegex(ValueError, "convs must be a non-empty dict"):
      HeteroConv({})
    with self.assertRaisesRegex(ValueError, r"keyed by \(src node type, dst node type, edge "
                                r"type name\) triples .* got key 'buys'"):
      HeteroConv({"buys": SAGEConv(2)})
    with self.assertRaisesRegex(ValueError, "two convs for edge type 'buys'"):
      HeteroConv({BUYS: SAGEConv(2), ("user", "shop", "buys"): SAGEConv(2)})
    with self.assertRaisesRegex(ValueError, r"convs\[\('user', 'item', 'buys'\)\] must be a "
                                "Keras layer"):
      HeteroConv({BUYS: "sage"})
    with self.assertRaisesRegex(ValueError, r"HeteroConv: aggregate must be one of \['sum', "
                                r"'mean', 'max'\], got 'concat'"):
      HeteroConv({BUYS: SAGEConv(2)}, aggregate="concat")

  def test_bad_inputs(self):
    states, edge_index = _inputs()
    layer = _hetero()
    with self.assertRaisesRegex(ValueError, r"inputs must be \(node_states, edge_index\): .* "
                                "got dict"):
      layer(states)
    with self.assertRaisesRegex(ValueError, r"got a 2-tuple of \['dict', 'EagerTensor'\]"):
      layer((states, edge_index["buys"]))
    with self.assertRaisesRegex(ValueError, r"no edge_index for edge type 'similar'; inputs\[1\] "
                                r"has \['bought_by', 'buys'\]"):
      layer((states, {k: v for k, v in edge_index.items() if k != "similar"}))
    with self.assertRaisesRegex(ValueError, "edge type 'buys' has source node type 'user', "
                                "which has no states"):
      layer(({"item": states["item"]}, edge_index))
    with self.assertRaisesRegex(ValueError, r"edge_mask has edge types \['sells'\] without a "
                                "conv"):
      layer((states, edge_index), edge_mask={"sells": np.ones(2, bool)})
    with self.assertRaisesRegex(ValueError, r"edge_weight\['buys'\] given, but its conv GATConv "
                                "takes no edge weights"):
      HeteroConv({BUYS: GATConv(2, add_self_loops=False)})(
          (states, edge_index), edge_weight={"buys": np.ones(5, np.float32)})
    with self.assertRaisesRegex(ValueError, r"edge types into node type 'item' give outputs of "
                                r"different widths \{'buys': 4, 'similar': 3\}"):
      HeteroConv({BUYS: SAGEConv(4), SIMILAR: SAGEConv(3)})((states, edge_index))
    # States of the wrong node type: the conv's dims or the ids' range catch it.
    swapped = dict(states, user=states["shop"])
    with self.assertRaisesRegex(ValueError, r"was built for node features of dims 3 \(x_src\)"):
      layer((swapped, edge_index))
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, "ids >= the number of nodes"):
      _hetero()((dict(states, user=states["user"][:2]), edge_index))


if __name__ == "__main__":
  tf.test.main()
