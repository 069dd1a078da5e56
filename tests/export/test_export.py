"""Tests of the serving exports: stock-TensorFlow SavedModels, equal to the in-process model."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import tensorflow as tf

import tfgle
from tfgle.data import ego_graph_dataset, ego_spec
from tfgle.export import export_embedding_table, export_encoder, raw_inputs


def _graph():
  """A graph with vocabulary, multi-valued, hashed and float attributes, and its raw cities."""
  rng = np.random.default_rng(0)
  n = 60
  nodes = {
      "id": np.arange(n) * 7 + 3,
      "color": rng.choice(["red", "green", "blue"], n),
      "tags": [list(rng.choice([11, 12, 13, 14], rng.integers(0, 4), replace=False))
               for _ in range(n)],
      "city": rng.choice(["a", "b", "c", "d", "e"], n),
      "x": rng.random((n, 3)),
      "label": rng.integers(0, 2, n),
  }
  edges = {"src_id": rng.integers(0, n, 300) * 7 + 3, "dst_id": rng.integers(0, n, 300) * 7 + 3}
  return (tfgle.Graph()
          .node(nodes, node_type="n", decoder=tfgle.Decoder(label="label", attrs={
              "color": tfgle.CategoricalAttr(),
              "tags": tfgle.CategoricalAttr(multivalued=True, dtype="int64"),
              "city": tfgle.CategoricalAttr(num_buckets=4),
              "x": tfgle.FloatAttr(dim=3)}))
          .edge(edges, edge_type=("n", "n", "e"), directed=False)
          .build()), {"n": {"city": nodes["city"].astype(object)}}


class TinySage(tf.keras.Model):
  """A 2-hop EgoGraphSAGE-like model with an `embed` method."""

  def __init__(self, graph):
    super().__init__()
    self.encoder = tfgle.features.FeatureEncoder.from_graph(graph, "n", embedding_dim=4)
    self.gnn = tfgle.layers.EgoGNN([tfgle.layers.EgoSAGEConv(8), tfgle.layers.EgoSAGEConv(8)],
                                   activation="relu")

  def embed(self, ego):
    hops, masks = tfgle.layers.encode_ego_batch(ego, self.encoder)
    return self.gnn((hops, masks))

  def call(self, ego):
    return self.embed(ego)


_LOAD_WITHOUT_TFGLE = textwrap.dedent("""
    import json, sys
    sys.modules["tfgle"] = None          # tfgle must not be importable here
    import numpy as np
    import tensorflow as tf
    from tensorflow.python.framework import op_def_registry
    path, inputs_file = sys.argv[1], sys.argv[2]
    inputs = {k: np.array(v["value"], dtype=v["dtype"]) for k, v in
              json.load(open(inputs_file)).items()}
    model = tf.saved_model.load(path)
    out = model.signatures["serving_default"](**{k: tf.constant(v) for k, v in inputs.items()})
    assert op_def_registry.get("Tfgle>IdMapLookup") is None, "tfgle ops got loaded"
    assert "tfgle" not in [m for m in sys.modules if sys.modules[m] is not None]
    print(json.dumps({k: v.numpy().tolist() for k, v in out.items()}))
""")


def _jsonable(value):
  array = np.asarray(value)
  if array.dtype.kind in "OSU":
    decode = np.vectorize(lambda x: x.decode() if isinstance(x, bytes) else str(x), otypes=[object])
    return {"value": decode(array).tolist() if array.size else array.tolist(), "dtype": "str"}
  return {"value": array.tolist(), "dtype": str(array.dtype)}


def _serve_elsewhere(path, inputs):
  """Runs the SavedModel's serving_default in a process where tfgle cannot be imported."""
  inputs_file = path + ".inputs.json"
  with open(inputs_file, "w") as f:
    json.dump({k: _jsonable(v) for k, v in inputs.items()}, f)
  env = dict(os.environ, PYTHONPATH="")
  result = subprocess.run([sys.executable, "-c", _LOAD_WITHOUT_TFGLE, path, inputs_file],
                          capture_output=True, text=True, timeout=300, cwd="/", env=env,
                          check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  return {k: np.array(v) for k, v in json.loads(result.stdout.strip().splitlines()[-1]).items()}


class ExportTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.g, cls.raw_columns = _graph()
    cls.spec = ego_spec(cls.g, "n", ["e", "e"], [3, 2])
    cls.features = ["color", "tags", "city", "x"]
    ds = ego_graph_dataset(cls.g, meta_path=["e", "e"], fanouts=[3, 2], batch_size=16,
                         shuffle=False, label=False)
    cls.ego = next(iter(ds))
    cls.model = TinySage(cls.g)
    cls.expected = cls.model.embed(cls.ego).numpy()

  def test_embedding_table_serves_ids_without_tfgle(self):
    ids = self.g.node_ids("n").numpy()
    embeddings = np.random.default_rng(1).random((len(ids), 5)).astype(np.float32)
    path = export_embedding_table(os.path.join(self.get_temp_dir(), "table"), ids, embeddings)
    query = np.array([ids[4], 999999, ids[0]], np.int64)
    out = _serve_elsewhere(path, {"ids": query})
    self.assertAllClose(out["embeddings"][[0, 2]], embeddings[[4, 0]])
    self.assertAllEqual(out["found"], [True, False, True])
    self.assertAllClose(out["embeddings"][1], np.zeros(5))

  def test_string_id_table(self):
    path = export_embedding_table(os.path.join(self.get_temp_dir(), "stable"), [0, 1],
                                  np.eye(2), string_ids=np.array(["u1", "u2"]))
    loaded = tf.saved_model.load(path)
    out = loaded.signatures["serving_default"](ids=tf.constant(["u2", "zz"]))
    self.assertAllClose(out["embeddings"], [[0, 1], [0, 0]])

  def test_encoder_on_raw_features_equals_the_model(self):
    path = export_encoder(os.path.join(self.get_temp_dir(), "encoder"), self.model, self.g,
                          self.spec, self.features)
    inputs = {k: v.numpy() for k, v in raw_inputs(self.g, self.ego, self.spec, self.features,
                                                   self.raw_columns).items()}
    self.assertEqual(inputs["hop0_color"].dtype.kind, "O")        # raw strings, not ids
    out = _serve_elsewhere(path, inputs)
    self.assertAllClose(out["embeddings"], self.expected, atol=1e-5)

  def test_unknown_raw_categories_go_out_of_vocabulary(self):
    module = tfgle.export.EgoEncoder(self.model, self.g, self.spec, self.features)
    inputs = raw_inputs(self.g, self.ego, self.spec, self.features, self.raw_columns)
    inputs["hop0_color"] = tf.fill(tf.shape(inputs["hop0_color"]), "purple")
    ego = module.ego_batch(inputs)
    self.assertAllEqual(ego["hop0"]["color"], tf.zeros_like(ego["hop0"]["color"]))
    self.assertEqual(module.serve(inputs)["embeddings"].shape, self.expected.shape)

  def test_saved_model_cli_lists_the_serving_signature(self):
    path = export_encoder(os.path.join(self.get_temp_dir(), "cli"), self.model, self.g,
                          self.spec, self.features)
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    result = subprocess.run([cli, "show", "--dir", path, "--all"], capture_output=True,
                            text=True, timeout=300, check=True)
    self.assertIn("signature_def['serving_default']", result.stdout)
    for name in ("hop0_ids", "hop1_mask", "hop2_tags", "hop0_color"):
      self.assertIn(f"inputs['{name}']", result.stdout)
    self.assertIn("outputs['embeddings']", result.stdout)


def _edge_graph():
  """Nodes with a float attribute; edges with a vocabulary and a float attribute."""
  rng = np.random.default_rng(3)
  n = 30
  edges = {"src_id": rng.integers(0, n, 120) + 1000, "dst_id": rng.integers(0, n, 120) + 1000,
           "kind": rng.choice(["cites", "extends", "refutes"], 120).astype(object),
           "weight": rng.random(120).astype(np.float32)}
  return (tfgle.Graph()
          .node({"id": np.arange(n) + 1000, "x": rng.random((n, 2)).astype(np.float32)},
                node_type="n", decoder=tfgle.Decoder(attrs={"x": tfgle.FloatAttr(dim=2)}))
          .edge(edges, edge_type=("n", "n", "e"), decoder=tfgle.Decoder(attrs={
              "kind": tfgle.CategoricalAttr(), "weight": tfgle.FloatAttr()}))
          .build())


class EdgeFeatureExportTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.g = _edge_graph()
    cls.spec = ego_spec(cls.g, "n", ["e", "e"], [3, 2])
    ds = ego_graph_dataset(cls.g, meta_path=["e", "e"], fanouts=[3, 2], batch_size=8,
                           shuffle=False, label=False, edge_features=True,
                           strategy="random_without_replacement")
    cls.ego = next(iter(ds))
    tf.keras.utils.set_random_seed(0)
    cls.model = tfgle.models.EgoGAT.from_graph(cls.g, "n", edge_type="e", hidden_dims=[4, 4],
                                               heads=2, embedding_dim=3)
    cls.model(cls.ego)  # as in training: Keras saves models that have been called

  def test_ego_gat_with_edge_features_serves_with_stock_ops(self):
    path = export_encoder(os.path.join(self.get_temp_dir(), "edge_encoder"), self.model, self.g,
                          self.spec, ["x"], edge_features=["kind", "weight"])
    inputs = {k: v.numpy() for k, v in raw_inputs(self.g, self.ego, self.spec, ["x"],
                                                   edge_features=["kind", "weight"]).items()}
    self.assertEqual(inputs["hop1_edge_kind"].dtype.kind, "O")   # raw strings, not ids
    self.assertEqual(inputs["hop2_edge_weight"].shape, (8, 3, 2))
    self.assertNotIn("hop0_edge_kind", inputs)
    expected = self.model.embed(self.ego).numpy()
    out = _serve_elsewhere(path, inputs)   # no tfgle, no tfgle ops
    self.assertAllClose(out["embeddings"], expected, atol=1e-5)
    # The edge features are inputs that matter.
    module = tfgle.export.EgoEncoder(self.model, self.g, self.spec, ["x"],
                                     edge_features=["kind", "weight"])
    changed = dict(inputs, hop1_edge_weight=inputs["hop1_edge_weight"] + 1.0)
    self.assertNotAllClose(module.serve(changed)["embeddings"], expected)

  def test_unknown_edge_features(self):
    with self.assertRaisesRegex(ValueError, r"edge_features \['colour'\] are attributes of none "
                                r"of the edge types \['e'\]; they have \{'e': \['kind', "
                                r"'weight'\]\}"):
      tfgle.export.EgoEncoder(self.model, self.g, self.spec, ["x"], edge_features=["colour"])


if __name__ == "__main__":
  tf.test.main()
