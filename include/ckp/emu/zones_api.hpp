#pragma once
/// @file
/// The Zones endpoints of the emulator: `GET /zones` (filters, paging 5–50 per page) and `GET /zones/{id}`, with
/// zone objects carrying every field the OpenAPI spec requires.

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ckp/api/http.hpp"
#include "ckp/api/limits.hpp"
#include "ckp/emu/config.hpp"
#include "ckp/emu/request.hpp"
#include "ckp/emu/respond.hpp"
#include "ckp/emu/routes.hpp"

namespace ckp::emu {

/// The (deprecated but required) `plan` object of a zone on @p plan.
inline nlohmann::json plan_json(const api::PlanProfile& plan) {
  // The free plan's id is Cloudflare's well-known one; the others are fixed made-up ids.
  std::string id = plan.name == "free"       ? "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
                   : plan.name == "pro"      ? "a577b510288e82b26486fa3e0bcb4b35"
                   : plan.name == "business" ? "bf7ff5a20e0a4a5e9b3ef40d9c6a2b11"
                                             : "94f3b7b768b0458b56d2cac4fe5ec0f9";
  std::string label = plan.name.empty() ? "Enterprise" : plan.name;
  label[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(label[0])));
  return {{"id", id},
          {"name", label + " Website"},
          {"price", 0},
          {"currency", "USD"},
          {"frequency", ""},
          {"is_subscribed", true},
          {"can_subscribe", false},
          {"legacy_id", plan.name},
          {"legacy_discount", false},
          {"externally_managed", false}};
}

/// A zone object as `GET /zones/{id}` returns it.
inline nlohmann::json zone_json(const ZoneSpec& z, const Config& config) {
  static constexpr const char* created = "2024-01-02T03:04:05.000000Z";
  return {{"id", z.id},
          {"name", z.name},
          {"status", "active"},
          {"paused", false},
          {"type", "full"},
          {"development_mode", 0},
          {"name_servers", {"ada.ns.cloudflare.com", "bob.ns.cloudflare.com"}},
          {"original_name_servers", nullptr},
          {"original_registrar", nullptr},
          {"original_dnshost", nullptr},
          {"vanity_name_servers", nlohmann::json::array()},
          {"created_on", created},
          {"modified_on", created},
          {"activated_on", created},
          {"cname_suffix", "cdn.cloudflare.net"},
          {"verification_key", ""},
          {"owner", {{"id", z.account_id}, {"name", config.account_name}, {"type", "organization"}}},
          {"account", {{"id", z.account_id}, {"name", config.account_name}}},
          {"meta",
           {{"step", 2},
            {"custom_certificate_quota", 0},
            {"page_rule_quota", 3},
            {"phishing_detected", false},
            {"cdn_only", false},
            {"dns_only", false},
            {"foundation_dns", false}}},
          {"permissions", {"#cache_purge:edit", "#zone:read"}},
          {"plan", plan_json(plan_of(config, z))}};
}

/// The zone @p zone_id if the token's @p account may see it, else nullptr.
inline const ZoneSpec* visible_zone(const Config& config, std::string_view account, std::string_view zone_id) {
  for (const auto& z : config.zones)
    if (z.id == zone_id && z.account_id == account) return &z;
  return nullptr;
}

namespace zones_detail {

inline std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

/// Matches @p value against a filter with Cloudflare's operator prefixes (`equal:` (default), `not_equal:`,
/// `starts_with:`, `ends_with:`, `contains:`, each optionally `*_case_sensitive:`).
inline bool text_matches(std::string_view value, std::string_view filter) {
  std::string_view op = "equal";
  if (auto colon = filter.find(':'); colon != std::string_view::npos) {
    std::string_view candidate = filter.substr(0, colon);
    std::string_view base = candidate;
    if (base.size() > 15 && base.substr(base.size() - 15) == "_case_sensitive") base.remove_suffix(15);
    if (base == "equal" || base == "not_equal" || base == "starts_with" || base == "ends_with" || base == "contains") {
      op = candidate;
      filter.remove_prefix(colon + 1);
    }
  }
  bool sensitive = op.size() > 15 && op.substr(op.size() - 15) == "_case_sensitive";
  if (sensitive) op.remove_suffix(15);
  std::string v = sensitive ? std::string(value) : lower(value);
  std::string f = sensitive ? std::string(filter) : lower(filter);
  if (op == "not_equal") return v != f;
  if (op == "starts_with") return v.compare(0, f.size(), f) == 0;
  if (op == "ends_with") return v.size() >= f.size() && v.compare(v.size() - f.size(), f.size(), f) == 0;
  if (op == "contains") return v.find(f) != std::string::npos;
  return v == f;
}

inline Parsed<std::int64_t> zone_param(const api::Request& r, std::string_view name, std::int64_t fallback,
                                       std::int64_t lo, std::int64_t hi) {
  auto text = query_param(r, name);
  if (!text || text->empty()) return fallback;
  auto v = parse_number_param(*text);
  if (!v || *v < lo || *v > hi)
    return failure(400, code::invalid_zone_query,
                   hi == INT64_MAX
                       ? fmt::format("Invalid request: {} must be a number of at least {}", name, lo)
                       : fmt::format("Invalid request: {} must be a number between {} and {}", name, lo, hi));
  return *v;
}

}  // namespace zones_detail

/// `GET /zones` for a token of @p account: only that account's zones are visible.
inline Handled list_zones(const Config& config, const std::string& account, const api::Request& req) {
  using namespace zones_detail;
  using nlohmann::json;
  auto page = zone_param(req, "page", 1, 1, INT64_MAX);
  if (auto* e = std::get_if<api::Response>(&page)) return {std::move(*e)};
  auto per_page = zone_param(req, "per_page", 20, api::zone_limits::min_per_page, api::zone_limits::max_per_page);
  if (auto* e = std::get_if<api::Response>(&per_page)) return {std::move(*e)};
  std::string order = query_param(req, "order").value_or("name");
  std::string direction = query_param(req, "direction").value_or("asc");
  std::string match = query_param(req, "match").value_or("all");
  if (order.empty()) order = "name";
  if (order != "name" && order != "status" && order != "account.id" && order != "account.name" && order != "plan.id")
    return {failure(400, code::invalid_zone_query,
                    "Invalid request: order must be one of name, status, account.id, account.name, plan.id")};
  if (direction != "asc" && direction != "desc" && !direction.empty())
    return {failure(400, code::invalid_zone_query, "Invalid request: direction must be asc or desc")};
  if (match != "all" && match != "any" && !match.empty())
    return {failure(400, code::invalid_zone_query, "Invalid request: match must be any or all")};

  // Filters: each present one yields a verdict; `match` combines them.
  std::vector<std::pair<std::string, std::string>> filters;
  for (const char* name : {"name", "status", "account.id", "account.name"})
    if (auto v = query_param(req, name); v && !v->empty()) filters.emplace_back(name, *v);
  if (auto t = query_param(req, "type"); t && !t->empty()) filters.emplace_back("type", *t);

  std::vector<const ZoneSpec*> zones;
  for (const auto& z : config.zones) {
    if (z.account_id != account) continue;
    bool any = false, all = true;
    for (const auto& [name, filter] : filters) {
      bool ok;
      if (name == "name") ok = text_matches(z.name, filter);
      else if (name == "status") ok = filter == "active";
      else if (name == "account.id") ok = z.account_id == filter;
      else if (name == "account.name") ok = text_matches(config.account_name, filter);
      else ok = ("," + filter + ",").find(",full,") != std::string::npos;  // type: a comma-separated list
      any = any || ok;
      all = all && ok;
    }
    if (filters.empty() || (match == "any" ? any : all)) zones.push_back(&z);
  }
  // All zones share status, account and plan, so every order but name falls back to name.
  std::stable_sort(zones.begin(), zones.end(), [](auto* a, auto* b) { return a->name < b->name; });
  if (direction == "desc") std::reverse(zones.begin(), zones.end());

  std::int64_t pp = std::get<std::int64_t>(per_page), pg = std::get<std::int64_t>(page);
  auto total = static_cast<std::int64_t>(zones.size());
  json result = json::array();
  if (pg - 1 < (total + pp - 1) / pp)
    for (std::int64_t i = (pg - 1) * pp; i < std::min(total, pg * pp); ++i)
      result.push_back(zone_json(*zones[static_cast<std::size_t>(i)], config));
  json info{{"page", pg},
            {"per_page", pp},
            {"count", result.size()},
            {"total_count", total},
            {"total_pages", (total + pp - 1) / pp}};
  return {success(std::move(result), std::move(info))};
}

/// `GET /zones/{id}`: the zone, or 404 with 7003 + 7000 when the token's account has no such zone.
inline Handled get_zone(const Config& config, const std::string& account, const Route& route, std::string_view path) {
  if (const ZoneSpec* z = visible_zone(config, account, route.zone_id)) return {success(zone_json(*z, config))};
  return {bad_identifier(404, path)};
}

}  // namespace ckp::emu
