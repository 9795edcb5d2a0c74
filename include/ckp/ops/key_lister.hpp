#pragma once
/// @file
/// Pages through a namespace's keys: the sequential cursor chain at the head of every streaming KV operation.
/// It lists the next page only when its consumer has room (backpressure), so memory stays flat however many keys
/// the namespace holds; and it reports the cursor after each page, the resume point for a journal.

#include <functional>
#include <string>
#include <utility>

#include "ckp/api/kv.hpp"
#include "ckp/engine/scheduler.hpp"

namespace ckp::ops {

/// One cursor chain of key listings, one page in flight at a time (see the file's comment).
class KeyLister {
 public:
  /// What to list.
  struct Config {
    std::string account_id;                          ///< the account that owns the namespace
    std::string namespace_id;                        ///< the namespace's id
    std::string prefix;                              ///< only keys under this ("" = all)
    std::string start_cursor;                        ///< resume from here ("" = the beginning)
    int page_size = api::kv_limits::max_list_limit;  ///< keys per page, 10–1000
  };
  /// What the lister calls; all are required.
  struct Hooks {
    std::function<bool()> can_accept;  ///< may another page be delivered?
    /// A page and the cursor after it ("" after the last page).
    std::function<void(std::vector<api::kv::Key>&& keys, const std::string& cursor_after)> page;
    std::function<void()> end;  ///< after the last page
    /// A listing call failed for good (after the scheduler's retries); the lister stops.
    std::function<void(const Error&)> error;
  };

  /// Lists through @p scheduler; nothing happens until poke().
  KeyLister(engine::Scheduler& scheduler, Config config, Hooks hooks)
      : scheduler_(scheduler), config_(std::move(config)), hooks_(std::move(hooks)), cursor_(config_.start_cursor) {}

  /// Lists the next page if none is in flight, the listing is not over, and the consumer has room.
  /// Call it at start and whenever the consumer frees room.
  void poke() {
    if (busy_ || done_ || failed_ || !hooks_.can_accept()) return;
    busy_ = true;
    ++pages_;
    scheduler_.submit(api::kv::list_keys(config_.account_id, config_.namespace_id,
                                         {config_.prefix, cursor_, config_.page_size}),
                      engine::Cost::api_call(), api::kv::parse_keys, [this](Result<api::kv::KeyPage> page) {
                        busy_ = false;
                        if (!page) {
                          failed_ = true;
                          hooks_.error(page.error());
                          return;
                        }
                        cursor_ = page->cursor;
                        done_ = page->last();
                        hooks_.page(std::move(page->keys), cursor_);
                        if (done_) hooks_.end();
                        else poke();
                      });
  }

  /// The last page has been delivered.
  bool done() const { return done_; }
  /// A page is being listed.
  bool busy() const { return busy_; }
  /// Listing calls made so far.
  std::uint64_t pages() const { return pages_; }
  /// The cursor of the next page ("" at the start and after the last page).
  const std::string& cursor() const { return cursor_; }

 private:
  engine::Scheduler& scheduler_;
  Config config_;
  Hooks hooks_;
  std::string cursor_;
  bool busy_ = false;
  bool done_ = false;
  bool failed_ = false;
  std::uint64_t pages_ = 0;
};

}  // namespace ckp::ops
