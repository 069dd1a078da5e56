"""Held-out ranking of link prediction against a popularity baseline."""
import collections

import numpy as np
import tensorflow as tf

import tfgle
from tfgle.training import ranking

_Ratings = collections.namedtuple("_Ratings", ["users", "items"])


def _graph():
  users = {"id": np.arange(3)}
  items = {"id": np.arange(10, 14)}
  rates = {"src_id": np.array([0, 1, 2, 2]), "dst_id": np.array([10, 10, 10, 11])}
  return (tfgle.Graph().node(users, node_type="user").node(items, node_type="item")
          .edge(rates, edge_type=("user", "item", "rates"), directed=False).build())


class RankingTest(tf.test.TestCase):

  def test_recommendation_ranks_the_unrated_items(self):
    graph = _graph()
    info = collections.namedtuple("Info", ["train", "test"])(
        train=_Ratings(np.array([0, 1, 2, 2]), np.array([10, 10, 10, 11])),
        test=_Ratings(np.array([0, 1]), np.array([13, 12])))
    users = np.eye(3, 4, dtype=np.float32)
    # Each user's test item scores highest among its unrated items (user 0: item 13 = index 3).
    items = np.zeros((4, 4), np.float32)
    items[3, 0] = items[2, 1] = 1.0
    result = ranking.evaluate_recommendation(graph, info, users, items, k=1)
    self.assertEqual(result["test_users"], 2)
    self.assertAllClose(result["recall_at_1"], 1.0)
    self.assertAllClose(result["ndcg_at_1"], 1.0)
    # Popularity (item 11 rated once, 12 and 13 never) puts item 11 first for both.
    self.assertAllClose(result["popularity_recall_at_1"], 0.0)
    self.assertTrue(np.isnan(result["recall_lift"]))  # no popularity recall to lift

  def test_link_prediction_against_random_destinations(self):
    graph = _graph()
    edge_type = graph.edge_type("rates")
    src = np.eye(3, 2, dtype=np.float32)
    dst = np.array([[0, 0], [0, 0], [1, 0], [0, 1]], np.float32)
    test_edges = np.array([[0, 12], [1, 13]])
    result = ranking.evaluate_link_prediction(graph, edge_type, test_edges, src, dst, k=1,
                                              num_negatives=20, seed=0)
    self.assertEqual(result["test_edges"], 2)
    self.assertGreater(result["auc"], 0.7)
    self.assertGreater(result["mrr"], result["popularity_mrr"])
    with self.assertRaisesRegex(ValueError, "there are no held-out test edges"):
      ranking.evaluate_link_prediction(graph, edge_type, np.zeros((0, 2), np.int64), src, dst,
                                       k=1, num_negatives=2, seed=0)


if __name__ == "__main__":
  tf.test.main()
