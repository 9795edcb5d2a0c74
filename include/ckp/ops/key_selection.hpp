#pragma once
/// @file
/// Which keys of a namespace an operation acts on, and the one predicate that decides it — used by `kv list`'s
/// filters, a delete's confirmation preview, its dry run and the delete itself, in the CLI and in the console, so
/// that what a user saw is what is acted on.
///
/// The rule (docs/commands.md, "Selecting keys"):
/// - Keys come from one source: a listing of the namespace, or a list of names (a keys file, `--keys`, `--key`).
/// - Every filter given must match — filters only ever narrow. `prefix` and `pattern` test the name, so they apply
///   to a list of names too; `search` and `field`/`value` test metadata, which only a listing shows, so they are
///   refused with a list of names.
/// - A listing must be narrowed by at least one filter, or say `all_keys` — which takes no filter beside it. An
///   empty filter is not given: it never means "everything".

#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ckp/api/error.hpp"
#include "ckp/api/kv.hpp"
#include "ckp/api/text.hpp"
#include "ckp/ops/metadata_match.hpp"
#include "ckp/ops/spec_error.hpp"
#include "ckp/ops/text_input.hpp"

namespace ckp::ops {

/// The filters of a key selection (see the file's comment). Part of the delete and sync-purge specs.
struct KeySelection {
  std::string prefix;     ///< names starting with this ("" = not given); a listing asks the API for it
  std::string pattern;    ///< names matching this ECMAScript regular expression (searched, not anchored)
  std::string search;     ///< metadata containing this text in any value, ignoring ASCII case
  std::string field;      ///< metadata with this top-level field…
  std::string value;      ///< …equal to this, compared as text ("" = any non-null value)
  bool all_keys = false;  ///< every key of the namespace, explicitly (no filter allowed beside it)

  /// Whether a filter needs the keys' metadata (only a listing has it).
  bool needs_metadata() const { return !search.empty() || !field.empty(); }
  /// Whether any filter is given.
  bool filtered() const { return !prefix.empty() || !pattern.empty() || needs_metadata(); }

  /// Adds the selection's fields to the spec object @p j.
  void write(nlohmann::json& j) const {
    j["all_keys"] = all_keys;
    j["prefix"] = prefix;
    j["pattern"] = pattern;
    j["search"] = search;
    j["field"] = field;
    j["value"] = value;
  }
  /// Reads the fields from a spec object (missing ones are not given); throws nlohmann::json::exception for a field
  /// of the wrong type.
  static KeySelection read(const nlohmann::json& j) {
    KeySelection s;
    s.all_keys = j.value("all_keys", false);
    s.prefix = j.value("prefix", "");
    s.pattern = j.value("pattern", "");
    s.search = j.value("search", "");
    s.field = j.value("field", "");
    s.value = j.value("value", "");
    return s;
  }

  /// Checks the selection as a whole. @p key_list: the keys come from a list of names rather than a listing.
  std::optional<SpecError> validate(bool key_list) const {
    if (!value.empty() && field.empty()) return refuse({"value", "field"}, "{0} needs {1} (the field to compare)");
    if (!pattern.empty()) {
      try {
        std::regex check(pattern, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return refuse({"pattern"}, "{0} '" + pattern + "' is not a valid regular expression: " + e.what());
      }
    }
    if (key_list) {
      if (all_keys) return refuse({"all_keys", "input"}, "{0} cannot be combined with a list of keys ({1})");
      if (needs_metadata())
        return refuse({search.empty() ? "field" : "search", "input"},
                      "{0} filters by metadata, which only a listing shows: it cannot be combined with a list of "
                      "keys ({1})");
      return std::nullopt;
    }
    if (all_keys) {
      for (const char* f : {"prefix", "pattern", "search", "field"})
        if (!text_of(f).empty())
          return refuse({"all_keys", f}, "{0} selects every key; it cannot be combined with {1} (drop one of them)");
      return std::nullopt;
    }
    if (!filtered())
      return refuse({"prefix", "pattern", "search", "field", "all_keys"},
                    "no keys selected: give {0}, {1}, {2} or {3} — or {4} to select every key of the namespace");
    return std::nullopt;
  }

 private:
  const std::string& text_of(std::string_view f) const {
    return f == "prefix" ? prefix : f == "pattern" ? pattern : f == "search" ? search : field;
  }
};

/// A KeySelection ready to test keys: the one predicate behind every preview, dry run, list and delete.
///
/// Example:
/// ```
/// auto filter = ckp::ops::KeyFilter::make({.prefix = "user/", .field = "plan", .value = "free"});
/// if (!filter) return fail(filter.error());
/// for (const auto& key : page.keys)
///   if (filter->matches(key)) act_on(key.name);
/// ```
class KeyFilter {
 public:
  /// Compiles @p selection (its pattern); ErrorKind::invalid_input for a pattern that is not a regular expression.
  static Result<KeyFilter> make(const KeySelection& selection) {
    KeyFilter f;
    f.selection_ = selection;
    f.lower_search_ = api::ascii_lower(selection.search);
    if (!selection.pattern.empty()) {
      try {
        f.pattern_.emplace(selection.pattern, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return Error::make(ErrorKind::invalid_input,
                           "'" + selection.pattern + "' is not a valid regular expression: " + e.what());
      }
    }
    return f;
  }

  /// The name filters (prefix, pattern): all a list of names can be tested against.
  bool matches_name(std::string_view name) const {
    if (!name.starts_with(selection_.prefix)) return false;
    return !pattern_ || std::regex_search(name.begin(), name.end(), *pattern_);
  }
  /// Every filter, for a listed key (name and metadata).
  bool matches(const api::kv::Key& key) const {
    if (!matches_name(key.name)) return false;
    if (!selection_.search.empty() && !metadata_contains(key.metadata, lower_search_)) return false;
    if (!selection_.field.empty() && !metadata_field_matches(key.metadata, selection_.field, selection_.value))
      return false;
    return true;
  }
  /// The selection it was made from.
  const KeySelection& selection() const { return selection_; }

 private:
  KeySelection selection_;
  std::string lower_search_;
  std::optional<std::regex> pattern_;
};

}  // namespace ckp::ops
