#pragma once
/// @file
/// Parsers for the headers Cloudflare uses to talk about rate limits: `Ratelimit`, `Ratelimit-Policy`
/// (IETF draft structured fields, e.g. `"default";r=50;t=30`) and `Retry-After` (seconds or an HTTP date).

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ckp/api/text.hpp"

#include "ckp/api/time.hpp"

namespace ckp::api {

/// One list member of `Ratelimit`: the policy name, remaining quota `r`, seconds until the window resets `t`.
/// Cloudflare sends whole seconds; a time-scaled emulator may send decimals (`t=0.25`), which are accepted.
struct RateLimitState {
  std::string policy;                   ///< the policy's name, e.g. `default`
  std::optional<double> remaining;      ///< `r`: requests left in the window, when sent
  std::optional<double> reset_seconds;  ///< `t`: seconds until the window resets, when sent
};

/// One list member of `Ratelimit-Policy`: the policy name, quota `q` per window of `w` seconds.
struct RateLimitPolicyHeader {
  std::string policy;                    ///< the policy's name: `default`, or `purge-flex` / `purge-urls` (emulator)
  std::optional<double> quota;           ///< `q`: requests (or tokens) per window, when sent
  std::optional<double> window_seconds;  ///< `w`: the window in seconds, when sent
};

namespace detail {

struct SfItem {
  std::string name;
  std::vector<std::pair<std::string, double>> params;  // numeric parameters only; others are skipped
};

inline std::optional<std::int64_t> parse_int(std::string_view s) {
  s = trim_blanks(s);
  if (s.empty() || s.size() > 15) return std::nullopt;
  bool negative = s.front() == '-';
  if (negative) s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return negative ? -v : v;
}

/// Parses a structured-field number: an integer or a decimal with up to three fraction digits.
inline std::optional<double> parse_number(std::string_view s) {
  s = trim_blanks(s);
  auto dot = s.find('.');
  if (dot == std::string_view::npos) {
    auto i = parse_int(s);
    return i ? std::optional<double>(static_cast<double>(*i)) : std::nullopt;
  }
  std::string_view frac = s.substr(dot + 1);
  if (frac.empty() || frac.size() > 3) return std::nullopt;
  auto whole = parse_int(s.substr(0, dot));
  auto part = parse_int(frac);
  if (!whole || !part || frac.front() == '-') return std::nullopt;
  double scale = frac.size() == 1 ? 10.0 : frac.size() == 2 ? 100.0 : 1000.0;
  double magnitude = static_cast<double>(*whole < 0 ? -*whole : *whole) + static_cast<double>(*part) / scale;
  return s.front() == '-' ? -magnitude : magnitude;
}

/// A forgiving parser for a structured-field list whose members are a name with integer parameters.
/// Malformed members are skipped, never fatal: a header must never break a request.
inline std::vector<SfItem> parse_sf_list(std::string_view header) {
  std::vector<SfItem> items;
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view member = trim_blanks(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    if (member.empty()) continue;
    SfItem item;
    auto semi = member.find(';');
    std::string_view name = trim_blanks(member.substr(0, semi));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
    item.name = std::string(name);
    while (semi != std::string_view::npos) {
      member = member.substr(semi + 1);
      semi = member.find(';');
      std::string_view param = trim_blanks(member.substr(0, semi));
      auto eq = param.find('=');
      if (eq == std::string_view::npos) continue;
      if (auto v = parse_number(param.substr(eq + 1)))
        item.params.emplace_back(std::string(trim_blanks(param.substr(0, eq))), *v);
    }
    items.push_back(std::move(item));
  }
  return items;
}

inline std::optional<double> param(const SfItem& item, std::string_view key) {
  for (const auto& [k, v] : item.params)
    if (k == key) return v;
  return std::nullopt;
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian; Howard Hinnant's algorithm).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace detail

/// Parses a `Ratelimit` header value. Unknown or malformed members are skipped.
inline std::vector<RateLimitState> parse_ratelimit(std::string_view header) {
  std::vector<RateLimitState> out;
  for (const auto& item : detail::parse_sf_list(header))
    out.push_back({item.name, detail::param(item, "r"), detail::param(item, "t")});
  return out;
}

/// Parses a `Ratelimit-Policy` header value. Unknown or malformed members are skipped.
inline std::vector<RateLimitPolicyHeader> parse_ratelimit_policy(std::string_view header) {
  std::vector<RateLimitPolicyHeader> out;
  for (const auto& item : detail::parse_sf_list(header))
    out.push_back({item.name, detail::param(item, "q"), detail::param(item, "w")});
  return out;
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the HTTP date form, to Unix seconds.
inline std::optional<std::int64_t> parse_http_date(std::string_view s) {
  s = trim_blanks(s);
  auto comma = s.find(", ");
  if (comma == std::string_view::npos || s.size() != comma + 2 + 24) return std::nullopt;
  std::string_view d = s.substr(comma + 2);  // "06 Nov 1994 08:49:37 GMT"
  static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  unsigned month = 0;
  for (unsigned i = 0; i < 12; ++i)
    if (d.substr(3, 3) == months[i]) month = i + 1;
  auto day = detail::parse_int(d.substr(0, 2)), year = detail::parse_int(d.substr(7, 4));
  auto hh = detail::parse_int(d.substr(12, 2)), mm = detail::parse_int(d.substr(15, 2)),
       ss = detail::parse_int(d.substr(18, 2));
  if (!month || !day || !year || !hh || !mm || !ss || d.substr(21) != "GMT" || *day < 1 || *day > 31 || *hh > 23 ||
      *mm > 59 || *ss > 60)
    return std::nullopt;
  return detail::days_from_civil(*year, month, static_cast<unsigned>(*day)) * 86400 + *hh * 3600 + *mm * 60 + *ss;
}

/// The longest wait a `Retry-After` may ask for. Cloudflare's lockout is five minutes; a larger value is a
/// broken proxy, and taking it literally would overflow the clock (found by fuzzing), so it is capped.
inline constexpr Duration max_retry_after = std::chrono::hours(24);

/// Delta seconds from a `Retry-After` header as a Duration: nullopt when negative, capped at max_retry_after.
inline std::optional<Duration> retry_after_seconds(std::int64_t secs) {
  if (secs < 0) return std::nullopt;
  const auto cap = std::chrono::duration_cast<std::chrono::seconds>(max_retry_after).count();
  return std::chrono::duration_cast<Duration>(std::chrono::seconds{std::min(secs, cap)});
}

/// Parses `Retry-After`: delta seconds (what Cloudflare sends) or an HTTP date, relative to @p now.
/// Returns nullopt when the value is neither. A date in the past means "now" (zero); waits are capped at
/// max_retry_after.
inline std::optional<Duration> parse_retry_after(std::string_view value, Instant now) {
  if (auto secs = detail::parse_int(value)) return retry_after_seconds(*secs);
  if (auto at = parse_http_date(value)) {
    auto delta = from_unix_seconds(*at) - now;
    return delta.count() > 0 ? std::min(delta, max_retry_after) : Duration{0};
  }
  return std::nullopt;
}

}  // namespace ckp::api
