#include "custom_ops/core/gather_rows.h"

#include <cstring>
#include <sstream>

namespace tfgle {
namespace {

// Rows read ahead of the one being copied: enough misses in flight to cover
// DRAM latency, few enough that prefetched rows are still cached when copied.
constexpr int64_t kRowsAhead = 16;
constexpr int64_t kCacheLine = 64;

void Prefetch(const char* row, int64_t row_bytes) {
  for (int64_t b = 0; b < row_bytes; b += kCacheLine) __builtin_prefetch(row + b);
}

}  // namespace

Status GatherRows(const char* table, int64_t num_rows, int64_t row_bytes, const int64_t* indices,
                  int64_t num_indices, char* out, const Executor& executor) {
  for (int64_t i = 0; i < num_indices; ++i) {
    if (indices[i] < 0 || indices[i] >= num_rows) {
      std::ostringstream msg;
      msg << "indices[" << i << "] = " << indices[i] << " is not a row of the table: rows are [0, "
          << num_rows << ")";
      return Status::InvalidArgument(msg.str());
    }
  }
  if (row_bytes == 0) return Status::Ok();
  // About a cycle per byte copied when rows miss the caches.
  executor.parallel_for(num_indices, row_bytes + 100, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      if (i + kRowsAhead < end) Prefetch(table + indices[i + kRowsAhead] * row_bytes, row_bytes);
      std::memcpy(out + i * row_bytes, table + indices[i] * row_bytes, row_bytes);
    }
  });
  return Status::Ok();
}

}  // namespace tfgle
