#pragma once
/// @file
/// Plans the listing of a prefix as parallel shards, complete and exact: every key under the prefix is delivered
/// exactly once, whatever bytes the names hold. Protocol logic only — no I/O, no clock: the caller asks next_call()
/// for a listing to send, hands each answer to on_page(), and takes the pages to deliver with pop_delivery().
/// ops/key_lister.hpp drives it through the scheduler.
///
/// **Shards.** A shard lists prefix `prefix` with its own cursor chain and keeps only keys under `anchor` (a longer
/// prefix it was narrowed to); the first key past the anchor ends it. At the start there is one shard: the plain
/// chain. Workers KV cannot list "from a key", so the keys released by narrowing a shard — those after its last
/// listed key `L` up to the end of its old anchor — are listed one prefix at a time: at each position from the new
/// anchor's end back up to the old one, every byte that may follow (keyspace::TailRange). That is the whole proof of
/// completeness: the ranges of the shards and of the tails partition what is left, and every prefix listed covers
/// exactly its range.
///
/// **The price.** Those prefixes cost a request each, found empty or not: about 125 per position (every byte that
/// may follow a character, most of them unused). So a split is made only when it pays, and the planner learns
/// before it commits:
/// 1. after a shard's first full page, a *sentinel* lists the next likely name at the shallowest position (`L` with
///    its first character after the anchor stepped up in the page's alphabet); while sentinels find nothing the
///    names are narrower than their alphabet (sequential numbers), and the next position is tried (up to 4);
/// 2. a sentinel that finds keys is followed by a scout of the farthest name of that position's alphabet (both ends
///    full: the whole position probably is — a job too big to split shows here, for two requests), then by scouts
///    for the rest of the position;
/// 3. the split is made when the job, estimated from the scouts' pages, still fits the rate limit's window with the
///    price paid (the job is latency-bound, not quota-bound), and the price is at most six requests per page taken
///    off the longest chain. Otherwise the scouts' pages are dropped (the shard lists those keys itself) and the
///    shard stays a chain. A 5-million-key job so costs one or a few requests more than the plain chain.
/// The shard keeps listing while its sentinels and scouts are out; a split needs its last key still under the new
/// anchor. Scouts' pages are held, and delivered only when the split is made.
///
/// **Resume.** frontier() is the plan as of the deliveries popped so far: every shard (with the cursor after its
/// last delivered page), every tail, as JSON (bytes in hex: a prefix may end inside a character). A shard restored
/// from a frontier mid-way is not split again (a resumed run lists what is left, and no more); one restored at its
/// start may be.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ckp/api/error.hpp"
#include "ckp/api/kv.hpp"
#include "ckp/ops/key_space.hpp"

namespace ckp::ops {

/// Plans a sharded listing (see the file's comment).
class ShardPlanner {
 public:
  /// What to list, and what the listing may spend.
  struct Options {
    std::string prefix;              ///< list the keys under this ("" = all)
    std::size_t max_in_flight = 16;  ///< listing calls at once; 1 = the plain cursor chain, never split
    double window_requests = 1200;   ///< requests the rate limit allows per window (a split must fit in one)
    double requests_per_key = 0;     ///< the job's other requests per listed key (bulk delete: 1/10,000)
    std::size_t page_size = 1000;    ///< keys per listing call
  };
  /// A listing to send: prefix and cursor; answer it with on_page(id, …).
  struct Call {
    std::uint64_t id;    ///< pass back to on_page()
    std::string prefix;  ///< the listing's prefix
    std::string cursor;  ///< the cursor ("" = the first page)
  };
  /// A page to hand to the consumer.
  struct Delivery {
    std::vector<api::kv::Key> keys;  ///< the page's keys, in order (a shard's keys only)
    std::string shard;               ///< the prefix of the shard that listed them
    bool more = false;               ///< the shard has more pages
  };
  /// What the listing cost.
  struct Stats {
    std::uint64_t calls = 0;       ///< listing calls sent
    std::uint64_t empty = 0;       ///< calls that found nothing (tail prefixes, sentinels)
    std::uint64_t dropped = 0;     ///< scout pages dropped when a split was declined
    std::uint64_t splits = 0;      ///< splits made
    std::uint64_t declined = 0;    ///< splits considered and declined
    std::uint64_t max_shards = 1;  ///< the most shards listing at once
    double estimated_keys = 0;     ///< the job's size as last estimated (0: never estimated)
  };

  /// Plans @p options.prefix from its start.
  explicit ShardPlanner(Options options) : options_(std::move(options)) {
    add_shard(options_.prefix, options_.prefix, "", true);
  }

  /// Plans from a frontier() written by an earlier run; ErrorKind::journal when it is not one. Also reads the
  /// single-chain resume point of older journals (`{"cursor": …}`).
  static Result<ShardPlanner> resume(Options options, const nlohmann::json& frontier) {
    ShardPlanner p(options);
    p.shards_.clear();
    auto bad = [](const std::string& why) {
      return Error::make(ErrorKind::journal, "bad listing resume point: " + why);
    };
    if (!frontier.is_object()) return bad("not an object");
    if (frontier.value("end", false)) return p;
    if (!frontier.contains("shards")) {
      if (!frontier.contains("cursor") || !frontier["cursor"].is_string()) return bad("no shards and no cursor");
      p.add_shard(options.prefix, options.prefix, frontier["cursor"].get<std::string>(), true);
      return p;
    }
    try {
      for (const auto& s : frontier.at("shards")) {
        auto prefix = keyspace::from_hex(s.at("prefix").get<std::string>());
        auto anchor = keyspace::from_hex(s.at("anchor").get<std::string>());
        if (!prefix || !anchor || !keyspace::starts_with(*anchor, *prefix) ||
            !keyspace::starts_with(*prefix, options.prefix))
          return bad("a shard's prefix is not hex under the listing's prefix");
        p.add_shard(*prefix, *anchor, s.at("cursor").get<std::string>(), true);
      }
      for (const auto& t : frontier.value("tails", nlohmann::json::array())) {
        keyspace::TailRange tail;
        auto after = keyspace::from_hex(t.at("after").get<std::string>());
        auto within = keyspace::from_hex(t.at("within").get<std::string>());
        if (!after || !within || !keyspace::starts_with(*after, *within) ||
            !keyspace::starts_with(*within, options.prefix))
          return bad("a tail's range is not hex under the listing's prefix");
        tail.after = *after;
        tail.within = *within;
        for (const auto& k : t.value("skip", nlohmann::json::array())) {
          auto skip = keyspace::from_hex(k.get<std::string>());
          if (!skip) return bad("a skipped prefix is not hex");
          tail.skip.push_back(*skip);
        }
        std::sort(tail.skip.begin(), tail.skip.end());
        p.tails_.push_back(std::move(tail));
      }
    } catch (const nlohmann::json::exception& e) {
      return bad(e.what());
    }
    return p;
  }

  /// The next listing to send now, or nullopt (none is due, or max_in_flight are out).
  std::optional<Call> next_call() {
    if (in_flight_.size() >= options_.max_in_flight) return std::nullopt;
    // Learning first: it decides what the rest costs.
    if (scouting_)
      for (auto& s : scouting_->scouts)
        if (!s.sent) {
          s.sent = true;
          return send(s.prefix, "", Target{Target::scout, 0, s.prefix});
        }
    // Tail prefixes are mostly empty and quick: they share the calls with the shards' chains, half and half.
    const bool tail_first = probes_in_flight_ * 2 < options_.max_in_flight;
    if (tail_first)
      if (auto c = next_tail_probe()) return c;
    for (auto& [id, shard] : shards_)
      if (!shard.in_flight && !shard.held) {
        shard.in_flight = true;
        return send(shard.prefix, shard.cursor, Target{Target::shard_page, id, {}});
      }
    return next_tail_probe();
  }

  /// The answer to call @p id (an error is the caller's: it stops the listing).
  void on_page(std::uint64_t id, api::kv::KeyPage page) {
    auto it = in_flight_.find(id);
    if (it == in_flight_.end()) return;
    const Target target = it->second;
    in_flight_.erase(it);
    if (target.kind == Target::scout) return on_scout_page(target.prefix, std::move(page));
    auto s = shards_.find(target.shard);
    if (s == shards_.end()) return;
    Shard& shard = s->second;
    shard.in_flight = false;
    if (shard.probe) --probes_in_flight_, shard.probe = false;
    const bool past_anchor = cut_at_anchor(page.keys, shard.anchor);
    if (page.keys.empty() && shard.cursor.empty()) ++stats_.empty;
    shard.held = true;  // until the page is popped: its cursor is the one to continue from
    const bool more = !page.last() && !past_anchor;
    ready_.push_back(Ready{target.shard, std::move(page.keys), more ? page.cursor : std::string(), more});
  }

  /// The next page to hand to the consumer, in the order they became ready; nullopt when none. Taking it moves
  /// the frontier past it.
  std::optional<Delivery> pop_delivery() {
    if (ready_.empty()) return std::nullopt;
    Ready r = std::move(ready_.front());
    ready_.pop_front();
    auto s = shards_.find(r.shard);
    if (s == shards_.end()) return std::nullopt;
    Shard& shard = s->second;
    const bool first_page = shard.listed == 0;
    shard.held = false;
    shard.cursor = r.cursor;
    shard.listed += r.keys.size();
    listed_ += r.keys.size();
    if (!r.keys.empty()) shard.last = r.keys.back().name;
    Delivery d{std::move(r.keys), shard.prefix, r.more};
    if (!r.more) {
      shards_.erase(s);
      return d;
    } else if (first_page && shard.fresh && options_.max_in_flight > 1) {
      const std::vector<std::string_view> names = names_of(d.keys);
      shard.estimate = keyspace::estimate_keys(names, shard.anchor, false);
      shard.page_names.assign(names.begin(), names.end());
      shard.want_split = true;
    }
    maybe_start_scouting(r.shard);
    return d;
  }

  /// Every key has been delivered.
  bool done() const {
    if (!ready_.empty() || scouting_ || !in_flight_.empty()) return false;
    if (!shards_.empty()) return false;
    for (const auto& t : tails_)
      if (!t.exhausted()) return false;
    return true;
  }

  /// The plan as of the deliveries popped so far (see the file's comment); `{"end": true}` when done().
  nlohmann::json frontier() const {
    if (done()) return {{"end", true}};
    nlohmann::json shards = nlohmann::json::array(), tails = nlohmann::json::array();
    for (const auto& [id, s] : shards_)
      shards.push_back(
          {{"prefix", keyspace::to_hex(s.prefix)}, {"anchor", keyspace::to_hex(s.anchor)}, {"cursor", s.cursor}});
    for (const auto& t : tails_) {
      if (t.exhausted()) continue;
      nlohmann::json skip = nlohmann::json::array();
      for (const auto& k : t.skip)
        if (k > t.after) skip.push_back(keyspace::to_hex(k));
      tails.push_back({{"after", keyspace::to_hex(t.after)}, {"within", keyspace::to_hex(t.within)}, {"skip", skip}});
    }
    nlohmann::json j{{"shards", std::move(shards)}};
    if (!tails.empty()) j["tails"] = std::move(tails);
    return j;
  }

  /// Listing calls in flight.
  std::size_t in_flight() const { return in_flight_.size(); }
  /// What the listing cost so far.
  const Stats& stats() const { return stats_; }

 private:
  // Where an answer goes.
  struct Target {
    enum Kind { shard_page, scout } kind;
    std::uint64_t shard;  // for a shard's page
    std::string prefix;   // for a scout's page
  };
  struct Shard {
    std::string prefix, anchor, cursor;
    bool in_flight = false;
    bool held = false;        // made from a scout: its first page waits in ready_
    bool fresh = false;       // listed from its range's start: its first page shows how dense its names are
    bool want_split = false;  // a full first page: worth considering a split
    bool probe = false;       // a tail prefix's first call is in flight
    std::uint64_t listed = 0;
    double estimate = 0;                  // keys under its anchor, from its first page
    std::vector<std::string> page_names;  // its first page's names (for estimates while scouting)
    std::string last;                     // its last delivered key
  };
  struct Ready {
    std::uint64_t shard;
    std::vector<api::kv::Key> keys;
    std::string cursor;
    bool more;
  };
  struct Scout {
    std::string prefix;
    bool sent = false;
    std::optional<api::kv::KeyPage> page;
  };
  // The learning before a split of one shard (one at a time).
  struct Scouting {
    std::uint64_t shard;
    std::string last;   // the shard's last key when it began
    std::size_t level;  // the position being scouted: the split's anchor would be last[0, level)
    enum Phase { nearest, farthest, all } phase = nearest;  // which siblings are out at this position
    std::vector<Scout> scouts;                              // this level's
    std::vector<std::string> known;                         // prefixes of shallower levels found empty
    std::vector<unsigned char> alphabet;
  };

  static constexpr double max_window_share = 0.8;       // a split's job must fit in this share of the window
  static constexpr double requests_per_page_saved = 6;  // the most a split may pay per page off the longest chain
  static constexpr std::size_t max_levels = 4;          // positions tried below a shard's anchor

  std::uint64_t add_shard(std::string prefix, std::string anchor, std::string cursor, bool fresh) {
    const std::uint64_t id = next_shard_++;
    Shard s;
    s.prefix = std::move(prefix);
    s.anchor = std::move(anchor);
    s.cursor = std::move(cursor);
    s.fresh = fresh && s.cursor.empty();
    shards_.emplace(id, std::move(s));
    stats_.max_shards = std::max<std::uint64_t>(stats_.max_shards, shards_.size());
    return id;
  }

  // Keeps the keys under `anchor` (a page is in key order: they come first); true when some were past it — the
  // shard that listed them has reached its end.
  static bool cut_at_anchor(std::vector<api::kv::Key>& keys, const std::string& anchor) {
    std::size_t keep = 0;
    while (keep < keys.size() && keyspace::starts_with(keys[keep].name, anchor)) ++keep;
    if (keep == keys.size()) return false;
    keys.resize(keep);
    return true;
  }

  static std::vector<std::string_view> names_of(const std::vector<api::kv::Key>& keys) {
    std::vector<std::string_view> names;
    names.reserve(keys.size());
    for (const auto& k : keys) names.push_back(k.name);
    return names;
  }

  Call send(std::string prefix, std::string cursor, Target target) {
    const std::uint64_t id = next_call_++;
    ++stats_.calls;
    in_flight_.emplace(id, std::move(target));
    return Call{id, std::move(prefix), std::move(cursor)};
  }

  std::optional<Call> next_tail_probe() {
    for (auto& tail : tails_)
      if (auto prefix = tail.next()) {
        const std::uint64_t id = add_shard(*prefix, *prefix, "", true);
        Shard& shard = shards_.at(id);
        shard.in_flight = shard.probe = true;
        ++probes_in_flight_;
        return send(shard.prefix, "", Target{Target::shard_page, id, {}});
      }
    return std::nullopt;
  }

  // Requests a split at anchor length `level` below `anchor` would add: every byte after `last`'s at each position.
  static double price(const std::string& last, const std::string& anchor, std::size_t level) {
    double n = 0;
    for (std::size_t j = anchor.size() + 1; j <= level; ++j)
      n += keyspace::count_after(std::string_view(last).substr(0, j - 1), static_cast<unsigned char>(last[j - 1]));
    return n;
  }

  // Keys expected under `base` from a shard's first page (only the names under it).
  static double estimate_under(const std::vector<std::string>& names, const std::string& base) {
    std::vector<std::string_view> under;
    for (const auto& n : names)
      if (keyspace::starts_with(n, base)) under.push_back(n);
    return keyspace::estimate_keys(under, base, false);
  }

  // Keys the job still expects, besides those of shard `except`.
  double others_remaining(std::uint64_t except) const {
    double n = 0;
    for (const auto& [id, s] : shards_)
      if (id != except) n += std::max(0.0, s.estimate - static_cast<double>(s.listed));
    return n;
  }
  // Shards (besides `except`) at least half as big as `size`: a split of one of them only pays if they all could.
  std::size_t rivals(std::uint64_t except, double size) const {
    std::size_t n = 0;
    for (const auto& [id, s] : shards_)
      if (id != except && s.estimate - static_cast<double>(s.listed) >= size / 2) ++n;
    return n;
  }
  double budget() const { return max_window_share * options_.window_requests; }
  double job_requests(double keys) const {
    return keys / static_cast<double>(options_.page_size) + keys * options_.requests_per_key + overhead_;
  }

  void maybe_start_scouting(std::uint64_t id) {
    if (scouting_) return;
    Shard& s = shards_.at(id);
    if (!s.want_split || s.last.size() <= s.anchor.size()) return;
    s.want_split = false;
    // Could a split of this shard pay at all? Its rivals would need one too; the cheapest is one position deep.
    const double cheapest = price(s.last, s.anchor, s.anchor.size() + 1);
    const bool affordable = job_requests(listed_ + others_remaining(id) + s.estimate) +
                                cheapest * static_cast<double>(1 + rivals(id, s.estimate)) <=
                            budget();
    // The first shard's page can overstate the job a hundredfold (sequential names: the page shows nothing of the
    // leading digits), so it is scouted anyway; a shard made by a split has its own page's estimate, and is trusted.
    if (s.estimate < 2 * static_cast<double>(options_.page_size) || (!affordable && s.prefix != options_.prefix)) {
      ++stats_.declined;
      return;
    }
    Scouting sc;
    sc.shard = id;
    sc.last = s.last;
    std::vector<std::string_view> names(s.page_names.begin(), s.page_names.end());
    sc.alphabet = keyspace::likely_alphabet(names, s.anchor.size());
    sc.level = s.anchor.size();
    scouting_ = std::move(sc);
    next_level();
  }

  // Sends the sentinel of the next position, or ends the scouting when none is left worth trying.
  void next_level() {
    Scouting& sc = *scouting_;
    Shard& s = shards_.at(sc.shard);
    while (++sc.level <= std::min(sc.last.size(), s.anchor.size() + max_levels)) {
      const std::string parent = sc.last.substr(0, sc.level - 1);
      // Before going deeper: could a split at this depth still pay? (The names are under last[0, level − 1).)
      if (sc.level > s.anchor.size() + 1) {
        const double under = estimate_under(s.page_names, parent) / static_cast<double>(options_.page_size);
        if (price(sc.last, s.anchor, sc.level) > requests_per_page_saved * (under - 1)) break;
      }
      const std::vector<std::string> siblings = sibling_scouts(sc);
      if (!siblings.empty()) {
        sc.scouts.assign(1, Scout{siblings.front(), false, std::nullopt});
        sc.phase = Scouting::nearest;
        return;
      }
    }
    end_scouting(false);
  }

  void on_scout_page(const std::string& prefix, api::kv::KeyPage page) {
    if (!scouting_) return;
    Scouting& sc = *scouting_;
    for (auto& s : sc.scouts)
      if (s.prefix == prefix) s.page = std::move(page);
    for (const auto& s : sc.scouts)
      if (!s.page) return;  // wait for the rest of this phase
    // The shard lists on meanwhile. A split keeps its listed keys under its new anchor, so the shard must still be
    // under the position's parent (it may have moved on to a later sibling: the split then starts after that one);
    // a shard that finished has listed the scouts' keys itself.
    auto found_shard = shards_.find(sc.shard);
    if (found_shard == shards_.end() ||
        !keyspace::starts_with(found_shard->second.last, std::string_view(sc.last).substr(0, sc.level - 1)) ||
        found_shard->second.last.size() < sc.level)
      return end_scouting(false);
    Shard& shard = found_shard->second;
    double found = 0, biggest = 0, smallest = 0;
    std::size_t with_keys = 0;
    for (const auto& s : sc.scouts)
      if (!s.page->keys.empty()) {
        const double e = keyspace::estimate_keys(names_of(s.page->keys), s.prefix, s.page->last());
        smallest = with_keys ? std::min(smallest, e) : e;
        found += e, biggest = std::max(biggest, e), ++with_keys;
      }
    if (with_keys == 0 && sc.phase == Scouting::nearest) {
      ++stats_.empty;
      sc.known.push_back(sc.scouts.front().prefix);
      return next_level();
    }
    // The shard's own part after the split: its anchor's subtree, about as big as a sibling that has keys.
    const double mean = with_keys ? found / static_cast<double>(with_keys) : 0;
    const double own = std::max(0.0, mean - static_cast<double>(shard.listed));
    const double paid = static_cast<double>(sc.scouts.size() + sc.known.size());
    const double rest = price(sc.last, shard.anchor, sc.level) - paid;
    const double per_page = static_cast<double>(options_.page_size);
    const std::vector<std::string> siblings = sibling_scouts(sc);
    const double before = listed_ + others_remaining(sc.shard);
    if (sc.phase != Scouting::all) {
      // Not every sibling is known yet. What is known must fit; the most the split could take off the longest chain
      // must pay its price; then learn more, nearest sibling first, farthest next, the rest last.
      double projected = own + found;
      // Both ends have keys: assume every sibling between has about as many as the smaller end (names are rarely
      // spread evenly over bytes; the larger end would overstate, and scouting the rest checks this anyway).
      if (sc.phase == Scouting::farthest && with_keys == 2)
        projected = own + smallest * static_cast<double>(siblings.size());
      // One sibling seen: if even half the others held as many, would the job still fit? (A job of millions stops
      // here, for one request.)
      if (sc.phase == Scouting::nearest)
        projected = std::max(projected, own + found * static_cast<double>(siblings.size()) / 2);
      const double most_saved =
          (own + mean * static_cast<double>(siblings.size())) / per_page - std::max(own, mean) / per_page;
      if (job_requests(before + projected) + rest > budget() || rest > requests_per_page_saved * most_saved)
        return end_scouting(false);
      if (sc.phase == Scouting::nearest && siblings.size() > 1) {
        sc.phase = Scouting::farthest;
        sc.scouts.push_back(Scout{siblings.back(), false, std::nullopt});
        return;
      }
      sc.phase = Scouting::all;
      bool sent_more = false;
      for (const auto& p : siblings)
        if (std::none_of(sc.scouts.begin(), sc.scouts.end(), [&](const Scout& s) { return s.prefix == p; })) {
          sc.scouts.push_back(Scout{p, false, std::nullopt});
          sent_more = true;
        }
      if (sent_more) return;  // evaluated again when they are back
    }
    for (const auto& s : sc.scouts)
      if (s.page->keys.empty()) ++stats_.empty;
    const double job = before + own + found;
    stats_.estimated_keys = job;
    const double saved = (own + found) / per_page - std::max(own, biggest) / per_page;
    const bool fits = job_requests(job) + rest <= budget();
    const bool pays = saved >= 4 && rest <= requests_per_page_saved * saved;
    own_after_split_ = own;
    end_scouting(fits && pays);
  }

  // Every sibling of the anchor's last character, after it, in the page's alphabet: the scouts of this position.
  std::vector<std::string> sibling_scouts(const Scouting& sc) const {
    const std::string parent = sc.last.substr(0, sc.level - 1);
    const auto here = static_cast<unsigned char>(sc.last[sc.level - 1]);
    std::vector<std::string> out;
    for (unsigned char c : sc.alphabet)
      if (c > here && keyspace::may_follow(parent, c)) out.push_back(parent + static_cast<char>(c));
    return out;
  }

  // Makes the split the scouting prepared (commit), or drops what it found.
  void end_scouting(bool commit) {
    Scouting sc = std::move(*scouting_);
    scouting_.reset();
    if (!commit) {
      ++stats_.declined;
      for (const auto& s : sc.scouts)
        if (s.page && !s.page->keys.empty()) ++stats_.dropped;
      overhead_ += static_cast<double>(sc.scouts.size() + sc.known.size());
      return try_next_candidate();
    }
    ++stats_.splits;
    Shard& shard = shards_.at(sc.shard);
    keyspace::TailRange tail;
    tail.after = shard.last.substr(0, sc.level);  // the shard's position now: it may have passed some scouts
    tail.within = shard.anchor;
    overhead_ += price(sc.last, shard.anchor, sc.level);
    shard.anchor = tail.after;
    shard.estimate = static_cast<double>(shard.listed) + own_after_split_;
    // A page of the shard not yet taken may reach past the new anchor: cut it there.
    for (auto& r : ready_)
      if (r.shard == sc.shard && cut_at_anchor(r.keys, shard.anchor)) r.more = false, r.cursor.clear();
    tail.skip = sc.known;
    for (auto& s : sc.scouts) {
      tail.skip.push_back(s.prefix);
      if (s.page->keys.empty()) continue;
      if (s.prefix <= tail.after) {  // the shard has listed (or will list) these keys itself
        ++stats_.dropped;
        continue;
      }
      overhead_ -= 1;  // a scout with keys is a shard's first page, not a price
      const std::uint64_t id = add_shard(s.prefix, s.prefix, "", true);
      Shard& child = shards_.at(id);
      child.held = true;
      // Known before its page is taken, so that the first sibling to be weighed for a split sees all its rivals.
      child.estimate = keyspace::estimate_keys(names_of(s.page->keys), s.prefix, s.page->last());
      const bool more = !s.page->last();
      ready_.push_back(Ready{id, std::move(s.page->keys), more ? s.page->cursor : std::string(), more});
    }
    std::sort(tail.skip.begin(), tail.skip.end());
    tails_.push_back(std::move(tail));
    try_next_candidate();
  }

  void try_next_candidate() {
    for (auto& [id, s] : shards_)
      if (s.want_split && !s.in_flight) return maybe_start_scouting(id);
  }

  Options options_;
  std::map<std::uint64_t, Shard> shards_;
  std::vector<keyspace::TailRange> tails_;
  std::map<std::uint64_t, Target> in_flight_;
  std::deque<Ready> ready_;
  std::optional<Scouting> scouting_;
  std::uint64_t next_shard_ = 0, next_call_ = 0;
  std::size_t probes_in_flight_ = 0;
  double listed_ = 0;           // keys delivered
  double overhead_ = 0;         // requests that list nothing the job needs (prices paid, scouts dropped)
  double own_after_split_ = 0;  // the split shard's part after the split, as estimated by the scouting
  Stats stats_;
};

}  // namespace ckp::ops
