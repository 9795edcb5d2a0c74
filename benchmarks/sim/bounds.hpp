#pragma once
/// @file
/// The lower bound each cell of the tuning model is compared with: what an ideal client would take, and which
/// limit binds it.
///
/// The ideal client has unlimited concurrency, exact knowledge of every limit, and expected latencies (base +
/// jitter/2 + per item × items); it sends each call as early as its inputs and the limits allow, listing calls
/// first, and is done when its last response arrives. The structure is the workload's: a prefix delete or an export
/// walks the listing cursor page after page (⌈N/1000⌉ lists) and can act on a page only once it is listed (bulk
/// deletes of 10,000 as batches fill, ⌈1000/100⌉ bulk gets per page); a keys-file delete or a purge can send
/// everything at once. The limits: the global window (Q calls per W seconds, counted at arrival, greedy admission:
/// with a fixed Q the R-th call waits ⌊(R−1)/Q⌋·W), the purge buckets (URLs: urls_per_second per second, one
/// second's worth to start; flex: rate and burst), and quota changes. Run with latency alone, latency + window,
/// latency + buckets and everything, it says which limit binds. With a server capacity C, the run also lasts at
/// least Σ nominal latencies / C.
///
/// What the bound leaves out: retries (5xx cost extra calls that the bound does not count, so the ratio includes
/// their cost) and luck (latencies are expected values; jitter is uniform, so a run can beat a latency-bound chain
/// by the luck of its draws — about 1–3% for chains of 50–200 calls). With the minimum latency instead, every
/// latency-bound ratio would carry the jitter (≈ ×1.25 at jitter = base/2) and say little.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "ckp/api/time.hpp"
#include "profiles.hpp"
#include "workloads.hpp"

namespace ckp::bench {

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
  const emu::LatencyModel& m = p.server.latency;
  return latency_factor_at(p, nominal, t) *
         (to_seconds(m.base) + to_seconds(m.jitter) / 2 + to_seconds(m.per_item) * static_cast<double>(items));
}

/// The global quota in force at @p t for a cell of @p requests calls.
inline std::int64_t quota_at(const Profile& p, double nominal, std::uint64_t requests, double t) {
  std::int64_t q = p.server.rate_limit.quota;
  for (const auto& c : p.changes)
    if (c.quota_of_requests && t >= c.at * nominal) q = c.quota_for(requests);
  return q;
}

namespace detail {

/// The ideal client: unlimited concurrency, exact knowledge of every limit, expected latencies. It sends each call
/// as early as its inputs and the limits allow, a listing call before anything else; the result is when its last
/// response arrives. Limits it can be told to ignore, to see which ones bind.
class IdealClient {
 public:
  IdealClient(Workload w, std::uint64_t n, const Profile& p, double nominal, bool window, bool buckets)
      : w_(w), n_(n), p_(p), nominal_(nominal), use_window_(window && p.server.rate_limit.quota > 0),
        use_buckets_(buckets), plan_(call_plan(w, n, p.server.plan)) {
    for (const auto& c : p.changes)
      if (c.quota_of_requests) quota_changes_.push_back(c.at * nominal);
    const double ups = p.server.plan.urls_per_second;
    if (w == Workload::purge_urls) bucket_ = {ups, ups, ups, 0};
    if (w == Workload::purge_tags)
      bucket_ = {p.server.plan.flex_requests_per_second, static_cast<double>(p.server.plan.flex_bucket),
                 static_cast<double>(p.server.plan.flex_bucket), 0};
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
    const double window = static_cast<double>(p_.server.rate_limit.window_seconds);
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
  if (q.server.latency.capacity > 0) {
    const CallPlan plan = call_plan(w, n, q.server.plan);
    const double work = static_cast<double>(plan.lists) * expected_latency(q, 0, 0, 0) +
                        static_cast<double>(plan.calls) * expected_latency(q, 0, 0, plan.items_per_call);
    b.capacity = work / q.server.latency.capacity;
  }
  return b;
}

/// The duration that `Change::at` fractions refer to: the bound of the same cell without its changes.
inline double nominal_duration(Workload w, std::uint64_t n, const Profile& p) {
  return compute_bound(w, n, p).seconds();
}

}  // namespace ckp::bench
