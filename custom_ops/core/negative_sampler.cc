#include "custom_ops/core/negative_sampler.h"

#include "custom_ops/core/sampling_random.h"

namespace tfgle {

Status ParseNegativeStrategy(const std::string& name, NegativeStrategy* out) {
  if (name == "random") {
    *out = NegativeStrategy::kRandom;
  } else if (name == "in_degree") {
    *out = NegativeStrategy::kInDegree;
  } else if (name == "node_weight") {
    *out = NegativeStrategy::kNodeWeight;
  } else if (name == "conditional") {
    *out = NegativeStrategy::kConditional;
  } else {
    return Status::InvalidArgument(
        StrCat("unknown negative sampling strategy '", name,
               "'; allowed: random, in_degree, node_weight, conditional"));
  }
  return Status::Ok();
}

Status SampleNegatives(const CsrGraph& graph, SamplingIndex* index,
                       const NegativeSamplerOptions& options, const int64_t* ids,
                       int64_t num_rows, const char* ids_name, const Philox& philox,
                       const Executor& executor, int64_t* negatives, bool* mask) {
  const int64_t num = options.num;
  if (num <= 0) return Status::InvalidArgument(StrCat("num must be > 0, got ", num));
  if (options.max_trials <= 0 || options.max_trials > kMaxTrials) {
    return Status::InvalidArgument(
        StrCat("max_trials must be in [1, ", kMaxTrials, "], got ", options.max_trials));
  }
  if (num_rows < 0) return Status::InvalidArgument(StrCat("num_rows must be >= 0, got ", num_rows));
  if (num_rows > kMaxSampledEntries / num) {
    return Status::InvalidArgument(StrCat(num_rows, " rows x num ", num, " = ",
                                          static_cast<double>(num_rows) * num,
                                          " samples is more than the ", kMaxSampledEntries,
                                          " one call may produce"));
  }
  for (int64_t i = 0; i < num_rows; ++i) {
    if (static_cast<uint64_t>(ids[i]) >= static_cast<uint64_t>(graph.num_src)) {
      return Status::InvalidArgument(
          StrCat(ids_name, "[", i, "] = ", ids[i], " is not in [0, ", graph.num_src, ")"));
    }
  }
  const NodeDistribution* distribution = options.distribution;
  switch (options.strategy) {
    case NegativeStrategy::kRandom:
      distribution = nullptr;
      break;
    case NegativeStrategy::kInDegree:
      TFGLE_RETURN_IF_ERROR(index->InDegreeDistribution(options.exponent, &distribution));
      break;
    case NegativeStrategy::kNodeWeight:
    case NegativeStrategy::kConditional: {
      const bool conditional = options.strategy == NegativeStrategy::kConditional;
      const char* name = conditional ? "conditional" : "node_weight";
      if (distribution == nullptr) {
        return Status::InvalidArgument(
            StrCat("strategy '", name, "' needs a node distribution"));
      }
      if (distribution->num_nodes() != graph.num_dst) {
        return Status::InvalidArgument(
            StrCat("the node distribution covers ", distribution->num_nodes(),
                   " nodes but the edge type has ", graph.num_dst, " destination nodes"));
      }
      if (!conditional && !distribution->weighted()) {
        return Status::InvalidArgument(
            "strategy 'node_weight' needs a node distribution with weights");
      }
      if (conditional && !distribution->has_categories()) {
        return Status::InvalidArgument(
            "strategy 'conditional' needs a node distribution with categories");
      }
      if (conditional && options.target_categories == nullptr) {
        return Status::InvalidArgument(
            "strategy 'conditional' needs the target category of every row");
      }
      break;
    }
  }
  index->AdviseHugePages();
  const NeighborSet* neighbors;
  TFGLE_RETURN_IF_ERROR(index->GetNeighborSet(&neighbors));
  const bool conditional = options.strategy == NegativeStrategy::kConditional;
  const uint64_t num_dst = static_cast<uint64_t>(graph.num_dst);

  // Per row: every negative's first candidate is drawn (in order) and its
  // membership test prefetched, then the candidates are checked and rejected
  // ones redrawn (in order). The next rows' index pointers are prefetched.
  executor.parallel_for(num_rows, 100 * num + 100, [&](int64_t begin, int64_t end) {
    constexpr int64_t kAhead = 4;
    for (int64_t r = begin; r < end; ++r) {
      if (r + kAhead < end) {
        const int64_t next = ids[r + kAhead];
        __builtin_prefetch(graph.indptr.data() + next);
        __builtin_prefetch(neighbors->slot_start.data() + next);
      }
      RowRandom rng(philox, static_cast<uint64_t>(r));
      const int64_t src = ids[r];
      int64_t* out = negatives + r * num;
      bool* ok = mask + r * num;
      const int64_t group =
          conditional ? distribution->FindGroup(options.target_categories[r]) : -1;
      auto draw = [&]() -> int64_t {
        if (conditional) return group < 0 ? -1 : distribution->DrawFromGroup(&rng, group);
        if (distribution != nullptr) return distribution->Draw(&rng);
        return num_dst == 0 ? -1 : static_cast<int64_t>(UniformIndex(&rng, num_dst));
      };
      for (int64_t j = 0; j < num; ++j) {
        out[j] = draw();
        if (out[j] >= 0) neighbors->Prefetch(graph, src, out[j]);
      }
      for (int64_t j = 0; j < num; ++j) {
        int64_t candidate = out[j];
        bool accepted = false;
        for (int64_t trial = 1; candidate >= 0; ++trial) {
          if (!neighbors->Contains(graph, src, candidate)) {
            accepted = true;
            break;
          }
          if (trial == options.max_trials) break;
          candidate = draw();
        }
        out[j] = candidate;
        ok[j] = accepted;
      }
    }
  });
  return Status::Ok();
}

}  // namespace tfgle
