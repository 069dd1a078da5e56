// Unit tests of the TensorFlow-independent samplers: alias tables, node
// distributions, neighbor and negative sampling (built by tests/core's runner
// with g++; see test_util.h).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "custom_ops/core/alias_table.h"
#include "custom_ops/core/csr_graph.h"
#include "custom_ops/core/executor.h"
#include "custom_ops/core/negative_sampler.h"
#include "custom_ops/core/neighbor_sampler.h"
#include "custom_ops/core/node_distribution.h"
#include "custom_ops/core/sampling_index.h"
#include "custom_ops/core/sampling_random.h"
#include "tests/core/test_util.h"

namespace {

using ::tfgle::CsrGraph;
using ::tfgle::Executor;
using ::tfgle::NeighborStrategy;
using ::tfgle::Philox;

constexpr auto kInvalid = ::tfgle::Status::Code::kInvalidArgument;

// Chi-square statistic of observed counts against expected probabilities.
double ChiSquare(const std::vector<int64_t>& counts, const std::vector<double>& p) {
  int64_t total = 0;
  for (int64_t c : counts) total += c;
  double chi2 = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    const double expected = p[i] * total;
    if (expected > 0) chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
  }
  return chi2;
}

// A loose upper bound for a chi-square with `df` degrees of freedom (about
// 6 standard deviations): fixed seeds make these tests deterministic anyway.
double ChiSquareBound(int df) { return df + 6.0 * std::sqrt(2.0 * df) + 10; }

// An executor that splits work into small shards and runs them backwards,
// to show results do not depend on sharding.
Executor BackwardsExecutor() {
  Executor executor;
  executor.num_threads = 4;
  executor.parallel_for = [](int64_t n, int64_t,
                             const std::function<void(int64_t, int64_t)>& fn) {
    const int64_t shard = 3;
    for (int64_t begin = (n - 1) / shard * shard; begin >= 0; begin -= shard) {
      fn(begin, std::min(n, begin + shard));
    }
  };
  return executor;
}

CsrGraph Build(const std::vector<int64_t>& src, const std::vector<int64_t>& dst, int64_t n,
               const std::vector<float>& weights = {},
               const std::vector<int64_t>& timestamps = {},
               ::tfgle::NeighborOrder order = ::tfgle::NeighborOrder::kInput) {
  ::tfgle::EdgeList edges;
  edges.src = src.data();
  edges.dst = dst.data();
  edges.num_edges = static_cast<int64_t>(src.size());
  edges.weights = weights.empty() ? nullptr : weights.data();
  edges.timestamps = timestamps.empty() ? nullptr : timestamps.data();
  edges.num_src = n;
  edges.num_dst = n;
  CsrGraph g;
  CHECK_OK(CsrGraph::Build(edges, order, ::tfgle::SerialExecutor(), &g));
  return g;
}

::tfgle::NeighborSamplerOptions Options(NeighborStrategy strategy, int64_t fanout) {
  ::tfgle::NeighborSamplerOptions options;
  options.strategy = strategy;
  options.fanout = fanout;
  return options;
}

// A request (NeighborRequest, FullNeighborRequest) for every id of `ids`.
template <typename Request>
Request RequestFor(const std::vector<int64_t>& ids) {
  Request request;
  request.ids = ids.data();
  request.num_rows = static_cast<int64_t>(ids.size());
  return request;
}

struct Sampled {
  std::vector<int64_t> neighbors, edge_ids;
  std::vector<bool> mask;
};

// A graph with its sampling index (which points into it, so neither moves),
// and the samplers over them with vectors in and out.
struct IndexedGraph {
  explicit IndexedGraph(CsrGraph g) : graph(std::move(g)) {}
  IndexedGraph(const IndexedGraph&) = delete;
  IndexedGraph& operator=(const IndexedGraph&) = delete;

  ::tfgle::Status Sample(const ::tfgle::NeighborSamplerOptions& options,
                         const std::vector<int64_t>& ids, Sampled* out, uint64_t seed = 1,
                         const std::vector<int64_t>& before = {},
                         const Executor& executor = ::tfgle::SerialExecutor()) {
    const size_t n = ids.size() * static_cast<size_t>(std::max<int64_t>(options.fanout, 0));
    out->neighbors.assign(n, -7);
    out->edge_ids.assign(n, -7);
    std::unique_ptr<bool[]> mask(new bool[n + 1]());
    auto request = RequestFor<::tfgle::NeighborRequest>(ids);
    request.before = before.empty() ? nullptr : before.data();
    ::tfgle::NeighborOutput output;
    output.neighbors = out->neighbors.data();
    output.edge_ids = out->edge_ids.data();
    output.mask = mask.get();
    const ::tfgle::Status status = ::tfgle::SampleNeighbors(
        graph, &index, options, request, ::tfgle::MakePhilox(seed, 0, 0), executor, output);
    out->mask.assign(mask.get(), mask.get() + n);
    return status;
  }

  ::tfgle::Status Negatives(const ::tfgle::NegativeSamplerOptions& options,
                            const std::vector<int64_t>& ids, std::vector<int64_t>* out,
                            std::vector<bool>* mask, uint64_t seed = 1) {
    const size_t n = ids.size() * static_cast<size_t>(std::max<int64_t>(options.num, 0));
    out->assign(n, -7);
    std::unique_ptr<bool[]> m(new bool[n + 1]());
    const ::tfgle::Status status = ::tfgle::SampleNegatives(
        graph, &index, options, ids.data(), static_cast<int64_t>(ids.size()), "ids",
        ::tfgle::MakePhilox(seed, 0, 0x80), ::tfgle::SerialExecutor(), out->data(), m.get());
    mask->assign(m.get(), m.get() + n);
    return status;
  }

  CsrGraph graph;
  ::tfgle::SamplingIndex index{&graph};
};

// Node 0 -> 1..5 (weights 1..5), node 1 -> 0, node 2: none, node 3 -> 3 twice.
CsrGraph SmallGraph(::tfgle::NeighborOrder order = ::tfgle::NeighborOrder::kInput) {
  return Build({0, 0, 0, 0, 0, 1, 3, 3}, {1, 2, 3, 4, 5, 0, 3, 3}, 6,
               {1, 2, 3, 4, 5, 1, 1, 1}, {}, order);
}

// ------------------------------------------------------------------ tests

void TestUniformIndex() {
  Philox philox = ::tfgle::MakePhilox(3, 4, 0);
  ::tfgle::RowRandom rng(philox, 0);
  std::vector<int64_t> counts(7, 0);
  for (int i = 0; i < 70000; ++i) {
    const uint64_t x = ::tfgle::UniformIndex(&rng, 7);
    EXPECT_TRUE(x < 7);
    if (x < 7) ++counts[x];
  }
  EXPECT_TRUE(ChiSquare(counts, std::vector<double>(7, 1.0 / 7)) < ChiSquareBound(6));
  EXPECT_TRUE(::tfgle::UniformIndex(&rng, 1) == 0);
  const uint64_t big = (uint64_t{1} << 40) + 3;
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(::tfgle::UniformIndex(&rng, big) < big);
}

void TestSeedKeyDistinguishesBothWords() {
  EXPECT_TRUE(::tfgle::SeedKey(1, 0) != ::tfgle::SeedKey(0, 1));
  EXPECT_TRUE(::tfgle::SeedKey(1, 2) != ::tfgle::SeedKey(1, 3));
  EXPECT_TRUE(::tfgle::SeedKey(1, 2) == ::tfgle::SeedKey(1, 2));
}

void TestAliasTable() {
  const std::vector<double> weights = {1, 0, 3, 6, 0.5, 0};
  ::tfgle::AliasTable table;
  EXPECT_OK(::tfgle::AliasTable::Build(weights.data(), 6, &table));
  EXPECT_TRUE(table.total_weight() == 10.5);
  Philox philox = ::tfgle::MakePhilox(9, 9, 0);
  ::tfgle::RowRandom rng(philox, 0);
  std::vector<int64_t> counts(6, 0);
  for (int i = 0; i < 105000; ++i) {
    const int64_t x = table.Draw(&rng);
    EXPECT_TRUE(x >= 0 && x < 6);
    if (x >= 0 && x < 6) ++counts[x];
  }
  EXPECT_TRUE(counts[1] == 0 && counts[5] == 0);  // zero weights are never drawn
  std::vector<double> p;
  for (double w : weights) p.push_back(w / 10.5);
  EXPECT_TRUE(ChiSquare(counts, p) < ChiSquareBound(3));

  const std::vector<float> zeros = {0, 0};
  ::tfgle::AliasTable empty;
  EXPECT_OK(::tfgle::AliasTable::Build(zeros.data(), 2, &empty));
  EXPECT_TRUE(empty.empty() && empty.Draw(&rng) == -1);
  EXPECT_OK(::tfgle::AliasTable::Build(zeros.data(), 0, &empty));
  EXPECT_TRUE(empty.Draw(&rng) == -1);

  const std::vector<float> bad = {1, -2};
  EXPECT_ERROR(::tfgle::AliasTable::Build(bad.data(), 2, &empty), kInvalid, "weights[1] = -2");
  const std::vector<float> nan = {NAN};
  EXPECT_ERROR(::tfgle::AliasTable::Build(nan.data(), 1, &empty), kInvalid, "weights[0]");
}

// Subnormal weights are refused (weights.h): where denormals are flushed, as
// in TensorFlow's kernels, they would pass `>= 0` but never be drawn.
void TestSubnormalWeightsAreRefused() {
  const std::vector<float> tiny = {1.0f, 1e-40f, 1.0f};
  ::tfgle::AliasTable table;
  EXPECT_ERROR(::tfgle::AliasTable::Build(tiny.data(), 3, &table), kInvalid,
               "weights[1] = 1e-40 is subnormal; weights must be 0 or >= 1.17549435e-38");
  const std::vector<double> tiny_double = {1e-310};
  EXPECT_ERROR(::tfgle::AliasTable::Build(tiny_double.data(), 1, &table), kInvalid,
               "weights[0] = 1e-310 is subnormal; weights must be 0 or >= 2.2250738585072014e-308");
  const std::vector<float> negative_tiny = {-1e-40f};
  EXPECT_ERROR(::tfgle::AliasTable::Build(negative_tiny.data(), 1, &table), kInvalid,
               "weights[0] = -1e-40 is not a finite number >= 0");
  // The smallest normal weight, and -0, are valid, and a lone one is drawn.
  const std::vector<float> smallest = {0.0f, -0.0f, std::numeric_limits<float>::min()};
  EXPECT_OK(::tfgle::AliasTable::Build(smallest.data(), 3, &table));
  Philox philox = ::tfgle::MakePhilox(2, 2, 0);
  ::tfgle::RowRandom rng(philox, 0);
  EXPECT_EQ(table.Draw(&rng), 2);
  ::tfgle::NodeDistribution d;
  EXPECT_ERROR(::tfgle::NodeDistribution::Build(3, tiny.data(), nullptr, &d), kInvalid,
               "weights[1] = 1e-40 is subnormal");
}

void TestNodeDistributionGroups() {
  const std::vector<int64_t> categories = {5, 2, 5, 9, 2, 5};
  const std::vector<float> weights = {1, 1, 0, 1, 3, 2};
  ::tfgle::NodeDistribution d;
  EXPECT_OK(::tfgle::NodeDistribution::Build(6, weights.data(), categories.data(), &d));
  EXPECT_TRUE(d.FindGroup(7) == -1);
  Philox philox = ::tfgle::MakePhilox(1, 1, 0);
  ::tfgle::RowRandom rng(philox, 0);
  std::map<int64_t, int64_t> counts;
  const int64_t group = d.FindGroup(5);
  EXPECT_TRUE(group >= 0);
  for (int i = 0; i < 30000; ++i) ++counts[d.DrawFromGroup(&rng, group)];
  EXPECT_TRUE(counts.size() == 2 && counts.count(0) && counts.count(5));  // node 2 has weight 0
  EXPECT_TRUE(std::abs(counts[5] / 30000.0 - 2.0 / 3.0) < 0.02);
  const int64_t g2 = d.FindGroup(2);
  for (int i = 0; i < 100; ++i) {
    const int64_t x = d.DrawFromGroup(&rng, g2);
    EXPECT_TRUE(x == 1 || x == 4);
  }
  ::tfgle::NodeDistribution uniform;
  EXPECT_OK(::tfgle::NodeDistribution::Build<float>(4, nullptr, nullptr, &uniform));
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(uniform.Draw(&rng) >= 0 && uniform.Draw(&rng) < 4);
}

void TestRandomNeighbors() {
  IndexedGraph g(SmallGraph());
  Sampled s;
  EXPECT_OK(g.Sample(Options(NeighborStrategy::kRandom, 4), {0, 1, 2}, &s));
  for (int j = 0; j < 4; ++j) {
    EXPECT_TRUE(s.mask[j] && s.neighbors[j] >= 1 && s.neighbors[j] <= 5);
    EXPECT_TRUE(s.edge_ids[j] == s.neighbors[j] - 1);  // edge i is 0 -> i + 1
    EXPECT_TRUE(s.mask[4 + j] && s.neighbors[4 + j] == 0 && s.edge_ids[4 + j] == 5);
    EXPECT_TRUE(!s.mask[8 + j] && s.neighbors[8 + j] == -1 && s.edge_ids[8 + j] == -1);
  }
  // Uniform over the row.
  EXPECT_OK(g.Sample(Options(NeighborStrategy::kRandom, 50000), {0}, &s));
  std::vector<int64_t> counts(5, 0);
  for (int64_t x : s.neighbors) ++counts[x - 1];
  EXPECT_TRUE(ChiSquare(counts, std::vector<double>(5, 0.2)) < ChiSquareBound(4));
}

void TestDeterministicWhateverTheSharding() {
  IndexedGraph g(SmallGraph());
  std::vector<int64_t> ids;
  for (int i = 0; i < 100; ++i) ids.push_back(i % 4);
  for (auto strategy : {NeighborStrategy::kRandom, NeighborStrategy::kRandomWithoutReplacement,
                        NeighborStrategy::kEdgeWeight, NeighborStrategy::kInDegree}) {
    const auto options = Options(strategy, 3);
    Sampled a, b, c;
    EXPECT_OK(g.Sample(options, ids, &a, 5));
    EXPECT_OK(g.Sample(options, ids, &b, 5, {}, BackwardsExecutor()));
    EXPECT_OK(g.Sample(options, ids, &c, 6));
    EXPECT_TRUE(a.neighbors == b.neighbors && a.edge_ids == b.edge_ids && a.mask == b.mask);
    EXPECT_TRUE(a.edge_ids != c.edge_ids);
  }
}

void TestWithoutReplacement() {
  IndexedGraph g(SmallGraph());
  auto options = Options(NeighborStrategy::kRandomWithoutReplacement, 3);
  std::vector<int64_t> inclusion(6, 0);
  for (uint64_t seed = 0; seed < 3000; ++seed) {
    Sampled s;
    EXPECT_OK(g.Sample(options, {0}, &s, seed));
    std::set<int64_t> distinct(s.edge_ids.begin(), s.edge_ids.end());
    EXPECT_TRUE(distinct.size() == 3);
    for (int64_t x : s.neighbors) ++inclusion[x];
  }
  for (int v = 1; v <= 5; ++v) EXPECT_TRUE(std::abs(inclusion[v] / 3000.0 - 0.6) < 0.05);
  // Degree <= fanout: every edge once, in row order, then padding.
  options.fanout = 4;
  Sampled s;
  EXPECT_OK(g.Sample(options, {3}, &s));
  EXPECT_TRUE(s.edge_ids[0] == 6 && s.edge_ids[1] == 7 && s.mask[1] && !s.mask[2] &&
              !s.mask[3]);
  options.padding = ::tfgle::Padding::kCircular;
  EXPECT_OK(g.Sample(options, {3, 2}, &s));
  EXPECT_TRUE(s.edge_ids[2] == 6 && s.edge_ids[3] == 7 && s.neighbors[3] == 3 && !s.mask[3]);
  EXPECT_TRUE(s.neighbors[4] == -1 && !s.mask[4]);  // zero degree: default padding
  // Large fanouts use the hash set: still distinct.
  std::vector<int64_t> src(500, 0), dst(500);
  for (int i = 0; i < 500; ++i) dst[i] = i;
  IndexedGraph big(Build(src, dst, 500));
  options.fanout = 200;
  EXPECT_OK(big.Sample(options, {0}, &s));
  EXPECT_TRUE(std::set<int64_t>(s.neighbors.begin(), s.neighbors.end()).size() == 200);
}

void TestEdgeWeightAndInDegree() {
  IndexedGraph g(SmallGraph());
  Sampled s;
  EXPECT_OK(g.Sample(Options(NeighborStrategy::kEdgeWeight, 60000), {0}, &s));
  std::vector<int64_t> counts(5, 0);
  for (int64_t x : s.neighbors) ++counts[x - 1];
  EXPECT_TRUE(ChiSquare(counts, {1 / 15.0, 2 / 15.0, 3 / 15.0, 4 / 15.0, 5 / 15.0}) <
              ChiSquareBound(4));

  // In-degree: node 0 -> {1, 2}; 1 has in-degree 1, 2 has in-degree 3.
  IndexedGraph h(Build({0, 0, 3, 4}, {1, 2, 2, 2}, 5));
  EXPECT_OK(h.Sample(Options(NeighborStrategy::kInDegree, 40000), {0}, &s));
  std::vector<int64_t> in_counts(2, 0);
  for (int64_t x : s.neighbors) ++in_counts[x - 1];
  EXPECT_TRUE(ChiSquare(in_counts, {0.25, 0.75}) < ChiSquareBound(1));

  // A row whose weights are all 0 is padding; an unweighted graph is an error.
  IndexedGraph z(Build({0, 0}, {1, 1}, 2, {0, 0}));
  EXPECT_OK(z.Sample(Options(NeighborStrategy::kEdgeWeight, 2), {0}, &s));
  EXPECT_TRUE(!s.mask[0] && !s.mask[1] && s.neighbors[0] == -1);
  IndexedGraph u(Build({0}, {1}, 2));
  EXPECT_ERROR(u.Sample(Options(NeighborStrategy::kEdgeWeight, 2), {0}, &s), kInvalid,
               "needs an edge type with weights");
}

void TestTopK() {
  IndexedGraph g(SmallGraph(::tfgle::NeighborOrder::kWeightDescending));
  Sampled s;
  EXPECT_OK(g.Sample(Options(NeighborStrategy::kTopK, 3), {0, 1}, &s));
  EXPECT_TRUE(s.neighbors[0] == 5 && s.neighbors[1] == 4 && s.neighbors[2] == 3);
  EXPECT_TRUE(s.neighbors[3] == 0 && s.mask[3] && !s.mask[4] && s.neighbors[4] == -1);
}

void TestTemporalFilter() {
  // Node 0 -> 1, 2, 3, 4 at times 10, 40, 20, 30; rows by timestamp or not.
  for (auto order : {::tfgle::NeighborOrder::kTimestampDescending,
                     ::tfgle::NeighborOrder::kInput}) {
    IndexedGraph g(Build({0, 0, 0, 0}, {1, 2, 3, 4}, 5, {1, 1, 1, 1}, {10, 40, 20, 30}, order));
    for (auto strategy : {NeighborStrategy::kRandom, NeighborStrategy::kEdgeWeight,
                          NeighborStrategy::kInDegree}) {
      Sampled s;
      EXPECT_OK(g.Sample(Options(strategy, 200), {0, 0, 0}, &s, 1, {30, 11, 10}));
      std::set<int64_t> first(s.neighbors.begin(), s.neighbors.begin() + 200);
      EXPECT_TRUE((first == std::set<int64_t>{1, 3}));
      EXPECT_TRUE(std::all_of(s.neighbors.begin() + 200, s.neighbors.begin() + 400,
                              [](int64_t x) { return x == 1; }));
      EXPECT_TRUE(std::none_of(s.mask.begin() + 400, s.mask.end(), [](bool m) { return m; }));
    }
    Sampled s;
    EXPECT_OK(g.Sample(Options(NeighborStrategy::kRandomWithoutReplacement, 3), {0}, &s, 1,
                       {35}));
    EXPECT_TRUE((std::set<int64_t>(s.neighbors.begin(), s.neighbors.end()) ==
                 std::set<int64_t>{1, 3, 4}));
    EXPECT_OK(g.Sample(Options(NeighborStrategy::kTopK, 2), {0}, &s, 1, {35}));
    if (order == ::tfgle::NeighborOrder::kTimestampDescending) {
      EXPECT_TRUE(s.neighbors[0] == 4 && s.neighbors[1] == 3);  // latest first
    } else {
      EXPECT_TRUE(s.neighbors[0] == 1 && s.neighbors[1] == 3);  // row order
    }
  }
  IndexedGraph untimed(SmallGraph());
  Sampled s;
  EXPECT_ERROR(untimed.Sample({}, {0}, &s, 1, {5}), kInvalid,
               "needs an edge type with timestamps");
}

void TestBadInput() {
  IndexedGraph g(SmallGraph());
  ::tfgle::NeighborSamplerOptions options;
  Sampled s;
  EXPECT_ERROR(g.Sample(options, {0, 6}, &s), kInvalid, "ids[1] = 6 is not in [0, 6)");
  EXPECT_ERROR(g.Sample(options, {-1}, &s), kInvalid, "ids[0] = -1 is not in [0, 6)");
  options.fanout = 0;
  EXPECT_ERROR(g.Sample(options, {0}, &s), kInvalid, "fanout must be > 0, got 0");
  options.fanout = int64_t{1} << 40;
  EXPECT_OK(g.Sample(options, std::vector<int64_t>(0), &s));  // no rows: nothing to do
  NeighborStrategy strategy;
  EXPECT_ERROR(::tfgle::ParseNeighborStrategy("uniform", &strategy), kInvalid,
               "unknown neighbor sampling strategy 'uniform'; allowed: random");
  ::tfgle::Padding padding;
  EXPECT_ERROR(::tfgle::ParsePadding("zeros", &padding), kInvalid, "allowed: default, circular");
}

void TestOverflowIsAnError() {
  IndexedGraph g(SmallGraph());
  const std::vector<int64_t> ids = {0, 1, 2};
  const auto request = RequestFor<::tfgle::NeighborRequest>(ids);
  ::tfgle::NeighborOutput output;  // never written: the call fails first
  EXPECT_ERROR(::tfgle::SampleNeighbors(g.graph, &g.index,
                                        Options(NeighborStrategy::kRandom, int64_t{1} << 39),
                                        request, ::tfgle::MakePhilox(1, 1, 0),
                                        ::tfgle::SerialExecutor(), output),
               kInvalid, "one call may produce");
}

void TestFullNeighbors() {
  IndexedGraph g(SmallGraph());
  std::vector<int64_t> ids = {0, 2, 3};
  auto request = RequestFor<::tfgle::FullNeighborRequest>(ids);
  std::vector<int64_t> splits(4), nbrs(7), eids(7);
  auto count = [&] {
    return ::tfgle::CountFullNeighbors(g.graph, &g.index, request, ::tfgle::SerialExecutor(),
                                       splits.data());
  };
  auto fill = [&] {
    return ::tfgle::FillFullNeighbors(g.graph, &g.index, request, ::tfgle::MakePhilox(1, 1, 0),
                                      ::tfgle::SerialExecutor(), splits.data(), nbrs.data(),
                                      eids.data());
  };
  EXPECT_OK(count());
  EXPECT_EQ(splits, (std::vector<int64_t>{0, 5, 5, 7}));
  EXPECT_OK(fill());
  EXPECT_EQ(nbrs, (std::vector<int64_t>{1, 2, 3, 4, 5, 3, 3}));
  request.max_neighbors = 3;
  EXPECT_OK(count());
  EXPECT_EQ(splits, (std::vector<int64_t>{0, 3, 3, 5}));
  EXPECT_OK(fill());
  EXPECT_TRUE(std::is_sorted(nbrs.begin(), nbrs.begin() + 3));  // a subset in row order
  EXPECT_TRUE(std::set<int64_t>(nbrs.begin(), nbrs.begin() + 3).size() == 3);
  ids[1] = 9;
  EXPECT_ERROR(count(), kInvalid, "ids[1] = 9 is not in [0, 6)");
}

void TestNegatives() {
  // Node 0 is linked to 1..39 of 0..39 (only 0 is a negative); node 1 to all 40.
  std::vector<int64_t> src, dst;
  for (int v = 1; v < 40; ++v) src.push_back(0), dst.push_back(v);
  for (int v = 0; v < 40; ++v) src.push_back(1), dst.push_back(v);
  src.push_back(2), dst.push_back(5);
  IndexedGraph g(Build(src, dst, 40));
  ::tfgle::NegativeSamplerOptions options;
  options.num = 100;
  options.max_trials = 1000;
  std::vector<int64_t> out;
  std::vector<bool> mask;
  EXPECT_OK(g.Negatives(options, {0, 1, 2}, &out, &mask));
  for (int j = 0; j < 100; ++j) {
    EXPECT_TRUE(mask[j] && out[j] == 0);                  // the only non-neighbor
    EXPECT_TRUE(!mask[100 + j] && out[100 + j] >= 0);     // saturated: gives up
    EXPECT_TRUE(mask[200 + j] && out[200 + j] != 5);
  }
  // In-degree ^ 0.75: dst 5 has in-degree 3, 0 has 1, every other 2.
  options.strategy = ::tfgle::NegativeStrategy::kInDegree;
  options.num = 40000;
  EXPECT_OK(g.Negatives(options, {3}, &out, &mask));
  std::vector<int64_t> counts(40, 0);
  for (int64_t x : out) ++counts[x];
  std::vector<double> p(40);
  double total = 0;
  for (int v = 0; v < 40; ++v) {
    total += p[v] = std::pow(static_cast<double>(g.graph.in_degree[v]), 0.75);
  }
  for (double& x : p) x /= total;
  EXPECT_TRUE(ChiSquare(counts, p) < ChiSquareBound(39));

  // Conditional: categories v % 3; targets' categories 1 and 7 (none).
  std::vector<int64_t> categories(40);
  for (int v = 0; v < 40; ++v) categories[v] = v % 3;
  ::tfgle::NodeDistribution d;
  EXPECT_OK(::tfgle::NodeDistribution::Build<float>(40, nullptr, categories.data(), &d));
  const std::vector<int64_t> targets = {1, 7};
  options.strategy = ::tfgle::NegativeStrategy::kConditional;
  options.distribution = &d;
  options.target_categories = targets.data();
  options.num = 50;
  EXPECT_OK(g.Negatives(options, {2, 2}, &out, &mask));
  for (int j = 0; j < 50; ++j) {
    EXPECT_TRUE(mask[j] && out[j] % 3 == 1 && out[j] != 5);
    EXPECT_TRUE(!mask[50 + j] && out[50 + j] == -1);
  }
  // Bad input.
  options.strategy = ::tfgle::NegativeStrategy::kRandom;
  EXPECT_ERROR(g.Negatives(options, {40}, &out, &mask), kInvalid,
               "ids[0] = 40 is not in [0, 40)");
  options.num = 0;
  EXPECT_ERROR(g.Negatives(options, {0}, &out, &mask), kInvalid, "num must be > 0");
  options.num = 1;
  options.strategy = ::tfgle::NegativeStrategy::kNodeWeight;
  EXPECT_ERROR(g.Negatives(options, {0}, &out, &mask), kInvalid, "with weights");
  ::tfgle::NodeDistribution small;
  EXPECT_OK(::tfgle::NodeDistribution::Build<float>(3, nullptr, nullptr, &small));
  options.distribution = &small;
  EXPECT_ERROR(g.Negatives(options, {0}, &out, &mask), kInvalid, "covers 3 nodes");
  ::tfgle::NegativeStrategy strategy;
  EXPECT_ERROR(::tfgle::ParseNegativeStrategy("popular", &strategy), kInvalid,
               "allowed: random, in_degree, node_weight, conditional");
}

void TestEmptyGraph() {
  IndexedGraph g(Build({}, {}, 3));
  for (auto strategy : {NeighborStrategy::kRandom, NeighborStrategy::kRandomWithoutReplacement,
                        NeighborStrategy::kTopK, NeighborStrategy::kInDegree}) {
    auto options = Options(strategy, 2);
    options.padding = ::tfgle::Padding::kCircular;
    Sampled s;
    EXPECT_OK(g.Sample(options, {0, 2}, &s));
    EXPECT_TRUE(std::none_of(s.mask.begin(), s.mask.end(), [](bool m) { return m; }));
    EXPECT_TRUE(
        std::all_of(s.neighbors.begin(), s.neighbors.end(), [](int64_t x) { return x == -1; }));
  }
  ::tfgle::NegativeSamplerOptions options;
  options.strategy = ::tfgle::NegativeStrategy::kInDegree;
  options.num = 2;
  std::vector<int64_t> out;
  std::vector<bool> mask;
  EXPECT_OK(g.Negatives(options, {1}, &out, &mask));
  EXPECT_TRUE(out[0] == -1 && !mask[0]);
  options.strategy = ::tfgle::NegativeStrategy::kRandom;
  EXPECT_OK(g.Negatives(options, {1}, &out, &mask));
  EXPECT_TRUE(out[0] >= 0 && out[0] < 3 && mask[0]);
}

void TestNeighborSetOnHubs() {
  // A hub row of 200 unsorted neighbors (binary search on a sorted copy).
  std::vector<int64_t> src, dst;
  for (int i = 0; i < 200; ++i) src.push_back(0), dst.push_back((i * 7919) % 1000);
  IndexedGraph g(Build(src, dst, 1000));
  const ::tfgle::NeighborSet* set;
  EXPECT_OK(g.index.GetNeighborSet(&set));
  std::set<int64_t> truth(dst.begin(), dst.end());
  for (int v = 0; v < 1000; ++v) EXPECT_TRUE(set->Contains(g.graph, 0, v) == (truth.count(v) > 0));
  EXPECT_TRUE(!set->Contains(g.graph, 1, 0));
}

}  // namespace

int main() {
  RUN_TEST(TestUniformIndex);
  RUN_TEST(TestSeedKeyDistinguishesBothWords);
  RUN_TEST(TestAliasTable);
  RUN_TEST(TestSubnormalWeightsAreRefused);
  RUN_TEST(TestNodeDistributionGroups);
  RUN_TEST(TestRandomNeighbors);
  RUN_TEST(TestDeterministicWhateverTheSharding);
  RUN_TEST(TestWithoutReplacement);
  RUN_TEST(TestEdgeWeightAndInDegree);
  RUN_TEST(TestTopK);
  RUN_TEST(TestTemporalFilter);
  RUN_TEST(TestBadInput);
  RUN_TEST(TestOverflowIsAnError);
  RUN_TEST(TestFullNeighbors);
  RUN_TEST(TestNegatives);
  RUN_TEST(TestEmptyGraph);
  RUN_TEST(TestNeighborSetOnHubs);
  return tfgle_test::Finish();
}
