#include "custom_ops/core/id_map.h"

#include <algorithm>
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
  Rehash();
  // Inserted serially in row order, so the "first" row of a duplicate is well defined.
  for (int64_t i = 0; i < n; ++i) {
    int64_t existing;
    if (!Insert(i, &existing)) {
      return Status::InvalidArgument(StrCat("duplicate id ", ids[i], " at rows ", existing,
                                            " and ", i, "; node ids must be unique"));
    }
  }
  return Status::Ok();
}

void IdMap::Rehash() {
  uint64_t capacity = 16;
  while (capacity < static_cast<uint64_t>(ids_.size()) * 2) capacity <<= 1;
  slots_.assign(capacity, -1);
  mask_ = capacity - 1;
}

bool IdMap::Insert(int64_t index, int64_t* existing) {
  const int64_t id = ids_[index];
  uint64_t slot = Hash(id) & mask_;
  while (slots_[slot] >= 0) {
    if (ids_[slots_[slot]] == id) {
      *existing = slots_[slot];
      return false;
    }
    slot = (slot + 1) & mask_;
  }
  slots_[slot] = index;
  return true;
}

Status IdMap::Append(const int64_t* ids, int64_t n, const Executor& executor) {
  if (n < 0) return Status::InvalidArgument(StrCat("number of ids must be >= 0, got ", n));
  if (size_ == 0) return Build(ids, n, executor);
  const int64_t old_size = size_;
  if (identity_) {
    // Still contiguous if the new ids continue the range (then none is known).
    std::atomic<bool> continues{true};
    executor.parallel_for(n, 2, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end && continues.load(std::memory_order_relaxed); ++i) {
        if (static_cast<uint64_t>(ids[i]) - static_cast<uint64_t>(first_id_) !=
            static_cast<uint64_t>(old_size + i)) {
          continues.store(false, std::memory_order_relaxed);
        }
      }
    });
    if (continues.load()) {
      size_ += n;
      return Status::Ok();
    }
    // Leave the fast path: the known ids go into a hash table.
    ids_.resize(old_size);
    for (int64_t i = 0; i < old_size; ++i) {
      ids_[i] = static_cast<int64_t>(static_cast<uint64_t>(first_id_) + static_cast<uint64_t>(i));
    }
    identity_ = false;
    Rehash();
    for (int64_t i = 0; i < old_size; ++i) {
      int64_t unused;
      Insert(i, &unused);
    }
  }
  ids_.insert(ids_.end(), ids, ids + n);
  if (slots_.size() < ids_.size() * 2) {  // keep the table at most half full
    Rehash();
    for (int64_t i = 0; i < old_size; ++i) {
      int64_t unused;
      Insert(i, &unused);
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    int64_t existing;
    if (!Insert(old_size + i, &existing)) {
      if (existing < old_size) {
        return Status::InvalidArgument(StrCat("ids[", i, "] = ", ids[i],
                                              " is already in the id map (at index ", existing,
                                              "); only new ids can be appended"));
      }
      return Status::InvalidArgument(StrCat("duplicate id ", ids[i], " at ids[",
                                            existing - old_size, "] and ids[", i,
                                            "]; appended ids must be unique"));
    }
  }
  size_ += n;
  return Status::Ok();
}

}  // namespace tfgle
