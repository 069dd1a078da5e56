#include "custom_ops/core/sampling_index.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "custom_ops/core/alias_table.h"
#include "custom_ops/core/huge_pages.h"

namespace tfgle {

bool NeighborSet::Contains(const CsrGraph& g, int64_t src, int64_t dst) const {
  const int64_t first = slot_start[src];
  const int64_t capacity = slot_start[src + 1] - first;
  if (capacity == 0) {
    for (int64_t p = g.indptr[src], end = g.indptr[src + 1]; p < end; ++p) {
      if (g.indices[p] == dst) return true;
    }
    return false;
  }
  int64_t i = Home(dst, capacity);
  if (!wide) {
    if (static_cast<uint64_t>(dst) >= kEmpty32) return false;
    const uint32_t* row = slots.data() + first;
    const uint32_t key = static_cast<uint32_t>(dst);
    while (row[i] != kEmpty32) {
      if (row[i] == key) return true;
      if (++i == capacity) i = 0;
    }
    return false;
  }
  const int64_t* row = wide_slots.data() + first;
  while (row[i] != -1) {
    if (row[i] == dst) return true;
    if (++i == capacity) i = 0;
  }
  return false;
}

void NeighborSet::Prefetch(const CsrGraph& g, int64_t src, int64_t dst) const {
  const int64_t first = slot_start[src];
  const int64_t capacity = slot_start[src + 1] - first;
  if (capacity == 0) {
    __builtin_prefetch(g.indices.data() + g.indptr[src]);
  } else if (!wide) {
    __builtin_prefetch(slots.data() + first + Home(dst, capacity));
  } else {
    __builtin_prefetch(wide_slots.data() + first + Home(dst, capacity));
  }
}

template <typename T, typename BuildFn>
Status SamplingIndex::Get(Lazy<T>* lazy, BuildFn build, const T** out) {
  const T* value = lazy->ready.load(std::memory_order_acquire);
  if (value == nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    if (lazy->value == nullptr) {
      auto built = std::make_unique<T>();
      TFGLE_RETURN_IF_ERROR(build(built.get()));
      lazy->value = std::move(built);
      lazy->ready.store(lazy->value.get(), std::memory_order_release);
    }
    value = lazy->value.get();
  }
  *out = value;
  return Status::Ok();
}

Status SamplingIndex::BuildRowAlias(bool by_in_degree, RowAlias* out) const {
  const CsrGraph& g = *graph_;
  // (Huge pages are asked for before the tables are first touched: no collapse needed.)
  ResizeWithHugePages(&out->threshold, g.num_edges());
  ResizeWithHugePages(&out->alias, g.num_edges());
  AliasScratch scratch;
  for (int64_t v = 0; v < g.num_src; ++v) {
    const int64_t begin = g.indptr[v];
    const int64_t degree = g.indptr[v + 1] - begin;
    if (degree > std::numeric_limits<int32_t>::max()) {
      return Status::InvalidArgument(StrCat("node ", v, " has ", degree,
                                            " neighbors, more than the 2^31 - 1 that weighted "
                                            "sampling supports"));
    }
    uint32_t* threshold = out->threshold.data() + begin;
    int32_t* alias = out->alias.data() + begin;
    if (by_in_degree) {
      const int64_t* nbrs = g.indices.data() + begin;
      const int64_t* in_degree = g.in_degree.data();
      BuildAliasColumns(
          degree, [nbrs, in_degree](int64_t i) { return static_cast<double>(in_degree[nbrs[i]]); },
          threshold, alias, &scratch);
    } else {
      const float* weights = g.weights.data() + begin;
      BuildAliasColumns(
          degree, [weights](int64_t i) { return static_cast<double>(weights[i]); }, threshold,
          alias, &scratch);
    }
  }
  return Status::Ok();
}

Status SamplingIndex::EdgeWeightAlias(const RowAlias** out) {
  if (!graph_->weighted()) {
    return Status::InvalidArgument("strategy 'edge_weight' needs an edge type with weights");
  }
  return Get(&edge_weight_alias_, [this](RowAlias* a) { return BuildRowAlias(false, a); }, out);
}

Status SamplingIndex::InDegreeAlias(const RowAlias** out) {
  return Get(&in_degree_alias_, [this](RowAlias* a) { return BuildRowAlias(true, a); }, out);
}

Status SamplingIndex::GetTimeOrder(const TimeOrder** out) {
  if (!graph_->timed()) {
    return Status::InvalidArgument(
        "a temporal filter (before) needs an edge type with timestamps");
  }
  return Get(&time_order_, [this](TimeOrder* order) {
    const CsrGraph& g = *graph_;
    const int64_t* ts = g.timestamps.data();
    bool sorted = true;
    for (int64_t v = 0; v < g.num_src && sorted; ++v) {
      for (int64_t p = g.indptr[v] + 1; p < g.indptr[v + 1]; ++p) {
        if (ts[p - 1] < ts[p]) {
          sorted = false;
          break;
        }
      }
    }
    order->rows_sorted = sorted;
    if (sorted) return Status::Ok();
    ResizeWithHugePages(&order->perm, g.num_edges());
    std::iota(order->perm.begin(), order->perm.end(), int64_t{0});
    for (int64_t v = 0; v < g.num_src; ++v) {
      std::stable_sort(order->perm.begin() + g.indptr[v], order->perm.begin() + g.indptr[v + 1],
                       [ts](int64_t a, int64_t b) { return ts[a] > ts[b]; });
    }
    return Status::Ok();
  }, out);
}

Status SamplingIndex::TimeOrderedSums(bool by_in_degree, const std::vector<double>** out) {
  const TimeOrder* order;
  TFGLE_RETURN_IF_ERROR(GetTimeOrder(&order));
  return Get(by_in_degree ? &in_degree_sums_ : &weight_sums_,
             [this, order, by_in_degree](std::vector<double>* sums) {
               const CsrGraph& g = *graph_;
               ResizeWithHugePages(sums, g.num_edges());
               for (int64_t v = 0; v < g.num_src; ++v) {
                 double total = 0;
                 for (int64_t i = g.indptr[v]; i < g.indptr[v + 1]; ++i) {
                   const int64_t p = order->Position(i);
                   total += by_in_degree ? static_cast<double>(g.in_degree[g.indices[p]])
                                         : static_cast<double>(g.weights[p]);
                   (*sums)[i] = total;
                 }
               }
               return Status::Ok();
             },
             out);
}

Status SamplingIndex::TimeOrderedWeightSums(const std::vector<double>** out) {
  if (!graph_->weighted()) {
    return Status::InvalidArgument("strategy 'edge_weight' needs an edge type with weights");
  }
  return TimeOrderedSums(false, out);
}

Status SamplingIndex::TimeOrderedInDegreeSums(const std::vector<double>** out) {
  return TimeOrderedSums(true, out);
}

Status SamplingIndex::GetNeighborSet(const NeighborSet** out) {
  return Get(&neighbor_set_, [this](NeighborSet* set) {
    const CsrGraph& g = *graph_;
    set->wide = g.num_dst >= static_cast<int64_t>(NeighborSet::kEmpty32);
    ResizeWithHugePages(&set->slot_start, g.num_src + 1);
    set->slot_start[0] = 0;
    for (int64_t v = 0; v < g.num_src; ++v) {
      const int64_t degree = g.OutDegree(v);
      set->slot_start[v + 1] =
          set->slot_start[v] + (degree > NeighborSet::kScanDegree ? 2 * degree : 0);
    }
    const int64_t total = set->slot_start[g.num_src];
    if (set->wide) {
      ResizeWithHugePages(&set->wide_slots, total);
      std::fill(set->wide_slots.begin(), set->wide_slots.end(), -1);
    } else {
      ResizeWithHugePages(&set->slots, total);
      std::fill(set->slots.begin(), set->slots.end(), NeighborSet::kEmpty32);
    }
    for (int64_t v = 0; v < g.num_src; ++v) {
      const int64_t first = set->slot_start[v];
      const int64_t capacity = set->slot_start[v + 1] - first;
      if (capacity == 0) continue;
      for (int64_t p = g.indptr[v]; p < g.indptr[v + 1]; ++p) {
        const int64_t dst = g.indices[p];
        int64_t i = NeighborSet::Home(dst, capacity);
        if (set->wide) {
          int64_t* row = set->wide_slots.data() + first;
          while (row[i] != -1 && row[i] != dst) i = i + 1 == capacity ? 0 : i + 1;
          row[i] = dst;
        } else {
          uint32_t* row = set->slots.data() + first;
          const uint32_t key = static_cast<uint32_t>(dst);
          while (row[i] != NeighborSet::kEmpty32 && row[i] != key) {
            i = i + 1 == capacity ? 0 : i + 1;
          }
          row[i] = key;
        }
      }
    }
    return Status::Ok();
  }, out);
}

void SamplingIndex::AdviseHugePages() {
  std::call_once(huge_pages_once_, [this] {
    if (graph_pages_advised_) return;
    AdviseHugePagesFor(graph_->indptr);
    AdviseHugePagesFor(graph_->indices);
    AdviseHugePagesFor(graph_->edge_ids);
    AdviseHugePagesFor(graph_->weights);
    AdviseHugePagesFor(graph_->timestamps);
  });
}

Status SamplingIndex::InDegreeDistribution(double exponent, const NodeDistribution** out) {
  if (!std::isfinite(exponent)) {
    return Status::InvalidArgument(StrCat("exponent must be a finite number, got ", exponent));
  }
  std::lock_guard<std::mutex> lock(distributions_mu_);
  std::unique_ptr<NodeDistribution>& slot = in_degree_distributions_[exponent];
  if (slot == nullptr) {
    const CsrGraph& g = *graph_;
    std::vector<double> weights(g.num_dst);
    for (int64_t v = 0; v < g.num_dst; ++v) {
      const double w =
          g.in_degree[v] > 0 ? std::pow(static_cast<double>(g.in_degree[v]), exponent) : 0.0;
      // A weight below the smallest normal double counts as 0, as it does where
      // denormals are flushed (weights.h refuses subnormal weights).
      weights[v] = w >= std::numeric_limits<double>::min() ? w : 0.0;
    }
    auto distribution = std::make_unique<NodeDistribution>();
    Status status = NodeDistribution::Build(g.num_dst, weights.data(), nullptr,
                                            distribution.get());
    if (!status.ok()) {
      in_degree_distributions_.erase(exponent);
      return Status::InvalidArgument(StrCat("in-degree ^ ", exponent,
                                            " does not give finite weights: ", status.message()));
    }
    slot = std::move(distribution);
  }
  *out = slot.get();
  return Status::Ok();
}

int64_t SamplingIndex::ByteSize() const {
  int64_t bytes = 0;
  auto add_alias = [&bytes](const RowAlias* a) {
    if (a) bytes += a->threshold.capacity() * sizeof(uint32_t) + a->alias.capacity() * sizeof(int32_t);
  };
  add_alias(edge_weight_alias_.ready.load());
  add_alias(in_degree_alias_.ready.load());
  if (const TimeOrder* t = time_order_.ready.load()) bytes += t->perm.capacity() * sizeof(int64_t);
  if (const auto* s = weight_sums_.ready.load()) bytes += s->capacity() * sizeof(double);
  if (const auto* s = in_degree_sums_.ready.load()) bytes += s->capacity() * sizeof(double);
  if (const NeighborSet* n = neighbor_set_.ready.load()) {
    bytes += (n->slot_start.capacity() + n->wide_slots.capacity()) * sizeof(int64_t) +
             n->slots.capacity() * sizeof(uint32_t);
  }
  std::lock_guard<std::mutex> lock(distributions_mu_);
  for (const auto& entry : in_degree_distributions_) {
    if (entry.second) bytes += entry.second->ByteSize();
  }
  return bytes;
}

}  // namespace tfgle
