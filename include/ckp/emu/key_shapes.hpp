#pragma once
/// @file
/// Shapes of key names to seed a namespace with, for rehearsing and measuring listings on names like yours:
/// sequential numbers (the default seeding), UUIDs, a skewed space (90% under one sub-prefix), random UTF-8 (control
/// characters and 2-, 3- and 4-byte characters), and near-duplicates (names differing in one trailing byte, up to
/// 512 bytes long). The same seed gives the same names.

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace ckp::emu {

/// A shape of key names (see the file's comment).
enum class KeyShape {
  sequential,  ///< prefix + a zero-padded number, 7 digits or more (Server::seed_keys)
  uuid,        ///< prefix + a random UUID
  skewed,      ///< 90%: prefix + "hot/" + 12 random letters and digits; the rest: prefix + 16 of them
  random,      ///< prefix + 1–24 random characters of every UTF-8 length, control characters included
  near         ///< prefix + a base name and its variants one byte apart (`\x01`, `~`, U+0080, U+10FFFF, …)
};

/// The shape called @p name ("sequential", "uuid", "skewed", "random", "near"); nullopt for any other name.
inline std::optional<KeyShape> parse_key_shape(std::string_view name) {
  if (name == "sequential") return KeyShape::sequential;
  if (name == "uuid") return KeyShape::uuid;
  if (name == "skewed") return KeyShape::skewed;
  if (name == "random") return KeyShape::random;
  if (name == "near") return KeyShape::near;
  return std::nullopt;
}

/// @p count distinct names of @p shape under @p prefix (sequential names come out in order; the rest do not).
inline std::vector<std::string> shaped_names(std::string_view prefix, std::uint64_t count, KeyShape shape,
                                             std::uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  auto pick = [&](std::string_view from) { return from[rng() % from.size()]; };
  static constexpr std::string_view hex = "0123456789abcdef";
  static constexpr std::string_view alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  auto append_utf8 = [](std::string& s, std::uint32_t cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  };
  auto random_char = [&](std::string& s) {
    switch (rng() % 5) {
      case 0: return append_utf8(s, 1 + static_cast<std::uint32_t>(rng() % 0x1F));     // a control character
      case 1: return append_utf8(s, 0x20 + static_cast<std::uint32_t>(rng() % 0x60));  // printable ASCII, DEL
      case 2: return append_utf8(s, 0x80 + static_cast<std::uint32_t>(rng() % 0x780));
      case 3: {
        std::uint32_t cp = 0x800 + static_cast<std::uint32_t>(rng() % 0xF800);
        if (cp >= 0xD800 && cp <= 0xDFFF) cp -= 0x800;  // no surrogates
        return append_utf8(s, cp);
      }
      default: return append_utf8(s, 0x10000 + static_cast<std::uint32_t>(rng() % 0x100000));
    }
  };

  std::vector<std::string> out;
  out.reserve(count);
  if (shape == KeyShape::sequential) {
    int width = 0;
    for (std::uint64_t n = count > 0 ? count - 1 : 0; n > 0; n /= 10) ++width;
    width = std::max(width, 7);
    for (std::uint64_t i = 0; i < count; ++i) {
      std::string digits = std::to_string(i);
      out.push_back(std::string(prefix) + std::string(static_cast<std::size_t>(width) - digits.size(), '0') + digits);
    }
    return out;
  }
  std::unordered_set<std::string> seen;
  auto add = [&](std::string name) {
    if (out.size() < count && name.size() <= 512 && seen.insert(name).second) out.push_back(std::move(name));
  };
  while (out.size() < count) {
    std::string name(prefix);
    switch (shape) {
      case KeyShape::uuid:
        for (int i = 0; i < 32; ++i) {
          if (i == 8 || i == 12 || i == 16 || i == 20) name += '-';
          name += pick(hex);
        }
        add(std::move(name));
        break;
      case KeyShape::skewed:
        if (rng() % 10 < 9) {
          name += "hot/";
          for (int i = 0; i < 12; ++i) name += pick(alnum);
        } else {
          for (int i = 0; i < 16; ++i) name += pick(alnum);
        }
        add(std::move(name));
        break;
      case KeyShape::random: {
        const std::uint64_t length = 1 + rng() % 24;
        for (std::uint64_t i = 0; i < length; ++i) random_char(name);
        add(std::move(name));
        break;
      }
      default: {  // near
        for (int i = 0; i < 6; ++i) name += pick(alnum);
        if (rng() % 64 == 0) name.append(500 - name.size() % 500, pick(alnum));  // some long names
        for (std::string_view tail : {"", "\x01", "~", "\x7F", "0", "/", "\xC2\x80", "\xF4\x8F\xBF\xBF"})
          add(name + std::string(tail));
        break;
      }
    }
  }
  return out;
}

}  // namespace ckp::emu
