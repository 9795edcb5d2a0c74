// Prefix deletes listed in parallel, end to end in virtual time (the emulator's server model, 100 ms a call, the
// default 1,200 requests per 5 minutes and 200 per second per IP): against the plain cursor chain, for each shape of
// names — what it gains, what it costs, and that the job still deletes exactly the keys under the prefix.
#include <doctest/doctest.h>

#include <random>

#include "ckp/emu/key_shapes.hpp"
#include "ckp/engine/journal.hpp"
#include "ckp/ops/kv_delete.hpp"
#include "support/sim_world.hpp"

using namespace ckp;
using namespace ckp::ops;
using std::chrono::milliseconds;

namespace sharded_listing {

struct Outcome {
  double seconds = 0;
  std::uint64_t requests = 0;
  std::uint64_t refused = 0;  // 429s
  json listing;
};

/// Deletes @p count names of @p shape under "old/" (beside 100 under "keep/") with @p list_shards calls at once.
Outcome delete_prefix(emu::KeyShape shape, std::uint64_t count, std::size_t list_shards) {
  auto config = test::sim_config(milliseconds(100), milliseconds(0));
  config.rate_limit.per_ip_per_second = 200;
  test::SimWorld w(config);
  if (shape == emu::KeyShape::sequential) w.server.seed_keys(w.ns, "old/", count);
  else
    for (const auto& name : emu::shaped_names("old/", count, shape, 11)) w.server.put_key(w.ns, name, "v");
  w.server.seed_keys(w.ns, "keep/", 100);
  auto scheduler = w.scheduler();
  KvDeleteSpec spec;
  spec.account_id = test::sim_account;
  spec.namespace_id = w.ns;
  spec.select.prefix = "old/";
  KvDelete op(*scheduler, spec, {.progress_interval = std::chrono::seconds(10), .list_shards = list_shards});
  const Instant start = w.sim.now();
  const OpReport report = run(w.sim, op);
  REQUIRE(report.status == OpStatus::completed);
  CHECK(report.done == count);
  CHECK(w.keys() == 100);  // keep/ only
  return {to_seconds(w.sim.now() - start), report.requests.sent, w.server.stats().rate_limited,
          report.extra.value("listing", json())};
}

}  // namespace sharded_listing
using namespace sharded_listing;

TEST_CASE("sharded prefix delete vs the plain chain, 100 ms a call: faster where latency binds, exact always") {
  // The full table (500,000 keys, 5 M, every shape) is benchmarks/sim/sharded_listing.cpp; these rows keep CI quick.
  struct Row {
    emu::KeyShape shape;
    std::string name;
    std::uint64_t count;
    double at_least;  // times faster than the chain
  };
  for (const Row& row :
       {Row{emu::KeyShape::uuid, "uuid", 100'000, 4}, Row{emu::KeyShape::sequential, "sequential", 100'000, 2},
        Row{emu::KeyShape::random, "random", 20'000, 1}, Row{emu::KeyShape::near, "near", 20'000, 1},
        Row{emu::KeyShape::skewed, "skewed", 20'000, 1}, Row{emu::KeyShape::sequential, "sequential", 1'000, 1}}) {
    CAPTURE(row.name);
    CAPTURE(row.count);
    const Outcome chain = delete_prefix(row.shape, row.count, 1);
    const Outcome sharded = delete_prefix(row.shape, row.count, 16);
    MESSAGE(row.name << " " << row.count << ": chain " << chain.seconds << " s / " << chain.requests
                     << " requests; sharded " << sharded.seconds << " s / " << sharded.requests << " requests; listing "
                     << sharded.listing.dump());
    CHECK(sharded.refused == 0);
    CHECK(chain.refused == 0);
    CHECK(chain.seconds >= row.at_least * sharded.seconds);
    // Never slower than the chain by more than the scouts' round trips.
    CHECK(sharded.seconds <= chain.seconds + 0.5);
  }
}

TEST_CASE("a sharded prefix delete killed at random moments and resumed: every key deleted, each counted once") {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    CAPTURE(seed);
    auto config = test::sim_config(milliseconds(40), milliseconds(30));
    test::SimWorld w(config);
    for (const auto& name : emu::shaped_names("old/", 40'000, emu::KeyShape::uuid, seed))
      w.server.put_key(w.ns, name, "v");
    w.server.seed_keys(w.ns, "keep/", 50);
    KvDeleteSpec spec;
    spec.account_id = test::sim_account;
    spec.namespace_id = w.ns;
    spec.select.prefix = "old/";
    spec.batch_size = 900;
    std::mt19937_64 rng(seed);
    engine::MemoryJournalStore store;
    OpReport report;
    bool split_before_a_kill = false;
    for (int attempt = 0;; ++attempt) {
      engine::Journal journal(store);
      OpOptions options{.journal = &journal};
      if (attempt > 0) options.resume = *engine::Journal::load(store);
      auto scheduler = w.scheduler();
      KvDelete op(*scheduler, spec, std::move(options));
      op.start();
      if (attempt < 6) {
        w.sim.run_until_time(w.sim.now() + milliseconds(300 + rng() % 900));
        if (!op.finished()) {
          const auto st = engine::Journal::load(store);
          if (st && st->resume && st->resume->contains("tails")) split_before_a_kill = true;
          w.sim.discard_pending();  // killed: in-flight calls are applied, never answered
          continue;
        }
      }
      w.sim.run_until([&] { return op.finished(); });
      report = op.report();
      break;
    }
    CHECK(report.status == OpStatus::completed);
    CHECK(report.done == 40'000);
    CHECK(w.keys() == 50);
    CHECK(split_before_a_kill);  // the kills did land in a sharded listing
  }
}
