#pragma once
/// @file
/// The Cloudflare v4 response envelope (`success`, `errors`, `messages`, `result`, `result_info`) and the mapping
/// from a response to a typed, actionable Error. Any body at all — HTML from a proxy, a truncated document, nothing —
/// becomes a value or a clear Error, never an exception.

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ckp/api/error.hpp"
#include "ckp/api/http.hpp"
#include "ckp/api/json_parse.hpp"
#include "ckp/api/rate_headers.hpp"

namespace ckp::api {

/// The JSON type of the whole engine (nlohmann::json).
using json = nlohmann::json;

/// Paging information: `page`/`per_page`/`total_pages` for zones and namespaces, `cursor` for keys.
struct ResultInfo {
  /// `result_info` fields as sent; absent when the response omits them.
  ///@{
  std::optional<std::int64_t> page, per_page, count, total_count, total_pages;
  ///@}
  std::optional<std::string> cursor;  ///< the next page's cursor (key listings); empty or absent on the last page
};

/// A parsed envelope. `result` is JSON null when absent.
struct Envelope {
  bool success = false;              ///< the envelope's `success`
  std::vector<ApiMessage> errors;    ///< `errors`, in order
  std::vector<ApiMessage> messages;  ///< `messages`, in order
  json result;                       ///< `result` (null when absent)
  ResultInfo result_info;            ///< `result_info` (all empty when absent)
};

namespace detail {

/// Reads an integer field that may arrive as a JSON integer or a whole float (the spec types counts as `number`).
inline std::optional<std::int64_t> int_field(const json& obj, const char* name) {
  if (!obj.is_object()) return std::nullopt;
  auto it = obj.find(name);
  if (it == obj.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<std::int64_t>();
  // A float outside int64's range cannot be converted (undefined behaviour); no count is that large anyway.
  if (it->is_number_float() && std::abs(it->get<double>()) < 9e18) return static_cast<std::int64_t>(it->get<double>());
  return std::nullopt;
}

inline std::optional<std::string> string_field(const json& obj, const char* name) {
  if (!obj.is_object()) return std::nullopt;
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

inline std::vector<ApiMessage> messages_field(const json& obj, const char* name) {
  std::vector<ApiMessage> out;
  if (!obj.is_object()) return out;
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_array()) return out;
  for (const auto& m : *it) {
    if (m.is_object()) {
      out.push_back({static_cast<int>(int_field(m, "code").value_or(0)), string_field(m, "message").value_or("")});
    } else if (m.is_string()) {
      out.push_back({0, m.get<std::string>()});
    }
  }
  return out;
}

/// A short, printable excerpt of a body for error messages (no control characters, at most @p max bytes).
inline std::string excerpt(std::string_view body, std::size_t max = 80) {
  std::string out;
  for (char c : body.substr(0, max)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  if (body.size() > max) out += "...";
  return out;
}

inline bool looks_like_html(std::string_view body) {
  auto start = body.find_first_not_of(" \t\r\n");
  return start != std::string_view::npos && body[start] == '<';
}

inline ErrorKind kind_for(int status, int code) {
  switch (code) {
    case 10000: return ErrorKind::authentication;
    case 971: return ErrorKind::rate_limited;
    case 10009:
    case 10013:
    case 7003:
    case 7000: return ErrorKind::not_found;
    case 10014: return ErrorKind::conflict;
    default: break;
  }
  if (status == 401 || status == 403) return ErrorKind::authentication;
  if (status == 404) return ErrorKind::not_found;
  if (status == 409) return ErrorKind::conflict;
  if (status == 413 || status == 414) return ErrorKind::too_large;
  if (status == 429) return ErrorKind::rate_limited;
  if (status == 408) return ErrorKind::timeout;
  if (status >= 500) return ErrorKind::server;
  return ErrorKind::bad_request;
}

/// What to tell a user to do about an error of this kind/code (empty when nothing useful can be said), in words
/// every front can show: no command or flag names.
inline std::string hint_for(ErrorKind kind, int code) {
  switch (kind) {
    case ErrorKind::authentication:
      return "check the API token and that it has the permission this needs (Workers KV Storage Edit, Cache Purge, "
             "Zone Read) on this account";
    case ErrorKind::rate_limited:
      return "Cloudflare blocks a token for up to 5 minutes after 1200 requests in 5 minutes; wait, then resume "
             "with fewer requests in flight";
    case ErrorKind::not_found:
      if (code == 10013) return "check the namespace id and that it belongs to this account";
      if (code == 7003 || code == 7000) return "an account, zone or namespace id in the request is wrong";
      return "";
    case ErrorKind::server: return "Cloudflare or a proxy failed; this is usually temporary and is retried";
    default: return "";
  }
}

}  // namespace detail

/// Builds the Error for a response that never arrived (connection refused, reset, timeout, TLS).
inline Error transport_error(const Response& r) {
  switch (r.failure) {
    case TransportFailure::timeout:
      return Error::make(ErrorKind::timeout, "the request timed out: " + r.failure_detail);
    case TransportFailure::tls:
      return Error::make(ErrorKind::tls, "TLS failed: " + r.failure_detail +
                                             " (certificate verification is on; check the system CA bundle or proxy)");
    case TransportFailure::cancelled: return Error::make(ErrorKind::cancelled, "the request was cancelled");
    case TransportFailure::refused:
      return Error::make(ErrorKind::invalid_input, "the request was not sent: " + r.failure_detail);
    default:
      return Error::make(ErrorKind::transport, "no response from the API: " +
                                                   (r.failure_detail.empty() ? "connection failed" : r.failure_detail));
  }
}

/// Parses @p body as an envelope without judging the HTTP status. Fails (malformed_response) when the body is empty,
/// not JSON, or JSON without a boolean `success`.
inline Result<Envelope> parse_envelope(std::string_view body, int status) {
  auto malformed = [&](std::string what) {
    Error e = Error::make(ErrorKind::malformed_response, fmt::format("expected a Cloudflare JSON response (HTTP {}) "
                                                                     "but {}",
                                                                     status, what));
    e.http_status = status;
    return e;
  };
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return malformed("the body was empty");
  if (detail::looks_like_html(body))
    return malformed("got an HTML page, probably from a proxy or an error page: \"" + detail::excerpt(body) + "\"");
  auto parsed = parse_json(body);
  if (!parsed) {
    if (!parsed.error().message.starts_with("not valid JSON"))  // nested too deep: whole, and not a Cloudflare body
      return malformed(fmt::format("its JSON is {} ({} bytes)", parsed.error().message, body.size()));
    return malformed(
        fmt::format("the body is not valid JSON ({} bytes, truncated?): \"{}\"", body.size(), detail::excerpt(body)));
  }
  json doc = std::move(*parsed);
  if (!doc.is_object() || !doc.contains("success") || !doc["success"].is_boolean())
    return malformed("the JSON has no boolean \"success\" field: \"" + detail::excerpt(body) + "\"");
  Envelope env;
  env.success = doc["success"].get<bool>();
  env.errors = detail::messages_field(doc, "errors");
  env.messages = detail::messages_field(doc, "messages");
  if (auto it = doc.find("result"); it != doc.end()) env.result = std::move(*it);
  if (auto it = doc.find("result_info"); it != doc.end() && it->is_object()) {
    const json& ri = *it;
    env.result_info.page = detail::int_field(ri, "page");
    env.result_info.per_page = detail::int_field(ri, "per_page");
    env.result_info.count = detail::int_field(ri, "count");
    env.result_info.total_count = detail::int_field(ri, "total_count");
    env.result_info.total_pages = detail::int_field(ri, "total_pages");
    env.result_info.cursor = detail::string_field(ri, "cursor");
  }
  return env;
}

/// The Error for an HTTP response that failed (status ≥ 400 or `success: false`), using Cloudflare's codes when the
/// body carries them. @p errors may be empty (a non-envelope error body).
inline Error http_error(const Response& r, std::vector<ApiMessage> errors) {
  int code = errors.empty() ? 0 : errors.front().code;
  Error e;
  e.kind = detail::kind_for(r.status, code);
  e.http_status = r.status;
  std::string what = errors.empty() ? std::string("no error details") : errors.front().message;
  if (errors.size() > 1) what += fmt::format(" (and {} more)", errors.size() - 1);
  e.message = code ? fmt::format("Cloudflare: {} (HTTP {}, code {})", what, r.status, code)
                   : fmt::format("Cloudflare: {} (HTTP {})", what, r.status);
  if (auto ra = r.headers.get("Retry-After")) {
    if (auto secs = detail::parse_int(*ra)) e.retry_after = retry_after_seconds(*secs);
  }
  if (e.kind == ErrorKind::rate_limited && e.retry_after)
    e.message +=
        fmt::format(" - retry after {} s", std::chrono::duration_cast<std::chrono::seconds>(*e.retry_after).count());
  if (auto hint = detail::hint_for(e.kind, code); !hint.empty()) e.message += "; " + hint;
  e.api_errors = std::move(errors);
  return e;
}

/// Reads a JSON API response completely: a transport failure, an error status, a malformed body or
/// `success: false` become an Error; otherwise the envelope.
///
/// Example:
/// ```
/// auto env = ckp::api::read_envelope(response);
/// if (!env) std::puts(env.error().message.c_str());
/// ```
inline Result<Envelope> read_envelope(const Response& r) {
  if (r.transport_failed()) return transport_error(r);
  auto env = parse_envelope(r.body, r.status);
  if (!env) {
    if (r.status >= 400) {
      // An error status with a non-envelope body: classify by status, keep the body excerpt as the detail.
      Error e = http_error(r, {});
      e.message = fmt::format("HTTP {} with a non-JSON body: {}", r.status, env.error().message);
      if (auto hint = detail::hint_for(e.kind, 0); !hint.empty()) e.message += "; " + hint;
      return e;
    }
    return std::move(env).error();
  }
  if (r.status >= 400 || !env->success) return http_error(r, env->errors);
  return env;
}

}  // namespace ckp::api

namespace ckp::api {

/// One page of a paged listing (zones, namespaces) with its paging info.
template <class T>
struct Page {
  std::vector<T> items;  ///< this page's items, in the API's order
  ResultInfo info;       ///< its paging information

  /// True when no page follows this one: `total_pages` says so, or (when absent) the page came back short.
  bool last(std::int64_t requested_per_page) const {
    if (info.page && info.total_pages) return *info.page >= *info.total_pages;
    return static_cast<std::int64_t>(items.size()) < requested_per_page;
  }
};

/// Reads a success envelope whose result is empty (`null` or `{}`), e.g. a delete.
inline Status read_ok(const Response& r) {
  auto env = read_envelope(r);
  if (!env) return std::move(env).error();
  return Unit{};
}

/// An Error for a success envelope whose `result` does not have the shape the spec promises.
inline Error unexpected_result(const Response& r, std::string_view what) {
  Error e = Error::make(ErrorKind::malformed_response, fmt::format("unexpected response shape (HTTP {}): {}: \"{}\"",
                                                                   r.status, what, detail::excerpt(r.body)));
  e.http_status = r.status;
  return e;
}

}  // namespace ckp::api
