// Tests of the tables that take updates while they are read (versioned.h):
// version numbers, snapshots that outlive updates, an index per version, and
// readers sampling on std::threads while a writer appends (run under
// AddressSanitizer by test_core_cpp.py, which catches a version freed early).
#include "custom_ops/core/versioned.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "custom_ops/core/neighbor_sampler.h"
#include "custom_ops/core/sampling_random.h"
#include "tests/core/test_util.h"

namespace tfgle {
namespace {

using tfgle_test::ThreadExecutor;

constexpr auto kInvalid = Status::Code::kInvalidArgument;
constexpr auto kFailedPrecondition = Status::Code::kFailedPrecondition;

// Columns of a growing edge list; edge i has id i, so every version holds
// exactly the edges [0, num_edges) of the list (the tables are not symmetric).
struct EdgeColumns {
  std::vector<int64_t> src, dst, ids, timestamps;
  std::vector<float> weights;

  void Add(int64_t s, int64_t d, float w, int64_t t) {
    ids.push_back(static_cast<int64_t>(src.size()));
    src.push_back(s);
    dst.push_back(d);
    weights.push_back(w);
    timestamps.push_back(t);
  }
  // Edges [begin, end) with the given node counts.
  EdgeList View(size_t begin, size_t end, int64_t num_src, int64_t num_dst) const {
    EdgeList e;
    e.src = src.data() + begin;
    e.dst = dst.data() + begin;
    e.edge_ids = ids.data() + begin;
    e.weights = weights.data() + begin;
    e.timestamps = timestamps.data() + begin;
    e.num_edges = static_cast<int64_t>(end - begin);
    e.num_src = num_src;
    e.num_dst = num_dst;
    return e;
  }
};

void TestVersionNumbersAndNoOps() {
  EdgeColumns e;
  e.Add(0, 1, 1.0f, 5);
  e.Add(1, 0, 2.0f, 6);
  e.Add(1, 1, 3.0f, 7);
  LiveCsr csr;
  EXPECT_TRUE(csr.Current() == nullptr);
  EXPECT_ERROR(csr.Append(e.View(0, 1, 2, 2), SerialExecutor()), kFailedPrecondition,
               "the table is not built");
  EXPECT_ERROR(csr.RemoveBefore(0, SerialExecutor()), kFailedPrecondition,
               "the table is not built");
  CHECK_OK(csr.Init(e.View(0, 2, 2, 2), NeighborOrder::kTimestampDescending, SerialExecutor()));
  EXPECT_ERROR(csr.Init(e.View(0, 2, 2, 2), NeighborOrder::kInput, SerialExecutor()),
               kFailedPrecondition, "the table is already built");
  int64_t number = -1;
  const std::shared_ptr<const CsrSnapshot> first = csr.Current(&number);
  EXPECT_EQ(number, 0);
  EXPECT_EQ(first->graph().num_edges(), 2);

  // Nothing to append, nothing removed, or an error: no new version.
  CHECK_OK(csr.Append(e.View(2, 2, -1, 2), SerialExecutor(), &number));
  EXPECT_EQ(number, 0);
  CHECK_OK(csr.RemoveBefore(5, SerialExecutor(), &number));
  EXPECT_EQ(number, 0);
  EXPECT_ERROR(csr.Append(e.View(2, 3, 2, 1), SerialExecutor()), kInvalid,
               "num_dst = 1 is less than the table's 2 destination nodes");
  EXPECT_TRUE(csr.Current(&number) == first);
  EXPECT_EQ(number, 0);

  // Negative counts keep the table's.
  CHECK_OK(csr.Append(e.View(2, 3, -1, -1), SerialExecutor(), &number));
  EXPECT_EQ(number, 1);
  const std::shared_ptr<const CsrSnapshot> second = csr.Current();
  EXPECT_EQ(second->graph().num_src, 2);
  EXPECT_EQ(second->graph().indices, (std::vector<int64_t>{1, 1, 0}));  // latest first
  CHECK_OK(csr.RemoveBefore(6, SerialExecutor(), &number));
  EXPECT_EQ(number, 2);
  EXPECT_EQ(csr.Current()->graph().edge_ids, (std::vector<int64_t>{2, 1}));
  // The versions read before are intact.
  EXPECT_EQ(first->graph().edge_ids, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(second->graph().edge_ids, (std::vector<int64_t>{0, 2, 1}));
  EXPECT_TRUE(csr.ByteSize() >= csr.Current()->ByteSize());
}

// Sampling tables belong to their version: a newer version builds its own.
void TestEachVersionHasItsOwnIndex() {
  EdgeColumns e;
  e.Add(0, 1, 1.0f, 0);
  e.Add(0, 2, 0.0f, 0);
  e.Add(0, 2, 4.0f, 0);
  LiveCsr csr;
  CHECK_OK(csr.Init(e.View(0, 2, 3, 3), NeighborOrder::kInput, SerialExecutor()));
  const auto v0 = csr.Current();
  const RowAlias* alias0;
  CHECK_OK(v0->index()->EdgeWeightAlias(&alias0));
  EXPECT_EQ(alias0->threshold.size(), size_t{2});
  CHECK_OK(csr.Append(e.View(2, 3, 3, 3), SerialExecutor()));
  const auto v1 = csr.Current();
  const RowAlias* alias1;
  CHECK_OK(v1->index()->EdgeWeightAlias(&alias1));
  EXPECT_TRUE(alias1 != alias0);
  EXPECT_EQ(alias1->threshold.size(), size_t{3});
  // Weighted draws see the new edge (weight 4 of 5): entry 2 comes up.
  NeighborSamplerOptions options;
  options.strategy = NeighborStrategy::kEdgeWeight;
  options.fanout = 200;
  const int64_t ids[] = {0};
  NeighborRequest request;
  request.ids = ids;
  request.num_rows = 1;
  std::vector<int64_t> neighbors(200), edge_ids(200);
  std::unique_ptr<bool[]> mask(new bool[200]);
  NeighborOutput output{neighbors.data(), edge_ids.data(), mask.get(), nullptr};
  CHECK_OK(SampleNeighbors(v1->graph(), v1->index(), options, request, MakePhilox(1, 2, 0),
                           SerialExecutor(), output));
  EXPECT_TRUE(std::count(edge_ids.begin(), edge_ids.end(), 2) > 100);
  EXPECT_EQ(std::count(edge_ids.begin(), edge_ids.end(), 1), 0);  // weight 0
  CHECK_OK(SampleNeighbors(v0->graph(), v0->index(), options, request, MakePhilox(1, 2, 0),
                           SerialExecutor(), output));
  EXPECT_EQ(std::count(edge_ids.begin(), edge_ids.end(), 0), 200);
}

// Readers sample on their own threads while a writer appends batches (with
// growing node counts): every sampled edge is an edge of the version the
// reader took, its in-degrees are that version's, and the final version is
// the graph built from all the edges at once. Memory recycled between
// versions must never be one a reader still holds (ASan would see it).
void TestReadersAndWriterConcurrently() {
  std::mt19937_64 rng(5);
  EdgeColumns e;
  constexpr int64_t kBatches = 60, kBatchSize = 300, kFirstNodes = 200, kGrowth = 10;
  const int64_t final_nodes = kFirstNodes + kBatches * kGrowth;
  std::vector<int64_t> batch_end, batch_nodes;
  for (int64_t b = 0; b <= kBatches; ++b) {
    const int64_t nodes = kFirstNodes + b * kGrowth;
    for (int64_t i = 0; i < (b == 0 ? 2000 : kBatchSize); ++i) {
      e.Add(static_cast<int64_t>(rng() % nodes), static_cast<int64_t>(rng() % nodes),
            0.5f + static_cast<float>(rng() % 4), static_cast<int64_t>(e.src.size()));
    }
    batch_end.push_back(static_cast<int64_t>(e.src.size()));
    batch_nodes.push_back(nodes);
  }
  for (NeighborOrder order : {NeighborOrder::kInput, NeighborOrder::kTimestampDescending}) {
    LiveCsr csr;
    CHECK_OK(csr.Init(e.View(0, batch_end[0], kFirstNodes, kFirstNodes), order,
                      ThreadExecutor(2)));
    std::atomic<bool> done{false};
    std::atomic<int64_t> calls{0}, bad{0};
    auto reader = [&](int id) {
      const NeighborStrategy strategies[] = {NeighborStrategy::kRandom,
                                             NeighborStrategy::kEdgeWeight,
                                             NeighborStrategy::kInDegree};
      std::vector<int64_t> ids(64), neighbors, edge_ids;
      std::unique_ptr<bool[]> mask(new bool[64 * 5]);
      for (uint64_t round = 0; !done.load() || round < 3; ++round) {
        int64_t number;
        const std::shared_ptr<const CsrSnapshot> version = csr.Current(&number);
        const CsrGraph& g = version->graph();
        for (int64_t r = 0; r < 64; ++r) {
          ids[r] = static_cast<int64_t>((round * 7919 + r * 31) % g.num_src);
        }
        NeighborSamplerOptions options;
        options.strategy = strategies[(round + id) % 3];
        options.fanout = 5;
        NeighborRequest request;
        request.ids = ids.data();
        request.num_rows = 64;
        neighbors.assign(64 * 5, -9);
        edge_ids.assign(64 * 5, -9);
        NeighborOutput output{neighbors.data(), edge_ids.data(), mask.get(), nullptr};
        const Status status = SampleNeighbors(g, version->index(), options, request,
                                              MakePhilox(round, id, 0), SerialExecutor(),
                                              output);
        if (!status.ok()) ++bad;
        for (int64_t k = 0; k < 64 * 5; ++k) {
          if (!mask[k]) continue;
          const int64_t eid = edge_ids[k];
          // An edge of this version (ids [0, num_edges)) leaving the row's node.
          if (eid < 0 || eid >= g.num_edges() || e.src[eid] != ids[k / 5] ||
              e.dst[eid] != neighbors[k]) {
            ++bad;
          }
        }
        // The version's in-degrees count exactly its edges.
        const int64_t probe = static_cast<int64_t>(round % g.num_dst);
        int64_t in_degree = 0;
        for (int64_t i = 0; i < g.num_edges(); ++i) in_degree += e.dst[i] == probe;
        if (g.in_degree[probe] != in_degree) ++bad;
        ++calls;
      }
    };
    std::vector<std::thread> readers;
    for (int r = 0; r < 3; ++r) readers.emplace_back(reader, r);
    for (int64_t b = 1; b <= kBatches; ++b) {
      int64_t number;
      CHECK_OK(csr.Append(e.View(batch_end[b - 1], batch_end[b], batch_nodes[b], batch_nodes[b]),
                          b % 2 ? SerialExecutor() : ThreadExecutor(2), &number));
      EXPECT_EQ(number, b);
    }
    done = true;
    for (std::thread& t : readers) t.join();
    EXPECT_EQ(bad.load(), 0);
    EXPECT_TRUE(calls.load() >= 9);
    CsrGraph whole;
    CHECK_OK(CsrGraph::Build(e.View(0, e.src.size(), final_nodes, final_nodes), order,
                             SerialExecutor(), &whole));
    const auto last = csr.Current();
    EXPECT_EQ(last->graph().Fingerprint(), whole.Fingerprint());
    EXPECT_EQ(last->graph().in_degree, whole.in_degree);
  }
}

void TestIdMapVersions() {
  LiveIdMap map;
  const std::vector<int64_t> ids = {10, 11, 12, 40, 41};
  EXPECT_ERROR(map.Append(ids.data(), 1, SerialExecutor()), kFailedPrecondition,
               "the id map is not built");
  CHECK_OK(map.Init(ids.data(), 3, SerialExecutor()));
  EXPECT_ERROR(map.Init(ids.data(), 3, SerialExecutor()), kFailedPrecondition,
               "the id map is already built");
  const std::shared_ptr<const IdMap> first = map.Current();
  int64_t size = -1;
  CHECK_OK(map.Append(ids.data() + 3, 2, SerialExecutor(), &size));
  EXPECT_EQ(size, 5);
  EXPECT_EQ(map.Current()->Find(41), 4);
  EXPECT_EQ(first->Find(41), -1);  // the old version is unchanged
  EXPECT_EQ(first->size(), 3);
  // A failed append publishes nothing.
  const std::shared_ptr<const IdMap> second = map.Current();
  const std::vector<int64_t> known = {50, 11};
  EXPECT_ERROR(map.Append(known.data(), 2, SerialExecutor()), kInvalid,
               "ids[1] = 11 is already in the id map (at index 1)");
  EXPECT_TRUE(map.Current() == second);
  EXPECT_EQ(second->Find(11), 1);
}

// Lookups on their own threads while ids are appended: a reader's version
// knows exactly the ids appended before it.
void TestIdMapReadersAndWriterConcurrently() {
  LiveIdMap map;
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < 5000; ++i) ids.push_back(i * 7919 % 100003);
  CHECK_OK(map.Init(ids.data(), 100, SerialExecutor()));
  std::atomic<bool> done{false};
  std::atomic<int64_t> bad{0};
  auto reader = [&] {
    for (int64_t round = 0; !done.load() || round < 3; ++round) {
      const std::shared_ptr<const IdMap> version = map.Current();
      const int64_t n = version->size();
      for (int64_t i = round % 37; i < static_cast<int64_t>(ids.size()); i += 37) {
        if (version->Find(ids[i]) != (i < n ? i : -1)) ++bad;
      }
    }
  };
  std::thread a(reader), b(reader);
  for (int64_t begin = 100; begin < 5000; begin += 70) {
    const int64_t n = std::min<int64_t>(70, 5000 - begin);
    CHECK_OK(map.Append(ids.data() + begin, n, SerialExecutor()));
  }
  done = true;
  a.join();
  b.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(map.Current()->size(), 5000);
}

}  // namespace
}  // namespace tfgle

int main() {
  using namespace tfgle;  // NOLINT
  RUN_TEST(TestVersionNumbersAndNoOps);
  RUN_TEST(TestEachVersionHasItsOwnIndex);
  RUN_TEST(TestReadersAndWriterConcurrently);
  RUN_TEST(TestIdMapVersions);
  RUN_TEST(TestIdMapReadersAndWriterConcurrently);
  return tfgle_test::Finish();
}
