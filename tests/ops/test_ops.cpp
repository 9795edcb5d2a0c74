// Purge, import, export and sync purge against the server model, in virtual time.
#include <doctest/doctest.h>

#include <set>

#include "ckp/ops/kv_export.hpp"
#include "ckp/ops/kv_import.hpp"
#include "ckp/ops/purge.hpp"
#include "ckp/ops/sync_purge.hpp"
#include "support/sim_world.hpp"

using namespace ckp;
using namespace ckp::ops;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace ops_test {
constexpr const char* zone_a = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr const char* zone_b = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

emu::Config purge_config(api::PlanProfile plan) {
  auto c = test::sim_config(milliseconds(150), milliseconds(50));
  c.plan = std::move(plan);
  c.zones = {{"example.com", zone_a, test::sim_account}, {"shop.example.com", zone_b, test::sim_account}};
  return c;
}

std::unique_ptr<io::RecordSource> lines(std::string text, std::string name = "input.txt") {
  return std::make_unique<io::LineRecords>(std::make_unique<io::StringReader>(std::move(text), std::move(name)));
}
std::unique_ptr<io::RecordSource> records(std::string text, std::string name = "input") {
  return io::open_records(std::make_unique<io::StringReader>(std::move(text), std::move(name)));
}
}  // namespace ops_test
using namespace ops_test;

TEST_CASE("purge 100,000 URLs on each plan: within 5% of what the plan allows, no 429") {
  for (auto plan : {api::PlanProfile::free(), api::PlanProfile::pro(), api::PlanProfile::business(),
                    api::PlanProfile::enterprise()}) {
    CAPTURE(plan.name);
    test::SimWorld w(purge_config(plan));
    std::string urls;
    for (int i = 0; i < 100'000; ++i) urls += "https://example.com/assets/" + std::to_string(i) + ".css\n";
    engine::SchedulerConfig sc;
    sc.governor.plan = plan;
    sc.limit = {"gradient2", 4, 1, 64};
    auto scheduler = w.scheduler(sc);
    PurgeSpec spec;
    spec.kind = api::purge::Kind::files;
    spec.account_id = test::sim_account;
    spec.zones = {{zone_a, "example.com"}};
    spec.plan = plan;
    Purge op(*scheduler, spec, lines(urls), {.progress_interval = seconds(5)});
    const Instant start = w.sim.now();
    auto report = run(w.sim, op);
    const double took = to_seconds(w.sim.now() - start);
    CHECK(report.status == OpStatus::completed);
    CHECK(report.done == 100'000);
    CHECK(w.server.stats().rate_limited == 0);
    CHECK(report.requests.sent == (100'000 + plan.max_urls_per_request - 1) / plan.max_urls_per_request);
    // URLs per second is the binding limit: the bucket starts with one second's worth.
    const double bound = (100'000 - plan.urls_per_second) / plan.urls_per_second;
    MESSAGE(plan.name << ": " << took << " s, bound " << bound << " s");
    CHECK(took >= bound);
    CHECK(took <= 1.05 * bound);
    std::uint64_t purged = 0;
    for (const auto& p : w.server.purges()) purged += p.items.size();
    CHECK(purged == 100'000);
  }
}

TEST_CASE("purge tags on the free plan follows the flex bucket (5 per minute, burst 25), no 429") {
  auto plan = api::PlanProfile::free();
  test::SimWorld w(purge_config(plan));
  std::string tags;
  for (int i = 0; i < 5000; ++i) tags += "tag-" + std::to_string(i) + "\n";
  engine::SchedulerConfig sc;
  sc.governor.plan = plan;
  auto scheduler = w.scheduler(sc);
  PurgeSpec spec;
  spec.kind = api::purge::Kind::tags;
  spec.zones = {{zone_a, "example.com"}};
  spec.plan = plan;
  Purge op(*scheduler, spec, lines(tags), {.progress_interval = seconds(60)});
  const Instant start = w.sim.now();
  auto report = run(w.sim, op);
  const double took = to_seconds(w.sim.now() - start);
  CHECK(report.done == 5000);
  CHECK(report.requests.sent == 50);
  CHECK(w.server.stats().rate_limited == 0);
  const double bound = (50 - 25) * 60.0 / 5;  // 25 in the burst, then 5 a minute
  CHECK(took >= bound);
  CHECK(took <= 1.05 * bound);
}

TEST_CASE("purge routes URLs to zones by host, longest match first, across all pages of zones") {
  auto config = purge_config(api::PlanProfile::enterprise());
  for (int i = 0; i < 120; ++i) {  // more zones than one page of 50
    char id[33];
    std::snprintf(id, sizeof id, "%032x", 0x1000 + i);
    config.zones.push_back({"site" + std::to_string(i) + ".org", id, test::sim_account});
  }
  test::SimWorld w(config);
  auto scheduler = w.scheduler();
  PurgeSpec spec;
  spec.kind = api::purge::Kind::files;
  spec.account_id = test::sim_account;
  Purge op(*scheduler, spec,
           lines("https://example.com/a\nhttps://www.example.com/b\nhttps://shop.example.com/c\n# comment\n\n"
                 "https://x.site119.org/d\n"));
  auto report = run(w.sim, op);
  CHECK(report.status == OpStatus::completed);
  CHECK(report.done == 4);
  std::map<std::string, std::vector<std::string>> by_zone;
  for (const auto& p : w.server.purges())
    for (const auto& item : p.items) by_zone[p.zone_id].push_back(item);
  CHECK(by_zone[zone_a] == std::vector<std::string>{"https://example.com/a", "https://www.example.com/b"});
  CHECK(by_zone[zone_b] == std::vector<std::string>{"https://shop.example.com/c"});
  CHECK(by_zone.size() == 3);
}

TEST_CASE("a URL for a zone you do not have stops the purge before anything is sent") {
  test::SimWorld w(purge_config(api::PlanProfile::enterprise()));
  auto scheduler = w.scheduler();
  PurgeSpec spec;
  spec.kind = api::purge::Kind::files;
  spec.zones = {{zone_a, "example.com"}};
  Purge op(*scheduler, spec, lines("https://example.com/ok\nhttps://other.net/x\n", "urls.txt"));
  auto report = run(w.sim, op);
  CHECK(report.status == OpStatus::failed);
  CHECK(report.error->message.starts_with("urls.txt:2: \"https://other.net/x\" is not in the given zones"));
  CHECK(w.server.purges().empty());
  CHECK(w.server.stats().requests == 0);
}

TEST_CASE("purge files with headers, hosts, prefixes, everything; a refused URL is isolated by bisection") {
  test::SimWorld w(purge_config(api::PlanProfile::enterprise()));
  SUBCASE("files with headers (NDJSON objects) plus a global --header") {
    auto scheduler = w.scheduler();
    PurgeSpec spec;
    spec.kind = api::purge::Kind::files;
    spec.zones = {{zone_a, "example.com"}};
    spec.headers = {{"Accept-Language", "en"}};
    Purge op(*scheduler, spec,
             lines(R"({"url":"https://example.com/cat.jpg","headers":{"CF-IPCountry":"US","CF-Device-Type":"desktop"}})"
                   "\nhttps://example.com/plain\n"));
    auto report = run(w.sim, op);
    CHECK(report.done == 2);
    REQUIRE(w.server.purges().size() == 1);
  }
  SUBCASE("hosts and prefixes route by host") {
    auto scheduler = w.scheduler();
    PurgeSpec spec;
    spec.kind = api::purge::Kind::prefixes;
    spec.account_id = test::sim_account;
    Purge op(*scheduler, spec, lines("example.com/img\nshop.example.com/cart\n"));
    auto report = run(w.sim, op);
    CHECK(report.done == 2);
    CHECK(w.server.purges().size() == 2);
  }
  SUBCASE("everything, on every given zone, with zone concurrency 1") {
    auto scheduler = w.scheduler();
    PurgeSpec spec;
    spec.kind = api::purge::Kind::everything;
    spec.zones = {{zone_a, "example.com"}, {zone_b, "shop.example.com"}};
    spec.zone_concurrency = 1;
    Purge op(*scheduler, spec, nullptr);
    auto report = run(w.sim, op);
    CHECK(report.done == 2);
    REQUIRE(w.server.purges().size() == 2);
    CHECK(w.server.purges()[0].type == "purge_everything");
  }
  SUBCASE("a dry run sends nothing and reports the plan") {
    auto scheduler = w.scheduler();
    PurgeSpec spec;
    spec.kind = api::purge::Kind::tags;
    spec.zones = {{zone_a, "example.com"}};
    spec.dry_run = true;
    std::string tags;
    for (int i = 0; i < 250; ++i) tags += "t" + std::to_string(i) + "\n";
    Purge op(*scheduler, spec, lines(tags));
    auto report = run(w.sim, op);
    CHECK(report.done == 250);
    CHECK(report.extra["zones"][0]["requests"] == 3);
    CHECK(w.server.purges().empty());
    CHECK(w.server.stats().requests == 1);  // the zone's plan was read (GET /zones/{id}); nothing purged
  }
}

TEST_CASE("import NDJSON and a JSON array; a bad record names file and line; export round-trips") {
  test::SimWorld w(test::sim_config(milliseconds(50)));
  SUBCASE("NDJSON with metadata, ttl, base64 and non-string values") {
    std::string in;
    for (int i = 0; i < 25'000; ++i)
      in += R"({"key":"u/)" + std::to_string(i) + R"(","value":"v)" + std::to_string(i) + "\"}\n";
    in += R"({"key":"meta","value":"m","metadata":{"a":1},"expiration_ttl":600})"
          "\n";
    in += R"({"name":"bin","value":"//4A","base64":true})"
          "\n";
    in += R"({"key":"obj","value":{"nested":[1,2]}})"
          "\n";
    auto scheduler = w.scheduler();
    KvImportSpec spec{test::sim_account, w.ns, "in.ndjson", in.size()};
    KvImport op(*scheduler, spec, records(in, "in.ndjson"));
    auto report = run(w.sim, op);
    CHECK(report.status == OpStatus::completed);
    CHECK(report.done == 25'003);
    CHECK(report.requests.sent == 3);
    CHECK(w.keys() == 25'003);
    CHECK(w.server.value_of(w.ns, "u/77", w.sim.now()) == "v77");
    CHECK(w.server.value_of(w.ns, "bin", w.sim.now()) == std::string("\xff\xfe\x00", 3));
    CHECK(w.server.value_of(w.ns, "obj", w.sim.now()) == R"({"nested":[1,2]})");

    // Export everything back and compare.
    io::StringSink out;
    auto s2 = w.scheduler();
    KvExport exp(*s2, {test::sim_account, w.ns, "", "out.ndjson"}, out);
    auto er = run(w.sim, exp);
    CHECK(er.status == OpStatus::completed);
    CHECK(er.done == 25'003);
    std::set<std::string> seen;
    std::size_t line_count = 0;
    std::istringstream lines_in(out.str());
    for (std::string line; std::getline(lines_in, line);) {
      auto j = nlohmann::json::parse(line);
      seen.insert(j["key"].get<std::string>());
      ++line_count;
      if (j["key"] == "meta") {
        CHECK(j["metadata"]["a"] == 1);
        CHECK(j.contains("expiration"));
      }
      if (j["key"] == "bin") {
        CHECK(j["base64"] == true);
        CHECK(j["value"] == "//4A");
      }
    }
    CHECK(line_count == 25'003);
    CHECK(seen.size() == 25'003);
  }
  SUBCASE("JSON array input") {
    std::string in = "[\n";
    for (int i = 0; i < 300; ++i)
      in += std::string(i ? "," : "") + R"({"key":"a/)" + std::to_string(i) + R"(","value":"x"})" + "\n";
    in += "]";
    auto scheduler = w.scheduler();
    KvImport op(*scheduler, {test::sim_account, w.ns, "in.json"}, records(in, "in.json"));
    CHECK(run(w.sim, op).done == 300);
    CHECK(w.keys() == 300);
  }
  SUBCASE("a bad record: preflight names it and nothing is written") {
    std::string in = R"({"key":"a","value":"1"})"
                     "\n"
                     R"({"key":"b","value":"2","expiration_ttl":30})"
                     "\n";
    auto src = records(in, "bad.ndjson");
    auto pre = preflight_import(*src);
    REQUIRE_FALSE(pre);
    CHECK(pre.error().message == "bad.ndjson:2: expiration_ttl 30 is too short; Workers KV needs at least 60 seconds");
    CHECK(w.keys() == 0);
  }
}

TEST_CASE("export is streamed page by page and resumes from its journal without duplicates") {
  auto config = test::sim_config(milliseconds(40));
  test::SimWorld w(config, 12'345, "e/");
  io::StringSink out;
  engine::MemoryJournalStore store;
  engine::CancelToken cancel;
  {
    engine::Journal journal(store);
    auto scheduler = w.scheduler();
    KvExport exp(*scheduler, {test::sim_account, w.ns, "e/", "x.ndjson"}, out,
                 {.journal = &journal, .progress_interval = milliseconds(50), .cancel = cancel});
    exp.start();
    w.sim.run_until_time(w.sim.now() + milliseconds(150));
    cancel.request_stop();
    w.sim.run_until([&] { return exp.finished(); });
    CHECK(exp.report().status == OpStatus::cancelled);
  }
  auto st = engine::Journal::load(store);
  REQUIRE(st);
  engine::Journal journal(store);
  auto scheduler = w.scheduler();
  KvExport resumed(*scheduler, {test::sim_account, w.ns, "e/", "x.ndjson"}, out, {.journal = &journal, .resume = *st});
  auto report = run(w.sim, resumed);
  CHECK(report.status == OpStatus::completed);
  CHECK(report.done == 12'345);
  std::istringstream in(out.str());
  std::vector<std::string> keys;
  for (std::string line; std::getline(in, line);) keys.push_back(nlohmann::json::parse(line)["key"]);
  CHECK(keys.size() == 12'345);
  CHECK(std::is_sorted(keys.begin(), keys.end()));
  CHECK(std::adjacent_find(keys.begin(), keys.end()) == keys.end());
}

TEST_CASE("sync purge: delete keys by metadata, then purge the tags they named") {
  test::SimWorld w(purge_config(api::PlanProfile::enterprise()));
  for (int i = 0; i < 2500; ++i) {
    nlohmann::json meta{{"type", i % 2 ? "image" : "page"},
                        {"cache-tags", "product-" + std::to_string(i % 10) + ",shared"}};
    w.server.put_key(w.ns, "p/" + std::to_string(i), "v", 0, meta);
  }
  auto scheduler = w.scheduler();
  SyncPurgeSpec spec;
  spec.account_id = test::sim_account;
  spec.namespace_id = w.ns;
  spec.select.field = "type";
  spec.select.value = "image";
  spec.zones = {{zone_a, "example.com"}};
  SyncPurge op(*scheduler, spec);
  auto report = run(w.sim, op);
  CHECK(report.status == OpStatus::completed);
  CHECK(report.extra["keys_deleted"] == 1250);
  CHECK(w.keys() == 1250);
  auto tags = report.extra["tags"].get<std::vector<std::string>>();
  CHECK(tags == std::vector<std::string>{"product-1", "product-3", "product-5", "product-7", "product-9", "shared"});
  REQUIRE(w.server.purges().size() == 1);
  CHECK(w.server.purges()[0].type == "tags");
  CHECK(w.server.purges()[0].items.size() == 6);
}

/// Purges @p count URLs on zone_a against @p config, by a client configured for the enterprise plan.
struct TimedPurge {
  OpReport report;
  double seconds = 0;   ///< virtual time the purge took
  double url_rate = 0;  ///< the governor's URL rate at the end (learned, or the plan's)
  std::uint64_t http_429 = 0;
};
TimedPurge purge_urls_as_enterprise(const emu::Config& config, int count) {
  test::SimWorld w(config);
  std::string urls;
  for (int i = 0; i < count; ++i) urls += "https://example.com/" + std::to_string(i) + "\n";
  engine::SchedulerConfig sc;
  sc.governor.plan = api::PlanProfile::enterprise();
  auto scheduler = w.scheduler(sc);
  PurgeSpec spec;
  spec.kind = api::purge::Kind::files;
  spec.zones = {{zone_a, "example.com"}};
  Purge op(*scheduler, spec, lines(urls), {.progress_interval = seconds(1)});
  const Instant start = w.sim.now();
  TimedPurge out;
  out.report = run(w.sim, op);
  out.seconds = to_seconds(w.sim.now() - start);
  out.url_rate = scheduler->governor().url_rate();
  out.http_429 = w.server.stats().rate_limited;
  return out;
}

TEST_CASE("with purge policy hints, a time-scaled emulator states its purge buckets and the governor paces to them") {
  // At time scale 100 the enterprise URL bucket refills 300,000 URLs per second; the client, configured for the
  // real enterprise plan, learns the scaled rate from Ratelimit-Policy after its first purge. Cloudflare sends no
  // such hints: the emulator does only when asked (Config::purge_policy_hints), as here, to test the parsing.
  auto config = purge_config(api::PlanProfile::enterprise());
  config.time_scale = 100;
  config.purge_policy_hints = true;
  config.latency = {milliseconds(2), Duration{0}, Duration{0}};
  const TimedPurge p = purge_urls_as_enterprise(config, 100'000);
  CHECK(p.report.done == 100'000);
  CHECK(p.http_429 == 0);
  CHECK(p.url_rate == doctest::Approx(300'000));
  CHECK(p.seconds < 2.0);  // unscaled, this would take 32 s; scaled, the bound is 0.32 s plus round trips
}

TEST_CASE("without purge policy hints (Cloudflare's way), the governor paces purges to the documented plan") {
  // The same time-scaled emulator, honest by default: nothing tells the client the scaled bucket, so it keeps the
  // enterprise plan's documented 3,000 URLs per second — slower than the emulator would allow, never a 429.
  auto config = purge_config(api::PlanProfile::enterprise());
  config.time_scale = 100;
  config.latency = {milliseconds(2), Duration{0}, Duration{0}};
  REQUIRE_FALSE(config.purge_policy_hints);
  const TimedPurge p = purge_urls_as_enterprise(config, 30'000);
  CHECK(p.report.done == 30'000);
  CHECK(p.http_429 == 0);
  CHECK(p.url_rate == doctest::Approx(3'000));
  // One second's worth (3,000 URLs) up front, then 3,000 per second: about 9 s, not the 0.1 s the scaled bucket
  // would allow.
  CHECK(p.seconds == doctest::Approx(9.0).epsilon(0.05));
}

namespace ops_test {
/// What a purge of URLs did against the server model.
struct PlanRun {
  OpReport report;
  double seconds = 0;
  std::uint64_t refused_400 = 0, http_429 = 0, purge_calls = 0;
  std::map<std::string, std::size_t> largest;  ///< zone name → the most URLs one accepted purge carried
};
/// Purges @p urls against @p config with a client told nothing about the plan (unless @p plan is given).
PlanRun purge_without_plan(const emu::Config& config, const std::string& urls,
                           std::optional<api::PlanProfile> plan = std::nullopt, std::vector<ZoneRef> zones = {}) {
  test::SimWorld w(config);
  auto scheduler = w.scheduler();
  PurgeSpec spec;
  spec.kind = api::purge::Kind::files;
  spec.account_id = test::sim_account;
  spec.zones = std::move(zones);
  spec.plan = std::move(plan);
  Purge op(*scheduler, spec, lines(urls), {.progress_interval = seconds(5)});
  const Instant start = w.sim.now();
  PlanRun out;
  out.report = run(w.sim, op);
  out.seconds = to_seconds(w.sim.now() - start);
  out.refused_400 = w.server.stats().by_status.count(400) ? w.server.stats().by_status.at(400) : 0;
  out.http_429 = w.server.stats().rate_limited;
  for (const auto& p : w.server.purges()) {
    ++out.purge_calls;
    out.largest[p.zone_name] = std::max(out.largest[p.zone_name], p.items.size());
  }
  return out;
}
std::string urls_on(const std::string& host, int count, int from = 0) {
  std::string urls;
  for (int i = from; i < from + count; ++i) urls += "https://" + host + "/assets/" + std::to_string(i) + ".css\n";
  return urls;
}
}  // namespace ops_test

TEST_CASE("without a plan, each zone is paced by the plan its zone object names: Pro, 5,000 URLs, at the bound") {
  // The issue's measurement: told nothing, the engine assumed Enterprise (500 URLs per call), every call was refused
  // and halved down to 62/63 URLs, 70 refusals, 11.7 s. Now the zone object says "pro".
  const PlanRun r = purge_without_plan(purge_config(api::PlanProfile::pro()), urls_on("example.com", 5000));
  CHECK(r.report.status == OpStatus::completed);
  CHECK(r.report.done == 5000);
  CHECK(r.refused_400 == 0);
  CHECK(r.http_429 == 0);
  CHECK(r.purge_calls == 50);
  CHECK(r.report.requests.sent == 51);  // the zones listing, then 50 purges
  CHECK(r.largest.at("example.com") == 100);
  // 1,500 URLs at once, then 1,500 per second; plus two round trips of up to 200 ms: the last purge's answer, and
  // the first answer before refill is counted (until then the server's bucket may still be full: purge_buckets.hpp).
  const double bound = (5000 - 1500) / 1500.0 + 2 * 0.2;
  MESSAGE("pro, no plan given: " << r.seconds << " s, bound " << bound << " s");
  CHECK(r.seconds <= 1.10 * bound);
  CHECK(r.report.extra["zones"][0]["plan"] == "pro");
}

TEST_CASE("an explicit zone's plan is read from GET /zones/{id}, after the input is checked") {
  const PlanRun r = purge_without_plan(purge_config(api::PlanProfile::business()), urls_on("example.com", 250),
                                       std::nullopt, {{zone_a, "example.com", ""}});
  CHECK(r.report.done == 250);
  CHECK(r.report.requests.sent == 4);  // the zone, then 100 + 100 + 50
  CHECK(r.refused_400 == 0);
  CHECK(r.report.extra["zones"][0]["plan"] == "business");
}

TEST_CASE("a cap the API states is learned at once: pending batches re-cut, not halved one by one") {
  // Told the wrong plan (Enterprise: 500 per call) on a Pro zone (100), the calls in flight at the start are refused;
  // everything pending is re-cut to 100 after the first refusal. No call of 250, 125 or 62.
  const PlanRun r = purge_without_plan(purge_config(api::PlanProfile::pro()), urls_on("example.com", 5000),
                                       api::PlanProfile::enterprise());
  CHECK(r.report.done == 5000);
  CHECK(r.report.failed == 0);
  CHECK(r.purge_calls == 50);
  CHECK(r.largest.at("example.com") == 100);
  CHECK(r.refused_400 >= 1);
  CHECK(r.refused_400 <= 6);  // at most the calls sent before the first answer (3,000 URLs of bucket / 500)
  // Paced at Enterprise's 3,000 URLs per second, it meets the Pro bucket's 429s: a wrong --plan costs time (each
  // 429's Retry-After is honoured), never a URL.
  REQUIRE(r.report.extra.contains("notes"));
  CHECK(r.report.extra["notes"][0].get<std::string>().find("100 files per request") != std::string::npos);
}

TEST_CASE("zones of different plans in one run each get their own caps and buckets: Free and Enterprise at once") {
  auto config = purge_config(api::PlanProfile::enterprise());
  config.zones[0].plan = "free";  // example.com: 100 URLs per call, 800 per second
  const PlanRun r = purge_without_plan(config, urls_on("example.com", 8000) + urls_on("shop.example.com", 50'000));
  CHECK(r.report.done == 58'000);
  CHECK(r.refused_400 == 0);
  CHECK(r.http_429 == 0);
  CHECK(r.largest.at("example.com") == 100);
  CHECK(r.largest.at("shop.example.com") == 500);
  // In parallel: the slower of (8,000 − 800) / 800 = 9 s and (50,000 − 3,000) / 3,000 = 15.7 s (+ 2 round trips).
  const double bound = std::max((8000 - 800) / 800.0, (50'000 - 3000) / 3000.0) + 2 * 0.2;
  MESSAGE("free + enterprise: " << r.seconds << " s, bound " << bound << " s");
  CHECK(r.seconds <= 1.10 * bound);
}

TEST_CASE("an item given twice is purged once, and the report says how many were dropped") {
  test::SimWorld w(purge_config(api::PlanProfile::enterprise()));
  auto scheduler = w.scheduler();
  PurgeSpec spec;
  spec.kind = api::purge::Kind::files;
  spec.zones = {{zone_a, "example.com", ""}};
  std::string urls = urls_on("example.com", 1000) + urls_on("example.com", 1000);  // every URL twice
  urls += R"({"url":"https://example.com/assets/1.css","headers":{"CF-Device-Type":"mobile"}})"
          "\n";  // not a repeat: another cache key
  SUBCASE("purge") {
    Purge op(*scheduler, spec, lines(urls));
    auto report = run(w.sim, op);
    CHECK(report.status == OpStatus::completed);
    CHECK(report.done == 1001);
    CHECK(report.extra["duplicates"] == 1000);
    std::set<std::string> purged;
    std::size_t sent = 0;
    for (const auto& p : w.server.purges())
      for (const auto& item : p.items) purged.insert(item.dump()), ++sent;
    CHECK(sent == 1001);
    CHECK(purged.size() == 1001);
  }
  SUBCASE("a dry run counts the same") {
    spec.dry_run = true;
    Purge op(*scheduler, spec, lines(urls));
    auto report = run(w.sim, op);
    CHECK(report.done == 1001);
    CHECK(report.scanned == 2001);
    CHECK(report.extra["duplicates"] == 1000);
    CHECK(report.extra["zones"][0]["items"] == 1001);
    CHECK(w.server.purges().empty());
  }
}

TEST_CASE("tags given twice go once to every zone, and each zone's count says so") {
  test::SimWorld w(purge_config(api::PlanProfile::enterprise()));
  auto scheduler = w.scheduler();
  PurgeSpec spec;
  spec.kind = api::purge::Kind::tags;
  spec.zones = {{zone_a, "example.com", ""}, {zone_b, "shop.example.com", ""}};
  spec.dry_run = true;
  Purge op(*scheduler, spec, lines("a\nb\na\nc\nb\na\n"));
  auto report = run(w.sim, op);
  CHECK(report.done == 6);  // 3 distinct tags x 2 zones
  CHECK(report.extra["duplicates"] == 3);
  REQUIRE(report.extra["zones"].size() == 2);
  CHECK(report.extra["zones"][0]["items"] == 3);
  CHECK(report.extra["zones"][1]["items"] == 3);
}
