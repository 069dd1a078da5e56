// Unit tests of the TensorFlow-independent samplers: alias tables, node
// distributions, neighbor and negative sampling. A plain main() that returns
// nonzero when an expectation fails (built by tests/core's runner with g++).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "custom_ops/core/alias_table.h"
#include "custom_ops/core/csr_graph.h"
#include "custom_ops/core/executor.h"
#include "custom_ops/core/negative_sampler.h"
#include "custom_ops/core/neighbor_sampler.h"
#include "custom_ops/core/node_distribution.h"
#include "custom_ops/core/sampling_index.h"
#include "custom_ops/core/sampling_random.h"

namespace {

int failures = 0;

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                            \
    }                                                                        \
  } while (0)

#define CHECK_OK(expr)                                                         \
  do {                                                                         \
    const ::tfgle::Status _s = (expr);                                         \
    if (!_s.ok()) {                                                            \
      std::fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #expr, \
                   _s.message().c_str());                                      \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

// Expects an InvalidArgument whose message contains `part`.
#define CHECK_ERROR(expr, part)                                                          \
  do {                                                                                   \
    const ::tfgle::Status _s = (expr);                                                   \
    if (_s.ok() || _s.code() != ::tfgle::Status::Code::kInvalidArgument ||               \
        _s.message().find(part) == std::string::npos) {                                  \
      std::fprintf(stderr, "%s:%d: %s: expected an error with \"%s\", got \"%s\"\n",     \
                   __FILE__, __LINE__, #expr, part, _s.ok() ? "OK" : _s.message().c_str()); \
      ++failures;                                                                        \
    }                                                                                    \
  } while (0)

using ::tfgle::CsrGraph;
using ::tfgle::Executor;
using ::tfgle::Philox;

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

struct Sampled {
  std::vector<int64_t> neighbors, edge_ids;
  std::vector<bool> mask;
};

::tfgle::Status Sample(const CsrGraph& g, ::tfgle::SamplingIndex* index,
                       ::tfgle::NeighborSamplerOptions options, const std::vector<int64_t>& ids,
                       Sampled* out, uint64_t seed = 1, const std::vector<int64_t>& before = {},
                       const Executor& executor = ::tfgle::SerialExecutor()) {
  const size_t n = ids.size() * static_cast<size_t>(std::max<int64_t>(options.fanout, 0));
  out->neighbors.assign(n, -7);
  out->edge_ids.assign(n, -7);
  std::unique_ptr<bool[]> mask(new bool[n + 1]());
  ::tfgle::NeighborRequest request;
  request.ids = ids.data();
  request.num_rows = static_cast<int64_t>(ids.size());
  request.before = before.empty() ? nullptr : before.data();
  ::tfgle::NeighborOutput output;
  output.neighbors = out->neighbors.data();
  output.edge_ids = out->edge_ids.data();
  output.mask = mask.get();
  const ::tfgle::Status status = ::tfgle::SampleNeighbors(
      g, index, options, request, ::tfgle::MakePhilox(seed, 0, 0), executor, output);
  out->mask.assign(mask.get(), mask.get() + n);
  return status;
}

// ------------------------------------------------------------------ tests

void TestUniformIndex() {
  Philox philox = ::tfgle::MakePhilox(3, 4, 0);
  ::tfgle::RowRandom rng(philox, 0);
  std::vector<int64_t> counts(7, 0);
  for (int i = 0; i < 70000; ++i) {
    const uint64_t x = ::tfgle::UniformIndex(&rng, 7);
    CHECK(x < 7);
    if (x < 7) ++counts[x];
  }
  CHECK(ChiSquare(counts, std::vector<double>(7, 1.0 / 7)) < ChiSquareBound(6));
  CHECK(::tfgle::UniformIndex(&rng, 1) == 0);
  const uint64_t big = (uint64_t{1} << 40) + 3;
  for (int i = 0; i < 100; ++i) CHECK(::tfgle::UniformIndex(&rng, big) < big);
}

void TestSeedKeyDistinguishesBothWords() {
  CHECK(::tfgle::SeedKey(1, 0) != ::tfgle::SeedKey(0, 1));
  CHECK(::tfgle::SeedKey(1, 2) != ::tfgle::SeedKey(1, 3));
  CHECK(::tfgle::SeedKey(1, 2) == ::tfgle::SeedKey(1, 2));
}

void TestAliasTable() {
  const std::vector<double> weights = {1, 0, 3, 6, 0.5, 0};
  ::tfgle::AliasTable table;
  CHECK_OK(::tfgle::AliasTable::Build(weights.data(), 6, &table));
  CHECK(table.total_weight() == 10.5);
  Philox philox = ::tfgle::MakePhilox(9, 9, 0);
  ::tfgle::RowRandom rng(philox, 0);
  std::vector<int64_t> counts(6, 0);
  for (int i = 0; i < 105000; ++i) {
    const int64_t x = table.Draw(&rng);
    CHECK(x >= 0 && x < 6);
    if (x >= 0 && x < 6) ++counts[x];
  }
  CHECK(counts[1] == 0 && counts[5] == 0);  // zero weights are never drawn
  std::vector<double> p;
  for (double w : weights) p.push_back(w / 10.5);
  CHECK(ChiSquare(counts, p) < ChiSquareBound(3));

  const std::vector<float> zeros = {0, 0};
  ::tfgle::AliasTable empty;
  CHECK_OK(::tfgle::AliasTable::Build(zeros.data(), 2, &empty));
  CHECK(empty.empty() && empty.Draw(&rng) == -1);
  CHECK_OK(::tfgle::AliasTable::Build(zeros.data(), 0, &empty));
  CHECK(empty.Draw(&rng) == -1);

  const std::vector<float> bad = {1, -2};
  CHECK_ERROR(::tfgle::AliasTable::Build(bad.data(), 2, &empty), "weights[1] = -2");
  const std::vector<float> nan = {NAN};
  CHECK_ERROR(::tfgle::AliasTable::Build(nan.data(), 1, &empty), "weights[0]");
}

void TestNodeDistributionGroups() {
  const std::vector<int64_t> categories = {5, 2, 5, 9, 2, 5};
  const std::vector<float> weights = {1, 1, 0, 1, 3, 2};
  ::tfgle::NodeDistribution d;
  CHECK_OK(::tfgle::NodeDistribution::Build(6, weights.data(), categories.data(), &d));
  CHECK(d.FindGroup(7) == -1);
  Philox philox = ::tfgle::MakePhilox(1, 1, 0);
  ::tfgle::RowRandom rng(philox, 0);
  std::map<int64_t, int64_t> counts;
  const int64_t group = d.FindGroup(5);
  CHECK(group >= 0);
  for (int i = 0; i < 30000; ++i) ++counts[d.DrawFromGroup(&rng, group)];
  CHECK(counts.size() == 2 && counts.count(0) && counts.count(5));  // node 2 has weight 0
  CHECK(std::abs(counts[5] / 30000.0 - 2.0 / 3.0) < 0.02);
  const int64_t g2 = d.FindGroup(2);
  for (int i = 0; i < 100; ++i) {
    const int64_t x = d.DrawFromGroup(&rng, g2);
    CHECK(x == 1 || x == 4);
  }
  ::tfgle::NodeDistribution uniform;
  CHECK_OK(::tfgle::NodeDistribution::Build<float>(4, nullptr, nullptr, &uniform));
  for (int i = 0; i < 100; ++i) CHECK(uniform.Draw(&rng) >= 0 && uniform.Draw(&rng) < 4);
}

// Node 0 -> 1..5 (weights 1..5), node 1 -> 0, node 2: none, node 3 -> 3 twice.
CsrGraph SmallGraph(::tfgle::NeighborOrder order = ::tfgle::NeighborOrder::kInput) {
  return Build({0, 0, 0, 0, 0, 1, 3, 3}, {1, 2, 3, 4, 5, 0, 3, 3}, 6,
               {1, 2, 3, 4, 5, 1, 1, 1}, {}, order);
}

void TestRandomNeighbors() {
  CsrGraph g = SmallGraph();
  ::tfgle::SamplingIndex index(&g);
  ::tfgle::NeighborSamplerOptions options;
  options.fanout = 4;
  Sampled s;
  CHECK_OK(Sample(g, &index, options, {0, 1, 2}, &s));
  for (int j = 0; j < 4; ++j) {
    CHECK(s.mask[j] && s.neighbors[j] >= 1 && s.neighbors[j] <= 5);
    CHECK(s.edge_ids[j] == s.neighbors[j] - 1);  // edge i is 0 -> i + 1
    CHECK(s.mask[4 + j] && s.neighbors[4 + j] == 0 && s.edge_ids[4 + j] == 5);
    CHECK(!s.mask[8 + j] && s.neighbors[8 + j] == -1 && s.edge_ids[8 + j] == -1);
  }
  // Uniform over the row.
  options.fanout = 50000;
  CHECK_OK(Sample(g, &index, options, {0}, &s));
  std::vector<int64_t> counts(5, 0);
  for (int64_t x : s.neighbors) ++counts[x - 1];
  CHECK(ChiSquare(counts, std::vector<double>(5, 0.2)) < ChiSquareBound(4));
}

void TestDeterministicWhateverTheSharding() {
  CsrGraph g = SmallGraph();
  ::tfgle::SamplingIndex index(&g);
  std::vector<int64_t> ids;
  for (int i = 0; i < 100; ++i) ids.push_back(i % 4);
  for (auto strategy : {::tfgle::NeighborStrategy::kRandom,
                        ::tfgle::NeighborStrategy::kRandomWithoutReplacement,
                        ::tfgle::NeighborStrategy::kEdgeWeight,
                        ::tfgle::NeighborStrategy::kInDegree}) {
    ::tfgle::NeighborSamplerOptions options;
    options.fanout = 3;
    options.strategy = strategy;
    Sampled a, b, c;
    CHECK_OK(Sample(g, &index, options, ids, &a, 5));
    CHECK_OK(Sample(g, &index, options, ids, &b, 5, {}, BackwardsExecutor()));
    CHECK_OK(Sample(g, &index, options, ids, &c, 6));
    CHECK(a.neighbors == b.neighbors && a.edge_ids == b.edge_ids && a.mask == b.mask);
    CHECK(a.edge_ids != c.edge_ids);
  }
}

void TestWithoutReplacement() {
  CsrGraph g = SmallGraph();
  ::tfgle::SamplingIndex index(&g);
  ::tfgle::NeighborSamplerOptions options;
  options.strategy = ::tfgle::NeighborStrategy::kRandomWithoutReplacement;
  options.fanout = 3;
  std::vector<int64_t> inclusion(6, 0);
  for (uint64_t seed = 0; seed < 3000; ++seed) {
    Sampled s;
    CHECK_OK(Sample(g, &index, options, {0}, &s, seed));
    std::set<int64_t> distinct(s.edge_ids.begin(), s.edge_ids.end());
    CHECK(distinct.size() == 3);
    for (int64_t x : s.neighbors) ++inclusion[x];
  }
  for (int v = 1; v <= 5; ++v) CHECK(std::abs(inclusion[v] / 3000.0 - 0.6) < 0.05);
  // Degree <= fanout: every edge once, in row order, then padding.
  options.fanout = 4;
  Sampled s;
  CHECK_OK(Sample(g, &index, options, {3}, &s));
  CHECK(s.edge_ids[0] == 6 && s.edge_ids[1] == 7 && s.mask[1] && !s.mask[2] && !s.mask[3]);
  options.padding = ::tfgle::Padding::kCircular;
  CHECK_OK(Sample(g, &index, options, {3, 2}, &s));
  CHECK(s.edge_ids[2] == 6 && s.edge_ids[3] == 7 && s.neighbors[3] == 3 && !s.mask[3]);
  CHECK(s.neighbors[4] == -1 && !s.mask[4]);  // zero degree: default padding
  // Large fanouts use the hash set: still distinct.
  std::vector<int64_t> src(500, 0), dst(500);
  for (int i = 0; i < 500; ++i) dst[i] = i;
  CsrGraph big = Build(src, dst, 500);
  ::tfgle::SamplingIndex big_index(&big);
  options.fanout = 200;
  CHECK_OK(Sample(big, &big_index, options, {0}, &s));
  CHECK(std::set<int64_t>(s.neighbors.begin(), s.neighbors.end()).size() == 200);
}

void TestEdgeWeightAndInDegree() {
  CsrGraph g = SmallGraph();
  ::tfgle::SamplingIndex index(&g);
  ::tfgle::NeighborSamplerOptions options;
  options.strategy = ::tfgle::NeighborStrategy::kEdgeWeight;
  options.fanout = 60000;
  Sampled s;
  CHECK_OK(Sample(g, &index, options, {0}, &s));
  std::vector<int64_t> counts(5, 0);
  for (int64_t x : s.neighbors) ++counts[x - 1];
  CHECK(ChiSquare(counts, {1 / 15.0, 2 / 15.0, 3 / 15.0, 4 / 15.0, 5 / 15.0}) <
        ChiSquareBound(4));

  // In-degree: node 0 -> {1, 2}; 1 has in-degree 1, 2 has in-degree 3.
  CsrGraph h = Build({0, 0, 3, 4}, {1, 2, 2, 2}, 5);
  ::tfgle::SamplingIndex h_index(&h);
  options.strategy = ::tfgle::NeighborStrategy::kInDegree;
  options.fanout = 40000;
  CHECK_OK(Sample(h, &h_index, options, {0}, &s));
  std::vector<int64_t> in_counts(2, 0);
  for (int64_t x : s.neighbors) ++in_counts[x - 1];
  CHECK(ChiSquare(in_counts, {0.25, 0.75}) < ChiSquareBound(1));

  // A row whose weights are all 0 is padding; an unweighted graph is an error.
  CsrGraph z = Build({0, 0}, {1, 1}, 2, {0, 0});
  ::tfgle::SamplingIndex z_index(&z);
  options.strategy = ::tfgle::NeighborStrategy::kEdgeWeight;
  options.fanout = 2;
  CHECK_OK(Sample(z, &z_index, options, {0}, &s));
  CHECK(!s.mask[0] && !s.mask[1] && s.neighbors[0] == -1);
  CsrGraph u = Build({0}, {1}, 2);
  ::tfgle::SamplingIndex u_index(&u);
  CHECK_ERROR(Sample(u, &u_index, options, {0}, &s), "needs an edge type with weights");
}

void TestTopK() {
  CsrGraph g = SmallGraph(::tfgle::NeighborOrder::kWeightDescending);
  ::tfgle::SamplingIndex index(&g);
  ::tfgle::NeighborSamplerOptions options;
  options.strategy = ::tfgle::NeighborStrategy::kTopK;
  options.fanout = 3;
  Sampled s;
  CHECK_OK(Sample(g, &index, options, {0, 1}, &s));
  CHECK(s.neighbors[0] == 5 && s.neighbors[1] == 4 && s.neighbors[2] == 3);
  CHECK(s.neighbors[3] == 0 && s.mask[3] && !s.mask[4] && s.neighbors[4] == -1);
}

void TestTemporalFilter() {
  // Node 0 -> 1, 2, 3, 4 at times 10, 40, 20, 30; rows by timestamp or not.
  for (auto order : {::tfgle::NeighborOrder::kTimestampDescending,
                     ::tfgle::NeighborOrder::kInput}) {
    CsrGraph g = Build({0, 0, 0, 0}, {1, 2, 3, 4}, 5, {1, 1, 1, 1}, {10, 40, 20, 30}, order);
    ::tfgle::SamplingIndex index(&g);
    ::tfgle::NeighborSamplerOptions options;
    options.fanout = 200;
    for (auto strategy : {::tfgle::NeighborStrategy::kRandom,
                          ::tfgle::NeighborStrategy::kEdgeWeight,
                          ::tfgle::NeighborStrategy::kInDegree}) {
      options.strategy = strategy;
      Sampled s;
      CHECK_OK(Sample(g, &index, options, {0, 0, 0}, &s, 1, {30, 11, 10}));
      std::set<int64_t> first(s.neighbors.begin(), s.neighbors.begin() + 200);
      CHECK((first == std::set<int64_t>{1, 3}));
      CHECK(std::all_of(s.neighbors.begin() + 200, s.neighbors.begin() + 400,
                        [](int64_t x) { return x == 1; }));
      CHECK(std::none_of(s.mask.begin() + 400, s.mask.end(), [](bool m) { return m; }));
    }
    options.strategy = ::tfgle::NeighborStrategy::kRandomWithoutReplacement;
    options.fanout = 3;
    Sampled s;
    CHECK_OK(Sample(g, &index, options, {0}, &s, 1, {35}));
    CHECK((std::set<int64_t>(s.neighbors.begin(), s.neighbors.end()) ==
           std::set<int64_t>{1, 3, 4}));
    options.strategy = ::tfgle::NeighborStrategy::kTopK;
    options.fanout = 2;
    CHECK_OK(Sample(g, &index, options, {0}, &s, 1, {35}));
    if (order == ::tfgle::NeighborOrder::kTimestampDescending) {
      CHECK(s.neighbors[0] == 4 && s.neighbors[1] == 3);  // latest first
    } else {
      CHECK(s.neighbors[0] == 1 && s.neighbors[1] == 3);  // row order
    }
  }
  CsrGraph untimed = SmallGraph();
  ::tfgle::SamplingIndex index(&untimed);
  Sampled s;
  CHECK_ERROR(Sample(untimed, &index, {}, {0}, &s, 1, {5}), "needs an edge type with timestamps");
}

void TestBadInput() {
  CsrGraph g = SmallGraph();
  ::tfgle::SamplingIndex index(&g);
  ::tfgle::NeighborSamplerOptions options;
  Sampled s;
  CHECK_ERROR(Sample(g, &index, options, {0, 6}, &s), "ids[1] = 6 is not in [0, 6)");
  CHECK_ERROR(Sample(g, &index, options, {-1}, &s), "ids[0] = -1 is not in [0, 6)");
  options.fanout = 0;
  CHECK_ERROR(Sample(g, &index, options, {0}, &s), "fanout must be > 0, got 0");
  options.fanout = int64_t{1} << 40;
  CHECK_OK(Sample(g, &index, options, std::vector<int64_t>(0), &s));  // no rows: nothing to do
  ::tfgle::NeighborStrategy strategy;
  CHECK_ERROR(::tfgle::ParseNeighborStrategy("uniform", &strategy),
              "unknown neighbor sampling strategy 'uniform'; allowed: random");
  ::tfgle::Padding padding;
  CHECK_ERROR(::tfgle::ParsePadding("zeros", &padding), "allowed: default, circular");
}

void TestOverflowIsAnError() {
  CsrGraph g = SmallGraph();
  ::tfgle::SamplingIndex index(&g);
  ::tfgle::NeighborSamplerOptions options;
  options.fanout = int64_t{1} << 39;
  std::vector<int64_t> ids = {0, 1, 2};
  ::tfgle::NeighborRequest request;
  request.ids = ids.data();
  request.num_rows = 3;
  ::tfgle::NeighborOutput output;  // never written: the call fails first
  CHECK_ERROR(::tfgle::SampleNeighbors(g, &index, options, request, ::tfgle::MakePhilox(1, 1, 0),
                                       ::tfgle::SerialExecutor(), output),
              "one call may produce");
}

void TestFullNeighbors() {
  CsrGraph g = SmallGraph();
  ::tfgle::SamplingIndex index(&g);
  std::vector<int64_t> ids = {0, 2, 3};
  ::tfgle::FullNeighborRequest request;
  request.ids = ids.data();
  request.num_rows = 3;
  std::vector<int64_t> splits(4);
  CHECK_OK(::tfgle::CountFullNeighbors(g, &index, request, ::tfgle::SerialExecutor(),
                                       splits.data()));
  CHECK((splits == std::vector<int64_t>{0, 5, 5, 7}));
  std::vector<int64_t> nbrs(7), eids(7);
  CHECK_OK(::tfgle::FillFullNeighbors(g, &index, request, ::tfgle::MakePhilox(1, 1, 0),
                                      ::tfgle::SerialExecutor(), splits.data(), nbrs.data(),
                                      eids.data()));
  CHECK((nbrs == std::vector<int64_t>{1, 2, 3, 4, 5, 3, 3}));
  request.max_neighbors = 3;
  CHECK_OK(::tfgle::CountFullNeighbors(g, &index, request, ::tfgle::SerialExecutor(),
                                       splits.data()));
  CHECK((splits == std::vector<int64_t>{0, 3, 3, 5}));
  CHECK_OK(::tfgle::FillFullNeighbors(g, &index, request, ::tfgle::MakePhilox(1, 1, 0),
                                      ::tfgle::SerialExecutor(), splits.data(), nbrs.data(),
                                      eids.data()));
  CHECK(std::is_sorted(nbrs.begin(), nbrs.begin() + 3));  // a subset in row order
  CHECK(std::set<int64_t>(nbrs.begin(), nbrs.begin() + 3).size() == 3);
  ids[1] = 9;
  CHECK_ERROR(::tfgle::CountFullNeighbors(g, &index, request, ::tfgle::SerialExecutor(),
                                          splits.data()),
              "ids[1] = 9 is not in [0, 6)");
}

::tfgle::Status Negatives(const CsrGraph& g, ::tfgle::SamplingIndex* index,
                          const ::tfgle::NegativeSamplerOptions& options,
                          const std::vector<int64_t>& ids, std::vector<int64_t>* out,
                          std::vector<bool>* mask, uint64_t seed = 1) {
  const size_t n = ids.size() * static_cast<size_t>(std::max<int64_t>(options.num, 0));
  out->assign(n, -7);
  std::unique_ptr<bool[]> m(new bool[n + 1]());
  const ::tfgle::Status status = ::tfgle::SampleNegatives(
      g, index, options, ids.data(), static_cast<int64_t>(ids.size()), "ids",
      ::tfgle::MakePhilox(seed, 0, 0x80), ::tfgle::SerialExecutor(), out->data(), m.get());
  mask->assign(m.get(), m.get() + n);
  return status;
}

void TestNegatives() {
  // Node 0 is linked to 1..39 of 0..39 (only 0 is a negative); node 1 to all 40.
  std::vector<int64_t> src, dst;
  for (int v = 1; v < 40; ++v) src.push_back(0), dst.push_back(v);
  for (int v = 0; v < 40; ++v) src.push_back(1), dst.push_back(v);
  src.push_back(2), dst.push_back(5);
  CsrGraph g = Build(src, dst, 40);
  ::tfgle::SamplingIndex index(&g);
  ::tfgle::NegativeSamplerOptions options;
  options.num = 100;
  options.max_trials = 1000;
  std::vector<int64_t> out;
  std::vector<bool> mask;
  CHECK_OK(Negatives(g, &index, options, {0, 1, 2}, &out, &mask));
  for (int j = 0; j < 100; ++j) {
    CHECK(mask[j] && out[j] == 0);                  // the only non-neighbor
    CHECK(!mask[100 + j] && out[100 + j] >= 0);     // saturated: gives up
    CHECK(mask[200 + j] && out[200 + j] != 5);
  }
  // In-degree ^ 0.75: dst 5 has in-degree 3, 0 has 1, every other 2.
  options.strategy = ::tfgle::NegativeStrategy::kInDegree;
  options.num = 40000;
  CHECK_OK(Negatives(g, &index, options, {3}, &out, &mask));
  std::vector<int64_t> counts(40, 0);
  for (int64_t x : out) ++counts[x];
  std::vector<double> p(40);
  double total = 0;
  for (int v = 0; v < 40; ++v) total += p[v] = std::pow(static_cast<double>(g.in_degree[v]), 0.75);
  for (double& x : p) x /= total;
  CHECK(ChiSquare(counts, p) < ChiSquareBound(39));

  // Conditional: categories v % 3; targets' categories 1 and 7 (none).
  std::vector<int64_t> categories(40);
  for (int v = 0; v < 40; ++v) categories[v] = v % 3;
  ::tfgle::NodeDistribution d;
  CHECK_OK(::tfgle::NodeDistribution::Build<float>(40, nullptr, categories.data(), &d));
  const std::vector<int64_t> targets = {1, 7};
  options.strategy = ::tfgle::NegativeStrategy::kConditional;
  options.distribution = &d;
  options.target_categories = targets.data();
  options.num = 50;
  CHECK_OK(Negatives(g, &index, options, {2, 2}, &out, &mask));
  for (int j = 0; j < 50; ++j) {
    CHECK(mask[j] && out[j] % 3 == 1 && out[j] != 5);
    CHECK(!mask[50 + j] && out[50 + j] == -1);
  }
  // Bad input.
  options.strategy = ::tfgle::NegativeStrategy::kRandom;
  CHECK_ERROR(Negatives(g, &index, options, {40}, &out, &mask), "ids[0] = 40 is not in [0, 40)");
  options.num = 0;
  CHECK_ERROR(Negatives(g, &index, options, {0}, &out, &mask), "num must be > 0");
  options.num = 1;
  options.strategy = ::tfgle::NegativeStrategy::kNodeWeight;
  CHECK_ERROR(Negatives(g, &index, options, {0}, &out, &mask), "with weights");
  ::tfgle::NodeDistribution small;
  CHECK_OK(::tfgle::NodeDistribution::Build<float>(3, nullptr, nullptr, &small));
  options.distribution = &small;
  CHECK_ERROR(Negatives(g, &index, options, {0}, &out, &mask), "covers 3 nodes");
  ::tfgle::NegativeStrategy strategy;
  CHECK_ERROR(::tfgle::ParseNegativeStrategy("popular", &strategy),
              "allowed: random, in_degree, node_weight, conditional");
}

void TestEmptyGraph() {
  CsrGraph g = Build({}, {}, 3);
  ::tfgle::SamplingIndex index(&g);
  for (auto strategy : {::tfgle::NeighborStrategy::kRandom,
                        ::tfgle::NeighborStrategy::kRandomWithoutReplacement,
                        ::tfgle::NeighborStrategy::kTopK,
                        ::tfgle::NeighborStrategy::kInDegree}) {
    ::tfgle::NeighborSamplerOptions options;
    options.strategy = strategy;
    options.fanout = 2;
    options.padding = ::tfgle::Padding::kCircular;
    Sampled s;
    CHECK_OK(Sample(g, &index, options, {0, 2}, &s));
    CHECK(std::none_of(s.mask.begin(), s.mask.end(), [](bool m) { return m; }));
    CHECK(std::all_of(s.neighbors.begin(), s.neighbors.end(), [](int64_t x) { return x == -1; }));
  }
  ::tfgle::NegativeSamplerOptions options;
  options.strategy = ::tfgle::NegativeStrategy::kInDegree;
  options.num = 2;
  std::vector<int64_t> out;
  std::vector<bool> mask;
  CHECK_OK(Negatives(g, &index, options, {1}, &out, &mask));
  CHECK(out[0] == -1 && !mask[0]);
  options.strategy = ::tfgle::NegativeStrategy::kRandom;
  CHECK_OK(Negatives(g, &index, options, {1}, &out, &mask));
  CHECK(out[0] >= 0 && out[0] < 3 && mask[0]);
}

void TestNeighborSetOnHubs() {
  // A hub row of 200 unsorted neighbors (binary search on a sorted copy).
  std::vector<int64_t> src, dst;
  for (int i = 0; i < 200; ++i) src.push_back(0), dst.push_back((i * 7919) % 1000);
  CsrGraph g = Build(src, dst, 1000);
  ::tfgle::SamplingIndex index(&g);
  const ::tfgle::NeighborSet* set;
  CHECK_OK(index.GetNeighborSet(&set));
  std::set<int64_t> truth(dst.begin(), dst.end());
  for (int v = 0; v < 1000; ++v) CHECK(set->Contains(g, 0, v) == (truth.count(v) > 0));
  CHECK(!set->Contains(g, 1, 0));
}

}  // namespace

int main() {
  TestUniformIndex();
  TestSeedKeyDistinguishesBothWords();
  TestAliasTable();
  TestNodeDistributionGroups();
  TestRandomNeighbors();
  TestDeterministicWhateverTheSharding();
  TestWithoutReplacement();
  TestEdgeWeightAndInDegree();
  TestTopK();
  TestTemporalFilter();
  TestBadInput();
  TestOverflowIsAnError();
  TestFullNeighbors();
  TestNegatives();
  TestEmptyGraph();
  TestNeighborSetOnHubs();
  if (failures > 0) {
    std::fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  std::printf("sampler_test: all checks passed\n");
  return 0;
}
