#include "custom_ops/core/sampling_index.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "custom_ops/core/alias_table.h"

namespace tfgle {

bool NeighborSet::Contains(const CsrGraph& g, int64_t src, int64_t dst) const {
  const int64_t begin = g.indptr[src];
  const int64_t end = g.indptr[src + 1];
  if (end - begin <= kScanDegree) {
    for (int64_t p = begin; p < end; ++p) {
      if (g.indices[p] == dst) return true;
    }
    return false;
  }
  const int64_t* row = sorted_start[src] < 0 ? g.indices.data() + begin
                                             : sorted.data() + sorted_start[src];
  return std::binary_search(row, row + (end - begin), dst);
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
  out->threshold.resize(g.num_edges());
  out->alias.resize(g.num_edges());
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
    order->perm.resize(g.num_edges());
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
               sums->resize(g.num_edges());
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
    set->sorted_start.assign(g.num_src, -1);
    int64_t copied = 0;
    for (int64_t v = 0; v < g.num_src; ++v) {
      const int64_t begin = g.indptr[v], end = g.indptr[v + 1];
      if (end - begin > NeighborSet::kScanDegree &&
          !std::is_sorted(g.indices.begin() + begin, g.indices.begin() + end)) {
        set->sorted_start[v] = copied;
        copied += end - begin;
      }
    }
    set->sorted.resize(copied);
    for (int64_t v = 0; v < g.num_src; ++v) {
      if (set->sorted_start[v] < 0) continue;
      int64_t* row = set->sorted.data() + set->sorted_start[v];
      const int64_t begin = g.indptr[v], end = g.indptr[v + 1];
      std::copy(g.indices.begin() + begin, g.indices.begin() + end, row);
      std::sort(row, row + (end - begin));
    }
    return Status::Ok();
  }, out);
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
      weights[v] = g.in_degree[v] > 0 ? std::pow(static_cast<double>(g.in_degree[v]), exponent)
                                      : 0.0;
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
    bytes += (n->sorted_start.capacity() + n->sorted.capacity()) * sizeof(int64_t);
  }
  std::lock_guard<std::mutex> lock(distributions_mu_);
  for (const auto& entry : in_degree_distributions_) {
    if (entry.second) bytes += entry.second->ByteSize();
  }
  return bytes;
}

}  // namespace tfgle
