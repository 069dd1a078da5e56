"""Tests of examples/train_graph_classification.py: GIN on the synthetic collection and on a
user's three tables (random split), saved and reloaded; bad tables and flags refused."""
import json
import os

import numpy as np
import tensorflow as tf

import tfgle
import tfgle.models  # pylint: disable=unused-import  (registers the model classes)
from tests.examples import binaries

_SCRIPT = binaries.script("train_graph_classification.py")
_TINY = ["--num_graphs=120", "--epochs=2", "--hidden_dim=8", "--head_dim=8", "--progress=0"]


def _run(*flags):
  return binaries.run("train_graph_classification.py", *flags)


_final_metrics = binaries.final_metrics


def _write_tables(directory, collection):
  """The collection's three tables as TSV files (edges one way: --graph_undirected adds the
  reverses), without a split column."""
  nodes, edges, graphs = collection.to_arrays()
  one_way = edges["src_id"] < edges["dst_id"]
  paths = [os.path.join(directory, name) for name in ("nodes.tsv", "edges.tsv", "graphs.tsv")]
  for path, table, rows in ((paths[0], nodes, slice(None)), (paths[1], edges, one_way),
                            (paths[2], graphs, slice(None))):
    columns = {k: v for k, v in table.items() if k != "split"}
    if "x" in columns:  # a float column ("1.0"), read only with --graph_features=x:float
      columns["x"] = columns["x"][:, 0]
    with open(path, "w") as f:
      f.write("\t".join(columns) + "\n")
      for row in zip(*(np.asarray(v)[rows] for v in columns.values())):
        f.write("\t".join(str(v) for v in row) + "\n")
  return paths


class TrainGraphClassificationTest(tf.test.TestCase):

  def test_synthetic_graphs_train_save_and_reload(self):
    directory = os.path.join(self.get_temp_dir(), "run")
    proc = _run(*_TINY, f"--model_dir={directory}",
                f"--metrics_json={directory}/metrics.json")
    self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
    metrics = _final_metrics(proc.stdout)
    with open(os.path.join(directory, "metrics.json")) as f:
      self.assertEqual(json.load(f), metrics)
    self.assertEqual((metrics["model"], metrics["readout"], metrics["dataset"]),
                     ("gin", "sum", "synthetic_cycles"))
    self.assertEqual((metrics["num_graphs"], metrics["num_classes"], metrics["epochs_run"]),
                     (120, 4, 2))
    self.assertBetween(metrics["test_accuracy"], 0, 1)
    self.assertBetween(metrics["test_chance_accuracy"], 0.25, 1)
    self.assertIn(metrics["best_epoch"], (1, 2))
    model = tf.keras.models.load_model(os.path.join(directory, "model"))
    collection = tfgle.datasets.synthetic_graph_collection(120, seed=0)
    batch, _ = next(iter(tfgle.data.graph_batch_dataset(collection, 8, shuffle=False)))
    self.assertEqual(model(batch).shape, (8, 4))

  def test_own_tables_with_a_random_split(self):
    directory = self.get_temp_dir()
    collection = tfgle.datasets.synthetic_graph_collection(150, task="cycles", seed=4)
    nodes, edges, graphs = _write_tables(directory, collection)
    proc = _run(*_TINY, f"--graph_node_table={nodes}", f"--graph_edge_table={edges}",
                f"--graph_table={graphs}", "--graph_split_column=", "--val_fraction=0.2",
                "--test_fraction=0.2", f"--model_dir={directory}/model")
    self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
    metrics = _final_metrics(proc.stdout)
    self.assertEqual((metrics["dataset"], metrics["num_graphs"]), ("tables", 150))
    # The same with the nodes' feature column read (above, every node got x = 1).
    proc = _run(*_TINY, f"--graph_node_table={nodes}", f"--graph_edge_table={edges}",
                f"--graph_table={graphs}", "--graph_split_column=", "--graph_features=x:float",
                f"--model_dir={directory}/model_x")
    self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
    self.assertBetween(_final_metrics(proc.stdout)["test_accuracy"], 0, 1)

  def test_bad_tables_and_flags_are_usage_errors(self):
    directory = self.get_temp_dir()
    collection = tfgle.datasets.synthetic_graph_collection(30, seed=4)
    nodes, edges, graphs = _write_tables(directory, collection)
    with open(edges, "a") as f:
      f.write("3\t0\t99\n")  # graph 3 has no node 99
    line = sum(1 for _ in open(edges))
    for flags, message in [
        ([f"--graph_node_table={nodes}", f"--graph_edge_table={edges}",
          f"--graph_table={graphs}", "--graph_split_column="],
         f"edge table: {edges}:{line}: dst_id 99 is not a node of graph 3"),
        ([f"--graph_node_table={nodes}"], "give --graph_node_table, --graph_edge_table and "
         "--graph_table together"),
        (["--graph_features=atom:complex"], "features entry 'atom:complex' must be NAME:KIND"),
    ]:
      proc = _run(*flags)
      self.assertEqual(proc.returncode, 1, proc.stderr[-3000:])
      self.assertNotIn("Traceback", proc.stderr)
      self.assertIn(message, proc.stderr)
