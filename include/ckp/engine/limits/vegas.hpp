#pragma once
/// @file
/// A delay-based limit after Netflix's VegasLimit (TCP Vegas). It estimates how many calls are queued at the
/// server from the lowest RTT seen (no load) and the current one:
///
///   queue = ceil(limit × (1 − rtt_noload / rtt))
///
/// With L = max(1, log10(limit)): queue ≤ L → limit + 6L (grow fast while nothing queues); queue < 3L → limit + L;
/// queue > 6L → limit − L; otherwise unchanged. A drop → limit × `drop_ratio`. The no-load RTT is
/// re-probed every so often so that a permanent latency shift is learned.

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "ckp/engine/limit.hpp"
#include "ckp/engine/random.hpp"

namespace ckp::engine {

/// Delay-based concurrency (`--limit-algorithm vegas`); see the file's comment for the rule.
///
/// Example:
/// ```
/// ckp::engine::VegasLimit vegas({.initial = 16, .seed = 7});
/// vegas.on_sample({.start = t0, .rtt = std::chrono::milliseconds(90), .inflight = 16});
/// ```
class VegasLimit final : public Limit {
 public:
  /// Tuning; the defaults suit Cloudflare's API.
  struct Config {
    int initial = 24;           ///< see LimitConfig::initial
    int min_limit = 1;          ///< never below this
    int max_limit = 64;         ///< never above this
    int probe_multiplier = 30;  ///< re-probe the no-load RTT after about probe_multiplier × limit samples
    double drop_ratio = 0.8;    ///< limit × drop_ratio on a drop
    std::uint64_t seed = 1;     ///< for the probe jitter

    /// Throws std::invalid_argument unless 1 ≤ min_limit ≤ initial ≤ max_limit, probe_multiplier ≥ 1 and
    /// drop_ratio ∈ (0, 1).
    void validate() const {
      if (min_limit < 1 || max_limit < min_limit || initial < min_limit || initial > max_limit)
        throw std::invalid_argument("vegas: need 1 <= min_limit <= initial <= max_limit");
      if (probe_multiplier < 1) throw std::invalid_argument("vegas: probe_multiplier must be >= 1");
      if (drop_ratio <= 0 || drop_ratio >= 1) throw std::invalid_argument("vegas: drop_ratio must be in (0, 1)");
    }
  };

  VegasLimit() : VegasLimit(Config{}) {}
  /// Starts at `config.initial`. Throws std::invalid_argument for an invalid @p config (Config::validate()).
  explicit VegasLimit(Config config) : config_(config), limit_(config.initial), rng_(config.seed) {
    config_.validate();
    schedule_probe();
  }

  int current() const override { return static_cast<int>(limit_); }
  std::string_view name() const override { return "vegas"; }

  void on_sample(const Sample& s) override {
    const double rtt = std::max(1.0, static_cast<double>(s.rtt.count()));
    if (++since_probe_ >= next_probe_) {
      rtt_noload_ = 0;  // forget the minimum; the next sample sets it
      schedule_probe();
    }
    if (rtt_noload_ == 0 || rtt < rtt_noload_) {
      rtt_noload_ = rtt;
      return;
    }
    const double log_limit = std::max(1.0, std::log10(limit_));
    if (s.dropped) {
      limit_ = limit_ * config_.drop_ratio;
    } else if (s.inflight * 2 < limit_) {
      return;  // app-limited
    } else {
      const double queue = std::ceil(limit_ * (1 - rtt_noload_ / rtt));
      if (queue <= log_limit) limit_ += 6 * log_limit;
      else if (queue < 3 * log_limit) limit_ += log_limit;
      else if (queue > 6 * log_limit) limit_ -= log_limit;
    }
    limit_ = std::clamp(limit_, static_cast<double>(config_.min_limit), static_cast<double>(config_.max_limit));
  }

 private:
  void schedule_probe() {
    since_probe_ = 0;
    next_probe_ = static_cast<long>(config_.probe_multiplier * limit_ * rng_.uniform(0.5, 1.0)) + 1;
  }

  Config config_;
  double limit_;
  double rtt_noload_ = 0;
  long since_probe_ = 0;
  long next_probe_ = 0;
  Rng rng_;
};

}  // namespace ckp::engine
