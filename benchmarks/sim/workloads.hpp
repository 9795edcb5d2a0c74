#pragma once
/// @file
/// What the user asks for in the tuning model: the five workloads (delete by prefix, delete from a keys file,
/// export, purge URLs, purge tags) and the calls each makes when nothing fails.

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "ckp/api/limits.hpp"

namespace ckp::bench {

/// What the user asks for.
enum class Workload { delete_prefix, delete_keys, export_kv, purge_urls, purge_tags };

inline constexpr Workload all_workloads[] = {Workload::delete_prefix, Workload::delete_keys, Workload::export_kv,
                                             Workload::purge_urls, Workload::purge_tags};

/// The workload's name on the command line and in file names: `delete-prefix`, `delete-keys`, `export`,
/// `purge-urls`, `purge-tags`.
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

/// The number of calls a workload of n items makes when nothing fails.
struct CallPlan {
  std::uint64_t lists = 0;         ///< sequential cursor pages
  std::uint64_t calls = 0;         ///< everything else
  std::size_t items_per_call = 0;  ///< items in a full call (latency grows with them)
  std::size_t last_items = 0;      ///< items in the last call
  std::uint64_t total() const { return lists + calls; }
};

inline std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

/// The calls @p w makes for @p n items on @p plan: pages of 1000 keys, bulk calls of 10,000 (delete) or 100 (get),
/// purges of the plan's items per request.
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

}  // namespace ckp::bench
