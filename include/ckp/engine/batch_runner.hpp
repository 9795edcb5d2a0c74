#pragma once
/// @file
/// Batching with graduated fallback: items go in one by one, leave in batches (by count and bytes), and every item
/// ends in exactly one of two places — confirmed by the API, or in the failure report with its reason.
///
/// - A batch the API accepts confirms its items, except those it names in `unsuccessful_keys`: those are put back
///   together into the next batch (one retry batch per answer, never one per item), and after `max_rejections`
///   rounds reported as failed. Keys that will never succeed thus cost one request per round, not per key.
/// - A batch the API rejects as a whole for a reason that could lie in its content (400, 413, …) is cut in half and
///   each half is sent again (bisection), down to single items; a single item that is still rejected is reported
///   with the API's error and never sent again. When the API says how many items a request may carry, the owner
///   calls limit_batch_size(): everything pending is re-cut to that size at once, and a refused batch above it is
///   re-cut rather than halved.
/// - An error that no smaller batch can fix (authentication, a missing namespace, the API unreachable after every
///   retry, cancellation) is fatal: the operation stops, and the batch's items stay *unsettled* — never counted as
///   done, never reported as failed — so that resuming does them.
///
/// Backpressure: `can_accept()` says whether the producer may push more (batches and bytes pending are bounded), so
/// memory does not grow with the input.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "ckp/api/error.hpp"
#include "ckp/engine/error_policy.hpp"

namespace ckp::engine {

/// What the API said about one batch call.
struct BatchOutcome {
  std::optional<Error> error;             ///< the call failed as a whole (after the scheduler's retries)
  std::vector<std::string> unsuccessful;  ///< ids the API reported as not applied (the call itself succeeded)
};

/// Batches items of type @p Payload, sends them through Hooks::send and settles every item (see the file's
/// comment). Single-threaded, like the Scheduler whose calls it makes; errors reach it only as BatchOutcome.
///
/// Example, the heart of a bulk delete (ops/kv_delete.hpp):
/// ```
/// ckp::engine::BatchRunner<std::string>::Hooks h;
/// h.id = [](const std::string& key) { return key; };
/// h.send = [&](const std::vector<std::string>& keys, std::function<void(ckp::engine::BatchOutcome)> done) {
///   ckp::ops::submit_bulk(scheduler, ckp::api::kv::bulk_delete(account, ns, keys), keys.size(), std::move(done));
/// };
/// h.confirmed = [&](const std::string&, std::uint64_t) { ++deleted; };
/// h.failed = [&](const std::string& key, std::uint64_t, const ckp::Error& e) { report(key, e); };
/// h.fatal = [&](const ckp::Error& e) { stop(e); };
/// ckp::engine::BatchRunner<std::string> runner({.max_items = 10'000}, h);
/// runner.push("user/1", 0);
/// runner.finish_input();
/// ```
template <class Payload>
class BatchRunner {
 public:
  /// Batch sizes and the backpressure bounds.
  struct Config {
    std::size_t max_items = 10'000;                                   ///< items per batch
    std::size_t max_bytes = std::numeric_limits<std::size_t>::max();  ///< Hooks::bytes per batch
    std::size_t max_pending_batches = 16;                             ///< queued, in flight, or filling
    std::size_t max_pending_bytes = 64u << 20;                        ///< bytes of items not yet settled
    int max_rejections = 8;  ///< rounds in unsuccessful_keys before an item is reported
  };

  /// What the runner calls. `send` and `id` are required; the rest may be empty.
  struct Hooks {
    /// The item's name: what `unsuccessful_keys` and failure reports call it.
    std::function<std::string(const Payload&)> id;
    /// The item's size toward Config::max_bytes (null: zero).
    std::function<std::size_t(const Payload&)> bytes;
    /// Sends one batch; must call `done` exactly once.
    std::function<void(const std::vector<Payload>&, std::function<void(BatchOutcome)> done)> send;
    /// An item the API applied (from input segment `segment`).
    std::function<void(const Payload&, std::uint64_t segment)> confirmed;
    /// An item that failed for good, with the reason (the item alone was rejected, or `unsuccessful_keys` named it
    /// max_rejections times).
    std::function<void(const Payload&, std::uint64_t segment, const Error&)> failed;
    /// A fatal error (is_fatal()): the runner has stopped sending; unsent items stay unsettled.
    std::function<void(const Error&)> fatal;
    /// Called after each outcome is fully processed (the runner may just have become idle).
    std::function<void()> after_outcome;
  };

  /// A runner with @p config's bounds that calls @p hooks.
  BatchRunner(Config config, Hooks hooks) : config_(config), hooks_(std::move(hooks)) {}
  BatchRunner(const BatchRunner&) = delete;
  BatchRunner& operator=(const BatchRunner&) = delete;

  /// Adds an item from input segment @p segment.
  void push(Payload payload, std::uint64_t segment) {
    Item item{std::move(payload), segment, 0, 0};
    item.bytes = hooks_.bytes ? hooks_.bytes(item.payload) : 0;
    pending_bytes_ += item.bytes;
    add_to_open(std::move(item));
    if (input_done_) seal_open();
    dispatch();
  }

  /// The input is exhausted: send what is left, including partial batches, as soon as possible.
  void finish_input() {
    input_done_ = true;
    seal_open();
    dispatch();
  }

  /// Sends the batch being filled now, however small (a producer that must wait for an answer before it pushes
  /// more would otherwise wait for a batch that never fills).
  void flush() {
    seal_open();
    dispatch();
  }

  /// Lowers the items per batch to @p max_items (at least 1; never raises it) and re-cuts every batch not yet sent
  /// to that size. A batch refused while it was larger is re-cut too when its answer comes (process()).
  void limit_batch_size(std::size_t max_items) {
    max_items = std::max<std::size_t>(1, max_items);
    if (max_items >= config_.max_items) return;
    config_.max_items = max_items;
    std::deque<Batch> recut;
    for (auto& batch : ready_) cut_into(recut, std::move(batch));
    ready_ = std::move(recut);
    if (open_.size() > max_items) {
      Batch open = std::move(open_);
      open_.clear();
      open_bytes_ = 0;
      for (auto& item : open) add_to_open(std::move(item));
    }
  }
  /// Items per batch now (Config::max_items, or less after limit_batch_size()).
  std::size_t batch_size() const { return config_.max_items; }

  /// Whether the producer may push more without exceeding the pending bounds.
  bool can_accept() const {
    const std::size_t batches = ready_.size() + in_flight_ + (open_.empty() ? 0 : 1);
    return !aborted_ && batches < config_.max_pending_batches && pending_bytes_ < config_.max_pending_bytes;
  }

  /// Nothing filling, queued or in flight (and no outcome half-processed: the hooks it calls may ask).
  bool idle() const { return open_.empty() && ready_.empty() && in_flight_ == 0 && !in_outcome_; }
  /// A fatal error occurred; no new batches are sent.
  bool aborted() const { return aborted_; }
  /// Batches sent and not yet answered.
  std::size_t in_flight() const { return in_flight_; }
  /// Hooks::bytes of the items not yet settled.
  std::size_t pending_bytes() const { return pending_bytes_; }
  /// Batch calls made so far, bisected halves and re-sent items included.
  std::uint64_t batches_sent() const { return batches_sent_; }

 private:
  struct Item {
    Payload payload;
    std::uint64_t segment;
    int rejections;
    std::size_t bytes;
  };
  using Batch = std::vector<Item>;

  void add_to_open(Item item) {
    if (!open_.empty() && (open_.size() >= config_.max_items || open_bytes_ + item.bytes > config_.max_bytes))
      seal_open();
    open_bytes_ += item.bytes;
    open_.push_back(std::move(item));
    if (open_.size() >= config_.max_items || open_bytes_ >= config_.max_bytes) seal_open();
  }

  void seal_open() {
    if (open_.empty()) return;
    ready_.push_back(std::move(open_));
    open_.clear();
    open_bytes_ = 0;
  }

  void dispatch() {
    while (!ready_.empty() && !aborted_) {
      Batch batch = std::move(ready_.front());
      ready_.pop_front();
      send(std::move(batch));
    }
  }

  void send(Batch batch) {
    ++in_flight_;
    ++batches_sent_;
    std::vector<Payload> payloads;
    payloads.reserve(batch.size());
    for (const auto& item : batch) payloads.push_back(item.payload);
    auto shared = std::make_shared<Batch>(std::move(batch));
    hooks_.send(payloads, [this, shared](BatchOutcome outcome) { on_outcome(std::move(*shared), std::move(outcome)); });
  }

  void on_outcome(Batch batch, BatchOutcome outcome) {
    --in_flight_;
    // Hooks called while the outcome is processed may check idle() (to finish the operation) before re-queued items
    // are back in a batch; the runner counts as busy until it is done, then says so.
    in_outcome_ = true;
    process(std::move(batch), std::move(outcome));
    in_outcome_ = false;
    if (hooks_.after_outcome) hooks_.after_outcome();
  }

  void process(Batch batch, BatchOutcome outcome) {
    if (outcome.error) {
      const Error& e = *outcome.error;
      if (is_fatal(e)) {
        // The items stay unsettled: not done, not failed. Resume does them.
        for (const auto& item : batch) pending_bytes_ -= item.bytes;
        if (!aborted_) {
          aborted_ = true;
          hooks_.fatal(e);
        }
        return;
      }
      if (batch.size() > config_.max_items) {
        // Sent before the batch size was lowered: re-cut to the new size, ahead of new batches.
        std::deque<Batch> recut;
        cut_into(recut, std::move(batch));
        for (auto it = recut.rbegin(); it != recut.rend(); ++it) ready_.push_front(std::move(*it));
      } else if (batch.size() > 1) {
        // Bisect: the halves go first, ahead of new batches.
        auto middle = batch.begin() + static_cast<std::ptrdiff_t>(batch.size() / 2);
        Batch second(std::make_move_iterator(middle), std::make_move_iterator(batch.end()));
        batch.erase(middle, batch.end());
        ready_.push_front(std::move(second));
        ready_.push_front(std::move(batch));
      } else {
        settle_failed(batch.front(), e);
      }
    } else {
      std::unordered_set<std::string> rejected(outcome.unsuccessful.begin(), outcome.unsuccessful.end());
      for (auto& item : batch) {
        if (rejected.empty() || !rejected.count(hooks_.id(item.payload))) {
          pending_bytes_ -= item.bytes;
          hooks_.confirmed(item.payload, item.segment);
        } else if (++item.rejections >= config_.max_rejections) {
          settle_failed(item, Error::make(ErrorKind::bad_request,
                                          fmt::format("the API reported it unsuccessful {} times", item.rejections)));
        } else {
          // Rides along with the next batch, together with the round's other rejected items (at the end of the
          // input they are sealed below, once all are in: one retry batch, not one per item).
          add_to_open(std::move(item));
        }
      }
    }
    if (input_done_) seal_open();
    dispatch();
  }

  /// Appends @p batch to @p out in pieces of at most max_items.
  void cut_into(std::deque<Batch>& out, Batch batch) const {
    if (batch.size() <= config_.max_items) {
      out.push_back(std::move(batch));
      return;
    }
    for (std::size_t i = 0; i < batch.size(); i += config_.max_items) {
      const auto first = batch.begin() + static_cast<std::ptrdiff_t>(i);
      const auto last = batch.begin() + static_cast<std::ptrdiff_t>(std::min(batch.size(), i + config_.max_items));
      out.emplace_back(std::make_move_iterator(first), std::make_move_iterator(last));
    }
  }

  void settle_failed(const Item& item, const Error& e) {
    pending_bytes_ -= item.bytes;
    hooks_.failed(item.payload, item.segment, e);
  }

  Config config_;
  Hooks hooks_;
  Batch open_;
  std::size_t open_bytes_ = 0;
  std::deque<Batch> ready_;
  std::size_t in_flight_ = 0;
  std::size_t pending_bytes_ = 0;
  std::uint64_t batches_sent_ = 0;
  bool input_done_ = false;
  bool aborted_ = false;
  bool in_outcome_ = false;
};

}  // namespace ckp::engine
