// Auxiliary tables for sampling one CsrGraph, each built on first use.
//
// Only the tables a strategy needs are ever built: per-row alias tables for
// weighted neighbor sampling, a timestamp order and cumulative weights for
// temporal filters, per-row hash sets for rejecting true neighbors, and
// degree-weighted distributions over destination nodes for negatives.
//
// An index belongs to one immutable graph: a table that takes updates gives
// every version its own index (see versioned.h), so no table built for one
// version ever serves another.
//
// Thread safety: getters may be called concurrently. A table is built once,
// under a mutex, by the first caller; later callers read it without locking.
// Builds run on the calling thread only: a build that waited on a thread pool
// while other callers block on the mutex could deadlock the pool.
#ifndef TFGLE_CORE_SAMPLING_INDEX_H_
#define TFGLE_CORE_SAMPLING_INDEX_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "custom_ops/core/csr_graph.h"
#include "custom_ops/core/node_distribution.h"
#include "custom_ops/core/status.h"

namespace tfgle {

// Per-row alias tables over a CSR: for the entries [b, e) of row v, column
// b + i keeps i with probability threshold[b + i] / 2^32, else takes
// alias[b + i] (an offset in the row). In a row of total weight 0 every alias
// is -1.
struct RowAlias {
  std::vector<uint32_t> threshold;
  std::vector<int32_t> alias;
};

// Each row's entries in timestamp order, latest first.
struct TimeOrder {
  bool rows_sorted = false;   // the CSR rows already are in this order
  std::vector<int64_t> perm;  // else: CSR positions of each row, reordered
  // The CSR position of the i-th entry (absolute index within [b, e)).
  int64_t Position(int64_t i) const { return rows_sorted ? i : perm[i]; }
};

// Answers "is d a neighbor of s" with about one memory access: rows of more
// than kScanDegree neighbors get an open-addressing hash set of their neighbor
// indices (two slots per neighbor, linear probing); shorter rows are scanned.
struct NeighborSet {
  static constexpr int64_t kScanDegree = 16;
  static constexpr uint32_t kEmpty32 = UINT32_MAX;

  std::vector<int64_t> slot_start;  // [num_src + 1]: row v's slots (none for short rows)
  bool wide = false;                // num_dst >= 2^32 - 1: 64-bit slots
  std::vector<uint32_t> slots;      // !wide; empty slots hold kEmpty32
  std::vector<int64_t> wide_slots;  // wide; empty slots hold -1

  // The first slot to probe for `dst` in a row of `capacity` slots.
  static int64_t Home(int64_t dst, int64_t capacity) {
    const uint64_t h = (static_cast<uint64_t>(dst) * 0x9E3779B97F4A7C15ull) >> 32;
    return static_cast<int64_t>((h * static_cast<uint64_t>(capacity)) >> 32);
  }
  bool Contains(const CsrGraph& g, int64_t src, int64_t dst) const;
  // Prefetches the memory Contains(g, src, dst) will read first.
  void Prefetch(const CsrGraph& g, int64_t src, int64_t dst) const;
};

class SamplingIndex {
 public:
  // `graph` must outlive the index and be complete before the first getter
  // call. `graph_pages_advised`: the graph's arrays already asked for huge
  // pages before they were filled (CsrGraph::Append), so AdviseHugePages does
  // nothing.
  explicit SamplingIndex(const CsrGraph* graph, bool graph_pages_advised = false)
      : graph_(graph), graph_pages_advised_(graph_pages_advised) {}
  SamplingIndex(const SamplingIndex&) = delete;
  SamplingIndex& operator=(const SamplingIndex&) = delete;

  // Alias tables ∝ edge weight (needs a weighted graph).
  Status EdgeWeightAlias(const RowAlias** out);
  // Alias tables ∝ the in-degree of each neighbor.
  Status InDegreeAlias(const RowAlias** out);
  // Timestamp order of each row (needs a timed graph).
  Status GetTimeOrder(const TimeOrder** out);
  // Cumulative sums per row, in timestamp order: entry b + i is the sum of
  // the weights (or neighbor in-degrees) of entries b..b+i of row [b, e).
  Status TimeOrderedWeightSums(const std::vector<double>** out);
  Status TimeOrderedInDegreeSums(const std::vector<double>** out);
  // Membership tests for rejecting true neighbors.
  Status GetNeighborSet(const NeighborSet** out);
  // Asks the kernel (once) to back the graph's large arrays with huge pages:
  // random access into hundreds of MB otherwise spends much of its time on
  // TLB misses. A hint only: nothing changes where it is not supported. The
  // first call moves the pages (about 1 s of CPU per 300 MB, once).
  void AdviseHugePages();
  // Destination nodes ∝ in_degree ^ exponent (nodes of in-degree 0 get 0).
  Status InDegreeDistribution(double exponent, const NodeDistribution** out);

  int64_t ByteSize() const;

 private:
  template <typename T>
  struct Lazy {
    std::atomic<const T*> ready{nullptr};
    std::unique_ptr<T> value;
  };
  // Returns lazy's value, building it with build(T*) under mu_ if needed.
  template <typename T, typename BuildFn>
  Status Get(Lazy<T>* lazy, BuildFn build, const T** out);

  Status BuildRowAlias(bool by_in_degree, RowAlias* out) const;
  Status TimeOrderedSums(bool by_in_degree, const std::vector<double>** out);

  const CsrGraph* graph_;
  const bool graph_pages_advised_;
  mutable std::mutex mu_;
  Lazy<RowAlias> edge_weight_alias_;
  Lazy<RowAlias> in_degree_alias_;
  Lazy<TimeOrder> time_order_;
  Lazy<std::vector<double>> weight_sums_;
  Lazy<std::vector<double>> in_degree_sums_;
  Lazy<NeighborSet> neighbor_set_;
  std::once_flag huge_pages_once_;
  mutable std::mutex distributions_mu_;
  std::map<double, std::unique_ptr<NodeDistribution>> in_degree_distributions_;
};

}  // namespace tfgle

#endif  // TFGLE_CORE_SAMPLING_INDEX_H_
