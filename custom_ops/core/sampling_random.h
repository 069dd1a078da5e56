// Random-number helpers shared by the samplers.
//
// Every sampler draws from Philox (philox.h) keyed by the op's `seed` input and
// addressed by (stream, row, draw): the numbers a row gets depend on nothing
// but the seed and the row, so outputs are bit-identical whatever the number
// of threads and however rows are sharded.
#ifndef TFGLE_CORE_SAMPLING_RANDOM_H_
#define TFGLE_CORE_SAMPLING_RANDOM_H_

#include <cstdint>

#include "custom_ops/core/philox.h"

namespace tfgle {

// The most entries (rows x samples per row) one sampling call may produce.
// Larger requests are rejected (they could not be allocated anyway); this
// also keeps every row index below 2^56, where the stream tag lives.
constexpr int64_t kMaxSampledEntries = int64_t{1} << 40;

// splitmix64's finalizer: a bijective 64-bit mixer.
inline uint64_t Mix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The Philox key of a `seed` input [s0, s1] (as in tf.random.stateless_*).
// Both words go into the key, so seeds that differ in either word give
// unrelated streams (putting s1 into the counter next to the row would make
// (s1 = a, row = r) and (s1 = b, row = r ^ a ^ b) collide).
inline uint64_t SeedKey(int64_t s0, int64_t s1) {
  return Mix64(static_cast<uint64_t>(s0) ^ Mix64(static_cast<uint64_t>(s1)));
}

// A Philox generator for one purpose of one op call: `tag` (e.g. the hop of a
// fused multi-hop call) occupies the top 8 bits of the row word of the counter.
inline Philox MakePhilox(int64_t s0, int64_t s1, uint8_t tag) {
  return Philox(SeedKey(s0, s1), static_cast<uint64_t>(tag) << 56);
}

// A uniform integer in [0, n), n >= 1, without bias: Lemire's multiply-shift
// with rejection on 32-bit words for n <= 2^32 (one word per draw almost
// always); the 64-bit multiply-shift above that (bias < n / 2^64).
inline uint64_t UniformIndex(RowRandom* rng, uint64_t n) {
  if (n <= (uint64_t{1} << 32)) {
    uint64_t m = uint64_t{rng->Next32()} * n;
    uint32_t low = static_cast<uint32_t>(m);
    if (low < n) {
      // 2^32 mod n: the number of low values that would bias the result.
      const uint32_t reject = static_cast<uint32_t>((uint64_t{1} << 32) % n);
      while (low < reject) {
        m = uint64_t{rng->Next32()} * n;
        low = static_cast<uint32_t>(m);
      }
    }
    return m >> 32;
  }
  return rng->Uniform(n);
}

}  // namespace tfgle

#endif  // TFGLE_CORE_SAMPLING_RANDOM_H_
