#pragma once
/// @file
/// Cache purge in the emulator: `POST /zones/{id}/purge_cache` with exactly one purge type per request, the
/// zone plan's per-request caps, the legacy error codes, the purge token buckets (flex purge requests, and URLs per
/// second for single-file purge) and a log of every accepted purge.
///
/// Cloudflare applies its purge limits per account, by plan; an account whose zones are on different plans has, here,
/// one pair of buckets per plan (zones of one plan share theirs). A refused request (400) takes no tokens.

#include <cmath>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ckp/api/http.hpp"
#include "ckp/api/limits.hpp"
#include "ckp/api/url.hpp"
#include "ckp/api/validate.hpp"
#include "ckp/emu/config.hpp"
#include "ckp/emu/random.hpp"
#include "ckp/emu/rate_limiter.hpp"
#include "ckp/emu/request.hpp"
#include "ckp/emu/respond.hpp"
#include "ckp/engine/token_bucket.hpp"

namespace ckp::emu {

/// One accepted purge.
struct PurgeRecord {
  std::string id;         ///< the id returned in `result.id`
  std::string zone_id;    ///< the purged zone's id
  std::string zone_name;  ///< and its name
  std::string type;       ///< the request field: "files", "tags", "hosts", "prefixes" or "purge_everything"
  nlohmann::json items;   ///< as sent (files as strings or {url, headers}); empty for purge_everything
  Instant time;           ///< when it was accepted
};

/// The purge endpoint with its buckets and log.
class PurgeService {
 public:
  /// Handles one purge of @p zone (already checked to belong to the token's account).
  Handled purge(const ZoneSpec& zone, const api::Request& req, Instant now, const Config& config, Rng& ids) {
    using nlohmann::json;
    auto parsed = json_body(req);
    if (auto* e = std::get_if<api::Response>(&parsed)) return {std::move(*e)};
    json& body = std::get<json>(parsed);
    if (!body.is_object()) return {missing_type()};

    static constexpr const char* types[] = {"files", "tags", "hosts", "prefixes"};
    bool everything = body.contains("purge_everything");
    std::vector<const char*> present;
    for (const char* t : types)
      if (body.contains(t)) present.push_back(t);
    if (everything && !present.empty())
      return {failure(400, code::purge_everything_mixed,
                      "Request cannot contain 'purge_everything' and any of 'files', 'tags', 'hosts' or 'prefixes'")};
    if (!everything && present.size() != 1) return {missing_type()};

    const api::PlanProfile plan = plan_of(config, zone);
    PurgeRecord record;
    record.zone_id = zone.id;
    record.zone_name = zone.name;
    record.time = now;
    std::size_t count = 1;
    if (everything) {
      const json& flag = body["purge_everything"];
      if (!flag.is_boolean() || !flag.get<bool>())
        return {failure(400, code::purge_everything_not_true, "'purge_everything' must be true")};
      record.type = "purge_everything";
      record.items = json::array();
    } else {
      std::string type = present.front();
      json& items = body[type];
      if (!items.is_array()) return {failure(400, code::purge_not_array, fmt::format("'{}' must be an array", type))};
      if (items.empty()) return {missing_type()};
      count = items.size();
      std::size_t cap = type == "files" ? plan.max_urls_per_request : plan.max_flex_items_per_request;
      if (count > cap) {
        int c = type == "files"   ? code::purge_too_many_files
                : type == "hosts" ? code::purge_too_many_hosts
                                  : code::purge_too_many_tags;
        return {
            failure(400, c,
                    fmt::format("Exceeded maximum amount of {} {} per purge request ({} given)", cap, type, count))};
      }
      if (auto error = check_items(type, items)) return {std::move(*error)};
      record.type = type;
      record.items = std::move(items);
    }

    // The purge limits are per account and plan: files spend URLs from a per-second budget, the rest one flex request.
    Buckets& b = buckets_for(zone.account_id, plan, config);
    bool files = record.type == "files";
    if (auto wait = files ? b.urls.try_take(static_cast<double>(count), now) : b.flex.try_take(1, now)) {
      int c = files                    ? code::purge_url_rate_limited
              : record.type == "hosts" ? code::purge_host_rate_limited
                                       : code::purge_flex_rate_limited;
      std::string what =
          files ? fmt::format("{} URLs per second", plan.urls_per_second)
                : fmt::format("{} requests per second, burst {}", plan.flex_requests_per_second, plan.flex_bucket);
      api::Response r =
          failure(429, c,
                  fmt::format("Rate limit reached for purge ({} on the {} plan); retry later", what, plan.name));
      r.headers.set("Retry-After", retry_after_value(*wait));
      return {std::move(r)};
    }

    record.id = hex_id(ids);
    std::string id = record.id;
    log_.push_back(std::move(record));
    if (config.purge_log_limit > 0 && log_.size() > config.purge_log_limit) {
      log_.pop_front();
      ++dropped_;
    }
    Handled h{success(json{{"id", id}})};
    h.wrote = true;
    h.items = count;
    return h;
  }

  /// Every accepted purge still in the log (oldest first).
  const std::deque<PurgeRecord>& log() const noexcept { return log_; }
  /// Purges dropped from the front of the log because of Config::purge_log_limit.
  std::uint64_t dropped() const noexcept { return dropped_; }

  /// The log as JSON: an array of {id, zone_id, zone, type, items, count, time (Unix seconds)}.
  nlohmann::json log_json() const {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : log_) {
      out.push_back({{"id", r.id},
                     {"zone_id", r.zone_id},
                     {"zone", r.zone_name},
                     {"type", r.type},
                     {"items", r.items},
                     {"count", r.type == "purge_everything" ? 1 : r.items.size()},
                     {"time", std::round(to_seconds(r.time.time_since_epoch()) * 1000.0) / 1000.0}});
    }
    return out;
  }

  /// Empties the log and refills every bucket.
  void reset() {
    log_.clear();
    dropped_ = 0;
    buckets_.clear();
  }

 private:
  struct Buckets {
    engine::TokenBucket flex;
    engine::TokenBucket urls;
  };

  static api::Response missing_type() {
    return failure(400, code::purge_missing_type,
                   "Request must contain one of 'purge_everything', 'files', 'tags', 'hosts' or 'prefixes'");
  }

  Buckets& buckets_for(const std::string& account, const api::PlanProfile& p, const Config& config) {
    const std::string key = account + "/" + p.name;
    auto it = buckets_.find(key);
    if (it != buckets_.end()) return it->second;
    double scale = config.time_scale > 0 ? config.time_scale : 1.0;
    Buckets b{engine::TokenBucket(p.flex_requests_per_second * scale, static_cast<double>(p.flex_bucket)),
              engine::TokenBucket(p.urls_per_second * scale, p.urls_per_second)};
    return buckets_.emplace(key, b).first->second;
  }

  /// Checks every item of a files/tags/hosts/prefixes array.
  static std::optional<api::Response> check_items(const std::string& type, const nlohmann::json& items) {
    for (const auto& item : items) {
      if (type == "files") {
        const nlohmann::json* url = &item;
        if (item.is_object()) {
          auto u = item.find("url");
          if (u == item.end()) return failure(400, code::purge_unable, "Unable to purge: a file object needs a 'url'");
          url = &*u;
          if (auto h = item.find("headers"); h != item.end() && !h->is_null()) {
            if (!h->is_object())
              return failure(400, code::purge_unable, "Unable to purge: 'headers' must be an object");
            for (const auto& [k, v] : h->items())
              if (!v.is_string())
                return failure(400, code::purge_unable,
                               fmt::format("Unable to purge: header '{}' must be a string", k));
          }
        }
        if (!url->is_string())
          return failure(400, code::purge_unable, "Unable to purge: every file must be a URL string");
        if (!api::parse_url(url->get_ref<const std::string&>()))
          return failure(400, code::purge_unable,
                         fmt::format("Unable to purge {}: not an absolute http(s) URL",
                                     api::detail::quote_short(url->get_ref<const std::string&>(), 120)));
        continue;
      }
      if (!item.is_string())
        return failure(400, code::purge_not_array, fmt::format("'{}' must be an array of strings", type));
      const auto& s = item.get_ref<const std::string&>();
      if (type == "tags") {
        if (s.empty()) return failure(400, code::purge_tag_too_long, "a cache tag must not be empty");
        if (s.size() > api::purge_limits::max_tag_chars)
          return failure(400, code::purge_tag_too_long,
                         fmt::format("Tag {} is {} characters; tags may be at most {}", api::detail::quote_short(s),
                                     s.size(), api::purge_limits::max_tag_chars));
      } else if (type == "hosts") {
        if (s.size() > api::purge_limits::max_host_chars)
          return failure(400, code::purge_host_too_long,
                         fmt::format("Host {} is {} characters; hosts may be at most {}", api::detail::quote_short(s),
                                     s.size(), api::purge_limits::max_host_chars));
        if (!api::is_valid_hostname(s))
          return failure(400, code::purge_invalid_host, fmt::format("Invalid host {}", api::detail::quote_short(s)));
      } else if (auto e = api::validate_purge_prefix(s)) {
        return failure(400, code::purge_invalid_host, "Invalid prefix: " + e->message);
      }
    }
    return std::nullopt;
  }

  std::unordered_map<std::string, Buckets> buckets_;
  std::deque<PurgeRecord> log_;
  std::uint64_t dropped_ = 0;
};

}  // namespace ckp::emu
