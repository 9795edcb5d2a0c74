#pragma once
/// @file
/// Progress events: what an operation has done, how fast, and how long it has left. Fronts render them (a bar on
/// a terminal, NDJSON when piped, a chart in the browser).

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "ckp/api/time.hpp"

namespace ckp::engine {

/// A snapshot of an operation's progress.
struct Progress {
  std::string operation;               ///< e.g. "kv.delete"
  std::string phase;                   ///< e.g. "listing", "deleting", "done"
  std::uint64_t done = 0;              ///< items confirmed by the API
  std::uint64_t failed = 0;            ///< items in the failure report
  std::uint64_t scanned = 0;           ///< items examined (listed or read), matching or not
  std::optional<std::uint64_t> total;  ///< items to do, when known
  /// Items a listing will examine in all, as estimated (the sharded listing's size estimate) while no total is known:
  /// progress is `scanned` of it then, and the ETA is the listing's.
  std::optional<std::uint64_t> estimated_scan;
  double rate = 0;                    ///< items confirmed per second, recent
  double average_rate = 0;            ///< items confirmed per second over this run (what the final summary says)
  std::optional<Duration> eta;        ///< time left at average_rate, when total (or estimated_scan) is known
  std::optional<Duration> rate_wait;  ///< the rate limits hold every queued call back this long now (else unset)
  Duration elapsed{0};                ///< since the operation started
  int concurrency = 0;                ///< the current concurrency limit
  int inflight = 0;                   ///< calls in flight now
  std::uint64_t requests = 0;         ///< requests sent, retries included
  std::uint64_t rate_limited = 0;     ///< 429 responses seen
  std::uint64_t retries = 0;          ///< calls sent again after a retryable error
  bool finished = false;              ///< the last event of the operation

  /// The stable JSON form used by `--progress json` and the browser console.
  nlohmann::json to_json() const {
    nlohmann::json j{{"operation", operation},
                     {"phase", phase},
                     {"done", done},
                     {"failed", failed},
                     {"scanned", scanned},
                     {"rate", rate},
                     {"elapsed_s", to_seconds(elapsed)},
                     {"concurrency", concurrency},
                     {"inflight", inflight},
                     {"requests", requests},
                     {"rate_limited", rate_limited},
                     {"retries", retries},
                     {"finished", finished}};
    j["total"] = total ? nlohmann::json(*total) : nlohmann::json(nullptr);
    j["eta_s"] = eta ? nlohmann::json(to_seconds(*eta)) : nlohmann::json(nullptr);
    j["estimated_scan"] = estimated_scan ? nlohmann::json(*estimated_scan) : nlohmann::json(nullptr);
    j["average_rate"] = average_rate;
    j["rate_wait_s"] = rate_wait ? nlohmann::json(to_seconds(*rate_wait)) : nlohmann::json(nullptr);
    return j;
  }
};

/// Turns a stream of "done" counts over time into a smoothed rate and an ETA.
class RateMeter {
 public:
  /// A meter whose rate forgets the past with @p half_life (an exponential moving average).
  explicit RateMeter(Duration half_life = std::chrono::seconds(5)) : half_life_(half_life) {}

  /// Records that @p done items were complete at @p now; returns the smoothed items/second.
  double update(std::uint64_t done, Instant now) {
    if (!started_) {
      started_ = true;
      last_t_ = now;
      last_done_ = done;
      return rate_;
    }
    const double dt = to_seconds(now - last_t_);
    if (dt <= 0) return rate_;
    const double instant = static_cast<double>(done - last_done_) / dt;
    const double weight = 1 - std::exp2(-dt / to_seconds(half_life_));
    rate_ = have_rate_ ? rate_ + (instant - rate_) * weight : instant;
    have_rate_ = true;
    last_t_ = now;
    last_done_ = done;
    return rate_;
  }

  /// Time left for @p remaining items at the current rate.
  std::optional<Duration> eta(std::uint64_t remaining) const {
    if (!have_rate_ || rate_ <= 0) return std::nullopt;
    return from_seconds(static_cast<double>(remaining) / rate_);
  }

 private:
  Duration half_life_;
  bool started_ = false, have_rate_ = false;
  Instant last_t_{};
  std::uint64_t last_done_ = 0;
  double rate_ = 0;
};

}  // namespace ckp::engine
