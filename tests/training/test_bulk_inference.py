"""Bulk inference: every node's embedding, as the manifest says to build its batches."""
import io
import os
import tempfile
from unittest import mock

import numpy as np
import tensorflow as tf

import tfgle
from tfgle import models
from tfgle import training
from tfgle.training import bulk_inference
from tfgle.training import node_classification as nc


class BulkInferenceTest(tf.test.TestCase):

  def _trained(self, model_name, model_class, batch):
    graph, _ = tfgle.datasets.synthetic(num_nodes=150, num_edges=600, dim=4, num_classes=3)
    settings = training.resolve_preset("synthetic", model_name, {"hidden_dim": 4})
    model = nc.build_classifier(model_class, graph, settings, "node", 3)
    manifest = nc.classifier_manifest(model, graph, settings, data_config={}, batch=batch,
                                      node_type="node", meta_path=["links", "links"],
                                      num_classes=3)
    return graph, model, manifest

  def test_every_node_once_as_evaluation_samples_it(self):
    graph, model, manifest = self._trained("ego_graph_sage", models.EgoGraphSAGE, "ego_graph")
    ids, embeddings = training.embed_nodes(model, graph, manifest, batch_size=64, seed=7)
    self.assertAllEqual(np.sort(ids), np.arange(150))
    self.assertEqual(embeddings.shape, (150, model.embedding_dim))
    batches = bulk_inference.node_batches(graph, manifest, batch_size=64, seed=7)
    first = next(iter(batches))
    self.assertEqual(first["hop1"]["ids"].shape, (64, 10))  # eval_fanouts
    self.assertAllClose(embeddings[:64], model.embed(first), atol=1e-6)

  def test_progress_bar(self):
    graph, model, manifest = self._trained("ego_graph_sage", models.EgoGraphSAGE, "ego_graph")
    for verbose in (0, 1):
      with mock.patch("sys.stdout", new_callable=io.StringIO) as out:
        training.embed_nodes(model, graph, manifest, batch_size=64, seed=7, verbose=verbose)
      self.assertEqual("150/150" in out.getvalue() and "nodes/s" in out.getvalue(),
                       bool(verbose), out.getvalue())

  def test_subgraph_models(self):
    graph, model, manifest = self._trained("gcn", models.GCN, "subgraph")
    ids, embeddings = training.embed_nodes(model, graph, manifest, batch_size=64, seed=7)
    self.assertAllEqual(np.sort(ids), np.arange(150))
    self.assertTrue(np.all(np.isfinite(embeddings)))

  def test_writes_every_format(self):
    directory = tempfile.mkdtemp(dir=self.get_temp_dir())
    ids = np.array([3, 1], np.int64)
    embeddings = np.array([[0.5, 1.0], [2.0, -1.0]], np.float32)
    path = training.write_embeddings(directory, ids, embeddings, "npy")
    self.assertAllEqual(np.load(path), embeddings)
    self.assertAllEqual(np.load(os.path.join(directory, "ids.npy")), ids)
    path = training.write_embeddings(directory, ids, embeddings, "tsv")
    with open(path) as f:
      self.assertEqual(f.read(), "id:int64\tembedding:string\n3\t0.5:1\n1\t2:-1\n")
    import pyarrow.parquet as pq  # pylint: disable=g-import-not-at-top
    table = pq.read_table(training.write_embeddings(directory, ids, embeddings, "parquet"))
    self.assertEqual(table.column("id").to_pylist(), [3, 1])
    self.assertEqual(table.column("embedding").to_pylist(), embeddings.tolist())
    with self.assertRaisesRegex(ValueError, r"fmt must be one of \['npy', 'tsv', 'parquet'\], "
                                "got 'csv'"):
      training.write_embeddings(directory, ids, embeddings, "csv")


if __name__ == "__main__":
  tf.test.main()
