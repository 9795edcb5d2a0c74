// Exactness, in virtual time: what a spec selects is exactly what a dry run shows and a delete removes; a later line
// for a key wins whatever the faults; counts stay exact across hard kills; a failed read is reported, not skipped.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <set>

#include "ckp/engine/journal.hpp"
#include "ckp/ops/kv_delete.hpp"
#include "ckp/ops/kv_export.hpp"
#include "ckp/ops/kv_import.hpp"
#include "ckp/ops/registry.hpp"
#include "support/sim_world.hpp"

using namespace ckp;
using namespace ckp::ops;
using nlohmann::json;
using std::chrono::milliseconds;

namespace exactness {

std::unique_ptr<io::RecordSource> input_of(std::string text, std::string name = "input") {
  return io::open_records(std::make_unique<io::StringReader>(std::move(text), std::move(name)));
}

// --- an independent statement of the selection rule (not the engine's code) ------------------------------------

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}
bool mentions(const json& m, const std::string& needle) {
  if (m.is_object() || m.is_array()) {
    for (const auto& v : m)
      if (mentions(v, needle)) return true;
    return false;
  }
  if (m.is_null()) return false;
  return lower(m.is_string() ? m.get<std::string>() : m.dump()).find(lower(needle)) != std::string::npos;
}
bool field_is(const json& m, const std::string& field, const std::string& value) {
  if (!m.is_object() || !m.contains(field) || m[field].is_null()) return false;
  if (value.empty()) return true;
  const json& v = m[field];
  if (v.is_object() || v.is_array()) return false;
  return (v.is_string() ? v.get<std::string>() : v.dump()) == value;
}
bool wanted(const KeySelection& s, const std::string& name, const json& metadata) {
  if (name.compare(0, s.prefix.size(), s.prefix) != 0) return false;
  if (!s.pattern.empty() && !std::regex_search(name, std::regex(s.pattern, std::regex::ECMAScript))) return false;
  if (!s.search.empty() && !mentions(metadata, s.search)) return false;
  if (!s.field.empty() && !field_is(metadata, s.field, s.value)) return false;
  return true;
}

/// A random key space with the names that break careless code: unicode, blanks, tabs, '#', '%', '/', 512-byte
/// names, near-duplicates, and a prefix that is itself a key.
std::map<std::string, json> key_space(std::mt19937_64& rng) {
  std::map<std::string, json> keys;
  const std::vector<json> metas = {nullptr,
                                   json{{"type", "image"}},
                                   json{{"type", "Image"}, {"n", 42}},
                                   json{{"type", "page"}, {"tags", {"Blue-Sky", "x"}}},
                                   json{{"info", {{"deep", {"BLUE-sky"}}}}},
                                   json{{"n", 42}, {"flag", true}},
                                   json{{"type", nullptr}}};
  const std::vector<std::string> stems = {"user/", "user", "user/ ", "user/\t", "#tag/", "%2F/",
                                          "a/b/",  "ünï/", "日本/",  "a b/",    "x%/",   "User/"};
  const int n = std::uniform_int_distribution<int>(40, 250)(rng);
  for (int i = 0; i < n; ++i) {
    std::string name = stems[rng() % stems.size()];
    switch (rng() % 5) {
      case 0: name += std::to_string(rng() % 1000); break;
      case 1: name += std::string(1, static_cast<char>('a' + rng() % 26)); break;
      case 2: name += std::string(512 - name.size() - 3, 'L') + std::to_string(rng() % 100); break;
      case 3: break;  // the stem itself: a key equal to a prefix
      default: name += std::to_string(rng() % 10) + (rng() % 2 ? " " : "#");
    }
    if (name.size() > 512) name.resize(512);
    keys[name] = metas[rng() % metas.size()];
  }
  return keys;
}

template <class T>
const T& pick(std::mt19937_64& rng, const std::vector<T>& v) {
  return v[rng() % v.size()];
}

/// A random combination of selection flags, valid or not.
KeySelection random_selection(std::mt19937_64& rng, const std::map<std::string, json>& keys) {
  KeySelection s;
  auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
  if (chance(45)) {
    auto it = std::next(keys.begin(), static_cast<long>(rng() % keys.size()));
    s.prefix = it->first.substr(0, 1 + rng() % std::min<std::size_t>(it->first.size(), 8));
  }
  if (chance(25))
    s.pattern = pick<std::string>(rng, {"^user/[0-4]", "5", "[a-c]", "[0-9]{2}", " ", "#", "%", "\t", "L{3}"});
  if (chance(25)) s.search = pick<std::string>(rng, {"blue", "IMAGE", "42", "sky", "x", "true"});
  if (chance(25)) {
    s.field = pick<std::string>(rng, {"type", "n", "tags", "flag"});
    s.value = pick<std::string>(rng, {"", "image", "42", "true", "Image"});
  } else if (chance(5)) {
    s.value = "image";  // a value without a field: refused
  }
  if (chance(12)) s.all_keys = true;
  if (chance(3)) s.pattern = "[unclosed";  // refused
  return s;
}

}  // namespace exactness

using namespace exactness;

TEST_CASE("selection property: a refusal changes nothing; otherwise dry-run set = deleted set = every filter at once") {
  const std::uint64_t seed = 20261129;
  std::mt19937_64 rng(seed);
  int refused = 0, listed = 0, key_lists = 0;
  for (int round = 0; round < 300; ++round) {
    INFO("seed " << seed << ", case " << round);
    test::SimWorld w(test::sim_config(milliseconds(1)));
    const auto keys = key_space(rng);
    for (const auto& [name, meta] : keys) w.server.put_key(w.ns, name, "v", 0, meta);
    KvDeleteSpec spec;
    spec.account_id = test::sim_account;
    spec.namespace_id = w.ns;
    spec.select = random_selection(rng, keys);
    spec.batch_size = 1 + rng() % 60;
    std::vector<std::string> list;  // a key list: some existing names, some not, as a JSON array (any bytes)
    if (rng() % 4 == 0) {
      spec.source = KvDeleteSpec::Source::keys;
      spec.input = "keys.json";
      for (const auto& [name, meta] : keys)
        if (rng() % 3 == 0) list.push_back(name);
      list.push_back("not/there");
      list.push_back(keys.begin()->first + "\x7f");
    }
    auto run_one = [&](bool dry, std::vector<std::string>* selected) {
      auto s = spec;
      s.dry_run = dry;
      auto scheduler = w.scheduler();
      KvDelete op(*scheduler, s, {},
                  s.source == KvDeleteSpec::Source::keys ? input_of(json(list).dump(), "keys.json") : nullptr);
      if (selected) op.on_selected([selected](const std::string& k) { selected->push_back(k); });
      return run(w.sim, op);
    };
    const auto before = w.server.keys_with_prefix(w.ns, "", w.sim.now());
    if (auto e = spec.validate()) {
      ++refused;
      auto r = run_one(false, nullptr);
      CHECK(r.status == OpStatus::failed);
      REQUIRE(r.error);
      CHECK(r.error->kind == ErrorKind::invalid_input);
      CHECK(w.server.keys_with_prefix(w.ns, "", w.sim.now()) == before);
      continue;
    }
    std::set<std::string> expected;
    if (spec.source == KvDeleteSpec::Source::keys) {
      ++key_lists;
      for (const auto& k : list)
        if (wanted(spec.select, k, nullptr)) expected.insert(k);
    } else {
      ++listed;
      for (const auto& [name, meta] : keys)
        if (spec.select.all_keys || wanted(spec.select, name, meta)) expected.insert(name);
    }
    std::vector<std::string> dry;
    auto dr = run_one(true, &dry);
    REQUIRE(dr.status == OpStatus::completed);
    CHECK(std::set<std::string>(dry.begin(), dry.end()) == expected);
    CHECK(dry.size() == expected.size());  // each exactly once
    CHECK(dr.done == expected.size());
    CHECK(w.server.keys_with_prefix(w.ns, "", w.sim.now()) == before);  // a dry run changes nothing

    auto real = run_one(false, nullptr);
    REQUIRE(real.status == OpStatus::completed);
    CHECK(real.done == expected.size());
    std::set<std::string> deleted;
    const auto after = w.server.keys_with_prefix(w.ns, "", w.sim.now());
    std::set_difference(before.begin(), before.end(), after.begin(), after.end(),
                        std::inserter(deleted, deleted.end()));
    std::set<std::string> expected_existing;
    for (const auto& k : expected)
      if (keys.count(k)) expected_existing.insert(k);
    CHECK(deleted == expected_existing);
  }
  MESSAGE("selection property: 300 cases (seed " << seed << "): " << listed << " listings, " << key_lists
                                                 << " key lists, " << refused << " refused");
  CHECK(refused > 20);
  CHECK(listed > 100);
  CHECK(key_lists > 20);
}

TEST_CASE("import: the last line for a key wins, whatever 500s, 503s and dropped connections do") {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    INFO("fault seed " << seed);
    auto config = test::sim_config(milliseconds(20), milliseconds(30));
    config.fault_seed = seed;
    config.faults.error_500 = 0.2;
    config.faults.error_503 = 0.1;
    config.faults.disconnect = 0.1;
    test::SimWorld w(config);
    std::string in;
    for (int line = 0; line < 3000; ++line)  // 300 keys, each on 10 lines, the value naming its line
      in += json{{"key", "k/" + std::to_string(line % 300)}, {"value", std::to_string(line)}}.dump() + "\n";
    KvImportSpec spec{test::sim_account, w.ns, "dups.ndjson"};
    spec.batch_size = 50;
    // At 40% faults a batch may exhaust its retries (8 attempts): the job then stops resumable, and is resumed, as a
    // user would — the order must hold across that too.
    engine::MemoryJournalStore store;
    OpReport r;
    for (int attempt = 0; attempt < 6; ++attempt) {
      engine::Journal journal(store);
      OpOptions options{.journal = &journal};
      if (attempt) options.resume = *engine::Journal::load(store);
      auto scheduler = w.scheduler();
      KvImport op(*scheduler, spec, input_of(in, "dups.ndjson"), options);
      r = run(w.sim, op);
      if (r.status != OpStatus::failed || !r.error || !r.error->retryable()) break;
    }
    INFO(r.to_json().dump());
    REQUIRE(r.status == OpStatus::completed);
    CHECK(r.done == 3000);
    int wrong = 0;
    for (int k = 0; k < 300; ++k)
      if (w.server.value_of(w.ns, "k/" + std::to_string(k), w.sim.now()) != std::to_string(2700 + k)) ++wrong;
    CHECK(wrong == 0);
  }
}

namespace exactness {

/// Runs the operation @p make builds, killing it @p kills times at random moments (in-flight calls are applied by
/// the server but never answered, as when a process dies), resuming from the journal each time; returns the final
/// report.
OpReport run_with_kills(test::SimWorld& w, int kills, std::uint64_t seed,
                        const std::function<std::unique_ptr<Operation>(engine::Scheduler&, OpOptions)>& make) {
  std::mt19937_64 rng(seed);
  engine::MemoryJournalStore store;
  for (int attempt = 0;; ++attempt) {
    engine::Journal journal(store);
    OpOptions options{.journal = &journal};
    if (attempt > 0) {
      auto st = engine::Journal::load(store);
      REQUIRE(st);
      options.resume = *st;
    }
    auto scheduler = w.scheduler();
    auto op = make(*scheduler, options);
    op->start();
    if (attempt < kills) {
      w.sim.run_until_time(w.sim.now() + milliseconds(50 + rng() % 400));
      if (!op->finished()) {
        w.sim.discard_pending();  // killed: nothing more is answered
        continue;
      }
    }
    w.sim.run_until([&] { return op->finished(); });
    return op->report();
  }
}

}  // namespace exactness

TEST_CASE("counts are exact after hard kills: prefix delete, keys-file delete, import") {
  SUBCASE("prefix delete of 30,000 keys, killed 8 times") {
    test::SimWorld w(test::sim_config(milliseconds(30), milliseconds(20)), 30'000, "p/");
    KvDeleteSpec spec;
    spec.account_id = test::sim_account;
    spec.namespace_id = w.ns;
    spec.select.prefix = "p/";
    spec.batch_size = 700;
    auto r = run_with_kills(w, 8, 7, [&](engine::Scheduler& s, OpOptions o) {
      return std::make_unique<KvDelete>(s, spec, std::move(o));
    });
    CHECK(r.status == OpStatus::completed);
    CHECK(r.done == 30'000);
    CHECK(w.keys() == 0);
  }
  SUBCASE("keys-file delete of 30,000 keys, killed 8 times") {
    test::SimWorld w(test::sim_config(milliseconds(30), milliseconds(20)), 30'000, "p/");
    std::string keys;
    for (const auto& k : w.server.keys_with_prefix(w.ns, "p/", w.sim.now())) keys += k + "\n";
    KvDeleteSpec spec;
    spec.account_id = test::sim_account;
    spec.namespace_id = w.ns;
    spec.source = KvDeleteSpec::Source::keys;
    spec.input = "keys.txt";
    spec.batch_size = 700;
    auto r = run_with_kills(w, 8, 8, [&](engine::Scheduler& s, OpOptions o) {
      return std::make_unique<KvDelete>(s, spec, std::move(o), input_of(keys, "keys.txt"));
    });
    CHECK(r.status == OpStatus::completed);
    CHECK(r.done == 30'000);
    CHECK(w.keys() == 0);
  }
  SUBCASE("import of 20,000 lines, killed 8 times") {
    test::SimWorld w(test::sim_config(milliseconds(30), milliseconds(20)));
    std::string in;
    for (int i = 0; i < 20'000; ++i) in += json{{"key", "i/" + std::to_string(i)}, {"value", "v"}}.dump() + "\n";
    KvImportSpec spec{test::sim_account, w.ns, "in.ndjson"};
    spec.batch_size = 600;
    auto r = run_with_kills(w, 8, 9, [&](engine::Scheduler& s, OpOptions o) {
      return std::make_unique<KvImport>(s, spec, input_of(in, "in.ndjson"), std::move(o));
    });
    CHECK(r.status == OpStatus::completed);
    CHECK(r.done == 20'000);
    CHECK(w.keys() == 20'000);
  }
}

TEST_CASE("export: a key whose read fails is reported failed, never silently left out") {
  test::SimWorld w(test::sim_config(milliseconds(5)));
  for (int i = 0; i < 50; ++i) w.server.put_key(w.ns, "e/" + std::to_string(i), "v" + std::to_string(i));
  w.server.put_key(w.ns, "e/bin", std::string("\xff\xfe\x00", 3));  // not text: its chunk is read key by key
  // A server that cannot serve one key (as Cloudflare does for a key it cannot route): 400 for that key's value.
  transport::SimTransport sim(
      [&](const api::Request& r, Instant t) {
        if (r.method == api::Method::get && r.path.ends_with("/values/e%2F7")) {
          emu::Reply reply;
          reply.response = emu::failure(400, 10001, "cannot read this key");
          return reply;
        }
        return w.server.handle(r, t);
      },
      {test::sim_token});
  engine::Scheduler scheduler(sim);
  io::StringSink out;
  KvExport op(scheduler, {test::sim_account, w.ns, "e/", "out.ndjson"}, out);
  auto r = run(sim, op);
  CHECK(r.status == OpStatus::partial);
  CHECK(r.done == 50);
  CHECK(r.failed == 1);
  REQUIRE(r.failures.size() == 1);
  CHECK(r.failures[0].item == "e/7");
  CHECK(r.extra["vanished"] == 0);
  CHECK(out.str().find("\"e/7\"") == std::string::npos);
}

TEST_CASE("import: a pair whose absolute expiration has come too close is reported, the rest is written") {
  test::SimWorld w(test::sim_config(milliseconds(5)));
  const auto now = to_unix_seconds(w.sim.now());
  std::string in = json{{"key", "a"}, {"value", "1"}, {"expiration", now + 30}}.dump() + "\n" +
                   json{{"key", "b"}, {"value", "2"}, {"expiration", now + 3600}}.dump() + "\n" +
                   json{{"key", "c"}, {"value", "3"}, {"expiration", now - 10}}.dump() + "\n";
  auto src = input_of(in, "exp.ndjson");
  CHECK(*preflight_import(*src) == 3);  // not a reason to refuse the whole file
  auto scheduler = w.scheduler();
  KvImport op(*scheduler, {test::sim_account, w.ns, "exp.ndjson"}, input_of(in, "exp.ndjson"));
  auto r = run(w.sim, op);
  CHECK(r.status == OpStatus::partial);
  CHECK(r.done == 1);
  CHECK(r.failed == 2);
  CHECK(w.server.value_of(w.ns, "b", w.sim.now()) == "2");
  CHECK_FALSE(w.server.value_of(w.ns, "a", w.sim.now()));
}

TEST_CASE("the registry builds every operation from its spec JSON, and refuses a bad one naming fields in the front's "
          "words") {
  test::SimWorld w(test::sim_config(milliseconds(5)), 100, "r/");
  auto scheduler = w.scheduler();
  OpEnvironment env;
  env.scheduler = scheduler.get();
  const auto names = w.server.keys_with_prefix(w.ns, "r/", w.sim.now());
  env.open_input = [&](const std::string& name, std::uint64_t) -> Result<std::unique_ptr<io::RecordSource>> {
    return input_of(json{names[0], names[1], "nope/3"}.dump(), name);
  };

  KvDeleteSpec spec;
  spec.account_id = test::sim_account;
  spec.namespace_id = w.ns;
  spec.source = KvDeleteSpec::Source::keys;
  spec.input = "keys.json";
  spec.select.prefix = "r/";
  OpOptions named;
  named.name_field = [](std::string_view f) { return "<" + std::string(f) + ">"; };
  auto built = build_operation(KvDeleteSpec::op_name, spec.to_json(), env, named, false);
  REQUIRE(built);
  CHECK(built->noun == "keys");
  auto r = run(w.sim, *built->op);
  CHECK(r.done == 2);  // the prefix narrows the list: nope/3 is not touched
  CHECK(r.spec == spec.to_json());
  CHECK(w.keys() == 98);

  spec.select.search = "x";
  auto refused = build_operation(KvDeleteSpec::op_name, spec.to_json(), env, named, false);
  REQUIRE_FALSE(refused);
  CHECK(
      refused.error().message ==
      "<search> filters by metadata, which only a listing shows: it cannot be combined with a list of keys (<input>)");
  CHECK_FALSE(build_operation("kv.frobnicate", json::object(), env, {}, false));
}

namespace exactness {

/// Two bulk deletes and a stream of interactive calls at once against a 120-per-minute quota, each on its own
/// scheduler; with @p shared, all three share one governor. Returns the server's counters.
emu::Stats two_jobs_and_browsing(bool shared) {
  auto config = test::sim_config(milliseconds(30));
  config.rate_limit = {120, 60, 60, 200};
  test::SimWorld w(config);
  w.server.seed_keys(w.ns, "a/", 60'000);
  w.server.seed_keys(w.ns, "b/", 60'000);
  engine::SchedulerConfig sc;
  sc.governor.global = config.rate_limit;
  auto governor = std::make_shared<engine::RateGovernor>(sc.governor);
  engine::Scheduler job_a(w.sim, sc, shared ? governor : nullptr);
  engine::Scheduler job_b(w.sim, sc, shared ? governor : nullptr);
  engine::Scheduler browsing(w.sim, sc, shared ? governor : nullptr);
  auto spec = [&](const char* prefix) {
    KvDeleteSpec s;
    s.account_id = test::sim_account;
    s.namespace_id = w.ns;
    s.select.prefix = prefix;
    s.batch_size = 1000;  // 60 listings and 60 deletes each: together three times the quota of one window
    return s;
  };
  KvDelete a(job_a, spec("a/")), b(job_b, spec("b/"));
  a.start();
  b.start();
  // Someone browses: a page of keys every two seconds, for as long as the deletes run.
  int pages = 0, impatient = 0;
  std::function<void()> browse = [&] {
    if (a.finished() && b.finished()) return;
    browsing.submit(
        api::kv::list_keys(test::sim_account, w.ns, {"", "", 10}), engine::Cost::api_call(), api::kv::parse_keys,
        [&](Result<api::kv::KeyPage> r) { r ? ++pages : ++impatient; },
        engine::SubmitOptions{.max_wait = std::chrono::seconds(10)});
    w.sim.after(std::chrono::seconds(2), browse);
  };
  browse();
  w.sim.run_until([&] { return a.finished() && b.finished(); });
  CHECK(a.report().done + b.report().done == 120'000);
  const std::string who = shared ? "one governor" : "three governors";
  MESSAGE(who << ": " << w.server.stats().rate_limited << " x 429, " << w.server.stats().lockouts << " lockouts, "
              << pages << " pages browsed, " << impatient << " browsing calls refused at once for a long wait");
  return w.server.stats();
}

}  // namespace exactness

TEST_CASE("one governor per token: two jobs and browsing together never go over the token's quota") {
  const auto shared = two_jobs_and_browsing(true);
  CHECK(shared.rate_limited == 0);
  CHECK(shared.lockouts == 0);
  // The defect this guards against: a governor per job, each believing it owns the quota.
  const auto split = two_jobs_and_browsing(false);
  CHECK(split.rate_limited > 0);
}
