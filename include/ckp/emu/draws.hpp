#pragma once
/// @file
/// Keyed draws (DrawMode::keyed): a request's random numbers come from a hash of the seed, the request and its
/// attempt, instead of from generators read in the order requests arrive. Every client that sends the same calls
/// then sees the same latency and faults for each call, whatever order, concurrency or retries of other calls it
/// has, so that two client settings can be compared call for call (common random numbers).
///
/// Example:
/// ```
/// ckp::emu::KeyedDraws draws(7);
/// auto first = draws.next(request);   // the draws of the request's first attempt, the same in every run
/// auto retry = draws.next(request);   // its second attempt: new draws, also the same in every run
/// ```

#include <cstdint>
#include <string_view>
#include <unordered_map>

#include "ckp/api/http.hpp"

namespace ckp::emu {

/// The random numbers behind one request.
struct RequestDraws {
  double fault = 0;            ///< uniform in [0, 1): which request-level fault hits it (FaultInjector::fault_at)
  double latency = 0;          ///< uniform in [0, 1): the share of LatencyModel::jitter it gets
  std::uint64_t key_seed = 0;  ///< seeds the per-key failures of a bulk request (FaultInjector::key_fails)
};

namespace draw_detail {

/// SplitMix64's finalizer: mixes 64 bits so that nearby inputs give unrelated outputs.
constexpr std::uint64_t mix(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// The top 53 bits of @p x as a double in [0, 1) (as engine::Rng::uniform).
constexpr double unit(std::uint64_t x) noexcept { return static_cast<double>(x >> 11) * 0x1.0p-53; }

}  // namespace draw_detail

/// A request's identity for keyed draws: FNV-1a over the method, path, query (names and values, in order) and body,
/// each field closed by a separator so that ("ab", "c") and ("a", "bc") differ. Headers are left out: the same call
/// sent with another token or another request id is the same call.
inline std::uint64_t request_key(const api::Request& r) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;
  auto add = [&h](std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
    h = (h ^ 0xff) * 0x100000001b3ull;
  };
  add(api::to_string(r.method));
  add(r.path);
  for (const auto& [name, value] : r.query) add(name), add(value);
  add(r.body);
  return h;
}

/// Hands out keyed draws. It counts the attempts of each distinct request (by request_key), so that a retry gets new
/// draws and the n-th attempt of a call gets the same draws in every run. Memory: one counter per distinct request.
class KeyedDraws {
 public:
  /// Draws fixed by @p seed (Config::fault_seed).
  explicit KeyedDraws(std::uint64_t seed = 1) : seed_(seed) {}

  /// The draws of @p request's next attempt (the first call gives attempt 0's).
  RequestDraws next(const api::Request& request) {
    using draw_detail::mix, draw_detail::unit;
    const std::uint64_t key = request_key(request);
    const std::uint64_t attempt = attempts_[key]++;
    const std::uint64_t h = mix(key ^ mix(seed_ * 0x9e3779b97f4a7c15ull + attempt));
    // Each use gets its own mix of h, so the fault a call draws says nothing about its latency.
    return {unit(h), unit(mix(h ^ 0x5bd1e995ull)), mix(h ^ 0x6b65795f73656564ull)};
  }

 private:
  std::uint64_t seed_;
  std::unordered_map<std::uint64_t, std::uint32_t> attempts_;  // request_key → attempts handled so far
};

}  // namespace ckp::emu
