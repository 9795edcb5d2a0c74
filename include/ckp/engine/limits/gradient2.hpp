#pragma once
/// @file
/// A latency-gradient limit after Netflix's Gradient2Limit. It compares the latest RTT (short) with a long-term
/// exponential average (long): while short ≈ long the server is not queueing and the limit may grow by
/// `queue_size`; when short rises above long × tolerance the limit shrinks in proportion.
///
///   gradient  = clamp(tolerance × long / short, 0.5, 1.0)
///   target    = limit × gradient + queue_size
///   limit     = limit × (1 − smoothing) + target × smoothing
///
/// Two departures from the original, both measured in the simulator (benchmarks/sim/concurrency_sweep.cpp):
/// - Slow start: until the first sign of queueing (gradient < 1) or the first drop, each sample that used the limit
///   adds 1 (the limit doubles per round trip, as in TCP). The formula above alone grows ×1.4 per round trip, which
///   leaves a short job of slow bulk calls at a fraction of the concurrency it could use.
/// - A drop (a 429, or no answer at all: engine::is_pushback()) cuts the limit multiplicatively: against Cloudflare
///   a 429 is the most expensive signal there is. But only once per round trip, as TCP does: a drop of a call sent
///   before the last cut says nothing the cut did not already answer, so with 10% lost connections the limit does
///   not collapse one cut per error. (A 5xx is retried but is not a drop: see error_policy.hpp.)
/// As in the original, samples taken while the limit was barely used (inflight < limit / 2) do not grow it: the
/// caller, not the server, was the bottleneck.

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "ckp/engine/limit.hpp"

namespace ckp::engine {

/// Latency-gradient concurrency, the engine's default (`--limit-algorithm gradient2`); see the file's comment for
/// the formulas.
///
/// Example:
/// ```
/// ckp::engine::Gradient2Limit g;                       // Config defaults: start at 24, between 1 and 64
/// g.on_sample({.start = t0, .rtt = std::chrono::milliseconds(120), .inflight = 24});
/// int may_send = g.current();
/// ```
class Gradient2Limit final : public Limit {
 public:
  /// Tuning; the defaults are the ones measured in benchmarks/sim/concurrency_sweep.cpp.
  struct Config {
    int initial = 24;         ///< see LimitConfig::initial
    int min_limit = 1;        ///< never below this
    int max_limit = 64;       ///< never above this
    double tolerance = 1.5;   ///< how much RTT may rise before the limit shrinks
    int long_window = 100;    ///< samples in the long-term RTT average
    double queue_size = 2;    ///< growth per sample when there is no queueing
    double smoothing = 0.2;   ///< weight of each new target in the limit, in (0, 1]
    double drop_ratio = 0.8;  ///< limit × drop_ratio on a drop (at most once per round trip)
    bool slow_start = true;   ///< +1 per sample until the first queueing or drop

    /// Throws std::invalid_argument unless 1 ≤ min_limit ≤ initial ≤ max_limit, tolerance ≥ 1, long_window ≥ 1,
    /// smoothing ∈ (0, 1] and drop_ratio ∈ (0, 1).
    void validate() const {
      if (min_limit < 1 || max_limit < min_limit || initial < min_limit || initial > max_limit)
        throw std::invalid_argument("gradient2: need 1 <= min_limit <= initial <= max_limit");
      if (tolerance < 1) throw std::invalid_argument("gradient2: tolerance must be >= 1");
      if (long_window < 1) throw std::invalid_argument("gradient2: long_window must be >= 1");
      if (smoothing <= 0 || smoothing > 1) throw std::invalid_argument("gradient2: smoothing must be in (0, 1]");
      if (drop_ratio <= 0 || drop_ratio >= 1) throw std::invalid_argument("gradient2: drop_ratio must be in (0, 1)");
    }
  };

  Gradient2Limit() : Gradient2Limit(Config{}) {}
  /// Starts at `config.initial`. Throws std::invalid_argument for an invalid @p config (Config::validate()).
  explicit Gradient2Limit(Config config) : config_(config), limit_(config.initial), slow_start_(config.slow_start) {
    config_.validate();
  }

  int current() const override { return static_cast<int>(limit_); }
  std::string_view name() const override { return "gradient2"; }
  /// Still doubling per round trip (no queueing or drop seen yet).
  bool in_slow_start() const { return slow_start_; }

  void on_sample(const Sample& s) override {
    const double short_rtt = std::max(1.0, static_cast<double>(s.rtt.count()));
    // Long-term average: a plain mean while warming up, then an exponential one.
    ++samples_;
    if (samples_ <= 10) {
      long_rtt_ = long_rtt_ + (short_rtt - long_rtt_) / static_cast<double>(samples_);
    } else {
      const double factor = 2.0 / (config_.long_window + 1);
      long_rtt_ = long_rtt_ * (1 - factor) + short_rtt * factor;
    }
    // After a steady drop in latency, let the long average catch up quickly.
    if (long_rtt_ / short_rtt > 2) long_rtt_ *= 0.95;

    if (s.dropped) {
      slow_start_ = false;
      if (s.start >= last_cut_) {  // sent after the last cut: news
        limit_ = std::max(static_cast<double>(config_.min_limit), limit_ * config_.drop_ratio);
        last_cut_ = s.start + s.rtt;
      }
      return;
    }
    if (s.inflight < limit_ / 2) return;  // app-limited: the sample says nothing about the server's capacity

    const double gradient = std::clamp(config_.tolerance * long_rtt_ / short_rtt, 0.5, 1.0);
    if (slow_start_ && gradient >= 1.0) {
      limit_ = std::min(static_cast<double>(config_.max_limit), limit_ + 1);
      return;
    }
    slow_start_ = false;
    const double target = limit_ * gradient + config_.queue_size;
    limit_ = limit_ * (1 - config_.smoothing) + target * config_.smoothing;
    limit_ = std::clamp(limit_, static_cast<double>(config_.min_limit), static_cast<double>(config_.max_limit));
  }

 private:
  Config config_;
  double limit_;
  double long_rtt_ = 0;
  long samples_ = 0;
  bool slow_start_;
  Instant last_cut_{};  // completion time of the sample that last cut the limit
};

}  // namespace ckp::engine
