// A distribution over the nodes of one type, for negative sampling: uniform or
// ∝ a weight per node, optionally grouped by a categorical value per node so
// that draws can be restricted to the nodes sharing a target's value.
#ifndef TFGLE_CORE_NODE_DISTRIBUTION_H_
#define TFGLE_CORE_NODE_DISTRIBUTION_H_

#include <cstdint>
#include <vector>

#include "custom_ops/core/alias_table.h"
#include "custom_ops/core/philox.h"
#include "custom_ops/core/status.h"

namespace tfgle {

class NodeDistribution {
 public:
  // n nodes; weights: [n] finite values >= 0, or null for uniform;
  // categories: [n] category ids, or null when draws are never conditional.
  template <typename W>
  static Status Build(int64_t n, const W* weights, const int64_t* categories,
                      NodeDistribution* out);

  int64_t num_nodes() const { return num_nodes_; }
  bool weighted() const { return weighted_; }
  bool has_categories() const { return has_categories_; }

  // A node in [0, n), or -1 when none can be drawn (n == 0 or all weights 0).
  int64_t Draw(RowRandom* rng) const {
    if (weighted_) return alias_.Draw(rng);
    if (num_nodes_ == 0) return -1;
    return static_cast<int64_t>(UniformIndex(rng, static_cast<uint64_t>(num_nodes_)));
  }

  // The group of nodes whose category is `category`, or -1 if no node has it.
  // Needs has_categories().
  int64_t FindGroup(int64_t category) const;
  // A node of group `group` (from FindGroup, >= 0), or -1 when none can be
  // drawn (all its weights are 0).
  int64_t DrawFromGroup(RowRandom* rng, int64_t group) const {
    const int64_t begin = group_offsets_[group];
    const int64_t size = group_offsets_[group + 1] - begin;
    int64_t k;
    if (weighted_) {
      k = DrawAlias(rng, size, group_threshold_.data() + begin, group_alias_.data() + begin);
      if (k < 0) return -1;
    } else {
      k = static_cast<int64_t>(UniformIndex(rng, static_cast<uint64_t>(size)));
    }
    return members_[begin + k];
  }

  int64_t ByteSize() const;

 private:
  int64_t num_nodes_ = 0;
  bool weighted_ = false;
  bool has_categories_ = false;
  AliasTable alias_;                     // weighted: over all nodes
  std::vector<int64_t> category_values_;  // sorted distinct categories (one per group)
  std::vector<int64_t> group_offsets_;    // [groups + 1] into members_
  std::vector<int64_t> members_;          // node indices, grouped by category
  std::vector<uint32_t> group_threshold_; // weighted: per-group alias columns,
  std::vector<int32_t> group_alias_;      //   alias relative to the group start
};

}  // namespace tfgle

#endif  // TFGLE_CORE_NODE_DISTRIBUTION_H_
