// How the core runs data-parallel work without owning threads.
//
// The core never starts threads: TensorFlow kernels pass an Executor backed by
// the op's intra-op thread pool; unit tests use SerialExecutor().
#ifndef TFGLE_CORE_EXECUTOR_H_
#define TFGLE_CORE_EXECUTOR_H_

#include <cstdint>
#include <functional>

namespace tfgle {

struct Executor {
  // Number of threads that may run shards at once (>= 1).
  int num_threads = 1;
  // Calls fn(begin, end) over disjoint ranges that cover [0, n).
  // cost_per_unit is a rough number of CPU cycles per element (TF's ParallelFor).
  std::function<void(int64_t n, int64_t cost_per_unit,
                     const std::function<void(int64_t, int64_t)>& fn)>
      parallel_for;

  // Runs fn(chunk) for chunk in [0, num_chunks), each chunk as its own shard.
  void ForEachChunk(int64_t num_chunks, const std::function<void(int64_t)>& fn) const {
    parallel_for(num_chunks, /*cost_per_unit=*/int64_t{1} << 40,
                 [&fn](int64_t begin, int64_t end) {
                   for (int64_t c = begin; c < end; ++c) fn(c);
                 });
  }
};

inline Executor SerialExecutor() {
  Executor executor;
  executor.num_threads = 1;
  executor.parallel_for = [](int64_t n, int64_t,
                             const std::function<void(int64_t, int64_t)>& fn) {
    if (n > 0) fn(0, n);
  };
  return executor;
}

}  // namespace tfgle

#endif  // TFGLE_CORE_EXECUTOR_H_
