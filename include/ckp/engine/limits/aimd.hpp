#pragma once
/// @file
/// Additive-increase, multiplicative-decrease (loss-based), as in Netflix's AIMDLimit:
/// on a drop or an RTT over `timeout`: limit = limit × backoff_ratio; otherwise, when the limit is in use
/// (inflight × 2 ≥ limit): limit = limit + 1. Clamped to [min_limit, max_limit].

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "ckp/engine/limit.hpp"

namespace ckp::engine {

/// AIMD concurrency: +1 per sample that used the limit, × backoff_ratio on a drop or a slow call (see the file's
/// comment for the rule).
///
/// Example:
/// ```
/// ckp::engine::AimdLimit aimd({.initial = 10, .max_limit = 32});
/// aimd.on_sample({.start = t0, .rtt = std::chrono::milliseconds(80), .inflight = 10});   // 10 → 11
/// aimd.on_sample({.start = t0, .rtt = std::chrono::milliseconds(80), .inflight = 11, .dropped = true});  // → 9
/// ```
class AimdLimit final : public Limit {
 public:
  /// Tuning; the defaults suit Cloudflare's API.
  struct Config {
    int initial = 24;                            ///< see LimitConfig::initial
    int min_limit = 1;                           ///< never below this
    int max_limit = 64;                          ///< never above this
    double backoff_ratio = 0.9;                  ///< in [0.5, 1)
    Duration timeout = std::chrono::seconds(5);  ///< a call slower than this counts as a drop

    /// Throws std::invalid_argument unless 1 ≤ min_limit ≤ initial ≤ max_limit and backoff_ratio ∈ [0.5, 1).
    void validate() const {
      if (min_limit < 1 || max_limit < min_limit || initial < min_limit || initial > max_limit)
        throw std::invalid_argument("aimd: need 1 <= min_limit <= initial <= max_limit");
      if (backoff_ratio < 0.5 || backoff_ratio >= 1)
        throw std::invalid_argument("aimd: backoff_ratio must be in [0.5, 1)");
    }
  };

  AimdLimit() : AimdLimit(Config{}) {}
  /// Starts at `config.initial`. Throws std::invalid_argument for an invalid @p config (Config::validate()).
  explicit AimdLimit(Config config) : config_(config), limit_(config.initial) { config_.validate(); }

  int current() const override { return static_cast<int>(limit_); }
  std::string_view name() const override { return "aimd"; }

  void on_sample(const Sample& s) override {
    if (s.dropped || s.rtt > config_.timeout) {
      limit_ = std::floor(limit_ * config_.backoff_ratio);
    } else if (s.inflight * 2 >= current()) {
      limit_ += 1;
    }
    limit_ = std::clamp(limit_, static_cast<double>(config_.min_limit), static_cast<double>(config_.max_limit));
  }

 private:
  Config config_;
  double limit_;
};

}  // namespace ckp::engine
