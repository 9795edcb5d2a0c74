#pragma once
/// @file
/// Time as the engine sees it: a value handed in by the transport, never read from a clock here.

#include <chrono>
#include <cstdint>

namespace ckp {

/// A span of time, in microseconds.
using Duration = std::chrono::microseconds;

/// Tag type for the transport's clock. It is never instantiated: time reaches the engine only as values.
struct TransportClock;

/// A point in time on the transport's clock, counted from the Unix epoch (a simulator starts its virtual clock at a
/// fixed date, so KV expirations still mean something).
using Instant = std::chrono::time_point<TransportClock, Duration>;

/// Seconds since the Unix epoch of @p t (what Cloudflare's `expiration` fields hold).
constexpr std::int64_t to_unix_seconds(Instant t) noexcept {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

/// The instant @p seconds after the Unix epoch.
constexpr Instant from_unix_seconds(std::int64_t seconds) noexcept {
  return Instant{std::chrono::duration_cast<Duration>(std::chrono::seconds{seconds})};
}

/// @p d in (fractional) seconds, for rates and display.
constexpr double to_seconds(Duration d) noexcept { return std::chrono::duration<double>(d).count(); }

/// @p seconds as a Duration (rounded to the microsecond).
constexpr Duration from_seconds(double seconds) noexcept {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
}

}  // namespace ckp
