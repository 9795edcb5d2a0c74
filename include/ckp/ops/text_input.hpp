#pragma once
/// @file
/// Items that are plain strings — KV keys, URLs, tags, hosts, prefixes — read from a RecordSource: one per line, or
/// the string elements of a JSON array. Key names are taken exactly as written (TextRules::exact); purge items in a
/// text file may be padded and commented (TextRules::list_file). Each item is validated, and errors name the input
/// and line.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ckp/api/error.hpp"
#include "ckp/api/json_parse.hpp"
#include "ckp/api/text.hpp"
#include "ckp/io/records.hpp"

namespace ckp::ops {

/// Checks one item; returns an Error describing the item (without file and line) when it is invalid.
using ItemValidator = std::function<std::optional<Error>(std::string_view)>;

/// How a line of a text file becomes an item. A JSON array's string elements are always taken exactly.
struct TextRules {
  bool trim = false;      ///< strip blanks and tabs around the item
  bool comments = false;  ///< a line whose first non-blank byte is `#` is a comment

  /// KV key names: the line is the key, byte for byte (a key may start with `#` or end with a blank). Only an empty
  /// line is skipped (no key is empty); a line break is `\n` or `\r\n`.
  static constexpr TextRules exact() { return {false, false}; }
  /// URLs, tags, hosts and prefixes in a text file: blanks around an item are dropped (none of these can start or
  /// end with one) and `#` starts a comment line. Never used for items given as flags: those arrive as a JSON array.
  static constexpr TextRules list_file() { return {true, true}; }
};

/// The item in @p record, nullopt for a skipped line (empty, or a blank/comment line where @p rules allow), or an
/// Error naming `file:line`.
inline Result<std::optional<std::string>> text_item(const io::Record& record, io::RecordFormat format,
                                                    const std::string& source, TextRules rules,
                                                    const ItemValidator& validate) {
  std::string item;
  if (format == io::RecordFormat::json_array) {
    auto j = api::parse_json(record.text);
    if (!j || !j->is_string())
      return Error::make(ErrorKind::invalid_input,
                         fmt::format("{}:{}: expected a JSON string in the array", source, record.line));
    item = j->get<std::string>();
  } else {
    std::string_view line = rules.trim ? api::trim_blanks(record.text) : std::string_view(record.text);
    if (line.empty() || (rules.comments && api::trim_blanks(line).starts_with('#')))
      return std::optional<std::string>{};
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
inline Result<std::uint64_t> preflight_items(io::RecordSource& source, TextRules rules, const ItemValidator& validate) {
  std::uint64_t count = 0;
  while (auto record = source.next()) {
    auto item = text_item(*record, source.format(), source.name(), rules, validate);
    if (!item) return std::move(item).error();
    count += item->has_value();
  }
  if (source.error()) return *source.error();
  if (auto e = io::rewind(source)) return *e;
  return count;
}

/// @p items as the text of a JSON array of strings: how items given as flags travel, so that none of them is ever
/// read as a comment, trimmed or split.
inline std::string json_array_text(const std::vector<std::string>& items) { return nlohmann::json(items).dump(); }

}  // namespace ckp::ops
