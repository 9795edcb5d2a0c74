// Units of the emulator model: routing, cursors, the store, the rate limiter, the token bucket, header formats.
#include "model/support.hpp"

#include "ckp/emu/kv_api.hpp"
#include "ckp/emu/rate_limiter.hpp"
#include "ckp/emu/routes.hpp"
#include "ckp/emu/store.hpp"
#include "ckp/engine/token_bucket.hpp"

namespace ckp::emu_units {
using namespace ckp::emu;
using api::Method;
const std::string A = emu_test::account;
const std::string N = "11111111111111111111111111111111";
const std::string base = "/accounts/" + A + "/storage/kv/namespaces/" + N;
}  // namespace ckp::emu_units

using namespace ckp::emu_units;

TEST_CASE("routes: every endpoint, HEAD as GET, trailing slash") {
  struct Row {
    Method m;
    std::string path;
    Endpoint e;
  };
  const Row rows[] = {
      {Method::get, "/accounts/" + A + "/storage/kv/namespaces", Endpoint::kv_namespaces_list},
      {Method::post, "/accounts/" + A + "/storage/kv/namespaces", Endpoint::kv_namespace_create},
      {Method::get, base, Endpoint::kv_namespace_get},
      {Method::put, base, Endpoint::kv_namespace_rename},
      {Method::del, base, Endpoint::kv_namespace_delete},
      {Method::get, base + "/keys", Endpoint::kv_keys_list},
      {Method::get, base + "/values/k", Endpoint::kv_value_get},
      {Method::head, base + "/values/k", Endpoint::kv_value_get},
      {Method::put, base + "/values/k", Endpoint::kv_value_put},
      {Method::del, base + "/values/k", Endpoint::kv_value_delete},
      {Method::get, base + "/metadata/k", Endpoint::kv_metadata_get},
      {Method::put, base + "/bulk", Endpoint::kv_bulk_write},
      {Method::del, base + "/bulk", Endpoint::kv_bulk_delete_legacy},
      {Method::post, base + "/bulk/delete", Endpoint::kv_bulk_delete},
      {Method::post, base + "/bulk/get", Endpoint::kv_bulk_get},
      {Method::get, "/zones", Endpoint::zones_list},
      {Method::get, "/zones/", Endpoint::zones_list},
      {Method::get, "/zones/" + ckp::emu_test::zone_id, Endpoint::zone_get},
      {Method::post, "/zones/" + ckp::emu_test::zone_id + "/purge_cache", Endpoint::purge},
  };
  for (const auto& row : rows) {
    CAPTURE(row.path);
    Route r = match_route(row.m, row.path);
    CHECK(r.problem == RouteProblem::none);
    CHECK(r.endpoint == row.e);
  }
  CHECK(endpoint_name(Endpoint::kv_bulk_delete) == "kv.bulk.delete");
}

TEST_CASE("routes: key names are decoded, keep literal slashes, and may contain route words") {
  CHECK(match_route(Method::get, base + "/values/a%2Fb%20c").key == "a/b c");
  CHECK(match_route(Method::get, base + "/values/a/b").key == "a/b");
  CHECK(match_route(Method::get, base + "/metadata/x/values/y").key == "x/values/y");
  CHECK(match_route(Method::get, base + "/values/x/metadata/y").key == "x/metadata/y");
  CHECK(match_route(Method::get, base + "/values/%E2%82%AC").key == "\xE2\x82\xAC");
  CHECK(match_route(Method::get, base + "/values/a%zz").problem == RouteProblem::bad_key_encoding);
  CHECK(match_route(Method::get, base + "/values/").key.empty());
}

TEST_CASE("routes: keys with newlines and other control bytes route to the value and metadata endpoints") {
  // Cloudflare allows any bytes of valid UTF-8 in a key; only the client's percent-encoding carries them.
  for (std::string raw : {"%0A", "a%0Ab", "%0D%0A", "%00", "%01x", "%09tab", "%1F", "%7F", "line%0A/values/x"}) {
    const std::string decoded = *ckp::api::url_decode(raw);
    for (Method m : {Method::get, Method::put, Method::del}) {
      Route r = match_route(m, base + "/values/" + raw);
      CHECK_MESSAGE(r.problem == RouteProblem::none, raw);
      CHECK(r.key == decoded);
    }
    Route meta = match_route(Method::get, base + "/metadata/" + raw);
    CHECK_MESSAGE(meta.endpoint == Endpoint::kv_metadata_get, raw);
    CHECK(meta.key == decoded);
  }
  CHECK(match_route(Method::put, base + "/values/%0A").endpoint == Endpoint::kv_value_put);
  CHECK(match_route(Method::del, base + "/values/%0A").endpoint == Endpoint::kv_value_delete);
}

TEST_CASE("routes: problems") {
  CHECK(match_route(Method::get, "/").problem == RouteProblem::no_route);
  CHECK(match_route(Method::get, "").problem == RouteProblem::no_route);
  CHECK(match_route(Method::get, "/accounts/" + A + "/workers/scripts").problem == RouteProblem::no_route);
  CHECK(match_route(Method::get, base + "/nope").problem == RouteProblem::no_route);
  CHECK(match_route(Method::get, "/zones/" + ckp::emu_test::zone_id + "/dns_records").problem ==
        RouteProblem::no_route);
  Route r = match_route(Method::post, base + "/keys");
  CHECK(r.problem == RouteProblem::method_not_allowed);
  CHECK(r.allow == "GET");
  CHECK(match_route(Method::patch, base).allow == "GET, PUT, DELETE");
  CHECK(match_route(Method::get, "/accounts/xyz/storage/kv/namespaces").problem == RouteProblem::bad_identifier);
  CHECK(match_route(Method::get, "/zones/123").problem == RouteProblem::bad_identifier);
  CHECK(match_route(Method::get, "/accounts/" + A + "/storage/kv/namespaces/short/keys").problem ==
        RouteProblem::bad_identifier);
}

TEST_CASE("cursors are opaque base64url and round-trip any key") {
  for (const std::string& key : std::vector<std::string>{"a", "user/0000042", "\xff\xfe?/+=", std::string(512, 'x')}) {
    std::string c = encode_cursor(key);
    CHECK(c.find_first_of("+/=") == std::string::npos);
    CHECK(decode_cursor(c) == key);
  }
  CHECK_FALSE(decode_cursor("not a cursor!"));
  CHECK_FALSE(decode_cursor("a+b"));
}

TEST_CASE("store: byte order, prefix, pages, cursor after a deleted key") {
  Namespace ns;
  for (std::string k : {"b", "a", "B", "a/2", "a/10", "\xc3\xa9", "a/1"}) ns.put(k, Entry{"v", "", 0});
  const Instant now = ckp::emu_test::t0;
  auto names = [](const Namespace::Page& p) {
    std::vector<std::string> out;
    for (const auto& k : p.keys) out.push_back(*k.name);
    return out;
  };
  auto all = ns.list("", std::nullopt, 100, now);
  CHECK(names(all) == std::vector<std::string>{"B", "a", "a/1", "a/10", "a/2", "b", "\xc3\xa9"});
  CHECK_FALSE(all.more);
  auto p1 = ns.list("a/", std::nullopt, 2, now);
  CHECK(names(p1) == std::vector<std::string>{"a/1", "a/10"});
  CHECK(p1.more);
  ns.erase("a/10");  // the cursor key disappears between pages
  auto p2 = ns.list("a/", std::string_view("a/10"), 2, now);
  CHECK(names(p2) == std::vector<std::string>{"a/2"});
  CHECK_FALSE(p2.more);
  // A cursor before the prefix range starts at the prefix.
  CHECK(names(ns.list("b", std::string_view("B"), 10, now)) == std::vector<std::string>{"b"});
  // Exactly `limit` keys left: no further page.
  CHECK_FALSE(ns.list("a/", std::nullopt, 2, now).more);
}

TEST_CASE("store: expired keys are invisible and not counted") {
  Namespace ns;
  const Instant now = ckp::emu_test::t0;
  std::int64_t s = ckp::to_unix_seconds(now);
  ns.put("live", Entry{"v", "", 0});
  ns.put("soon", Entry{"v", "", s + 60});
  ns.put("later", Entry{"v", "", s + 120});
  CHECK(ns.live_count(now) == 3);
  CHECK(ns.live_count(now + std::chrono::seconds(60)) == 2);
  CHECK(ns.find("soon", now + std::chrono::seconds(59)) != nullptr);
  CHECK(ns.find("soon", now + std::chrono::seconds(60)) == nullptr);
  auto page = ns.list("", std::nullopt, 1, now + std::chrono::seconds(61));
  REQUIRE(page.keys.size() == 1);
  CHECK(*page.keys[0].name == "later");
  CHECK(page.more);                    // "live" follows
  ns.put("later", Entry{"v", "", 0});  // overwriting drops the expiration
  CHECK(ns.live_count(now + std::chrono::seconds(1000)) == 2);
  ns.sweep(now + std::chrono::seconds(1000));
  CHECK(ns.entries().size() == 2);
}

TEST_CASE("store: seeding is ordered, padded and replaces") {
  Namespace ns;
  ns.put("user/0000005", Entry{"old", "", 42});
  ns.seed("user/", 100'000);
  CHECK(ns.entries().size() == 100'000);
  CHECK(ns.entries().begin()->first == "user/0000000");
  CHECK(ns.entries().rbegin()->first == "user/0099999");
  CHECK(ns.find("user/0000005", ckp::emu_test::t0)->value == "value-0000005");
  CHECK(ns.live_count(ckp::emu_test::t0 + std::chrono::hours(1)) == 100'000);
  Namespace wide;
  wide.seed("k", 3);
  CHECK(wide.entries().begin()->first == "k0000000");
}

TEST_CASE("header formats: seconds with up to 3 decimals, Retry-After whole and at least 1") {
  CHECK(format_header_seconds(300, false) == "300");
  CHECK(format_header_seconds(0.3, false) == "0.3");
  CHECK(format_header_seconds(300.0 / 7, false) == "42.857");
  CHECK(format_header_seconds(0.0001, true) == "0.001");
  CHECK(format_header_seconds(1.2501, true) == "1.251");
  CHECK(format_header_seconds(-1, true) == "0");
  CHECK(retry_after_value(std::chrono::milliseconds(200)) == "1");
  CHECK(retry_after_value(std::chrono::milliseconds(1500)) == "2");
  CHECK(retry_after_value(std::chrono::seconds(300)) == "300");
  CHECK(retry_after_value(ckp::Duration{0}) == "1");
}

TEST_CASE("sliding window: counts the last window, then locks out") {
  ckp::api::GlobalRateLimit limit{3, 10, 30, 200};
  SlidingWindowLimiter l(limit, 1.0);
  const Instant t = ckp::emu_test::t0;
  using std::chrono::milliseconds;
  CHECK(l.admit("a", t).remaining == 2);
  CHECK(l.admit("a", t + milliseconds(4000)).remaining == 1);
  auto third = l.admit("a", t + milliseconds(8000));
  CHECK(third.remaining == 0);
  CHECK(third.reset == milliseconds(2000));  // the first request leaves the window at t+10 s
  auto over = l.admit("a", t + milliseconds(9000));
  CHECK_FALSE(over.admitted);
  CHECK(over.started_lockout);
  CHECK(over.reset == std::chrono::seconds(30));
  auto during = l.admit("a", t + milliseconds(38'999));
  CHECK_FALSE(during.admitted);
  CHECK_FALSE(during.started_lockout);
  CHECK(during.reset == milliseconds(1));
  CHECK(l.admit("b", t + milliseconds(9000)).admitted);  // per token
  auto after = l.admit("a", t + milliseconds(39'000));
  CHECK(after.admitted);
  CHECK(after.remaining == 2);  // everything before t+29 s has left the window
}

TEST_CASE("sliding window without lockout: a slot frees exactly when the oldest request leaves") {
  ckp::api::GlobalRateLimit limit{3, 10, 0, 200};
  SlidingWindowLimiter l(limit, 1.0);
  const Instant t = ckp::emu_test::t0;
  using std::chrono::milliseconds;
  l.admit("a", t);
  l.admit("a", t + milliseconds(4000));
  l.admit("a", t + milliseconds(8000));
  auto refused = l.admit("a", t + milliseconds(9999));
  CHECK_FALSE(refused.admitted);
  CHECK_FALSE(refused.started_lockout);
  CHECK(refused.reset == milliseconds(1));
  CHECK(l.admit("a", t + milliseconds(10'000)).admitted);
  CHECK_FALSE(l.admit("a", t + milliseconds(10'001)).admitted);
  CHECK(l.admit("a", t + milliseconds(14'000)).admitted);
}

TEST_CASE("sliding window: time scale shrinks window and lockout; quota 0 disables") {
  SlidingWindowLimiter l(ckp::api::GlobalRateLimit{2, 300, 300, 200}, 1000.0);
  const Instant t = ckp::emu_test::t0;
  auto a = l.admit("a", t);
  CHECK(a.window == std::chrono::milliseconds(300));
  l.admit("a", t);
  auto over = l.admit("a", t);
  CHECK(over.reset == std::chrono::milliseconds(300));
  CHECK(l.admit("a", t + std::chrono::milliseconds(301)).admitted);
  ckp::api::Headers h;
  add_rate_limit_headers(h, a);
  CHECK(h.get("Ratelimit-Policy") == "\"default\";q=2;w=0.3");
  CHECK(h.get("Ratelimit") == "\"default\";r=1;t=1");  // whole seconds, rounded up: never 0 while limited
  CHECK_FALSE(h.has("Retry-After"));

  SlidingWindowLimiter off(ckp::api::GlobalRateLimit{0, 300, 300, 200}, 1.0);
  for (int i = 0; i < 5000; ++i) REQUIRE(off.admit("a", t).admitted);
  ckp::api::Headers none;
  add_rate_limit_headers(none, off.admit("a", t));
  CHECK(none.empty());
}

TEST_CASE("sliding window: memory stays bounded at huge quotas") {
  SlidingWindowLimiter l(ckp::api::GlobalRateLimit{10'000'000, 300, 300, 200}, 1.0);
  const Instant t = ckp::emu_test::t0;
  for (int i = 0; i < 200'000; ++i) REQUIRE(l.admit("a", t + std::chrono::microseconds(i * 10)).admitted);
  CHECK(l.admit("a", t + std::chrono::seconds(2)).remaining == 10'000'000 - 200'001);
}

TEST_CASE("token bucket (server side, try_take): burst, refill, wait time") {
  ckp::engine::TokenBucket b(5.0 / 60.0, 25);
  const Instant t = ckp::emu_test::t0;
  for (int i = 0; i < 25; ++i) REQUIRE_FALSE(b.try_take(1, t));
  auto wait = b.try_take(1, t);
  REQUIRE(wait);
  CHECK(ckp::to_seconds(*wait) == doctest::Approx(12.0));
  CHECK(b.try_take(1, t + std::chrono::seconds(11)));
  CHECK_FALSE(b.try_take(1, t + std::chrono::seconds(12)));
  ckp::engine::TokenBucket urls(100, 100);
  CHECK_FALSE(urls.try_take(500, t));  // more than the capacity costs the whole bucket
  CHECK(urls.try_take(1, t));
  CHECK_FALSE(urls.try_take(50, t + std::chrono::milliseconds(500)));
}
