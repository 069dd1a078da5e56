// Negative sampling: for each source node, `num` destination nodes that are
// not its neighbors along the edge type.
//
// Candidates are drawn from a distribution over destination nodes and
// rejected while they are true neighbors, up to `max_trials` draws per
// negative. When every trial hits a neighbor (a saturated source) the sampler
// gives up: it keeps the last candidate and clears the entry's mask bit.
#ifndef TFGLE_CORE_NEGATIVE_SAMPLER_H_
#define TFGLE_CORE_NEGATIVE_SAMPLER_H_

#include <cstdint>
#include <string>

#include "custom_ops/core/csr_graph.h"
#include "custom_ops/core/executor.h"
#include "custom_ops/core/node_distribution.h"
#include "custom_ops/core/philox.h"
#include "custom_ops/core/sampling_index.h"
#include "custom_ops/core/status.h"

namespace tfgle {

enum class NegativeStrategy {
  kRandom,       // uniform over the destination nodes
  kInDegree,     // ∝ in_degree ^ exponent (alias table, built once per exponent)
  kNodeWeight,   // ∝ a weight per destination node (a weighted NodeDistribution)
  kConditional,  // among the destination nodes whose category equals the row's target
                 // category (uniform, or ∝ the distribution's weights)
};
// "random", "in_degree", "node_weight", "conditional".
Status ParseNegativeStrategy(const std::string& name, NegativeStrategy* out);

// The most draws per negative (a bound on the work of one call).
constexpr int64_t kMaxTrials = 1024;

struct NegativeSamplerOptions {
  NegativeStrategy strategy = NegativeStrategy::kRandom;
  int64_t num = 1;          // negatives per row
  int64_t max_trials = 16;  // draws per negative before giving up, in [1, kMaxTrials]
  double exponent = 0.75;   // kInDegree
  // kNodeWeight (weighted) and kConditional (with categories): over the
  // graph's num_dst destination nodes.
  const NodeDistribution* distribution = nullptr;
  // kConditional: [num_rows] the category each row's negatives must have.
  const int64_t* target_categories = nullptr;
};

// Writes num_rows * num negatives and mask entries:
//   mask true:  a destination node that is not a neighbor of the row's source
//               (and, for kConditional, has the target category);
//   mask false: the sampler gave up after max_trials true neighbors (the entry
//               holds the last one), or no node can be drawn at all (-1: the
//               edge type has no destination nodes, all weights are 0, or no
//               node has the target category).
Status SampleNegatives(const CsrGraph& graph, SamplingIndex* index,
                       const NegativeSamplerOptions& options, const int64_t* ids,
                       int64_t num_rows, const char* ids_name, const Philox& philox,
                       const Executor& executor, int64_t* negatives, bool* mask);

}  // namespace tfgle

#endif  // TFGLE_CORE_NEGATIVE_SAMPLER_H_
