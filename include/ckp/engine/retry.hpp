#pragma once
/// @file
/// When and how long to wait before sending a failed call again: exponential backoff with full jitter
/// (AWS architecture blog, "Exponential Backoff and Jitter"): sleep = U(0, min(cap, base × 2^(n−1))), never less than
/// the server's Retry-After. Bounded by attempts and by total time. Only Error::retryable() errors qualify
/// (429, 5xx, transport failures, timeouts, cut-off bodies); every call this engine makes is idempotent.

#include <algorithm>
#include <cmath>

#include "ckp/api/error.hpp"
#include "ckp/engine/random.hpp"

namespace ckp::engine {

/// Bounds and timing of retries (SchedulerConfig::retry). Never fails.
///
/// Example:
/// ```
/// ckp::engine::SchedulerConfig config;
/// config.retry = {.max_attempts = 4, .base = std::chrono::milliseconds(100)};   // give up sooner
/// ```
struct RetryPolicy {
  int max_attempts = 8;  ///< including the first
  /// 250 ms: a retried list call stalls the whole listing chain, so the first retries must be quick; 429s wait
  /// for Retry-After regardless.
  Duration base = std::chrono::milliseconds(250);
  Duration cap = std::chrono::seconds(30);          ///< the longest backoff (before Retry-After)
  Duration max_elapsed = std::chrono::minutes(15);  ///< longer than a 5-minute lockout

  /// Whether a call that has been tried @p attempts times, first @p elapsed ago, may be tried again after @p e.
  bool allows(int attempts, Duration elapsed, const Error& e) const {
    return e.retryable() && attempts < max_attempts && elapsed < max_elapsed;
  }

  /// The delay before the next attempt, after @p attempts attempts (≥ 1) ended with @p e.
  Duration delay(int attempts, const Error& e, Rng& rng) const {
    const double exp = std::min(30.0, static_cast<double>(std::max(0, attempts - 1)));
    const double ceiling =
        std::min(static_cast<double>(cap.count()), static_cast<double>(base.count()) * std::pow(2.0, exp));
    Duration d{static_cast<Duration::rep>(rng.uniform() * ceiling)};
    if (e.retry_after) d = std::max(d, *e.retry_after);
    return d;
  }
};

}  // namespace ckp::engine
