#pragma once
/// @file
/// Why a spec was refused, in terms of its fields — so that each front names them in its own words: the CLI says
/// `--tag-field`, the console says "Metadata field", the library says `field`.
///
/// Every operation's spec has `validate()`, which looks at the whole spec (not one field at a time) and returns a
/// SpecError for a combination that is missing, contradictory or out of range. A front turns it into an Error with
/// to_error() and a FieldNamer.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ckp/api/error.hpp"

namespace ckp::ops {

/// Names a spec field in a front's words (e.g. `"field"` → `"--tag-field"`).
using FieldNamer = std::function<std::string(std::string_view field)>;

/// A refused spec: the fields concerned and a message in which `{0}`, `{1}`, … stand for their names.
struct SpecError {
  std::vector<std::string> fields;  ///< spec field names, e.g. {"all_keys", "prefix"}
  std::string message;              ///< e.g. "{0} selects every key; it cannot be combined with {1}"

  /// The message with each `{i}` replaced by @p name_of(fields[i]) (by default the field's name in backquotes),
  /// as an ErrorKind::invalid_input Error.
  Error to_error(const FieldNamer& name_of = {}) const {
    std::string out;
    for (std::size_t i = 0; i < message.size(); ++i) {
      const auto close = message.find('}', i);
      if (message[i] == '{' && close != std::string::npos && close > i + 1) {
        const std::string digits = message.substr(i + 1, close - i - 1);
        if (digits.find_first_not_of("0123456789") == std::string::npos) {
          const auto index = static_cast<std::size_t>(std::stoul(digits));
          if (index < fields.size()) {
            out += name_of ? name_of(fields[index]) : "`" + fields[index] + "`";
            i = close;
            continue;
          }
        }
      }
      out += message[i];
    }
    return Error::make(ErrorKind::invalid_input, std::move(out));
  }
};

/// A SpecError about @p fields, with @p message (see SpecError).
inline std::optional<SpecError> refuse(std::vector<std::string> fields, std::string message) {
  return SpecError{std::move(fields), std::move(message)};
}

}  // namespace ckp::ops
