#include "custom_ops/core/neighbor_sampler.h"

#include <algorithm>
#include <vector>

#include "custom_ops/core/alias_table.h"
#include "custom_ops/core/sampling_random.h"

namespace tfgle {
namespace {

// A set of small non-negative integers, cleared in O(capacity).
class IndexSet {
 public:
  void Reset(int64_t expected) {
    int64_t capacity = 16;
    while (capacity < 2 * expected) capacity *= 2;
    slots_.assign(capacity, -1);
    mask_ = capacity - 1;
  }
  // Adds x; false if it was there.
  bool Insert(int64_t x) {
    int64_t h = static_cast<int64_t>(Mix64(static_cast<uint64_t>(x)) & mask_);
    while (slots_[h] != -1) {
      if (slots_[h] == x) return false;
      h = (h + 1) & mask_;
    }
    slots_[h] = x;
    return true;
  }

 private:
  std::vector<int64_t> slots_;
  uint64_t mask_ = 0;
};

// Floyd's algorithm: k distinct integers of [0, n), 0 < k < n, in O(k).
void ChooseDistinct(RowRandom* rng, int64_t n, int64_t k, std::vector<int64_t>* chosen,
                    IndexSet* set) {
  chosen->clear();
  constexpr int64_t kLinearScan = 48;
  if (k <= kLinearScan) {
    for (int64_t j = n - k; j < n; ++j) {
      const int64_t t = static_cast<int64_t>(UniformIndex(rng, static_cast<uint64_t>(j + 1)));
      const bool seen = std::find(chosen->begin(), chosen->end(), t) != chosen->end();
      chosen->push_back(seen ? j : t);
    }
    return;
  }
  set->Reset(k);
  for (int64_t j = n - k; j < n; ++j) {
    const int64_t t = static_cast<int64_t>(UniformIndex(rng, static_cast<uint64_t>(j + 1)));
    if (set->Insert(t)) {
      chosen->push_back(t);
    } else {
      set->Insert(j);
      chosen->push_back(j);
    }
  }
}

Status CheckIds(const int64_t* ids, int64_t n, const uint8_t* row_valid, int64_t limit,
                const char* name) {
  for (int64_t i = 0; i < n; ++i) {
    if (row_valid != nullptr && row_valid[i] == 0) continue;
    if (static_cast<uint64_t>(ids[i]) >= static_cast<uint64_t>(limit)) {
      return Status::InvalidArgument(
          StrCat(name, "[", i, "] = ", ids[i], " is not in [0, ", limit, ")"));
    }
  }
  return Status::Ok();
}

// The eligible entries of one row, as indices [begin, end) into the row's
// time order (`order`, when filtering by time) or into the CSR itself.
struct Eligible {
  int64_t row_begin;  // the row's first CSR position
  int64_t begin;
  int64_t end;
  const TimeOrder* order;  // null: indices are CSR positions
  int64_t size() const { return end - begin; }
  int64_t Position(int64_t i) const { return order == nullptr ? i : order->Position(i); }
};

// Entries of row v whose timestamp is < t, latest first: a suffix of the row
// in time order, found by binary search.
Eligible EligibleBefore(const CsrGraph& g, const TimeOrder* order, int64_t v, int64_t t) {
  const int64_t b = g.indptr[v], e = g.indptr[v + 1];
  const int64_t* ts = g.timestamps.data();
  int64_t lo = b, hi = e;  // first index in [b, e) with ts < t
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (ts[order->Position(mid)] >= t) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return Eligible{b, lo, e, order};
}

// Draws an index in [begin, end) ∝ the increments of the cumulative sums.
// Returns -1 when the eligible entries have weight 0.
int64_t DrawFromSums(RowRandom* rng, const double* sums, const Eligible& el) {
  if (el.size() == 0) return -1;
  const double base = el.begin > el.row_begin ? sums[el.begin - 1] : 0.0;
  const double total = sums[el.end - 1] - base;
  if (!(total > 0)) return -1;
  const double x = base + rng->UniformDouble() * total;
  const double* it = std::upper_bound(sums + el.begin, sums + el.end, x);
  if (it == sums + el.end) {  // rounding: x reached the total; take the last positive entry
    it = std::lower_bound(sums + el.begin, sums + el.end, sums[el.end - 1]);
  }
  return it - sums;
}

// Shared state of one SampleNeighbors call; Rows() is called from many threads.
//
// Rows are software-pipelined to hide memory latency: the index pointers of
// a row are prefetched kLag rows before it is sampled; sampling writes the
// chosen CSR positions into the output slots and prefetches them; kLag rows
// later Finish() replaces the positions by neighbor and edge ids.
class FanoutSampler {
 public:
  FanoutSampler(const CsrGraph& g, const NeighborSamplerOptions& opt, const NeighborRequest& req,
                const NeighborOutput& out, const RowAlias* alias, const TimeOrder* order,
                const std::vector<double>* sums)
      : g_(g), opt_(opt), req_(req), out_(out), alias_(alias), order_(order), sums_(sums) {}

  void Rows(const Philox& philox, int64_t begin, int64_t end) {
    constexpr int64_t kLag = 16;
    int64_t counts[kLag];
    std::vector<int64_t> chosen;
    IndexSet set;
    const int64_t k = opt_.fanout;
    for (int64_t r = begin; r < end + kLag; ++r) {
      const int64_t ahead = r + kLag;
      if (ahead < end && Valid(ahead)) __builtin_prefetch(g_.indptr.data() + req_.ids[ahead]);
      const int64_t done = r - kLag;  // shares its counts slot with r
      if (done >= begin) Finish(done * k, counts[done % kLag]);
      if (r < end) {
        int64_t count = 0;
        if (Valid(r)) {
          RowRandom rng(philox, static_cast<uint64_t>(r));
          count = Sample(&rng, req_.ids[r], r, r * k, &chosen, &set);
        }
        counts[r % kLag] = count;
      }
    }
  }

 private:
  bool Valid(int64_t r) const { return req_.row_valid == nullptr || req_.row_valid[r] != 0; }

  // Records CSR position `position` in output slot `slot` (see Finish).
  void Emit(int64_t slot, int64_t position) {
    out_.neighbors[slot] = position;
    __builtin_prefetch(g_.indices.data() + position);
    if (out_.edge_ids != nullptr) __builtin_prefetch(g_.edge_ids.data() + position);
  }

  // Turns the `count` positions at `offset` into samples and pads the row.
  void Finish(int64_t offset, int64_t count) {
    for (int64_t j = offset; j < offset + count; ++j) {
      const int64_t position = out_.neighbors[j];
      out_.neighbors[j] = g_.indices[position];
      if (out_.edge_ids != nullptr) out_.edge_ids[j] = g_.edge_ids[position];
      out_.mask[j] = true;
      if (out_.filled != nullptr) out_.filled[j] = 1;
    }
    Pad(offset, count);
  }

  void Pad(int64_t offset, int64_t count) {
    const int64_t k = opt_.fanout;
    if (count == 0 || opt_.padding == Padding::kDefault) {
      for (int64_t j = offset + count; j < offset + k; ++j) {
        out_.neighbors[j] = opt_.default_id;
        if (out_.edge_ids != nullptr) out_.edge_ids[j] = -1;
        out_.mask[j] = false;
        if (out_.filled != nullptr) out_.filled[j] = 0;
      }
      return;
    }
    for (int64_t j = offset + count; j < offset + k; ++j) {
      out_.neighbors[j] = out_.neighbors[j - count];
      if (out_.edge_ids != nullptr) out_.edge_ids[j] = out_.edge_ids[j - count];
      out_.mask[j] = false;
      if (out_.filled != nullptr) out_.filled[j] = 1;
    }
  }

  // Samples row r (node v) into slots [offset, offset + k); returns how many.
  int64_t Sample(RowRandom* rng, int64_t v, int64_t r, int64_t offset,
                 std::vector<int64_t>* chosen, IndexSet* set) {
    const int64_t k = opt_.fanout;
    const int64_t b = g_.indptr[v];
    const int64_t e = g_.indptr[v + 1];
    if (b == e) return 0;
    Eligible el{b, b, e, nullptr};
    if (req_.before != nullptr) {
      el = EligibleBefore(g_, order_, v, req_.before[r / req_.rows_per_time]);
    }
    const int64_t d = el.size();
    switch (opt_.strategy) {
      case NeighborStrategy::kRandom:
        if (d == 0) return 0;
        for (int64_t j = 0; j < k; ++j) {
          Emit(offset + j,
               el.Position(el.begin + static_cast<int64_t>(
                                          UniformIndex(rng, static_cast<uint64_t>(d)))));
        }
        return k;
      case NeighborStrategy::kRandomWithoutReplacement:
        if (d <= k) {
          for (int64_t j = 0; j < d; ++j) Emit(offset + j, el.Position(el.begin + j));
          return d;
        }
        ChooseDistinct(rng, d, k, chosen, set);
        for (int64_t j = 0; j < k; ++j) Emit(offset + j, el.Position(el.begin + (*chosen)[j]));
        return k;
      case NeighborStrategy::kEdgeWeight:
      case NeighborStrategy::kInDegree:
        if (req_.before == nullptr) {
          const uint32_t* threshold = alias_->threshold.data() + b;
          const int32_t* alias = alias_->alias.data() + b;
          if (alias[0] < 0) return 0;  // the row's weights are all 0
          for (int64_t j = 0; j < k; ++j) Emit(offset + j, b + DrawAlias(rng, d, threshold, alias));
          return k;
        }
        for (int64_t j = 0; j < k; ++j) {
          const int64_t i = DrawFromSums(rng, sums_->data(), el);
          if (i < 0) return 0;
          Emit(offset + j, el.Position(i));
        }
        return k;
      case NeighborStrategy::kTopK:
        if (req_.before == nullptr || order_->rows_sorted) {
          const int64_t n = std::min(d, k);
          for (int64_t j = 0; j < n; ++j) Emit(offset + j, el.Position(el.begin + j));
          return n;
        } else {
          // Rows are not in time order: the first k eligible entries in row order.
          const int64_t t = req_.before[r / req_.rows_per_time];
          int64_t n = 0;
          for (int64_t p = b; p < e && n < k; ++p) {
            if (g_.timestamps[p] < t) Emit(offset + n++, p);
          }
          return n;
        }
    }
    return 0;
  }

  const CsrGraph& g_;
  const NeighborSamplerOptions& opt_;
  const NeighborRequest& req_;
  const NeighborOutput& out_;
  const RowAlias* alias_;
  const TimeOrder* order_;
  const std::vector<double>* sums_;
};

Status CheckEntries(int64_t rows, int64_t per_row, const char* what) {
  if (rows < 0) return Status::InvalidArgument(StrCat("num_rows must be >= 0, got ", rows));
  if (per_row > 0 && rows > kMaxSampledEntries / per_row) {
    return Status::InvalidArgument(StrCat(rows, " rows x ", what, " ", per_row, " = ",
                                          static_cast<double>(rows) * per_row,
                                          " samples is more than the ", kMaxSampledEntries,
                                          " one call may produce"));
  }
  return Status::Ok();
}

}  // namespace

Status ParseNeighborStrategy(const std::string& name, NeighborStrategy* out) {
  if (name == "random") {
    *out = NeighborStrategy::kRandom;
  } else if (name == "random_without_replacement") {
    *out = NeighborStrategy::kRandomWithoutReplacement;
  } else if (name == "edge_weight") {
    *out = NeighborStrategy::kEdgeWeight;
  } else if (name == "topk") {
    *out = NeighborStrategy::kTopK;
  } else if (name == "in_degree") {
    *out = NeighborStrategy::kInDegree;
  } else {
    return Status::InvalidArgument(StrCat(
        "unknown neighbor sampling strategy '", name,
        "'; allowed: random, random_without_replacement, edge_weight, topk, in_degree"));
  }
  return Status::Ok();
}

Status ParsePadding(const std::string& name, Padding* out) {
  if (name == "default") {
    *out = Padding::kDefault;
  } else if (name == "circular") {
    *out = Padding::kCircular;
  } else {
    return Status::InvalidArgument(
        StrCat("unknown padding '", name, "'; allowed: default, circular"));
  }
  return Status::Ok();
}

Status SampleNeighbors(const CsrGraph& graph, SamplingIndex* index,
                       const NeighborSamplerOptions& options, const NeighborRequest& request,
                       const Philox& philox, const Executor& executor,
                       const NeighborOutput& output) {
  if (options.fanout <= 0) {
    return Status::InvalidArgument(StrCat("fanout must be > 0, got ", options.fanout));
  }
  if (request.before != nullptr && request.rows_per_time <= 0) {
    return Status::InvalidArgument(
        StrCat("rows_per_time must be > 0, got ", request.rows_per_time));
  }
  TFGLE_RETURN_IF_ERROR(CheckEntries(request.num_rows, options.fanout, "fanout"));
  TFGLE_RETURN_IF_ERROR(CheckIds(request.ids, request.num_rows, request.row_valid, graph.num_src,
                                 request.ids_name));
  index->AdviseHugePages();
  const RowAlias* alias = nullptr;
  const TimeOrder* order = nullptr;
  const std::vector<double>* sums = nullptr;
  if (request.before != nullptr) TFGLE_RETURN_IF_ERROR(index->GetTimeOrder(&order));
  if (options.strategy == NeighborStrategy::kEdgeWeight) {
    if (request.before != nullptr) {
      TFGLE_RETURN_IF_ERROR(index->TimeOrderedWeightSums(&sums));
    } else {
      TFGLE_RETURN_IF_ERROR(index->EdgeWeightAlias(&alias));
    }
  } else if (options.strategy == NeighborStrategy::kInDegree) {
    if (request.before != nullptr) {
      TFGLE_RETURN_IF_ERROR(index->TimeOrderedInDegreeSums(&sums));
    } else {
      TFGLE_RETURN_IF_ERROR(index->InDegreeAlias(&alias));
    }
  }
  FanoutSampler sampler(graph, options, request, output, alias, order, sums);
  executor.parallel_for(request.num_rows, 40 * options.fanout + 200,
                        [&](int64_t begin, int64_t end) { sampler.Rows(philox, begin, end); });
  return Status::Ok();
}

Status CountFullNeighbors(const CsrGraph& graph, SamplingIndex* index,
                          const FullNeighborRequest& request, const Executor& executor,
                          int64_t* row_splits) {
  TFGLE_RETURN_IF_ERROR(CheckEntries(request.num_rows, 1, "rows"));
  TFGLE_RETURN_IF_ERROR(
      CheckIds(request.ids, request.num_rows, nullptr, graph.num_src, request.ids_name));
  index->AdviseHugePages();
  const TimeOrder* order = nullptr;
  if (request.before != nullptr) TFGLE_RETURN_IF_ERROR(index->GetTimeOrder(&order));
  row_splits[0] = 0;
  executor.parallel_for(request.num_rows, 50, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t v = request.ids[r];
      int64_t d = graph.OutDegree(v);
      if (request.before != nullptr && d > 0) {
        d = EligibleBefore(graph, order, v, request.before[r]).size();
      }
      if (request.max_neighbors >= 0) d = std::min(d, request.max_neighbors);
      row_splits[r + 1] = d;
    }
  });
  for (int64_t r = 0; r < request.num_rows; ++r) {
    if (row_splits[r + 1] > kMaxSampledEntries - row_splits[r]) {
      return Status::InvalidArgument(StrCat("the neighbors of the first ", r + 1,
                                            " ids are more than the ", kMaxSampledEntries,
                                            " one call may produce; set max_neighbors"));
    }
    row_splits[r + 1] += row_splits[r];
  }
  return Status::Ok();
}

Status FillFullNeighbors(const CsrGraph& graph, SamplingIndex* index,
                         const FullNeighborRequest& request, const Philox& philox,
                         const Executor& executor, const int64_t* row_splits,
                         int64_t* neighbors, int64_t* edge_ids) {
  const TimeOrder* order = nullptr;
  if (request.before != nullptr) TFGLE_RETURN_IF_ERROR(index->GetTimeOrder(&order));
  executor.parallel_for(request.num_rows, 400, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> chosen;
    IndexSet set;
    for (int64_t r = begin; r < end; ++r) {
      const int64_t v = request.ids[r];
      const int64_t b = graph.indptr[v];
      Eligible el{b, b, graph.indptr[v + 1], nullptr};
      if (request.before != nullptr) el = EligibleBefore(graph, order, v, request.before[r]);
      const int64_t out = row_splits[r];
      const int64_t count = row_splits[r + 1] - out;
      auto emit = [&](int64_t j, int64_t i) {
        const int64_t p = el.Position(el.begin + i);
        neighbors[out + j] = graph.indices[p];
        edge_ids[out + j] = graph.edge_ids[p];
      };
      if (count == el.size()) {
        for (int64_t j = 0; j < count; ++j) emit(j, j);
      } else if (count > 0) {
        RowRandom rng(philox, static_cast<uint64_t>(r));
        ChooseDistinct(&rng, el.size(), count, &chosen, &set);
        std::sort(chosen.begin(), chosen.end());
        for (int64_t j = 0; j < count; ++j) emit(j, chosen[j]);
      }
    }
  });
  return Status::Ok();
}

}  // namespace tfgle
