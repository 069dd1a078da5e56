// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3").
//
// Counter-based: the output is a pure function of (key, counter), so samplers
// key it by the op's seed and address it by (row, draw). Results therefore do
// not depend on how rows are sharded over threads.
#ifndef TFGLE_CORE_PHILOX_H_
#define TFGLE_CORE_PHILOX_H_

#include <array>
#include <cstdint>

namespace tfgle {

class Philox {
 public:
  using Block = std::array<uint32_t, 4>;

  // key: the two 32-bit halves of a 64-bit seed; stream: a second seed word
  // mixed into the counter's upper half so that different ops/hops differ.
  Philox(uint64_t seed, uint64_t stream)
      : key0_(static_cast<uint32_t>(seed)),
        key1_(static_cast<uint32_t>(seed >> 32)),
        stream_(stream) {}

  // Four independent 32-bit words for (row, index).
  Block Generate(uint64_t row, uint64_t index) const {
    Block ctr = {static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32),
                 static_cast<uint32_t>(row), static_cast<uint32_t>(row >> 32)};
    ctr[2] ^= static_cast<uint32_t>(stream_);
    ctr[3] ^= static_cast<uint32_t>(stream_ >> 32);
    uint32_t k0 = key0_, k1 = key1_;
    for (int round = 0; round < 10; ++round) {
      const uint64_t p0 = uint64_t{kMul0} * ctr[0];
      const uint64_t p1 = uint64_t{kMul1} * ctr[2];
      ctr = {static_cast<uint32_t>(p1 >> 32) ^ ctr[1] ^ k0, static_cast<uint32_t>(p1),
             static_cast<uint32_t>(p0 >> 32) ^ ctr[3] ^ k1, static_cast<uint32_t>(p0)};
      k0 += kWeyl0;
      k1 += kWeyl1;
    }
    return ctr;
  }

 private:
  static constexpr uint32_t kMul0 = 0xD2511F53u;
  static constexpr uint32_t kMul1 = 0xCD9E8D57u;
  static constexpr uint32_t kWeyl0 = 0x9E3779B9u;
  static constexpr uint32_t kWeyl1 = 0xBB67AE85u;
  uint32_t key0_, key1_;
  uint64_t stream_;
};

// A stream of random numbers for one row: draws Philox blocks lazily.
class RowRandom {
 public:
  RowRandom(const Philox& philox, uint64_t row) : philox_(philox), row_(row) {}

  uint32_t Next32() {
    if (used_ == 4) {
      block_ = philox_.Generate(row_, counter_++);
      used_ = 0;
    }
    return block_[used_++];
  }
  uint64_t Next64() { return (uint64_t{Next32()} << 32) | Next32(); }

  // Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias < n / 2^64).
  uint64_t Uniform(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next64()) * n) >> 64);
  }
  // Uniform float in [0, 1).
  float UniformFloat() { return (Next32() >> 8) * (1.0f / 16777216.0f); }
  // Uniform double in [0, 1).
  double UniformDouble() { return (Next64() >> 11) * (1.0 / 9007199254740992.0); }

 private:
  const Philox& philox_;
  uint64_t row_;
  uint64_t counter_ = 0;
  Philox::Block block_{};
  int used_ = 4;
};

}  // namespace tfgle

#endif  // TFGLE_CORE_PHILOX_H_
