#pragma once
/// @file
/// The model's randomness: the engine's seeded generator (so every run repeats from a seed), and Cloudflare-style
/// identifiers drawn from it.

#include <cstdint>
#include <string>

#include "ckp/engine/random.hpp"

namespace ckp::emu {

/// The engine's seeded generator (engine::Rng): the model's ids, faults and latency repeat from Config::fault_seed.
using Rng = engine::Rng;

/// A Cloudflare-style identifier: 32 lowercase hex characters.
inline std::string hex_id(Rng& rng) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    std::uint64_t bits = rng.next();
    for (int i = 0; i < 16; ++i, bits >>= 4) id[static_cast<std::size_t>(half * 16 + i)] = digits[bits & 0xF];
  }
  return id;
}

}  // namespace ckp::emu
