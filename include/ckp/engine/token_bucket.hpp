#pragma once
/// @file
/// A token bucket with time passed in (like nghttp2's): `rate` tokens per second refill up to `capacity`.
/// Models Cloudflare's purge limits: flex purge requests, and URLs per second for single-file purge.

#include <algorithm>
#include <cmath>
#include <optional>

#include "ckp/api/time.hpp"

namespace ckp::engine {

/// A bucket of tokens refilled continuously; the caller passes the time (see the file's comment). Never fails.
///
/// Example:
/// ```
/// ckp::engine::TokenBucket flex(5, 25);            // 5 purge requests per second, bursts of 25
/// if (flex.wait(1, now) == ckp::Duration{0}) flex.take(1, now);
/// ```
class TokenBucket {
 public:
  /// A full bucket of @p capacity tokens refilling at @p rate_per_second.
  TokenBucket(double rate_per_second, double capacity)
      : rate_(rate_per_second), capacity_(capacity), tokens_(capacity) {}

  /// Changes rate and capacity; the current fill is kept (capped at the new capacity).
  void configure(double rate_per_second, double capacity) {
    rate_ = rate_per_second;
    capacity_ = capacity;
    tokens_ = std::min(tokens_, capacity_);
  }
  /// Tokens added per second.
  double rate() const { return rate_; }
  /// The most tokens the bucket holds.
  double capacity() const { return capacity_; }

  /// Tokens available at @p now.
  double available(Instant now) {
    refill(now);
    return tokens_;
  }

  /// How long until @p cost tokens are available (a cost above capacity waits for a full bucket).
  Duration wait(double cost, Instant now) {
    refill(now);
    cost = std::min(cost, capacity_);
    if (tokens_ >= cost) return Duration{0};
    if (rate_ <= 0 || paused_) return Duration::max();
    return from_seconds((cost - tokens_) / rate_) + Duration{1};  // +1 µs: never arrive a hair early
  }

  /// Takes @p cost tokens if they are there (nullopt); otherwise takes nothing and says how long until they are.
  /// This is the server's side of a bucket: refuse, and say when to come back.
  std::optional<Duration> try_take(double cost, Instant now) {
    refill(now);
    cost = std::min(cost, capacity_);
    if (tokens_ + 1e-9 >= cost) {
      tokens_ -= cost;
      return std::nullopt;
    }
    if (!(rate_ > 0)) return Duration::max();
    return from_seconds((cost - tokens_) / rate_);
  }

  /// Takes @p cost tokens (call when wait() is zero; going below zero means the caller overdrew).
  void take(double cost, Instant now) {
    refill(now);
    tokens_ -= std::min(cost, capacity_);
  }

  /// Empties the bucket (the server said we are over its limit).
  void drain(Instant now) {
    refill(now);
    tokens_ = std::min(tokens_, 0.0);
  }

  /// Gives back @p cost tokens taken for a call the server refused before charging it (capped at capacity).
  void give(double cost, Instant now) {
    refill(now);
    tokens_ = std::min(capacity_, tokens_ + std::min(cost, capacity_));
  }

  /// Stops refilling at @p now until resume(): a client's mirror of a server's bucket cannot count refill while the
  /// server's bucket may be full (refill past capacity is lost there, and the client does not know when its calls
  /// arrive). While paused, wait() is Duration::max() when the tokens are short.
  void pause(Instant now) {
    refill(now);
    paused_ = true;
  }
  /// Refills again from @p now (the time spent paused adds nothing).
  void resume(Instant now) {
    if (!paused_) return;
    paused_ = false;
    last_ = std::max(last_, now);
  }
  /// Whether refill is paused.
  bool paused() const { return paused_; }

 private:
  void refill(Instant now) {
    if (paused_) return;
    if (now > last_) {
      tokens_ = std::min(capacity_, tokens_ + to_seconds(now - last_) * rate_);
      last_ = now;
    }
  }

  double rate_;
  double capacity_;
  double tokens_;
  Instant last_{};
  bool paused_ = false;
};

}  // namespace ckp::engine
