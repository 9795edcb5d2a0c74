#include <doctest/doctest.h>

#include "ckp/api/purge.hpp"
#include "ckp/api/zones.hpp"

#include "support/support.hpp"

using namespace ckp;
using namespace ckp::api;
using ckp::test::ok;

TEST_CASE("zones list request clamps per_page to 5..50") {
  auto r = zones::list({"example.com", "acc", 3, 500});
  CHECK(r.target() == "/zones?name=example.com&account.id=acc&page=3&per_page=50");
  CHECK(zones::list({"", "", 0, 1}).target() == "/zones?page=1&per_page=5");
  CHECK(zones::get("023e105f4ecef8ad9ca31a8372d0c353").path == "/zones/023e105f4ecef8ad9ca31a8372d0c353");
}

TEST_CASE("zones parse (spec-shaped zone object)") {
  auto page = zones::parse_list(ok(R"({"success":true,"errors":[],"messages":[],
    "result":[{"id":"023e105f4ecef8ad9ca31a8372d0c353","name":"example.com","status":"active",
      "account":{"id":"023e105f4ecef8ad9ca31a8372d0c353","name":"Example Account Name"},
      "plan":{"id":"x","name":"Enterprise Website"},"development_mode":7200,"name_servers":["bob.ns.cloudflare.com"]}],
    "result_info":{"count":1,"page":1,"per_page":20,"total_count":1,"total_pages":1}})"));
  REQUIRE(page);
  REQUIRE(page->items.size() == 1);
  CHECK(page->items[0].name == "example.com");
  CHECK(page->items[0].account_name == "Example Account Name");
  CHECK(page->items[0].plan == "Enterprise Website");
  CHECK(page->last(20));

  auto one = zones::parse_get(ok(R"({"success":true,"errors":[],"messages":[],"result":{"id":"z","name":"a.com"}})"));
  REQUIRE(one);
  CHECK(one->id == "z");
  CHECK_FALSE(zones::parse_get(ok(R"({"success":true,"errors":[],"messages":[],"result":null})")));
}

TEST_CASE("purge bodies: one type per request") {
  const std::string zone = "023e105f4ecef8ad9ca31a8372d0c353";
  std::vector<purge::File> files{{"https://www.example.com/css/styles.css", {}},
                                 {"https://www.example.com/cat.jpg",
                                  {{"CF-IPCountry", "US"}, {"CF-Device-Type", "desktop"}}}};
  auto r = purge::files(zone, files);
  CHECK(r.method == Method::post);
  CHECK(r.path == "/zones/" + zone + "/purge_cache");
  CHECK(r.request_class == RequestClass::purge);
  auto body = nlohmann::json::parse(r.body);
  CHECK(body.size() == 1);
  CHECK(body["files"][0] == "https://www.example.com/css/styles.css");
  CHECK(body["files"][1]["url"] == "https://www.example.com/cat.jpg");
  CHECK(body["files"][1]["headers"]["CF-IPCountry"] == "US");

  std::vector<std::string> tags{"a-cache-tag", "another-cache-tag"};
  CHECK(nlohmann::json::parse(purge::flex(zone, purge::Kind::tags, tags).body) == nlohmann::json{{"tags", tags}});
  CHECK(nlohmann::json::parse(purge::flex(zone, purge::Kind::hosts, tags).body).contains("hosts"));
  CHECK(nlohmann::json::parse(purge::flex(zone, purge::Kind::prefixes, tags).body).contains("prefixes"));
  CHECK(nlohmann::json::parse(purge::everything(zone).body) == nlohmann::json{{"purge_everything", true}});
}

TEST_CASE("purge caps come from the plan profile") {
  CHECK(purge::max_items(purge::Kind::files, PlanProfile::free()) == 100);
  CHECK(purge::max_items(purge::Kind::files, PlanProfile::enterprise()) == 500);
  CHECK(purge::max_items(purge::Kind::tags, PlanProfile::enterprise()) == 100);
  CHECK(purge::max_items(purge::Kind::everything, PlanProfile::pro()) == 1);
  PlanProfile legacy = PlanProfile::pro();
  legacy.max_urls_per_request = 30;  // the pre-2025 cap, as a user override
  CHECK(purge::max_items(purge::Kind::files, legacy) == 30);
  CHECK(PlanProfile::named("business")->flex_bucket == 50);
  CHECK_FALSE(PlanProfile::named("platinum"));
}

TEST_CASE("purge response") {
  auto id = purge::parse(
      ok(R"({"success":true,"errors":[],"messages":[],"result":{"id":"9a7806061c88ada191ed06f989cc3dac"}})"));
  REQUIRE(id);
  CHECK(*id == "9a7806061c88ada191ed06f989cc3dac");
  Response bad;
  bad.status = 400;
  bad.body =
      R"({"success":false,"errors":[{"code":1092,"message":"Request cannot contain 'purge_everything' and any of 'files', 'tags', or 'hosts'"}],"messages":[],"result":null})";
  auto e = purge::parse(bad);
  REQUIRE_FALSE(e);
  CHECK(e.error().code() == 1092);
}

TEST_CASE("a zone's purge plan: legacy_id first, else the first word of the plan's name") {
  zones::Zone z;
  CHECK_FALSE(zones::purge_plan(z));
  z.plan = "Enterprise Website";
  CHECK(zones::purge_plan(z)->name == "enterprise");
  z.plan_id = "pro";
  CHECK(zones::purge_plan(z)->name == "pro");
  z.plan_id = "";
  z.plan = "Unknown Plan";
  CHECK_FALSE(zones::purge_plan(z));
  auto parsed = zones::parse_get(ok(R"({"success":true,"errors":[],"messages":[],
    "result":{"id":"023e105f4ecef8ad9ca31a8372d0c353","name":"example.com","plan":{"name":"Business Website",
    "legacy_id":"business"}}})"));
  REQUIRE(parsed);
  CHECK(parsed->plan_id == "business");
  CHECK(zones::purge_plan(*parsed)->max_urls_per_request == 100);
}

TEST_CASE("the per-request cap Cloudflare states when it refuses too many items") {
  auto refusal = [](int status, int code, std::string message) {
    return read_envelope(test::respond(status, json{{"success", false},
                                                    {"errors", {{{"code", code}, {"message", message}}}},
                                                    {"messages", json::array()},
                                                    {"result", nullptr}}
                                                   .dump()))
        .error();
  };
  CHECK(purge::stated_cap(refusal(400, 1094, "Exceeded maximum amount of 100 files per purge request (500 given)")) ==
        100u);
  CHECK(purge::stated_cap(refusal(400, 1101, "Maximum of 30 tags per request")) == 30u);
  CHECK_FALSE(purge::stated_cap(refusal(400, 1015, "Unable to purge https://example.com/x")));
  CHECK_FALSE(purge::stated_cap(refusal(400, 1100, "Tag is longer than the maximum of 1024 characters")));
  CHECK(purge::stated_cap(refusal(400, 1111, "Exceeded maximum amount of 100 hosts")) == 100u);
  CHECK_FALSE(purge::stated_cap(refusal(429, 1083, "Rate limit reached (maximum 1500 URLs per second)")));
}
