#include "custom_ops/core/csr_graph.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

namespace tfgle {
namespace {

// Lowers `target` to `value` if smaller (first bad row wins, whatever the shard order).
void AtomicMin(std::atomic<int64_t>* target, int64_t value) {
  int64_t current = target->load(std::memory_order_relaxed);
  while (value < current && !target->compare_exchange_weak(current, value)) {
  }
}

constexpr int64_t kNone = std::numeric_limits<int64_t>::max();

// Index of the first i in [0, n) with bad(i), or kNone.
template <typename Pred>
int64_t FirstBad(int64_t n, const Executor& executor, Pred bad) {
  std::atomic<int64_t> first{kNone};
  executor.parallel_for(n, 4, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end && i < first.load(std::memory_order_relaxed); ++i) {
      if (bad(i)) {
        AtomicMin(&first, i);
        return;
      }
    }
  });
  return first.load();
}

Status Validate(const EdgeList& e, const Executor& executor) {
  if (e.num_edges < 0 || e.num_src < 0 || e.num_dst < 0) {
    return Status::InvalidArgument(StrCat("sizes must be >= 0, got num_edges=", e.num_edges,
                                          " num_src=", e.num_src, " num_dst=", e.num_dst));
  }
  if (e.symmetric && e.num_src != e.num_dst) {
    return Status::InvalidArgument(
        StrCat("symmetric edges need num_src == num_dst, got ", e.num_src, " and ", e.num_dst));
  }
  int64_t bad = FirstBad(e.num_edges, executor, [&](int64_t i) {
    return static_cast<uint64_t>(e.src[i]) >= static_cast<uint64_t>(e.num_src);
  });
  if (bad != kNone) {
    return Status::InvalidArgument(
        StrCat("src[", bad, "] = ", e.src[bad], " is not in [0, ", e.num_src, ")"));
  }
  bad = FirstBad(e.num_edges, executor, [&](int64_t i) {
    return static_cast<uint64_t>(e.dst[i]) >= static_cast<uint64_t>(e.num_dst);
  });
  if (bad != kNone) {
    return Status::InvalidArgument(
        StrCat("dst[", bad, "] = ", e.dst[bad], " is not in [0, ", e.num_dst, ")"));
  }
  if (e.weights != nullptr) {
    bad = FirstBad(e.num_edges, executor,
                   [&](int64_t i) { return !(std::isfinite(e.weights[i]) && e.weights[i] >= 0); });
    if (bad != kNone) {
      return Status::InvalidArgument(StrCat("weights[", bad, "] = ", e.weights[bad],
                                            " is not a finite number >= 0"));
    }
  }
  return Status::Ok();
}

// Reorders one row's entries [begin, end) by descending key, stably.
template <typename Key>
void SortRowDescending(CsrGraph* g, const Key* key, int64_t begin, int64_t end,
                       std::vector<int64_t>* perm, std::vector<int64_t>* scratch_i,
                       std::vector<float>* scratch_f) {
  const int64_t n = end - begin;
  perm->resize(n);
  std::iota(perm->begin(), perm->end(), begin);
  std::stable_sort(perm->begin(), perm->end(),
                   [key](int64_t a, int64_t b) { return key[a] > key[b]; });
  auto apply = [&](auto* column, auto* scratch) {
    if (column->empty()) return;
    scratch->resize(n);
    for (int64_t i = 0; i < n; ++i) (*scratch)[i] = (*column)[(*perm)[i]];
    std::copy(scratch->begin(), scratch->end(), column->begin() + begin);
  };
  apply(&g->indices, scratch_i);
  apply(&g->edge_ids, scratch_i);
  apply(&g->timestamps, scratch_i);
  apply(&g->weights, scratch_f);
}

}  // namespace

int64_t CsrGraph::ByteSize() const {
  return static_cast<int64_t>((indptr.capacity() + indices.capacity() + edge_ids.capacity() +
                               timestamps.capacity() + in_degree.capacity()) *
                                  sizeof(int64_t) +
                              weights.capacity() * sizeof(float));
}

namespace {

// Mixes 8-byte words into a running hash (multiply-xorshift, as in splitmix64).
class Hasher {
 public:
  void Add(uint64_t word) {
    h_ = (h_ ^ word) * 0x9E3779B97F4A7C15ull;
    h_ ^= h_ >> 29;
  }
  template <typename T>
  void AddAll(const std::vector<T>& values) {
    Add(values.size());
    for (const T& value : values) {
      uint64_t word = 0;
      std::memcpy(&word, &value, sizeof(T));
      Add(word);
    }
  }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 0x243F6A8885A308D3ull;
};

}  // namespace

uint64_t CsrGraph::Fingerprint() const {
  Hasher hasher;
  hasher.Add(static_cast<uint64_t>(num_src));
  hasher.Add(static_cast<uint64_t>(num_dst));
  hasher.AddAll(indptr);
  hasher.AddAll(indices);
  hasher.AddAll(edge_ids);
  hasher.AddAll(weights);
  hasher.AddAll(timestamps);
  return hasher.value();
}

Status CsrGraph::Build(const EdgeList& e, NeighborOrder order, const Executor& executor,
                       CsrGraph* out) {
  TFGLE_RETURN_IF_ERROR(Validate(e, executor));
  if (order == NeighborOrder::kWeightDescending && e.weights == nullptr) {
    return Status::InvalidArgument("ordering neighbors by weight needs edge weights");
  }
  if (order == NeighborOrder::kTimestampDescending && e.timestamps == nullptr) {
    return Status::InvalidArgument("ordering neighbors by timestamp needs edge timestamps");
  }
  CsrGraph& g = *out;
  g = CsrGraph();
  g.num_src = e.num_src;
  g.num_dst = e.num_dst;

  // Logical chunks: (pass, part). Pass 0 adds src->dst, pass 1 (symmetric only)
  // dst->src. Each chunk counts its rows, then scatters into its own offsets, so
  // the result keeps input order without atomics.
  const int64_t parts = std::max<int64_t>(
      1, std::min<int64_t>({executor.num_threads, 8, e.num_edges / (1 << 16) + 1}));
  const int64_t passes = e.symmetric ? 2 : 1;
  const int64_t chunks = parts * passes;
  auto part_begin = [&](int64_t part) { return e.num_edges * part / parts; };
  auto for_chunk_edges = [&](int64_t chunk, auto fn) {
    const bool reverse = chunk >= parts;
    const int64_t part = chunk % parts;
    for (int64_t i = part_begin(part), end = part_begin(part + 1); i < end; ++i) {
      if (!reverse) {
        fn(i, e.src[i], e.dst[i]);
      } else if (e.src[i] != e.dst[i]) {
        fn(i, e.dst[i], e.src[i]);
      }
    }
  };

  std::vector<std::vector<int64_t>> offsets(chunks);
  executor.ForEachChunk(chunks, [&](int64_t c) {
    offsets[c].assign(e.num_src, 0);
    int64_t* count = offsets[c].data();
    for_chunk_edges(c, [count](int64_t, int64_t row, int64_t) { ++count[row]; });
  });
  g.indptr.assign(e.num_src + 1, 0);
  for (int64_t v = 0; v < e.num_src; ++v) {
    int64_t next = g.indptr[v];
    for (int64_t c = 0; c < chunks; ++c) {
      const int64_t count = offsets[c][v];
      offsets[c][v] = next;
      next += count;
    }
    g.indptr[v + 1] = next;
  }
  const int64_t num_entries = g.indptr[e.num_src];
  g.indices.resize(num_entries);
  g.edge_ids.resize(num_entries);
  if (e.weights != nullptr) g.weights.resize(num_entries);
  if (e.timestamps != nullptr) g.timestamps.resize(num_entries);
  executor.ForEachChunk(chunks, [&](int64_t c) {
    int64_t* next = offsets[c].data();
    for_chunk_edges(c, [&](int64_t i, int64_t row, int64_t col) {
      const int64_t pos = next[row]++;
      g.indices[pos] = col;
      g.edge_ids[pos] = e.edge_ids != nullptr ? e.edge_ids[i] : i;
      if (e.weights != nullptr) g.weights[pos] = e.weights[i];
      if (e.timestamps != nullptr) g.timestamps[pos] = e.timestamps[i];
    });
  });
  offsets.clear();
  offsets.shrink_to_fit();

  if (order != NeighborOrder::kInput) {
    executor.parallel_for(e.num_src, 64, [&](int64_t begin, int64_t end) {
      std::vector<int64_t> perm, scratch_i;
      std::vector<float> scratch_f;
      for (int64_t v = begin; v < end; ++v) {
        if (g.OutDegree(v) < 2) continue;
        if (order == NeighborOrder::kWeightDescending) {
          SortRowDescending(&g, g.weights.data(), g.indptr[v], g.indptr[v + 1], &perm,
                            &scratch_i, &scratch_f);
        } else {
          SortRowDescending(&g, g.timestamps.data(), g.indptr[v], g.indptr[v + 1], &perm,
                            &scratch_i, &scratch_f);
        }
      }
    });
  }

  // In-degrees: per-part histograms of the dst column, summed.
  const int64_t degree_parts = std::max<int64_t>(
      1, std::min<int64_t>({executor.num_threads, 8, num_entries / (1 << 16) + 1}));
  std::vector<std::vector<int64_t>> counts(degree_parts);
  executor.ForEachChunk(degree_parts, [&](int64_t p) {
    counts[p].assign(e.num_dst, 0);
    for (int64_t i = num_entries * p / degree_parts, end = num_entries * (p + 1) / degree_parts;
         i < end; ++i) {
      ++counts[p][g.indices[i]];
    }
  });
  g.in_degree = std::move(counts[0]);
  for (int64_t p = 1; p < degree_parts; ++p) {
    for (int64_t v = 0; v < e.num_dst; ++v) g.in_degree[v] += counts[p][v];
  }
  return Status::Ok();
}

}  // namespace tfgle
