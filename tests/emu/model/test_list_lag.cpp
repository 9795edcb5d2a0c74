// List lag: Workers KV lists are eventually consistent. With Config::list_lag, a listing shows every key as it was
// lag ago (writes and deletes through the API), while reads of values, metadata and bulk get stay exact.

#include "model/support.hpp"

namespace ckp::emu_list_lag_test {
using namespace ckp::emu_test;
using api::Method;
using std::chrono::seconds;

emu::Config lagged(Duration lag, double scale = 1) {
  emu::Config c = config();
  c.list_lag = lag;
  c.time_scale = scale;
  return c;
}

/// The names a list of the harness's namespace shows now (one page of up to 1000).
std::vector<std::string> lag_listed(Harness& h, const std::string& prefix = "") {
  api::Request r(Method::get, h.ns_path() + "/keys");
  if (!prefix.empty()) r.query.emplace_back("prefix", prefix);
  json result = result_of(h.send(r));
  std::vector<std::string> out;
  for (const auto& k : result) out.push_back(k["name"].get<std::string>());
  return out;
}

emu::Reply lag_put(Harness& h, const std::string& key, const std::string& value, const std::string& query = {}) {
  api::Request r(Method::put, h.ns_path() + "/values/" + key);
  r.body = value;
  if (!query.empty()) r.query.emplace_back(query, "3600");
  return h.send(r);
}

emu::Reply lag_del(Harness& h, const std::string& key) {
  return h.send(api::Request(Method::del, h.ns_path() + "/values/" + key));
}

emu::Reply lag_get(Harness& h, const std::string& key) {
  return h.send(api::Request(Method::get, h.ns_path() + "/values/" + key));
}

using LagNames = std::vector<std::string>;
}  // namespace ckp::emu_list_lag_test

using namespace ckp::emu_list_lag_test;

TEST_CASE("list lag: off by default, lists are immediately consistent") {
  CHECK(emu::Config{}.list_lag == Duration{0});
  Harness h;
  REQUIRE(lag_put(h, "a", "1").response.status == 200);
  CHECK(lag_listed(h) == LagNames{"a"});
  REQUIRE(lag_del(h, "a").response.status == 200);
  CHECK(lag_listed(h).empty());
}

TEST_CASE("list lag: a write shows in lists only after the lag; reads are exact at once") {
  Harness h(lagged(seconds(60)));
  const Instant start = h.now;
  REQUIRE(lag_put(h, "new", "v").response.status == 200);
  CHECK(lag_listed(h).empty());
  CHECK(lag_get(h, "new").response.body == "v");  // reads stay exact
  h.now = start + seconds(59);
  CHECK(lag_listed(h).empty());
  h.now = start + seconds(60);
  CHECK(lag_listed(h) == LagNames{"new"});
}

TEST_CASE("list lag: a deleted key stays listed for the lag, while GET says 404") {
  Harness h(lagged(seconds(60)));
  h.server.seed_keys(h.ns, "k/", 3);  // seeded keys count as old: listed at once
  CHECK(lag_listed(h) == LagNames{"k/0000000", "k/0000001", "k/0000002"});
  const Instant start = h.now;
  REQUIRE(lag_del(h, "k%2F0000001").response.status == 200);
  CHECK(lag_get(h, "k%2F0000001").response.status == 404);
  CHECK(lag_listed(h) == LagNames{"k/0000000", "k/0000001", "k/0000002"});
  CHECK(h.server.key_count(h.ns, h.now) == 2);  // the admin view is the store as it is
  h.now = start + seconds(60);
  CHECK(lag_listed(h) == LagNames{"k/0000000", "k/0000002"});
}

TEST_CASE("list lag: bulk deletes and writes lag too; each key shows its state as of now - lag") {
  Harness h(lagged(seconds(10)));
  h.server.seed_keys(h.ns, "k/", 4);
  const Instant start = h.now;
  api::Request bulk_delete(Method::post, h.ns_path() + "/bulk/delete");
  bulk_delete.headers.set("Content-Type", "application/json");
  bulk_delete.body = json::array({"k/0000000", "k/0000001"}).dump();
  REQUIRE(h.send(bulk_delete).response.status == 200);
  h.now = start + seconds(5);
  api::Request bulk_write(Method::put, h.ns_path() + "/bulk");
  bulk_write.headers.set("Content-Type", "application/json");
  bulk_write.body = json::array({{{"key", "k/0000000"}, {"value", "again"}}, {{"key", "k/9"}, {"value", "x"}}}).dump();
  REQUIRE(h.send(bulk_write).response.status == 200);
  CHECK(lag_listed(h) == LagNames{"k/0000000", "k/0000001", "k/0000002", "k/0000003"});  // as of start - 5 s
  h.now = start + seconds(10);  // the deletes show, the writes not yet
  CHECK(lag_listed(h) == LagNames{"k/0000002", "k/0000003"});
  h.now = start + seconds(15);
  CHECK(lag_listed(h) == LagNames{"k/0000000", "k/0000002", "k/0000003", "k/9"});
}

TEST_CASE("list lag: listed metadata and expiration are the old ones until the lag has passed") {
  Harness h(lagged(seconds(30)));
  REQUIRE(h.server.put_key(h.ns, "m", "v", 0, json{{"v", 1}}));
  const Instant start = h.now;
  api::Request r(Method::put, h.ns_path() + "/values/m");
  r.query.emplace_back("expiration_ttl", "3600");
  r.body = "v2";
  REQUIRE(h.send(r).response.status == 200);
  json page = result_of(h.send(api::Request(Method::get, h.ns_path() + "/keys")));
  REQUIRE(page.size() == 1);
  CHECK(page[0]["metadata"] == json{{"v", 1}});
  CHECK_FALSE(page[0].contains("expiration"));
  h.now = start + seconds(30);
  page = result_of(h.send(api::Request(Method::get, h.ns_path() + "/keys")));
  REQUIRE(page.size() == 1);
  CHECK_FALSE(page[0].contains("metadata"));
  CHECK(page[0]["expiration"] == ckp::to_unix_seconds(start) + 3600);
}

TEST_CASE("list lag: pages and cursors see the lagged state; a key rewritten often shows its old state") {
  Harness h(lagged(seconds(10)));
  const Instant start = h.now;
  for (int i = 0; i < 25; ++i) REQUIRE(lag_put(h, fmt::format("p{:02}", i), "v").response.status == 200);
  h.now = start + seconds(10);
  REQUIRE(lag_del(h, "p00").response.status == 200);  // deleted now: still listed for 10 s
  for (int i = 0; i < 3; ++i) REQUIRE(lag_put(h, "p99", "v").response.status == 200);  // new, rewritten: not yet
  std::vector<std::string> names;
  std::string cursor;
  do {
    api::Request r(Method::get, h.ns_path() + "/keys");
    r.query.emplace_back("limit", "10");
    if (!cursor.empty()) r.query.emplace_back("cursor", cursor);
    json body = body_of(h.send(r));
    for (const auto& k : body["result"]) names.push_back(k["name"]);
    cursor = body["result_info"]["cursor"];
  } while (!cursor.empty());
  REQUIRE(names.size() == 25);
  CHECK(names.front() == "p00");
  CHECK(names.back() == "p24");
  h.now = start + seconds(20);
  auto now_listed = lag_listed(h);
  CHECK(now_listed.size() == 25);  // p00 gone, p99 in
  CHECK(now_listed.front() == "p01");
  CHECK(now_listed.back() == "p99");
}

TEST_CASE("list lag: divided by the time scale like every other period") {
  Harness h(lagged(seconds(60), 10));
  const Instant start = h.now;
  REQUIRE(lag_put(h, "a", "1").response.status == 200);
  h.now = start + std::chrono::milliseconds(5999);
  CHECK(lag_listed(h).empty());
  h.now = start + seconds(6);
  CHECK(lag_listed(h) == LagNames{"a"});
}
