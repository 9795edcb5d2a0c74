#pragma once
/// @file
/// The Scheduler admits calls to the API and sees each one through to a final result.
///
/// A queued call is sent when (1) fewer calls are in flight than the concurrency Limit allows, (2) the RateGovernor
/// says it fits, and (3) it is not waiting out a retry backoff. Each response feeds the Limit (RTT, drops) and the
/// governor (headers, 429s). A response the caller's parser rejects with a retryable error (429, 5xx, transport
/// failure, cut-off body) is sent again after an exponential backoff with full jitter, within the RetryPolicy's
/// bounds; anything else — success or a permanent error — goes to the caller's completion exactly once.
///
/// Listing calls (RequestClass::list) go first and have a reserved slot: a cursor listing is a chain of sequential
/// calls, the critical path of every streaming operation, and must not wait behind slow bulk calls.
///
/// One token has one quota: every scheduler of a process (or browser session) that uses the same token shares one
/// RateGovernor (pass it to the constructor), so that two jobs and some browsing never believe they each own the
/// token's 1,200 requests per 5 minutes. Each scheduler keeps its own queue, concurrency limit and cancellation.
///
/// Single-threaded: all methods and callbacks run on the transport's loop. The Scheduler must outlive its calls
/// (run the transport until idle() before destroying it).

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "ckp/api/envelope.hpp"
#include "ckp/api/error.hpp"
#include "ckp/api/http.hpp"
#include "ckp/engine/error_policy.hpp"
#include "ckp/engine/limits/make_limit.hpp"
#include "ckp/engine/random.hpp"
#include "ckp/engine/rate_governor.hpp"
#include "ckp/engine/retry.hpp"
#include "ckp/transport/transport.hpp"

namespace ckp::engine {

/// Everything that tunes the scheduler.
struct SchedulerConfig {
  LimitConfig limit;            ///< the concurrency algorithm and its bounds
  GovernorConfig governor;      ///< the rate limits to start from (plan, global window)
  RetryPolicy retry;            ///< backoff and bounds of retries
  std::uint64_t seed = 1;       ///< for retry jitter
  int reserved_list_slots = 1;  ///< extra slots only listing calls may use
  /// Called after every exchange (for `--verbose` logs). Requests carry no credentials.
  std::function<void(const api::Request&, const api::Response&, Duration)> on_exchange;
};

/// Options of one call.
struct SubmitOptions {
  /// Give up rather than wait longer than this for the rate limits — a quota used up for minutes, or a 429 whose
  /// Retry-After is longer: the call ends with ErrorKind::rate_limited, the wait in Error::retry_after. For calls a
  /// person is waiting on. Unset: wait as long as the limits require.
  std::optional<Duration> max_wait;
  /// Asked just before each send: an Error ends the call with it, unsent (no request, no quota spent). For a call
  /// whose request went stale while it waited — a batch larger than the API has since said it takes.
  std::function<std::optional<Error>()> before_send;
};

/// Counters, for progress and benchmarks.
struct SchedulerStats {
  std::uint64_t submitted = 0;         ///< calls submitted
  std::uint64_t sent = 0;              ///< requests put on the wire, retries included
  std::uint64_t retries = 0;           ///< calls sent again after a retryable error
  std::uint64_t rate_limited = 0;      ///< 429 responses
  std::uint64_t server_errors = 0;     ///< 5xx responses
  std::uint64_t transport_errors = 0;  ///< no response at all
  std::uint64_t failed = 0;            ///< calls whose final result was an error
  int peak_inflight = 0;               ///< the most calls ever in flight at once
};

/// Admits, paces, retries and completes API calls over a transport (see the file's comment). Every operation runs
/// on one; a program may also submit its own calls to it.
///
/// Example:
/// ```
/// ckp::transport::HttplibTransport http({.base_url = base_url, .credentials = {.token = token}});
/// ckp::engine::SchedulerConfig config;
/// config.limit = ckp::engine::LimitConfig::fixed(8);             // or keep the adaptive default
/// config.governor.plan = ckp::api::PlanProfile::pro();
/// ckp::engine::Scheduler scheduler(http, config);
/// ```
class Scheduler {
 public:
  /// A scheduler sending through @p transport (which must outlive it), paced by @p governor — the token's one
  /// governor, shared with the other schedulers using the token — or, when null, by a governor of its own made
  /// from `config.governor`. Throws std::invalid_argument when `config.limit` names an unknown algorithm or invalid
  /// bounds (make_limit()).
  Scheduler(transport::TransportRef transport, SchedulerConfig config = {},
            std::shared_ptr<RateGovernor> governor = nullptr)
      : transport_(transport), config_(std::move(config)), limit_(make_limit(config_.limit)),
        governor_(governor ? std::move(governor) : std::make_shared<RateGovernor>(config_.governor)),
        rng_(config_.seed) {
    // A call held back until a call in flight completes may be waiting on another scheduler's call.
    wake_id_ = governor_->subscribe([this] { pump(); });
  }
  ~Scheduler() { governor_->unsubscribe(wake_id_); }
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  /// Queues a call. @p parse turns a Response into a Result<T>; @p done receives the final Result<T> exactly once:
  /// the first parsed success, the first permanent error, or the last retryable error when retries run out (or the
  /// cancellation error if the scheduler is cancelled first).
  ///
  /// Example:
  /// ```
  /// scheduler.submit(api::kv::list_keys(acct, ns, {.prefix = "a/"}), Cost::api_call(), api::kv::parse_keys,
  ///                  [](Result<api::kv::KeyPage> page) { /* ... */ });
  /// ```
  template <class Parse, class Done>
  void submit(api::Request request, Cost cost, Parse parse, Done done, SubmitOptions options = {}) {
    using R = std::invoke_result_t<Parse&, const api::Response&>;
    auto shared_done = std::make_shared<Done>(std::move(done));
    Call call;
    call.request = std::move(request);
    call.cost = cost;
    call.max_wait = options.max_wait;
    call.before_send = std::move(options.before_send);
    call.accept = [this, parse = std::move(parse),
                   shared_done](const api::Response& r) mutable -> std::optional<Error> {
      R result = parse(r);
      if (!result.ok() && result.error().retryable()) return result.error();
      stats_.failed += !result.ok();
      (*shared_done)(std::move(result));
      return std::nullopt;
    };
    call.fail = [shared_done](Error e) { (*shared_done)(R(std::move(e))); };
    ++stats_.submitted;
    if (cancelled_) {
      ++stats_.failed;
      call.fail(*cancel_reason_);
      return;
    }
    enqueue(std::move(call), false);
    pump();
  }

  /// Stops admitting: queued calls and calls waiting to retry end with @p reason at once (a call waiting out a
  /// five-minute lockout must not hold a cancel back for five minutes); calls in flight finish normally.
  void cancel(Error reason = Error::make(ErrorKind::cancelled, "cancelled")) {
    if (cancelled_) return;
    cancelled_ = true;
    cancel_reason_ = reason;
    std::vector<Call> ended;
    for (auto* q : {&critical_, &normal_}) {
      while (!q->empty()) {
        ended.push_back(std::move(q->front()));
        q->pop_front();
      }
    }
    for (auto& [id, call] : retrying_) ended.push_back(std::move(call));
    retrying_.clear();  // their timers find nothing when they fire
    // Not idle until the last of them has been told (the operation finishes when idle: after every callback).
    failing_ = ended.size();
    for (auto& c : ended) {
      --failing_;
      ++stats_.failed;
      c.fail(reason);
    }
  }

  /// Whether cancel() was called.
  bool cancelled() const { return cancelled_; }
  /// Nothing queued, in flight, or waiting to retry.
  bool idle() const {
    return inflight_ == 0 && retrying_.empty() && failing_ == 0 && critical_.empty() && normal_.empty();
  }
  /// Calls in flight now.
  int inflight() const { return inflight_; }
  /// How long the rate limits (a lockout, the request window, the per-IP rate, a purge bucket) hold back the calls
  /// waiting to be sent, when they hold back every one: the shortest wait of the queues' first calls. Unset when
  /// nothing is queued, when a call may go now, or when calls wait only for a slot or a call in flight — so a front
  /// can say "waiting for the rate-limit window (N s)" exactly when that is what it is doing.
  std::optional<Duration> rate_wait() {
    const Instant now = transport_.now();
    std::optional<Duration> shortest;
    for (auto* q : {&critical_, &normal_}) {
      if (q->empty()) continue;
      const Duration w = governor_->wait(q->front().cost, now);
      if (w <= Duration{0} || w == SlidingWindow::until_completion) return std::nullopt;
      if (!shortest || w < *shortest) shortest = w;
    }
    return shortest;
  }
  /// The Limit's current value: how many calls may be in flight (listing calls get reserved slots on top).
  int concurrency_limit() const { return limit_->current(); }
  /// The Limit's name (`fixed`, `aimd`, `gradient2`, `vegas`).
  std::string_view limit_algorithm() const { return limit_->name(); }
  /// Counters so far.
  const SchedulerStats& stats() const { return stats_; }
  /// The rate governor (for its stats, or to inspect what it learned); shared when the constructor was given one.
  RateGovernor& governor() { return *governor_; }
  /// @copydoc governor()
  const RateGovernor& governor() const { return *governor_; }
  /// The governor, to share with another scheduler using the same token.
  std::shared_ptr<RateGovernor> shared_governor() const { return governor_; }
  /// The transport calls go through.
  transport::TransportRef transport() const { return transport_; }
  /// The transport's current time.
  Instant now() const { return transport_.now(); }

 private:
  struct Call {
    api::Request request;
    Cost cost;
    std::function<std::optional<Error>(const api::Response&)> accept;
    std::function<void(Error)> fail;
    int attempts = 0;
    Instant first_sent{};
    std::optional<Duration> max_wait;
    std::function<std::optional<Error>()> before_send;
  };

  /// The error a call with a max_wait ends with when the limits would hold it back @p wait.
  static Error too_long_a_wait(Duration wait) {
    Error e = Error::make(ErrorKind::rate_limited,
                          "this token has used up its Cloudflare API request quota for the moment (the quota is shared "
                          "by every tool using the token)");
    e.retry_after = wait;
    return e;
  }

  void enqueue(Call call, bool front) {
    auto& q = call.request.request_class == api::RequestClass::list ? critical_ : normal_;
    if (front) q.push_front(std::move(call));
    else q.push_back(std::move(call));
  }

  bool has_slot(const Call& c) const {
    const int extra = c.request.request_class == api::RequestClass::list ? config_.reserved_list_slots : 0;
    return inflight_ < limit_->current() + extra;
  }

  /// Sends every queued call that may go now; arms a timer for the earliest one that must wait. Calls go in queue
  /// order, except that a call held back only by its purge bucket lets calls of other buckets behind it go (a
  /// Free zone's empty bucket must not stall an Enterprise zone's purges); calls of one bucket keep their order.
  void pump() {
    if (pumping_) return;
    pumping_ = true;
    for (auto* q : {&critical_, &normal_}) {
      std::vector<Cost> held;  // purge buckets with a call waiting ahead in this queue
      std::size_t i = 0;
      while (i < q->size() && !cancelled_) {
        Call& next = (*q)[i];
        if (!has_slot(next)) break;
        const auto at = q->begin() + static_cast<std::ptrdiff_t>(i);
        if (std::any_of(held.begin(), held.end(), [&](const Cost& c) { return c.same_bucket(next.cost); })) {
          ++i;
          continue;
        }
        const Instant now = transport_.now();
        const Duration wait = governor_->wait(next.cost, now);
        if (wait > Duration{0} && wait != SlidingWindow::until_completion && next.max_wait && wait > *next.max_wait) {
          Call impatient = std::move(next);
          q->erase(at);
          ++stats_.failed;
          impatient.fail(too_long_a_wait(wait));
          continue;
        }
        if (wait > Duration{0}) {
          if (wait != SlidingWindow::until_completion) arm_timer(now + wait);
          if (next.cost.kind == Cost::Kind::api || governor_->wait_shared(now) > Duration{0}) break;
          held.push_back(next.cost);
          ++i;
          continue;
        }
        Call call = std::move(next);
        q->erase(at);
        if (call.before_send)
          if (std::optional<Error> stale = call.before_send()) {
            ++stats_.failed;
            call.fail(std::move(*stale));  // may submit calls: they join the back of a queue
            continue;
          }
        dispatch(std::move(call), now);
      }
    }
    pumping_ = false;
  }

  void arm_timer(Instant at) {
    if (timer_armed_ && timer_at_ <= at) return;
    timer_armed_ = true;
    timer_at_ = at;
    transport_.after(at - transport_.now(), [this, at, alive = std::weak_ptr<int>(alive_)] {
      if (!alive.lock()) return;  // timers are never cancelled; this one outlived its scheduler
      if (timer_at_ == at) timer_armed_ = false;
      pump();
    });
  }

  void dispatch(Call call, Instant now) {
    ++call.attempts;
    if (call.attempts == 1) call.first_sent = now;
    ++inflight_;
    ++stats_.sent;
    stats_.peak_inflight = std::max(stats_.peak_inflight, inflight_);
    governor_->on_send(call.cost, now);
    const int inflight_at_send = inflight_;
    auto shared = std::make_shared<Call>(std::move(call));
    transport_.send(shared->request,
                    [this, shared, now, inflight_at_send, alive = std::weak_ptr<int>(alive_)](api::Response r) {
                      if (!alive.lock()) return;
                      on_response(std::move(*shared), std::move(r), now, inflight_at_send);
                    });
  }

  void on_response(Call call, api::Response r, Instant sent_at, int inflight_at_send) {
    const Instant now = transport_.now();
    --inflight_;
    const bool transport_failed = r.transport_failed();
    const bool rate_limited = !transport_failed && r.status == 429;
    const bool server_error = !transport_failed && r.status >= 500;
    stats_.transport_errors += transport_failed;
    stats_.rate_limited += rate_limited;
    stats_.server_errors += server_error;
    governor_->on_response(call.cost, r, now);
    limit_->on_sample({sent_at, now - sent_at, inflight_at_send, is_pushback(r)});
    if (config_.on_exchange) config_.on_exchange(call.request, r, now - sent_at);

    if (std::optional<Error> retryable = call.accept(r)) {
      // A call that may not wait long gives up on a 429 whose Retry-After is longer (the error carries the wait).
      const bool too_long = call.max_wait && retryable->kind == ErrorKind::rate_limited && retryable->retry_after &&
                            *retryable->retry_after > *call.max_wait;
      if (!cancelled_ && !too_long && config_.retry.allows(call.attempts, now - call.first_sent, *retryable)) {
        ++stats_.retries;
        const Duration delay = config_.retry.delay(call.attempts, *retryable, rng_);
        const std::uint64_t id = ++next_retry_id_;
        retrying_.emplace(id, std::move(call));
        transport_.after(delay, [this, id, alive = std::weak_ptr<int>(alive_)] {
          if (!alive.lock()) return;
          auto it = retrying_.find(id);
          if (it == retrying_.end()) return;  // cancel() has ended it already
          Call again = std::move(it->second);
          retrying_.erase(it);
          enqueue(std::move(again), true);
          pump();
        });
      } else {
        ++stats_.failed;
        call.fail(std::move(*retryable));
      }
    }
    pump();
    governor_->wake_others(wake_id_);
  }

  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // callbacks check it: they may outlive the scheduler
  transport::TransportRef transport_;
  SchedulerConfig config_;
  std::unique_ptr<Limit> limit_;
  std::shared_ptr<RateGovernor> governor_;
  std::uint64_t wake_id_ = 0;
  Rng rng_;
  std::deque<Call> critical_;
  std::deque<Call> normal_;
  int inflight_ = 0;
  std::map<std::uint64_t, Call> retrying_;  // calls waiting to be retried, by id (their timer's)
  std::uint64_t next_retry_id_ = 0;
  std::size_t failing_ = 0;  // cancelled calls not yet told (cancel() tells them one by one)
  bool pumping_ = false;
  bool timer_armed_ = false;
  Instant timer_at_{};
  bool cancelled_ = false;
  std::optional<Error> cancel_reason_;
  SchedulerStats stats_;
};

}  // namespace ckp::engine
