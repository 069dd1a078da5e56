#include "custom_ops/core/id_map.h"

#include <atomic>

namespace tfgle {

Status IdMap::Build(const int64_t* ids, int64_t n, const Executor& executor) {
  if (n < 0) return Status::InvalidArgument(StrCat("number of ids must be >= 0, got ", n));
  size_ = n;
  first_id_ = n > 0 ? ids[0] : 0;
  // Contiguous ids need no hash table (and cannot contain duplicates).
  std::atomic<bool> contiguous{true};
  executor.parallel_for(n, 2, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end && contiguous.load(std::memory_order_relaxed); ++i) {
      if (static_cast<uint64_t>(ids[i]) - static_cast<uint64_t>(first_id_) !=
          static_cast<uint64_t>(i)) {
        contiguous.store(false, std::memory_order_relaxed);
      }
    }
  });
  identity_ = contiguous.load();
  if (identity_) return Status::Ok();

  ids_.assign(ids, ids + n);
  uint64_t capacity = 16;
  while (capacity < static_cast<uint64_t>(n) * 2) capacity <<= 1;
  slots_.assign(capacity, -1);
  mask_ = capacity - 1;
  // Inserted serially in row order, so the "first" row of a duplicate is well defined.
  for (int64_t i = 0; i < n; ++i) {
    const int64_t id = ids[i];
    uint64_t slot = Hash(id) & mask_;
    while (slots_[slot] >= 0) {
      if (ids_[slots_[slot]] == id) {
        return Status::InvalidArgument(StrCat("duplicate id ", id, " at rows ", slots_[slot],
                                              " and ", i, "; node ids must be unique"));
      }
      slot = (slot + 1) & mask_;
    }
    slots_[slot] = i;
  }
  return Status::Ok();
}

}  // namespace tfgle
