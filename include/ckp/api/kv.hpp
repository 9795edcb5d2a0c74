#pragma once
/// @file
/// Workers KV REST API: request builders and response parsers for namespaces, keys, values, metadata and the bulk
/// endpoints. All paths live under `/accounts/{account_id}/storage/kv/namespaces`. Key names are percent-encoded as
/// one path segment. Builders do not validate: check input with validate.hpp first (the operations do).
///
/// Builders return a Request (no credentials: the transport adds them). Parsers take the Response and return a
/// Result: a transport failure, an error status or `success: false` become the Error read_envelope() makes
/// (ErrorKind by status and Cloudflare code, e.g. not_found for 10009/10013, authentication for 10000), and a
/// success whose `result` has the wrong shape becomes ErrorKind::malformed_response.
///
/// Example, one page of keys sent through a Scheduler:
/// ```
/// scheduler.submit(ckp::api::kv::list_keys(account_id, namespace_id, {.prefix = "user/", .cursor = cursor}),
///                  ckp::engine::Cost::api_call(), ckp::api::kv::parse_keys,
///                  [](ckp::Result<ckp::api::kv::KeyPage> page) {
///                    if (!page) return report(page.error());
///                    for (const auto& key : page->keys) use(key.name);
///                    if (!page->last()) next_page(page->cursor);
///                  });
/// ```
/// and a bulk delete: `ckp::api::kv::bulk_delete(account_id, namespace_id, keys)` read with
/// `ckp::api::kv::parse_bulk_result(response, keys.size())`.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ckp/api/envelope.hpp"
#include "ckp/api/limits.hpp"
#include "ckp/api/multipart.hpp"

namespace ckp::api::kv {

/// A KV namespace.
struct Namespace {
  std::string id;                      ///< 32 hex characters
  std::string title;                   ///< unique within the account
  bool supports_url_encoding = false;  ///< as reported by the API
};

/// A key as listed: name, optional expiration (Unix seconds), metadata (JSON null when none).
struct Key {
  std::string name;                        ///< the key name (decoded)
  std::optional<std::int64_t> expiration;  ///< Unix seconds, when the key expires
  json metadata;                           ///< the key's metadata, or null
};

/// One page of `GET …/keys`. `cursor` is empty on the last page.
struct KeyPage {
  std::vector<Key> keys;  ///< this page's keys, in key order
  std::string cursor;     ///< pass to ListKeys::cursor for the next page; empty on the last page
  /// True on the last page.
  bool last() const { return cursor.empty(); }
};

/// A value as read: raw bytes and, if the key expires, its expiration.
struct Value {
  std::string bytes;                       ///< the value's raw bytes
  std::optional<std::int64_t> expiration;  ///< Unix seconds (from the `expiration` header), when it expires
};

/// Options of a single write.
struct WriteOptions {
  std::optional<json> metadata;                ///< metadata to store with the value (≤ 1024 bytes serialized)
  std::optional<std::int64_t> expiration;      ///< Unix seconds
  std::optional<std::int64_t> expiration_ttl;  ///< seconds from now (wins over expiration)
};

/// One pair of a bulk write.
struct BulkPair {
  std::string key;                             ///< the key name
  std::string value;                           ///< UTF-8 text, or base64 text when `base64` is set
  bool base64 = false;                         ///< `value` is base64 and the API stores the decoded bytes
  std::optional<std::int64_t> expiration;      ///< Unix seconds
  std::optional<std::int64_t> expiration_ttl;  ///< seconds from now
  std::optional<json> metadata;                ///< metadata to store with the value
};

/// The result of a bulk write or bulk delete: keys not in `unsuccessful_keys` were applied.
struct BulkResult {
  std::int64_t successful_key_count = 0;       ///< keys applied, as counted by the API
  std::vector<std::string> unsuccessful_keys;  ///< keys the API did not apply (retry or report them)
};

/// `type` of a bulk get: values as text, or parsed as JSON.
enum class BulkGetType { text, json };

/// One entry of a bulk get result. `found` is false when the key does not exist (the API returns null).
struct BulkGetItem {
  std::string key;                         ///< the requested key
  bool found = false;                      ///< whether the key exists
  json value;                              ///< a string for type text; any JSON for type json
  json metadata;                           ///< null when none or not requested
  std::optional<std::int64_t> expiration;  ///< Unix seconds, when metadata was requested and the key expires
};

// --- paths -----------------------------------------------------------------------------------------------------

/// `/accounts/{account_id}/storage/kv/namespaces`.
inline std::string namespaces_path(std::string_view account_id) {
  return "/accounts/" + url_encode_component(account_id) + "/storage/kv/namespaces";
}
/// `/accounts/{account_id}/storage/kv/namespaces/{namespace_id}`.
inline std::string namespace_path(std::string_view account_id, std::string_view namespace_id) {
  return namespaces_path(account_id) + "/" + url_encode_component(namespace_id);
}

namespace detail {
inline Request make(Method m, std::string path, RequestClass cls) { return Request(m, std::move(path), cls); }
inline Request json_request(Method m, std::string path, RequestClass cls, const json& body) {
  Request r = make(m, std::move(path), cls);
  r.headers.set("Content-Type", "application/json");
  r.body = body.dump();
  return r;
}
inline std::optional<Namespace> namespace_from_json(const json& j) {
  auto id = api::detail::string_field(j, "id");
  auto title = api::detail::string_field(j, "title");
  if (!id || !title) return std::nullopt;
  Namespace ns{*id, *title, false};
  if (auto it = j.find("supports_url_encoding"); it != j.end() && it->is_boolean()) ns.supports_url_encoding = *it;
  return ns;
}
}  // namespace detail

// --- namespaces --------------------------------------------------------------------------------------------------

/// `GET …/namespaces?page=&per_page=` (per_page clamped to 1–1000).
inline Request list_namespaces(std::string_view account_id, int page = 1, int per_page = 100) {
  Request r = detail::make(Method::get, namespaces_path(account_id), RequestClass::list);
  r.query.emplace_back("page", std::to_string(page < 1 ? 1 : page));
  r.query.emplace_back("per_page", std::to_string(std::clamp(per_page, 1, kv_limits::max_namespaces_per_page)));
  return r;
}

/// Parses list_namespaces().
inline Result<Page<Namespace>> parse_namespaces(const Response& r) {
  auto env = read_envelope(r);
  if (!env) return std::move(env).error();
  if (!env->result.is_array()) return unexpected_result(r, "namespace list result is not an array");
  Page<Namespace> page;
  page.info = env->result_info;
  for (const auto& j : env->result) {
    auto ns = detail::namespace_from_json(j);
    if (!ns) return unexpected_result(r, "a namespace lacks id or title");
    page.items.push_back(std::move(*ns));
  }
  return page;
}

/// `GET …/namespaces/{id}`.
inline Request get_namespace(std::string_view account_id, std::string_view namespace_id) {
  return detail::make(Method::get, namespace_path(account_id, namespace_id), RequestClass::read);
}

/// `POST …/namespaces` with `{"title": …}`. A duplicate title fails with ErrorKind::conflict.
inline Request create_namespace(std::string_view account_id, std::string_view title) {
  return detail::json_request(Method::post, namespaces_path(account_id), RequestClass::admin,
                              json{{"title", std::string(title)}});
}

/// Parses get_namespace() and create_namespace().
inline Result<Namespace> parse_namespace(const Response& r) {
  auto env = read_envelope(r);
  if (!env) return std::move(env).error();
  auto ns = detail::namespace_from_json(env->result);
  if (!ns) return unexpected_result(r, "namespace result lacks id or title");
  return std::move(*ns);
}

/// `PUT …/namespaces/{id}` with `{"title": …}`. Read with read_ok (the result is the namespace in the 2026 spec,
/// empty in older ones).
inline Request rename_namespace(std::string_view account_id, std::string_view namespace_id, std::string_view title) {
  return detail::json_request(Method::put, namespace_path(account_id, namespace_id), RequestClass::admin,
                              json{{"title", std::string(title)}});
}

/// `DELETE …/namespaces/{id}` (the namespace and every key in it). Read with read_ok.
inline Request delete_namespace(std::string_view account_id, std::string_view namespace_id) {
  return detail::make(Method::del, namespace_path(account_id, namespace_id), RequestClass::admin);
}

// --- keys --------------------------------------------------------------------------------------------------------

/// Parameters of `GET …/keys`.
struct ListKeys {
  std::string prefix;                     ///< only keys starting with this ("" = all)
  std::string cursor;                     ///< KeyPage::cursor of the previous page ("" = the first page)
  int limit = kv_limits::max_list_limit;  ///< clamped to 10–1000
};

/// `GET …/namespaces/{id}/keys?limit=&prefix=&cursor=`.
inline Request list_keys(std::string_view account_id, std::string_view namespace_id, const ListKeys& p) {
  Request r = detail::make(Method::get, namespace_path(account_id, namespace_id) + "/keys", RequestClass::list);
  r.query.emplace_back("limit",
                       std::to_string(std::clamp(p.limit, kv_limits::min_list_limit, kv_limits::max_list_limit)));
  if (!p.prefix.empty()) r.query.emplace_back("prefix", p.prefix);
  if (!p.cursor.empty()) r.query.emplace_back("cursor", p.cursor);
  return r;
}

/// Parses list_keys(). An absent or null cursor means the last page.
inline Result<KeyPage> parse_keys(const Response& r) {
  auto env = read_envelope(r);
  if (!env) return std::move(env).error();
  if (!env->result.is_array()) return unexpected_result(r, "keys result is not an array");
  KeyPage page;
  page.keys.reserve(env->result.size());
  for (auto& j : env->result) {
    auto name = api::detail::string_field(j, "name");
    if (!name) return unexpected_result(r, "a listed key has no name");
    Key k{std::move(*name), api::detail::int_field(j, "expiration"), nullptr};
    if (auto m = j.find("metadata"); m != j.end()) k.metadata = std::move(*m);
    page.keys.push_back(std::move(k));
  }
  page.cursor = env->result_info.cursor.value_or("");
  return page;
}

// --- values and metadata ------------------------------------------------------------------------------------------

/// `…/namespaces/{namespace_id}/values/{key}`, with @p key percent-encoded as one segment.
inline std::string value_path(std::string_view account_id, std::string_view namespace_id, std::string_view key) {
  return namespace_path(account_id, namespace_id) + "/values/" + url_encode_component(key);
}

/// `GET …/values/{key}`: the raw value.
inline Request read_value(std::string_view account_id, std::string_view namespace_id, std::string_view key) {
  return detail::make(Method::get, value_path(account_id, namespace_id, key), RequestClass::read);
}

/// Parses read_value(): the body is the value's raw bytes on success (not JSON); errors are envelopes.
inline Result<Value> parse_value(const Response& r) {
  if (r.transport_failed()) return transport_error(r);
  if (r.status < 200 || r.status >= 300) {
    auto env = read_envelope(r);
    if (!env) return std::move(env).error();
    return http_error(r, env->errors);  // a 2xx-looking envelope on an error status
  }
  Value v{r.body, std::nullopt};
  if (auto e = r.headers.get("expiration")) v.expiration = api::detail::parse_int(*e);
  return v;
}

/// `GET …/metadata/{key}`.
inline Request read_metadata(std::string_view account_id, std::string_view namespace_id, std::string_view key) {
  return detail::make(Method::get, namespace_path(account_id, namespace_id) + "/metadata/" + url_encode_component(key),
                      RequestClass::read);
}

/// Parses read_metadata(): the metadata JSON (null when the key has none).
inline Result<json> parse_metadata(const Response& r) {
  auto env = read_envelope(r);
  if (!env) return std::move(env).error();
  return std::move(env->result);
}

/// `PUT …/values/{key}`: a raw body, or multipart (`value` + `metadata`) when metadata is given.
/// Expiration options go in the query.
inline Request write_value(std::string_view account_id, std::string_view namespace_id, std::string_view key,
                           std::string value, const WriteOptions& opts = {}) {
  Request r = detail::make(Method::put, value_path(account_id, namespace_id, key), RequestClass::write);
  if (opts.expiration) r.query.emplace_back("expiration", std::to_string(*opts.expiration));
  if (opts.expiration_ttl) r.query.emplace_back("expiration_ttl", std::to_string(*opts.expiration_ttl));
  if (opts.metadata) {
    std::vector<FormPart> parts{{"value", std::move(value), "", ""}, {"metadata", opts.metadata->dump(), "", ""}};
    std::string boundary = choose_boundary(parts);
    r.headers.set("Content-Type", "multipart/form-data; boundary=" + boundary);
    r.body = encode_multipart(parts, boundary);
  } else {
    r.headers.set("Content-Type", "application/octet-stream");
    r.body = std::move(value);
  }
  return r;
}

/// `DELETE …/values/{key}`. Read with read_ok.
inline Request delete_value(std::string_view account_id, std::string_view namespace_id, std::string_view key) {
  return detail::make(Method::del, value_path(account_id, namespace_id, key), RequestClass::write);
}

// --- bulk --------------------------------------------------------------------------------------------------------

/// The JSON object of one bulk-write pair.
inline json to_json(const BulkPair& p) {
  json j{{"key", p.key}, {"value", p.value}};
  if (p.base64) j["base64"] = true;
  if (p.expiration) j["expiration"] = *p.expiration;
  if (p.expiration_ttl) j["expiration_ttl"] = *p.expiration_ttl;
  if (p.metadata) j["metadata"] = *p.metadata;
  return j;
}

/// Bytes @p p adds to a bulk-write body (its JSON plus a separator), for batching under the 100 MB cap.
inline std::size_t encoded_size(const BulkPair& p) { return to_json(p).dump().size() + 1; }

/// `PUT …/bulk`: up to 10,000 pairs, at most 100 MB in all.
inline Request bulk_write(std::string_view account_id, std::string_view namespace_id, std::span<const BulkPair> pairs) {
  json body = json::array();
  for (const auto& p : pairs) body.push_back(to_json(p));
  return detail::json_request(Method::put, namespace_path(account_id, namespace_id) + "/bulk", RequestClass::bulk,
                              body);
}

/// `POST …/bulk/delete`: up to 10,000 key names. With @p legacy, the deprecated `DELETE …/bulk` form.
inline Request bulk_delete(std::string_view account_id, std::string_view namespace_id,
                           std::span<const std::string> keys, bool legacy = false) {
  json body = json::array();
  for (const auto& k : keys) body.push_back(k);
  return legacy ? detail::json_request(Method::del, namespace_path(account_id, namespace_id) + "/bulk",
                                       RequestClass::bulk, body)
                : detail::json_request(Method::post, namespace_path(account_id, namespace_id) + "/bulk/delete",
                                       RequestClass::bulk, body);
}

/// Parses bulk_write() and bulk_delete(). When the API confirms success without detail (older API versions return
/// `result: null`), all @p sent keys count as successful; when it names `unsuccessful_keys`, only the others do.
inline Result<BulkResult> parse_bulk_result(const Response& r, std::size_t sent) {
  auto env = read_envelope(r);
  if (!env) return std::move(env).error();
  BulkResult out;
  const json& res = env->result;
  if (res.is_object() && (res.contains("successful_key_count") || res.contains("unsuccessful_keys"))) {
    if (auto it = res.find("unsuccessful_keys"); it != res.end()) {
      if (!it->is_array()) return unexpected_result(r, "unsuccessful_keys is not an array");
      for (const auto& k : *it) {
        if (!k.is_string()) return unexpected_result(r, "unsuccessful_keys holds a non-string");
        out.unsuccessful_keys.push_back(k.get<std::string>());
      }
    }
    out.successful_key_count = api::detail::int_field(res, "successful_key_count")
                                   .value_or(static_cast<std::int64_t>(sent - out.unsuccessful_keys.size()));
  } else {
    out.successful_key_count = static_cast<std::int64_t>(sent);
  }
  return out;
}

/// `POST …/bulk/get`: up to 100 keys, optionally with metadata; values as text or parsed JSON.
inline Request bulk_get(std::string_view account_id, std::string_view namespace_id, std::span<const std::string> keys,
                        bool with_metadata, BulkGetType type = BulkGetType::text) {
  json body{{"keys", json::array()}};
  for (const auto& k : keys) body["keys"].push_back(k);
  if (type == BulkGetType::json) body["type"] = "json";
  if (with_metadata) body["withMetadata"] = true;
  return detail::json_request(Method::post, namespace_path(account_id, namespace_id) + "/bulk/get", RequestClass::read,
                              body);
}

/// Parses bulk_get() into one item per requested key, in @p keys order. Keys the response omits count as not found.
inline Result<std::vector<BulkGetItem>> parse_bulk_get(const Response& r, std::span<const std::string> keys,
                                                       bool with_metadata) {
  auto env = read_envelope(r);
  if (!env) return std::move(env).error();
  const json* values = nullptr;
  if (env->result.is_object())
    if (auto it = env->result.find("values"); it != env->result.end() && it->is_object()) values = &*it;
  if (!values) return unexpected_result(r, "bulk get result has no \"values\" object");
  std::vector<BulkGetItem> out;
  out.reserve(keys.size());
  for (const auto& k : keys) {
    BulkGetItem item{k, false, nullptr, nullptr, std::nullopt};
    if (auto it = values->find(k); it != values->end() && !it->is_null()) {
      item.found = true;
      if (with_metadata && it->is_object() && it->contains("value")) {
        item.value = (*it)["value"];
        if (auto m = it->find("metadata"); m != it->end()) item.metadata = *m;
        item.expiration = api::detail::int_field(*it, "expiration");
      } else {
        item.value = *it;
      }
    }
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace ckp::api::kv
