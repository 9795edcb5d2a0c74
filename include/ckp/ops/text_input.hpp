#pragma once
/// @file
/// Items that are plain strings — KV keys, URLs, tags, hosts, prefixes — read from a RecordSource: one per line
/// (trimmed; blank lines skipped; `#` comments where the item kind allows them) or the string elements of a JSON
/// array. Each item is validated, and errors name the input and line.

#include <cctype>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ckp/api/error.hpp"
#include "ckp/engine/records.hpp"

namespace ckp::ops {

/// Checks one item; returns an Error describing the item (without file and line) when it is invalid.
using ItemValidator = std::function<std::optional<Error>(std::string_view)>;

namespace detail {
/// @p s with ASCII letters lower-cased.
inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
/// @p s without leading and trailing blanks and tabs.
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace detail

/// The item in @p record, nullopt for a blank line or comment, or an Error naming `file:line`.
inline Result<std::optional<std::string>> text_item(const engine::Record& record, engine::RecordFormat format,
                                                    const std::string& source, bool allow_comments,
                                                    const ItemValidator& validate) {
  std::string item;
  if (format == engine::RecordFormat::json_array) {
    auto j = nlohmann::json::parse(record.text, nullptr, false);
    if (j.is_discarded() || !j.is_string())
      return Error::make(ErrorKind::invalid_input,
                         fmt::format("{}:{}: expected a JSON string in the array", source, record.line));
    item = j.get<std::string>();
  } else {
    std::string_view line = detail::trim(record.text);
    if (line.empty() || (allow_comments && line.front() == '#')) return std::optional<std::string>{};
    item = std::string(line);
  }
  if (validate) {
    if (auto e = validate(item)) {
      e->message = fmt::format("{}:{}: {}", source, record.line, e->message);
      return std::move(*e);
    }
  }
  return std::optional<std::string>{std::move(item)};
}

/// Reads all of @p source once, validating every item; returns how many items it holds, or the first error.
/// Used before a destructive operation starts, so that a bad line 90,000 stops it before anything is sent.
inline Result<std::uint64_t> preflight_items(engine::RecordSource& source, bool allow_comments,
                                             const ItemValidator& validate) {
  std::uint64_t count = 0;
  while (auto record = source.next()) {
    auto item = text_item(*record, source.format(), source.name(), allow_comments, validate);
    if (!item) return std::move(item).error();
    count += item->has_value();
  }
  if (source.error()) return *source.error();
  source.seek(0, 1);
  return count;
}

}  // namespace ckp::ops
