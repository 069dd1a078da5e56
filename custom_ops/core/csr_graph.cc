#include "custom_ops/core/csr_graph.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>

#include "custom_ops/core/weights.h"

namespace tfgle {
namespace {

// Lowers `target` to `value` if smaller (first bad row wins, whatever the shard order).
void AtomicMin(std::atomic<int64_t>* target, int64_t value) {
  int64_t current = target->load(std::memory_order_relaxed);
  while (value < current && !target->compare_exchange_weak(current, value)) {
  }
}

constexpr int64_t kNone = std::numeric_limits<int64_t>::max();

// How many entries ahead the loops that read edge columns at random positions
// prefetch (the reads are cache misses on large graphs).
constexpr int64_t kPrefetchDistance = 16;

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
    bad = FirstBad(e.num_edges, executor, [&](int64_t i) { return !IsValidWeight(e.weights[i]); });
    if (bad != kNone) return InvalidWeight(bad, e.weights[bad]);
  }
  return Status::Ok();
}

// Rows are sorted by descending value of their edges, ties in ascending source
// key (see Build), i.e. in input order; the sort fills the value's CSR column.

// One row: its source keys `keys[0, n)` and the CSR column `sorted` to fill.
template <typename Value>
void SortRow(int64_t* keys, Value* sorted, int64_t n, int64_t num_input_edges,
             const Value* value, std::vector<std::pair<Value, int64_t>>* row) {
  row->resize(n);
  for (int64_t j = 0; j < n; ++j) {
    const int64_t key = keys[j];
    (*row)[j] = {value[key < num_input_edges ? key : key - num_input_edges], key};
  }
  std::sort(row->begin(), row->end(), [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  });
  for (int64_t j = 0; j < n; ++j) {
    sorted[j] = (*row)[j].first;
    keys[j] = (*row)[j].second;
  }
}

template <typename Value>
void SortRowsDescending(CsrGraph* g, int64_t num_input_edges, const Value* value,
                        std::vector<Value>* sorted, const Executor& executor) {
  const int64_t avg_degree = g->num_src > 0 ? g->num_edges() / g->num_src + 1 : 1;
  executor.parallel_for(g->num_src, 20 * avg_degree, [&](int64_t begin, int64_t end) {
    std::vector<std::pair<Value, int64_t>> row;
    for (int64_t v = begin; v < end; ++v) {
      const int64_t first = g->indptr[v];
      SortRow(g->edge_ids.data() + first, sorted->data() + first, g->indptr[v + 1] - first,
              num_input_edges, value, &row);
    }
  });
}

// Sorts `packed` ascending by its high 32 bits, keeping the order of equal
// ones: an LSD radix sort with 8-bit digits (`scratch` is resized to match).
void RadixSortHigh32(std::vector<uint64_t>* packed, std::vector<uint64_t>* scratch) {
  scratch->resize(packed->size());
  uint64_t* from = packed->data();
  uint64_t* to = scratch->data();
  const int64_t n = static_cast<int64_t>(packed->size());
  for (int shift = 32; shift < 64; shift += 8) {
    int64_t count[257] = {0};
    for (int64_t i = 0; i < n; ++i) ++count[((from[i] >> shift) & 0xFF) + 1];
    if (count[((from[0] >> shift) & 0xFF) + 1] == n) continue;  // one digit value: no move
    for (int d = 0; d < 256; ++d) count[d + 1] += count[d];
    for (int64_t i = 0; i < n; ++i) to[count[(from[i] >> shift) & 0xFF]++] = from[i];
    std::swap(from, to);
  }
  if (from != packed->data()) std::copy(from, from + n, packed->data());
}

// The same for weights, faster: a weight (finite and >= 0, so its bits order
// like the number) and the entry's position in its row pack into one uint64
// whose ascending order is descending weight, then input order.
void SortRowsByWeight(CsrGraph* g, int64_t num_input_edges, const float* weight,
                      const Executor& executor) {
  // Rows at least this long are radix sorted (std::sort's branches cost more there).
  constexpr int64_t kRadixMinRow = 256;
  const int64_t avg_degree = g->num_src > 0 ? g->num_edges() / g->num_src + 1 : 1;
  executor.parallel_for(g->num_src, 20 * avg_degree, [&](int64_t begin, int64_t end) {
    std::vector<uint64_t> packed, scratch;
    std::vector<int64_t> row_keys;
    std::vector<std::pair<float, int64_t>> row;
    for (int64_t v = begin; v < end; ++v) {
      const int64_t first = g->indptr[v], n = g->indptr[v + 1] - first;
      int64_t* keys = g->edge_ids.data() + first;
      float* sorted = g->weights.data() + first;
      if (n > int64_t{0xFFFFFFFF}) {  // positions do not fit in 32 bits
        SortRow(keys, sorted, n, num_input_edges, weight, &row);
        continue;
      }
      packed.resize(n);
      row_keys.assign(keys, keys + n);
      for (int64_t j = 0; j < n; ++j) {
        if (j + kPrefetchDistance < n) {
          const int64_t ahead = keys[j + kPrefetchDistance];
          __builtin_prefetch(weight + (ahead < num_input_edges ? ahead : ahead - num_input_edges));
        }
        const int64_t key = keys[j];
        const float w = weight[key < num_input_edges ? key : key - num_input_edges];
        uint32_t bits = 0;
        if (w != 0.0f) std::memcpy(&bits, &w, sizeof(bits));  // -0.0 sorts as 0
        packed[j] = (static_cast<uint64_t>(~bits) << 32) | static_cast<uint64_t>(j);
      }
      if (n >= kRadixMinRow) {
        RadixSortHigh32(&packed, &scratch);  // stable: positions stay ascending among ties
      } else {
        std::sort(packed.begin(), packed.end());
      }
      for (int64_t j = 0; j < n; ++j) {
        const uint32_t bits = ~static_cast<uint32_t>(packed[j] >> 32);
        std::memcpy(sorted + j, &bits, sizeof(bits));
        keys[j] = row_keys[packed[j] & 0xFFFFFFFFu];
      }
    }
  });
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
  hasher.Add((has_weights ? 1 : 0) | (has_timestamps ? 2 : 0));
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
  g.has_weights = e.weights != nullptr;
  g.has_timestamps = e.timestamps != nullptr;

  // Logical chunks: (pass, part). Pass 0 adds src->dst, pass 1 (symmetric only)
  // dst->src. Each chunk counts its rows, then places its entries at its own
  // offsets, so rows keep input order without atomics.
  const int64_t parts = std::max<int64_t>(
      1, std::min<int64_t>({executor.num_threads, 8, e.num_edges / (1 << 16) + 1}));
  const int64_t passes = e.symmetric ? 2 : 1;
  const int64_t chunks = parts * passes;
  auto part_begin = [&](int64_t part) { return e.num_edges * part / parts; };
  // Calls fn(source key, row) for the entries of one chunk, in input order.
  auto for_chunk_edges = [&](int64_t chunk, auto fn) {
    const int64_t part = chunk % parts;
    const int64_t begin = part_begin(part), end = part_begin(part + 1);
    if (chunk < parts) {
      for (int64_t i = begin; i < end; ++i) fn(i, e.src[i]);
    } else {
      for (int64_t i = begin; i < end; ++i) {
        if (e.src[i] != e.dst[i]) fn(e.num_edges + i, e.dst[i]);
      }
    }
  };

  std::vector<std::vector<int64_t>> offsets(chunks);
  executor.ForEachChunk(chunks, [&](int64_t c) {
    offsets[c].assign(e.num_src, 0);
    int64_t* count = offsets[c].data();
    for_chunk_edges(c, [count](int64_t, int64_t row) { ++count[row]; });
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

  // Entries are placed by their source key: k < num_edges is edge k (src -> dst),
  // k >= num_edges the reverse of edge k - num_edges. Placing only the key (one
  // random write per entry), sorting keys, then gathering every column in entry
  // order (sequential writes, random reads) touches memory far less than
  // scattering all columns.
  executor.ForEachChunk(chunks, [&](int64_t c) {
    int64_t* next = offsets[c].data();
    int64_t* keys = g.edge_ids.data();
    for_chunk_edges(c, [next, keys](int64_t key, int64_t row) { keys[next[row]++] = key; });
  });
  offsets.clear();
  offsets.shrink_to_fit();

  // The column that orders the rows is filled by the sort; the others are gathered.
  const float* gather_weights = e.weights;
  const int64_t* gather_timestamps = e.timestamps;
  if (order == NeighborOrder::kWeightDescending) {
    SortRowsByWeight(&g, e.num_edges, e.weights, executor);
    gather_weights = nullptr;
  } else if (order == NeighborOrder::kTimestampDescending) {
    SortRowsDescending(&g, e.num_edges, e.timestamps, &g.timestamps, executor);
    gather_timestamps = nullptr;
  }
  executor.parallel_for(num_entries, 10, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      if (p + kPrefetchDistance < end) {
        const int64_t ahead = g.edge_ids[p + kPrefetchDistance];
        const bool ahead_reverse = ahead >= e.num_edges;
        const int64_t k = ahead_reverse ? ahead - e.num_edges : ahead;
        __builtin_prefetch(ahead_reverse ? e.src + k : e.dst + k);
        if (gather_weights != nullptr) __builtin_prefetch(gather_weights + k);
        if (gather_timestamps != nullptr) __builtin_prefetch(gather_timestamps + k);
        if (e.edge_ids != nullptr) __builtin_prefetch(e.edge_ids + k);
      }
      const int64_t key = g.edge_ids[p];
      const bool reverse = key >= e.num_edges;
      const int64_t i = reverse ? key - e.num_edges : key;
      g.indices[p] = reverse ? e.src[i] : e.dst[i];
      if (gather_weights != nullptr) g.weights[p] = gather_weights[i];
      if (gather_timestamps != nullptr) g.timestamps[p] = gather_timestamps[i];
      g.edge_ids[p] = e.edge_ids != nullptr ? e.edge_ids[i] : i;
    }
  });

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
