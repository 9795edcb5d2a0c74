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
/// Unlike the original, a drop (429, 5xx, timeout) also cuts the limit multiplicatively: against Cloudflare a 429 is
/// the most expensive signal there is. Samples taken while the limit was barely used (inflight < limit / 2) do not
/// grow it: the caller, not the server, was the bottleneck.

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "ckp/engine/limit.hpp"

namespace ckp::engine {

class Gradient2Limit final : public Limit {
 public:
  struct Config {
    int initial = 4;
    int min_limit = 1;
    int max_limit = 64;
    double tolerance = 1.5;     ///< how much RTT may rise before the limit shrinks
    int long_window = 100;      ///< samples in the long-term RTT average
    double queue_size = 2;      ///< growth per sample when there is no queueing
    double smoothing = 0.2;
    double drop_ratio = 0.8;    ///< limit × drop_ratio on a drop

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
  explicit Gradient2Limit(Config config) : config_(config), limit_(config.initial) { config_.validate(); }

  int current() const override { return static_cast<int>(limit_); }
  std::string_view name() const override { return "gradient2"; }

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
      limit_ = std::max(static_cast<double>(config_.min_limit), limit_ * config_.drop_ratio);
      return;
    }
    if (s.inflight < limit_ / 2) return;  // app-limited: the sample says nothing about the server's capacity

    const double gradient = std::clamp(config_.tolerance * long_rtt_ / short_rtt, 0.5, 1.0);
    const double target = limit_ * gradient + config_.queue_size;
    limit_ = limit_ * (1 - config_.smoothing) + target * config_.smoothing;
    limit_ = std::clamp(limit_, static_cast<double>(config_.min_limit), static_cast<double>(config_.max_limit));
  }

 private:
  Config config_;
  double limit_;
  double long_rtt_ = 0;
  long samples_ = 0;
};

}  // namespace ckp::engine
