#pragma once
/// @file
/// The concurrency-tuning model, shared by the sweep benchmark (benchmarks/sim/concurrency_sweep.cpp) and its test
/// (tests/engine/sim/test_sim_tuning.cpp): API profiles, workloads, a server front around the emulator's server
/// model (per-call latency and 5xx draws, server capacity), honest bounds, and run_cell(), which runs one
/// (workload, profile, limit) cell to completion in virtual time. Everything is deterministic: the same cell gives
/// the same numbers, event for event.
///
/// Profiles are what the API does (latency, limits, faults, plan, changes mid-run); workloads are what the user asks
/// for (delete by prefix, delete from a keys file, export, purge URLs, purge tags) and how big it is.
///
/// Bounds. For each cell the model computes what an ideal client would take: unlimited concurrency, exact knowledge
/// of every limit, expected latencies (base + jitter/2 + per item × items); it sends each call as early as its inputs
/// and the limits allow, listing calls first, and is done when its last response arrives. The structure is the
/// workload's: a prefix delete or an export walks the listing cursor page after page (⌈N/1000⌉ lists) and can act
/// on a page only once it is listed (bulk deletes of 10,000 as batches fill, ⌈1000/100⌉ bulk gets per page); a
/// keys-file delete or a purge can send everything at once. The limits: the global window (Q calls per W seconds,
/// counted at arrival, greedy admission: with a fixed Q the R-th call waits ⌊(R−1)/Q⌋·W), the purge buckets (URLs:
/// urls_per_second per second, one second's worth to start; flex: rate and burst), and quota changes. Run with
/// latency alone, latency + window, latency + buckets and everything, it says which limit binds. With a server
/// capacity C, the run also lasts at least Σ nominal latencies / C.
///
/// What the bound leaves out: retries (5xx cost extra calls that the bound does not count, so the ratio includes
/// their cost) and luck (latencies are expected values; jitter is uniform, so a run can beat a latency-bound chain
/// by the luck of its draws — about 1–3% for chains of 50–200 calls). With the minimum latency instead, every
/// latency-bound ratio would carry the jitter (≈ ×1.25 at jitter = base/2) and say little.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "ckp/emu/faults.hpp"
#include "ckp/emu/server.hpp"
#include "ckp/engine/records.hpp"
#include "ckp/engine/scheduler.hpp"
#include "ckp/engine/sink.hpp"
#include "ckp/ops/kv_delete.hpp"
#include "ckp/ops/kv_export.hpp"
#include "ckp/ops/purge.hpp"
#include "ckp/transport/sim.hpp"

namespace ckp::bench {

inline constexpr const char* bench_token = "bench-token";
inline constexpr const char* bench_account = "0123456789abcdef0123456789abcdef";
inline constexpr const char* bench_zone = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

/// What the user asks for.
enum class Workload { delete_prefix, delete_keys, export_kv, purge_urls, purge_tags };

inline constexpr Workload all_workloads[] = {Workload::delete_prefix, Workload::delete_keys, Workload::export_kv,
                                             Workload::purge_urls, Workload::purge_tags};

constexpr const char* to_string(Workload w) noexcept {
  switch (w) {
    case Workload::delete_prefix: return "delete-prefix";
    case Workload::delete_keys: return "delete-keys";
    case Workload::export_kv: return "export";
    case Workload::purge_urls: return "purge-urls";
    case Workload::purge_tags: return "purge-tags";
  }
  return "?";
}

constexpr bool is_purge(Workload w) noexcept { return w == Workload::purge_urls || w == Workload::purge_tags; }

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
  /// at most ~22 calls in flight (export; deletes 15, purges 3 per zone), so 32 leaves room for every setting.
  std::int64_t quota_plus = 0;
};

/// What the API does.
struct Profile {
  std::string name;
  std::string about;
  emu::LatencyModel latency;
  api::GlobalRateLimit limit;            ///< the global limit (default 1200 / 300 s, lockout 300 s)
  api::PlanProfile plan = api::PlanProfile::enterprise();
  emu::FaultRates faults;                ///< only error_500 and error_503 are used (BenchServer draws them)
  /// Calls the server serves at nominal speed at once (per token); 0 = unlimited. Above it, each call's latency is
  /// stretched by (calls in flight, itself included) / capacity, as a processor-sharing server would.
  int capacity = 0;
  std::vector<Change> changes;
  /// Sized per workload so that the global window binds (see workload_items), instead of the base size.
  bool window_sized = false;
};

inline emu::LatencyModel latency_ms(int base_ms, int jitter_ms) {
  using std::chrono::milliseconds;
  // A bulk call's time grows with its items: 20 µs each (a 10,000-key bulk delete takes 200 ms more than a list).
  return {milliseconds(base_ms), milliseconds(jitter_ms), std::chrono::microseconds(20)};
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
    p.latency = lat;
    return out.emplace_back(std::move(p));
  };
  add("lat50", "50 ms + U[0,25) ms per call", latency_ms(50, 25));
  add("lat200", "200 ms + U[0,100) ms per call", latency_ms(200, 100));
  add("lat800", "800 ms + U[0,400) ms per call", latency_ms(800, 400));
  add("window", "lat200, sized so the 1200/5-min window binds", latency_ms(200, 100)).window_sized = true;
  add("capacity8", "lat200; the server serves 8 calls at nominal speed, more stretch every call",
      latency_ms(200, 100)).capacity = 8;
  add("5xx-1%", "lat200; 0.5% 500 + 0.5% 503", latency_ms(200, 100)).faults = server_errors(0.01);
  add("5xx-10%", "lat200; 5% 500 + 5% 503", latency_ms(200, 100)).faults = server_errors(0.10);
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
    p.plan = std::move(plan);
    p.latency = lat;
    return out.emplace_back(std::move(p));
  };
  add("free", "free plan, lat200", api::PlanProfile::free(), latency_ms(200, 100));
  add("pro", "pro plan, lat200", api::PlanProfile::pro(), latency_ms(200, 100));
  add("business", "business plan, lat200", api::PlanProfile::business(), latency_ms(200, 100));
  add("enterprise", "enterprise plan, lat200", api::PlanProfile::enterprise(), latency_ms(200, 100));
  add("ent-lat50", "enterprise, lat50", api::PlanProfile::enterprise(), latency_ms(50, 25));
  add("ent-lat800", "enterprise, lat800", api::PlanProfile::enterprise(), latency_ms(800, 400));
  add("window", "business, lat200, sized so the 1200/5-min window binds", api::PlanProfile::business(),
      latency_ms(200, 100)).window_sized = true;
  add("5xx-1%", "enterprise, lat200; 0.5% 500 + 0.5% 503", api::PlanProfile::enterprise(), latency_ms(200, 100))
      .faults = server_errors(0.01);
  add("5xx-10%", "enterprise, lat200; 5% 500 + 5% 503", api::PlanProfile::enterprise(), latency_ms(200, 100))
      .faults = server_errors(0.10);
  add("spike", "enterprise, lat200; latency x4 from 50% to 75%", api::PlanProfile::enterprise(), latency_ms(200, 100))
      .changes = {{0.5, 4.0, std::nullopt, 0}, {0.75, 1.0, std::nullopt, 0}};
  add("limit-drop", "enterprise, lat200; at 50% the quota drops to 60% of the run's calls + 32",
      api::PlanProfile::enterprise(), latency_ms(200, 100)).changes = {{0.5, std::nullopt, 0.6, 32}};
  return out;
}

inline std::vector<Profile> profiles_for(Workload w) { return is_purge(w) ? purge_profiles() : kv_profiles(); }

/// A workload's size (items) in @p profile. Base sizes keep the whole sweep short while every phase that matters
/// still happens (many list pages, dozens of bulk calls); the `window` profile makes R ≈ 1500–1650 where that is
/// affordable, so the window binds once (the last calls wait for the first window to pass).
inline std::uint64_t workload_items(Workload w, const Profile& p, double scale = 1.0) {
  const bool window = p.window_sized;
  double n = 0;
  switch (w) {
    case Workload::delete_prefix: n = window ? 0 : 100'000; break;   // window: R = 1.1 per 1000 keys; needs 1.1M+
    case Workload::delete_keys: n = window ? 0 : 300'000; break;     // window: R = 0.1 per 1000 keys; needs 12M+
    case Workload::export_kv: n = window ? 150'000 : 50'000; break;  // R = 11 per 1000 keys
    case Workload::purge_urls: n = window ? 150'000 : 30'000; break;  // window: business, 100 per call
    case Workload::purge_tags: n = window ? 150'000 : 10'000; break;
  }
  if (window && n == 0) return 0;  // the window cannot bind at an affordable size: not run
  return static_cast<std::uint64_t>(std::llround(n * scale));
}

/// The number of calls a workload of @p n items makes when nothing fails.
struct CallPlan {
  std::uint64_t lists = 0;        ///< sequential cursor pages
  std::uint64_t calls = 0;        ///< everything else
  std::size_t items_per_call = 0; ///< items in a full call (latency grows with them)
  std::size_t last_items = 0;     ///< items in the last call
  std::uint64_t total() const { return lists + calls; }
};

inline std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

inline CallPlan call_plan(Workload w, std::uint64_t n, const api::PlanProfile& plan) {
  CallPlan c;
  auto batches = [&](std::size_t cap) {
    c.items_per_call = cap;
    c.calls = ceil_div(n, cap);
    c.last_items = n % cap ? n % cap : cap;
  };
  switch (w) {
    case Workload::delete_prefix:
      c.lists = std::max<std::uint64_t>(1, ceil_div(n, 1000));
      batches(api::kv_limits::max_bulk_items);
      break;
    case Workload::delete_keys: batches(api::kv_limits::max_bulk_items); break;
    case Workload::export_kv:
      c.lists = std::max<std::uint64_t>(1, ceil_div(n, 1000));
      // Bulk gets go page by page: ⌈1000/100⌉ per full page.
      c.calls = (n / 1000) * 10 + ceil_div(n % 1000, api::kv_limits::max_bulk_get_keys);
      c.items_per_call = api::kv_limits::max_bulk_get_keys;
      c.last_items = n % 100 ? n % 100 : 100;
      break;
    case Workload::purge_urls: batches(plan.max_urls_per_request); break;
    case Workload::purge_tags: batches(plan.max_flex_items_per_request); break;
  }
  return c;
}

/// What limits a cell's duration: the ideal client's duration under each set of constraints, in seconds.
struct Bound {
  double chain = 0;     ///< latency only (the listing chain, or one round when everything can go at once)
  double window = 0;    ///< latency + the global window
  double bucket = 0;    ///< latency + the purge buckets
  double ideal = 0;     ///< latency + window + buckets: the bound, unless capacity binds harder
  double capacity = 0;  ///< Σ nominal latencies / server capacity (0 without a capacity)
  double seconds() const { return std::max(ideal, capacity); }
  /// `latency`, `window`, `bucket` or `capacity`: what makes the bound longer than the rest.
  const char* binding() const {
    if (capacity > ideal) return "capacity";
    if (ideal <= chain * 1.01) return "latency";
    return window >= bucket ? "window" : "bucket";
  }
};

/// The latency factor in force at @p t (seconds from the start).
inline double latency_factor_at(const Profile& p, double nominal, double t) {
  double f = 1;
  for (const auto& c : p.changes)
    if (c.latency_factor && t >= c.at * nominal) f = *c.latency_factor;
  return f;
}

/// The expected latency of a call of @p items sent at @p t: base + jitter/2 + per item × items (× a spike's factor).
inline double expected_latency(const Profile& p, double nominal, double t, std::size_t items) {
  return latency_factor_at(p, nominal, t) * (to_seconds(p.latency.base) + to_seconds(p.latency.jitter) / 2 +
                                             to_seconds(p.latency.per_item) * static_cast<double>(items));
}

/// The global quota in force at @p t for a cell of @p requests calls.
inline std::int64_t quota_at(const Profile& p, double nominal, std::uint64_t requests, double t) {
  std::int64_t q = p.limit.quota;
  for (const auto& c : p.changes)
    if (c.quota_of_requests && t >= c.at * nominal)
      q = std::max<std::int64_t>(1, std::llround(*c.quota_of_requests * static_cast<double>(requests)) + c.quota_plus);
  return q;
}

namespace detail {

/// The ideal client: unlimited concurrency, exact knowledge of every limit, expected latencies. It sends each call
/// as early as its inputs and the limits allow, a listing call before anything else; the result is when its last
/// response arrives. Limits it can be told to ignore, to see which ones bind.
class IdealClient {
 public:
  IdealClient(Workload w, std::uint64_t n, const Profile& p, double nominal, bool window, bool buckets)
      : w_(w), n_(n), p_(p), nominal_(nominal), use_window_(window && p.limit.quota > 0), use_buckets_(buckets),
        plan_(call_plan(w, n, p.plan)) {
    for (const auto& c : p.changes)
      if (c.quota_of_requests) quota_changes_.push_back(c.at * nominal);
    const double ups = p.plan.urls_per_second;
    if (w == Workload::purge_urls) bucket_ = {ups, ups, ups, 0};
    if (w == Workload::purge_tags)
      bucket_ = {p.plan.flex_requests_per_second, static_cast<double>(p.plan.flex_bucket),
                 static_cast<double>(p.plan.flex_bucket), 0};
  }

  double run() {
    // Calls that need no listing are all released at once.
    if (plan_.lists == 0)
      for (std::uint64_t i = 0; i < plan_.calls; ++i)
        ready_.push_back({0, i + 1 == plan_.calls ? plan_.last_items : plan_.items_per_call});
    double next_list = plan_.lists > 0 ? 0 : -1;  // release time of the next listing call; −1: none left
    std::uint64_t lists_done = 0;
    double end = 0;
    while (next_list >= 0 || !ready_.empty()) {
      const double list_at = next_list >= 0 ? earliest(next_list, 1) : HUGE_VAL;
      const double call_at = ready_.empty() ? HUGE_VAL : earliest(ready_.front().release, cost(ready_.front().items));
      if (list_at <= call_at) {
        admit(list_at, 1);
        const double done = list_at + expected_latency(p_, nominal_, list_at, 0);
        end = std::max(end, done);
        ++lists_done;
        release_after_page(lists_done, done);
        next_list = lists_done < plan_.lists ? done : -1;
      } else {
        const Call c = ready_.front();
        ready_.pop_front();
        admit(call_at, cost(c.items));
        end = std::max(end, call_at + expected_latency(p_, nominal_, call_at, c.items));
      }
    }
    return end;
  }

 private:
  struct Call {
    double release;
    std::size_t items;
  };
  struct Bucket {
    double rate = 0, capacity = 0, tokens = 0, at = 0;
  };

  double cost(std::size_t items) const { return w_ == Workload::purge_urls ? static_cast<double>(items) : 1.0; }

  /// The calls a listed page releases: bulk deletes as 10,000-key batches fill, or the page's bulk gets.
  void release_after_page(std::uint64_t pages, double at) {
    const std::uint64_t listed = std::min<std::uint64_t>(n_, pages * 1000);
    if (w_ == Workload::export_kv) {
      const std::uint64_t keys = listed - (pages - 1) * 1000;
      for (std::uint64_t k = 0; k < keys; k += 100)
        ready_.push_back({at, static_cast<std::size_t>(std::min<std::uint64_t>(100, keys - k))});
    } else if (w_ == Workload::delete_prefix) {
      const std::uint64_t cap = plan_.items_per_call;
      while (released_items_ + cap <= listed) {
        ready_.push_back({at, static_cast<std::size_t>(cap)});
        released_items_ += cap;
      }
      if (listed == n_ && released_items_ < n_) {
        ready_.push_back({at, static_cast<std::size_t>(n_ - released_items_)});
        released_items_ = n_;
      }
    }
  }

  /// The earliest time ≥ @p from at which a call costing @p tokens may be sent.
  double earliest(double from, double tokens) {
    double t = from;
    for (;;) {
      const double tw = window_earliest(t);
      const double tb = bucket_earliest(tw, tokens);
      if (tb <= tw) return tw;
      t = tb;
    }
  }

  double window_earliest(double t) {
    if (!use_window_) return t;
    const double window = static_cast<double>(p_.limit.window_seconds);
    for (;;) {
      while (!admitted_.empty() && admitted_.front() + window <= t) admitted_.pop_front();
      const std::int64_t q = quota_at(p_, nominal_, plan_.total(), t);
      if (static_cast<std::int64_t>(admitted_.size()) < q) return t;
      double next = admitted_.front() + window;
      for (double c : quota_changes_)
        if (c > t) next = std::min(next, c);
      t = next;
    }
  }

  double bucket_earliest(double t, double tokens) const {
    if (!use_buckets_ || bucket_.rate <= 0) return t;
    const double have = std::min(bucket_.capacity, bucket_.tokens + (t - bucket_.at) * bucket_.rate);
    const double need = std::min(tokens, bucket_.capacity);
    return have + 1e-9 >= need ? t : t + (need - have) / bucket_.rate;
  }

  void admit(double t, double tokens) {
    if (use_window_) admitted_.push_back(t);
    if (use_buckets_ && bucket_.rate > 0) {
      bucket_.tokens = std::min(bucket_.capacity, bucket_.tokens + (t - bucket_.at) * bucket_.rate) -
                       std::min(tokens, bucket_.capacity);
      bucket_.at = t;
    }
  }

  Workload w_;
  std::uint64_t n_;
  const Profile& p_;
  double nominal_;
  bool use_window_, use_buckets_;
  CallPlan plan_;
  std::vector<double> quota_changes_;
  Bucket bucket_;
  std::deque<Call> ready_;
  std::deque<double> admitted_;
  std::uint64_t released_items_ = 0;
};

}  // namespace detail

/// The bounds of @p w with @p n items in @p p. Changes happen at fractions of @p nominal; with nominal = 0 the
/// profile's changes are ignored (that is how the nominal duration itself is computed).
inline Bound compute_bound(Workload w, std::uint64_t n, const Profile& p, double nominal = 0) {
  Profile unchanged = p;
  unchanged.changes.clear();
  const Profile& q = nominal > 0 ? p : unchanged;
  Bound b;
  b.chain = detail::IdealClient(w, n, q, nominal, false, false).run();
  b.window = detail::IdealClient(w, n, q, nominal, true, false).run();
  b.bucket = detail::IdealClient(w, n, q, nominal, false, true).run();
  b.ideal = detail::IdealClient(w, n, q, nominal, true, true).run();
  if (q.capacity > 0) {
    const CallPlan plan = call_plan(w, n, q.plan);
    const double work = static_cast<double>(plan.lists) * expected_latency(q, 0, 0, 0) +
                        static_cast<double>(plan.calls) * expected_latency(q, 0, 0, plan.items_per_call);
    b.capacity = work / q.capacity;
  }
  return b;
}

/// The duration that `Change::at` fractions refer to: the bound of the same cell without its changes.
inline double nominal_duration(Workload w, std::uint64_t n, const Profile& p) {
  return compute_bound(w, n, p).seconds();
}

/// The server side of a cell: the emulator's server model (store, global limit, purge buckets, envelopes) behind a
/// front that draws latency and 5xx itself and models server capacity.
///
/// Draws are keyed by the call (a hash of method, path, query and body) and its attempt number, not taken in the
/// order calls arrive: every setting sees the same latency and the same faults for the same call (common random
/// numbers), so that fixed 16 and fixed 32 differ by what they do, not by the luck of the draw. (With the emulator's
/// sequential draws, one 5xx landing on a listing call instead of a bulk call moves a run by ±13% at 10% 5xx.)
/// - latency: (base + U[0, jitter) + per_item × items) × the spike factor in force; per_item comes from the
///   emulator (its latency model is set to per_item only), the rest from here;
/// - a fault (500 or 503, by the profile's rates) is drawn for a call the global limit admits, and the call is not
///   applied — as the emulator does: the front sends the emulator a harmless call in its place (GET /zones), which
///   the global limit counts, and answers with the fault and that call's rate-limit headers;
/// - capacity C: above C calls in flight, a call's latency is stretched by (calls in flight, itself included) / C.
class BenchServer {
 public:
  BenchServer(emu::Server& server, const Profile& profile, std::uint64_t seed, Instant start, double nominal)
      : server_(server), p_(profile), seed_(seed), start_(start), nominal_(nominal) {}

  emu::Reply handle(const api::Request& request, Instant now) {
    const std::uint64_t key = call_key(request);
    const std::uint64_t attempt = attempts_[key]++;
    const std::uint64_t h = mix(key ^ mix(seed_ * 0x9e3779b97f4a7c15ull + attempt));
    const double u_fault = unit(h), u_latency = unit(mix(h ^ 0x5bd1e995ull));
    const double p500 = p_.faults.error_500, p503 = p_.faults.error_503;
    emu::Reply reply;
    if (u_fault < p500 + p503) {
      api::Request stand_in(api::Method::get, "/zones", api::RequestClass::read);
      stand_in.query = {{"per_page", "5"}};
      stand_in.headers = request.headers;
      reply = server_.handle(stand_in, now);
      if (reply.response.status != 429) {
        api::Response fault = emu::fault_response(u_fault < p500 ? emu::Fault::error_500 : emu::Fault::error_503);
        for (const char* h_name : {"Ratelimit", "Ratelimit-Policy"})
          if (auto v = reply.response.headers.get(h_name)) fault.headers.set(h_name, *v);
        reply.response = std::move(fault);
        ++faults_;
      }
      reply.delay = Duration{0};
    } else {
      reply = server_.handle(request, now);
    }
    const double factor = latency_factor_at(p_, nominal_, to_seconds(now - start_));
    const double base = to_seconds(p_.latency.base) + to_seconds(p_.latency.jitter) * u_latency;
    reply.delay = from_seconds(factor * (base + to_seconds(reply.delay)));
    if (p_.capacity > 0) {
      while (!busy_.empty() && busy_.top() <= now) busy_.pop();
      const auto in_flight = static_cast<std::int64_t>(busy_.size()) + 1;
      if (in_flight > p_.capacity) reply.delay = reply.delay * in_flight / p_.capacity;
      busy_.push(now + reply.delay);
    }
    return reply;
  }

  /// 5xx injected so far.
  std::uint64_t faults() const { return faults_; }

  /// The emulator's configuration for @p p: its latency reduced to per_item, its own faults off (drawn here).
  static emu::Config emulator_config(const Profile& p, std::uint64_t seed) {
    emu::Config config;
    config.tokens = {{bench_token, bench_account}};
    config.zones = {{"example.com", bench_zone, bench_account}};
    config.plan = p.plan;
    config.rate_limit = p.limit;
    config.latency = {Duration{0}, Duration{0}, p.latency.per_item};
    config.fault_seed = seed;
    return config;
  }

 private:
  static std::uint64_t mix(std::uint64_t x) {  // splitmix64's finalizer
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  }
  static double unit(std::uint64_t x) { return static_cast<double>(x >> 11) * 0x1.0p-53; }
  static std::uint64_t call_key(const api::Request& r) {
    std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
    auto add = [&h](std::string_view s) {
      for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
      h = (h ^ 0xff) * 0x100000001b3ull;
    };
    add(api::to_string(r.method));
    add(r.path);
    for (const auto& [k, v] : r.query) add(k), add(v);
    add(r.body);
    return h;
  }

  emu::Server& server_;
  const Profile& p_;
  std::uint64_t seed_;
  Instant start_;
  double nominal_;
  std::unordered_map<std::uint64_t, std::uint32_t> attempts_;
  std::priority_queue<Instant, std::vector<Instant>, std::greater<>> busy_;
  std::uint64_t faults_ = 0;
};

/// One limit setting of the sweep.
struct Setting {
  std::string label;          ///< "fixed 8", "gradient2", "default (gradient2)"
  engine::LimitConfig limit;
  bool adaptive = false;
  bool is_default = false;
};

/// fixed 1, 2, 4 … 64, then aimd, gradient2, vegas with LimitConfig's defaults, then LimitConfig{} itself.
inline std::vector<Setting> sweep_settings() {
  std::vector<Setting> out;
  for (int n : {1, 2, 4, 8, 16, 32, 64})
    out.push_back({fmt::format("fixed {}", n), engine::LimitConfig::fixed(n), false, false});
  for (const char* a : {"aimd", "gradient2", "vegas"}) {
    engine::LimitConfig c;
    c.algorithm = a;
    out.push_back({a, c, true, false});
  }
  const engine::LimitConfig d{};
  out.push_back({fmt::format("default ({})", d.algorithm), d, true, true});
  return out;
}

/// What one cell measured.
struct CellResult {
  Workload workload{};
  std::string profile;
  std::string setting;
  bool adaptive = false;
  bool is_default = false;
  int fixed = 0;                 ///< the fixed concurrency (0 for adaptive)
  std::uint64_t items = 0;
  std::uint64_t done = 0;
  std::uint64_t failed = 0;
  bool completed = false;
  double seconds = 0;            ///< virtual duration
  double throughput = 0;         ///< items confirmed per virtual second
  std::uint64_t requests = 0;    ///< requests the server saw (retries included)
  std::uint64_t retries = 0;
  std::uint64_t rate_limited = 0;///< 429s the server sent
  std::uint64_t lockouts = 0;    ///< times the server locked the token out
  std::uint64_t server_errors = 0;
  double mean_limit = 0;         ///< the concurrency limit, averaged over virtual time
  int peak_inflight = 0;
  Bound bound;
  double ratio() const { return bound.seconds() > 0 ? seconds / bound.seconds() : 0; }
};

namespace detail {
inline std::unique_ptr<engine::RecordSource> lines_of(std::string text, std::string name) {
  return std::make_unique<engine::LineRecords>(
      std::make_unique<engine::StringReader>(std::move(text), std::move(name)));
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
class CountingSink final : public engine::ByteSink {
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
}  // namespace detail

/// Runs @p w with @p items items under @p p with @p setting, to the end, in virtual time.
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
  const std::uint64_t planned_requests = call_plan(w, items, p.plan).total();

  emu::Server server(BenchServer::emulator_config(p, seed));
  const std::string ns = server.create_namespace(bench_account, "bench");
  // A keys-file delete names keys that are not seeded: Cloudflare (and the emulator) confirm the delete of a missing
  // key like any other, the latency model does not depend on it, and seeding a million keys per cell would cost more
  // than the run itself.
  if (w == Workload::delete_prefix || w == Workload::export_kv) server.seed_keys(ns, "old/", items);

  transport::SimConfig sim_config;
  sim_config.token = bench_token;
  BenchServer front(server, p, seed, sim_config.start, nominal);
  transport::SimTransport sim([&front](const api::Request& r, Instant t) { return front.handle(r, t); }, sim_config);
  const Instant start = sim.now();

  // The limit, integrated over virtual time (it only changes when a sample arrives).
  engine::Scheduler* sched = nullptr;
  double limit_area = 0;
  Instant limit_since = start;
  int limit_now = setting.limit.initial;
  engine::SchedulerConfig sc;
  sc.limit = setting.limit;
  sc.governor.plan = p.plan;
  sc.seed = seed;
  sc.on_exchange = [&](const api::Request&, const api::Response&, Duration) {
    const Instant now = sim.now();
    limit_area += limit_now * to_seconds(now - limit_since);
    limit_since = now;
    limit_now = sched->concurrency_limit();
  };
  engine::Scheduler scheduler(sim, sc);
  sched = &scheduler;

  // Latency changes are the front's; quota changes go to the emulator's limiter, at their time.
  for (const auto& c : p.changes) {
    if (!c.quota_of_requests) continue;
    sim.after(from_seconds(c.at * nominal), [&server, &p, c, planned_requests] {
      api::GlobalRateLimit limit = p.limit;
      limit.quota = std::max<std::int64_t>(
          1, std::llround(*c.quota_of_requests * static_cast<double>(planned_requests)) + c.quota_plus);
      server.set_rate_limit(limit);
    });
  }

  ops::OpOptions options;
  options.progress_interval = std::chrono::seconds(5);
  std::unique_ptr<ops::Operation> op;
  detail::CountingSink sink;
  switch (w) {
    case Workload::delete_prefix:
    case Workload::delete_keys: {
      ops::KvDeleteSpec spec;
      spec.account_id = bench_account;
      spec.namespace_id = ns;
      spec.select.prefix = "old/";
      std::unique_ptr<engine::RecordSource> keys;
      if (w == Workload::delete_keys) {
        spec.source = ops::KvDeleteSpec::Source::keys;
        spec.input = "keys.txt";
        keys = detail::lines_of(detail::seeded_keys("old/", items), "keys.txt");
      }
      op = std::make_unique<ops::KvDelete>(scheduler, spec, options, std::move(keys));
      break;
    }
    case Workload::export_kv:
      op = std::make_unique<ops::KvExport>(scheduler, ops::KvExportSpec{bench_account, ns, "old/", "out.ndjson"}, sink,
                                           options);
      break;
    case Workload::purge_urls:
    case Workload::purge_tags: {
      ops::PurgeSpec spec;
      spec.kind = w == Workload::purge_urls ? api::purge::Kind::files : api::purge::Kind::tags;
      spec.account_id = bench_account;
      spec.zones = {{bench_zone, "example.com"}};
      spec.plan = p.plan;
      std::string text;
      text.reserve(static_cast<std::size_t>(items) * 40);
      for (std::uint64_t i = 0; i < items; ++i)
        text += w == Workload::purge_urls ? fmt::format("https://example.com/assets/{}.css\n", i)
                                          : fmt::format("tag-{}\n", i);
      op = std::make_unique<ops::Purge>(scheduler, spec, detail::lines_of(std::move(text), "input.txt"), options);
      break;
    }
  }
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

/// The ≥ 95 % rule for one (workload, profile): the default adaptive setting against the best fixed one.
struct Verdict {
  double best_fixed = 0;
  int best_fixed_n = 0;
  double default_throughput = 0;
  std::uint64_t default_lockouts = 0;
  double share() const { return best_fixed > 0 ? default_throughput / best_fixed : 0; }
  bool holds() const { return default_lockouts == 0 && share() >= 0.95; }
};

inline Verdict verdict(const std::vector<CellResult>& cells) {
  Verdict v;
  for (const auto& c : cells) {
    if (!c.adaptive && c.throughput > v.best_fixed) {
      v.best_fixed = c.throughput;
      v.best_fixed_n = c.fixed;
    }
    if (c.is_default) {
      v.default_throughput = c.throughput;
      v.default_lockouts = c.lockouts;
    }
  }
  return v;
}

}  // namespace ckp::bench
