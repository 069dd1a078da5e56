// Vose's alias method: O(n) to build, O(1) per draw.
//
// A distribution over n outcomes becomes n columns of equal mass; column i
// keeps outcome i with probability threshold[i] / 2^32 and gives the rest of
// its mass to alias[i]. A draw is one uniform column and one 32-bit word.
#ifndef TFGLE_CORE_ALIAS_TABLE_H_
#define TFGLE_CORE_ALIAS_TABLE_H_

#include <cmath>
#include <cstdint>
#include <vector>

#include "custom_ops/core/philox.h"
#include "custom_ops/core/sampling_random.h"
#include "custom_ops/core/status.h"
#include "custom_ops/core/weights.h"

namespace tfgle {

// Buffers reused across builds (per-row tables build millions of small ones).
struct AliasScratch {
  std::vector<double> scaled;
  std::vector<int64_t> small, large;
};

// Fills the alias columns of p(i) ∝ weight(i) for i in [0, n). `alias` holds
// outcome indices in [0, n) (the caller may store them relative to a row).
// weight(i) must be valid (weights.h). Returns the total weight; when it is 0
// nothing can be drawn: every threshold is 0 and every alias -1.
template <typename Index, typename WeightFn>
double BuildAliasColumns(int64_t n, WeightFn weight, uint32_t* threshold, Index* alias,
                         AliasScratch* scratch) {
  double total = 0;
  for (int64_t i = 0; i < n; ++i) total += weight(i);
  if (!(total > 0)) {
    for (int64_t i = 0; i < n; ++i) {
      threshold[i] = 0;
      alias[i] = static_cast<Index>(-1);
    }
    return 0;
  }
  std::vector<double>& scaled = scratch->scaled;
  std::vector<int64_t>& small = scratch->small;
  std::vector<int64_t>& large = scratch->large;
  scaled.resize(n);
  small.clear();
  large.clear();
  const double scale = static_cast<double>(n) / total;
  for (int64_t i = 0; i < n; ++i) {
    scaled[i] = weight(i) * scale;
    (scaled[i] < 1.0 ? small : large).push_back(i);
  }
  constexpr double kTwo32 = 4294967296.0;
  auto to_threshold = [](double p) -> uint32_t {
    const double t = std::floor(p * kTwo32);
    return t >= kTwo32 - 1 ? UINT32_MAX : (t <= 0 ? 0u : static_cast<uint32_t>(t));
  };
  while (!small.empty() && !large.empty()) {
    const int64_t s = small.back();
    small.pop_back();
    const int64_t l = large.back();
    threshold[s] = to_threshold(scaled[s]);
    alias[s] = static_cast<Index>(l);
    scaled[l] = (scaled[l] + scaled[s]) - 1.0;
    if (scaled[l] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
  // What is left has mass 1 up to rounding: keep it whole.
  for (const int64_t i : large) {
    threshold[i] = UINT32_MAX;
    alias[i] = static_cast<Index>(i);
  }
  for (const int64_t i : small) {
    threshold[i] = UINT32_MAX;
    alias[i] = static_cast<Index>(i);
  }
  return total;
}

// One draw from columns built by BuildAliasColumns (n >= 1): an outcome in
// [0, n), or -1 when the total weight was 0.
template <typename Index>
inline int64_t DrawAlias(RowRandom* rng, int64_t n, const uint32_t* threshold, const Index* alias) {
  const int64_t column = static_cast<int64_t>(UniformIndex(rng, static_cast<uint64_t>(n)));
  return rng->Next32() < threshold[column] ? column : static_cast<int64_t>(alias[column]);
}

// A standalone alias table over [0, n).
class AliasTable {
 public:
  // weights: n valid weights (checked: 0 or finite, > 0 and not subnormal, see
  // weights.h). A table of total weight 0 is valid; it draws nothing (Draw
  // returns -1).
  template <typename W>
  static Status Build(const W* weights, int64_t n, AliasTable* out) {
    if (n < 0) return Status::InvalidArgument(StrCat("n must be >= 0, got ", n));
    TFGLE_RETURN_IF_ERROR(CheckWeights(weights, n));
    out->threshold_.resize(n);
    out->alias_.resize(n);
    AliasScratch scratch;
    out->total_ = BuildAliasColumns(
        n, [weights](int64_t i) { return static_cast<double>(weights[i]); },
        out->threshold_.data(), out->alias_.data(), &scratch);
    if (!std::isfinite(out->total_)) {
      return Status::InvalidArgument("the weights sum to infinity");
    }
    return Status::Ok();
  }

  int64_t size() const { return static_cast<int64_t>(alias_.size()); }
  double total_weight() const { return total_; }
  // True when nothing can be drawn (no outcomes, or total weight 0).
  bool empty() const { return !(total_ > 0); }

  // An outcome in [0, n) with probability weight / total, or -1 when empty().
  int64_t Draw(RowRandom* rng) const {
    if (empty()) return -1;
    return DrawAlias(rng, size(), threshold_.data(), alias_.data());
  }

  int64_t ByteSize() const {
    return static_cast<int64_t>(threshold_.capacity() * sizeof(uint32_t) +
                                alias_.capacity() * sizeof(int64_t));
  }

 private:
  std::vector<uint32_t> threshold_;
  std::vector<int64_t> alias_;
  double total_ = 0;
};

}  // namespace tfgle

#endif  // TFGLE_CORE_ALIAS_TABLE_H_
