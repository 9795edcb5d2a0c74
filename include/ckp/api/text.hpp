#pragma once
/// @file
/// Small text helpers every layer uses: ASCII case folding and trimming blanks. (Cloudflare compares header names,
/// hosts and the metadata search case-insensitively in ASCII only; nothing here knows Unicode case.)

#include <cctype>
#include <string>
#include <string_view>

namespace ckp::api {

/// @p s with ASCII letters lower-cased; other bytes (UTF-8 included) unchanged.
///
/// ```
/// ckp::api::ascii_lower("WWW.Example.COM");   // "www.example.com"
/// ```
inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// @p s without leading and trailing blanks and tabs.
///
/// ```
/// ckp::api::trim_blanks(" \tcache-tag ");   // "cache-tag"
/// ```
constexpr std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace ckp::api
