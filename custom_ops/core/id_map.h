// External node id -> dense index [0, n) for one node type.
#ifndef TFGLE_CORE_ID_MAP_H_
#define TFGLE_CORE_ID_MAP_H_

#include <cstdint>
#include <vector>

#include "custom_ops/core/executor.h"
#include "custom_ops/core/status.h"

namespace tfgle {

class IdMap {
 public:
  // Maps ids[i] -> i. Fails, naming both rows, if an id occurs twice.
  Status Build(const int64_t* ids, int64_t n, const Executor& executor);

  // Maps ids[i] -> size() + i for the n new ids. Fails, naming it, if an id
  // is already in the map or occurs twice among `ids`; on failure the map is
  // left partly grown (append to a copy to keep the original). Contiguous ids
  // that continue a contiguous map stay on the fast path (O(n)); otherwise the
  // ids go into the hash table, rehashed to a larger one when it is half full.
  Status Append(const int64_t* ids, int64_t n, const Executor& executor);

  // The dense index of `id`, or -1 if the id is unknown.
  int64_t Find(int64_t id) const {
    if (identity_) {
      const uint64_t offset = static_cast<uint64_t>(id) - static_cast<uint64_t>(first_id_);
      return offset < static_cast<uint64_t>(size_) ? static_cast<int64_t>(offset) : -1;
    }
    for (uint64_t slot = Hash(id) & mask_;; slot = (slot + 1) & mask_) {
      const int64_t index = slots_[slot];
      if (index < 0) return -1;
      if (ids_[index] == id) return index;
    }
  }

  int64_t size() const { return size_; }
  // Bytes held by the map (for memory accounting).
  int64_t ByteSize() const {
    return static_cast<int64_t>((slots_.capacity() + ids_.capacity()) * sizeof(int64_t));
  }

 private:
  // Empties the hash table, sized for ids_ (at most half full).
  void Rehash();
  // Adds ids_[index] to the hash table; false if the id is there already
  // (`*existing` gets its index).
  bool Insert(int64_t index, int64_t* existing);

  static uint64_t Hash(int64_t id) {  // splitmix64 finalizer
    uint64_t x = static_cast<uint64_t>(id);
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
  }

  int64_t size_ = 0;
  // Fast path: ids are first_id_, first_id_ + 1, ... (the common 0..n-1 case).
  bool identity_ = true;
  int64_t first_id_ = 0;
  // Open addressing with linear probing; slots_ hold row indices, -1 = empty.
  std::vector<int64_t> ids_;
  std::vector<int64_t> slots_;
  uint64_t mask_ = 0;
};

}  // namespace tfgle

#endif  // TFGLE_CORE_ID_MAP_H_
