// Tests of tfgle::CsrGraph::Build, Append and RemoveBefore against a brute-force reference.
#include "custom_ops/core/csr_graph.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "tests/core/test_util.h"

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace tfgle {
namespace {

using tfgle_test::ThreadExecutor;

// An edge list that owns its columns; empty optional columns pass as null.
struct Edges {
  std::vector<int64_t> src, dst, edge_ids, timestamps;
  std::vector<float> weights;
  int64_t num_src = 0, num_dst = 0;
  bool symmetric = false;
  bool has_weights = false, has_timestamps = false, has_edge_ids = false;

  EdgeList View() const {
    EdgeList e;
    e.src = src.data();
    e.dst = dst.data();
    e.num_edges = static_cast<int64_t>(src.size());
    e.edge_ids = has_edge_ids ? edge_ids.data() : nullptr;
    e.weights = has_weights ? weights.data() : nullptr;
    e.timestamps = has_timestamps ? timestamps.data() : nullptr;
    e.num_src = num_src;
    e.num_dst = num_dst;
    e.symmetric = symmetric;
    return e;
  }
};

// One CSR entry, as the reference sees it.
struct Entry {
  int64_t dst, edge_id;
  float weight;
  int64_t timestamp;
};

// The documented result, built the obvious way: row v lists the edges leaving v
// in input order, then (symmetric only) the reverses of the non-loop edges
// entering v in input order; a weight or timestamp order then sorts each row
// descending, stably.
std::vector<std::vector<Entry>> ReferenceRows(const Edges& e, NeighborOrder order) {
  std::vector<std::vector<Entry>> rows(e.num_src);
  auto entry = [&](size_t i, int64_t other) {
    return Entry{other, e.has_edge_ids ? e.edge_ids[i] : static_cast<int64_t>(i),
                 e.has_weights ? e.weights[i] : 0.0f,
                 e.has_timestamps ? e.timestamps[i] : 0};
  };
  for (size_t i = 0; i < e.src.size(); ++i) rows[e.src[i]].push_back(entry(i, e.dst[i]));
  if (e.symmetric) {
    for (size_t i = 0; i < e.src.size(); ++i) {
      if (e.src[i] != e.dst[i]) rows[e.dst[i]].push_back(entry(i, e.src[i]));
    }
  }
  for (auto& row : rows) {
    if (order == NeighborOrder::kWeightDescending) {
      std::stable_sort(row.begin(), row.end(),
                       [](const Entry& a, const Entry& b) { return a.weight > b.weight; });
    } else if (order == NeighborOrder::kTimestampDescending) {
      std::stable_sort(row.begin(), row.end(),
                       [](const Entry& a, const Entry& b) { return a.timestamp > b.timestamp; });
    }
  }
  return rows;
}

// Checks every field of `g` against the reference; returns false on a mismatch
// (after reporting the first one, to keep the output short).
bool MatchesReference(const CsrGraph& g, const Edges& e,
                      const std::vector<std::vector<Entry>>& rows, const std::string& what) {
  const int failures_before = tfgle_test::FailureCount();
  EXPECT_EQ(g.num_src, e.num_src);
  EXPECT_EQ(g.num_dst, e.num_dst);
  EXPECT_EQ(g.weighted(), e.has_weights);
  EXPECT_EQ(g.timed(), e.has_timestamps);
  CHECK(static_cast<int64_t>(g.indptr.size()) == e.num_src + 1);
  EXPECT_EQ(g.indptr[0], 0);
  std::vector<int64_t> in_degree(e.num_dst, 0);
  int64_t total = 0;
  for (int64_t v = 0; v < e.num_src && tfgle_test::FailureCount() == failures_before; ++v) {
    const auto& row = rows[v];
    total += static_cast<int64_t>(row.size());
    EXPECT_EQ(g.indptr[v + 1], total);
    EXPECT_EQ(g.OutDegree(v), static_cast<int64_t>(row.size()));
    if (g.indptr[v + 1] != total) break;
    for (size_t k = 0; k < row.size(); ++k) {
      const int64_t pos = g.indptr[v] + static_cast<int64_t>(k);
      EXPECT_EQ(g.indices[pos], row[k].dst);
      EXPECT_EQ(g.edge_ids[pos], row[k].edge_id);
      if (g.weighted()) EXPECT_EQ(g.weights[pos], row[k].weight);
      if (g.timed()) EXPECT_EQ(g.timestamps[pos], row[k].timestamp);
      ++in_degree[row[k].dst];
      if (tfgle_test::FailureCount() != failures_before) break;
    }
  }
  EXPECT_EQ(g.num_edges(), total);
  EXPECT_EQ(static_cast<int64_t>(g.edge_ids.size()), total);
  EXPECT_EQ(static_cast<int64_t>(g.weights.size()), g.weighted() ? total : 0);
  EXPECT_EQ(static_cast<int64_t>(g.timestamps.size()), g.timed() ? total : 0);
  EXPECT_EQ(g.in_degree, in_degree);
  if (tfgle_test::FailureCount() != failures_before) {
    std::cerr << "  ... while checking " << what << std::endl;
    return false;
  }
  return true;
}

CsrGraph BuildOrDie(const Edges& e, NeighborOrder order,
                    const Executor& executor = SerialExecutor()) {
  CsrGraph g;
  CHECK_OK(CsrGraph::Build(e.View(), order, executor, &g));
  return g;
}

// A random multigraph with self loops; weights and timestamps come from small
// sets so that rows have many ties.
Edges RandomEdges(uint64_t seed, int64_t num_src, int64_t num_dst, int64_t num_edges) {
  std::mt19937_64 rng(seed);
  Edges e;
  e.num_src = num_src;
  e.num_dst = num_dst;
  for (int64_t i = 0; i < num_edges; ++i) {
    e.src.push_back(static_cast<int64_t>(rng() % num_src));
    e.dst.push_back(static_cast<int64_t>(rng() % num_dst));
    e.edge_ids.push_back(static_cast<int64_t>(rng() % 1000000) - 500000);
    e.weights.push_back(0.25f * static_cast<float>(rng() % 8));
    e.timestamps.push_back(static_cast<int64_t>(rng() % 16) - 8);
  }
  return e;
}

void TestSmallGraphByHand() {
  Edges e;
  e.src = {2, 0, 0, 1, 0};
  e.dst = {0, 2, 1, 2, 2};
  e.num_src = 3;
  e.num_dst = 3;
  const CsrGraph g = BuildOrDie(e, NeighborOrder::kInput);
  EXPECT_EQ(g.indptr, (std::vector<int64_t>{0, 3, 4, 5}));
  EXPECT_EQ(g.indices, (std::vector<int64_t>{2, 1, 2, 2, 0}));
  EXPECT_EQ(g.edge_ids, (std::vector<int64_t>{1, 2, 4, 3, 0}));
  EXPECT_EQ(g.in_degree, (std::vector<int64_t>{1, 1, 3}));
  EXPECT_TRUE(!g.weighted());
  EXPECT_TRUE(!g.timed());
  EXPECT_EQ(g.OutDegree(0), 3);
  EXPECT_EQ(g.num_edges(), 5);
  EXPECT_TRUE(g.ByteSize() > 0);
}

void TestBipartiteWithEdgeIds() {
  Edges e;
  e.src = {1, 0, 1};
  e.dst = {4, 0, 2};
  e.edge_ids = {100, -7, 42};
  e.has_edge_ids = true;
  e.num_src = 2;
  e.num_dst = 5;
  const CsrGraph g = BuildOrDie(e, NeighborOrder::kInput);
  EXPECT_EQ(g.indptr, (std::vector<int64_t>{0, 1, 3}));
  EXPECT_EQ(g.indices, (std::vector<int64_t>{0, 4, 2}));
  EXPECT_EQ(g.edge_ids, (std::vector<int64_t>{-7, 100, 42}));
  EXPECT_EQ(g.in_degree, (std::vector<int64_t>{1, 0, 1, 0, 1}));
}

void TestWeightOrderKeepsTiesInInputOrder() {
  Edges e;
  e.src = {0, 0, 1, 0, 0, 0};
  e.dst = {1, 2, 0, 3, 4, 5};
  e.weights = {1.0f, 3.0f, 9.0f, 1.0f, 2.0f, 0.0f};
  e.timestamps = {5, 6, 7, 8, 9, 10};
  e.has_weights = e.has_timestamps = true;
  e.num_src = 2;
  e.num_dst = 6;
  const CsrGraph g = BuildOrDie(e, NeighborOrder::kWeightDescending);
  EXPECT_EQ(g.indptr, (std::vector<int64_t>{0, 5, 6}));
  EXPECT_EQ(g.indices, (std::vector<int64_t>{2, 4, 1, 3, 5, 0}));
  EXPECT_EQ(g.edge_ids, (std::vector<int64_t>{1, 4, 0, 3, 5, 2}));
  EXPECT_EQ(g.weights, (std::vector<float>{3, 2, 1, 1, 0, 9}));
  EXPECT_EQ(g.timestamps, (std::vector<int64_t>{6, 9, 5, 8, 10, 7}));
}

void TestTimestampOrderKeepsTiesInInputOrder() {
  Edges e;
  e.src = {0, 0, 0, 0, 0};
  e.dst = {1, 2, 3, 4, 5};
  e.timestamps = {-5, 7, 7, std::numeric_limits<int64_t>::min(), 7};
  e.has_timestamps = true;
  e.num_src = 1;
  e.num_dst = 6;
  const CsrGraph g = BuildOrDie(e, NeighborOrder::kTimestampDescending);
  EXPECT_EQ(g.indices, (std::vector<int64_t>{2, 3, 5, 1, 4}));
  EXPECT_EQ(g.edge_ids, (std::vector<int64_t>{1, 2, 4, 0, 3}));
  EXPECT_EQ(g.timestamps,
            (std::vector<int64_t>{7, 7, 7, -5, std::numeric_limits<int64_t>::min()}));
  EXPECT_TRUE(!g.weighted());
}

void TestSymmetricAddsReversesButSelfLoopsOnce() {
  Edges e;
  e.src = {0, 1, 2, 1};
  e.dst = {1, 2, 2, 0};
  e.weights = {0.5f, 1.5f, 2.5f, 3.5f};
  e.has_weights = true;
  e.num_src = 3;
  e.num_dst = 3;
  e.symmetric = true;
  CsrGraph g = BuildOrDie(e, NeighborOrder::kInput);
  EXPECT_EQ(g.indptr, (std::vector<int64_t>{0, 2, 5, 7}));
  EXPECT_EQ(g.indices, (std::vector<int64_t>{1, 1, 2, 0, 0, 2, 1}));
  EXPECT_EQ(g.edge_ids, (std::vector<int64_t>{0, 3, 1, 3, 0, 2, 1}));
  EXPECT_EQ(g.weights, (std::vector<float>{0.5f, 3.5f, 1.5f, 3.5f, 0.5f, 2.5f, 1.5f}));
  EXPECT_EQ(g.in_degree, (std::vector<int64_t>{2, 3, 2}));
  // In weight order the reverse entries sort with the forward ones.
  g = BuildOrDie(e, NeighborOrder::kWeightDescending);
  EXPECT_EQ(g.indices, (std::vector<int64_t>{1, 1, 0, 2, 0, 2, 1}));
  EXPECT_EQ(g.edge_ids, (std::vector<int64_t>{3, 0, 3, 1, 0, 2, 1}));
}

void TestZeroEdges() {
  // Optional columns present (non-null) but empty, in every mode.
  const int64_t no_index = 0;
  const float no_weight = 0.0f;
  for (bool symmetric : {false, true}) {
    for (NeighborOrder order : {NeighborOrder::kInput, NeighborOrder::kWeightDescending,
                                NeighborOrder::kTimestampDescending}) {
      EdgeList e;
      e.src = e.dst = e.edge_ids = e.timestamps = &no_index;
      e.weights = &no_weight;
      e.num_edges = 0;
      e.num_src = 4;
      e.num_dst = symmetric ? 4 : 3;
      e.symmetric = symmetric;
      CsrGraph g;
      CHECK_OK(CsrGraph::Build(e, order, SerialExecutor(), &g));
      EXPECT_EQ(g.num_src, 4);
      EXPECT_EQ(g.num_dst, e.num_dst);
      EXPECT_EQ(g.indptr, (std::vector<int64_t>{0, 0, 0, 0, 0}));
      EXPECT_EQ(g.num_edges(), 0);
      EXPECT_TRUE(g.edge_ids.empty());
      EXPECT_TRUE(g.weights.empty());
      EXPECT_TRUE(g.timestamps.empty());
      EXPECT_EQ(g.in_degree, std::vector<int64_t>(e.num_dst, 0));
    }
  }
  // No nodes at all, and nodes without edges, on two threads.
  Edges none;
  CsrGraph g = BuildOrDie(none, NeighborOrder::kInput, ThreadExecutor(2));
  EXPECT_EQ(g.indptr, (std::vector<int64_t>{0}));
  EXPECT_TRUE(g.in_degree.empty());
  none.num_src = 2;
  none.num_dst = 5;
  g = BuildOrDie(none, NeighborOrder::kInput, ThreadExecutor(2));
  EXPECT_EQ(g.indptr, (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(g.in_degree, std::vector<int64_t>(5, 0));
}

// Random graphs of several sizes, in every mode, on 1, 2 and 3 threads; the
// large ones exceed 2^16 edges per thread so the build really splits the work.
void TestRandomGraphsMatchReferenceOnAnyThreadCount() {
  struct Size {
    int64_t num_src, num_dst, num_edges;
  };
  const Size sizes[] = {{1, 1, 1}, {7, 5, 40}, {50, 50, 1000}, {3000, 2000, 150000},
                        {2, 2, 70000}};
  uint64_t seed = 1;
  for (const Size& size : sizes) {
    for (bool symmetric : {false, true}) {
      Edges e = RandomEdges(seed++, size.num_src, symmetric ? size.num_src : size.num_dst,
                            size.num_edges);
      e.symmetric = symmetric;
      for (NeighborOrder order : {NeighborOrder::kInput, NeighborOrder::kWeightDescending,
                                  NeighborOrder::kTimestampDescending}) {
        for (bool extras : {false, true}) {
          // extras: edge ids plus both optional columns (one of which orders).
          e.has_edge_ids = extras;
          e.has_weights = extras || order == NeighborOrder::kWeightDescending;
          e.has_timestamps = extras || order == NeighborOrder::kTimestampDescending;
          const auto rows = ReferenceRows(e, order);
          for (int threads : {1, 2, 3}) {
            const Executor executor = threads == 1 ? SerialExecutor() : ThreadExecutor(threads);
            const CsrGraph g = BuildOrDie(e, order, executor);
            const std::string what =
                StrCat("num_src=", e.num_src, " num_edges=", e.src.size(), " symmetric=",
                       symmetric, " order=", static_cast<int>(order), " extras=", extras,
                       " threads=", threads);
            if (!MatchesReference(g, e, rows, what)) return;
          }
        }
      }
    }
  }
}

Status BuildStatus(const Edges& e, NeighborOrder order = NeighborOrder::kInput,
                   const Executor& executor = SerialExecutor()) {
  CsrGraph g;
  return CsrGraph::Build(e.View(), order, executor, &g);
}

void TestValidationErrors() {
  constexpr auto kInvalid = Status::Code::kInvalidArgument;
  Edges e;
  e.src = {0, 1, 2};
  e.dst = {1, 1, 0};
  e.num_src = 3;
  e.num_dst = 2;
  EXPECT_OK(BuildStatus(e));

  Edges bad = e;
  bad.src[1] = -1;
  EXPECT_ERROR(BuildStatus(bad), kInvalid, "src[1] = -1 is not in [0, 3)");
  bad.src[1] = 3;
  EXPECT_ERROR(BuildStatus(bad), kInvalid, "src[1] = 3 is not in [0, 3)");
  bad = e;
  bad.dst[2] = 2;
  EXPECT_ERROR(BuildStatus(bad), kInvalid, "dst[2] = 2 is not in [0, 2)");
  bad.dst[0] = std::numeric_limits<int64_t>::min();
  EXPECT_ERROR(BuildStatus(bad), kInvalid,
               "dst[0] = -9223372036854775808 is not in [0, 2)");

  bad = e;
  bad.has_weights = true;
  bad.weights = {1.0f, 0.0f, std::nanf("")};
  EXPECT_ERROR(BuildStatus(bad), kInvalid, "weights[2] = nan is not a finite number >= 0");
  bad.weights = {1.0f, -0.5f, 2.0f};
  EXPECT_ERROR(BuildStatus(bad), kInvalid, "weights[1] = -0.5 is not a finite number >= 0");
  bad.weights = {std::numeric_limits<float>::infinity(), 1.0f, 1.0f};
  EXPECT_ERROR(BuildStatus(bad), kInvalid, "weights[0] = inf is not a finite number >= 0");
  // Subnormal weights are refused, and named exactly (see weights.h).
  bad.weights = {1.0f, 1e-40f, 2.0f};
  EXPECT_ERROR(BuildStatus(bad), kInvalid,
               "weights[1] = 1e-40 is subnormal; weights must be 0 or >= 1.17549435e-38");
  bad.weights = {1.0f, 1.0f, -1e-40f};
  EXPECT_ERROR(BuildStatus(bad), kInvalid, "weights[2] = -1e-40 is not a finite number >= 0");
  bad.weights = {0.0f, -0.0f, std::numeric_limits<float>::min()};
  EXPECT_OK(BuildStatus(bad));

  EXPECT_ERROR(BuildStatus(e, NeighborOrder::kWeightDescending), kInvalid,
               "ordering neighbors by weight needs edge weights");
  EXPECT_ERROR(BuildStatus(e, NeighborOrder::kTimestampDescending), kInvalid,
               "ordering neighbors by timestamp needs edge timestamps");

  bad = e;
  bad.symmetric = true;
  EXPECT_ERROR(BuildStatus(bad), kInvalid,
               "symmetric edges need num_src == num_dst, got 3 and 2");
  bad = e;
  bad.num_dst = -1;
  EXPECT_ERROR(BuildStatus(bad), kInvalid, "sizes must be >= 0, got num_edges=3 num_src=3 num_dst=-1");
}

// With several bad rows, the first one is named, whatever the thread count.
void TestFirstBadRowIsReportedOnAnyThreadCount() {
  Edges e = RandomEdges(99, 100, 100, 300000);
  e.src[250000] = 100;
  e.src[70001] = -5;
  e.dst[1000] = 100;
  e.weights[260000] = -1.0f;
  e.weights[90000] = std::nanf("");
  e.weights[95000] = 1e-40f;
  e.has_weights = true;
  // The error each build reports, and the fix that uncovers the next one.
  const std::vector<std::pair<std::string, std::function<void(Edges*)>>> steps = {
      {"src[70001] = -5 is not in [0, 100)", [](Edges* b) { b->src[70001] = 0; }},
      {"src[250000] = 100 is not in [0, 100)", [](Edges* b) { b->src[250000] = 0; }},
      {"dst[1000] = 100 is not in [0, 100)", [](Edges* b) { b->dst[1000] = 0; }},
      {"weights[90000] = nan is not", [](Edges* b) { b->weights[90000] = 0.0f; }},
      {"weights[95000] = 1e-40 is subnormal", [](Edges* b) { b->weights[95000] = 0.0f; }},
      {"weights[260000] = -1 is not", [](Edges* b) { b->weights[260000] = 0.0f; }},
  };
  for (int threads : {1, 2, 3}) {
    const Executor executor = threads == 1 ? SerialExecutor() : ThreadExecutor(threads);
    Edges bad = e;
    for (const auto& [want, fix] : steps) {
      EXPECT_ERROR(BuildStatus(bad, NeighborOrder::kInput, executor),
                   Status::Code::kInvalidArgument, want);
      fix(&bad);
    }
    EXPECT_OK(BuildStatus(bad, NeighborOrder::kWeightDescending, executor));
  }
}

// ------------------------------------------------------------------ updates

// Edges [begin, end) of `e`, as their own list with the given node counts.
Edges Slice(const Edges& e, size_t begin, size_t end, int64_t num_src, int64_t num_dst) {
  Edges out = e;
  auto cut = [begin, end](auto* column) {
    if (column->size() >= end) {
      column->assign(column->begin() + begin, column->begin() + end);
    }
  };
  cut(&out.src);
  cut(&out.dst);
  cut(&out.edge_ids);
  cut(&out.weights);
  cut(&out.timestamps);
  out.num_src = num_src;
  out.num_dst = num_dst;
  return out;
}

// The edges of `b` after those of `a` (the node counts of `b`).
Edges Concat(const Edges& a, const Edges& b) {
  Edges out = b;
  auto join = [](auto* to, const auto& first, const auto& second) {
    to->assign(first.begin(), first.end());
    to->insert(to->end(), second.begin(), second.end());
  };
  join(&out.src, a.src, b.src);
  join(&out.dst, a.dst, b.dst);
  join(&out.edge_ids, a.edge_ids, b.edge_ids);
  join(&out.weights, a.weights, b.weights);
  join(&out.timestamps, a.timestamps, b.timestamps);
  return out;
}

// The entries of `g`, in CSR order, as a (non-symmetric) edge list.
Edges EntriesOf(const CsrGraph& g) {
  Edges e;
  e.num_src = g.num_src;
  e.num_dst = g.num_dst;
  e.has_edge_ids = true;
  e.has_weights = g.weighted();
  e.has_timestamps = g.timed();
  for (int64_t v = 0; v < g.num_src; ++v) {
    for (int64_t p = g.indptr[v]; p < g.indptr[v + 1]; ++p) {
      e.src.push_back(v);
      e.dst.push_back(g.indices[p]);
      e.edge_ids.push_back(g.edge_ids[p]);
      e.weights.push_back(g.weighted() ? g.weights[p] : 0.0f);
      e.timestamps.push_back(g.timed() ? g.timestamps[p] : 0);
    }
  }
  return e;
}

// Batches of random edges whose node counts grow: batch b uses nodes below
// its counts. Batch 1 has no edges (it only grows the counts), batch 2 one.
std::vector<Edges> GrowingBatches(uint64_t seed, bool square) {
  const int64_t counts[][3] = {{60, 40, 2000}, {70, 45, 0}, {70, 50, 1}, {90, 50, 600},
                               {150, 120, 3000}};
  std::vector<Edges> batches;
  for (const auto& c : counts) {
    batches.push_back(RandomEdges(seed++, c[0], square ? c[0] : c[1], c[2]));
  }
  return batches;
}

Status AppendStatus(const CsrGraph& g, const Edges& e, CsrGraph* out = nullptr,
                    const Executor& executor = SerialExecutor()) {
  CsrGraph scratch;
  return g.Append(e.View(), executor, out != nullptr ? out : &scratch);
}

// Appending batches (growing the node counts) gives the graph built from all
// the edges at once, field by field and by fingerprint: in every order, with
// and without the optional columns, on 1 and 3 threads, writing into the
// memory of an older graph (whose stale content must not leak through).
void TestAppendMatchesBuildOfAllEdges() {
  uint64_t seed = 100;
  for (NeighborOrder order : {NeighborOrder::kInput, NeighborOrder::kWeightDescending,
                              NeighborOrder::kTimestampDescending}) {
    for (bool extras : {false, true}) {
      for (int threads : {1, 3}) {
        const Executor executor = threads == 1 ? SerialExecutor() : ThreadExecutor(threads);
        std::vector<Edges> batches = GrowingBatches(seed++, /*square=*/false);
        for (Edges& b : batches) {
          b.has_edge_ids = true;
          b.has_weights = extras || order == NeighborOrder::kWeightDescending;
          b.has_timestamps = extras || order == NeighborOrder::kTimestampDescending;
        }
        CsrGraph graphs[2];
        graphs[0] = BuildOrDie(batches[0], order, executor);
        Edges all = batches[0];
        for (size_t i = 1; i < batches.size(); ++i) {
          const CsrGraph& from = graphs[(i - 1) % 2];
          CsrGraph* to = &graphs[i % 2];
          CHECK_OK(from.Append(batches[i].View(), executor, to));
          all = Concat(all, batches[i]);
          const std::string what = StrCat("append ", i, " order=", static_cast<int>(order),
                                          " extras=", extras, " threads=", threads);
          if (!MatchesReference(*to, all, ReferenceRows(all, order), what)) return;
          const CsrGraph whole = BuildOrDie(all, order);
          EXPECT_EQ(to->Fingerprint(), whole.Fingerprint());
          EXPECT_TRUE(to->order == order && !to->symmetric);
        }
      }
    }
  }
}

// A symmetric graph also appends the reverse of every new non-loop edge; the
// new entries follow the old ones among equal keys, forward before reverse:
// the graph built (not symmetric) from its old entries, then the new edges,
// then their reverses.
void TestSymmetricAppendAddsReverses() {
  uint64_t seed = 200;
  for (NeighborOrder order : {NeighborOrder::kInput, NeighborOrder::kWeightDescending,
                              NeighborOrder::kTimestampDescending}) {
    std::vector<Edges> batches = GrowingBatches(seed++, /*square=*/true);
    for (Edges& b : batches) {
      b.has_edge_ids = b.has_weights = b.has_timestamps = true;
      b.symmetric = true;
    }
    CsrGraph g = BuildOrDie(batches[0], order, ThreadExecutor(2));
    for (size_t i = 1; i < batches.size(); ++i) {
      Edges expected = EntriesOf(g);
      Edges added = batches[i];
      added.symmetric = false;  // ignored by Append: the graph's flag applies
      Edges reverses = Slice(added, 0, 0, added.num_src, added.num_dst);
      for (size_t k = 0; k < added.src.size(); ++k) {
        if (added.src[k] == added.dst[k]) continue;
        reverses.src.push_back(added.dst[k]);
        reverses.dst.push_back(added.src[k]);
        reverses.edge_ids.push_back(added.edge_ids[k]);
        reverses.weights.push_back(added.weights[k]);
        reverses.timestamps.push_back(added.timestamps[k]);
      }
      expected = Concat(Concat(expected, added), reverses);
      CsrGraph next;
      CHECK_OK(g.Append(added.View(), ThreadExecutor(2), &next));
      const std::string what = StrCat("symmetric append ", i, " order=", static_cast<int>(order));
      if (!MatchesReference(next, expected, ReferenceRows(expected, order), what)) return;
      EXPECT_TRUE(next.symmetric);
      g = std::move(next);
    }
  }
}

// RemoveBefore drops the entries older than the timestamp and keeps the
// order of the rest: the graph built from the edges that are that recent.
void TestRemoveBeforeMatchesBuildOfRecentEdges() {
  uint64_t seed = 300;
  for (NeighborOrder order : {NeighborOrder::kInput, NeighborOrder::kWeightDescending,
                              NeighborOrder::kTimestampDescending}) {
    for (bool symmetric : {false, true}) {
      Edges e = RandomEdges(seed++, 80, 80, 4000);
      e.has_edge_ids = e.has_weights = e.has_timestamps = true;
      e.symmetric = symmetric;
      const CsrGraph g = BuildOrDie(e, order, ThreadExecutor(3));
      for (int64_t t : {-100, -3, 0, 5, 100}) {
        Edges recent = Slice(e, 0, 0, e.num_src, e.num_dst);
        for (size_t k = 0; k < e.src.size(); ++k) {
          if (e.timestamps[k] < t) continue;
          recent = Concat(recent, Slice(e, k, k + 1, e.num_src, e.num_dst));
        }
        CsrGraph out = BuildOrDie(e, NeighborOrder::kInput);  // memory to reuse
        int64_t removed = -1;
        CHECK_OK(g.RemoveBefore(t, ThreadExecutor(3), &out, &removed));
        const std::string what = StrCat("remove before ", t, " order=", static_cast<int>(order),
                                        " symmetric=", symmetric);
        if (!MatchesReference(out, recent, ReferenceRows(recent, order), what)) return;
        EXPECT_EQ(removed, g.num_edges() - out.num_edges());
        EXPECT_EQ(out.Fingerprint(), BuildOrDie(recent, order).Fingerprint());
      }
    }
  }
  Edges untimed = RandomEdges(1, 3, 3, 5);
  CsrGraph out;
  EXPECT_ERROR(BuildOrDie(untimed, NeighborOrder::kInput).RemoveBefore(0, SerialExecutor(), &out),
               Status::Code::kInvalidArgument,
               "removing edges before a timestamp needs a table with timestamps; this one has none");
}

void TestAppendValidationErrors() {
  constexpr auto kInvalid = Status::Code::kInvalidArgument;
  Edges base;
  base.src = {0, 1};
  base.dst = {1, 0};
  base.num_src = 3;
  base.num_dst = 2;
  const CsrGraph plain = BuildOrDie(base, NeighborOrder::kInput);
  base.has_weights = base.has_timestamps = true;
  base.weights = {1.0f, 2.0f};
  base.timestamps = {1, 2};
  const CsrGraph full = BuildOrDie(base, NeighborOrder::kWeightDescending);

  Edges e;
  e.src = {2, 0};
  e.dst = {1, 2};
  e.edge_ids = {7, 8};
  e.has_edge_ids = true;
  e.num_src = 3;
  e.num_dst = 3;
  EXPECT_OK(AppendStatus(plain, e));
  Edges bad = e;
  bad.num_src = 2;
  EXPECT_ERROR(AppendStatus(plain, bad), kInvalid,
               "num_src = 2 is less than the table's 3 source nodes; tables only grow");
  bad = e;
  bad.num_dst = 1;
  EXPECT_ERROR(AppendStatus(plain, bad), kInvalid,
               "num_dst = 1 is less than the table's 2 destination nodes; tables only grow");
  bad = e;
  bad.num_dst = 2;
  EXPECT_ERROR(AppendStatus(plain, bad), kInvalid, "dst[1] = 2 is not in [0, 2)");
  bad = e;
  bad.src[0] = 3;
  EXPECT_ERROR(AppendStatus(plain, bad), kInvalid, "src[0] = 3 is not in [0, 3)");
  bad.src[0] = -1;
  EXPECT_ERROR(AppendStatus(plain, bad), kInvalid, "src[0] = -1 is not in [0, 3)");
  bad = e;
  bad.has_edge_ids = false;
  EXPECT_ERROR(AppendStatus(plain, bad), kInvalid, "appended edges need edge ids, one per edge");
  bad = e;
  bad.has_weights = true;
  bad.weights = {1.0f, 1.0f};
  EXPECT_ERROR(AppendStatus(plain, bad), kInvalid,
               "the table has no weights; appended edges cannot have any");
  bad = e;
  bad.has_timestamps = true;
  bad.timestamps = {1, 1};
  EXPECT_ERROR(AppendStatus(plain, bad), kInvalid,
               "the table has no timestamps; appended edges cannot have any");

  Edges w = e;
  w.has_weights = w.has_timestamps = true;
  w.weights = {1.0f, 0.0f};
  w.timestamps = {3, 4};
  EXPECT_OK(AppendStatus(full, w));
  bad = w;
  bad.has_weights = false;
  EXPECT_ERROR(AppendStatus(full, bad), kInvalid,
               "the table has weights; appended edges need one each");
  bad = w;
  bad.has_timestamps = false;
  EXPECT_ERROR(AppendStatus(full, bad), kInvalid,
               "the table has timestamps; appended edges need one each");
  bad = w;
  bad.weights[1] = -2.0f;
  EXPECT_ERROR(AppendStatus(full, bad), kInvalid, "weights[1] = -2 is not a finite number >= 0");
  bad.weights[1] = std::nanf("");
  EXPECT_ERROR(AppendStatus(full, bad), kInvalid, "weights[1] = nan is not a finite number >= 0");
  bad.weights[1] = 1e-40f;
  EXPECT_ERROR(AppendStatus(full, bad), kInvalid,
               "weights[1] = 1e-40 is subnormal; weights must be 0 or >= 1.17549435e-38");
  // No edges: the columns may be absent even where the table has them.
  Edges none = Slice(e, 0, 0, 4, 5);
  none.has_edge_ids = false;
  CsrGraph grown;
  CHECK_OK(AppendStatus(full, none, &grown));
  EXPECT_EQ(grown.indptr, (std::vector<int64_t>{0, 1, 2, 2, 2}));
  EXPECT_EQ(grown.in_degree, (std::vector<int64_t>{1, 1, 0, 0, 0}));
  EXPECT_TRUE(grown.weighted() && grown.timed());

  Edges square = RandomEdges(3, 4, 4, 10);
  square.symmetric = true;
  const CsrGraph symmetric = BuildOrDie(square, NeighborOrder::kInput);
  Edges more = RandomEdges(4, 5, 5, 3);
  more.has_edge_ids = true;
  more.num_dst = 6;
  EXPECT_ERROR(AppendStatus(symmetric, more), kInvalid,
               "symmetric edges need num_src == num_dst, got 5 and 6");
}

#if defined(__SSE__)
// TensorFlow runs kernels with denormals flushed to zero (MXCSR FTZ and DAZ),
// where a subnormal weight compares equal to 0: the check and the value it
// prints must not depend on that mode.
void TestSubnormalWeightsAreRefusedWhenDenormalsAreFlushed() {
  Edges e;
  e.src = {0, 0};
  e.dst = {1, 1};
  e.weights = {1e-40f, 1e-40f};
  e.has_weights = true;
  e.num_src = 2;
  e.num_dst = 2;
  constexpr unsigned int kFlushDenormals = 0x8040;  // MXCSR FTZ | DAZ
  const unsigned int mxcsr = _mm_getcsr();
  _mm_setcsr(mxcsr | kFlushDenormals);
  const bool flushing = (_mm_getcsr() & kFlushDenormals) == kFlushDenormals;
  const Status status = BuildStatus(e);
  _mm_setcsr(mxcsr);
  EXPECT_TRUE(flushing);
  EXPECT_ERROR(status, Status::Code::kInvalidArgument,
               "weights[0] = 1e-40 is subnormal; weights must be 0 or >= 1.17549435e-38");
}
#endif

}  // namespace
}  // namespace tfgle

int main() {
  using namespace tfgle;  // NOLINT
  RUN_TEST(TestSmallGraphByHand);
  RUN_TEST(TestBipartiteWithEdgeIds);
  RUN_TEST(TestWeightOrderKeepsTiesInInputOrder);
  RUN_TEST(TestTimestampOrderKeepsTiesInInputOrder);
  RUN_TEST(TestSymmetricAddsReversesButSelfLoopsOnce);
  RUN_TEST(TestZeroEdges);
  RUN_TEST(TestRandomGraphsMatchReferenceOnAnyThreadCount);
  RUN_TEST(TestValidationErrors);
  RUN_TEST(TestFirstBadRowIsReportedOnAnyThreadCount);
  RUN_TEST(TestAppendMatchesBuildOfAllEdges);
  RUN_TEST(TestSymmetricAppendAddsReverses);
  RUN_TEST(TestRemoveBeforeMatchesBuildOfRecentEdges);
  RUN_TEST(TestAppendValidationErrors);
#if defined(__SSE__)
  RUN_TEST(TestSubnormalWeightsAreRefusedWhenDenormalsAreFlushed);
#endif
  return tfgle_test::Finish();
}
