#pragma once
/// @file
/// Every page of a page-numbered listing — zones, namespaces — fetched one after the other: the one loop the
/// CLI, the console and ZoneDirectory use (not the key listing, which is a cursor chain: ops/key_lister.hpp).

#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "ckp/api/envelope.hpp"
#include "ckp/engine/scheduler.hpp"

namespace ckp::ops {

/// Fetches pages 1, 2, … of a listing through @p scheduler until one says it is the last (api::Page::last()), then
/// calls @p done with every item in the API's order — or with the first error. @p make_request builds the request
/// for a page number (asking for @p per_page items), @p parse reads one page.
///
/// Example:
/// ```
/// ckp::ops::all_pages<ckp::api::kv::Namespace>(
///     scheduler, [&](int page) { return ckp::api::kv::list_namespaces(account, page, 100); },
///     ckp::api::kv::parse_namespaces, 100,
///     [](ckp::Result<std::vector<ckp::api::kv::Namespace>> all) { /* … */ });
/// ```
template <class Item, class MakeRequest, class Parse>
void all_pages(engine::Scheduler& scheduler, MakeRequest make_request, Parse parse, int per_page,
               std::function<void(Result<std::vector<Item>>)> done, engine::SubmitOptions options = {}) {
  struct Fetch {
    engine::Scheduler& scheduler;
    MakeRequest make_request;
    Parse parse;
    int per_page;
    std::function<void(Result<std::vector<Item>>)> done;
    engine::SubmitOptions options;
    std::vector<Item> items;
    int page = 1;

    static void next(std::shared_ptr<Fetch> self) {
      auto& f = *self;
      f.scheduler.submit(
          f.make_request(f.page), engine::Cost::api_call(), f.parse,
          [self](Result<api::Page<Item>> answer) {
            if (!answer) return self->done(answer.error());
            for (auto& item : answer->items) self->items.push_back(std::move(item));
            if (answer->items.empty() || answer->last(self->per_page)) return self->done(std::move(self->items));
            ++self->page;
            next(self);
          },
          f.options);
    }
  };
  Fetch::next(std::make_shared<Fetch>(
      Fetch{scheduler, std::move(make_request), std::move(parse), per_page, std::move(done), options, {}, 1}));
}

}  // namespace ckp::ops
