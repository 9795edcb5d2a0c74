// Server-level behaviour of the model: authentication, the global rate limit and its headers, faults, latency,
// statistics, reset, state files, and robustness against arbitrary requests.
#include "model/support.hpp"

#include <set>
#include <sstream>

#include <fmt/format.h>

#include "ckp/api/kv.hpp"
#include "ckp/emu/random.hpp"

namespace ckp::emu_server_test {
using namespace ckp::emu_test;
using api::Method;

emu::Config limited(std::int64_t quota, std::int64_t window, std::int64_t lockout = 300, double scale = 1) {
  emu::Config c = config();
  c.rate_limit.quota = quota;
  c.rate_limit.window_seconds = window;
  c.rate_limit.lockout_seconds = lockout;
  c.time_scale = scale;
  return c;
}

api::Request list_keys(const Harness& h) { return api::kv::list_keys(account, h.ns, {}); }
}  // namespace ckp::emu_server_test

using namespace ckp::emu_server_test;

TEST_CASE("authentication: bearer token, email + key, missing or wrong, malformed header") {
  Harness h;
  api::Request r = list_keys(h);
  CHECK(h.server.handle(r, h.now).response.status == 403);
  CHECK(failure_code(h.server.handle(r, h.now)) == 10000);
  r.headers.set("Authorization", "Bearer nope");
  CHECK(failure_code(h.server.handle(r, h.now)) == 10000);
  r.headers.set("Authorization", "bearer   tok  ");
  CHECK(h.server.handle(r, h.now).response.status == 200);
  r.headers.set("Authorization", "Basic dG9rOg==");
  auto basic = h.server.handle(r, h.now);
  CHECK(basic.response.status == 400);
  json b = body_of(basic);
  CHECK(b["errors"][0]["code"] == 6003);
  CHECK(b["errors"][0]["error_chain"][0]["code"] == 6111);

  api::Request legacy = list_keys(h);
  legacy.headers.set("X-Auth-Key", "tok");
  CHECK(h.server.handle(legacy, h.now).response.status == 403);  // no email
  legacy.headers.set("X-Auth-Email", "user@example.com");
  CHECK(h.server.handle(legacy, h.now).response.status == 200);
  legacy.headers.set("X-Auth-Key", "wrong");
  CHECK(h.server.handle(legacy, h.now).response.status == 403);
  // Failed authentication is not charged to any token and carries no rate headers.
  CHECK_FALSE(h.server.handle(r, h.now).response.headers.has("Ratelimit"));
}

TEST_CASE("rate limit: headers on every authenticated response, 971 and lockout, Retry-After") {
  Harness h(limited(5, 60));
  for (int i = 0; i < 5; ++i) {
    auto r = h.send(list_keys(h));
    CHECK(r.response.status == 200);
    CHECK(r.response.headers.get("Ratelimit") == fmt::format("\"default\";r={};t=60", 4 - i));
    CHECK(r.response.headers.get("Ratelimit-Policy") == "\"default\";q=5;w=60");
    CHECK_FALSE(r.response.headers.has("Retry-After"));
  }
  auto over = h.send(list_keys(h));
  CHECK(over.response.status == 429);
  CHECK(failure_code(over) == 971);
  CHECK(body_of(over)["errors"][0]["message"] == "Please wait and consider throttling your request speed");
  CHECK(over.response.headers.get("Retry-After") == "300");
  CHECK(over.response.headers.get("Ratelimit") == "\"default\";r=0;t=300");
  CHECK(h.server.stats().lockouts == 1);

  h.now += std::chrono::seconds(100);  // the window has emptied, but the lockout holds
  auto during = h.send(list_keys(h));
  CHECK(during.response.status == 429);
  CHECK(during.response.headers.get("Retry-After") == "200");
  CHECK(h.send(api::Request(Method::get, "/zones")).response.status == 429);               // every endpoint
  CHECK(h.send(api::kv::list_namespaces(other_account), "other").response.status == 200);  // per token
  CHECK(h.server.stats().lockouts == 1);

  h.now += std::chrono::seconds(200);
  auto after = h.send(list_keys(h));
  CHECK(after.response.status == 200);
  CHECK(after.response.headers.get("Ratelimit") == "\"default\";r=4;t=60");
  CHECK(h.server.stats().rate_limited == 3);
  CHECK(h.server.stats().by_status[429] == 3);

  // Error responses of authenticated requests count and carry the headers too.
  auto missing = h.send(api::Request(Method::get, h.ns_path() + "/values/none"));
  CHECK(missing.response.status == 404);
  CHECK(missing.response.headers.get("Ratelimit") == "\"default\";r=3;t=60");
}

TEST_CASE("rate limit: a true sliding window") {
  Harness h(limited(3, 10, 0));
  using std::chrono::milliseconds;
  Instant start = h.now;
  for (int at : {0, 4000, 8000}) {
    h.now = start + milliseconds(at);
    REQUIRE(h.send(list_keys(h)).response.status == 200);
  }
  h.now = start + milliseconds(9999);
  auto refused = h.send(list_keys(h));
  CHECK(refused.response.status == 429);
  CHECK(refused.response.headers.get("Ratelimit") == "\"default\";r=0;t=1");  // 1 ms: whole seconds, never 0
  h.now = start + milliseconds(10'000);
  auto ok = h.send(list_keys(h));
  CHECK(ok.response.status == 200);
  CHECK(ok.response.headers.get("Ratelimit") == "\"default\";r=0;t=4");
}

TEST_CASE("rate limit: the time scale shrinks window, lockout and Retry-After") {
  Harness h(limited(2, 300, 300, 1000));
  CHECK(h.send(list_keys(h)).response.headers.get("Ratelimit-Policy") == "\"default\";q=2;w=0.3");
  h.send(list_keys(h));
  auto over = h.send(list_keys(h));
  CHECK(over.response.status == 429);
  CHECK(over.response.headers.get("Retry-After") == "1");                  // 0.3 s, rounded up, at least 1
  CHECK(over.response.headers.get("Ratelimit") == "\"default\";r=0;t=1");  // 0.3 s, rounded up
  h.now += std::chrono::milliseconds(299);
  CHECK(h.send(list_keys(h)).response.status == 429);
  h.now += std::chrono::milliseconds(1);
  CHECK(h.send(list_keys(h)).response.status == 200);

  h.server.set_rate_limit({0, 300, 300, 200});  // off
  for (int i = 0; i < 50; ++i) REQUIRE(h.send(list_keys(h)).response.status == 200);
  CHECK_FALSE(h.send(list_keys(h)).response.headers.has("Ratelimit"));
}

TEST_CASE("faults: deterministic with the seed, rates roughly respected") {
  auto statuses = [](std::uint64_t seed) {
    emu::Config c = config();
    c.faults.error_500 = 0.3;
    c.fault_seed = seed;
    Harness h(c);
    std::string s;
    for (int i = 0; i < 200; ++i) s += h.send(list_keys(h)).response.status == 500 ? 'x' : '.';
    return s;
  };
  std::string a = statuses(7);
  CHECK(a == statuses(7));
  CHECK(a != statuses(8));
  auto failures = std::count(a.begin(), a.end(), 'x');
  CHECK(failures > 30);
  CHECK(failures < 90);
}

TEST_CASE("faults: 500/503/502/html are not applied; slow, disconnect and truncate are") {
  auto with = [](auto set) {
    emu::Config c = config();
    set(c.faults);
    return c;
  };
  auto write = [](Harness& h, const std::string& key) {
    api::Request r(Method::put, h.ns_path() + "/values/" + key);
    r.body = "v";
    return h.send(r);
  };
  {
    Harness h(with([](emu::FaultRates& f) { f.error_500 = 1; }));
    auto r = write(h, "k");
    CHECK(r.response.status == 500);
    CHECK(failure_code(r) == 10001);
    CHECK_FALSE(h.server.value_of(h.ns, "k", h.now));
    CHECK(h.server.stats().writes == 0);
  }
  {
    Harness h(with([](emu::FaultRates& f) { f.error_503 = 1; }));
    auto r = write(h, "k");
    CHECK(r.response.status == 503);
    CHECK(failure_code(r) == 10002);
    CHECK_FALSE(h.server.value_of(h.ns, "k", h.now));
  }
  for (int which = 0; which < 2; ++which) {
    Harness h(with([which](emu::FaultRates& f) { (which ? f.html : f.error_502) = 1; }));
    auto r = write(h, "k");
    CHECK(r.response.status == 502);
    CHECK(r.response.headers.get("Content-Type") == "text/html");
    CHECK(r.response.body.find("<html>") == 0);
    CHECK_FALSE(h.server.value_of(h.ns, "k", h.now));
    CHECK(r.response.headers.has("Ratelimit"));
  }
  {
    Harness h(with([](emu::FaultRates& f) {
      f.slow = 1;
      f.slow_delay = std::chrono::milliseconds(1500);
    }));
    h.server.set_latency({std::chrono::milliseconds(10), {}, {}});
    auto r = write(h, "k");
    CHECK(r.response.status == 200);
    CHECK(r.delay == std::chrono::milliseconds(1510));
    CHECK(h.server.value_of(h.ns, "k", h.now) == "v");
  }
  {
    Harness h(with([](emu::FaultRates& f) { f.disconnect = 1; }));
    auto r = write(h, "k");
    CHECK(r.delivery == emu::Delivery::disconnect);
    CHECK(h.server.value_of(h.ns, "k", h.now) == "v");
  }
  {
    Harness h(with([](emu::FaultRates& f) { f.truncate = 1; }));
    auto r = write(h, "k");
    CHECK(r.response.status == 200);
    CHECK(body_of(r).is_discarded());
    CHECK(h.server.value_of(h.ns, "k", h.now) == "v");
    auto missing = h.send(api::Request(Method::get, h.ns_path() + "/values/none"));
    CHECK(missing.response.status == 200);  // a cut 404 envelope arrives as a 200 with broken JSON
    CHECK(body_of(missing).is_discarded());
    auto raw = h.send(api::Request(Method::get, h.ns_path() + "/values/k"));
    CHECK(raw.response.body == "v");  // raw values are never cut
    CHECK(h.server.stats().faults_injected == 2);
  }
}

TEST_CASE("faults: partial bulk failures and the poison prefix") {
  emu::Config c = config();
  c.faults.partial_bulk = 0.5;
  c.faults.poison_prefix = "bad/";
  Harness h(c);
  json pairs = json::array();
  for (int i = 0; i < 100; ++i) pairs.push_back({{"key", "k" + std::to_string(i)}, {"value", "v"}});
  pairs.push_back({{"key", "bad/1"}, {"value", "v"}});
  api::Request w(Method::put, h.ns_path() + "/bulk");
  w.body = pairs.dump();
  json res = result_of(h.send(w));
  std::set<std::string> failed(res["unsuccessful_keys"].begin(), res["unsuccessful_keys"].end());
  CHECK(failed.count("bad/1") == 1);
  CHECK(failed.size() > 20);
  CHECK(failed.size() < 80);
  CHECK(res["successful_key_count"] == 101 - static_cast<int>(failed.size()));
  for (int i = 0; i < 100; ++i) {
    std::string k = "k" + std::to_string(i);
    CHECK(h.server.value_of(h.ns, k, h.now).has_value() == (failed.count(k) == 0));
  }
  CHECK(h.server.stats().faults_injected == failed.size());

  h.server.put_key(h.ns, "bad/2", "v");
  api::Request put(Method::put, h.ns_path() + "/values/bad%2F2");
  put.body = "new";
  CHECK(h.send(put).response.status == 500);
  CHECK(h.server.value_of(h.ns, "bad/2", h.now) == "v");
  CHECK(h.send(api::Request(Method::del, h.ns_path() + "/values/bad%2F2")).response.status == 500);
  CHECK(h.send(api::Request(Method::get, h.ns_path() + "/values/bad%2F2")).response.status == 200);  // reads work
  api::Request del(Method::post, h.ns_path() + "/bulk/delete");
  del.body = json{"bad/2"}.dump();
  CHECK(result_of(h.send(del)) == json{{"successful_key_count", 0}, {"unsuccessful_keys", {"bad/2"}}});

  emu::Config all = config();
  all.faults.partial_bulk = 1;
  Harness every(all);
  every.server.seed_keys(every.ns, "s", 5);
  del.path = every.ns_path() + "/bulk/delete";
  del.body = json{"s0000000", "s0000001"}.dump();
  CHECK(result_of(every.send(del))["successful_key_count"] == 0);
  CHECK(every.server.key_count(every.ns, every.now) == 5);
}

TEST_CASE("latency: base + jitter + per item") {
  Harness h;
  h.server.set_latency({std::chrono::milliseconds(20), std::chrono::milliseconds(10), std::chrono::milliseconds(1)});
  for (int i = 0; i < 20; ++i) {
    auto d = h.send(list_keys(h)).delay;
    CHECK(d >= std::chrono::milliseconds(20));
    CHECK(d < std::chrono::milliseconds(30));
  }
  api::Request del(Method::post, h.ns_path() + "/bulk/delete");
  del.body = json{"a", "b", "c", "d", "e"}.dump();
  auto d = h.send(del).delay;
  CHECK(d >= std::chrono::milliseconds(25));
  CHECK(d < std::chrono::milliseconds(35));
}

TEST_CASE("stats and reset") {
  Harness h;
  h.send(list_keys(h));
  h.send(api::Request(Method::get, "/zones"));
  h.server.handle(api::Request(Method::get, "/zones"), h.now);  // no token
  h.send(api::Request(Method::get, "/nowhere"));
  api::Request put(Method::put, h.ns_path() + "/values/k");
  put.body = "v";
  h.send(put);
  json s = h.server.stats_json();
  CHECK(s["requests"] == 5);
  CHECK(s["by_status"] == json{{"200", 3}, {"403", 1}, {"404", 1}});
  CHECK(s["by_endpoint"] == json{{"kv.keys.list", 1}, {"zones.list", 2}, {"unknown", 1}, {"kv.values.put", 1}});
  CHECK(s["writes"] == 1);
  CHECK(s["rate_limited"] == 0);
  CHECK(s["lockouts"] == 0);
  CHECK(s["namespaces"] == 1);
  CHECK(s["stored_keys"] == 1);

  std::string first_id = h.ns;
  h.server.reset();
  CHECK(h.server.stats().requests == 0);
  CHECK(h.server.stats_json()["namespaces"] == 0);
  CHECK(h.server.key_count(first_id, h.now) == 0);
  CHECK(h.server.create_namespace(account, "fresh") == first_id);  // the id generator restarts from the seed
  const std::string kept(32, 'c');
  CHECK(h.server.create_namespace(account, "restored", kept));
  CHECK_FALSE(h.server.create_namespace(account, "restored", std::string(32, 'd')));  // title taken
  CHECK_FALSE(h.server.create_namespace(account, "other", kept));                     // id taken
  CHECK(h.server.config().tokens.size() == 2);                                        // config kept
  CHECK(h.server.namespace_titles(account) ==
        std::map<std::string, std::string>{{"fresh", first_id}, {"restored", kept}});
}

TEST_CASE("state: save and load round trip; bad input changes nothing") {
  Harness h;
  h.server.seed_keys(h.ns, "s/", 3);
  h.server.put_key(h.ns, "bin", std::string("\0\xff\xfe", 3), ckp::to_unix_seconds(h.now) + 600, json{{"m", 1}});
  std::string other = h.server.create_namespace(other_account, "theirs");
  h.server.put_key(other, "x", "y");
  std::stringstream file;
  h.server.save_state(file);

  emu::Server loaded(config());
  CHECK_FALSE(loaded.load_state(file));
  CHECK(loaded.keys_with_prefix(h.ns, "", h.now) ==
        std::vector<std::string>{"bin", "s/0000000", "s/0000001", "s/0000002"});
  CHECK(loaded.value_of(h.ns, "bin", h.now) == std::string("\0\xff\xfe", 3));
  CHECK(loaded.value_of(other, "x", h.now) == "y");
  CHECK(loaded.namespace_id(account, "test") == h.ns);
  api::Request meta(Method::get, h.ns_path() + "/metadata/bin");
  meta.headers.set("Authorization", "Bearer tok");
  CHECK(result_of(loaded.handle(meta, h.now)) == json{{"m", 1}});
  CHECK(loaded.key_count(h.ns, h.now + std::chrono::seconds(600)) == 3);

  for (std::string bad : {"", "not json\n", "{\"format\":\"other\"}\n",
                          "{\"format\":\"cache-kv-purger-emulator-state\",\"namespaces\":[]}\n{\"ns\":\"x\",\"key\":"
                          "\"k\",\"value\":\"v\"}\n"}) {
    std::stringstream in(bad);
    CHECK(loaded.load_state(in));
    CHECK(loaded.key_count(h.ns, h.now) == 4);
  }
}

TEST_CASE("robustness: arbitrary requests never throw and never corrupt the store") {
  Harness h;
  h.server.seed_keys(h.ns, "keep/", 50);
  ckp::emu::Rng rng(42);
  const std::vector<std::string> segments = {"accounts",
                                             account,
                                             other_account,
                                             "storage",
                                             "kv",
                                             "namespaces",
                                             h.ns,
                                             "keys",
                                             "values",
                                             "metadata",
                                             "bulk",
                                             "delete",
                                             "get",
                                             "zones",
                                             zone_id,
                                             "purge_cache",
                                             "",
                                             "%",
                                             "%2F",
                                             "..",
                                             "x%zz",
                                             std::string(600, 'k'),
                                             "\xff",
                                             "?",
                                             "keep%2F0000001"};
  const std::vector<std::string> bodies = {"",
                                           "{",
                                           "[",
                                           "null",
                                           "[]",
                                           "{}",
                                           "[1,2,3]",
                                           "[{\"key\":1}]",
                                           "{\"keys\":[1]}",
                                           "{\"title\":5}",
                                           "{\"files\":[{\"url\":5}]}",
                                           "{\"purge_everything\":true,\"tags\":[]}",
                                           "\xff\xfe",
                                           std::string(200, '[') + std::string(200, ']'),
                                           "[{\"key\":\"k\",\"value\":\"v\",\"metadata\":" + std::string(100, '[') +
                                               std::string(100, ']') + "}]",
                                           "{\"keys\":[\"keep/0000001\"],\"type\":\"json\"}"};
  const Method methods[] = {Method::get, Method::post, Method::put, Method::patch, Method::del, Method::head};
  const std::vector<std::string> types = {"",
                                          "application/json",
                                          "text/plain",
                                          "multipart/form-data",
                                          "multipart/form-data; boundary=x",
                                          "application/octet-stream"};
  for (int i = 0; i < 5000; ++i) {
    api::Request r;
    r.method = methods[rng.next() % 6];
    int n = static_cast<int>(rng.next() % 10);
    for (int s = 0; s < n; ++s) r.path += "/" + segments[rng.next() % segments.size()];
    if (rng.chance(0.1)) r.path = segments[rng.next() % segments.size()];
    r.body = bodies[rng.next() % bodies.size()];
    if (auto& t = types[rng.next() % types.size()]; !t.empty()) r.headers.set("Content-Type", t);
    if (rng.chance(0.8)) r.headers.set("Authorization", rng.chance(0.9) ? "Bearer tok" : "Bearer \xff");
    if (rng.chance(0.3))
      r.query.emplace_back(rng.chance(0.5) ? "limit" : "cursor", segments[rng.next() % segments.size()]);
    if (rng.chance(0.2)) r.query.emplace_back("expiration_ttl", rng.chance(0.5) ? "-5" : "99999999999999999999");
    emu::Reply reply;
    CHECK_NOTHROW(reply = h.server.handle(r, h.now));
    CHECK(reply.response.status >= 200);
    CHECK(reply.response.status < 600);
    if (reply.response.status >= 400) CHECK_FALSE(body_of(reply).is_discarded());
  }
  auto keys = h.server.keys_with_prefix(h.ns, "", h.now);
  CHECK(std::is_sorted(keys.begin(), keys.end()));
  CHECK(std::adjacent_find(keys.begin(), keys.end()) == keys.end());
  CHECK(h.server.value_of(h.ns, "keep/0000049", h.now) == "value-0000049");
}
