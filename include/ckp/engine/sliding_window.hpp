#pragma once
/// @file
/// The client's mirror of a server-side sliding-window limit ("at most `quota` requests in any `window`").
///
/// The server counts a request when it arrives, which is somewhere between our send and our receipt of the
/// response. So a request occupies a slot from the moment we send it until `window` after we received its response:
/// always at least as long as the server counts it. That costs one round trip per window of throughput (0.07% at
/// 200 ms against 300 s) and makes going over the limit impossible when we are the only client.

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

#include "ckp/api/time.hpp"

namespace ckp::engine {

/// At most quota() requests in any window(), counted from send until a window after the response (see the file's
/// comment). Time is passed in; never fails.
class SlidingWindow {
 public:
  /// Returned by wait() when the window is full of requests still in flight: wait for a completion.
  static constexpr Duration until_completion = Duration::max();

  /// A window of @p quota requests per @p window.
  SlidingWindow(std::int64_t quota, Duration window) : quota_(quota), window_(window) {}

  /// Changes quota and window (learned from `Ratelimit-Policy`). Slots already used stay used.
  void configure(std::int64_t quota, Duration window) {
    quota_ = quota;
    window_ = window;
  }
  /// Requests allowed per window.
  std::int64_t quota() const { return quota_; }
  /// The window's length.
  Duration window() const { return window_; }

  /// Slots in use at @p now (in flight, or completed less than a window ago).
  std::int64_t used(Instant now) {
    prune(now);
    return inflight_ + static_cast<std::int64_t>(expiries_.size());
  }

  /// How long until one more request fits: zero if it fits now, `until_completion` if every slot is held by a
  /// request still in flight.
  Duration wait(Instant now) {
    if (used(now) < quota_) return Duration{0};
    // Slots free up in expiry order; we need (used − quota + 1) of them.
    std::int64_t need = used(now) - quota_ + 1;
    if (need > static_cast<std::int64_t>(expiries_.size())) return until_completion;
    if (need == 1) return expiries_.top() - now;
    auto copy = expiries_;
    for (std::int64_t i = 1; i < need; ++i) copy.pop();
    return copy.top() - now;
  }

  /// A request was sent.
  void on_send() { ++inflight_; }
  /// A request sent earlier completed at @p now; its slot frees at now + window.
  void on_complete(Instant now) {
    if (inflight_ > 0) --inflight_;
    expiries_.push(now + window_);
  }
  /// Counts @p n slots used by someone else (other clients of the same token), freeing at @p until.
  void add_external(std::int64_t n, Instant until) {
    for (std::int64_t i = 0; i < n; ++i) expiries_.push(until);
  }

 private:
  void prune(Instant now) {
    while (!expiries_.empty() && expiries_.top() <= now) expiries_.pop();
  }

  std::int64_t quota_;
  Duration window_;
  std::int64_t inflight_ = 0;
  std::priority_queue<Instant, std::vector<Instant>, std::greater<>> expiries_;
};

}  // namespace ckp::engine
