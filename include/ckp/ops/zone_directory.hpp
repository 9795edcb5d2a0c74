#pragma once
/// @file
/// The zones of an account, fetched page by page (every page, not just the first), and the lookup that routes a
/// host name to its zone: the longest zone name that is the host or a parent of it (`a.b.example.com` →
/// `b.example.com` before `example.com`).

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ckp/api/zones.hpp"
#include "ckp/engine/scheduler.hpp"
#include "ckp/ops/all_pages.hpp"

namespace ckp::ops {

/// A zone by id and name.
struct ZoneRef {
  std::string id;    ///< 32 hex characters
  std::string name;  ///< e.g. `example.com` (may be empty when only the id is known)
  /// The zone's plan (api::PlanProfile::named), when known from its zone object; not part of a journaled spec.
  std::string plan;
  /// Member-wise equality.
  bool operator==(const ZoneRef&) const = default;
};

/// Every zone the token sees (of @p account_id only, unless it is empty), page after page, as the API describes them
/// (name, status, plan, account); then @p done, or the first error.
inline void all_zones(engine::Scheduler& scheduler, std::string account_id,
                      std::function<void(Result<std::vector<api::zones::Zone>>)> done,
                      engine::SubmitOptions options = {}) {
  all_pages<api::zones::Zone>(
      scheduler,
      [account_id = std::move(account_id)](int page) {
        api::zones::ListQuery q;
        q.account_id = account_id;
        q.page = page;
        return api::zones::list(q);  // per_page defaults to the API's maximum
      },
      api::zones::parse_list, api::zone_limits::max_per_page, std::move(done), options);
}

/// A list of zones and the host → zone lookup (see the file's comment).
///
/// Example:
/// ```
/// ckp::ops::ZoneDirectory::fetch(scheduler, account, [](ckp::Result<ckp::ops::ZoneDirectory> dir) {
///   if (!dir) return fail(dir.error());       // the API's error: authentication, rate_limited after retries, …
///   auto zone = dir->zone_for_host("www.example.com");   // the zone example.com, if the token sees it
/// });
/// ```
class ZoneDirectory {
 public:
  /// No zones.
  ZoneDirectory() = default;
  /// These zones (e.g. given on the command line).
  explicit ZoneDirectory(std::vector<ZoneRef> zones) : zones_(std::move(zones)) {}

  /// Fetches every zone (optionally of one account), page after page, then calls @p done.
  static void fetch(engine::Scheduler& scheduler, std::string account_id,
                    std::function<void(Result<ZoneDirectory>)> done) {
    all_zones(scheduler, std::move(account_id), [done = std::move(done)](Result<std::vector<api::zones::Zone>> all) {
      if (!all) return done(all.error());
      std::vector<ZoneRef> zones;
      for (const auto& z : *all) {
        const auto plan = api::zones::purge_plan(z);
        zones.push_back({z.id, z.name, plan ? plan->name : ""});
      }
      done(ZoneDirectory(std::move(zones)));
    });
  }

  /// The zone that serves @p host, if any.
  std::optional<ZoneRef> zone_for_host(std::string_view host) const {
    const ZoneRef* best = nullptr;
    for (const auto& z : zones_) {
      const bool match = host == z.name || (host.size() > z.name.size() && host.ends_with(z.name) &&
                                            host[host.size() - z.name.size() - 1] == '.');
      if (match && (!best || z.name.size() > best->name.size())) best = &z;
    }
    return best ? std::optional<ZoneRef>(*best) : std::nullopt;
  }

  /// The zone called @p name, or with id @p name.
  std::optional<ZoneRef> find(std::string_view name_or_id) const {
    for (const auto& z : zones_)
      if (z.name == name_or_id || z.id == name_or_id) return z;
    return std::nullopt;
  }

  /// Every zone, in the API's order.
  const std::vector<ZoneRef>& zones() const { return zones_; }

 private:
  std::vector<ZoneRef> zones_;
};

}  // namespace ckp::ops
