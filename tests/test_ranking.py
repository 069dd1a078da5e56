"""Tests of tfgle.ranking: full-ranking metrics against a brute-force numpy reference."""
import numpy as np
from parameterized import parameterized
import tensorflow as tf

from tfgle import ranking

NUM_USERS, NUM_ITEMS, DIM = 37, 53, 4


def _data(seed=0):
  """Small-integer embeddings (exact scores, many ties) and random interactions."""
  rng = np.random.default_rng(seed)
  users = rng.integers(-2, 3, size=(NUM_USERS, DIM)).astype(np.float32)
  items = rng.integers(-2, 3, size=(NUM_ITEMS, DIM)).astype(np.float32)
  train = (rng.integers(0, NUM_USERS, 400), rng.integers(0, NUM_ITEMS, 400))
  # Users 0..4 have no held-out items; some held-out pairs repeat or are training pairs.
  test_users = rng.integers(5, NUM_USERS, 150)
  test_items = rng.integers(0, NUM_ITEMS, 150)
  test_users[:5], test_items[:5] = train[0][:5].clip(5), train[1][:5]
  test_users[5:8], test_items[5:8] = test_users[8], test_items[8]
  return users, items, train, (test_users, test_items)


def _reference(users, items, train, heldout, ks):
  """Brute force: per user, sort every non-training item by score (ties: lower index)."""
  scores = users.astype(np.float64) @ items.astype(np.float64).T
  train_sets = [set() for _ in range(len(users))]
  for u, i in zip(*train):
    train_sets[u].add(int(i))
  held = [set() for _ in range(len(users))]
  for u, i in zip(*heldout):
    if int(i) not in train_sets[u]:
      held[u].add(int(i))
  totals = {}
  evaluated = [u for u in range(len(users)) if held[u]]
  for u in evaluated:
    s = scores[u].copy()
    s[list(train_sets[u])] = -np.inf
    order = np.argsort(-s, kind="stable")
    for k in ks:
      top = order[:k]
      hit = [int(i) in held[u] for i in top]
      ideal = sum(1 / np.log2(j + 2) for j in range(min(k, len(held[u]))))
      values = {
          "recall": sum(hit) / len(held[u]),
          "ndcg": sum(1 / np.log2(j + 2) for j, h in enumerate(hit) if h) / ideal,
          "hit_rate": float(any(hit)),
          "mrr": 1 / (hit.index(True) + 1) if any(hit) else 0.0,
      }
      for name, value in values.items():
        totals[f"{name}_at_{k}"] = totals.get(f"{name}_at_{k}", 0.0) + value
  return {key: value / len(evaluated) for key, value in totals.items()}, evaluated


class EvaluateRankingTest(tf.test.TestCase):

  @parameterized.expand([("one_batch", 1000, 1000), ("user_batches", 7, 1000),
                         ("item_chunks", 1000, 11), ("both", 5, 4)])
  def test_matches_the_brute_force_reference(self, _, user_batch_size, item_batch_size):
    ks = [1, 3, 10, 60]  # 60 > NUM_ITEMS: every item
    for seed in range(3):
      users, items, train, heldout = _data(seed)
      expected, evaluated = _reference(users, items, train, heldout, ks)
      self.assertNotIn(0, evaluated)  # users without held-out items are skipped
      actual = ranking.evaluate_ranking(train, heldout, user_embeddings=users,
                                        item_embeddings=items, ks=ks,
                                        user_batch_size=user_batch_size,
                                        item_batch_size=item_batch_size)
      self.assertEqual(sorted(actual), sorted(expected))
      for key, value in expected.items():
        self.assertAllClose(actual[key], value, atol=1e-12, msg=f"{key} (seed {seed})")
      self.assertGreater(actual["recall_at_10"], 0)
      self.assertLess(actual["recall_at_10"], 1)
      self.assertAllClose(actual["recall_at_60"], 1.0)

  def test_batching_gives_the_same_result_as_one_batch(self):
    users, items, train, heldout = _data(5)
    # Real-valued scores this time: the merge of item chunks must agree with one top_k.
    rng = np.random.default_rng(1)
    users = users + rng.normal(size=users.shape).astype(np.float32)
    one = ranking.evaluate_ranking(train, heldout, user_embeddings=users, item_embeddings=items,
                                   ks=[5, 20], user_batch_size=10**6, item_batch_size=10**6)
    for ub, ib in ((1, 1), (3, 7), (16, 50)):
      batched = ranking.evaluate_ranking(train, heldout, user_embeddings=users,
                                         item_embeddings=items, ks=[5, 20],
                                         user_batch_size=ub, item_batch_size=ib)
      for key in one:
        self.assertAllClose(batched[key], one[key], atol=1e-12, msg=f"{key} at {ub}x{ib}")

  def test_training_items_are_masked(self):
    # Every user scores its training items highest; its held-out item comes next.
    num_users, num_items = 6, 10
    train = (np.repeat(np.arange(num_users), 2), np.tile([0, 1], num_users))
    heldout = (np.arange(num_users), np.full(num_users, 2))
    preference = np.array([10, 9, 8, 7, 6, 5, 4, 3, 2, 1], np.float32)
    score_fn = lambda users, items: tf.broadcast_to(
        tf.gather(preference, items)[tf.newaxis], [tf.shape(users)[0], tf.shape(items)[0]])
    result = ranking.evaluate_ranking(train, heldout, score_fn=score_fn, num_users=num_users,
                                      num_items=num_items, ks=[1])
    self.assertEqual(result, {"recall_at_1": 1.0, "ndcg_at_1": 1.0, "hit_rate_at_1": 1.0,
                              "mrr_at_1": 1.0})
    unmasked = ranking.evaluate_ranking((np.zeros(0, int), np.zeros(0, int)), heldout,
                                        score_fn=score_fn, num_users=num_users,
                                        num_items=num_items, ks=[1, 3], metrics=["mrr"])
    self.assertEqual(unmasked, {"mrr_at_1": 0.0, "mrr_at_3": 1 / 3})

  def test_score_fn_equals_embeddings_and_prefix_and_pairs_array(self):
    users, items, train, heldout = _data(2)
    by_embeddings = ranking.evaluate_ranking(train, heldout, user_embeddings=users,
                                             item_embeddings=items, ks=[10], prefix="test_")
    score_fn = lambda u, i: tf.matmul(tf.gather(users, u), tf.gather(items, i),
                                      transpose_b=True)
    by_fn = ranking.evaluate_ranking(np.stack(train, 1), np.stack(heldout, 1),
                                     score_fn=score_fn, num_users=NUM_USERS,
                                     num_items=NUM_ITEMS, ks=10, prefix="test_",
                                     item_batch_size=8)
    self.assertEqual(sorted(by_fn), ["test_hit_rate_at_10", "test_mrr_at_10",
                                     "test_ndcg_at_10", "test_recall_at_10"])
    for key in by_fn:
      self.assertAllClose(by_fn[key], by_embeddings[key], atol=1e-12)

  @parameterized.expand([
      ("ks", dict(ks=[0]), r"ks must be a positive int or a non-empty list of them, got \[0\]"),
      ("ks_empty", dict(ks=[]), r"ks must be a positive int or a non-empty list of them"),
      ("metrics", dict(metrics=["precision"]),
       r"metrics must be a non-empty list of names among \['recall', 'ndcg', 'hit_rate', "
       r"'mrr'\], got \['precision'\]"),
      ("user_batch", dict(user_batch_size=0), "user_batch_size must be a positive int, got 0"),
      ("item_batch", dict(item_batch_size=2.5), "item_batch_size must be a positive int, got 2.5"),
      ("both", dict(score_fn=lambda u, i: None), "give user_embeddings and item_embeddings, or "
       "score_fn"),
      ("one_side", dict(item_embeddings=None), "give both user_embeddings and item_embeddings"),
      ("width", dict(item_embeddings=np.zeros((NUM_ITEMS, 3), np.float32)),
       r"user_embeddings and item_embeddings must have the same width, got \(37, 4\) and "
       r"\(53, 3\)"),
      ("rank", dict(user_embeddings=np.zeros(NUM_USERS, np.float32)),
       r"user_embeddings must be a float matrix \[N, D\], got float32 of shape \(37,\)"),
      ("num_items", dict(num_items=7), "num_items=7 does not match the embeddings' 53 rows"),
      ("user_range", dict(heldout=([0, NUM_USERS], [1, 2])),
       r"heldout: users\[1\] = 37 is not in \[0, 37\) \(dense indices"),
      ("item_range", dict(train=([0, 1], [-1, 2])), r"train: items\[0\] = -1 is not in \[0, 53\)"),
      ("shape", dict(train=np.zeros((4, 3), np.int64)),
       r"train must be a \(users, items\) pair of int arrays or an int array \[n, 2\], got "
       r"ndarray of shape \(4, 3\)"),
      ("lengths", dict(train=([0, 1], [1])), "train: users and items must be 1-D arrays of one "
       "length"),
      ("float_ids", dict(train=([0.5], [1])), "train: users must be int dense indices, got dtype "
       "float64"),
      ("no_heldout", dict(heldout=([0], [1]), train=([0], [1])), "no user has held-out items"),
      ("prefix", dict(prefix=None), "prefix must be a string, got None"),
  ])
  def test_bad_arguments(self, _, kwargs, message):
    users, items, train, heldout = _data()
    args = dict(train=train, heldout=heldout, user_embeddings=users, item_embeddings=items)
    args.update(kwargs)
    with self.assertRaisesRegex(ValueError, message):
      ranking.evaluate_ranking(**args)

  def test_bad_scores(self):
    _, _, train, heldout = _data()
    common = dict(num_users=NUM_USERS, num_items=NUM_ITEMS)
    with self.assertRaisesRegex(ValueError, r"score_fn must return float scores of shape "
                                r"\[\d+, 53\] \(users x items\), got float32 of shape \(3,\)"):
      ranking.evaluate_ranking(train, heldout, score_fn=lambda u, i: tf.zeros([3]), **common)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                "score_fn returned a NaN or infinite score"):
      ranking.evaluate_ranking(train, heldout, **common, score_fn=lambda u, i: tf.fill(
          [tf.shape(u)[0], tf.shape(i)[0]], np.nan))
    with self.assertRaisesRegex(ValueError, "num_users must be a positive int, got None"):
      ranking.evaluate_ranking(train, heldout, score_fn=lambda u, i: None)
    users, items, _, _ = _data()
    users[3, 1] = np.inf
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                "user_embeddings hold a NaN or infinite value"):
      ranking.evaluate_ranking(train, heldout, user_embeddings=users, item_embeddings=items)


class _DotModel(tf.keras.Model):
  """User and item embeddings scored by dot product."""

  def __init__(self, users, items):
    super().__init__()
    self.users = tf.keras.layers.Embedding(
        users.shape[0], users.shape[1], embeddings_initializer=tf.constant_initializer(users))
    self.items = tf.keras.layers.Embedding(
        items.shape[0], items.shape[1], embeddings_initializer=tf.constant_initializer(items))

  def call(self, pairs):
    return tf.reduce_sum(self.users(pairs[:, 0]) * self.items(pairs[:, 1]), axis=-1)

  def embed_users(self):
    return self.users.embeddings

  def embed_items(self):
    return self.items.embeddings


class RankingEvaluationTest(tf.test.TestCase):

  def _fit(self, callbacks, epochs=6):
    users, items, train, _ = _data()
    model = _DotModel(users, items)
    model.compile(optimizer=tf.keras.optimizers.SGD(0.0), loss="mse")
    pairs = np.stack(train, 1)
    return model, model.fit(pairs, np.ones(len(pairs), np.float32), batch_size=100,
                            epochs=epochs, verbose=0, callbacks=callbacks)

  def test_logs_drive_early_stopping(self):
    users, items, train, heldout = _data()
    evaluation = ranking.RankingEvaluation(train, heldout, ks=[5, 10])
    # The learning rate is 0: the metric never improves, so patience 2 stops after epoch 3.
    stop = tf.keras.callbacks.EarlyStopping("val_recall_at_10", mode="max", patience=2)
    _, history = self._fit([evaluation, stop])
    self.assertLen(history.history["loss"], 3)
    expected = ranking.evaluate_ranking(train, heldout, user_embeddings=users,
                                        item_embeddings=items, ks=[5, 10], prefix="val_")
    for key, value in expected.items():
      self.assertAllClose(history.history[key], [value] * 3)
    self.assertLen(evaluation.history, 3)
    self.assertEqual(stop.stopped_epoch, 2)
    # Without the callback the monitored metric is missing and nothing stops.
    _, history = self._fit([tf.keras.callbacks.EarlyStopping("val_recall_at_10", mode="max",
                                                             patience=2)])
    self.assertLen(history.history["loss"], 6)

  def test_best_checkpoint_and_custom_embed(self):
    users, items, train, heldout = _data()
    path = self.get_temp_dir() + "/best.weights.h5"
    calls = []

    def embed(model):
      calls.append(1)
      return model.embed_users(), model.embed_items()
    evaluation = ranking.RankingEvaluation(train, heldout, ks=20, metrics=["ndcg"], embed=embed)
    checkpoint = tf.keras.callbacks.ModelCheckpoint(path, monitor="val_ndcg_at_20", mode="max",
                                                    save_best_only=True, save_weights_only=True)
    _, history = self._fit([evaluation, checkpoint], epochs=2)
    self.assertEqual(sorted(k for k in history.history if k.startswith("val_")),
                     ["val_ndcg_at_20"])
    self.assertLen(calls, 2)
    self.assertTrue(tf.io.gfile.exists(path))

  def test_bad_arguments(self):
    _, _, train, heldout = _data()
    with self.assertRaisesRegex(ValueError, "embed must be a callable model -> "
                                r"\(user_embeddings, item_embeddings\), got 3"):
      ranking.RankingEvaluation(train, heldout, embed=3)
    with self.assertRaisesRegex(ValueError, "ks must be a positive int"):
      ranking.RankingEvaluation(train, heldout, ks="20")
    no_embed = tf.keras.Sequential([tf.keras.layers.Dense(1)])
    evaluation = ranking.RankingEvaluation(train, heldout)
    evaluation.set_model(no_embed)
    with self.assertRaisesRegex(ValueError, r"Sequential has no embed_users\(\)/embed_items\(\): "
                                "pass RankingEvaluation\\(embed="):
      evaluation.evaluate()
    evaluation = ranking.RankingEvaluation(train, heldout, embed=lambda m: 1)
    evaluation.set_model(no_embed)
    with self.assertRaisesRegex(ValueError, r"embed must return \(user_embeddings, "
                                r"item_embeddings\), got int"):
      evaluation.evaluate()


if __name__ == "__main__":
  tf.test.main()


# ------------------------------------------------------- knowledge-graph triples

NUM_ENTITIES, NUM_RELATIONS = 23, 3


class _TrilinearScorer:
  """score(h, r, t) = sum(E[h] * R[r] * E[t]) with small integers: exact scores, many ties."""

  def __init__(self, seed=0):
    rng = np.random.default_rng(seed)
    self.num_entities, self.num_relations = NUM_ENTITIES, NUM_RELATIONS
    self.entities = rng.integers(-1, 2, size=(NUM_ENTITIES, 3)).astype(np.float32)
    self.relations = rng.integers(-1, 2, size=(NUM_RELATIONS, 3)).astype(np.float32)
    self.calls = []

  def score_tails(self, head, relation, entities):
    self.calls.append(("tail", len(head), len(entities)))
    query = self.entities[head.numpy()] * self.relations[relation.numpy()]
    return tf.constant(query @ self.entities[entities.numpy()].T)

  def score_heads(self, relation, tail, entities):
    self.calls.append(("head", len(tail), len(entities)))
    query = self.relations[relation.numpy()] * self.entities[tail.numpy()]
    return tf.constant(query @ self.entities[entities.numpy()].T)


def _kg(seed=0):
  rng = np.random.default_rng(seed)
  triples = np.unique(np.stack([rng.integers(0, NUM_ENTITIES, 200),
                                rng.integers(0, NUM_RELATIONS, 200),
                                rng.integers(0, NUM_ENTITIES, 200)], axis=1), axis=0)
  order = rng.permutation(len(triples))
  return triples[order[:150]], triples[order[150:]]  # known (train + valid), test


def _triples_reference(scorer, test, known, ks, sides=("head", "tail")):
  """Brute force: each triple and side, every entity scored, other known triples (and the
  other test triples) left out; known None: raw, nothing left out but the target."""
  known = set() if known is None else {tuple(t) for t in known} | {tuple(t) for t in test}
  ranks = []
  for side in sides:
    for h, r, t in test:
      if side == "tail":
        scores = (scorer.entities[h] * scorer.relations[r]) @ scorer.entities.T
        target, candidates = t, [(h, r, e) for e in range(NUM_ENTITIES)]
      else:
        scores = (scorer.relations[r] * scorer.entities[t]) @ scorer.entities.T
        target, candidates = h, [(e, r, t) for e in range(NUM_ENTITIES)]
      others = [e for e in range(NUM_ENTITIES) if e != target and candidates[e] not in known]
      better = sum(scores[e] > scores[target] for e in others)
      equal = sum(scores[e] == scores[target] for e in others)
      ranks.append(1 + better + equal / 2)
  ranks = np.array(ranks)
  return {"mrr": np.mean(1 / ranks), "mean_rank": np.mean(ranks),
          **{f"hits_at_{k}": np.mean(ranks <= k) for k in ks}}


class EvaluateTriplesTest(tf.test.TestCase):

  @parameterized.expand([("one_batch", 1000, 1000), ("small_batches", 4, 5), ("uneven", 7, 22)])
  def test_matches_the_brute_force_reference(self, _, batch_size, entity_batch_size):
    scorer = _TrilinearScorer()
    known, test = _kg()
    actual = ranking.evaluate_triples(scorer, test, filter_triples=known, ks=[1, 3, 10],
                                      batch_size=batch_size, entity_batch_size=entity_batch_size)
    expected = _triples_reference(scorer, test, known, [1, 3, 10])
    self.assertEqual(sorted(actual), sorted(expected))
    for key, value in expected.items():
      self.assertAllClose(actual[key], value, msg=key)
    self.assertTrue(all(c[2] <= entity_batch_size for c in scorer.calls))

  def test_sides_raw_ranking_and_prefix(self):
    scorer = _TrilinearScorer(seed=1)
    known, test = _kg(seed=1)
    tails = ranking.evaluate_triples(scorer, test, filter_triples=known, sides=["tail"], ks=2,
                                     prefix="test_")
    self.assertAllClose(tails["test_mrr"],
                        _triples_reference(scorer, test, known, [2], sides=["tail"])["mrr"])
    self.assertEqual(sorted(tails), ["test_hits_at_2", "test_mean_rank", "test_mrr"])
    # Raw: nothing but the target itself is left out, so ranks can only grow.
    raw = ranking.evaluate_triples(scorer, test, ks=[1, 3, 10])
    filtered = ranking.evaluate_triples(scorer, test, filter_triples=known, ks=[1, 3, 10])
    self.assertAllClose(raw, _triples_reference(scorer, test, None, [1, 3, 10]))
    self.assertGreater(raw["mean_rank"], filtered["mean_rank"])
    # The evaluated triples are known to each other even without them in filter_triples.
    self.assertAllClose(filtered, ranking.evaluate_triples(
        scorer, test, filter_triples=np.concatenate([known, test]), ks=[1, 3, 10]))

  def test_constant_scores_rank_like_a_random_guess(self):
    class Constant(_TrilinearScorer):
      def score_tails(self, head, relation, entities):
        return tf.zeros([len(head), len(entities)])
      score_heads = score_tails
    _, test = _kg()
    metrics = ranking.evaluate_triples(Constant(), test)
    self.assertAllClose(metrics["mean_rank"], (NUM_ENTITIES + 1) / 2)
    self.assertEqual(metrics["hits_at_1"], 0.0)

  def test_bad_arguments(self):
    scorer = _TrilinearScorer()
    known, test = _kg()
    for kwargs, message in [
        (dict(model=object()), r"model must have score_heads\(relation, tail, entities\) and "
         r"score_tails\(head, relation, entities\), .*; object has no score_heads"),
        (dict(triples=test[:0]), "triples must not be empty"),
        (dict(triples=test[:, :2]), r"triples must be an int array \[n, 3\]"),
        (dict(triples=[[0, 3, 1]]), r"triples\[0\] has relation 3, which is not in \[0, 3\)"),
        (dict(filter_triples=[[0, 0, 23]]), r"filter_triples\[0\] has tail 23, which is not in "
         r"\[0, 23\)"),
        (dict(sides="tail"), r"sides must be a non-empty list of \['head', 'tail'\], got 'tail'"),
        (dict(sides=["left"]), "sides must be a non-empty list"),
        (dict(ks=0), "ks must be a positive int or a non-empty list of them, got 0"),
        (dict(batch_size=0), "batch_size must be a positive int, got 0"),
        (dict(entity_batch_size=None), "entity_batch_size must be a positive int, got None"),
        (dict(prefix=1), "prefix must be a string, got 1")]:
      args = dict(model=scorer, triples=test, filter_triples=known)
      args.update(kwargs)
      with self.assertRaisesRegex(ValueError, message):
        ranking.evaluate_triples(args.pop("model"), args.pop("triples"), **args)
    scorer.num_entities = 0
    with self.assertRaisesRegex(ValueError, "model.num_entities must be a positive int, got 0"):
      ranking.evaluate_triples(scorer, test)

  def test_bad_scores(self):
    _, test = _kg()

    class WrongShape(_TrilinearScorer):
      def score_tails(self, head, relation, entities):
        return tf.zeros([len(entities)])

    class NotFinite(_TrilinearScorer):
      def score_heads(self, relation, tail, entities):
        return tf.fill([len(tail), len(entities)], np.nan)
    with self.assertRaisesRegex(ValueError, r"model.score_tails must return float scores of "
                                r"shape \[\d+, 23\] \(queries x entities\), got float32 of "
                                r"shape \(23,\)"):
      ranking.evaluate_triples(WrongShape(), test, sides=["tail"])
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                "model.score_heads returned a NaN or infinite score"):
      ranking.evaluate_triples(NotFinite(), test)
