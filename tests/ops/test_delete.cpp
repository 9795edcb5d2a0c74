// The engine's "done means" for deletes, in virtual time: minimal requests, no 429, near the bound; exact results
// under faults; exact results across kills and resumes; determinism.
#include <doctest/doctest.h>

#include <set>

#include "ckp/ops/kv_delete.hpp"
#include "support/sim_world.hpp"

using namespace ckp;
using namespace ckp::ops;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace delete_test {

KvDeleteSpec prefix_spec(const test::SimWorld& w, std::string prefix) {
  KvDeleteSpec s;
  s.account_id = test::sim_account;
  s.namespace_id = w.ns;
  s.select.prefix = std::move(prefix);
  return s;
}

/// A spec for the keys of an input named keys.txt.
KvDeleteSpec keys_spec(const test::SimWorld& w) {
  KvDeleteSpec s = prefix_spec(w, "");
  s.source = KvDeleteSpec::Source::keys;
  s.input = "keys.txt";
  return s;
}

/// Records the time each list call took (the sequential chain every prefix delete must wait for).
struct ChainClock {
  Duration list_total{0};
  Duration last_bulk{0};
  Instant first_bulk_sent{Instant::max()}, last_list_done{};
  std::uint64_t lists = 0, bulks = 0;
};

engine::SchedulerConfig observed(ChainClock& clock, transport::SimTransport& sim) {
  engine::SchedulerConfig c;
  c.on_exchange = [&clock, &sim](const api::Request& r, const api::Response&, Duration rtt) {
    if (r.request_class == api::RequestClass::list) {
      clock.list_total += rtt;
      ++clock.lists;
      clock.last_list_done = sim.now();
    } else if (r.request_class == api::RequestClass::bulk) {
      ++clock.bulks;
      clock.first_bulk_sent = std::min(clock.first_bulk_sent, sim.now() - rtt);
      clock.last_bulk = rtt;
    }
  };
  return c;
}

}  // namespace delete_test
using namespace delete_test;

TEST_CASE("delete 1,000,000 keys by prefix: minimal requests, no 429, within 5% of the bound") {
  test::SimWorld w(test::sim_config(milliseconds(100), milliseconds(20)), 1'000'000, "old/");
  w.server.seed_keys(w.ns, "keep/", 1000);
  ChainClock clock;
  auto scheduler = w.scheduler(observed(clock, w.sim));
  KvDelete op(*scheduler, prefix_spec(w, "old/"), {.progress_interval = seconds(10)});
  const Instant start = w.sim.now();
  auto report = run(w.sim, op);
  const Duration took = w.sim.now() - start;

  CHECK(report.status == OpStatus::completed);
  CHECK(report.done == 1'000'000);
  CHECK(w.keys() == 1000);  // only keep/ remains
  CHECK(w.server.stats().rate_limited == 0);
  CHECK(w.server.stats().lockouts == 0);
  // ⌈N/1000⌉ list calls + ⌈N/10,000⌉ bulk deletes, and the few scouts that showed the job too big to list in
  // parallel within the window (1,100 requests of its 1,200; a split would cost ~250 more): nothing else.
  CHECK(clock.lists >= 1000);
  CHECK(clock.lists <= 1000 + 4);
  CHECK(clock.bulks == 100);
  CHECK(report.requests.sent == clock.lists + 100);
  CHECK(report.extra["listing"]["splits"] == 0);
  // Deletes start while the listing continues.
  CHECK(clock.first_bulk_sent < clock.last_list_done);
  // The bound: 1100 requests fit in one 1200/5 min window, so the rate limit does not bind; the sequential list
  // chain does, plus the one delete that must follow the last page.
  const Duration bound = clock.list_total + clock.last_bulk;
  MESSAGE("virtual duration " << to_seconds(took) << " s, bound " << to_seconds(bound) << " s");
  CHECK(to_seconds(took) <= 1.05 * to_seconds(bound));
}

TEST_CASE("when the rate limit binds, the duration is within 5% of it, with no 429") {
  // A token whose window allows only 200 calls per 5 minutes (e.g. one shared with other tools): 1100 calls
  // cannot all go in one window. The governor learns the quota from Ratelimit-Policy.
  auto config = test::sim_config(milliseconds(100));
  config.rate_limit = {200, 300, 300, 200};
  test::SimWorld w(config, 1'000'000, "old/");
  auto scheduler = w.scheduler();
  KvDelete op(*scheduler, prefix_spec(w, "old/"), {.progress_interval = seconds(30)});
  const Instant start = w.sim.now();
  auto report = run(w.sim, op);
  const double took = to_seconds(w.sim.now() - start);
  CHECK(report.status == OpStatus::completed);
  CHECK(w.keys() == 0);
  CHECK(w.server.stats().rate_limited == 0);
  // No client can have call k answered before ⌊k/200⌋ windows have passed: the 1100th needs 5 windows.
  const double bound = 5 * 300.0;
  MESSAGE("virtual duration " << took << " s, rate-limit bound " << bound << " s");
  CHECK(took >= bound);
  CHECK(took <= 1.05 * bound);
}

TEST_CASE("under 5% 5xx, disconnects and partial bulk failures the result is exact") {
  auto config = test::sim_config(milliseconds(80), milliseconds(40));
  config.faults.error_500 = 0.02;
  config.faults.error_503 = 0.02;
  config.faults.html = 0.01;
  config.faults.disconnect = 0.02;
  config.faults.truncate = 0.01;
  config.faults.partial_bulk = 0.05;
  config.faults.poison_prefix = "old/poison";
  config.fault_seed = 99;
  test::SimWorld w(config, 100'000, "old/");
  for (int i = 0; i < 7; ++i) w.server.put_key(w.ns, "old/poison-" + std::to_string(i), "x");
  w.server.seed_keys(w.ns, "keep/", 500);
  auto scheduler = w.scheduler();
  KvDelete op(*scheduler, prefix_spec(w, "old/"), {.progress_interval = seconds(10)});
  auto report = run(w.sim, op);

  CHECK(report.status == OpStatus::partial);
  CHECK(report.done == 100'000);
  CHECK(report.failed == 7);
  std::set<std::string> failed;
  for (const auto& f : report.failures) failed.insert(f.item);
  std::set<std::string> poison;
  for (int i = 0; i < 7; ++i) poison.insert("old/poison-" + std::to_string(i));
  CHECK(failed == poison);
  // The store holds exactly what should remain: keep/ and the poisoned keys.
  auto remaining = w.server.keys_with_prefix(w.ns, "", w.sim.now());
  CHECK(remaining.size() == 507);
  CHECK(w.server.keys_with_prefix(w.ns, "old/", w.sim.now()) == std::vector<std::string>(poison.begin(), poison.end()));
  CHECK(w.server.stats().faults_injected > 100);
  CHECK(report.requests.retries > 0);
  MESSAGE("faults injected " << w.server.stats().faults_injected << ", retries " << report.requests.retries);
}

TEST_CASE("killed at 20 random moments and resumed each time: exact final state") {
  auto config = test::sim_config(milliseconds(60), milliseconds(60));
  config.faults.partial_bulk = 0.02;
  config.faults.error_503 = 0.02;
  test::SimWorld w(config, 200'000, "old/");
  w.server.seed_keys(w.ns, "keep/", 300);
  engine::MemoryJournalStore store;
  engine::Rng rng(2026);
  int kills = 0;
  OpReport last;
  for (int round = 0; round <= 20; ++round) {
    auto scheduler = w.scheduler({.seed = static_cast<std::uint64_t>(round + 1)});
    engine::Journal journal(store);
    OpOptions opts{.journal = &journal, .progress_interval = seconds(5)};
    if (round > 0) {
      auto st = engine::Journal::load(store);
      REQUIRE(st);
      if (st->end_status) break;
      opts.resume = *st;
    }
    KvDelete op(*scheduler, prefix_spec(w, "old/"), opts);
    op.start();
    if (round < 20) {
      // Run for a random while, then "kill": pending responses and timers vanish, unsynced journal lines are lost.
      const Instant kill_at = w.sim.now() + from_seconds(rng.uniform(0.1, 1.2));
      while (!op.finished() && w.sim.now() < kill_at && w.sim.step()) {
      }
      if (!op.finished()) {
        ++kills;
        w.sim.discard_pending();
        store.crash();
        continue;
      }
    } else {
      w.sim.run_until([&] { return op.finished(); });
    }
    last = op.report();
    break;
  }
  CHECK(kills == 20);
  CHECK(last.status == OpStatus::completed);
  CHECK(w.server.keys_with_prefix(w.ns, "old/", w.sim.now()).empty());
  CHECK(w.server.keys_with_prefix(w.ns, "keep/", w.sim.now()).size() == 300);
  MESSAGE("kills " << kills << ", keys verified " << 200'300);
}

TEST_CASE("delete by metadata field, by deep search, and from a keys input") {
  test::SimWorld w(test::sim_config(milliseconds(50)));
  for (int i = 0; i < 3000; ++i) {
    nlohmann::json meta{{"type", i % 3 == 0 ? "image" : "page"},
                        {"info", {{"tags", {i % 5 == 0 ? "Blue-Sky" : "grey"}}}}};
    w.server.put_key(w.ns, "k/" + std::to_string(i), "v", 0, meta);
  }
  SUBCASE("metadata field") {
    auto scheduler = w.scheduler();
    auto spec = prefix_spec(w, "k/");
    spec.select.field = "type";
    spec.select.value = "image";
    KvDelete op(*scheduler, spec);
    auto report = run(w.sim, op);
    CHECK(report.done == 1000);
    CHECK(report.scanned == 3000);
    CHECK(w.keys() == 2000);
  }
  SUBCASE("deep search, ignoring case") {
    auto scheduler = w.scheduler();
    auto spec = prefix_spec(w, "k/");
    spec.select.search = "BLUE-sky";
    KvDelete op(*scheduler, spec);
    auto report = run(w.sim, op);
    CHECK(report.done == 600);
    CHECK(w.keys() == 2400);
  }
  SUBCASE("keys input, streamed, with a dry run first") {
    std::string keys;
    for (int i = 0; i < 3000; i += 2) keys += "k/" + std::to_string(i) + "\n";
    keys += "\nk/does-not-exist\n";
    {
      auto scheduler = w.scheduler();
      auto spec = keys_spec(w);
      spec.dry_run = true;
      KvDelete dry(*scheduler, spec, {},
                   std::make_unique<io::LineRecords>(std::make_unique<io::StringReader>(keys, "keys.txt")));
      auto r = run(w.sim, dry);
      CHECK(r.done == 1501);
      CHECK(r.requests.sent == 0);  // a dry run sends nothing
      CHECK(w.keys() == 3000);
    }
    auto scheduler = w.scheduler();
    auto spec = keys_spec(w);
    spec.batch_size = 400;
    KvDelete op(*scheduler, spec, {},
                std::make_unique<io::LineRecords>(std::make_unique<io::StringReader>(keys, "keys.txt")));
    auto report = run(w.sim, op);
    CHECK(report.status == OpStatus::completed);
    CHECK(report.done == 1501);
    CHECK(report.requests.sent == 4);  // ⌈1501/400⌉
    CHECK(w.keys() == 1500);
  }
  SUBCASE("a preview (a dry run cut after one page) costs one list call, sharded listing or not") {
    for (std::size_t shards : {1u, 4u, 16u}) {
      CAPTURE(shards);
      ChainClock clock;
      auto scheduler = w.scheduler(observed(clock, w.sim));
      auto spec = prefix_spec(w, "k/");
      spec.dry_run = true;
      spec.max_pages = 1;
      OpOptions options;
      options.list_shards = shards;
      KvDelete preview(*scheduler, spec, std::move(options));
      auto r = run(w.sim, preview);
      CHECK(r.status == OpStatus::completed);
      CHECK(r.extra.value("complete", true) == false);
      CHECK(r.scanned == 1000);
      CHECK(r.done == 1000);
      CHECK(clock.lists == 1);
      CHECK(r.requests.sent == 1);
      CHECK(w.keys() == 3000);
    }
  }
  SUBCASE("a bad key stops before anything is deleted from that point, naming file and line") {
    std::string keys = "k/1\nk/2\n" + std::string(600, 'x') + "\n";
    auto scheduler = w.scheduler();
    auto spec = keys_spec(w);
    KvDelete op(*scheduler, spec, {},
                std::make_unique<io::LineRecords>(std::make_unique<io::StringReader>(keys, "keys.txt")));
    auto report = run(w.sim, op);
    CHECK(report.status == OpStatus::failed);
    REQUIRE(report.error);
    CHECK(report.error->message.starts_with("keys.txt:3: key"));
    CHECK(report.error->message.find("600 bytes") != std::string::npos);
  }
}

TEST_CASE("a resume with a different spec is refused") {
  test::SimWorld w(test::sim_config(), 100, "a/");
  engine::MemoryJournalStore store;
  engine::Journal journal(store);
  journal.begin(KvDeleteSpec::op_name, prefix_spec(w, "a/").to_json());
  auto scheduler = w.scheduler();
  KvDelete op(*scheduler, prefix_spec(w, "b/"), {.journal = &journal, .resume = *engine::Journal::load(store)});
  auto report = run(w.sim, op);
  CHECK(report.status == OpStatus::failed);
  CHECK(report.error->kind == ErrorKind::journal);
  CHECK(w.keys() == 100);
}

TEST_CASE("same seed, same decisions") {
  auto once = [] {
    auto config = test::sim_config(milliseconds(70), milliseconds(70));
    config.faults.error_503 = 0.05;
    config.faults.partial_bulk = 0.05;
    test::SimWorld w(config, 30'000, "x/");
    std::vector<std::string> log;
    engine::SchedulerConfig c;
    c.limit.algorithm = "gradient2";
    c.on_exchange = [&](const api::Request& r, const api::Response& resp, Duration rtt) {
      log.push_back(r.target() + " " + std::to_string(resp.status) + " " + std::to_string(rtt.count()) + " " +
                    std::to_string(w.sim.now().time_since_epoch().count()));
    };
    auto scheduler = w.scheduler(c);
    KvDelete op(*scheduler, prefix_spec(w, "x/"));
    run(w.sim, op);
    return log;
  };
  auto a = once();
  auto b = once();
  CHECK(a.size() > 30);
  CHECK(a == b);
}

TEST_CASE("cancellation drains calls in flight and leaves a resumable journal") {
  test::SimWorld w(test::sim_config(milliseconds(100)), 50'000, "c/");
  engine::MemoryJournalStore store;
  engine::Journal journal(store);
  engine::CancelToken cancel;
  auto scheduler = w.scheduler();
  KvDelete op(*scheduler, prefix_spec(w, "c/"),
              {.journal = &journal, .progress_interval = milliseconds(100), .cancel = cancel});
  op.start();
  w.sim.run_until_time(w.sim.now() + seconds(2));
  cancel.request_stop();
  w.sim.run_until([&] { return op.finished(); });
  CHECK(op.report().status == OpStatus::cancelled);
  CHECK(op.report().exit_code() == 130);
  CHECK(scheduler->idle());
  const auto deleted = 50'000 - w.keys();
  CHECK(op.report().done == deleted);  // counted exactly what the API confirmed
  auto st = engine::Journal::load(store);
  REQUIRE(st);
  CHECK_FALSE(st->end_status);

  auto scheduler2 = w.scheduler();
  KvDelete resumed(*scheduler2, prefix_spec(w, "c/"), {.journal = &journal, .resume = *st});
  auto report = run(w.sim, resumed);
  CHECK(report.status == OpStatus::completed);
  CHECK(w.keys() == 0);
}
