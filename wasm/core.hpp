#pragma once
/// @file
/// What a console session and its jobs share: the browser transport, the token's rate governor, a scheduler for the
/// page's interactive calls, and the jobs still running (kept alive here, so a job runs to its end even when the page drops its handle).

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "ckp/engine/scheduler.hpp"
#include "ckp/transport/fetch.hpp"

namespace ckp::wasm {

class Job;

/// The shared state of one session. Jobs hold it by shared_ptr: it outlives every job it started.
struct Core {
  explicit Core(transport::FetchConfig config)
      : transport(std::move(config)), interactive(transport, interactive_config(), governor) {}
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  /// Interactive calls (a page of keys, one value) are few and someone is waiting: a small fixed concurrency, and
  /// retries bounded to seconds rather than the quarter hour a long operation may wait.
  static engine::SchedulerConfig interactive_config() {
    engine::SchedulerConfig c;
    c.limit = engine::LimitConfig::fixed(6);
    c.retry.max_attempts = 4;
    c.retry.cap = std::chrono::seconds(5);
    c.retry.max_elapsed = std::chrono::seconds(30);
    return c;
  }

  transport::FetchTransport transport;
  /// The token's one rate governor: every job of the session and the interactive calls share it, so that together
  /// they stay within the token's quota (two governors would each believe they own it).
  std::shared_ptr<engine::RateGovernor> governor = std::make_shared<engine::RateGovernor>();
  engine::Scheduler interactive;
  /// The API the console server forwards to (its `/console/config` says): what a job's journal records as its
  /// target, and what a resume must find again.
  std::string api_base;
  std::map<std::string, std::shared_ptr<Job>> running;
  std::uint64_t next_job = 0;
};

}  // namespace ckp::wasm
