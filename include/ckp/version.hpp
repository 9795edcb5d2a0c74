#pragma once
/// @file
/// The library's version.

namespace ckp {
/// Semantic version of cache-kv-purger and the ckp library.
inline constexpr const char* version = "0.1.0";
}  // namespace ckp
