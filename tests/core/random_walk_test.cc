// Unit tests of the random walker (custom_ops/core/random_walk.h): walks follow
// edges, end at nodes without out-neighbors, node2vec's second-order
// transition probabilities, meta-path walks, determinism under any sharding,
// and every input error.
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "custom_ops/core/csr_graph.h"
#include "custom_ops/core/executor.h"
#include "custom_ops/core/random_walk.h"
#include "custom_ops/core/sampling_index.h"
#include "custom_ops/core/sampling_random.h"
#include "tests/core/test_util.h"

namespace {

using ::tfgle::CsrGraph;
using ::tfgle::RandomWalkOptions;
using ::tfgle::SamplingIndex;
using ::tfgle::Status;
using ::tfgle::WalkTable;

constexpr auto kInvalid = Status::Code::kInvalidArgument;

// A CSR of `n_src` x `n_dst` nodes with the given edges (undirected: both ways).
CsrGraph Build(const std::vector<std::pair<int64_t, int64_t>>& edges, int64_t n_src,
               int64_t n_dst, bool undirected = false) {
  std::vector<int64_t> src, dst;
  for (const auto& [s, d] : edges) {
    src.push_back(s);
    dst.push_back(d);
  }
  ::tfgle::EdgeList list;
  list.src = src.data();
  list.dst = dst.data();
  list.num_edges = static_cast<int64_t>(src.size());
  list.num_src = n_src;
  list.num_dst = n_dst;
  list.symmetric = undirected;
  CsrGraph g;
  CHECK_OK(CsrGraph::Build(list, ::tfgle::NeighborOrder::kInput, ::tfgle::SerialExecutor(), &g));
  return g;
}

// A graph with every kind of second step: 0-1-2 triangle, 1-3, 1-4, 2-4,
// 3-4, 4-5, 5-6 (undirected).
CsrGraph SmallGraph() {
  return Build({{0, 1}, {0, 2}, {1, 2}, {1, 3}, {1, 4}, {2, 4}, {3, 4}, {4, 5}, {5, 6}}, 7, 7,
               /*undirected=*/true);
}

bool HasEdge(const CsrGraph& g, int64_t s, int64_t d) {
  for (int64_t p = g.indptr[s]; p < g.indptr[s + 1]; ++p) {
    if (g.indices[p] == d) return true;
  }
  return false;
}

Status Walk(const std::vector<WalkTable>& tables, const RandomWalkOptions& options,
            const std::vector<int64_t>& starts, std::vector<int64_t>* walks, int64_t seed = 1,
            const ::tfgle::Executor& executor = ::tfgle::SerialExecutor()) {
  walks->assign(starts.size() * static_cast<size_t>(std::max<int64_t>(options.length + 1, 0)),
                -7);
  return ::tfgle::SampleRandomWalks(tables, options, starts.data(),
                                    static_cast<int64_t>(starts.size()),
                                    ::tfgle::MakePhilox(seed, 0, 0x40), executor, walks->data());
}

RandomWalkOptions Options(int64_t length, double p = 1, double q = 1) {
  RandomWalkOptions options;
  options.length = length;
  options.p = p;
  options.q = q;
  return options;
}

void TestWalksFollowEdges() {
  CsrGraph g = SmallGraph();
  SamplingIndex index(&g);
  for (double p : {1.0, 0.25}) {
    const double q = p == 1.0 ? 1.0 : 4.0;
    std::vector<int64_t> starts = {0, 1, 2, 3, 4, 5, 6, 6, 0};
    std::vector<int64_t> walks;
    EXPECT_OK(Walk({{&g, &index}}, Options(10, p, q), starts, &walks));
    for (size_t w = 0; w < starts.size(); ++w) {
      EXPECT_EQ(walks[w * 11], starts[w]);
      for (int s = 1; s <= 10; ++s) {
        EXPECT_TRUE(HasEdge(g, walks[w * 11 + s - 1], walks[w * 11 + s]));
      }
    }
  }
}

void TestDeadEndsPad() {
  // 0 -> 1 -> 2, and 3 has no out-edges (directed).
  CsrGraph g = Build({{0, 1}, {1, 2}}, 4, 4);
  SamplingIndex index(&g);
  std::vector<int64_t> walks;
  for (double q : {1.0, 2.0}) {
    EXPECT_OK(Walk({{&g, &index}}, Options(4, 1.0, q), {0, 3, 1}, &walks));
    EXPECT_EQ(walks, std::vector<int64_t>({0, 1, 2, -1, -1, 3, -1, -1, -1, -1, 1, 2, -1, -1, -1}));
  }
  // No starts: nothing to do, not an error.
  EXPECT_OK(Walk({{&g, &index}}, Options(4), {}, &walks));
}

// Pooled chi-square of the second-order transitions (t, v) -> x of walks with
// (p, q) against node2vec's exact probabilities ∝ alpha(t, x); checks the
// statistic against a loose bound for its degrees of freedom.
void CheckNode2VecTransitions(double p, double q) {
  CsrGraph g = SmallGraph();
  SamplingIndex index(&g);
  std::vector<int64_t> starts;
  for (int r = 0; r < 3000; ++r) {
    for (int64_t v = 0; v < 7; ++v) starts.push_back(v);
  }
  const int64_t length = 8;
  std::vector<int64_t> walks;
  EXPECT_OK(Walk({{&g, &index}}, Options(length, p, q), starts, &walks, 5,
                 tfgle_test::ThreadExecutor(3)));
  std::map<std::pair<int64_t, int64_t>, std::map<int64_t, int64_t>> counts;
  for (size_t w = 0; w < starts.size(); ++w) {
    const int64_t* row = walks.data() + w * (length + 1);
    for (int s = 2; s <= length; ++s) ++counts[{row[s - 2], row[s - 1]}][row[s]];
  }
  double chi2 = 0;
  int df = 0;
  for (const auto& [tv, observed] : counts) {
    const auto [t, v] = tv;
    std::vector<double> alpha;
    std::vector<int64_t> xs;
    double total_alpha = 0;
    int64_t total = 0;
    for (int64_t e = g.indptr[v]; e < g.indptr[v + 1]; ++e) {
      const int64_t x = g.indices[e];
      const double a = x == t ? 1 / p : HasEdge(g, t, x) ? 1.0 : 1 / q;
      xs.push_back(x);
      alpha.push_back(a);
      total_alpha += a;
    }
    for (const auto& [x, c] : observed) {
      EXPECT_TRUE(HasEdge(g, v, x));
      total += c;
    }
    for (size_t i = 0; i < xs.size(); ++i) {
      const double expected = total * alpha[i] / total_alpha;
      const auto it = observed.find(xs[i]);
      const double o = it == observed.end() ? 0 : it->second;
      chi2 += (o - expected) * (o - expected) / expected;
    }
    df += static_cast<int>(xs.size()) - 1;
  }
  EXPECT_LT(df, 40);
  EXPECT_LT(chi2, df + 6.0 * std::sqrt(2.0 * df) + 10);
}

void TestNode2VecTransitions() {
  CheckNode2VecTransitions(0.25, 4.0);
  CheckNode2VecTransitions(4.0, 0.25);
  CheckNode2VecTransitions(1.0, 1.0);
}

// The bias must matter: returns to the previous node are about 0.79 of the
// second steps from node 4 at p = 0.25, q = 4; 0.40 at p = q = 1; 0.09 at
// p = 4, q = 0.25.
void TestBiasChangesReturns() {
  CsrGraph g = SmallGraph();
  SamplingIndex index(&g);
  std::vector<int64_t> starts(2000, 4);
  auto returns = [&](double p, double q) {
    std::vector<int64_t> walks;
    CHECK_OK(Walk({{&g, &index}}, Options(2, p, q), starts, &walks));
    int count = 0;
    for (size_t w = 0; w < starts.size(); ++w) count += walks[w * 3 + 2] == walks[w * 3];
    return count;
  };
  const int uniform = returns(1, 1);
  EXPECT_LT(3 * uniform, 2 * returns(0.25, 4));
  EXPECT_LT(3 * returns(4, 0.25), uniform);
}

void TestDeterministicAcrossSharding() {
  std::vector<std::pair<int64_t, int64_t>> edges;
  ::tfgle::Philox philox(3, 0);
  ::tfgle::RowRandom rng(philox, 0);
  for (int i = 0; i < 3000; ++i) {
    edges.push_back({static_cast<int64_t>(rng.Uniform(300)),
                     static_cast<int64_t>(rng.Uniform(300))});
  }
  CsrGraph g = Build(edges, 300, 300, /*undirected=*/true);
  SamplingIndex index(&g);
  std::vector<int64_t> starts;
  for (int64_t i = 0; i < 1000; ++i) starts.push_back(i % 300);
  for (double p : {1.0, 0.5}) {
    std::vector<int64_t> serial, threaded, other_seed;
    EXPECT_OK(Walk({{&g, &index}}, Options(20, p, 2.0 / p), starts, &serial, 9));
    EXPECT_OK(Walk({{&g, &index}}, Options(20, p, 2.0 / p), starts, &threaded, 9,
                   tfgle_test::ThreadExecutor(4)));
    EXPECT_OK(Walk({{&g, &index}}, Options(20, p, 2.0 / p), starts, &other_seed, 10));
    EXPECT_TRUE(serial == threaded);
    EXPECT_TRUE(serial != other_seed);
    // A walk depends on its own row only: the first 17 walks alone are the same.
    std::vector<int64_t> prefix;
    EXPECT_OK(Walk({{&g, &index}}, Options(20, p, 2.0 / p),
                   std::vector<int64_t>(starts.begin(), starts.begin() + 17), &prefix, 9));
    EXPECT_TRUE(std::vector<int64_t>(serial.begin(), serial.begin() + 17 * 21) == prefix);
  }
}

void TestMetaPathWalks() {
  // Users 0..2 buy items 0..1; tables: buys (3 users -> 2 items), bought_by (2 -> 3).
  CsrGraph buys = Build({{0, 0}, {1, 0}, {1, 1}, {2, 1}}, 3, 2);
  CsrGraph bought_by = Build({{0, 0}, {0, 1}, {1, 1}, {1, 2}}, 2, 3);
  SamplingIndex buys_index(&buys), bought_by_index(&bought_by);
  std::vector<int64_t> walks;
  EXPECT_OK(Walk({{&buys, &buys_index}, {&bought_by, &bought_by_index}}, Options(6),
                 {0, 1, 2}, &walks));
  for (int w = 0; w < 3; ++w) {
    for (int s = 1; s <= 6; ++s) {
      const CsrGraph& g = s % 2 == 1 ? buys : bought_by;
      EXPECT_TRUE(HasEdge(g, walks[w * 7 + s - 1], walks[w * 7 + s]));
    }
  }
  // A walk of one step never needs the chain.
  CsrGraph other = Build({{0, 0}}, 5, 1);
  SamplingIndex other_index(&other);
  EXPECT_OK(Walk({{&buys, &buys_index}, {&other, &other_index}}, Options(1), {0}, &walks));
  EXPECT_ERROR(Walk({{&buys, &buys_index}, {&other, &other_index}}, Options(2), {0}, &walks),
               kInvalid, "do not chain: step 1 follows tables[0] to its 2 destination nodes, "
               "but step 2 follows tables[1], which has 5 source nodes");
  // One table between two node types walks one step only.
  EXPECT_OK(Walk({{&buys, &buys_index}}, Options(1), {2}, &walks));
  EXPECT_ERROR(Walk({{&buys, &buys_index}}, Options(3), {2}, &walks), kInvalid,
               "do not chain");
  EXPECT_ERROR(Walk({{&buys, &buys_index}, {&bought_by, &bought_by_index}}, Options(4, 0.5),
                    {0}, &walks),
               kInvalid, "needs a single table");
}

void TestBadInputs() {
  CsrGraph g = SmallGraph();
  SamplingIndex index(&g);
  std::vector<int64_t> walks;
  EXPECT_ERROR(Walk({{&g, &index}}, Options(0), {0}, &walks), kInvalid,
               "length must be in [1, ");
  EXPECT_ERROR(Walk({{&g, &index}}, Options(-3), {0}, &walks), kInvalid, "got -3");
  EXPECT_ERROR(Walk({{&g, &index}}, Options(2, 0.0), {0}, &walks), kInvalid,
               "p must be a finite number > 0, got 0");
  EXPECT_ERROR(Walk({{&g, &index}}, Options(2, 1, -1), {0}, &walks), kInvalid,
               "q must be a finite number > 0, got -1");
  EXPECT_ERROR(Walk({{&g, &index}}, Options(2, std::nan(""), 1), {0}, &walks), kInvalid,
               "p must be a finite number > 0");
  EXPECT_ERROR(Walk({{&g, &index}}, Options(2, 1, INFINITY), {0}, &walks), kInvalid,
               "q must be a finite number > 0, got inf");
  EXPECT_ERROR(Walk({{&g, &index}}, Options(2, 1e-3, 100), {0}, &walks), kInvalid,
               "more than the 10000 rejection sampling allows");
  EXPECT_OK(Walk({{&g, &index}}, Options(2, 0.01, 100), {0}, &walks));
  EXPECT_ERROR(Walk({{&g, &index}}, Options(2), {0, 7}, &walks), kInvalid,
               "starts[1] = 7 is not in [0, 7)");
  EXPECT_ERROR(Walk({{&g, &index}}, Options(2), {-1}, &walks), kInvalid,
               "starts[0] = -1 is not in [0, 7)");
  EXPECT_ERROR(Walk({}, Options(2), {0}, &walks), kInvalid, "at least one table");
  EXPECT_ERROR(Walk({{&g, nullptr}}, Options(2), {0}, &walks), kInvalid,
               "tables[0] is missing");
  // Output size overflow: checked before anything is read or written.
  const int64_t start = 0;
  EXPECT_ERROR(::tfgle::SampleRandomWalks({{&g, &index}}, Options(1 << 20), &start,
                                          int64_t{1} << 30, ::tfgle::MakePhilox(1, 0, 0x40),
                                          ::tfgle::SerialExecutor(), nullptr),
               kInvalid, "starts x (length + 1)");
  EXPECT_ERROR(::tfgle::SampleRandomWalks({{&g, &index}}, Options(2), &start, -1,
                                          ::tfgle::MakePhilox(1, 0, 0x40),
                                          ::tfgle::SerialExecutor(), nullptr),
               kInvalid, "num_walks must be >= 0");
  EXPECT_ERROR(::tfgle::CheckWalkOptions(Options(int64_t{1} << 62), 1), kInvalid,
               "length must be in");
}

}  // namespace

int main() {
  RUN_TEST(TestWalksFollowEdges);
  RUN_TEST(TestDeadEndsPad);
  RUN_TEST(TestNode2VecTransitions);
  RUN_TEST(TestBiasChangesReturns);
  RUN_TEST(TestDeterministicAcrossSharding);
  RUN_TEST(TestMetaPathWalks);
  RUN_TEST(TestBadInputs);
  return tfgle_test::Finish();
}
