#pragma once
/// @file
/// Reading what a client sent: query parameters, JSON bodies (with a nesting limit, so no body can exhaust the
/// stack later), content types, key names and expiration parameters. Every failure is a ready Cloudflare response.

#include <cctype>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ckp/api/http.hpp"
#include "ckp/api/json_parse.hpp"
#include "ckp/api/limits.hpp"
#include "ckp/api/time.hpp"
#include "ckp/api/validate.hpp"
#include "ckp/emu/respond.hpp"

namespace ckp::emu {

/// A value, or the error response to send instead.
template <class T>
using Parsed = std::variant<T, api::Response>;

/// The first value of query parameter @p name.
inline std::optional<std::string> query_param(const api::Request& r, std::string_view name) {
  for (const auto& [k, v] : r.query)
    if (k == name) return v;
  return std::nullopt;
}

/// Parses a non-negative decimal integer (digits only, at most 18 of them).
inline std::optional<std::int64_t> parse_count(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

/// Parses a number given as a query parameter: an integer, optionally with a fraction that is dropped (the spec
/// types these as `number`). Negative values are allowed so that they can be rejected with a clear message.
inline std::optional<std::int64_t> parse_number_param(std::string_view s) {
  bool negative = !s.empty() && s.front() == '-';
  if (negative) s.remove_prefix(1);
  auto dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  if (dot != std::string_view::npos) {
    std::string_view frac = s.substr(dot + 1);
    if (frac.empty() || frac.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  }
  auto v = parse_count(whole);
  if (!v) return std::nullopt;
  return negative ? -*v : *v;
}

/// True when the request's Content-Type starts with @p type (case-insensitive).
inline bool content_type_is(const api::Request& r, std::string_view type) {
  auto ct = r.headers.get("Content-Type");
  if (!ct || ct->size() < type.size()) return false;
  return api::iequals(std::string_view(*ct).substr(0, type.size()), type);
}

/// How deep JSON in a request may nest (in containers, as api::parse_json() counts). Bodies nest a few levels;
/// metadata may hold a small tree. The limit keeps later recursive work (serializing, searching) far from the
/// stack's end; it is stricter than the client's api::max_json_depth, so that whatever the emulator stores and
/// serves, the client can read back.
inline constexpr std::size_t max_json_depth = 64;

/// Parses @p text as JSON; nullopt when malformed or nested deeper than max_json_depth.
inline std::optional<nlohmann::json> parse_json_limited(std::string_view text) {
  auto j = api::parse_json(text, max_json_depth);
  if (!j) return std::nullopt;
  return std::move(*j);
}

/// Reads a JSON request body. A Content-Type other than JSON is rejected like Cloudflare does (6003 with 6105);
/// a missing one is accepted.
inline Parsed<nlohmann::json> json_body(const api::Request& r) {
  if (r.headers.has("Content-Type") && !content_type_is(r, "application/json"))
    return invalid_header(code::invalid_content_type,
                          "Invalid Content-Type header, valid values are application/json,multipart/form-data");
  auto j = parse_json_limited(r.body);
  if (!j) return malformed_json();
  return std::move(*j);
}

/// Checks a key name as Workers KV does: 400 for empty, ".", "..", or not UTF-8; 414 over 512 bytes.
inline std::optional<api::Response> check_key(std::string_view key) {
  if (key.empty()) return failure(400, code::invalid_key, "Key names must not be empty");
  if (key == "." || key == "..")
    return failure(400, code::invalid_key, fmt::format("Illegal key name \"{}\". Please use a different name.", key));
  if (key.size() > api::kv_limits::max_key_bytes)
    return failure(414, code::key_too_long,
                   fmt::format("UTF-8 encoded length of {} exceeds key length limit of {}.", key.size(),
                               api::kv_limits::max_key_bytes));
  if (!api::detail::is_valid_utf8(key)) return failure(400, code::invalid_key, "Key names must be valid UTF-8");
  return std::nullopt;
}

/// 413 for a value over 25 MiB.
inline std::optional<api::Response> check_value_size(std::size_t bytes) {
  if (bytes > api::kv_limits::max_value_bytes)
    return failure(413, code::value_too_large,
                   fmt::format("Value length of {} exceeds limit of {}.", bytes, api::kv_limits::max_value_bytes));
  return std::nullopt;
}

/// Serializes metadata, or 413 when the result is over 1024 bytes.
inline Parsed<std::string> metadata_text(const nlohmann::json& metadata) {
  std::string text = dump_json(metadata);
  if (text.size() > api::kv_limits::max_metadata_bytes)
    return failure(413, code::metadata_too_large,
                   fmt::format("Metadata length of {} exceeds limit of {}.", text.size(),
                               api::kv_limits::max_metadata_bytes));
  return text;
}

/// Resolves `expiration` / `expiration_ttl` (Unix seconds / seconds from @p now) into an absolute expiration
/// (0 = never). The TTL wins when both are given; the absolute one is then ignored, as Cloudflare documents.
inline Parsed<std::int64_t> resolve_expiration(std::optional<std::int64_t> expiration, std::optional<std::int64_t> ttl,
                                               Instant now) {
  std::int64_t now_s = to_unix_seconds(now);
  if (ttl) {
    if (*ttl < api::kv_limits::min_expiration_ttl)
      return failure(400, code::invalid_expiration,
                     fmt::format("Invalid expiration_ttl of {}. Please specify integer greater than or equal to {}.",
                                 *ttl, api::kv_limits::min_expiration_ttl));
    if (*ttl > INT32_MAX - now_s)
      return failure(400, code::invalid_expiration,
                     fmt::format("Invalid expiration_ttl of {}. Expirations must fit in 32 bits.", *ttl));
    return now_s + *ttl;
  }
  if (expiration) {
    if (*expiration < now_s + api::kv_limits::min_expiration_ahead || *expiration > INT32_MAX)
      return failure(400, code::invalid_expiration,
                     fmt::format("Invalid expiration of {}. Please specify integer greater than the current number "
                                 "of seconds since the UNIX epoch plus {} (now {}).",
                                 *expiration, api::kv_limits::min_expiration_ahead, now_s));
    return *expiration;
  }
  return std::int64_t{0};
}

/// Reads an integer-valued JSON number field (`expiration`, `expiration_ttl` of a bulk item). Fractions are
/// dropped; anything else is an error response.
inline Parsed<std::optional<std::int64_t>> json_number_field(const nlohmann::json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::optional<std::int64_t>{};
  if (it->is_number_integer()) return std::optional<std::int64_t>{it->get<std::int64_t>()};
  if (it->is_number_float()) {
    double d = it->get<double>();
    if (d > -9e15 && d < 9e15) return std::optional<std::int64_t>{static_cast<std::int64_t>(d)};
  }
  return failure(400, code::invalid_expiration, fmt::format("\"{}\" must be a number", name));
}

}  // namespace ckp::emu
