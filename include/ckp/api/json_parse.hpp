#pragma once
/// @file
/// Parsing JSON that comes from outside the program — input files, flags, API responses, journals, browser storage,
/// request bodies — with a cap on how deeply it may nest.
///
/// nlohmann's parser is iterative, so a document nested 100,000 levels deep (`[[[[…`, 200 KB) parses fine; but
/// everything that walks it afterwards recurses: `dump()`, comparisons, our own metadata search and validation. Such
/// a document overflows the stack there, long after the parse. Every parse of outside text goes through here
/// instead, so that nothing deeper than max_json_depth ever becomes a `json` value.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ckp/api/error.hpp"

namespace ckp::api {

/// How deeply outside JSON may nest, counted in containers: `1` is depth 0, `[1]` depth 1, `{"a":[1]}` depth 2.
/// Generous: Cloudflare's envelopes nest 4 or 5 levels, KV metadata is at most 1024 bytes, journals a handful; yet
/// far from any stack's end when recursed (the emulator keeps its own, stricter emu::max_json_depth).
inline constexpr std::size_t max_json_depth = 128;

namespace detail {
/// Whether @p text opens more than @p max_depth containers (`[`, `{`) at once, outside strings. One pass over the
/// bytes, stopping at the first container too many. For valid JSON this is exactly the nesting the parser would
/// build; for invalid JSON the answer does not matter (the parse fails either way). A scan rather than a parser
/// callback: nlohmann's callback parser calls a std::function for every value, which made a 1,000-key list page
/// parse about twice as slow.
inline bool nests_deeper_than(std::string_view text, std::size_t max_depth) noexcept {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;  // skip the escaped byte (an escaped quote does not end the string)
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

/// nlohmann's parse_error text, shortened to the position and the reason: "at column 5: syntax error while parsing
/// value - invalid literal" (one-line text) or "at line 2, column 3: …". Drops the `[json.exception.parse_error.101]`
/// prefix and the `; last read: '…'` tail, which may echo a long run of the input.
inline std::string parse_error_text(const nlohmann::json::parse_error& e) {
  std::string_view what = e.what();
  if (auto close = what.find("] "); what.starts_with("[json.exception.") && close != std::string_view::npos)
    what.remove_prefix(close + 2);
  if (auto tail = what.find("; last read"); tail != std::string_view::npos) what = what.substr(0, tail);
  std::string out;
  if (what.starts_with("parse error at line 1, column ")) out = "at column " + std::string(what.substr(30));
  else if (what.starts_with("parse error at ")) out = "at " + std::string(what.substr(15));
  else if (what.starts_with("parse error: ")) out = std::string(what.substr(13));
  else out = std::string(what);
  if (out.size() > 200) out.resize(200);
  return out;
}
}  // namespace detail

/// Parses @p text as one JSON document nested at most @p max_depth containers deep.
///
/// Fails with ErrorKind::invalid_input: "nested deeper than N levels" (the parse stops at the first container past
/// the limit, so a 100,000-deep document costs no more than N levels of work), or "not valid JSON (at column C: …)"
/// ("at line L, column C" for text of several lines). Callers prefix the message with where the text came from
/// (`file:line: `, a flag's name) and may change the kind (a journal, a response). Whatever the text, nothing is
/// thrown (short of std::bad_alloc).
///
/// ```
/// auto j = ckp::api::parse_json(R"({"type":"page"})");        // ok: {"type":"page"}
/// ckp::api::parse_json("[[1]]", 1).error().message;            // "nested deeper than 1 levels"
/// ckp::api::parse_json("{\"a\":").error().message;             // "not valid JSON (at column 6: syntax error …)"
/// ```
inline Result<nlohmann::json> parse_json(std::string_view text, std::size_t max_depth = max_json_depth) {
  if (detail::nests_deeper_than(text, max_depth))
    return Error::make(ErrorKind::invalid_input, fmt::format("nested deeper than {} levels", max_depth));
  try {
    return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/true);
  } catch (const nlohmann::json::parse_error& e) {
    return Error::make(ErrorKind::invalid_input, "not valid JSON (" + detail::parse_error_text(e) + ")");
  } catch (const nlohmann::json::exception& e) {  // not expected from a parse; kept so that nothing escapes
    return Error::make(ErrorKind::invalid_input, std::string("not valid JSON (") + e.what() + ")");
  }
}

/// parse_json() for call sites that only need to know whether the text was usable: the document, or a *discarded*
/// value (`is_discarded()`, as `nlohmann::json::parse(text, nullptr, false)` returns) when it is not valid JSON or
/// is nested deeper than @p max_depth. A discarded value is neither an object, an array, a string nor null.
///
/// ```
/// auto head = ckp::api::parse_json_or_discarded(stored_text);
/// if (!head.is_object()) return;   // corrupt, too deep or not an object: ignored alike
/// ```
inline nlohmann::json parse_json_or_discarded(std::string_view text, std::size_t max_depth = max_json_depth) {
  auto j = parse_json(text, max_depth);
  if (!j) return nlohmann::json(nlohmann::json::value_t::discarded);
  return std::move(*j);
}

}  // namespace ckp::api
