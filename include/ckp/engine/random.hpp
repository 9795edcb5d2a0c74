#pragma once
/// @file
/// A small seeded random generator whose output is identical on every platform and standard library (the std
/// distributions are not), so that every decision the engine or the simulator makes repeats from a seed.

#include <cstdint>

namespace ckp::engine {

/// xoshiro256** seeded through SplitMix64. Not for cryptography.
class Rng {
 public:
  /// A generator whose sequence is fixed by @p seed.
  explicit Rng(std::uint64_t seed = 1) noexcept {
    for (auto& word : s_) {
      seed += 0x9E3779B97F4A7C15ULL;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
      word = z ^ (z >> 31);
    }
  }

  /// The next 64 random bits.
  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform in [0, 1).
  double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Uniform in [lo, hi).
  double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform(); }
  /// True with probability @p p. Always consumes one draw, so the sequence does not depend on the rate.
  bool chance(double p) noexcept { return uniform() < p; }
  /// Uniform integer in [0, n); 0 when n is 0.
  std::uint64_t below(std::uint64_t n) noexcept { return n == 0 ? 0 : next() % n; }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4]{};
};

}  // namespace ckp::engine
