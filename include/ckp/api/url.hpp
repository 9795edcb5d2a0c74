#pragma once
/// @file
/// Percent-encoding and the small amount of URL parsing the engine needs (purge URLs, base URLs, zone detection).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ckp::api {

namespace detail {
constexpr bool is_unreserved(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace detail

/// Percent-encodes every byte of @p s except RFC 3986 unreserved characters, so that the result is safe as one path
/// segment or one query component. Used for KV key names: `a/b c` becomes `a%2Fb%20c`.
///
/// Example: `url_encode_component("über/1")` is `"%C3%BCber%2F1"`.
inline std::string url_encode_component(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if (detail::is_unreserved(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
  }
  return out;
}

/// Decodes percent-escapes in @p s; with @p plus_is_space, `+` becomes a space (form/query encoding).
/// Returns nullopt when an escape is malformed (`%` not followed by two hex digits).
inline std::optional<std::string> url_decode(std::string_view s, bool plus_is_space = false) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = detail::hex_value(s[i + 1]);
      int lo = detail::hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

/// The parts of an absolute http(s) URL that matter to us.
struct Url {
  std::string scheme;                 ///< lower-case: "http" or "https"
  std::string host;                   ///< lower-case host name or IP literal (without brackets)
  std::optional<std::uint16_t> port;  ///< the explicit port, if the URL has one (see effective_port())
  std::string path;                   ///< path and query, starting with '/', or empty

  /// scheme://host[:port] as it should appear in an Origin header or a base URL.
  std::string origin() const {
    std::string o = scheme + "://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host);
    if (port) o += ":" + std::to_string(*port);
    return o;
  }
  /// The port to connect to: the explicit one, or 80/443 by scheme.
  std::uint16_t effective_port() const { return port ? *port : (scheme == "https" ? 443 : 80); }
};

/// True when @p host is a syntactically valid DNS host name: 1–253 characters, dot-separated labels of 1–63
/// letters, digits, hyphens or underscores, no label starting or ending with a hyphen.
inline bool is_valid_hostname(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  if (host.back() == '.') host.remove_suffix(1);  // a fully-qualified trailing dot is fine
  std::size_t label_len = 0;
  char prev = '.';
  for (char c : host) {
    if (c == '.') {
      if (label_len == 0 || prev == '-') return false;
      label_len = 0;
    } else {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!ok || (label_len == 0 && c == '-') || ++label_len > 63) return false;
    }
    prev = c;
  }
  return label_len > 0 && prev != '-';
}

/// Parses an absolute http or https URL. Returns nullopt for anything else (relative URLs, other schemes, a missing
/// or invalid host, a bad port). Host and scheme are lower-cased; the path is kept byte for byte.
inline std::optional<Url> parse_url(std::string_view text) {
  auto lower = [](std::string_view s) {
    std::string r(s);
    for (char& c : r)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return r;
  };
  auto colon = text.find("://");
  if (colon == std::string_view::npos) return std::nullopt;
  Url url;
  url.scheme = lower(text.substr(0, colon));
  if (url.scheme != "http" && url.scheme != "https") return std::nullopt;
  std::string_view rest = text.substr(colon + 3);
  std::size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  if (authority.find('@') != std::string_view::npos) return std::nullopt;  // no credentials in URLs
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {  // IPv6 literal
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
    }
    if (host.empty()) return std::nullopt;
  } else {
    auto pc = authority.rfind(':');
    if (pc != std::string_view::npos) {
      host = authority.substr(0, pc);
      port = authority.substr(pc + 1);
    }
    if (!is_valid_hostname(host)) return std::nullopt;
  }
  if (!port.empty() || (authority.size() && authority.back() == ':')) {
    if (port.empty() || port.size() > 5) return std::nullopt;
    unsigned value = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) return std::nullopt;
    url.port = static_cast<std::uint16_t>(value);
  }
  url.host = lower(host);
  if (!url.host.empty() && url.host.back() == '.') url.host.pop_back();
  url.path = std::string(tail);
  return url;
}

}  // namespace ckp::api
