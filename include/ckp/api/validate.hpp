#pragma once
/// @file
/// Input validation before anything is sent. Each check returns nullopt when the input is fine, or an Error of kind
/// `invalid_input` whose message names the offending item and the limit it breaks. Callers that read files prefix
/// the file name and line.

#include <algorithm>
#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ckp/api/error.hpp"
#include "ckp/api/json_parse.hpp"
#include "ckp/api/limits.hpp"
#include "ckp/api/url.hpp"

namespace ckp::api {

namespace detail {

/// A quoted, shortened, printable rendering of @p s for messages (a 5 KB key must not flood the terminal).
inline std::string quote_short(std::string_view s, std::size_t max = 48) {
  std::string out = "\"";
  std::size_t shown = 0;
  for (unsigned char c : s) {
    if (shown == max) {
      out += "...";
      break;
    }
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(c);
    }
    ++shown;
  }
  return out + "\"";
}

/// True when @p s is well-formed UTF-8 (no overlongs, no surrogates, ≤ U+10FFFF).
inline bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n;
    std::uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else return false;
    if (i + n >= s.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

inline Error invalid(std::string message) { return Error::make(ErrorKind::invalid_input, std::move(message)); }

}  // namespace detail

/// Checks a KV key name: not empty, not `.` or `..`, valid UTF-8, at most 512 bytes.
inline std::optional<Error> validate_key(std::string_view key) {
  if (key.empty()) return detail::invalid("empty key: Workers KV keys must not be empty");
  if (key == "." || key == "..")
    return detail::invalid(fmt::format("key \"{}\" is not allowed: Workers KV forbids \".\" and \"..\"", key));
  if (key.size() > kv_limits::max_key_bytes)
    return detail::invalid(fmt::format("key {} is {} bytes; Workers KV keys are at most {} bytes",
                                       detail::quote_short(key), key.size(), kv_limits::max_key_bytes));
  if (!detail::is_valid_utf8(key))
    return detail::invalid(fmt::format("key {} is not valid UTF-8", detail::quote_short(key)));
  return std::nullopt;
}

/// Checks metadata: its serialized JSON is at most 1024 bytes.
inline std::optional<Error> validate_metadata(const nlohmann::json& metadata, std::string_view key = {}) {
  std::string serialized = metadata.dump();
  if (serialized.size() > kv_limits::max_metadata_bytes)
    return detail::invalid(fmt::format("metadata{} is {} bytes serialized; Workers KV allows at most {} bytes",
                                       key.empty() ? "" : " of key " + detail::quote_short(key), serialized.size(),
                                       kv_limits::max_metadata_bytes));
  return std::nullopt;
}

/// Checks a value's size: at most 25 MiB.
inline std::optional<Error> validate_value_size(std::size_t bytes, std::string_view key = {}) {
  if (bytes > kv_limits::max_value_bytes)
    return detail::invalid(fmt::format("value{} is {} bytes; Workers KV values are at most {} bytes (25 MiB)",
                                       key.empty() ? "" : " of key " + detail::quote_short(key), bytes,
                                       kv_limits::max_value_bytes));
  return std::nullopt;
}

/// Checks `expiration_ttl`: at least 60 seconds.
inline std::optional<Error> validate_expiration_ttl(std::int64_t ttl) {
  if (ttl < kv_limits::min_expiration_ttl)
    return detail::invalid(fmt::format("expiration_ttl {} is too short; Workers KV needs at least {} seconds", ttl,
                                       kv_limits::min_expiration_ttl));
  return std::nullopt;
}

/// Checks an absolute `expiration` (Unix seconds) against @p now_unix: at least 60 s in the future, and within the
/// signed 32-bit range Cloudflare stores.
inline std::optional<Error> validate_expiration(std::int64_t expiration, std::int64_t now_unix) {
  if (expiration > INT32_MAX)
    return detail::invalid(
        fmt::format("expiration {} is beyond 2038-01-19; Workers KV stores 32-bit times", expiration));
  if (expiration < now_unix + kv_limits::min_expiration_ahead)
    return detail::invalid(fmt::format("expiration {} is not at least {} seconds in the future (now is {})", expiration,
                                       kv_limits::min_expiration_ahead, now_unix));
  return std::nullopt;
}

/// Checks a URL to purge: absolute http or https with a valid host.
inline std::optional<Error> validate_purge_url(std::string_view url) {
  if (!parse_url(url))
    return detail::invalid(fmt::format("URL {} is not an absolute http:// or https:// URL with a valid host",
                                       detail::quote_short(url, 120)));
  return std::nullopt;
}

/// Checks a purge prefix: `host/path` without a scheme, at most 31 path separators.
inline std::optional<Error> validate_purge_prefix(std::string_view prefix) {
  if (prefix.find("://") != std::string_view::npos)
    return detail::invalid(fmt::format("prefix {} must not include a scheme: write it as host/path, e.g. "
                                       "www.example.com/images",
                                       detail::quote_short(prefix, 120)));
  std::string_view host = prefix.substr(0, prefix.find('/'));
  if (!is_valid_hostname(host))
    return detail::invalid(
        fmt::format("prefix {} does not start with a valid host name", detail::quote_short(prefix, 120)));
  auto separators = std::count(prefix.begin(), prefix.end(), '/');
  if (separators > purge_limits::max_prefix_separators)
    return detail::invalid(fmt::format("prefix {} has {} path separators; Cloudflare allows at most {}",
                                       detail::quote_short(prefix, 120), separators,
                                       purge_limits::max_prefix_separators));
  return std::nullopt;
}

/// Checks a host name to purge: a valid DNS name of at most 200 characters.
inline std::optional<Error> validate_purge_host(std::string_view host) {
  if (host.size() > purge_limits::max_host_chars)
    return detail::invalid(fmt::format("host {} is {} characters; Cloudflare allows at most {}",
                                       detail::quote_short(host), host.size(), purge_limits::max_host_chars));
  if (!is_valid_hostname(host))
    return detail::invalid(
        fmt::format("host {} is not a valid host name (no scheme, no path)", detail::quote_short(host)));
  return std::nullopt;
}

/// Checks a cache tag: 1–1024 printable characters, no comma (the Cache-Tag header separates tags with commas).
inline std::optional<Error> validate_cache_tag(std::string_view tag) {
  if (tag.empty()) return detail::invalid("empty cache tag");
  if (tag.size() > purge_limits::max_tag_chars)
    return detail::invalid(fmt::format("cache tag {} is {} characters; Cloudflare allows at most {}",
                                       detail::quote_short(tag), tag.size(), purge_limits::max_tag_chars));
  for (unsigned char c : tag)
    if (c < 0x20 || c == 0x7f || c == ',')
      return detail::invalid(
          fmt::format("cache tag {} contains a comma or control character", detail::quote_short(tag)));
  return std::nullopt;
}

/// Checks a namespace title: 1–512 bytes.
inline std::optional<Error> validate_namespace_title(std::string_view title) {
  if (title.empty()) return detail::invalid("empty namespace title");
  if (title.size() > kv_limits::max_namespace_title)
    return detail::invalid(
        fmt::format("namespace title is {} bytes; at most {} allowed", title.size(), kv_limits::max_namespace_title));
  return std::nullopt;
}

/// Parses metadata given as JSON text (a flag, a form field) and checks it; an Error says what is wrong, for the
/// key @p key when given.
inline Result<nlohmann::json> parse_metadata(std::string_view text, std::string_view key = {}) {
  auto j = parse_json(text);
  if (!j)
    return detail::invalid("metadata is " + j.error().message +
                           "; write it as a JSON object, e.g. {\"type\": \"page\"}");
  if (auto e = validate_metadata(*j, key)) return *e;
  return std::move(*j);
}

/// Checks one write of a single key as a whole: the key, the value's size (@p value_bytes), and its options —
/// metadata, and at most one of an expiration TTL (≥ 60 s) and an absolute expiration (≥ 60 s after @p now_unix).
/// The one check a put goes through, whichever front makes it.
inline std::optional<Error> validate_write(std::string_view key, std::size_t value_bytes,
                                           const std::optional<nlohmann::json>& metadata,
                                           std::optional<std::int64_t> expiration_ttl,
                                           std::optional<std::int64_t> expiration, std::int64_t now_unix) {
  if (auto e = validate_key(key)) return e;
  if (auto e = validate_value_size(value_bytes, key)) return e;
  if (metadata)
    if (auto e = validate_metadata(*metadata, key)) return e;
  if (expiration_ttl && expiration)
    return detail::invalid("give an expiration TTL or an absolute expiration, not both");
  if (expiration_ttl)
    if (auto e = validate_expiration_ttl(*expiration_ttl)) return e;
  if (expiration)
    if (auto e = validate_expiration(*expiration, now_unix)) return e;
  return std::nullopt;
}

/// True when @p s looks like a Cloudflare identifier (32 hexadecimal characters): account, zone, namespace ids.
inline bool looks_like_id(std::string_view s) {
  if (s.size() != 32) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

/// The first control character (C0 or DEL) in @p text, described without quoting the text — e.g. "a line feed (LF)
/// at character 41 of 41" — or nullopt when there is none. For anything that ends up in an HTTP header, credentials
/// above all: CR or LF would end the header early and smuggle in others; the rest are refused or mangled on the way.
inline std::optional<std::string> control_character_in(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != 0x7f) continue;
    const std::string what = c == '\n'   ? "a line feed (LF)"
                             : c == '\r' ? "a carriage return (CR)"
                             : c == '\t' ? "a tab"
                             : c == 0    ? "a NUL byte"
                                         : fmt::format("a control character (0x{:02x})", c);
    return fmt::format("{} at character {} of {}", what, i + 1, text.size());
  }
  return std::nullopt;
}

}  // namespace ckp::api
