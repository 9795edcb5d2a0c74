#pragma once
/// @file
/// The Workers KV store of the emulator: namespaces, and in each one its keys in byte-lexicographic order with value,
/// metadata and expiration. Expired keys are invisible (and removed lazily). Pure data structure; time is passed in.
///
/// Memory: one std::map node per key (about 150 bytes for short keys and values), so 1M keys stay well under 400 MB.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ckp/api/time.hpp"

namespace ckp::emu {

/// One stored value.
struct Entry {
  std::string value;            ///< raw bytes
  std::string metadata;         ///< serialized JSON; empty when the key has none
  std::int64_t expiration = 0;  ///< Unix seconds; 0 = never expires

  /// True when the key has expired at @p now (a key is gone from its expiration second on).
  bool expired(Instant now) const noexcept { return expiration != 0 && from_unix_seconds(expiration) <= now; }
};

/// A KV namespace: identity plus its keys.
class Namespace {
 public:
  using Map = std::map<std::string, Entry, std::less<>>;  ///< std::less<> lets string_views look keys up

  std::string id;          ///< 32 hex characters
  std::string title;       ///< unique within its account
  std::string account_id;  ///< the owning account

  /// One listed key.
  struct Listed {
    const std::string* name;  ///< the key name (points into the namespace; valid until it changes)
    const Entry* entry;       ///< its value, metadata and expiration (same lifetime)
  };
  /// A page of keys; `more` is true when live keys follow the last one returned.
  struct Page {
    std::vector<Listed> keys;  ///< live keys in order
    bool more = false;         ///< live keys follow the last one
  };

  /// The live entry of @p key at @p now, or nullptr.
  const Entry* find(std::string_view key, Instant now) const {
    auto it = keys_.find(key);
    if (it == keys_.end() || it->second.expired(now)) return nullptr;
    return &it->second;
  }

  /// Inserts or replaces @p key.
  void put(std::string_view key, Entry entry) {
    auto it = keys_.find(key);
    if (it == keys_.end()) it = keys_.emplace(std::string(key), Entry{}).first;
    if (it->second.expiration != 0) --expiring_;
    if (entry.expiration != 0) ++expiring_;
    it->second = std::move(entry);
  }

  /// Writes @p key through the API at @p now: like put(), and with a list lag (> 0) the state it replaces stays
  /// visible to list() for @p lag.
  void write(std::string_view key, Entry entry, Instant now, Duration lag) {
    remember(key, now, lag);
    put(key, std::move(entry));
  }

  /// Deletes @p key through the API at @p now: like erase(), and with a list lag (> 0) the key stays visible to
  /// list() for @p lag. Returns whether it was there.
  bool remove(std::string_view key, Instant now, Duration lag) {
    remember(key, now, lag);
    return erase(key);
  }

  /// Removes @p key (live or expired). Returns whether it was there.
  bool erase(std::string_view key) {
    auto it = keys_.find(key);
    if (it == keys_.end()) return false;
    if (it->second.expiration != 0) --expiring_;
    keys_.erase(it);
    return true;
  }

  /// Number of live keys at @p now. O(1) unless some keys carry an expiration.
  std::size_t live_count(Instant now) const {
    if (expiring_ == 0) return keys_.size();
    std::size_t n = 0;
    for (const auto& [k, e] : keys_) n += e.expired(now) ? 0 : 1;
    return n;
  }

  /// Up to @p limit live keys starting with @p prefix, strictly after @p after when given, in byte order.
  ///
  /// With a list @p lag (> 0), each key shows as it was at now − lag: keys written or deleted through write() /
  /// remove() within the last @p lag show their earlier state (absent, or the earlier metadata and expiration).
  /// Expiry is judged at @p now.
  Page list(std::string_view prefix, std::optional<std::string_view> after, std::size_t limit, Instant now,
            Duration lag = Duration{0}) const {
    Page page;
    const Instant as_of = now - lag;
    // A cursor names the last key returned; continuing from it stays valid when that key has since been deleted.
    auto start = [&](const auto& map) {
      return after && *after >= prefix ? map.upper_bound(*after) : map.lower_bound(prefix);
    };
    auto in_prefix = [&](const std::string& name) { return std::string_view(name).substr(0, prefix.size()) == prefix; };
    auto k = start(keys_);
    auto r = start(recent_);
    const bool lagged = lag > Duration{0};
    while (true) {
      const bool k_ok = k != keys_.end() && in_prefix(k->first);
      const bool r_ok = lagged && r != recent_.end() && in_prefix(r->first);
      if (!k_ok && !r_ok) break;
      const std::string* name = nullptr;
      const Entry* entry = nullptr;
      if (r_ok && (!k_ok || r->first <= k->first)) {
        // A recently changed key: the state before its first change after as_of, else its current state.
        name = &r->first;
        const Change* first_after = nullptr;
        for (const Change& c : r->second) {
          if (c.at > as_of) {
            first_after = &c;
            break;
          }
        }
        if (k_ok && k->first == r->first) {
          if (!first_after) entry = &k->second;
          ++k;
        }
        if (first_after) entry = first_after->before ? &*first_after->before : nullptr;
        ++r;
      } else {
        name = &k->first;
        entry = &k->second;
        ++k;
      }
      if (!entry || entry->expired(now)) continue;
      if (page.keys.size() == limit) {
        page.more = true;
        break;
      }
      page.keys.push_back({name, entry});
    }
    return page;
  }

  /// Inserts @p count keys named @p prefix + zero-padded index (at least 7 digits) with small values, replacing
  /// existing ones. Keys are generated in order and inserted with a hint, so 1M keys take a fraction of a second.
  void seed(std::string_view prefix, std::uint64_t count) {
    int width = 0;
    for (std::uint64_t n = count > 0 ? count - 1 : 0; n > 0; n /= 10) ++width;  // digits of the largest index
    width = std::max(width, 7);
    std::string key(prefix);
    key.append(static_cast<std::size_t>(width), '0');
    char* digits = key.data() + prefix.size();
    auto hint = keys_.lower_bound(key);
    for (std::uint64_t i = 0; i < count; ++i) {
      std::uint64_t v = i;
      for (int d = width - 1; d >= 0; --d, v /= 10) digits[d] = static_cast<char>('0' + v % 10);
      std::size_t before = keys_.size();
      auto it = keys_.try_emplace(hint, key);
      if (keys_.size() == before && it->second.expiration != 0) --expiring_;
      it->second = Entry{"value-" + std::string(digits, static_cast<std::size_t>(width)), {}, 0};
      hint = std::next(it);
    }
  }

  /// Every stored entry, including expired ones not yet removed (for saving state).
  const Map& entries() const noexcept { return keys_; }

  /// Removes keys that have expired at @p now.
  void sweep(Instant now) {
    if (expiring_ == 0) return;
    for (auto it = keys_.begin(); it != keys_.end();) {
      if (it->second.expired(now)) {
        --expiring_;
        it = keys_.erase(it);
      } else {
        ++it;
      }
    }
  }

 private:
  /// One recent change of a key: when, and the state it replaced (nullopt = absent; the value is dropped, lists
  /// show no values).
  struct Change {
    Instant at;
    std::optional<Entry> before;
  };

  /// Records the current state of @p key before a change at @p now, and forgets changes older than @p lag.
  void remember(std::string_view key, Instant now, Duration lag) {
    if (lag <= Duration{0}) return;
    if (!order_.empty() && now < order_.back().first) now = order_.back().first;  // keep the history in time order
    while (!order_.empty() && order_.front().first <= now - lag) {
      auto it = recent_.find(order_.front().second);
      it->second.pop_front();
      if (it->second.empty()) recent_.erase(it);
      order_.pop_front();
    }
    std::optional<Entry> before;
    if (auto it = keys_.find(key); it != keys_.end()) before = Entry{{}, it->second.metadata, it->second.expiration};
    auto it = recent_.find(key);
    if (it == recent_.end()) it = recent_.emplace(std::string(key), std::deque<Change>{}).first;
    it->second.push_back({now, std::move(before)});
    order_.emplace_back(now, std::string(key));
  }

  Map keys_;
  std::size_t expiring_ = 0;  // entries with an expiration; lets live_count skip the scan
  // List lag: the changes of the last `lag`, per key in time order, and all of them in time order (for forgetting).
  std::map<std::string, std::deque<Change>, std::less<>> recent_;
  std::deque<std::pair<Instant, std::string>> order_;
};

/// All namespaces of all accounts, by id.
class Store {
 public:
  /// Namespaces by id.
  using Map = std::map<std::string, Namespace, std::less<>>;

  /// The namespace with id @p id, or nullptr.
  Namespace* find(std::string_view id) {
    auto it = namespaces_.find(id);
    return it == namespaces_.end() ? nullptr : &it->second;
  }
  /// @copydoc find(std::string_view)
  const Namespace* find(std::string_view id) const {
    auto it = namespaces_.find(id);
    return it == namespaces_.end() ? nullptr : &it->second;
  }

  /// The namespace of @p account titled @p title, or nullptr.
  Namespace* find_title(std::string_view account, std::string_view title) {
    for (auto& [id, ns] : namespaces_)
      if (ns.account_id == account && ns.title == title) return &ns;
    return nullptr;
  }

  /// Creates a namespace (the id must be new).
  Namespace& create(std::string id, std::string account, std::string title) {
    Namespace& ns = namespaces_[id];
    ns.id = std::move(id);
    ns.account_id = std::move(account);
    ns.title = std::move(title);
    return ns;
  }

  /// Deletes a namespace and its keys. Returns whether it existed.
  bool erase(std::string_view id) {
    auto it = namespaces_.find(id);
    if (it == namespaces_.end()) return false;
    namespaces_.erase(it);
    return true;
  }

  /// The namespaces of @p account, by id.
  std::vector<const Namespace*> in_account(std::string_view account) const {
    std::vector<const Namespace*> out;
    for (const auto& [id, ns] : namespaces_)
      if (ns.account_id == account) out.push_back(&ns);
    return out;
  }

  /// Stored keys in all namespaces (expired ones not yet removed included).
  std::size_t stored_keys() const {
    std::size_t n = 0;
    for (const auto& [id, ns] : namespaces_) n += ns.entries().size();
    return n;
  }

  /// Every namespace, by id.
  const Map& all() const noexcept { return namespaces_; }
  /// Removes every namespace and key.
  void clear() { namespaces_.clear(); }

 private:
  Map namespaces_;
};

}  // namespace ckp::emu
