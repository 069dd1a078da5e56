#include "custom_ops/core/csr_graph.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>

#include "custom_ops/core/huge_pages.h"
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

// Sets g->in_degree from g's entries: per-part histograms of the dst column, summed.
void CountInDegrees(const Executor& executor, CsrGraph* g) {
  const int64_t num_entries = g->num_edges();
  const int64_t parts = std::max<int64_t>(
      1, std::min<int64_t>({executor.num_threads, 8, num_entries / (1 << 16) + 1}));
  std::vector<std::vector<int64_t>> counts(parts);
  executor.ForEachChunk(parts, [&](int64_t p) {
    counts[p].assign(g->num_dst, 0);
    for (int64_t i = num_entries * p / parts, end = num_entries * (p + 1) / parts; i < end;
         ++i) {
      ++counts[p][g->indices[i]];
    }
  });
  g->in_degree = std::move(counts[0]);
  for (int64_t p = 1; p < parts; ++p) {
    for (int64_t v = 0; v < g->num_dst; ++v) g->in_degree[v] += counts[p][v];
  }
}

// Sets `to`'s sizes, flags and order to `from`'s, and its columns to `num_entries`
// entries (memory reused when large enough, values to be overwritten).
void ShapeLike(const CsrGraph& from, int64_t num_src, int64_t num_dst, int64_t num_entries,
               CsrGraph* to) {
  to->num_src = num_src;
  to->num_dst = num_dst;
  to->has_weights = from.has_weights;
  to->has_timestamps = from.has_timestamps;
  to->order = from.order;
  to->symmetric = from.symmetric;
  // New memory gets 1/8 more room, so that the next updates can reuse it.
  auto resize = [](auto* column, int64_t n) { ResizeWithHugePages(column, n, n + n / 8); };
  resize(&to->indptr, num_src + 1);
  resize(&to->indices, num_entries);
  resize(&to->edge_ids, num_entries);
  resize(&to->weights, from.has_weights ? num_entries : 0);
  resize(&to->timestamps, from.has_timestamps ? num_entries : 0);
}

// Copies entries [from, from + n) of `g` to entries [to, to + n) of `out`.
void CopyEntries(const CsrGraph& g, int64_t from, int64_t n, int64_t to, CsrGraph* out) {
  if (n <= 0) return;
  std::memcpy(out->indices.data() + to, g.indices.data() + from, n * sizeof(int64_t));
  std::memcpy(out->edge_ids.data() + to, g.edge_ids.data() + from, n * sizeof(int64_t));
  if (g.has_weights) {
    std::memcpy(out->weights.data() + to, g.weights.data() + from, n * sizeof(float));
  }
  if (g.has_timestamps) {
    std::memcpy(out->timestamps.data() + to, g.timestamps.data() + from, n * sizeof(int64_t));
  }
}

void CopyEntry(const CsrGraph& g, int64_t from, int64_t to, CsrGraph* out) {
  out->indices[to] = g.indices[from];
  out->edge_ids[to] = g.edge_ids[from];
  if (g.has_weights) out->weights[to] = g.weights[from];
  if (g.has_timestamps) out->timestamps[to] = g.timestamps[from];
}

// Merges old entries [i, i_end) of `g` and new entries [j, j_end) of `delta`,
// both descending by key(graph, entry), into `out` from entry `to`; on equal
// keys the old entries come first.
template <typename Key>
void MergeDescending(const CsrGraph& g, int64_t i, int64_t i_end, const CsrGraph& delta,
                     int64_t j, int64_t j_end, int64_t to, Key key, CsrGraph* out) {
  while (i < i_end && j < j_end) {
    if (key(delta, j) > key(g, i)) {
      CopyEntry(delta, j++, to++, out);
    } else {
      CopyEntry(g, i++, to++, out);
    }
  }
  CopyEntries(g, i, i_end - i, to, out);
  CopyEntries(delta, j, j_end - j, to + (i_end - i), out);
}

}  // namespace

Status CsrGraph::CheckAppend(const EdgeList& e) const {
  if (e.num_src < num_src) {
    return Status::InvalidArgument(StrCat("num_src = ", e.num_src, " is less than the table's ",
                                          num_src, " source nodes; tables only grow"));
  }
  if (e.num_dst < num_dst) {
    return Status::InvalidArgument(StrCat("num_dst = ", e.num_dst, " is less than the table's ",
                                          num_dst, " destination nodes; tables only grow"));
  }
  if (e.num_edges > 0 && e.edge_ids == nullptr) {
    return Status::InvalidArgument("appended edges need edge ids, one per edge");
  }
  if (e.weights != nullptr && !has_weights) {
    return Status::InvalidArgument("the table has no weights; appended edges cannot have any");
  }
  if (e.weights == nullptr && has_weights && e.num_edges > 0) {
    return Status::InvalidArgument("the table has weights; appended edges need one each");
  }
  if (e.timestamps != nullptr && !has_timestamps) {
    return Status::InvalidArgument(
        "the table has no timestamps; appended edges cannot have any");
  }
  if (e.timestamps == nullptr && has_timestamps && e.num_edges > 0) {
    return Status::InvalidArgument("the table has timestamps; appended edges need one each");
  }
  return Status::Ok();
}

Status CsrGraph::Append(const EdgeList& e, const Executor& executor, CsrGraph* out) const {
  TFGLE_RETURN_IF_ERROR(CheckAppend(e));
  // The new edges as a CSR of their own, in the table's order.
  static const float kNoWeight = 0;
  static const int64_t kNoTimestamp = 0;
  EdgeList added = e;
  added.symmetric = symmetric;
  if (has_weights && added.weights == nullptr) added.weights = &kNoWeight;
  if (has_timestamps && added.timestamps == nullptr) added.timestamps = &kNoTimestamp;
  CsrGraph delta;
  TFGLE_RETURN_IF_ERROR(Build(added, order, executor, &delta));

  CsrGraph& g = *out;
  ShapeLike(*this, e.num_src, e.num_dst, num_edges() + delta.num_edges(), &g);
  // Row v's old entries: [old_begin(v), old_begin(v + 1)) (rows past num_src are empty).
  auto old_begin = [this](int64_t v) { return indptr[std::min(v, num_src)]; };
  executor.parallel_for(e.num_src + 1, 2, [&](int64_t begin, int64_t end) {
    for (int64_t v = begin; v < end; ++v) g.indptr[v] = old_begin(v) + delta.indptr[v];
  });
  const int64_t avg_degree = num_src > 0 ? num_edges() / num_src + 1 : 1;
  executor.parallel_for(e.num_src, 4 * avg_degree + 8, [&](int64_t begin, int64_t end) {
    int64_t run = begin;  // the first row of the run of rows without new entries
    for (int64_t v = begin; v <= end; ++v) {
      if (v < end && delta.indptr[v + 1] == delta.indptr[v]) continue;
      CopyEntries(*this, old_begin(run), old_begin(v) - old_begin(run), g.indptr[run], &g);
      if (v == end) break;
      const int64_t i = old_begin(v), i_end = old_begin(v + 1);
      const int64_t j = delta.indptr[v], j_end = delta.indptr[v + 1];
      switch (order) {
        case NeighborOrder::kInput:
          CopyEntries(*this, i, i_end - i, g.indptr[v], &g);
          CopyEntries(delta, j, j_end - j, g.indptr[v] + (i_end - i), &g);
          break;
        case NeighborOrder::kWeightDescending:
          MergeDescending(*this, i, i_end, delta, j, j_end, g.indptr[v],
                          [](const CsrGraph& x, int64_t p) { return x.weights[p]; }, &g);
          break;
        case NeighborOrder::kTimestampDescending:
          MergeDescending(*this, i, i_end, delta, j, j_end, g.indptr[v],
                          [](const CsrGraph& x, int64_t p) { return x.timestamps[p]; }, &g);
          break;
      }
      run = v + 1;
    }
  });
  ResizeWithHugePages(&g.in_degree, e.num_dst, e.num_dst + e.num_dst / 8);
  executor.parallel_for(e.num_dst, 2, [&](int64_t begin, int64_t end) {
    for (int64_t v = begin; v < end; ++v) {
      g.in_degree[v] = (v < num_dst ? in_degree[v] : 0) + delta.in_degree[v];
    }
  });
  return Status::Ok();
}

Status CsrGraph::RemoveBefore(int64_t timestamp, const Executor& executor, CsrGraph* out,
                              int64_t* removed) const {
  if (!has_timestamps) {
    return Status::InvalidArgument(
        "removing edges before a timestamp needs a table with timestamps; this one has none");
  }
  std::vector<int64_t> kept(num_src + 1, 0);  // kept[v + 1]: entries row v keeps
  const int64_t avg_degree = num_src > 0 ? num_edges() / num_src + 1 : 1;
  executor.parallel_for(num_src, 2 * avg_degree + 4, [&](int64_t begin, int64_t end) {
    for (int64_t v = begin; v < end; ++v) {
      int64_t n = 0;
      for (int64_t p = indptr[v]; p < indptr[v + 1]; ++p) n += timestamps[p] >= timestamp;
      kept[v + 1] = n;
    }
  });
  for (int64_t v = 0; v < num_src; ++v) kept[v + 1] += kept[v];
  CsrGraph& g = *out;
  ShapeLike(*this, num_src, num_dst, kept[num_src], &g);
  std::copy(kept.begin(), kept.end(), g.indptr.begin());
  executor.parallel_for(num_src, 4 * avg_degree + 8, [&](int64_t begin, int64_t end) {
    for (int64_t v = begin; v < end; ++v) {
      int64_t to = g.indptr[v];
      for (int64_t p = indptr[v]; p < indptr[v + 1]; ++p) {
        if (timestamps[p] >= timestamp) CopyEntry(*this, p, to++, &g);
      }
    }
  });
  CountInDegrees(executor, &g);
  if (removed != nullptr) *removed = num_edges() - g.num_edges();
  return Status::Ok();
}

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
  g.order = order;
  g.symmetric = e.symmetric;

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

  CountInDegrees(executor, &g);
  return Status::Ok();
}

}  // namespace tfgle
