#pragma once
/// @file
/// The space of key names as Workers KV lists it: byte strings in byte order, valid UTF-8, selected by prefix.
/// Pure functions, no I/O — the facts the sharded lister (ops/shard_planner.hpp) builds its proof of completeness
/// on:
///
/// - A listing of prefix `Q` returns exactly the keys in `[Q, successor(Q))`, in order. Nothing lists "from a key":
///   a cursor comes only from the listing before it.
/// - So the keys under `Q` that are greater than some `A` (with `Q` a prefix of `A`) are the union, over each
///   position `i` from `|A|` down to `|Q| + 1`, of the prefixes `A[0, i-1) + c` for every byte `c` that may follow
///   `A[0, i-1)` and is greater than `A[i-1]`. TailRange walks that union one prefix at a time.
/// - Keys are valid UTF-8 (api::validate_key), so after a whole character only the bytes 0x00–0x7F and the lead
///   bytes 0xC2–0xF4 may follow, and inside a character only its continuation bytes: next_bytes(). A prefix that is
///   not a valid start of UTF-8 is given every byte, so no key is ever assumed away.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckp::ops::keyspace {

/// A run of byte values, inclusive.
struct ByteRun {
  unsigned char lo;  ///< the first byte of the run
  unsigned char hi;  ///< the last byte of the run
};

/// The bytes that may follow @p prefix in a valid UTF-8 key, as ascending runs (see the file's comment).
inline std::vector<ByteRun> next_bytes(std::string_view prefix) {
  const std::vector<ByteRun> any_byte{{0x00, 0xFF}};
  std::size_t i = 0;
  while (i < prefix.size()) {
    const auto lead = static_cast<unsigned char>(prefix[i]);
    std::size_t need = 0;
    if (lead < 0x80) need = 0;
    else if (lead >= 0xC2 && lead <= 0xDF) need = 1;
    else if (lead >= 0xE0 && lead <= 0xEF) need = 2;
    else if (lead >= 0xF0 && lead <= 0xF4) need = 3;
    else return any_byte;
    for (std::size_t k = 1; k <= need; ++k) {
      // The allowed range of the k-th byte of the character (RFC 3629: no overlong forms, no surrogates, ≤ U+10FFFF).
      unsigned char lo = 0x80, hi = 0xBF;
      if (k == 1 && lead == 0xE0) lo = 0xA0;
      if (k == 1 && lead == 0xED) hi = 0x9F;
      if (k == 1 && lead == 0xF0) lo = 0x90;
      if (k == 1 && lead == 0xF4) hi = 0x8F;
      if (i + k == prefix.size()) return {{lo, hi}};  // the prefix ends inside this character
      const auto b = static_cast<unsigned char>(prefix[i + k]);
      if (b < lo || b > hi) return any_byte;
    }
    i += need + 1;
  }
  return {{0x00, 0x7F}, {0xC2, 0xF4}};
}

/// The smallest byte greater than @p after (−1: any) that may follow @p prefix.
inline std::optional<unsigned char> next_byte_after(std::string_view prefix, int after) {
  for (const ByteRun& run : next_bytes(prefix)) {
    if (after < run.lo) return run.lo;
    if (after < run.hi) return static_cast<unsigned char>(after + 1);
  }
  return std::nullopt;
}

/// How many bytes greater than @p after may follow @p prefix.
inline int count_after(std::string_view prefix, int after) {
  int n = 0;
  for (const ByteRun& run : next_bytes(prefix))
    if (run.hi > after) n += run.hi - std::max<int>(run.lo, after + 1) + 1;
  return n;
}

/// Whether the byte @p b may follow @p prefix.
inline bool may_follow(std::string_view prefix, unsigned char b) {
  for (const ByteRun& run : next_bytes(prefix))
    if (b >= run.lo && b <= run.hi) return true;
  return false;
}

/// Whether @p s starts with @p prefix.
inline bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

/// The keys under `within` that sort after every key under `after`, listed one prefix at a time (see the file's
/// comment); `within` is a prefix of `after`. Prefixes in `skip` (sorted) are known already — listed or found
/// empty — and are stepped over.
struct TailRange {
  std::string after;              ///< the last prefix handed out (the range starts past every key under it)
  std::string within;             ///< the range ends past every key under this
  std::vector<std::string> skip;  ///< prefixes not to hand out, sorted

  /// The next prefix to list, in byte order; nullopt when the range is exhausted.
  std::optional<std::string> next() {
    while (after.size() > within.size()) {
      const std::string_view parent(after.data(), after.size() - 1);
      const auto sibling = next_byte_after(parent, static_cast<unsigned char>(after.back()));
      if (!sibling) {
        after.pop_back();  // every byte at this position is handed out: climb
        continue;
      }
      after.back() = static_cast<char>(*sibling);
      if (!std::binary_search(skip.begin(), skip.end(), after)) return after;
    }
    return std::nullopt;
  }
  /// Whether next() would return nothing (without handing anything out).
  bool exhausted() const {
    TailRange copy = *this;
    return !copy.next();
  }
  /// How many prefixes next() would hand out at most (skipped ones included: an upper bound).
  std::size_t size_bound() const {
    std::size_t n = 0;
    for (std::size_t len = after.size(); len > within.size(); --len) {
      const std::string_view parent(after.data(), len - 1);
      n += static_cast<std::size_t>(count_after(parent, static_cast<unsigned char>(after[len - 1])));
    }
    return n;
  }
};

/// The bytes a page of names seems to draw from, for guessing where more names lie: the classes of the
/// characters seen at positions from @p from on, completed (a digit → 0–9; a lowercase letter → a–f when every one
/// seen is a hex digit, else a–z; uppercase alike), plus every other byte seen as it is. Ascending.
inline std::vector<unsigned char> likely_alphabet(const std::vector<std::string_view>& names, std::size_t from) {
  std::array<bool, 256> seen{};
  for (std::string_view n : names)
    for (std::size_t i = from; i < n.size(); ++i) seen[static_cast<unsigned char>(n[i])] = true;
  auto any_in = [&](unsigned char lo, unsigned char hi) {
    for (int b = lo; b <= hi; ++b)
      if (seen[static_cast<std::size_t>(b)]) return true;
    return false;
  };
  auto fill = [&](unsigned char lo, unsigned char hi) {
    for (int b = lo; b <= hi; ++b) seen[static_cast<std::size_t>(b)] = true;
  };
  if (any_in('0', '9')) fill('0', '9');
  if (any_in('a', 'z')) fill('a', any_in('g', 'z') ? 'z' : 'f');
  if (any_in('A', 'Z')) fill('A', any_in('G', 'Z') ? 'Z' : 'F');
  std::vector<unsigned char> out;
  for (int b = 0; b < 256; ++b)
    if (seen[static_cast<std::size_t>(b)]) out.push_back(static_cast<unsigned char>(b));
  return out;
}

/// Estimates how many keys lie under @p base from the first page of its listing (names in order, from the start
/// of @p base's range): the share of the space the page covered, reading each name after @p base as a fraction —
/// each byte ranked in the page's own alphabet, or, inside a multi-byte character, among the continuation bytes
/// UTF-8 allows there. Rough by design (names are rarely uniform); a page that ends the listing is exact.
inline double estimate_keys(const std::vector<std::string_view>& names, std::string_view base, bool last_page) {
  if (last_page || names.empty()) return static_cast<double>(names.size());
  const std::vector<unsigned char> alphabet = likely_alphabet(names, base.size());
  const double radix = static_cast<double>(std::max<std::size_t>(alphabet.size(), 2));
  constexpr std::size_t depth = 8;  // bytes read after base: enough for 1000 names in any alphabet
  auto fraction = [&](std::string_view name) {
    double f = 0, scale = 1;
    for (std::size_t i = base.size(); i < name.size() && i < base.size() + depth; ++i) {
      const auto b = static_cast<unsigned char>(name[i]);
      const std::vector<ByteRun> allowed = next_bytes(name.substr(0, i));
      if (allowed.size() == 1 && allowed[0].lo >= 0x80 && allowed[0].hi <= 0xBF && b >= allowed[0].lo) {
        scale /= allowed[0].hi - allowed[0].lo + 1;  // a continuation byte: one of a known few
        f += scale * std::min<double>(b - allowed[0].lo, allowed[0].hi - allowed[0].lo);
      } else {
        scale /= radix;
        f += scale * static_cast<double>(std::lower_bound(alphabet.begin(), alphabet.end(), b) - alphabet.begin());
      }
    }
    return f;
  };
  const double covered = fraction(names.back()) - fraction(names.front()) + std::pow(radix, -double(depth));
  return static_cast<double>(names.size()) / std::clamp(covered, 1e-12, 1.0);
}

/// What listings have covered, as (prefix, furthest name listed under it) pairs: a listing of a prefix runs from
/// the prefix's start in key order, so it has listed exactly the names under the prefix up to its furthest one.
/// A job resumed with another set of shards asks covers() to know whether a name is listed for the first time.
class ListedRanges {
 public:
  /// A listing of @p prefix has reached @p through.
  void record(const std::string& prefix, const std::string& through) {
    auto [it, added] = through_.try_emplace(prefix, through);
    if (!added && through > it->second) it->second = through;
    if (added) lengths_.insert(std::lower_bound(lengths_.begin(), lengths_.end(), prefix.size()), prefix.size());
  }
  /// Whether some recorded listing has listed @p name.
  bool covers(const std::string& name) const {
    for (std::size_t len : lengths_) {
      if (len > name.size()) break;
      auto it = through_.find(name.substr(0, len));
      if (it != through_.end() && name <= it->second) return true;
    }
    return false;
  }

 private:
  std::map<std::string, std::string> through_;
  std::vector<std::size_t> lengths_;  // the distinct prefix lengths recorded, ascending
};

/// Hex of @p bytes (prefixes in a journal may end inside a character, which JSON strings cannot carry).
inline std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    out += digits[static_cast<unsigned char>(c) >> 4];
    out += digits[static_cast<unsigned char>(c) & 15];
  }
  return out;
}

/// The bytes of @p hex (to_hex()'s output); nullopt when it is not even-length hexadecimal.
inline std::optional<std::string> from_hex(std::string_view hex) {
  auto value = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = value(hex[i]), lo = value(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

}  // namespace ckp::ops::keyspace
