#pragma once
/// @file
/// What the API does in the tuning model: profiles (an emulator configuration — latency, capacity, the global
/// limit, the plan, faults — plus changes part-way through a run), the KV and purge profiles the sweep runs, and
/// how big each workload is in each profile.

#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ckp/emu/config.hpp"
#include "workloads.hpp"

namespace ckp::bench {

/// A change to the server part-way through a run, at `at` × the profile's nominal duration (the bound of the same
/// cell without changes), so that "half-way" means the same thing for every workload.
struct Change {
  double at = 0.5;
  std::optional<double> latency_factor;  ///< latency (base, jitter, per item) × this, from now on
  /// The global limit's quota becomes this fraction of the workload's own request count R, plus `quota_plus`: the
  /// second half of the run becomes rate-bound whatever the workload's size.
  std::optional<double> quota_of_requests;
  /// Added to the new quota. A drop is announced only by the `Ratelimit-Policy` of responses to calls the server
  /// handled after it, so every call sent before such a response arrives is sent blind: a drop that leaves less
  /// room than the calls a client has in flight locks out any client, whatever its algorithm. The operations keep
  /// at most 31 calls in flight (a purge, per zone; deletes and exports peak at 23–24 in the sweep), so 32 leaves
  /// room for every setting.
  std::int64_t quota_plus = 0;

  /// The quota this change sets for a cell of @p requests calls (call only when quota_of_requests is set).
  std::int64_t quota_for(std::uint64_t requests) const {
    return std::max<std::int64_t>(1, std::llround(*quota_of_requests * static_cast<double>(requests)) + quota_plus);
  }
};

/// What the API does.
struct Profile {
  std::string name;
  std::string about;
  /// The server: `latency` (with `capacity`), `rate_limit` (default 1200 / 300 s, lockout 300 s), `plan`
  /// (default enterprise) and `faults`. The cell runner adds the token, the zone, the seed and keyed draws.
  emu::Config server;
  std::vector<Change> changes;
  /// Sized per workload so that the global window binds (see workload_items), instead of the base size.
  bool window_sized = false;
};

/// @p base_ms + U[0, @p jitter_ms) per call, and 20 µs per item of a bulk call (a 10,000-key bulk delete takes
/// 200 ms more than a list).
inline emu::LatencyModel latency_ms(int base_ms, int jitter_ms) {
  using std::chrono::milliseconds;
  return {milliseconds(base_ms), milliseconds(jitter_ms), std::chrono::microseconds(20)};
}

/// @p m with base, jitter and per item × @p factor (the capacity unchanged): a server @p factor times slower.
inline emu::LatencyModel scaled(emu::LatencyModel m, double factor) {
  auto times = [factor](Duration d) { return std::chrono::duration_cast<Duration>(d * factor); };
  m.base = times(m.base);
  m.jitter = times(m.jitter);
  m.per_item = times(m.per_item);
  return m;
}

/// 5xx on a share @p rate of calls, half 500 and half 503.
inline emu::FaultRates server_errors(double rate) {
  emu::FaultRates f;
  f.error_500 = rate / 2;
  f.error_503 = rate / 2;
  return f;
}

/// The KV profiles: latency, the global window binding, server capacity, 5xx, a latency spike, a limit change.
inline std::vector<Profile> kv_profiles() {
  std::vector<Profile> out;
  auto add = [&](std::string name, std::string about, emu::LatencyModel lat) -> Profile& {
    Profile p;
    p.name = std::move(name);
    p.about = std::move(about);
    p.server.latency = lat;
    return out.emplace_back(std::move(p));
  };
  add("lat50", "50 ms + U[0,25) ms per call", latency_ms(50, 25));
  add("lat200", "200 ms + U[0,100) ms per call", latency_ms(200, 100));
  add("lat800", "800 ms + U[0,400) ms per call", latency_ms(800, 400));
  add("window", "lat200, sized so the 1200/5-min window binds", latency_ms(200, 100)).window_sized = true;
  add("capacity8", "lat200; the server serves 8 calls at nominal speed, more stretch every call", latency_ms(200, 100))
      .server.latency.capacity = 8;
  add("5xx-1%", "lat200; 0.5% 500 + 0.5% 503", latency_ms(200, 100)).server.faults = server_errors(0.01);
  add("5xx-10%", "lat200; 5% 500 + 5% 503", latency_ms(200, 100)).server.faults = server_errors(0.10);
  add("spike", "lat200; latency x4 from 50% to 75% of the nominal duration", latency_ms(200, 100)).changes = {
      {0.5, 4.0, std::nullopt, 0}, {0.75, 1.0, std::nullopt, 0}};
  add("limit-drop", "lat200; at 50% the quota drops to 60% of the run's calls + 32 per 5 min", latency_ms(200, 100))
      .changes = {{0.5, std::nullopt, 0.6, 32}};
  return out;
}

/// The purge profiles: each plan, then latency, the window, 5xx, a spike and a limit change on one plan.
inline std::vector<Profile> purge_profiles() {
  std::vector<Profile> out;
  auto add = [&](std::string name, std::string about, api::PlanProfile plan, emu::LatencyModel lat) -> Profile& {
    Profile p;
    p.name = std::move(name);
    p.about = std::move(about);
    p.server.plan = std::move(plan);
    p.server.latency = lat;
    return out.emplace_back(std::move(p));
  };
  add("free", "free plan, lat200", api::PlanProfile::free(), latency_ms(200, 100));
  add("pro", "pro plan, lat200", api::PlanProfile::pro(), latency_ms(200, 100));
  add("business", "business plan, lat200", api::PlanProfile::business(), latency_ms(200, 100));
  add("enterprise", "enterprise plan, lat200", api::PlanProfile::enterprise(), latency_ms(200, 100));
  add("ent-lat50", "enterprise, lat50", api::PlanProfile::enterprise(), latency_ms(50, 25));
  add("ent-lat800", "enterprise, lat800", api::PlanProfile::enterprise(), latency_ms(800, 400));
  add("window", "business, lat200, sized so the 1200/5-min window binds", api::PlanProfile::business(),
      latency_ms(200, 100))
      .window_sized = true;
  add("5xx-1%", "enterprise, lat200; 0.5% 500 + 0.5% 503", api::PlanProfile::enterprise(), latency_ms(200, 100))
      .server.faults = server_errors(0.01);
  add("5xx-10%", "enterprise, lat200; 5% 500 + 5% 503", api::PlanProfile::enterprise(), latency_ms(200, 100))
      .server.faults = server_errors(0.10);
  add("spike", "enterprise, lat200; latency x4 from 50% to 75%", api::PlanProfile::enterprise(), latency_ms(200, 100))
      .changes = {{0.5, 4.0, std::nullopt, 0}, {0.75, 1.0, std::nullopt, 0}};
  add("limit-drop", "enterprise, lat200; at 50% the quota drops to 60% of the run's calls + 32",
      api::PlanProfile::enterprise(), latency_ms(200, 100))
      .changes = {{0.5, std::nullopt, 0.6, 32}};
  return out;
}

/// The profiles the sweep runs @p w under.
inline std::vector<Profile> profiles_for(Workload w) { return is_purge(w) ? purge_profiles() : kv_profiles(); }

/// A workload's size (items) in @p p, times @p scale; 0 when the profile is not run for it. Base sizes keep the
/// whole sweep short while every phase that matters still happens (many list pages, dozens of bulk calls); the
/// `window` profile makes R ≈ 1500–1650 where that is affordable, so the window binds once (the last calls wait for
/// the first window to pass).
inline std::uint64_t workload_items(Workload w, const Profile& p, double scale = 1.0) {
  const bool window = p.window_sized;
  double n = 0;
  switch (w) {
    case Workload::delete_prefix: n = window ? 0 : 100'000; break;    // window: R = 1.1 per 1000 keys; needs 1.1M+
    case Workload::delete_keys: n = window ? 0 : 300'000; break;      // window: R = 0.1 per 1000 keys; needs 12M+
    case Workload::export_kv: n = window ? 150'000 : 50'000; break;   // R = 11 per 1000 keys
    case Workload::purge_urls: n = window ? 150'000 : 30'000; break;  // window: business, 100 per call
    case Workload::purge_tags: n = window ? 150'000 : 10'000; break;
  }
  if (window && n == 0) return 0;  // the window cannot bind at an affordable size: not run
  return static_cast<std::uint64_t>(std::llround(n * scale));
}

}  // namespace ckp::bench
