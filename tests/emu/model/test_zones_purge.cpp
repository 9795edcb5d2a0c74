// Zones and cache purge endpoints of the model: filters, paging, zone objects, one type per purge, plan caps,
// legacy error codes, purge token buckets and the purge log.
#include "model/support.hpp"

#include <set>

#include <fmt/format.h>

namespace ckp::emu_zp_test {
using namespace ckp::emu_test;
using api::Method;

emu::Config many_zones(int n) {
  emu::Config c = config();
  c.zones.clear();
  for (int i = 0; i < n; ++i) {
    std::string id = fmt::format("{:032x}", i + 1);
    c.zones.push_back({fmt::format("zone{:02}.example", i), id, account});
  }
  c.zones.push_back({"other.org", other_zone_id, other_account});
  return c;
}

emu::Reply purge(Harness& h, const json& body, const std::string& zone = zone_id) {
  api::Request r(Method::post, "/zones/" + zone + "/purge_cache");
  r.headers.set("Content-Type", "application/json");
  r.body = body.dump();
  return h.send(r);
}

json strings(std::size_t n, const std::string& prefix) {
  json a = json::array();
  for (std::size_t i = 0; i < n; ++i) a.push_back(prefix + std::to_string(i));
  return a;
}
}  // namespace ckp::emu_zp_test

using namespace ckp::emu_zp_test;

TEST_CASE("zones: list shows the token's zones, paged 5–50 with total_pages") {
  Harness h(many_zones(12));
  auto list = [&](std::vector<std::pair<std::string, std::string>> q) {
    api::Request r(Method::get, "/zones");
    r.query = std::move(q);
    return h.send(r);
  };
  json b = body_of(list({{"per_page", "5"}, {"page", "3"}}));
  CHECK(b["success"] == true);
  CHECK(b["result"].size() == 2);
  CHECK(b["result"][0]["name"] == "zone10.example");
  CHECK(b["result_info"] == json{{"page", 3}, {"per_page", 5}, {"count", 2}, {"total_count", 12}, {"total_pages", 3}});
  CHECK(body_of(list({}))["result_info"]["per_page"] == 20);
  CHECK(body_of(list({{"per_page", "50"}}))["result"].size() == 12);
  for (std::string bad : {"4", "51", "0", "many"}) {
    auto r = list({{"per_page", bad}});
    CHECK(r.response.status == 400);
    CHECK(failure_code(r) == 1000);
  }
  CHECK(list({{"page", "0"}}).response.status == 400);

  CHECK(body_of(list({{"name", "zone03.example"}}))["result"].size() == 1);
  CHECK(body_of(list({{"name", "ZONE03.example"}}))["result"].size() == 1);
  CHECK(body_of(list({{"name", "starts_with:zone1"}}))["result"].size() == 2);
  CHECK(body_of(list({{"name", "contains:05"}}))["result"].size() == 1);
  CHECK(body_of(list({{"name", "ends_with:.example"}, {"per_page", "50"}}))["result"].size() == 12);
  CHECK(body_of(list({{"name", "other.org"}}))["result"].empty());  // another account's zone
  CHECK(body_of(list({{"account.id", account}, {"per_page", "50"}}))["result"].size() == 12);
  CHECK(body_of(list({{"account.id", other_account}}))["result"].empty());
  CHECK(body_of(list({{"status", "pending"}}))["result"].empty());
  CHECK(body_of(list({{"direction", "desc"}}))["result"][0]["name"] == "zone11.example");
  CHECK(list({{"order", "size"}}).response.status == 400);
}

TEST_CASE("zones: get by id returns a full zone object; other ids do not route") {
  Harness h;
  auto got = h.send(api::Request(Method::get, "/zones/" + zone_id));
  json z = result_of(got);
  for (const char* field : {"id", "name", "development_mode", "owner", "account", "meta", "name_servers",
                            "original_name_servers", "original_registrar", "original_dnshost", "created_on",
                            "modified_on", "activated_on", "plan", "status", "paused", "type"})
    CHECK_MESSAGE(z.contains(field), field);
  CHECK(z["id"] == zone_id);
  CHECK(z["name"] == "example.com");
  CHECK(z["account"] == json{{"id", account}, {"name", "Emulated Account"}});
  CHECK(z["plan"]["legacy_id"] == "enterprise");
  auto theirs = h.send(api::Request(Method::get, "/zones/" + other_zone_id));
  CHECK(theirs.response.status == 404);
  CHECK(failure_code(theirs) == 7003);
  auto bad = h.send(api::Request(Method::get, "/zones/not-a-zone"));
  CHECK(bad.response.status == 400);
  CHECK(failure_code(bad) == 7003);
}

TEST_CASE("purge: each type is accepted and logged") {
  Harness h;
  json files = json::array(
      {"https://example.com/a.css", json{{"url", "https://example.com/cat.jpg"},
                                         {"headers", {{"CF-IPCountry", "US"}, {"CF-Device-Type", "desktop"}}}}});
  std::vector<std::pair<json, std::string>> cases = {
      {{{"files", files}}, "files"},
      {{{"tags", {"a-tag", "b-tag"}}}, "tags"},
      {{{"hosts", {"www.example.com"}}}, "hosts"},
      {{{"prefixes", {"www.example.com/foo", "images.example.com/bar/baz"}}}, "prefixes"},
      {{{"purge_everything", true}}, "purge_everything"},
  };
  std::set<std::string> ids;
  for (const auto& [body, type_binding] : cases) {
    const auto& type = type_binding;  // clang 14 cannot capture a structured binding (CAPTURE makes a lambda)
    auto r = purge(h, body);
    CAPTURE(type);
    CHECK(r.response.status == 200);
    json res = result_of(r);
    REQUIRE(res["id"].is_string());
    CHECK(res["id"].get<std::string>().size() <= 32);
    ids.insert(res["id"].get<std::string>());
  }
  CHECK(ids.size() == 5);
  const auto& log = h.server.purges();
  REQUIRE(log.size() == 5);
  CHECK(log[0].type == "files");
  CHECK(log[0].items == files);
  CHECK(log[0].zone_id == zone_id);
  CHECK(log[0].zone_name == "example.com");
  CHECK(log[0].time == h.now);
  CHECK(log[4].type == "purge_everything");
  json lj = h.server.purge_log_json();
  CHECK(lj[1]["type"] == "tags");
  CHECK(lj[1]["items"] == json{"a-tag", "b-tag"});
  CHECK(lj[1]["count"] == 2);
  CHECK(lj[1]["time"].get<double>() == doctest::Approx(1'767'225'600.0));
  CHECK(h.server.stats().writes == 5);
  CHECK(h.server.stats().by_endpoint["purge"] == 5);
}

TEST_CASE("purge: one type per request and the legacy error codes") {
  Harness h;
  auto code = [&](const json& body) {
    auto r = purge(h, body);
    CHECK(r.response.status == 400);
    return failure_code(r);
  };
  CHECK(code({{"purge_everything", true}, {"files", {"https://example.com/"}}}) == 1092);
  CHECK(code({{"purge_everything", true}, {"tags", {"t"}}}) == 1092);
  CHECK(code({{"files", {"https://example.com/"}}, {"hosts", {"example.com"}}}) == 1012);
  CHECK(code(json::object()) == 1012);
  CHECK(code({{"urls", {"https://example.com/"}}}) == 1012);
  CHECK(code(json::array()) == 1012);
  CHECK(code({{"files", json::array()}}) == 1012);
  CHECK(code({{"purge_everything", false}}) == 1013);
  CHECK(code({{"purge_everything", "true"}}) == 1013);
  CHECK(code({{"files", "https://example.com/"}}) == 1014);
  CHECK(code({{"tags", "t"}}) == 1014);
  CHECK(code({{"tags", {1}}}) == 1014);
  CHECK(code({{"files", {"not a url"}}}) == 1015);
  CHECK(code({{"files", {"ftp://example.com/x"}}}) == 1015);
  CHECK(code({{"files", {{{"headers", {{"a", "b"}}}}}}}) == 1015);
  CHECK(code({{"files", {{{"url", "https://example.com/"}, {"headers", {{"a", 1}}}}}}}) == 1015);
  CHECK(code({{"tags", {std::string(1025, 't')}}}) == 1100);
  CHECK(purge(h, {{"tags", {std::string(1024, 't')}}}).response.status == 200);
  CHECK(code({{"hosts", {std::string(190, 'a') + ".example.com"}}}) == 1114);
  CHECK(code({{"hosts", {"not a host"}}}) == 1115);
  CHECK(code({{"hosts", {"https://example.com"}}}) == 1115);
  CHECK(code({{"prefixes", {"https://example.com/x"}}}) == 1115);
  CHECK(h.server.purges().size() == 1);

  api::Request malformed(Method::post, "/zones/" + zone_id + "/purge_cache");
  malformed.body = "{\"files\":[";
  auto m = h.send(malformed);
  CHECK(m.response.status == 400);
  CHECK(failure_code(m) == 6007);

  auto theirs = purge(h, {{"purge_everything", true}}, other_zone_id);
  CHECK(theirs.response.status == 404);
  CHECK(failure_code(theirs) == 7003);
}

TEST_CASE("purge: per-plan caps on items per request") {
  emu::Config free_plan = config();
  free_plan.plan = ckp::api::PlanProfile::free();
  Harness h(free_plan);
  CHECK(purge(h, {{"files", strings(100, "https://example.com/")}}).response.status == 200);
  auto files = purge(h, {{"files", strings(101, "https://example.com/")}});
  CHECK(files.response.status == 400);
  CHECK(failure_code(files) == 1094);
  CHECK(failure_code(purge(h, {{"tags", strings(101, "t")}})) == 1101);
  CHECK(failure_code(purge(h, {{"hosts", strings(101, "h")}})) == 1111);
  CHECK(failure_code(purge(h, {{"prefixes", strings(101, "example.com/p")}})) == 1101);
  CHECK(purge(h, {{"tags", strings(100, "t")}}).response.status == 200);

  Harness ent;  // enterprise: 500 URLs per request
  CHECK(purge(ent, {{"files", strings(500, "https://example.com/")}}).response.status == 200);
  CHECK(failure_code(purge(ent, {{"files", strings(501, "https://example.com/")}})) == 1094);
}

TEST_CASE("purge: a zone of its own plan: its zone object, its caps, its buckets (per account and plan)") {
  emu::Config c = config();  // enterprise for zones without a plan
  const std::string free_zone = "f0000000000000000000000000000001";
  c.zones.push_back({"free.example", free_zone, account, "free"});
  Harness h(c);
  api::Request get(Method::get, "/zones/" + free_zone);
  json zone = body_of(h.send(get))["result"];
  CHECK(zone["plan"]["legacy_id"] == "free");
  CHECK(zone["plan"]["name"] == "Free Website");
  CHECK(body_of(h.send(api::Request(Method::get, "/zones/" + zone_id)))["result"]["plan"]["legacy_id"] == "enterprise");
  CHECK(failure_code(purge(h, {{"files", strings(101, "https://free.example/")}}, free_zone)) == 1094);
  CHECK(purge(h, {{"files", strings(500, "https://example.com/")}}).response.status == 200);
  // The Free zone's 800 URLs per second are its own: the Enterprise purge above took nothing from them.
  for (int i = 0; i < 8; ++i)
    REQUIRE(purge(h, {{"files", strings(100, "https://free.example/")}}, free_zone).response.status == 200);
  CHECK(purge(h, {{"files", strings(100, "https://free.example/")}}, free_zone).response.status == 429);
  CHECK(purge(h, {{"files", strings(500, "https://example.com/")}}).response.status == 200);
}

TEST_CASE("purge: flex bucket per plan, Retry-After, time scale, no global lockout") {
  emu::Config c = config();
  c.plan = ckp::api::PlanProfile::free();  // bucket 25, refills 5 per minute
  Harness h(c);
  for (int i = 0; i < 25; ++i) REQUIRE(purge(h, {{"tags", {"t"}}}).response.status == 200);
  auto limited = purge(h, {{"hosts", {"example.com"}}});
  CHECK(limited.response.status == 429);
  CHECK(failure_code(limited) == 1113);
  CHECK(limited.response.headers.get("Retry-After") == "12");
  CHECK(failure_code(purge(h, {{"purge_everything", true}})) == 1102);
  CHECK(h.server.stats().lockouts == 0);
  CHECK(h.server.stats().rate_limited == 2);
  CHECK(h.server.purges().size() == 25);
  // Files use the URL budget, not the flex bucket.
  CHECK(purge(h, {{"files", {"https://example.com/"}}}).response.status == 200);
  h.now += std::chrono::seconds(12);
  CHECK(purge(h, {{"tags", {"t"}}}).response.status == 200);
  CHECK(purge(h, {{"tags", {"t"}}}).response.status == 429);

  c.time_scale = 10;  // 12 s of refill become 1.2 s
  Harness fast(c);
  for (int i = 0; i < 25; ++i) REQUIRE(purge(fast, {{"tags", {"t"}}}).response.status == 200);
  auto scaled = purge(fast, {{"tags", {"t"}}});
  CHECK(scaled.response.headers.get("Retry-After") == "2");
  fast.now += std::chrono::milliseconds(1200);
  CHECK(purge(fast, {{"tags", {"t"}}}).response.status == 200);
}

TEST_CASE("purge: URLs per second for file purges, cost = number of URLs") {
  Harness h;  // enterprise: 3000 URLs per second
  json batch = json{{"files", strings(500, "https://example.com/")}};
  for (int i = 0; i < 6; ++i) REQUIRE(purge(h, batch).response.status == 200);
  auto limited = purge(h, batch);
  CHECK(limited.response.status == 429);
  CHECK(failure_code(limited) == 1083);
  CHECK(limited.response.headers.get("Retry-After") == "1");
  CHECK(purge(h, {{"files", {"https://example.com/"}}}).response.status == 429);
  h.now += std::chrono::milliseconds(170);  // 510 URLs refilled
  CHECK(purge(h, batch).response.status == 200);
  CHECK(h.server.stats().lockouts == 0);
  // Flex purges are unaffected by the URL budget.
  CHECK(purge(h, {{"tags", {"t"}}}).response.status == 200);
}

TEST_CASE("purge log keeps at most purge_log_limit entries") {
  emu::Config c = config();
  c.purge_log_limit = 3;
  Harness h(c);
  for (int i = 0; i < 5; ++i) REQUIRE(purge(h, {{"tags", {"t" + std::to_string(i)}}}).response.status == 200);
  CHECK(h.server.purges().size() == 3);
  CHECK(h.server.purges().front().items == json{"t2"});
  CHECK(h.server.stats_json()["purges_dropped"] == 2);
}

TEST_CASE("purge: no purge-bucket hints by default; Config::purge_policy_hints adds them") {
  emu::Config c = config();
  c.rate_limit.quota = 1200;
  c.plan = ckp::api::PlanProfile::pro();  // flex: 5 per second, bucket 25; URLs: 1500 per second
  CHECK_FALSE(c.purge_policy_hints);
  Harness h(c);
  auto plain = purge(h, {{"tags", {"t"}}});
  REQUIRE(plain.response.status == 200);
  // Only the documented global policy: Cloudflare states no purge buckets in headers.
  CHECK(plain.response.headers.get("Ratelimit-Policy") == "\"default\";q=1200;w=300");
  auto refused = purge(h, {{"files", strings(101, "https://example.com/")}});  // over pro's 100 URLs per call
  CHECK(failure_code(refused) == 1094);
  CHECK(refused.response.headers.get("Ratelimit-Policy") == "\"default\";q=1200;w=300");

  c.purge_policy_hints = true;
  c.time_scale = 10;
  Harness hinted(c);
  auto with = purge(hinted, {{"tags", {"t"}}});
  REQUIRE(with.response.status == 200);
  CHECK(with.response.headers.get("Ratelimit-Policy") ==
        "\"default\";q=1200;w=30, \"purge-flex\";q=25;w=0.5, \"purge-urls\";q=1500;w=0.1");
  // Only purges carry them.
  CHECK(hinted.send(api::Request(Method::get, "/zones")).response.headers.get("Ratelimit-Policy") ==
        "\"default\";q=1200;w=30");
}
