#pragma once
/// @file
/// Zones API: list (`GET /zones`, paged 5–50 per page) and get (`GET /zones/{id}`).
///
/// Parsers return read_envelope()'s errors (authentication, not_found, …) or ErrorKind::malformed_response when a
/// zone lacks its id or name.
///
/// Example, the zone named example.com:
/// ```
/// auto request = ckp::api::zones::list({.name = "example.com"});
/// // …send it, then:
/// auto page = ckp::api::zones::parse_list(response);
/// if (page && !page->items.empty()) use(page->items.front().id);
/// ```

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ckp/api/envelope.hpp"
#include "ckp/api/limits.hpp"
#include "ckp/api/text.hpp"

namespace ckp::api::zones {

/// The fields of a zone this tool uses.
struct Zone {
  std::string id;            ///< 32 hex characters
  std::string name;          ///< the domain, e.g. `example.com`
  std::string status;        ///< e.g. `active`, `pending`
  std::string account_id;    ///< the owning account's id
  std::string account_name;  ///< the owning account's name
  std::string plan;          ///< plan name if the response carries one (the field is deprecated upstream)
  std::string plan_id;       ///< the plan's `legacy_id` (`free`, `pro`, `business`, `enterprise`), if carried
};

/// The purge limits of @p zone's plan, read from its `plan` object (`legacy_id`, else the first word of its name,
/// e.g. "Pro Website"); nullopt when the zone does not say, or names a plan this tool does not know.
inline std::optional<PlanProfile> purge_plan(const Zone& zone) {
  if (auto p = PlanProfile::named(zone.plan_id)) return p;
  return PlanProfile::named(ascii_lower(zone.plan.substr(0, zone.plan.find(' '))));
}

/// Filters and paging for `GET /zones`.
struct ListQuery {
  std::string name;                          ///< exact zone name, or empty for all
  std::string account_id;                    ///< `account.id` filter, or empty
  int page = 1;                              ///< 1-based page number
  int per_page = zone_limits::max_per_page;  ///< clamped to 5–50
};

/// `GET /zones?...`.
inline Request list(const ListQuery& q) {
  Request r(Method::get, "/zones", RequestClass::list);
  if (!q.name.empty()) r.query.emplace_back("name", q.name);
  if (!q.account_id.empty()) r.query.emplace_back("account.id", q.account_id);
  r.query.emplace_back("page", std::to_string(q.page < 1 ? 1 : q.page));
  r.query.emplace_back("per_page",
                       std::to_string(std::clamp(q.per_page, zone_limits::min_per_page, zone_limits::max_per_page)));
  return r;
}

/// `GET /zones/{zone_id}`.
inline Request get(std::string_view zone_id) {
  return Request(Method::get, "/zones/" + url_encode_component(zone_id), RequestClass::read);
}

/// Reads one zone object; nullopt when required fields are missing.
inline std::optional<Zone> zone_from_json(const json& z) {
  auto id = detail::string_field(z, "id");
  auto name = detail::string_field(z, "name");
  if (!id || !name) return std::nullopt;
  Zone zone{*id, *name, detail::string_field(z, "status").value_or(""), "", "", "", ""};
  if (auto a = z.find("account"); a != z.end() && a->is_object()) {
    zone.account_id = detail::string_field(*a, "id").value_or("");
    zone.account_name = detail::string_field(*a, "name").value_or("");
  }
  if (auto p = z.find("plan"); p != z.end() && p->is_object()) {
    zone.plan = detail::string_field(*p, "name").value_or("");
    zone.plan_id = detail::string_field(*p, "legacy_id").value_or("");
  }
  return zone;
}

/// Parses the response of list().
inline Result<Page<Zone>> parse_list(const Response& r) {
  auto env = read_envelope(r);
  if (!env) return std::move(env).error();
  if (!env->result.is_array()) return unexpected_result(r, "zones list result is not an array");
  Page<Zone> page;
  page.info = env->result_info;
  for (const auto& z : env->result) {
    auto zone = zone_from_json(z);
    if (!zone) return unexpected_result(r, "a zone lacks id or name");
    page.items.push_back(std::move(*zone));
  }
  return page;
}

/// Parses the response of get().
inline Result<Zone> parse_get(const Response& r) {
  auto env = read_envelope(r);
  if (!env) return std::move(env).error();
  auto zone = zone_from_json(env->result);
  if (!zone) return unexpected_result(r, "zone result lacks id or name");
  return std::move(*zone);
}

}  // namespace ckp::api::zones
