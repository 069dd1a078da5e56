#include "custom_ops/core/node_distribution.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace tfgle {

template <typename W>
Status NodeDistribution::Build(int64_t n, const W* weights, const int64_t* categories,
                               NodeDistribution* out) {
  if (n < 0) return Status::InvalidArgument(StrCat("the number of nodes must be >= 0, got ", n));
  NodeDistribution& d = *out;
  d = NodeDistribution();
  d.num_nodes_ = n;
  d.weighted_ = weights != nullptr;
  d.has_categories_ = categories != nullptr;
  if (d.weighted_) TFGLE_RETURN_IF_ERROR(AliasTable::Build(weights, n, &d.alias_));
  if (!d.has_categories_) return Status::Ok();

  // Group the nodes by category: stable sort of node indices by value.
  d.members_.resize(n);
  std::iota(d.members_.begin(), d.members_.end(), int64_t{0});
  std::stable_sort(d.members_.begin(), d.members_.end(),
                   [categories](int64_t a, int64_t b) { return categories[a] < categories[b]; });
  d.group_offsets_.push_back(0);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t value = categories[d.members_[i]];
    if (i > 0 && value == d.category_values_.back()) continue;
    if (i > 0) d.group_offsets_.push_back(i);
    d.category_values_.push_back(value);
  }
  if (n > 0) d.group_offsets_.push_back(n);
  if (d.weighted_) {
    d.group_threshold_.resize(n);
    d.group_alias_.resize(n);
    AliasScratch scratch;
    const int64_t groups = static_cast<int64_t>(d.category_values_.size());
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t begin = d.group_offsets_[g];
      const int64_t size = d.group_offsets_[g + 1] - begin;
      if (size > std::numeric_limits<int32_t>::max()) {
        return Status::InvalidArgument(
            StrCat("category ", d.category_values_[g], " has ", size,
                   " nodes, more than the 2^31 - 1 a weighted group supports"));
      }
      const int64_t* members = d.members_.data() + begin;
      BuildAliasColumns(
          size, [weights, members](int64_t i) { return static_cast<double>(weights[members[i]]); },
          d.group_threshold_.data() + begin, d.group_alias_.data() + begin, &scratch);
    }
  }
  return Status::Ok();
}

template Status NodeDistribution::Build<float>(int64_t, const float*, const int64_t*,
                                               NodeDistribution*);
template Status NodeDistribution::Build<double>(int64_t, const double*, const int64_t*,
                                                NodeDistribution*);

int64_t NodeDistribution::FindGroup(int64_t category) const {
  const auto it = std::lower_bound(category_values_.begin(), category_values_.end(), category);
  if (it == category_values_.end() || *it != category) return -1;
  return it - category_values_.begin();
}

int64_t NodeDistribution::ByteSize() const {
  return alias_.ByteSize() +
         static_cast<int64_t>((category_values_.capacity() + group_offsets_.capacity() +
                               members_.capacity()) * sizeof(int64_t) +
                              group_threshold_.capacity() * sizeof(uint32_t) +
                              group_alias_.capacity() * sizeof(int32_t));
}

}  // namespace tfgle
