#pragma once
/// @file
/// Builds a Limit from a user's choice (`--concurrency N` or `--concurrency auto`, `--limit-algorithm NAME`).

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "ckp/engine/limits/aimd.hpp"
#include "ckp/engine/limits/fixed.hpp"
#include "ckp/engine/limits/gradient2.hpp"
#include "ckp/engine/limits/vegas.hpp"

namespace ckp::engine {

/// Which concurrency algorithm to use, and its bounds.
///
/// Defaults, as measured by benchmarks/sim/concurrency_sweep.cpp (docs/performance.md):
/// - `initial` 24: Cloudflare's limits count calls, not calls in flight, and the rate governor paces those, so the
///   limit's job is short bursts and overload. A job of a few dozen bulk calls (300,000 keys from a file: 30 bulk
///   deletes; 10,000 tags: 100 purges) is over in 2–4 round trips, too soon for a ramp to pay for itself: from 4
///   such a delete took 2.3× as long as at 16. 24 is the measured balance: 16 left 100-call purge bursts at 65–90% of
///   the best fixed setting, 32 and above overloaded a server that serves 8 calls at full speed (90%), and 64 caused a
///   lockout when the quota dropped under the calls in flight.
/// - `max_limit` 64: above what any single operation keeps in flight.
struct LimitConfig {
  std::string algorithm = "gradient2";  ///< fixed | aimd | gradient2 | vegas
  int initial = 24;                     ///< the starting limit; the fixed value for `fixed`
  int min_limit = 1;                    ///< the adaptive limits never go below this
  int max_limit = 64;                   ///< nor above this
  std::uint64_t seed = 1;               ///< for algorithms with randomness (vegas' probe jitter)

  /// A fixed limit of @p n.
  static LimitConfig fixed(int n) { return {"fixed", n, n, n, 1}; }
};

/// The Limit described by @p c. Throws std::invalid_argument on an unknown algorithm or bad bounds.
///
/// Example:
/// ```
/// std::unique_ptr<ckp::engine::Limit> limit = ckp::engine::make_limit({.algorithm = "aimd", .initial = 8});
/// std::unique_ptr<ckp::engine::Limit> ten = ckp::engine::make_limit(ckp::engine::LimitConfig::fixed(10));
/// ```
inline std::unique_ptr<Limit> make_limit(const LimitConfig& c) {
  if (c.algorithm == "fixed") return std::make_unique<FixedLimit>(c.initial);
  if (c.algorithm == "aimd") return std::make_unique<AimdLimit>(AimdLimit::Config{c.initial, c.min_limit, c.max_limit});
  if (c.algorithm == "gradient2") {
    Gradient2Limit::Config g;
    g.initial = c.initial;
    g.min_limit = c.min_limit;
    g.max_limit = c.max_limit;
    return std::make_unique<Gradient2Limit>(g);
  }
  if (c.algorithm == "vegas") {
    VegasLimit::Config v;
    v.initial = c.initial;
    v.min_limit = c.min_limit;
    v.max_limit = c.max_limit;
    v.seed = c.seed;
    return std::make_unique<VegasLimit>(v);
  }
  throw std::invalid_argument("unknown concurrency algorithm '" + c.algorithm +
                              "' (choose fixed, aimd, gradient2 or vegas)");
}

}  // namespace ckp::engine
