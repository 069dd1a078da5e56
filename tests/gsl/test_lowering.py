"""Tests of GSL queries lowered to tf.data: contents, masks, determinism, checkpoints."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import tensorflow as tf

import tfgle


def _ring_graph(n=30, extra=((0, 5), (0, 7), (3, 9))):
  """Directed ring i -> i+1 plus a few chords; node n-1 also has an edge; node 'iso' none."""
  src = list(range(n - 1)) + [s for s, _ in extra]
  dst = list(range(1, n)) + [d for _, d in extra]
  nodes = {"id": np.arange(n) + 1000, "x": np.arange(n, dtype=np.float32) * 10,
           "label": np.arange(n) % 3, "split": np.array(["train"] * 20 + ["test"] * (n - 20))}
  edges = {"src_id": np.array(src) + 1000, "dst_id": np.array(dst) + 1000,
           "w": np.linspace(1, 2, len(src))}
  return (tfgle.Graph()
          .node(nodes, node_type="n", decoder=tfgle.Decoder(
              label="label", split="split", attrs={"x": tfgle.FloatAttr()}))
          .edge(edges, edge_type=("n", "n", "e"), decoder=tfgle.Decoder(weight="w"))
          .build())


def _as_numpy(element):
  return tf.nest.map_structure(lambda t: t.numpy(), element)


class LoweringTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.g = _ring_graph()
    cls.adj = {}
    nbrs = cls.g.neighbors("e", cls.g.node_ids("n")).ids.to_list()
    for node, row in zip(cls.g.node_ids("n").numpy(), nbrs):
      cls.adj[int(node)] = set(row)

  def test_two_hop_values_hold_true_neighbors_and_features(self):
    ds = (self.g.V("n").batch(8).alias("seed")
          .outV("e").sample(3).by("random").alias("h1")
          .outV("e").sample(2).by("random").alias("h2")
          .values(labels=True))
    seen = []
    for batch in ds:
      b = _as_numpy(batch)
      seeds, h1, h2 = b["seed"], b["h1"], b["h2"]
      self.assertEqual(h1["ids"].shape, seeds["ids"].shape + (3,))
      self.assertEqual(h2["ids"].shape, seeds["ids"].shape + (3, 2))
      for i, s in enumerate(seeds["ids"]):
        for j in range(3):
          if h1["mask"][i, j]:
            self.assertIn(h1["ids"][i, j], self.adj[s])
            for k in range(2):
              if h2["mask"][i, j, k]:
                self.assertIn(h2["ids"][i, j, k], self.adj[h1["ids"][i, j]])
          else:
            self.assertEqual(h1["ids"][i, j], -1)
            self.assertFalse(h2["mask"][i, j].any())
      self.assertAllClose(h1["x"][h1["mask"]], (h1["ids"][h1["mask"]] - 1000) * 10.0)
      self.assertAllEqual(seeds["label"], (seeds["ids"] - 1000) % 3)
      seen.extend(seeds["ids"].tolist())
    self.assertEqual(sorted(seen), list(range(1000, 1030)))
    # The last node of the ring has no out-edge: all padding, never an error.
    last = [b for b in ds][-1]
    self.assertFalse(last["h1"]["mask"].numpy()[-1].any())

  def test_full_steps_hold_every_neighbor_padded_to_the_longest(self):
    ds = (self.g.V("n").batch(30).alias("seed")
          .outV("e").sample().by("full").alias("all")
          .outV("e").sample(1).by("random").alias("next")
          .values())
    b = _as_numpy(next(iter(ds)))
    longest = max(len(self.adj[s]) for s in b["seed"]["ids"])
    self.assertEqual(b["all"]["ids"].shape, (30, longest))
    self.assertEqual(b["next"]["ids"].shape, (30, longest, 1))
    for i, s in enumerate(b["seed"]["ids"]):
      row = b["all"]["ids"][i][b["all"]["mask"][i]]
      self.assertCountEqual(row.tolist(), self.adj[s])
      self.assertTrue((b["all"]["ids"][i][~b["all"]["mask"][i]] == -1).all())
      self.assertFalse(b["next"]["mask"][i][~b["all"]["mask"][i]].any())
    # sample(k).by("full") caps each list at k neighbors.
    capped = (self.g.V("n").batch(30).alias("seed").outV("e").sample(2).by("full")
              .alias("nbrs").values())
    c = _as_numpy(next(iter(capped)))
    self.assertEqual(c["nbrs"]["ids"].shape, (30, 2))
    self.assertAllEqual(c["nbrs"]["mask"].sum(axis=1),
                        [min(2, len(self.adj[s])) for s in c["seed"]["ids"]])

  def test_same_seed_same_batches_under_any_parallelism(self):
    def run(parallel):
      ds = (self.g.V("n").batch(4).shuffle(traverse=True).alias("s")
            .outV("e").sample(4).by("random").alias("h1")
            .outNeg("e").sample(3).by("random").alias("neg")
            .values(seed=7, num_parallel_calls=parallel))
      return [_as_numpy(b) for b in ds]
    one, four = run(1), run(4)
    self.assertEqual(len(one), len(four))
    for a, b in zip(one, four):
      tf.nest.map_structure(self.assertAllEqual, a, b)
    other = (self.g.V("n").batch(4).shuffle(traverse=True).alias("s")
             .outV("e").sample(4).by("random").alias("h1").values(seed=8))
    self.assertNotAllEqual(_as_numpy(next(iter(other)))["h1"]["ids"], one[0]["h1"]["ids"])

  def test_edges_source_visits_each_edge_once_with_endpoints(self):
    e = self.g.E("e").batch(5).shuffle(traverse=True).alias("edge")
    e.outV().alias("src")
    e.inV().alias("dst")
    pairs = []
    for b in e.values():
      b = _as_numpy(b)
      self.assertAllEqual(b["edge"]["src_ids"], b["src"]["ids"])
      pairs.extend(zip(b["src"]["ids"].tolist(), b["dst"]["ids"].tolist()))
    expected = [(s, d) for s, row in self.adj.items() for d in row]
    self.assertCountEqual(pairs, expected)

  def test_negatives_exclude_true_neighbors_and_filter_masks_target(self):
    seed = self.g.V("n").batch(30).alias("s")
    seed.outNeg("e").sample(6).by("random").alias("neg")
    seed.outV("e").sample(2).by("random").alias("h1").outV("e").sample(4).by(
        "random").filter("s").alias("back")
    b = _as_numpy(next(iter(seed.values())))
    for i, s in enumerate(b["s"]["ids"]):
      for neg in b["neg"]["ids"][i]:
        self.assertNotIn(neg, self.adj[s])
      back = b["back"]
      self.assertFalse(np.any(back["mask"][i] & (back["ids"][i] == s)))

  def test_inv_follows_in_edges(self):
    q = self.g.V("n", mask=[1005]).batch(1).alias("s").inV("e").sample(20).by(
        "random").alias("in")
    b = _as_numpy(next(iter(q.values())))
    self.assertCountEqual(set(b["in"]["ids"][0][b["in"]["mask"][0]].tolist()), {1000, 1004})

  def test_iterator_checkpoint_restores_in_a_fresh_process(self):
    script = textwrap.dedent("""
        import sys, numpy as np, tensorflow as tf
        import tfgle
        sys.path.insert(0, %r)
        from test_lowering import _ring_graph
        g = _ring_graph()
        ds = (g.V("n").batch(3).shuffle(traverse=True).alias("s")
              .outV("e").sample(2).by("random").alias("h").values(seed=3)).repeat()
        it = iter(ds)
        mode, path = sys.argv[1], sys.argv[2]
        ckpt = tfgle.data.IteratorCheckpoint(g, iterator=it)
        if mode == "save":
          for _ in range(4): next(it)
          ckpt.write(path)
        else:
          ckpt.read(path).assert_consumed()
        out = [next(it) for _ in range(6)]
        print(repr([b["h"]["ids"].numpy().tolist() for b in out]))
    """) % os.path.dirname(__file__)
    path = os.path.join(self.get_temp_dir(), "pipeline")
    def run(mode):
      result = subprocess.run([sys.executable, "-c", script, mode, path], capture_output=True,
                              text=True, timeout=300, check=False)
      self.assertEqual(result.returncode, 0, result.stderr[-3000:])
      return result.stdout.strip().splitlines()[-1]
    saved = run("save")
    self.assertEqual(run("restore"), saved)

  def test_checkpoint_refuses_another_graph(self):
    ds = self.g.V("n").batch(3).alias("s").values()
    it = iter(ds)
    next(it)
    path = tfgle.data.IteratorCheckpoint(self.g, iterator=it).write(
        os.path.join(self.get_temp_dir(), "other"))
    other = _ring_graph(extra=((1, 4),))
    other_it = iter(other.V("n").batch(3).alias("s").values())
    next(other_it)
    next(other_it)  # one batch further than the checkpoint
    with self.assertRaisesRegex(ValueError, "written for a graph with fingerprint"):
      tfgle.data.IteratorCheckpoint(other, iterator=other_it).read(path)
    # The refused restore changed nothing: the iterator goes on from its third batch.
    self.assertAllEqual(next(other_it)["s"]["ids"], [1006, 1007, 1008])

  def test_position_queries_resume_exactly_across_epochs(self):
    def query(position):
      return (self.g.V("n").batch(7).shuffle(traverse=True).alias("s")
              .outV("e").sample(2).by("random").alias("h")
              .values(seed=5, position=position))
    whole = [_as_numpy(b) for b in query((0, 0)).take(12)]   # 5 batches per pass
    resumed = [_as_numpy(b) for b in query((1, 2)).take(5)]
    for want, got in zip(whole[7:], resumed):
      self.assertAllEqual(want["s"]["ids"], got["s"]["ids"])
      self.assertAllEqual(want["h"]["ids"], got["h"]["ids"])


if __name__ == "__main__":
  tf.test.main()
