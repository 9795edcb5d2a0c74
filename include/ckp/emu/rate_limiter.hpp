#pragma once
/// @file
/// Cloudflare's global API rate limit as the emulator enforces it: a sliding window per token (default 1200 requests
/// in 300 s), a lockout after going over (every request refused for 300 s), and the `Ratelimit` /
/// `Ratelimit-Policy` / `Retry-After` headers that describe it. Time is passed in; durations shrink by time_scale.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>

#include <fmt/format.h>

#include "ckp/api/http.hpp"
#include "ckp/api/limits.hpp"
#include "ckp/api/time.hpp"

namespace ckp::emu {

/// The limiter's verdict on one request.
struct Admission {
  bool admitted = true;          ///< false: answer 429 (code 971) with Retry-After
  bool started_lockout = false;  ///< this request went over the quota and started a lockout
  std::int64_t quota = 0;        ///< requests per window
  std::int64_t remaining = 0;    ///< requests left in the window after this one
  Duration window{0};            ///< scaled window length
  Duration reset{0};             ///< until a slot frees (admitted) or the lockout ends (refused)
  bool limited = true;           ///< false when the limit is disabled (quota ≤ 0): no headers then
};

/// Formats seconds for a structured-field header: an integer when whole, else up to 3 decimals (rounded up when
/// @p round_up, so a client never comes back early).
inline std::string format_header_seconds(double seconds, bool round_up) {
  if (seconds < 0) seconds = 0;
  double ms = round_up ? std::ceil(seconds * 1000.0 - 1e-6) : std::round(seconds * 1000.0);
  auto whole = static_cast<std::int64_t>(ms) / 1000;
  auto frac = static_cast<std::int64_t>(ms) % 1000;
  if (frac == 0) return std::to_string(whole);
  std::string s = fmt::format("{}.{:03}", whole, frac);
  while (s.back() == '0') s.pop_back();
  return s;
}

/// `Retry-After` in whole seconds: rounded up, at least 1 (the header allows no decimals).
inline std::string retry_after_value(Duration d) {
  auto seconds = static_cast<std::int64_t>(std::ceil(to_seconds(d) - 1e-9));
  return std::to_string(std::max<std::int64_t>(1, seconds));
}

/// Adds `Ratelimit` and `Ratelimit-Policy` for @p a to @p headers (and `Retry-After` when refused). `t` is whole
/// seconds as Cloudflare sends it: rounded up and at least 1, so it never says 0 while a window is in force.
inline void add_rate_limit_headers(api::Headers& headers, const Admission& a) {
  if (!a.limited) return;
  headers.set("Ratelimit", fmt::format("\"default\";r={};t={}", a.remaining, retry_after_value(a.reset)));
  headers.set("Ratelimit-Policy",
              fmt::format("\"default\";q={};w={}", a.quota, format_header_seconds(to_seconds(a.window), false)));
  if (!a.admitted) headers.set("Retry-After", retry_after_value(a.reset));
}

/// A sliding-window limiter with lockout, one window per key (token).
///
/// The window counts the requests admitted in the last `window` seconds. To bound memory at any quota, requests
/// that arrive within window/1024 of each other share one slot, which leaves the window when its first request
/// does: the limiter may free a slot up to 0.1% of the window early, never late.
class SlidingWindowLimiter {
 public:
  SlidingWindowLimiter() = default;
  /// A limiter for @p limit with every window and lockout divided by @p time_scale (see configure()).
  SlidingWindowLimiter(api::GlobalRateLimit limit, double time_scale) { configure(limit, time_scale); }

  /// Changes the limit; windows and lockouts in progress are kept.
  void configure(api::GlobalRateLimit limit, double time_scale) {
    if (!(time_scale > 0)) time_scale = 1;
    limit_ = limit;
    window_ = from_seconds(static_cast<double>(std::max<std::int64_t>(limit.window_seconds, 0)) / time_scale);
    lockout_ = from_seconds(static_cast<double>(std::max<std::int64_t>(limit.lockout_seconds, 0)) / time_scale);
    if (window_ < Duration{1}) window_ = Duration{1};
    granularity_ = std::max(Duration{1}, window_ / 1024);
  }

  /// Admits or refuses one request of @p key at @p now, and says what the headers should report.
  Admission admit(const std::string& key, Instant now) {
    Admission a;
    a.quota = limit_.quota;
    a.window = window_;
    if (limit_.quota <= 0) {
      a.limited = false;
      return a;
    }
    Window& w = windows_[key];
    expire(w, now);
    if (now < w.locked_until) {
      a.admitted = false;
      a.remaining = 0;
      a.reset = w.locked_until - now;
      return a;
    }
    if (w.count >= limit_.quota) {
      a.admitted = false;
      a.remaining = 0;
      if (lockout_ > Duration{0}) {
        w.locked_until = now + lockout_;
        a.started_lockout = true;
        a.reset = lockout_;
      } else {
        a.reset = w.slots.front().first + window_ - now;  // no lockout: refused until a slot frees
      }
      return a;
    }
    if (!w.slots.empty() && now - w.slots.back().first < granularity_) {
      ++w.slots.back().count;
    } else {
      w.slots.push_back({now, 1});
    }
    ++w.count;
    a.remaining = limit_.quota - w.count;
    a.reset = w.slots.front().first + window_ - now;
    return a;
  }

  /// Locks @p key out from @p now for the lockout period (or one window when lockouts are off).
  void lock_out(const std::string& key, Instant now) {
    windows_[key].locked_until = now + (lockout_ > Duration{0} ? lockout_ : window_);
  }

  /// Forgets every window and lockout.
  void reset() { windows_.clear(); }

 private:
  struct Slot {
    Instant first;
    std::int64_t count;
  };
  struct Window {
    std::deque<Slot> slots;
    std::int64_t count = 0;
    Instant locked_until{};
  };

  void expire(Window& w, Instant now) const {
    while (!w.slots.empty() && w.slots.front().first + window_ <= now) {
      w.count -= w.slots.front().count;
      w.slots.pop_front();
    }
  }

  api::GlobalRateLimit limit_;
  Duration window_{std::chrono::seconds(300)};
  Duration lockout_{std::chrono::seconds(300)};
  Duration granularity_{1};
  std::unordered_map<std::string, Window> windows_;
};

}  // namespace ckp::emu
