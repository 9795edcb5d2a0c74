#pragma once
/// @file
/// Lists a namespace's keys under a prefix: the producer at the head of every streaming KV operation (delete,
/// export, dry runs and counts, in the CLI and in the console). When the listing, not the rate limit, bounds the
/// job, the prefix is split into shards listed in parallel — every key still delivered exactly once
/// (ops/shard_planner.hpp says how, and when it is worth it); otherwise, and with `max_in_flight = 1`, it is the
/// plain cursor chain. Pages are delivered only while the consumer has room (backpressure), so memory stays flat
/// however many keys the namespace holds, and each page carries the resume point after it, for a journal.
///
/// Pages arrive in key order within a shard; shards interleave.

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ckp/api/kv.hpp"
#include "ckp/engine/scheduler.hpp"
#include "ckp/ops/shard_planner.hpp"

namespace ckp::ops {

/// The shared key lister (see the file's comment).
class KeyLister {
 public:
  /// What to list, and how.
  struct Config {
    std::string account_id;    ///< the account that owns the namespace
    std::string namespace_id;  ///< the namespace's id
    std::string prefix;        ///< only keys under this ("" = all)
    /// Resume from here: a Page::resume of an earlier run (null = from the beginning).
    nlohmann::json resume = nullptr;
    int page_size = api::kv_limits::max_list_limit;  ///< keys per page, 10–1000
    std::size_t max_in_flight = 16;                  ///< listing calls at once; 1 = the plain cursor chain
    double requests_per_key = 0;  ///< the job's other requests per listed key (weighs a split's price)
  };
  /// Where a page came from.
  struct PageInfo {
    std::string shard;  ///< the prefix of the shard that listed it (its keys are its next ones in key order)
    bool more = false;  ///< that shard has more pages
  };
  /// What the lister calls; all are required.
  struct Hooks {
    std::function<bool()> can_accept;  ///< may another listing call be made?
    /// A page, and the resume point after it (the listing as of this page: every page delivered so far is done).
    std::function<void(std::vector<api::kv::Key>&& keys, const PageInfo& info, nlohmann::json&& resume)> page;
    std::function<void()> end;  ///< after the last page
    /// A listing call failed for good (after the scheduler's retries); the lister stops.
    std::function<void(const Error&)> error;
  };

  /// Lists through @p scheduler; nothing happens until poke().
  KeyLister(engine::Scheduler& scheduler, Config config, Hooks hooks)
      : scheduler_(scheduler), config_(std::move(config)), hooks_(std::move(hooks)), planner_(options()) {
    if (!config_.resume.is_null()) {
      auto resumed = ShardPlanner::resume(options(), config_.resume);
      if (resumed) planner_ = std::move(*resumed);
      else resume_error_ = resumed.error();
    }
  }

  /// Sends the listing calls that are due while the consumer has room; call it at start and whenever the consumer
  /// frees room.
  void poke() {
    if (failed_ || ended_) return;
    if (resume_error_) {
      failed_ = true;
      return hooks_.error(*resume_error_);
    }
    while (!failed_ && hooks_.can_accept()) {
      auto call = planner_.next_call();
      if (!call) break;
      send(std::move(*call));
    }
    maybe_end();
  }

  /// The last page has been delivered.
  bool done() const { return ended_; }
  /// Pages delivered so far.
  std::uint64_t pages() const { return pages_; }
  /// What the listing cost: calls, empty prefixes, splits (see ShardPlanner::Stats).
  const ShardPlanner::Stats& stats() const { return planner_.stats(); }

 private:
  ShardPlanner::Options options() const {
    ShardPlanner::Options o;
    o.prefix = config_.prefix;
    o.max_in_flight = std::max<std::size_t>(1, config_.max_in_flight);
    o.window_requests = static_cast<double>(scheduler_.governor().window().quota());
    o.requests_per_key = config_.requests_per_key;
    o.page_size = static_cast<std::size_t>(config_.page_size);
    return o;
  }

  void send(ShardPlanner::Call call) {
    scheduler_.submit(api::kv::list_keys(config_.account_id, config_.namespace_id,
                                         {call.prefix, call.cursor, config_.page_size}),
                      engine::Cost::api_call(), api::kv::parse_keys,
                      [this, id = call.id](Result<api::kv::KeyPage> page) {
                        if (failed_) return;
                        if (!page) {
                          failed_ = true;
                          return hooks_.error(page.error());
                        }
                        planner_.on_page(id, std::move(*page));
                        while (auto d = planner_.pop_delivery()) {
                          ++pages_;
                          hooks_.page(std::move(d->keys), PageInfo{std::move(d->shard), d->more}, planner_.frontier());
                        }
                        poke();
                      });
  }

  void maybe_end() {
    if (ended_ || failed_ || !planner_.done()) return;
    ended_ = true;
    hooks_.end();
  }

  engine::Scheduler& scheduler_;
  Config config_;
  Hooks hooks_;
  ShardPlanner planner_;
  std::optional<Error> resume_error_;
  bool failed_ = false;
  bool ended_ = false;
  std::uint64_t pages_ = 0;
};

}  // namespace ckp::ops
