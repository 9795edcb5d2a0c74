#pragma once
/// @file
/// The rate governor: paces calls so that Cloudflare never has a reason to send a 429.
///
/// Four limits apply (Cloudflare's API documentation: rate limits, and cache purge limits per plan):
/// - the global client API limit, 1200 requests per 5 minutes per token, with a 5-minute lockout when exceeded —
///   mirrored by a SlidingWindow that keeps `headroom` of the quota unused for other clients of the token;
/// - flex purge (tags, hosts, prefixes, everything): a token bucket per plan;
/// - single-file purge: URLs per second, a token bucket whose cost is the number of URLs
///   (both per plan, paced as purge_buckets.hpp explains: a run over zones of several plans has a pair per plan);
/// - 200 requests per second per client IP: a SlidingWindow of one second that never lets more than 95% of the
///   limit through in any one second (see per_ip_quota()).
///
/// What the server says overrides what we assumed: `Ratelimit-Policy` members named `default` (global window),
/// `purge-flex` and `purge-urls` (buckets: q tokens, refilled over w seconds) reconfigure the limits; `Ratelimit`'s
/// remaining count reveals other clients' use of the token; a global 429 stops everything until `Retry-After`, a
/// purge bucket's 429 stops that bucket until then.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "ckp/api/envelope.hpp"
#include "ckp/api/http.hpp"
#include "ckp/api/limits.hpp"
#include "ckp/api/rate_headers.hpp"
#include "ckp/engine/purge_buckets.hpp"
#include "ckp/engine/sliding_window.hpp"

namespace ckp::engine {

/// What one call costs against the limits.
struct Cost {
  /// Which limits the call counts against.
  enum class Kind {
    api,         ///< any call: one slot of the global window
    flex_purge,  ///< also one token of the flex purge bucket
    url_purge,   ///< also `units` tokens (URLs) of the URL bucket
  };
  Kind kind = Kind::api;  ///< which limits apply
  double units = 1;       ///< tokens taken from the URL bucket (url_purge)
  /// Whose purge buckets (RateGovernor::plan_buckets()); 0 is GovernorConfig::plan's.
  std::size_t plan = 0;

  /// Any API call (KV, zones): the global window only.
  static Cost api_call() { return {}; }
  /// A purge by tags, hosts, prefixes or everything, against the buckets of @p plan.
  static Cost flex_purge(std::size_t plan = 0) { return {Kind::flex_purge, 1, plan}; }
  /// A purge of @p urls URLs, against the buckets of @p plan.
  static Cost url_purge(std::size_t urls, std::size_t plan = 0) {
    return {Kind::url_purge, static_cast<double>(urls), plan};
  }
  /// Whether @p other counts against the same purge bucket (calls of one bucket keep their order).
  bool same_bucket(const Cost& other) const { return kind == other.kind && plan == other.plan; }
};

/// How the governor starts out; headers refine it.
struct GovernorConfig {
  api::GlobalRateLimit global;  ///< the token's global window (1200 per 5 minutes unless headers say otherwise)
  api::PlanProfile plan = api::PlanProfile::enterprise();  ///< the purge buckets of Cost::plan 0
  /// Fraction of the global quota left unused, for other clients of the same token (when > 0, at least one
  /// request).
  double headroom = 0.01;
  /// Learn limits from `Ratelimit` / `Ratelimit-Policy` headers.
  bool learn_from_headers = true;
};

/// Counters for progress and benchmarks.
struct GovernorStats {
  std::uint64_t rate_limited = 0;  ///< 429 responses seen
  std::uint64_t lockouts = 0;      ///< 429s with code 971 (the global lockout)
  Duration paused{0};              ///< total time admission was blocked by a 429
};

/// Paces calls under every rate limit at once (see the file's comment). The Scheduler owns one and asks it before
/// each send; on its own it is a pure calculator over the times it is given. Never fails.
///
/// Example:
/// ```
/// ckp::engine::RateGovernor governor({.plan = ckp::api::PlanProfile::pro()});
/// ckp::Duration wait = governor.wait(ckp::engine::Cost::flex_purge(), now);
/// if (wait == ckp::Duration{0}) governor.on_send(ckp::engine::Cost::flex_purge(), now);
/// // …later: governor.on_response(ckp::engine::Cost::flex_purge(), response, later);
/// ```
class RateGovernor {
 public:
  /// A governor starting from @p config's limits.
  explicit RateGovernor(GovernorConfig config = {})
      : config_(config),
        window_(effective_quota(config.global.quota), std::chrono::seconds(config.global.window_seconds)),
        per_ip_(per_ip_quota(config.global.per_ip_per_second), std::chrono::seconds(1)) {
    plans_.emplace_back(config.plan);
  }

  /// The index of @p plan's purge buckets, for Cost::plan: added (full) the first time a plan is named; the same
  /// name with the same limits is the same buckets (zones of one plan share them, as they share them at Cloudflare).
  std::size_t plan_buckets(const api::PlanProfile& plan) {
    for (std::size_t i = 0; i < plans_.size(); ++i) {
      const auto& p = plans_[i].plan;
      if (p.name == plan.name && p.flex_requests_per_second == plan.flex_requests_per_second &&
          p.flex_bucket == plan.flex_bucket && p.urls_per_second == plan.urls_per_second)
        return i;
    }
    plans_.emplace_back(plan);
    return plans_.size() - 1;
  }

  /// Calls allowed in any one second for a per-IP limit of @p per_second. Cloudflare does not say how it counts
  /// "200 per second"; read strictly (no more than 200 in ANY one-second span, as the emulator enforces it), a
  /// token bucket of one second's worth would let twice that through in the first second. A sliding window of one
  /// second (a call holds its slot from its send until a second after its answer, so the server, which counts it
  /// on arrival, never sees more) keeps to the strict reading and still lets a burst go at once; 95% of the limit
  /// leaves room for another process on the same address.
  /// A limit of 0 or less means none.
  static std::int64_t per_ip_quota(std::int64_t per_second) {
    if (per_second <= 0) return std::numeric_limits<std::int64_t>::max();
    return std::max<std::int64_t>(1, per_second * 95 / 100);
  }

  /// How long a call of @p cost must wait before it may be sent; zero means now. SlidingWindow::until_completion
  /// means "when a call in flight completes".
  Duration wait(const Cost& cost, Instant now) { return std::max(wait_shared(now), wait_bucket(cost, now)); }

  /// The part of wait() that holds back every call, whatever its cost: a lockout, the global window, the per-IP
  /// rate. When it is zero and wait() is not, only the call's purge bucket holds it, and calls of other buckets may
  /// go first.
  Duration wait_shared(Instant now) {
    Duration w{0};
    if (blocked_until_ > now) w = blocked_until_ - now;
    w = std::max(w, window_.wait(now));
    return std::max(w, per_ip_.wait(now));
  }

  /// Records that a call of @p cost is being sent at @p now (call only when wait() is zero).
  void on_send(const Cost& cost, Instant now) {
    window_.on_send();
    per_ip_.on_send();
    if (auto* b = bucket(cost)) b->on_send(cost.units, now);
  }

  /// Asks for @p wake to be called when another user of this governor frees a slot (a call of theirs completes):
  /// the schedulers sharing one token's governor wake each other. Returns an id for unsubscribe() and wake_others().
  std::uint64_t subscribe(std::function<void()> wake) {
    const std::uint64_t id = ++next_listener_;
    listeners_.emplace_back(id, std::move(wake));
    return id;
  }
  /// Stops calling the listener @p id.
  void unsubscribe(std::uint64_t id) {
    std::erase_if(listeners_, [id](const auto& l) { return l.first == id; });
  }
  /// Wakes every listener but @p self (a call of @p self's just completed).
  void wake_others(std::uint64_t self) {
    if (listeners_.size() < 2) return;
    const auto copy = listeners_;  // a listener may subscribe or unsubscribe while woken
    for (const auto& [id, wake] : copy)
      if (id != self) wake();
  }

  /// Records the response to a call sent earlier (or its transport failure) at @p now.
  void on_response(const Cost& cost, const api::Response& r, Instant now) {
    window_.on_complete(now);
    per_ip_.on_complete(now);
    // A refusal (any 4xx but 429) was not charged to a purge bucket; a transport failure may have been.
    const bool refused = !r.transport_failed() && r.status >= 400 && r.status < 500 && r.status != 429;
    if (auto* b = bucket(cost)) b->on_answer(cost.units, !refused, now);
    if (r.transport_failed()) return;
    if (config_.learn_from_headers) learn(cost, r, now);
    if (r.status == 429) on_rate_limited(cost, r, now);
  }

  /// Admission is blocked until this time (after a 429); the past when not blocked.
  Instant blocked_until() const { return blocked_until_; }
  /// Counters so far.
  const GovernorStats& stats() const { return stats_; }
  /// The global window as currently believed.
  const SlidingWindow& window() const { return window_; }
  /// The flex purge bucket's refill rate as currently believed, requests per second (of Cost::plan @p plan).
  double flex_rate(std::size_t plan = 0) const { return plans_.at(plan).flex.rate(); }
  /// The URL bucket's refill rate as currently believed, URLs per second (of Cost::plan @p plan).
  double url_rate(std::size_t plan = 0) const { return plans_.at(plan).urls.rate(); }

 private:
  std::int64_t effective_quota(std::int64_t quota) const {
    const std::int64_t keep =
        config_.headroom > 0 ? std::max<std::int64_t>(1, static_cast<std::int64_t>(
                                                             std::ceil(static_cast<double>(quota) * config_.headroom)))
                             : 0;
    return std::max<std::int64_t>(1, quota - keep);
  }

  /// The purge buckets of @p cost's plan (an unknown plan index counts as plan 0).
  PurgeBuckets& plan_of(const Cost& cost) { return plans_[cost.plan < plans_.size() ? cost.plan : 0]; }
  /// The purge bucket @p cost counts against, or null (Cost::Kind::api).
  PacedBucket* bucket(const Cost& cost) {
    if (cost.kind == Cost::Kind::api) return nullptr;
    return cost.kind == Cost::Kind::flex_purge ? &plan_of(cost).flex : &plan_of(cost).urls;
  }

  Duration wait_bucket(const Cost& cost, Instant now) {
    auto* b = bucket(cost);
    if (!b) return Duration{0};
    const Duration w = b->wait(cost.units, now);
    return w == Duration::max() ? SlidingWindow::until_completion : w;
  }

  void learn(const Cost& cost, const api::Response& r, Instant now) {
    if (auto header = r.headers.get("Ratelimit-Policy")) {
      for (const auto& p : api::parse_ratelimit_policy(*header)) {
        if (!p.quota || !p.window_seconds || *p.quota <= 0 || *p.window_seconds <= 0) continue;
        const double q = *p.quota, w = *p.window_seconds;
        if (p.policy == "default") {
          server_quota_ = static_cast<std::int64_t>(q);
          window_.configure(effective_quota(server_quota_), from_seconds(w));
        } else if (p.policy == "purge-flex" || p.policy == "purge-urls") {
          (p.policy == "purge-flex" ? plan_of(cost).flex : plan_of(cost).urls).configure(q, w);
        }
      }
    }
    // A 429's `r=0` says the token is locked out, which Retry-After already bounds (on_rate_limited): read as
    // "the whole quota used by someone else", it would hold every call back for a whole window (5 minutes) after a
    // lockout of 40 s had ended.
    if (auto header = r.headers.get("Ratelimit"); header && r.status != 429) {
      for (const auto& s : api::parse_ratelimit(*header)) {
        if (s.policy != "default" || !s.remaining) continue;
        // The server's count is older than ours (it excludes calls sent since), so ours is normally higher.
        // When it is not, someone else is using the token: count their calls too.
        const auto server_used = server_quota_ - static_cast<std::int64_t>(*s.remaining);
        const auto ours = window_.used(now);
        if (server_used > ours) window_.add_external(server_used - ours, now + window_.window());
      }
    }
  }

  void on_rate_limited(const Cost& cost, const api::Response& r, Instant now) {
    ++stats_.rate_limited;
    std::optional<Duration> retry_after;
    if (auto ra = r.headers.get("Retry-After")) retry_after = api::parse_retry_after(*ra, now);
    const Duration pause = retry_after.value_or(window_.window());
    auto env = api::parse_envelope(r.body, r.status);
    const bool global_code = env && !env->errors.empty() && env->errors.front().code == 971;
    const bool global = global_code || cost.kind == Cost::Kind::api;
    if (global) {
      ++stats_.lockouts;
      if (now + pause > blocked_until_) {
        stats_.paused += (now + pause) - std::max(now, blocked_until_);
        blocked_until_ = now + pause;
      }
    } else if (auto* b = bucket(cost)) {
      b->on_rate_limited(retry_after.value_or(Duration{0}), now);  // without Retry-After: empty, refilling
    }
  }

  GovernorConfig config_;
  SlidingWindow window_;
  std::vector<PurgeBuckets> plans_;  // Cost::plan indexes it; [0] is config_.plan
  SlidingWindow per_ip_;             // 200 requests per second per client IP (per_ip_quota())
  std::int64_t server_quota_ = config_.global.quota;
  Instant blocked_until_{};
  GovernorStats stats_;
  std::vector<std::pair<std::uint64_t, std::function<void()>>> listeners_;
  std::uint64_t next_listener_ = 0;
};

}  // namespace ckp::engine
