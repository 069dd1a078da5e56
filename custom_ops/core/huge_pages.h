// Huge-page hints for the large arrays of a graph table.
//
// Random access into hundreds of MB spends much of its time on TLB misses
// with 4 KB pages. These are hints only: nothing changes where the kernel does
// not support them.
#ifndef TFGLE_CORE_HUGE_PAGES_H_
#define TFGLE_CORE_HUGE_PAGES_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace tfgle {

// Asks for huge pages on the 2 MB-aligned interior of [p, p + bytes). With
// `collapse`, also moves already touched pages now (MADV_COLLAPSE, Linux 6.1+:
// about 1 s of CPU per 300 MB); without, only pages touched later are huge.
inline void AdviseHugePagesFor(const void* p, size_t bytes, bool collapse = true) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHuge = uintptr_t{1} << 21;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(kHuge - 1);
  if (p == nullptr || end <= begin) return;
  void* start = reinterpret_cast<void*>(begin);
  if (madvise(start, end - begin, MADV_HUGEPAGE) != 0 || !collapse) return;
  constexpr int kMadvCollapse = 25;
  madvise(start, end - begin, kMadvCollapse);
#else
  (void)p;
  (void)bytes;
  (void)collapse;
#endif
}

template <typename T>
void AdviseHugePagesFor(const std::vector<T>& v) {
  AdviseHugePagesFor(v.data(), v.size() * sizeof(T));
}

// Resizes `v` to n elements whose values the caller then overwrites (they are
// unspecified), asking for huge pages before new memory is first touched, so
// that no collapse is needed later. Reuses `v`'s memory when it is large
// enough, else allocates room for max(n, capacity) elements.
template <typename T>
void ResizeWithHugePages(std::vector<T>* v, int64_t n, int64_t capacity = 0) {
  const size_t size = static_cast<size_t>(n);
  if (size > v->capacity()) {
    const size_t room = std::max(size, static_cast<size_t>(capacity));
    std::vector<T> fresh;
    fresh.reserve(room);
    AdviseHugePagesFor(fresh.data(), room * sizeof(T), /*collapse=*/false);
    v->swap(fresh);
  }
  v->resize(size);
}

}  // namespace tfgle

#endif  // TFGLE_CORE_HUGE_PAGES_H_
