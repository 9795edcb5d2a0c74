#pragma once
/// @file
/// Selecting keys by their metadata: an exact field match, or a deep, case-insensitive search.

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ckp/api/text.hpp"

namespace ckp::ops {

namespace detail {
/// A scalar as text: strings as they are, numbers and booleans as JSON writes them.
inline std::string scalar_text(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }
}  // namespace detail

/// True when @p metadata is an object whose top-level @p field equals @p value (compared as text, so `"42"` matches
/// the number 42). An empty @p value matches any non-null value of the field.
inline bool metadata_field_matches(const nlohmann::json& metadata, std::string_view field, std::string_view value) {
  if (!metadata.is_object()) return false;
  auto it = metadata.find(std::string(field));
  if (it == metadata.end() || it->is_null()) return false;
  if (value.empty()) return true;
  if (it->is_object() || it->is_array()) return false;
  return detail::scalar_text(*it) == value;
}

/// True when @p needle occurs, ignoring ASCII case, in any value anywhere inside @p metadata: strings, numbers and
/// booleans in nested objects and arrays (object keys are not searched). @p needle must already be lower-case.
inline bool metadata_contains(const nlohmann::json& metadata, std::string_view lower_needle) {
  if (metadata.is_object() || metadata.is_array()) {
    return std::any_of(metadata.begin(), metadata.end(),
                       [&](const nlohmann::json& child) { return metadata_contains(child, lower_needle); });
  }
  if (metadata.is_null()) return false;
  return api::ascii_lower(detail::scalar_text(metadata)).find(lower_needle) != std::string::npos;
}

}  // namespace ckp::ops
