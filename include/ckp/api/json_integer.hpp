#pragma once
/// @file
/// Whole numbers read from JSON that nobody vouches for: journals, journaled specs, browser storage.
///
/// nlohmann's `get<int>()` turns a float or an out-of-range number into an int with a plain cast, which is undefined
/// behaviour for a value like `1e300` (the fuzzers found three such reads). These helpers check first.

#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <nlohmann/json.hpp>

namespace ckp::api {

/// @p v as a T when it is a JSON integer that T can hold; nullopt for anything else (a float, a string, a number
/// out of T's range).
///
/// ```
/// ckp::api::json_integer<int>(nlohmann::json(7));        // 7
/// ckp::api::json_integer<int>(nlohmann::json(1e300));    // nullopt
/// ckp::api::json_integer<unsigned>(nlohmann::json(-1));  // nullopt
/// ```
template <class T>
std::optional<T> json_integer(const nlohmann::json& v) noexcept {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) return std::nullopt;
    return static_cast<T>(u);
  }
  if (v.is_number_integer()) {
    const auto s = v.get<std::int64_t>();
    if constexpr (std::is_signed_v<T>) {
      if (s < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
          s > static_cast<std::int64_t>(std::numeric_limits<T>::max()))
        return std::nullopt;
    } else {
      if (s < 0 || static_cast<std::uint64_t>(s) > static_cast<std::uint64_t>(std::numeric_limits<T>::max()))
        return std::nullopt;
    }
    return static_cast<T>(s);
  }
  return std::nullopt;
}

/// Field @p name of @p obj as a T: @p fallback when the field is absent or null.
/// @throws std::invalid_argument naming the field when it is present but not an integer T can hold.
template <class T>
T json_integer_field(const nlohmann::json& obj, const char* name, T fallback) {
  if (!obj.is_object()) throw std::invalid_argument(std::string("expected an object holding \"") + name + "\"");
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return fallback;
  if (auto v = json_integer<T>(*it)) return *v;
  throw std::invalid_argument(std::string("\"") + name + "\" is not a whole number in range");
}

}  // namespace ckp::api
