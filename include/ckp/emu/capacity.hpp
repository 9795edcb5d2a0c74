#pragma once
/// @file
/// Server capacity (LatencyModel::capacity): a server that serves a number of calls at full speed at once, and
/// shares itself among more, as a processor-sharing server would. Time is passed in; nothing here reads a clock.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

#include "ckp/api/time.hpp"

namespace ckp::emu {

/// Tracks the calls in flight at the server and stretches each new call's latency by how far they exceed the
/// capacity.
///
/// The stretch is fixed when a call arrives: calls that arrive later do not slow it further, and calls that leave
/// early do not speed it up. That is coarser than true processor sharing, but a call's answer time is known the
/// moment it arrives (which the server model needs), and the total work still grows with the load.
///
/// Example:
/// ```
/// using std::chrono::milliseconds;
/// ckp::emu::CapacityModel server;
/// server.stretch(milliseconds(200), now, 1);  // 200 ms: alone
/// server.stretch(milliseconds(200), now, 1);  // 400 ms: two in flight for a capacity of one
/// ```
class CapacityModel {
 public:
  /// The latency of a call that arrives at @p now and would take @p nominal alone: with n calls in flight at
  /// @p now, this one included, nominal × n / @p capacity when n > @p capacity, else @p nominal. Records the call
  /// as in flight until its answer. With @p capacity ≤ 0 (no limit), returns @p nominal and records nothing.
  Duration stretch(Duration nominal, Instant now, int capacity) {
    if (capacity <= 0) return nominal;
    while (!answers_.empty() && answers_.top() <= now) answers_.pop();
    const auto in_flight = static_cast<std::int64_t>(answers_.size()) + 1;
    const Duration d = in_flight > capacity ? nominal * in_flight / capacity : nominal;
    answers_.push(now + d);
    return d;
  }

  /// Calls recorded as in flight and not yet answered at the last stretch().
  std::size_t in_flight() const noexcept { return answers_.size(); }

  /// Forgets every call in flight.
  void reset() { answers_ = {}; }

 private:
  std::priority_queue<Instant, std::vector<Instant>, std::greater<>> answers_;  // when each call in flight is answered
};

}  // namespace ckp::emu
