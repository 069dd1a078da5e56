// Tests of tfgle::IdMap: external int64 id -> dense index, built and grown.
#include "custom_ops/core/id_map.h"

#include <cstdint>
#include <limits>
#include <random>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tests/core/test_util.h"

namespace tfgle {
namespace {

using tfgle_test::ThreadExecutor;

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

IdMap BuildOrDie(const std::vector<int64_t>& ids, const Executor& executor = SerialExecutor()) {
  IdMap map;
  CHECK_OK(map.Build(ids.data(), static_cast<int64_t>(ids.size()), executor));
  return map;
}

// Every id maps to its row; ids not in the list map to -1.
void ExpectMapsRows(const IdMap& map, const std::vector<int64_t>& ids) {
  EXPECT_EQ(map.size(), static_cast<int64_t>(ids.size()));
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(map.Find(ids[i]), static_cast<int64_t>(i));
}

void TestEmpty() {
  IdMap map = BuildOrDie({});
  EXPECT_EQ(map.size(), 0);
  for (int64_t id : {int64_t{0}, int64_t{1}, int64_t{-1}, kMin, kMax}) EXPECT_EQ(map.Find(id), -1);
}

void TestNegativeCountIsAnError() {
  IdMap map;
  const int64_t id = 0;
  EXPECT_ERROR(map.Build(&id, -1, SerialExecutor()), Status::Code::kInvalidArgument,
               "number of ids must be >= 0, got -1");
}

void TestContiguousFromZero() {
  std::vector<int64_t> ids(1000);
  for (int64_t i = 0; i < 1000; ++i) ids[i] = i;
  IdMap map = BuildOrDie(ids);
  ExpectMapsRows(map, ids);
  for (int64_t id : {int64_t{-1}, int64_t{1000}, int64_t{1001}, kMin, kMax}) {
    EXPECT_EQ(map.Find(id), -1);
  }
}

void TestContiguousWithOffset() {
  IdMap map = BuildOrDie({-2, -1, 0, 1});
  ExpectMapsRows(map, {-2, -1, 0, 1});
  EXPECT_EQ(map.Find(-3), -1);
  EXPECT_EQ(map.Find(2), -1);
  EXPECT_EQ(map.Find(kMin), -1);
  EXPECT_EQ(map.Find(kMax), -1);
}

void TestContiguousAtTheTopOfTheRange() {
  // first_id + size does not fit in int64: unknown ids must still be rejected.
  IdMap map = BuildOrDie({kMax - 2, kMax - 1, kMax});
  ExpectMapsRows(map, {kMax - 2, kMax - 1, kMax});
  EXPECT_EQ(map.Find(kMax - 3), -1);
  EXPECT_EQ(map.Find(kMin), -1);
  EXPECT_EQ(map.Find(0), -1);
}

void TestSingleId() {
  IdMap map = BuildOrDie({kMin});
  ExpectMapsRows(map, {kMin});
  EXPECT_EQ(map.Find(kMin + 1), -1);
  EXPECT_EQ(map.Find(kMax), -1);
}

void TestHashedSmall() {
  const std::vector<int64_t> ids = {100, -3, 7, int64_t{1} << 62, kMin, kMax, 0};
  IdMap map = BuildOrDie(ids);
  ExpectMapsRows(map, ids);
  for (int64_t id : {int64_t{1}, int64_t{-4}, int64_t{99}, int64_t{101}, kMin + 1, kMax - 1}) {
    EXPECT_EQ(map.Find(id), -1);
  }
}

void TestAlmostContiguousIsHashed() {
  // Contiguous except for the last id: must not be mistaken for a range.
  std::vector<int64_t> ids = {10, 11, 12, 13, 20};
  IdMap map = BuildOrDie(ids);
  ExpectMapsRows(map, ids);
  EXPECT_EQ(map.Find(14), -1);
  EXPECT_EQ(map.Find(9), -1);
  // Descending ids are not a range either.
  ids = {3, 2, 1, 0};
  map = BuildOrDie(ids);
  ExpectMapsRows(map, ids);
  EXPECT_EQ(map.Find(4), -1);
}

// Random ids against std::unordered_map, with hits and misses.
void TestHashedRandomMatchesReference() {
  std::mt19937_64 rng(42);
  for (int64_t n : {1, 2, 15, 16, 17, 1000, 100000}) {
    std::unordered_set<int64_t> seen;
    std::vector<int64_t> ids;
    while (static_cast<int64_t>(ids.size()) < n) {
      // Clustered small ids (probe collisions) mixed with full-range ones.
      const int64_t id = (rng() & 1) ? static_cast<int64_t>(rng() % (4 * n)) - n
                                     : static_cast<int64_t>(rng());
      if (seen.insert(id).second) ids.push_back(id);
    }
    std::unordered_map<int64_t, int64_t> reference;
    for (int64_t i = 0; i < n; ++i) reference[ids[i]] = i;
    IdMap map = BuildOrDie(ids);
    ExpectMapsRows(map, ids);
    for (int q = 0; q < 20000; ++q) {
      const int64_t id = (q & 1) ? static_cast<int64_t>(rng() % (6 * n)) - 2 * n
                                 : static_cast<int64_t>(rng());
      auto it = reference.find(id);
      EXPECT_EQ(map.Find(id), it == reference.end() ? -1 : it->second);
    }
  }
}

void TestDuplicateNamesBothRows() {
  IdMap map;
  std::vector<int64_t> ids = {3, 7, 9, 7};
  EXPECT_ERROR(map.Build(ids.data(), 4, SerialExecutor()), Status::Code::kInvalidArgument,
               "duplicate id 7 at rows 1 and 3; node ids must be unique");
  // The first repeat is reported, whatever comes later.
  ids = {5, 6, 5, 6, 6};
  EXPECT_ERROR(map.Build(ids.data(), 5, SerialExecutor()), Status::Code::kInvalidArgument,
               "duplicate id 5 at rows 0 and 2;");
  ids = {kMin, 1, kMin};
  EXPECT_ERROR(map.Build(ids.data(), 3, SerialExecutor()), Status::Code::kInvalidArgument,
               "duplicate id -9223372036854775808 at rows 0 and 2;");
  // A duplicate far into a large list whose prefix looks contiguous.
  ids.clear();
  for (int64_t i = 0; i < 50000; ++i) ids.push_back(i);
  ids.push_back(123);
  EXPECT_ERROR(map.Build(ids.data(), static_cast<int64_t>(ids.size()), ThreadExecutor(2)),
               Status::Code::kInvalidArgument, "duplicate id 123 at rows 123 and 50000;");
}

void TestRebuildReplacesTheMap() {
  IdMap map = BuildOrDie({10, 30, 20});
  CHECK_OK(map.Build(std::vector<int64_t>{4, 5}.data(), 2, SerialExecutor()));
  ExpectMapsRows(map, {4, 5});
  EXPECT_EQ(map.Find(10), -1);
  const std::vector<int64_t> ids = {8, 1, 6};
  CHECK_OK(map.Build(ids.data(), 3, SerialExecutor()));
  ExpectMapsRows(map, ids);
  EXPECT_EQ(map.Find(4), -1);
  EXPECT_EQ(map.Find(5), -1);
}

// The same map whatever the thread count, for both representations.
void TestThreadCountDoesNotMatter() {
  std::mt19937_64 rng(7);
  std::vector<int64_t> contiguous(200000), hashed(200000);
  for (int64_t i = 0; i < 200000; ++i) contiguous[i] = 1000 + i;
  std::unordered_set<int64_t> seen;
  for (auto& id : hashed) {
    do id = static_cast<int64_t>(rng() % 10000000); while (!seen.insert(id).second);
  }
  for (const auto* ids : {&contiguous, &hashed}) {
    const IdMap serial = BuildOrDie(*ids);
    for (int threads : {2, 3}) {
      const IdMap parallel = BuildOrDie(*ids, ThreadExecutor(threads));
      ExpectMapsRows(parallel, *ids);
      for (int q = 0; q < 10000; ++q) {
        const int64_t id = static_cast<int64_t>(rng() % 20000000) - 5000000;
        EXPECT_EQ(parallel.Find(id), serial.Find(id));
      }
    }
  }
}

// ------------------------------------------------------------------ Append

void AppendOrDie(IdMap* map, const std::vector<int64_t>& ids,
                 const Executor& executor = SerialExecutor()) {
  CHECK_OK(map->Append(ids.data(), static_cast<int64_t>(ids.size()), executor));
}

// Ids that continue a contiguous map keep it on the fast path (no table).
void TestAppendContinuingIdsStaysContiguous() {
  IdMap map = BuildOrDie({5, 6, 7});
  AppendOrDie(&map, {8, 9});
  AppendOrDie(&map, {}, ThreadExecutor(2));
  AppendOrDie(&map, {10}, ThreadExecutor(2));
  ExpectMapsRows(map, {5, 6, 7, 8, 9, 10});
  EXPECT_EQ(map.Find(4), -1);
  EXPECT_EQ(map.Find(11), -1);
  EXPECT_EQ(map.ByteSize(), 0);
}

// Other ids move a contiguous map to the hash table; an empty map takes the
// appended ids as if built from them.
void TestAppendLeavesTheContiguousPath() {
  IdMap map = BuildOrDie({0, 1, 2, 3});
  AppendOrDie(&map, {100, -5, 4});
  ExpectMapsRows(map, {0, 1, 2, 3, 100, -5, 4});
  EXPECT_EQ(map.Find(5), -1);
  EXPECT_EQ(map.Find(99), -1);
  EXPECT_TRUE(map.ByteSize() > 0);

  IdMap empty = BuildOrDie({});
  AppendOrDie(&empty, {kMax - 1, kMax});
  ExpectMapsRows(empty, {kMax - 1, kMax});
  EXPECT_EQ(empty.ByteSize(), 0);
  AppendOrDie(&empty, {kMin});
  ExpectMapsRows(empty, {kMax - 1, kMax, kMin});
}

// Many appends to a hashed map (with rehashes) against a reference.
void TestAppendManyBatchesMatchesReference() {
  std::mt19937_64 rng(11);
  std::vector<int64_t> all;
  std::unordered_set<int64_t> seen;
  auto fresh = [&](int64_t n) {
    std::vector<int64_t> ids;
    while (static_cast<int64_t>(ids.size()) < n) {
      const int64_t id = static_cast<int64_t>(rng() % 1000000) - 500000;
      if (seen.insert(id).second) ids.push_back(id);
    }
    all.insert(all.end(), ids.begin(), ids.end());
    return ids;
  };
  IdMap map = BuildOrDie(fresh(100));
  for (int batch = 0; batch < 40; ++batch) {
    AppendOrDie(&map, fresh(batch * 7 % 150), ThreadExecutor(2));
  }
  ExpectMapsRows(map, all);
  for (int q = 0; q < 20000; ++q) {
    const int64_t id = static_cast<int64_t>(rng() % 2000000) - 1000000;
    if (seen.count(id) == 0) EXPECT_EQ(map.Find(id), -1);
  }
}

void TestAppendErrorsNameTheId() {
  constexpr auto kInvalid = Status::Code::kInvalidArgument;
  const std::vector<int64_t> known = {3, 1};
  IdMap contiguous = BuildOrDie({0, 1, 2});
  EXPECT_ERROR(contiguous.Append(known.data(), 2, SerialExecutor()), kInvalid,
               "ids[1] = 1 is already in the id map (at index 1); only new ids can be appended");
  IdMap hashed = BuildOrDie({10, 30, 20});
  const std::vector<int64_t> again = {5, 30};
  EXPECT_ERROR(hashed.Append(again.data(), 2, SerialExecutor()), kInvalid,
               "ids[1] = 30 is already in the id map (at index 1)");
  IdMap other = BuildOrDie({10, 30, 20});
  const std::vector<int64_t> twice = {5, 6, 7, 6};
  EXPECT_ERROR(other.Append(twice.data(), 4, SerialExecutor()), kInvalid,
               "duplicate id 6 at ids[1] and ids[3]; appended ids must be unique");
  IdMap any = BuildOrDie({1});
  EXPECT_ERROR(any.Append(twice.data(), -1, SerialExecutor()), kInvalid,
               "number of ids must be >= 0, got -1");
}

}  // namespace
}  // namespace tfgle

int main() {
  using namespace tfgle;  // NOLINT
  RUN_TEST(TestEmpty);
  RUN_TEST(TestNegativeCountIsAnError);
  RUN_TEST(TestContiguousFromZero);
  RUN_TEST(TestContiguousWithOffset);
  RUN_TEST(TestContiguousAtTheTopOfTheRange);
  RUN_TEST(TestSingleId);
  RUN_TEST(TestHashedSmall);
  RUN_TEST(TestAlmostContiguousIsHashed);
  RUN_TEST(TestHashedRandomMatchesReference);
  RUN_TEST(TestDuplicateNamesBothRows);
  RUN_TEST(TestRebuildReplacesTheMap);
  RUN_TEST(TestThreadCountDoesNotMatter);
  RUN_TEST(TestAppendContinuingIdsStaysContiguous);
  RUN_TEST(TestAppendLeavesTheContiguousPath);
  RUN_TEST(TestAppendManyBatchesMatchesReference);
  RUN_TEST(TestAppendErrorsNameTheId);
  return tfgle_test::Finish();
}
