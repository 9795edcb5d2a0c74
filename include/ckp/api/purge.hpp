#pragma once
/// @file
/// Cache purge: `POST /zones/{zone_id}/purge_cache` with exactly one purge type per request (files, tags, hosts,
/// prefixes, or everything). Per-request item caps come from the zone's PlanProfile.
///
/// The builders do not split or validate: keep each request within max_items() and check items with validate.hpp
/// (the Purge operation does both). parse() returns read_envelope()'s errors: rate_limited for a 429 (the plan's
/// purge bucket or the global limit), too_large / bad_request for a rejected item list.
///
/// Example:
/// ```
/// std::vector<std::string> tags{"product-42", "home"};
/// ckp::api::Request r = ckp::api::purge::flex(zone_id, ckp::api::purge::Kind::tags, tags);
/// // …send r, then:
/// ckp::Result<std::string> id = ckp::api::purge::parse(response);   // the purge's id
/// ```

#include <algorithm>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ckp/api/envelope.hpp"
#include "ckp/api/limits.hpp"
#include "ckp/api/text.hpp"

namespace ckp::api::purge {

/// The purge type of one request.
enum class Kind { files, tags, hosts, prefixes, everything };

/// The JSON field name of @p kind (`"files"`, `"tags"`, …, `"purge_everything"`).
constexpr const char* field_name(Kind kind) noexcept {
  switch (kind) {
    case Kind::files: return "files";
    case Kind::tags: return "tags";
    case Kind::hosts: return "hosts";
    case Kind::prefixes: return "prefixes";
    case Kind::everything: return "purge_everything";
  }
  return "files";
}

/// Every purge type, in the order Cloudflare's documentation lists them.
inline constexpr Kind all_kinds[] = {Kind::files, Kind::tags, Kind::hosts, Kind::prefixes, Kind::everything};

/// The purge type whose field_name() is @p name, if any: the one parser of purge types (specs, request bodies).
constexpr std::optional<Kind> kind_named(std::string_view name) noexcept {
  for (Kind k : all_kinds)
    if (name == field_name(k)) return k;
  return std::nullopt;
}

/// A URL to purge, with the headers that form its cache key (CF-Device-Type, CF-IPCountry, Accept-Language, Origin)
/// when a custom cache key is in use.
struct File {
  std::string url;                                           ///< absolute http(s) URL
  std::vector<std::pair<std::string, std::string>> headers;  ///< cache-key headers: name, value
};

/// How many items of @p kind one request may carry on @p plan (1 for everything).
inline std::size_t max_items(Kind kind, const PlanProfile& plan) {
  switch (kind) {
    case Kind::files: return plan.max_urls_per_request;
    case Kind::everything: return 1;
    default: return plan.max_flex_items_per_request;
  }
}

/// `/zones/{zone_id}/purge_cache`, the purge endpoint of a zone.
inline std::string path(std::string_view zone_id) { return "/zones/" + url_encode_component(zone_id) + "/purge_cache"; }

namespace detail {
inline Request post(std::string_view zone_id, const json& body) {
  Request r(Method::post, path(zone_id), RequestClass::purge);
  r.headers.set("Content-Type", "application/json");
  r.body = body.dump();
  return r;
}
}  // namespace detail

/// Purge URLs. Files without headers are sent as plain strings, files with headers as `{url, headers}` objects.
inline Request files(std::string_view zone_id, std::span<const File> items) {
  json arr = json::array();
  for (const auto& f : items) {
    if (f.headers.empty()) {
      arr.push_back(f.url);
    } else {
      json h = json::object();
      for (const auto& [k, v] : f.headers) h[k] = v;
      arr.push_back(json{{"url", f.url}, {"headers", h}});
    }
  }
  return detail::post(zone_id, json{{"files", arr}});
}

/// Purge by tags, hosts or prefixes (@p kind must be one of those).
inline Request flex(std::string_view zone_id, Kind kind, std::span<const std::string> items) {
  json arr = json::array();
  for (const auto& s : items) arr.push_back(s);
  return detail::post(zone_id, json{{field_name(kind), arr}});
}

/// Purge everything cached for the zone.
inline Request everything(std::string_view zone_id) { return detail::post(zone_id, json{{"purge_everything", true}}); }

/// Cloudflare's codes for a purge carrying too many items: files, tags (and prefixes), hosts.
inline constexpr int too_many_items_codes[] = {1094, 1101, 1111};

/// The per-request cap Cloudflare states when it refuses a purge for carrying too many items ("Exceeded maximum
/// amount of 100 files per purge request", too_many_items_codes): the first number after "maximum" in a message
/// of a 400/413 that carries one of those codes or speaks of items "per" request; nullopt otherwise (a tag "longer
/// than the maximum of 1024 characters" states no cap).
inline std::optional<std::size_t> stated_cap(const Error& e) {
  if (e.kind != ErrorKind::bad_request && e.kind != ErrorKind::too_large) return std::nullopt;
  std::vector<std::pair<int, std::string_view>> texts;
  for (const auto& m : e.api_errors) texts.emplace_back(m.code, m.message);
  if (texts.empty()) texts.emplace_back(0, e.message);
  for (const auto& [code, text] : texts) {
    const std::string lower = ascii_lower(text);
    const bool about_items = std::find(std::begin(too_many_items_codes), std::end(too_many_items_codes), code) !=
                                 std::end(too_many_items_codes) ||
                             lower.find(" per ") != std::string::npos;
    const auto at = lower.find("maximum");
    if (!about_items || at == std::string::npos) continue;
    const auto digit = lower.find_first_of("0123456789", at);
    if (digit == std::string::npos) continue;
    std::size_t n = 0, i = digit;
    for (; i < lower.size() && lower[i] >= '0' && lower[i] <= '9' && n < 1'000'000; ++i)
      n = n * 10 + static_cast<std::size_t>(lower[i] - '0');
    if (n >= 1 && n < 1'000'000) return n;
  }
  return std::nullopt;
}

/// Parses any purge response: the purge id on success.
inline Result<std::string> parse(const Response& r) {
  auto env = read_envelope(r);
  if (!env) return std::move(env).error();
  return api::detail::string_field(env->result, "id").value_or("");
}

}  // namespace ckp::api::purge
