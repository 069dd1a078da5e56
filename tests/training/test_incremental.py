"""tfgle.training.incremental: update tables, touched nodes, seeds, rebuilt warm-started models."""
import os

import numpy as np
import pytest
import tensorflow as tf

import tfgle
import tfgle.models as models
from tfgle.training import incremental
from tfgle.training import manifest as manifest_lib

NUM_NODES, DIM = 300, 8


def _graph():
  graph, _ = tfgle.datasets.synthetic(num_nodes=NUM_NODES, num_edges=1500, dim=DIM,
                                      num_classes=4, seed=3)
  return graph


def _new_nodes(first, count, seed=0):
  rng = np.random.default_rng(seed)
  return {"id": np.arange(first, first + count, dtype=np.int64),
          "feat": rng.normal(size=(count, DIM)).astype(np.float32),
          "label": rng.integers(0, 4, count).astype(np.int64)}


def _write_tsv(path, columns):
  names = list(columns)
  with open(path, "w") as f:
    f.write("\t".join(names) + "\n")
    for row in zip(*columns.values()):
      f.write("\t".join(":".join(map(str, v)) if np.ndim(v) else str(v) for v in row) + "\n")
  return str(path)


def test_parse_update():
  assert incremental.parse_update("node:paper=a/b.tsv") == incremental.Update(
      "node", "paper", "a/b.tsv")
  assert incremental.parse_update("edge:cites=x=y.tsv").path == "x=y.tsv"
  for bad in ("paper=a.tsv", "vertex:paper=a.tsv", "node:paper", "node:=a.tsv", "edge:cites="):
    with pytest.raises(ValueError, match="must be node:NODE_TYPE=PATH or edge:EDGE_TYPE=PATH"):
      incremental.parse_update(bad)


def test_apply_updates_touches_new_nodes_and_edge_endpoints(tmp_path):
  graph = _graph()
  nodes = _write_tsv(tmp_path / "nodes.tsv", _new_nodes(NUM_NODES, 5))
  edges = _write_tsv(tmp_path / "edges.tsv", {"src_id": np.array([NUM_NODES, 7]),
                                               "dst_id": np.array([11, NUM_NODES + 1])})
  touched = incremental.apply_updates(graph, [incremental.parse_update(f"node:node={nodes}"),
                                              incremental.parse_update(f"edge:links={edges}")])
  assert graph.num_nodes("node") == NUM_NODES + 5
  index = graph.to_index("node", [7, 11]).numpy().tolist()
  expected = sorted(set(range(NUM_NODES, NUM_NODES + 5)) | set(index))
  assert touched["node"].tolist() == expected


def test_apply_updates_errors(tmp_path):
  graph = _graph()
  nodes = _write_tsv(tmp_path / "nodes.tsv", _new_nodes(NUM_NODES, 2))
  with pytest.raises(ValueError, match="at least one"):
    incremental.apply_updates(graph, [])
  update = incremental.parse_update(f"node:node={nodes}")
  with pytest.raises(ValueError, match="node type 'node' twice"):
    incremental.apply_updates(graph, [update, update])
  with pytest.raises(ValueError, match="unknown node type 'paper'"):
    incremental.apply_updates(graph, [incremental.parse_update(f"node:paper={nodes}")])
  assert graph.num_nodes("node") == NUM_NODES  # a failed update changes nothing


def test_training_seeds_skip_held_out_and_replay():
  graph = _graph()
  train = graph.split_indices("node", "train").numpy()
  test = graph.split_indices("node", "test").numpy()
  touched = {"node": np.array([train[0], test[0]])}
  only_new = incremental.training_seeds(graph, "node", touched, replay_fraction=0.0, seed=0)
  assert only_new.tolist() == [train[0]]
  seeds = incremental.training_seeds(graph, "node", touched, replay_fraction=0.5, seed=0)
  assert len(seeds) == 1 + round(0.5 * (len(train) - 1))
  assert set(seeds) <= set(train)
  with pytest.raises(ValueError, match="replay_fraction must be a fraction in"):
    incremental.training_seeds(graph, "node", touched, replay_fraction=1.5, seed=0)
  with pytest.raises(ValueError, match="nothing to train on"):
    incremental.training_seeds(graph, "node", {"node": test[:1]}, replay_fraction=0.0, seed=0)


def test_rebuild_model_grows_id_table_and_keeps_old_rows(tmp_path):
  graph = _graph()
  trained = models.EgoGraphSAGE.from_graph(graph, "node", id_embedding_dim=4, hidden_dims=[8, 8],
                                           num_classes=4)
  trained.save(str(tmp_path / "model"), save_format="tf", save_traces=False)
  loaded = tf.keras.models.load_model(str(tmp_path / "model"))
  graph.add_nodes("node", _new_nodes(NUM_NODES, 7))
  model, report = incremental.rebuild_model(loaded, graph, "node")
  assert type(model) is type(trained)
  assert model.features["index"].num_ids == NUM_NODES + 7
  assert list(report.grown.values()) == [(NUM_NODES + 1, NUM_NODES + 8)]

  def table(m):
    return next(w.numpy() for w in m.weights if w.shape[0] == m.features["index"].num_ids + 1)
  np.testing.assert_array_equal(table(model)[:NUM_NODES], table(trained)[:NUM_NODES])
  assert not np.array_equal(table(model)[NUM_NODES:NUM_NODES + 7],
                            np.repeat(table(trained)[NUM_NODES:], 7, axis=0))


def test_manifest_graph_reads_snapshots(tmp_path):
  graph = _graph()
  graph.add_nodes("node", _new_nodes(NUM_NODES, 3))
  snapshot = graph.save(str(tmp_path / "graph"))
  manifest = manifest_lib.ModelManifest(
      task="node_classification", model="ego_graph_sage", model_class="tfgle>EgoGraphSAGE",
      batch="ego_graph", data={"dataset": "synthetic", "seed": 0},
      towers={"node": manifest_lib.Tower("node", ("links",), ("node", "node"))},
      edge_type=("node", "node", "links"), fanouts=(2,), features={"node": ("feat",)},
      embedding_dim=8)

  class Model:
    embedding_dim = 16
  updated = incremental.snapshot_manifest(manifest, Model(), snapshot)
  assert updated.data == {"snapshot": os.path.abspath(snapshot),
                          "base": {"dataset": "synthetic", "seed": 0}}
  assert updated.embedding_dim == 16
  assert incremental.snapshot_manifest(updated, Model(), snapshot).data == updated.data
  loaded, info = incremental.manifest_graph(updated)
  assert info is None and loaded.fingerprint() == graph.fingerprint()
