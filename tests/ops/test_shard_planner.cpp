// The sharded lister's promise, as a property: whatever the names, answers in any order, and a resume from any
// page, the keys listed in parallel are the keys the plain cursor chain lists — each exactly once. The planner is
// pure, so it runs here against a map with Workers KV's listing rules (byte order, prefix, opaque cursor), and
// answers come back in a random order.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "ckp/emu/key_shapes.hpp"
#include "ckp/ops/key_space.hpp"
#include "ckp/ops/shard_planner.hpp"

using namespace ckp;
using namespace ckp::ops;

namespace shard_planner_test {

/// Workers KV's listing over a set of names: keys under the prefix in byte order, `limit` at a time.
struct ListingModel {
  std::set<std::string> names;
  std::uint64_t calls = 0;

  api::kv::KeyPage list(const std::string& prefix, const std::string& cursor, std::size_t limit) {
    ++calls;
    api::kv::KeyPage page;
    auto it = cursor.empty() ? names.lower_bound(prefix) : names.upper_bound(cursor);
    for (; it != names.end() && keyspace::starts_with(*it, prefix); ++it) {
      if (page.keys.size() == limit) {
        page.cursor = page.keys.back().name;  // the model's cursor: the last name (opaque to the planner)
        break;
      }
      page.keys.push_back(api::kv::Key{*it, std::nullopt, nullptr});
    }
    return page;
  }
};

struct Listed {
  std::vector<std::string> keys;          // in delivery order
  std::vector<nlohmann::json> frontiers;  // after each delivery
  std::vector<std::size_t> keys_before;   // keys delivered before each frontier (inclusive of its page)
  ShardPlanner::Stats stats;
};

/// Runs @p planner to the end, answering its calls in a random order; checks each page is in order and under its
/// shard.
Listed drain(ShardPlanner& planner, ListingModel& kv, std::mt19937_64& rng, std::size_t page_size) {
  Listed out;
  std::vector<ShardPlanner::Call> pending;
  for (int guard = 0; guard < 1'000'000; ++guard) {
    while (auto call = planner.next_call()) pending.push_back(std::move(*call));
    if (pending.empty()) break;
    const std::size_t i = rng() % pending.size();
    ShardPlanner::Call call = std::move(pending[i]);
    pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(i));
    planner.on_page(call.id, kv.list(call.prefix, call.cursor, page_size));
    while (auto d = planner.pop_delivery()) {
      for (std::size_t k = 0; k < d->keys.size(); ++k) {
        REQUIRE(keyspace::starts_with(d->keys[k].name, d->shard));
        if (k) REQUIRE(d->keys[k - 1].name < d->keys[k].name);
        out.keys.push_back(d->keys[k].name);
      }
      out.frontiers.push_back(planner.frontier());
      out.keys_before.push_back(out.keys.size());
    }
  }
  REQUIRE(planner.done());
  REQUIRE(planner.frontier() == nlohmann::json{{"end", true}});
  out.stats = planner.stats();
  return out;
}

std::vector<std::string> under(const std::set<std::string>& names, const std::string& prefix) {
  std::vector<std::string> out;
  for (auto it = names.lower_bound(prefix); it != names.end() && keyspace::starts_with(*it, prefix); ++it)
    out.push_back(*it);
  return out;
}

ShardPlanner::Options options(const std::string& prefix, std::size_t page_size, std::size_t in_flight = 8) {
  ShardPlanner::Options o;
  o.prefix = prefix;
  o.page_size = page_size;
  o.max_in_flight = in_flight;
  o.window_requests = 1200.0 * 1000 / static_cast<double>(page_size);  // Cloudflare's window, in pages of this size
  return o;
}

/// A key space: @p count names of @p shape under "old/", plus neighbours outside it, and "old/" itself.
std::set<std::string> space(emu::KeyShape shape, std::uint64_t count, std::uint64_t seed) {
  auto names = emu::shaped_names("old/", count, shape, seed);
  std::set<std::string> out(names.begin(), names.end());
  for (const char* outside : {"old", "old.", "old0", "olc/z", "old\xC2\x80", "p", "\x01"}) out.insert(outside);
  out.insert("old/");
  return out;
}

/// The property, for one space: parallel = the plain chain, exactly once; and so again after a resume from a random
/// page. Returns the stats of the uninterrupted run.
ShardPlanner::Stats check_space(const std::set<std::string>& names, std::size_t page_size, std::uint64_t seed) {
  ListingModel kv{names, 0};
  std::mt19937_64 rng(seed);
  const std::vector<std::string> chain = under(names, "old/");

  ShardPlanner plain(options("old/", page_size, 1));
  const Listed sequential = drain(plain, kv, rng, page_size);
  REQUIRE(sequential.keys == chain);
  CHECK(sequential.stats.splits == 0);

  ShardPlanner planner(options("old/", page_size));
  const Listed parallel = drain(planner, kv, rng, page_size);
  std::vector<std::string> sorted = parallel.keys;
  std::sort(sorted.begin(), sorted.end());
  REQUIRE(sorted.size() == chain.size());  // nothing twice…
  REQUIRE(sorted == chain);                // …and nothing missing

  // Resume from the frontier after a random page: the rest, exactly once, and nothing delivered before it.
  if (!parallel.frontiers.empty()) {
    const std::size_t at = rng() % parallel.frontiers.size();
    auto resumed = ShardPlanner::resume(options("old/", page_size), parallel.frontiers[at]);
    REQUIRE(resumed);
    const Listed rest = drain(*resumed, kv, rng, page_size);
    std::vector<std::string> all(parallel.keys.begin(),
                                 parallel.keys.begin() + static_cast<std::ptrdiff_t>(parallel.keys_before[at]));
    all.insert(all.end(), rest.keys.begin(), rest.keys.end());
    std::sort(all.begin(), all.end());
    REQUIRE(all.size() == chain.size());
    REQUIRE(all == chain);
  }
  return parallel.stats;
}

TEST_CASE("sharded listing: every key exactly once, for every shape of names, answers in any order, and resumed") {
  struct Case {
    emu::KeyShape shape;
    std::uint64_t count;
  };
  for (const Case& c :
       {Case{emu::KeyShape::sequential, 3000}, Case{emu::KeyShape::uuid, 3000}, Case{emu::KeyShape::skewed, 3000},
        Case{emu::KeyShape::random, 2000}, Case{emu::KeyShape::near, 2000}, Case{emu::KeyShape::sequential, 25},
        Case{emu::KeyShape::uuid, 9}})
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
      CAPTURE(static_cast<int>(c.shape));
      CAPTURE(c.count);
      CAPTURE(seed);
      check_space(space(c.shape, c.count, seed), 10, seed);
    }
}

TEST_CASE("sharded listing splits where the chain is long, and stays one chain where it is short") {
  // 3,000 names, 10 per page: 300 pages for the chain — a split pays. (A skewed space is listed exactly too, but
  // its hot sub-prefix, estimated from one page, may look too big to pay for: that is the first test's business.)
  for (auto shape : {emu::KeyShape::sequential, emu::KeyShape::uuid}) {
    CAPTURE(static_cast<int>(shape));
    const auto stats = check_space(space(shape, 3000, 7), 10, 7);
    CHECK(stats.splits >= 1);
    CHECK(stats.max_shards > 2);
  }
  // 25 names: three pages. Never worth a price of ~125 requests.
  const auto small = check_space(space(emu::KeyShape::sequential, 25, 7), 10, 7);
  CHECK(small.splits == 0);
}

TEST_CASE("sharded listing: a job too big for the rate limit's window stays one chain (a few scouts at most)") {
  ListingModel kv{space(emu::KeyShape::uuid, 20'000, 3), 0};
  std::mt19937_64 rng(3);
  ShardPlanner::Options o = options("old/", 10);
  o.window_requests = 1200;  // 2,000 pages of listing alone: over the window
  ShardPlanner planner(o);
  const Listed l = drain(planner, kv, rng, 10);
  CHECK(l.stats.splits == 0);
  CHECK(l.keys.size() == 20'001);  // and "old/" itself
  CHECK(kv.calls <= 2001 + 20);    // the chain's 2,001 calls and the scouts that showed the job's size
}

TEST_CASE("a prefix that ends inside a character, names at the end of the code space, and empty spaces") {
  std::set<std::string> names{"\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF\xF4\x8F\xBF\xBF",
                              "\xC3\xA9",         "\xC3\xA9x",
                              "\xC3\xBF",         "\xC3"};  // the last is not valid UTF-8: listed all the same
  for (int i = 0; i < 300; ++i) names.insert("\xC3\xA9" + std::to_string(i));
  ListingModel kv{names, 0};
  std::mt19937_64 rng(1);
  for (const std::string prefix : {"", "\xC3", "\xC3\xA9", "\xF4\x8F", "zzz"}) {
    CAPTURE(prefix);
    ShardPlanner planner(options(prefix, 10));
    Listed l = drain(planner, kv, rng, 10);
    std::sort(l.keys.begin(), l.keys.end());
    CHECK(l.keys == under(names, prefix));
  }
}

TEST_CASE("key space: the bytes that may follow a prefix, and the tail of prefixes after a name") {
  using keyspace::next_bytes;
  CHECK(next_bytes("abc").size() == 2);  // 0x00–0x7F and the lead bytes 0xC2–0xF4
  CHECK(next_bytes("\xE0").front().lo == 0xA0);
  CHECK(next_bytes("\xED").front().hi == 0x9F);
  CHECK(next_bytes("\xF4\x8F").front().lo == 0x80);
  CHECK(next_bytes("\xFF").front().hi == 0xFF);  // not UTF-8: every byte
  CHECK(keyspace::count_after("a", '0') == 0x7F - '0' + 51);

  // The tail after "ab" within "": every prefix after it, shallowest last, skipping what is known.
  keyspace::TailRange tail{"ab", "", {"ad"}};
  CHECK(tail.next() == "ac");
  CHECK(tail.next() == "ae");
  std::size_t n = 2;
  std::string last;
  while (auto p = tail.next()) ++n, last = *p;
  CHECK(last == "\xF4");
  CHECK(n + 1 == keyspace::TailRange{"ab", "", {}}.size_bound());  // all but the one skipped

  keyspace::ListedRanges listed;
  listed.record("old/", "old/5");
  listed.record("old/7", "old/75");
  CHECK(listed.covers("old/"));
  CHECK(listed.covers("old/4zz"));
  CHECK_FALSE(listed.covers("old/6"));
  CHECK(listed.covers("old/74"));
  CHECK_FALSE(listed.covers("old/76"));
  const std::string raw{'\x00', '\xFF', 'a'};
  CHECK(keyspace::to_hex(raw) == "00ff61");
  CHECK(keyspace::from_hex("00ff61") == raw);
  CHECK_FALSE(keyspace::from_hex("0g"));
}

}  // namespace shard_planner_test
