#pragma once
/// @file
/// The adaptive-concurrency interface, after Netflix's concurrency-limits: a Limit takes samples of completed calls
/// and says how many calls may be in flight. The Scheduler hands out permits; the Limit only computes the number.

#include <string_view>

#include "ckp/api/time.hpp"

namespace ckp::engine {

/// One completed call, as seen by a Limit.
struct Sample {
  Instant start{};       ///< when the call was sent
  Duration rtt{};        ///< how long it took
  int inflight = 0;      ///< calls in flight when it was sent (including itself)
  bool dropped = false;  ///< a 429, or no answer at all (timeout, reset): push-back (engine::is_pushback(); not a 5xx)
};

/// A concurrency-limit algorithm. Implementations are small, deterministic, and take time only from samples.
///
/// The Scheduler owns one (built by make_limit() from SchedulerConfig::limit), feeds it a Sample after every call
/// and sends while fewer calls are in flight than current(). A custom algorithm is a subclass:
/// ```
/// struct HalveOnDrop final : ckp::engine::Limit {
///   int n = 16;
///   int current() const override { return n; }
///   void on_sample(const ckp::engine::Sample& s) override { n = s.dropped ? std::max(1, n / 2) : std::min(64, n + 1); }
///   std::string_view name() const override { return "halve-on-drop"; }
/// };
/// ```
class Limit {
 public:
  virtual ~Limit() = default;
  /// The number of calls that may be in flight now (≥ 1).
  virtual int current() const = 0;
  /// Feeds one completed call.
  virtual void on_sample(const Sample& sample) = 0;
  /// The algorithm's name as users select it (`fixed`, `aimd`, `gradient2`, `vegas`).
  virtual std::string_view name() const = 0;
};

}  // namespace ckp::engine
