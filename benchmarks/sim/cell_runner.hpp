#pragma once
/// @file
/// Runs one cell of the tuning model — a workload of some size, under a profile, with a limit setting — to the end,
/// in virtual time, through the real engine and operations against the emulator's server model, and says what it
/// measured. The same cell gives the same numbers, event for event.
///
/// The server is emu::Server configured from the profile (cell_server_config) with keyed draws: every setting sees
/// the same latency and the same faults for the same call (common random numbers), so that fixed 16 and fixed 32
/// differ by what they do, not by the luck of the draw. (With sequential draws, one 5xx landing on a listing call
/// instead of a bulk call moved a run by ±13% at 10% 5xx.) The profile's changes are applied to that server at
/// their time: a latency factor through emu::Server::set_latency, a quota through set_rate_limit.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "bounds.hpp"
#include "ckp/emu/server.hpp"
#include "ckp/engine/scheduler.hpp"
#include "ckp/io/records.hpp"
#include "ckp/io/sink.hpp"
#include "ckp/ops/kv_delete.hpp"
#include "ckp/ops/kv_export.hpp"
#include "ckp/ops/purge.hpp"
#include "ckp/transport/sim.hpp"
#include "profiles.hpp"
#include "settings.hpp"
#include "workloads.hpp"

namespace ckp::bench {

inline constexpr const char* bench_token = "bench-token";
inline constexpr const char* bench_account = "0123456789abcdef0123456789abcdef";
inline constexpr const char* bench_zone = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

/// What one cell measured.
struct CellResult {
  Workload workload{};
  std::string profile;
  std::string setting;
  bool adaptive = false;
  bool is_default = false;
  int fixed = 0;  ///< the fixed concurrency (0 for adaptive)
  std::uint64_t items = 0;
  std::uint64_t done = 0;
  std::uint64_t failed = 0;
  bool completed = false;
  double seconds = 0;          ///< virtual duration
  double throughput = 0;       ///< items confirmed per virtual second
  std::uint64_t requests = 0;  ///< requests the server saw (retries included)
  std::uint64_t retries = 0;
  std::uint64_t rate_limited = 0;  ///< 429s the server sent
  std::uint64_t lockouts = 0;      ///< times the server locked the token out
  std::uint64_t server_errors = 0;
  double mean_limit = 0;  ///< the concurrency limit, averaged over virtual time
  int peak_inflight = 0;
  Bound bound;
  double ratio() const { return bound.seconds() > 0 ? seconds / bound.seconds() : 0; }
};

/// The emulator's configuration for a cell under @p p: the profile's server, one token and one zone, and draws keyed
/// by @p seed.
inline emu::Config cell_server_config(const Profile& p, std::uint64_t seed) {
  emu::Config config = p.server;
  config.tokens = {{bench_token, bench_account}};
  config.zones = {{"example.com", bench_zone, bench_account}};
  config.fault_seed = seed;
  config.draw_mode = emu::DrawMode::keyed;
  return config;
}

namespace detail {

inline std::unique_ptr<io::RecordSource> lines_of(std::string text, std::string name) {
  return std::make_unique<io::LineRecords>(std::make_unique<io::StringReader>(std::move(text), std::move(name)));
}

/// Key names as emu::Server::seed_keys writes them: prefix + the index, zero-padded to 7 digits (or more).
inline std::string seeded_keys(const std::string& prefix, std::uint64_t n) {
  int width = 0;
  for (std::uint64_t v = n > 0 ? n - 1 : 0; v > 0; v /= 10) ++width;
  width = std::max(width, 7);
  std::string out;
  out.reserve(static_cast<std::size_t>(n) * (prefix.size() + static_cast<std::size_t>(width) + 1));
  for (std::uint64_t i = 0; i < n; ++i) out += fmt::format("{}{:0{}}\n", prefix, i, width);
  return out;
}

/// A sink that counts bytes and keeps none (an export's output is not the point here).
class CountingSink final : public io::ByteSink {
 public:
  void write(std::string_view bytes) override { size_ += bytes.size(); }
  void sync() override {}
  std::uint64_t size() const override { return size_; }
  bool truncate(std::uint64_t size) override {
    if (size > size_) return false;
    size_ = size;
    return true;
  }

 private:
  std::uint64_t size_ = 0;
};

/// The operation that runs @p w with @p items items on @p scheduler, in namespace @p ns (KV) or the bench zone.
inline std::unique_ptr<ops::Operation> make_operation(Workload w, std::uint64_t items, const Profile& p,
                                                      const std::string& ns, engine::Scheduler& scheduler,
                                                      io::ByteSink& sink) {
  ops::OpOptions options;
  options.progress_interval = std::chrono::seconds(5);
  switch (w) {
    case Workload::delete_prefix:
    case Workload::delete_keys: {
      ops::KvDeleteSpec spec;
      spec.account_id = bench_account;
      spec.namespace_id = ns;
      spec.select.prefix = "old/";
      std::unique_ptr<io::RecordSource> keys;
      if (w == Workload::delete_keys) {
        spec.source = ops::KvDeleteSpec::Source::keys;
        spec.input = "keys.txt";
        keys = lines_of(seeded_keys("old/", items), "keys.txt");
      }
      return std::make_unique<ops::KvDelete>(scheduler, spec, options, std::move(keys));
    }
    case Workload::export_kv:
      return std::make_unique<ops::KvExport>(scheduler, ops::KvExportSpec{bench_account, ns, "old/", "out.ndjson"},
                                             sink, options);
    case Workload::purge_urls:
    case Workload::purge_tags: {
      ops::PurgeSpec spec;
      spec.kind = w == Workload::purge_urls ? api::purge::Kind::files : api::purge::Kind::tags;
      spec.account_id = bench_account;
      spec.zones = {{bench_zone, "example.com"}};
      spec.plan = p.server.plan;
      std::string text;
      text.reserve(static_cast<std::size_t>(items) * 40);
      for (std::uint64_t i = 0; i < items; ++i)
        text += w == Workload::purge_urls ? fmt::format("https://example.com/assets/{}.css\n", i)
                                          : fmt::format("tag-{}\n", i);
      return std::make_unique<ops::Purge>(scheduler, spec, lines_of(std::move(text), "input.txt"), options);
    }
  }
  return nullptr;
}

}  // namespace detail

/// Runs @p w with @p items items under @p p with @p setting, to the end, in virtual time; @p seed fixes the
/// server's draws and the client's jitter.
inline CellResult run_cell(Workload w, std::uint64_t items, const Profile& p, const Setting& setting,
                           std::uint64_t seed = 1) {
  CellResult res;
  res.workload = w;
  res.profile = p.name;
  res.setting = setting.label;
  res.adaptive = setting.adaptive;
  res.is_default = setting.is_default;
  res.fixed = setting.adaptive ? 0 : setting.limit.initial;
  res.items = items;
  const double nominal = nominal_duration(w, items, p);
  res.bound = compute_bound(w, items, p, p.changes.empty() ? 0 : nominal);
  const std::uint64_t planned_requests = call_plan(w, items, p.server.plan).total();

  emu::Server server(cell_server_config(p, seed));
  const std::string ns = server.create_namespace(bench_account, "bench");
  // A keys-file delete names keys that are not seeded: Cloudflare (and the emulator) confirm the delete of a missing
  // key like any other, the latency model does not depend on it, and seeding a million keys per cell would cost more
  // than the run itself.
  if (w == Workload::delete_prefix || w == Workload::export_kv) server.seed_keys(ns, "old/", items);

  transport::SimConfig sim_config;
  sim_config.token = bench_token;
  transport::SimTransport sim(server, sim_config);
  const Instant start = sim.now();

  // The limit, integrated over virtual time (it only changes when a sample arrives).
  engine::Scheduler* sched = nullptr;
  double limit_area = 0;
  Instant limit_since = start;
  int limit_now = setting.limit.initial;
  engine::SchedulerConfig sc;
  sc.limit = setting.limit;
  sc.governor.plan = p.server.plan;
  sc.seed = seed;
  sc.on_exchange = [&](const api::Request&, const api::Response&, Duration) {
    const Instant now = sim.now();
    limit_area += limit_now * to_seconds(now - limit_since);
    limit_since = now;
    limit_now = sched->concurrency_limit();
  };
  engine::Scheduler scheduler(sim, sc);
  sched = &scheduler;

  // The profile's changes reach the server at their time (a fraction of the nominal duration).
  for (const auto& c : p.changes)
    sim.after(from_seconds(c.at * nominal), [&server, &p, c, planned_requests] {
      if (c.latency_factor) server.set_latency(scaled(p.server.latency, *c.latency_factor));
      if (c.quota_of_requests) {
        api::GlobalRateLimit limit = p.server.rate_limit;
        limit.quota = c.quota_for(planned_requests);
        server.set_rate_limit(limit);
      }
    });

  detail::CountingSink sink;
  const std::unique_ptr<ops::Operation> op = detail::make_operation(w, items, p, ns, scheduler, sink);
  const ops::OpReport report = ops::run(sim, *op);
  const Instant end = sim.now();
  limit_area += limit_now * to_seconds(end - limit_since);

  const emu::Stats stats = server.stats();
  res.done = report.done;
  res.failed = report.failed;
  res.completed = report.status == ops::OpStatus::completed;
  res.seconds = to_seconds(end - start);
  res.throughput = res.seconds > 0 ? static_cast<double>(report.done) / res.seconds : 0;
  res.requests = stats.requests;
  res.retries = report.requests.retries;
  res.rate_limited = stats.rate_limited;
  res.lockouts = stats.lockouts;
  res.server_errors = report.requests.server_errors;
  res.mean_limit = res.seconds > 0 ? limit_area / res.seconds : limit_now;
  res.peak_inflight = report.requests.peak_inflight;
  return res;
}

}  // namespace ckp::bench
