// The rule every weight input follows (edge weights, node-distribution
// weights, alias tables): a weight is 0 or a normal number > 0, that is finite
// and >= std::numeric_limits<W>::min() (1.17549435e-38 for float32).
//
// Subnormal weights (0 < w < min) are refused with an error that names them:
// TensorFlow runs kernels with denormals flushed to zero, where a subnormal
// weight passes `w >= 0` but counts as 0 in every sum, so it would never be
// drawn there, while the same code outside TensorFlow would draw it. The rule
// is read off the bits, so its answer, and the value an error prints, is the
// same in every floating-point mode.
#ifndef TFGLE_CORE_WEIGHTS_H_
#define TFGLE_CORE_WEIGHTS_H_

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include "custom_ops/core/status.h"

namespace tfgle {
namespace weights_internal {

enum class WeightKind { kValid, kNegativeOrNotFinite, kSubnormal };

template <typename W>
struct WeightBits {
  static_assert(std::numeric_limits<W>::is_iec559, "weights are IEEE floats");
  using Bits = std::conditional_t<sizeof(W) == 4, uint32_t, uint64_t>;
  static_assert(sizeof(Bits) == sizeof(W), "weights are float or double");
  static constexpr int kMantissaBits = std::numeric_limits<W>::digits - 1;
  static constexpr Bits kSign = Bits{1} << (8 * sizeof(Bits) - 1);
  static constexpr Bits kMantissa = (Bits{1} << kMantissaBits) - 1;
  static constexpr Bits kExponent = (kSign - 1) & ~kMantissa;

  static Bits Of(W w) {
    Bits bits;
    std::memcpy(&bits, &w, sizeof w);
    return bits;
  }
  static WeightKind Classify(W w) {
    const Bits bits = Of(w);
    const Bits magnitude = bits & ~kSign;
    if (magnitude == 0) return WeightKind::kValid;  // 0 and -0
    if ((bits & kSign) != 0 || (magnitude & kExponent) == kExponent) {
      return WeightKind::kNegativeOrNotFinite;
    }
    return (magnitude & kExponent) == 0 ? WeightKind::kSubnormal : WeightKind::kValid;
  }
  // The value as text: subnormals (either sign) from their bits, with the
  // fewest significant digits that read back as the same value (long double
  // holds them as normal numbers, so no mode flushes them); others as ostream.
  static std::string Format(W w) {
    const Bits bits = Of(w);
    if ((bits & kExponent) != 0 || (bits & kMantissa) == 0) return StrCat(w);
    constexpr int kScale = std::numeric_limits<W>::digits - std::numeric_limits<W>::min_exponent;
    const long double mantissa = static_cast<long double>(bits & kMantissa);
    const long double value = std::ldexp(mantissa, -kScale);
    char text[48] = "";
    for (int digits = 1; digits <= std::numeric_limits<W>::max_digits10; ++digits) {
      std::snprintf(text, sizeof text, "%.*Lg", digits, value);
      if (std::nearbyint(std::ldexp(std::strtold(text, nullptr), kScale)) == mantissa) break;
    }
    return ((bits & kSign) != 0 ? "-" : "") + std::string(text);
  }
};

}  // namespace weights_internal

// True when `w` is a valid weight: 0, or finite, > 0 and not subnormal.
template <typename W>
bool IsValidWeight(W w) {
  return weights_internal::WeightBits<W>::Classify(w) == weights_internal::WeightKind::kValid;
}

// The InvalidArgument for weights[i] = w, a weight IsValidWeight refuses:
//   "weights[3] = -0.5 is not a finite number >= 0"
//   "weights[1] = 1e-40 is subnormal; weights must be 0 or >= 1.17549435e-38"
template <typename W>
Status InvalidWeight(int64_t i, W w) {
  using Bits = weights_internal::WeightBits<W>;
  const std::string head = StrCat("weights[", i, "] = ", Bits::Format(w));
  if (Bits::Classify(w) != weights_internal::WeightKind::kSubnormal) {
    return Status::InvalidArgument(head + " is not a finite number >= 0");
  }
  char min[48];
  std::snprintf(min, sizeof min, "%.*g", std::numeric_limits<W>::max_digits10,
                static_cast<double>(std::numeric_limits<W>::min()));
  return Status::InvalidArgument(head + " is subnormal; weights must be 0 or >= " + min);
}

// OK when every weight of weights[0, n) is valid, else the error of the first
// invalid one.
template <typename W>
Status CheckWeights(const W* weights, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (!IsValidWeight(weights[i])) return InvalidWeight(i, weights[i]);
  }
  return Status::Ok();
}

}  // namespace tfgle

#endif  // TFGLE_CORE_WEIGHTS_H_
