#pragma once
/// @file
/// The Workers KV endpoints of the emulator: namespaces, keys, values, metadata and the bulk endpoints, with
/// Cloudflare's limits and status codes. Handlers take the routed request and the time; the caller has already
/// checked the token, its account and the rate limit.

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ckp/api/base64.hpp"
#include "ckp/api/http.hpp"
#include "ckp/api/limits.hpp"
#include "ckp/api/multipart.hpp"
#include "ckp/api/validate.hpp"
#include "ckp/emu/config.hpp"
#include "ckp/emu/faults.hpp"
#include "ckp/emu/random.hpp"
#include "ckp/emu/request.hpp"
#include "ckp/emu/respond.hpp"
#include "ckp/emu/routes.hpp"
#include "ckp/emu/store.hpp"

namespace ckp::emu {

/// Cursors are opaque to clients: base64url (no padding) of the last key returned. Continuing after a key stays
/// valid when that key is deleted in between.
inline std::string encode_cursor(std::string_view last_key) {
  std::string s = api::base64_encode(last_key);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return s;
}

/// The key a cursor continues after, or nullopt when it is not one of ours.
inline std::optional<std::string> decode_cursor(std::string_view cursor) {
  std::string s(cursor);
  for (char& c : s) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
    else if (c == '+' || c == '/' || c == '=') return std::nullopt;
  }
  return api::base64_decode(s);
}

/// A namespace as the API shows it. Namespaces made here decode %-escapes in key names, as all new ones do.
inline nlohmann::json namespace_json(const Namespace& ns) {
  return {{"id", ns.id}, {"title", ns.title}, {"supports_url_encoding", true}};
}

/// What the KV handlers work on.
struct KvContext {
  Store& store;             ///< the namespaces and keys
  Rng& ids;                 ///< new namespace ids
  FaultInjector& faults;    ///< per-key failures of bulk requests
  const FaultRates& rates;  ///< the fault rates in force
  Duration list_lag{0};     ///< how old the state lists show (Config::list_lag, already divided by time_scale)
};

namespace kv_detail {

using json = nlohmann::json;

inline Handled done(api::Response r, bool wrote = false, std::size_t items = 0) {
  Handled h;
  h.response = std::move(r);
  h.wrote = wrote;
  h.items = items;
  return h;
}

inline api::Response namespace_not_found() { return failure(404, code::namespace_not_found, "namespace not found"); }

/// Reads a page-style integer query parameter within [lo, hi].
inline Parsed<std::int64_t> ranged_param(const api::Request& r, std::string_view name, std::int64_t fallback,
                                         std::int64_t lo, std::int64_t hi, int error_code) {
  auto text = query_param(r, name);
  if (!text || text->empty()) return fallback;
  auto v = parse_number_param(*text);
  if (!v || *v < lo || *v > hi)
    return failure(400, error_code,
                   hi == INT64_MAX ? fmt::format("{} must be a number of at least {}", name, lo)
                                   : fmt::format("{} must be a number between {} and {}", name, lo, hi));
  return *v;
}

/// Validates a namespace title from a create/rename body.
inline Parsed<std::string> title_from(const json& body) {
  if (!body.is_object()) return failure(400, code::invalid_body, "request body must be a JSON object with a \"title\"");
  auto it = body.find("title");
  if (it == body.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
    return failure(400, code::namespace_title_invalid, "a namespace title is required");
  const auto& title = it->get_ref<const std::string&>();
  if (title.size() > api::kv_limits::max_namespace_title)
    return failure(400, code::namespace_title_invalid,
                   fmt::format("namespace title is {} bytes; at most {} are allowed", title.size(),
                               api::kv_limits::max_namespace_title));
  return title;
}

inline api::Response title_exists() {
  return failure(400, code::namespace_title_exists, "a namespace with this account ID and title already exists");
}

/// The value and metadata of a single-key write: a raw body, or multipart parts `value` and `metadata`.
struct WriteBody {
  std::string value;
  std::string metadata;
};

inline Parsed<WriteBody> write_body(const api::Request& r) {
  WriteBody out;
  if (!content_type_is(r, "multipart/form-data")) {
    if (auto e = check_value_size(r.body.size())) return *e;
    out.value = r.body;
    return out;
  }
  auto boundary = api::multipart_boundary(*r.headers.get("Content-Type"));
  if (!boundary) return failure(400, code::invalid_body, "multipart/form-data without a boundary");
  auto parts = api::decode_multipart(r.body, *boundary);
  if (!parts) return failure(400, code::invalid_body, "malformed multipart/form-data body");
  bool has_value = false;
  for (auto& p : *parts) {
    if (p.name == "value" && !has_value) {
      has_value = true;
      out.value = std::move(p.content);
    } else if (p.name == "metadata") {
      auto meta = parse_json_limited(p.content);
      if (!meta) return failure(400, code::invalid_body, "the metadata part is not valid JSON");
      auto text = metadata_text(*meta);
      if (auto* e = std::get_if<api::Response>(&text)) return std::move(*e);
      out.metadata = std::get<std::string>(std::move(text));
    }
  }
  if (!has_value) return failure(400, code::invalid_body, "multipart/form-data body has no \"value\" part");
  if (auto e = check_value_size(out.value.size())) return *e;
  return out;
}

/// Reads `expiration` / `expiration_ttl` from the query.
inline Parsed<std::int64_t> query_expiration(const api::Request& r, Instant now) {
  std::optional<std::int64_t> expiration, ttl;
  for (auto [name, slot] : {std::pair{"expiration", &expiration}, std::pair{"expiration_ttl", &ttl}}) {
    auto text = query_param(r, name);
    if (!text || text->empty()) continue;
    auto v = parse_number_param(*text);
    if (!v) return failure(400, code::invalid_expiration, fmt::format("{} must be a number, got \"{}\"", name, *text));
    *slot = v;
  }
  return resolve_expiration(expiration, ttl, now);
}

/// The JSON of a key in a listing.
inline json listed_key(const std::string& name, const Entry& e) {
  json k{{"name", name}};
  if (e.expiration) k["expiration"] = e.expiration;
  if (!e.metadata.empty())
    if (auto m = parse_json_limited(e.metadata)) k["metadata"] = std::move(*m);
  return k;
}

/// Reads the key array of a bulk delete.
inline Parsed<std::vector<std::string>> bulk_delete_keys(const api::Request& r) {
  auto body = json_body(r);
  if (auto* e = std::get_if<api::Response>(&body)) return std::move(*e);
  auto& j = std::get<json>(body);
  if (!j.is_array()) return failure(400, code::invalid_body, "request body must be a JSON array of key names");
  if (j.size() > api::kv_limits::max_bulk_items)
    return failure(400, code::too_many_items,
                   fmt::format("bulk delete holds {} keys; at most {} are allowed", j.size(),
                               api::kv_limits::max_bulk_items));
  std::vector<std::string> keys;
  keys.reserve(j.size());
  for (auto& item : j) {
    if (!item.is_string())
      return failure(400, code::invalid_body, "every item of a bulk delete must be a key name string");
    if (auto e = check_key(item.get_ref<const std::string&>())) return *e;
    keys.push_back(std::move(item.get_ref<std::string&>()));
  }
  return keys;
}

/// One validated pair of a bulk write.
struct BulkItem {
  std::string key;
  Entry entry;
};

inline Parsed<BulkItem> bulk_item(json& item, Instant now) {
  if (!item.is_object()) return failure(400, code::invalid_body, "every item of a bulk write must be an object");
  auto key = item.find("key");
  if (key == item.end() || !key->is_string())
    return failure(400, code::invalid_body, "every item of a bulk write needs a string \"key\"");
  if (auto e = check_key(key->get_ref<const std::string&>())) return *e;
  auto value = item.find("value");
  if (value == item.end() || !value->is_string())
    return failure(400, code::invalid_body,
                   fmt::format("item \"{}\" needs a string \"value\"", key->get_ref<const std::string&>()));
  bool b64 = false;
  if (auto flag = item.find("base64"); flag != item.end() && !flag->is_null()) {
    if (!flag->is_boolean()) return failure(400, code::invalid_body, "\"base64\" must be a boolean");
    b64 = flag->get<bool>();
  }
  BulkItem out;
  out.key = std::move(key->get_ref<std::string&>());
  if (b64) {
    auto decoded = api::base64_decode(value->get_ref<const std::string&>());
    if (!decoded)
      return failure(400, code::invalid_body, fmt::format("the value of \"{}\" is not valid base64", out.key));
    out.entry.value = std::move(*decoded);
  } else {
    out.entry.value = std::move(value->get_ref<std::string&>());
  }
  if (auto e = check_value_size(out.entry.value.size())) return *e;
  auto expiration = json_number_field(item, "expiration");
  if (auto* e = std::get_if<api::Response>(&expiration)) return std::move(*e);
  auto ttl = json_number_field(item, "expiration_ttl");
  if (auto* e = std::get_if<api::Response>(&ttl)) return std::move(*e);
  auto resolved = resolve_expiration(std::get<0>(expiration), std::get<0>(ttl), now);
  if (auto* e = std::get_if<api::Response>(&resolved)) return std::move(*e);
  out.entry.expiration = std::get<std::int64_t>(resolved);
  if (auto meta = item.find("metadata"); meta != item.end() && !meta->is_null()) {
    auto text = metadata_text(*meta);
    if (auto* e = std::get_if<api::Response>(&text)) return std::move(*e);
    out.entry.metadata = std::get<std::string>(std::move(text));
  }
  return out;
}

inline json bulk_result(std::int64_t ok, std::vector<std::string> failed) {
  return json{{"successful_key_count", ok}, {"unsuccessful_keys", std::move(failed)}};
}

}  // namespace kv_detail

/// Handles a KV endpoint for a request whose token may act on route.account_id.
inline Handled handle_kv(KvContext& ctx, const Route& route, const api::Request& req, Instant now) {
  using namespace kv_detail;
  using nlohmann::json;

  switch (route.endpoint) {
    case Endpoint::kv_namespaces_list: {
      auto page = ranged_param(req, "page", 1, 1, INT64_MAX, code::invalid_list_param);
      if (auto* e = std::get_if<api::Response>(&page)) return done(std::move(*e));
      auto per_page =
          ranged_param(req, "per_page", 20, 1, api::kv_limits::max_namespaces_per_page, code::invalid_list_param);
      if (auto* e = std::get_if<api::Response>(&per_page)) return done(std::move(*e));
      std::string order = query_param(req, "order").value_or("id");
      std::string direction = query_param(req, "direction").value_or("asc");
      if (order.empty()) order = "id";
      if (direction.empty()) direction = "asc";
      if (order != "id" && order != "title")
        return done(failure(400, code::invalid_list_param, "order must be \"id\" or \"title\""));
      if (direction != "asc" && direction != "desc")
        return done(failure(400, code::invalid_list_param, "direction must be \"asc\" or \"desc\""));
      auto all = ctx.store.in_account(route.account_id);  // by id already
      if (order == "title")
        std::stable_sort(all.begin(), all.end(), [](auto* a, auto* b) { return a->title < b->title; });
      if (direction == "desc") std::reverse(all.begin(), all.end());
      std::int64_t pp = std::get<std::int64_t>(per_page), pg = std::get<std::int64_t>(page);
      auto total = static_cast<std::int64_t>(all.size());
      json result = json::array();
      // Compare before multiplying: a huge page number must not overflow.
      if (pg - 1 < (total + pp - 1) / pp)
        for (std::int64_t i = (pg - 1) * pp; i < std::min(total, pg * pp); ++i)
          result.push_back(namespace_json(*all[static_cast<std::size_t>(i)]));
      json info{{"page", pg},
                {"per_page", pp},
                {"count", result.size()},
                {"total_count", total},
                {"total_pages", (total + pp - 1) / pp}};
      return done(success(std::move(result), std::move(info)));
    }

    case Endpoint::kv_namespace_create: {
      auto body = json_body(req);
      if (auto* e = std::get_if<api::Response>(&body)) return done(std::move(*e));
      auto title = title_from(std::get<json>(body));
      if (auto* e = std::get_if<api::Response>(&title)) return done(std::move(*e));
      auto& t = std::get<std::string>(title);
      if (ctx.store.find_title(route.account_id, t)) return done(title_exists());
      std::string id = hex_id(ctx.ids);
      while (ctx.store.find(id)) id = hex_id(ctx.ids);
      Namespace& ns = ctx.store.create(id, route.account_id, t);
      return done(success(namespace_json(ns)), true);
    }

    default: break;
  }

  // Everything else addresses one namespace of the account.
  Namespace* ns = ctx.store.find(route.namespace_id);
  if (!ns || ns->account_id != route.account_id) return done(namespace_not_found());

  switch (route.endpoint) {
    case Endpoint::kv_namespace_get: return done(success(namespace_json(*ns)));

    case Endpoint::kv_namespace_rename: {
      auto body = json_body(req);
      if (auto* e = std::get_if<api::Response>(&body)) return done(std::move(*e));
      auto title = title_from(std::get<json>(body));
      if (auto* e = std::get_if<api::Response>(&title)) return done(std::move(*e));
      auto& t = std::get<std::string>(title);
      if (Namespace* other = ctx.store.find_title(route.account_id, t); other && other != ns)
        return done(title_exists());
      ns->title = t;
      return done(success(namespace_json(*ns)), true);
    }

    case Endpoint::kv_namespace_delete: ctx.store.erase(route.namespace_id); return done(success(nullptr), true);

    case Endpoint::kv_keys_list: {
      auto limit = ranged_param(req, "limit", api::kv_limits::max_list_limit, api::kv_limits::min_list_limit,
                                api::kv_limits::max_list_limit, code::invalid_list_param);
      if (auto* e = std::get_if<api::Response>(&limit)) return done(std::move(*e));
      std::string prefix = query_param(req, "prefix").value_or("");
      std::optional<std::string> after;
      if (auto cursor = query_param(req, "cursor"); cursor && !cursor->empty()) {
        after = decode_cursor(*cursor);
        if (!after) return done(failure(400, code::invalid_list_param, "Invalid cursor"));
      }
      auto page = ns->list(prefix, after ? std::optional<std::string_view>(*after) : std::nullopt,
                           static_cast<std::size_t>(std::get<std::int64_t>(limit)), now, ctx.list_lag);
      json result = json::array();
      for (const auto& k : page.keys) result.push_back(listed_key(*k.name, *k.entry));
      std::string next = page.more ? encode_cursor(*page.keys.back().name) : std::string();
      json info{{"count", page.keys.size()}, {"cursor", std::move(next)}};
      return done(success(std::move(result), std::move(info)));
    }

    case Endpoint::kv_value_get:
    case Endpoint::kv_metadata_get: {
      if (auto e = check_key(route.key)) return done(std::move(*e));
      const Entry* entry = ns->find(route.key, now);
      bool value = route.endpoint == Endpoint::kv_value_get;
      if (!entry)
        return done(failure(404, code::key_not_found, value ? "get: 'key not found'" : "metadata: 'key not found'"));
      if (!value) {
        json meta = nullptr;
        if (!entry->metadata.empty())
          if (auto m = parse_json_limited(entry->metadata)) meta = std::move(*m);
        return done(success(std::move(meta)));
      }
      api::Response r;
      r.status = 200;
      r.headers.set("Content-Type", "application/octet-stream");
      if (entry->expiration) r.headers.set("expiration", std::to_string(entry->expiration));
      r.body = entry->value;
      return done(std::move(r));
    }

    case Endpoint::kv_value_put: {
      if (auto e = check_key(route.key)) return done(std::move(*e));
      auto expiration = query_expiration(req, now);
      if (auto* e = std::get_if<api::Response>(&expiration)) return done(std::move(*e));
      auto body = write_body(req);
      if (auto* e = std::get_if<api::Response>(&body)) return done(std::move(*e));
      if (FaultInjector::poisoned(ctx.rates, route.key)) {
        Handled h = done(failure(500, code::internal_error, "Internal Server Error"));
        h.key_faults = 1;
        return h;
      }
      auto& wb = std::get<WriteBody>(body);
      ns->write(route.key, Entry{std::move(wb.value), std::move(wb.metadata), std::get<std::int64_t>(expiration)}, now,
                ctx.list_lag);
      return done(success(nullptr), true);
    }

    case Endpoint::kv_value_delete: {
      if (auto e = check_key(route.key)) return done(std::move(*e));
      if (FaultInjector::poisoned(ctx.rates, route.key)) {
        Handled h = done(failure(500, code::internal_error, "Internal Server Error"));
        h.key_faults = 1;
        return h;
      }
      ns->remove(route.key, now, ctx.list_lag);  // deleting a missing key succeeds, as at Cloudflare
      return done(success(nullptr), true);
    }

    case Endpoint::kv_bulk_write: {
      if (req.body.size() > api::kv_limits::max_bulk_request_bytes)
        return done(failure(413, code::body_too_large,
                            fmt::format("request body is {} bytes; a bulk write may be at most {} bytes",
                                        req.body.size(), api::kv_limits::max_bulk_request_bytes)));
      auto body = json_body(req);
      if (auto* e = std::get_if<api::Response>(&body)) return done(std::move(*e));
      auto& j = std::get<json>(body);
      if (!j.is_array()) return done(failure(400, code::invalid_body, "request body must be a JSON array of pairs"));
      if (j.size() > api::kv_limits::max_bulk_items)
        return done(failure(400, code::too_many_items,
                            fmt::format("bulk write holds {} pairs; at most {} are allowed", j.size(),
                                        api::kv_limits::max_bulk_items)));
      // Validate everything first: one bad item rejects the request and nothing is written.
      std::vector<BulkItem> items;
      items.reserve(j.size());
      for (auto& raw : j) {
        auto item = bulk_item(raw, now);
        if (auto* e = std::get_if<api::Response>(&item)) return done(std::move(*e), false, j.size());
        items.push_back(std::get<BulkItem>(std::move(item)));
      }
      Handled h;
      std::vector<std::string> failed;
      std::int64_t ok = 0;
      for (auto& item : items) {
        if (ctx.faults.key_fails(ctx.rates, item.key)) {
          failed.push_back(std::move(item.key));
          ++h.key_faults;
          continue;
        }
        ns->write(item.key, std::move(item.entry), now, ctx.list_lag);
        ++ok;
      }
      h.response = success(bulk_result(ok, std::move(failed)));
      h.wrote = true;
      h.items = items.size();
      return h;
    }

    case Endpoint::kv_bulk_delete:
    case Endpoint::kv_bulk_delete_legacy: {
      auto keys = bulk_delete_keys(req);
      if (auto* e = std::get_if<api::Response>(&keys)) return done(std::move(*e));
      Handled h;
      std::vector<std::string> failed;
      std::int64_t ok = 0;
      for (auto& key : std::get<std::vector<std::string>>(keys)) {
        if (ctx.faults.key_fails(ctx.rates, key)) {
          failed.push_back(std::move(key));
          ++h.key_faults;
          continue;
        }
        ns->remove(key, now, ctx.list_lag);
        ++ok;
      }
      h.items = static_cast<std::size_t>(ok) + failed.size();
      h.response = success(bulk_result(ok, std::move(failed)));
      h.wrote = true;
      return h;
    }

    case Endpoint::kv_bulk_get: {
      auto body = json_body(req);
      if (auto* e = std::get_if<api::Response>(&body)) return done(std::move(*e));
      auto& j = std::get<json>(body);
      if (!j.is_object()) return done(failure(400, code::invalid_body, "request body must be a JSON object"));
      auto keys = j.find("keys");
      if (keys == j.end() || !keys->is_array())
        return done(failure(400, code::invalid_body, "\"keys\" must be an array of key names"));
      if (keys->size() > api::kv_limits::max_bulk_get_keys)
        return done(failure(400, code::too_many_items,
                            fmt::format("bulk get asks for {} keys; at most {} are allowed", keys->size(),
                                        api::kv_limits::max_bulk_get_keys)));
      bool as_json = false, with_metadata = false;
      if (auto t = j.find("type"); t != j.end() && !t->is_null()) {
        if (!t->is_string() || (*t != "text" && *t != "json"))
          return done(failure(400, code::invalid_body, "\"type\" must be \"text\" or \"json\""));
        as_json = *t == "json";
      }
      if (auto w = j.find("withMetadata"); w != j.end() && !w->is_null()) {
        if (!w->is_boolean()) return done(failure(400, code::invalid_body, "\"withMetadata\" must be a boolean"));
        with_metadata = w->get<bool>();
      }
      json values = json::object();
      for (const auto& k : *keys) {
        if (!k.is_string()) return done(failure(400, code::invalid_body, "\"keys\" must be an array of key names"));
        const auto& name = k.get_ref<const std::string&>();
        if (auto e = check_key(name)) return done(std::move(*e));
        const Entry* entry = ns->find(name, now);
        if (!entry) {
          values[name] = nullptr;
          continue;
        }
        // "Keys must contain text-based values": a value that is not UTF-8 is refused rather than sent mangled.
        if (!api::detail::is_valid_utf8(entry->value))
          return done(failure(400, code::invalid_body,
                              fmt::format("the value of \"{}\" is not text; read it with GET …/values/{{key}}", name)));
        json value = entry->value;
        if (as_json) {
          auto parsed = parse_json_limited(entry->value);
          if (!parsed)
            return done(failure(400, code::invalid_body, fmt::format("the value of \"{}\" is not valid JSON", name)));
          value = std::move(*parsed);
        }
        if (!with_metadata) {
          values[name] = std::move(value);
          continue;
        }
        json item{{"value", std::move(value)}, {"metadata", nullptr}};
        if (!entry->metadata.empty())
          if (auto m = parse_json_limited(entry->metadata)) item["metadata"] = std::move(*m);
        if (entry->expiration) item["expiration"] = entry->expiration;
        values[name] = std::move(item);
      }
      return done(success(json{{"values", std::move(values)}}), false, keys->size());
    }

    default: return done(no_route());
  }
}

}  // namespace ckp::emu
