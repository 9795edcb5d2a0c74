// The real emulator over loopback: starts `cache-kv-purger emulator` (path in $CKP_BINARY), drives every endpoint,
// limit, rate limit, admin endpoint, CORS and fault through cpp-httplib, and stops the process afterwards.
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ckp/api/url.hpp"
#include "emulator_process.hpp"

namespace ckp::emu_http_test {

using json = nlohmann::json;
using ckp::testing::EmulatorProcess;

/// A client for one emulator, with the token set.
struct Client {
  explicit Client(const EmulatorProcess& p, std::string token = {})
      : http("127.0.0.1", p.port()), account(p.account()) {
    http.set_read_timeout(30, 0);
    http.set_url_encode(false);  // paths are sent exactly as built (keys are %-encoded by the tests)
    if (token.empty()) token = p.token();
    auth = {{"Authorization", "Bearer " + token}};
  }
  std::string ns_path(const std::string& ns) const {
    return "/client/v4/accounts/" + account + "/storage/kv/namespaces/" + ns;
  }
  std::string namespaces() const { return "/client/v4/accounts/" + account + "/storage/kv/namespaces"; }

  httplib::Result get(const std::string& path) { return http.Get(path.c_str(), auth); }
  httplib::Result del(const std::string& path, const std::string& body = {}, const char* type = "application/json") {
    return body.empty() ? http.Delete(path.c_str(), auth) : http.Delete(path.c_str(), auth, body, type);
  }
  httplib::Result put(const std::string& path, const std::string& body, const char* type = "application/octet-stream") {
    return http.Put(path.c_str(), auth, body, type);
  }
  httplib::Result post(const std::string& path, const std::string& body, const char* type = "application/json") {
    return http.Post(path.c_str(), auth, body, type);
  }
  httplib::Result put_json(const std::string& path, const json& j) { return put(path, j.dump(), "application/json"); }
  httplib::Result post_json(const std::string& path, const json& j) { return post(path, j.dump()); }

  httplib::Client http;
  std::string account;
  httplib::Headers auth;
};

json body(const httplib::Result& r) { return r ? json::parse(r->body, nullptr, false) : json(); }
int code(const httplib::Result& r) {
  json b = body(r);
  if (!b.is_object() || !b["errors"].is_array() || b["errors"].empty()) return 0;
  return b["errors"][0]["code"].get<int>();
}
int status(const httplib::Result& r) { return r ? r->status : -1; }

/// Raw bytes to the emulator's port; returns the response that came back (for requests httplib cannot send).
/// Reads the head, then Content-Length bytes of body (the connection stays open: httplib does not answer a
/// half-closed connection).
std::string raw_exchange(int port, const std::string& bytes) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    ssize_t n;
    std::size_t want = std::string::npos;
    while ((want == std::string::npos || out.size() < want) && (n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      auto head_end = out.find("\r\n\r\n");
      if (want == std::string::npos && head_end != std::string::npos) {
        auto cl = out.find("Content-Length: ");
        std::size_t length = cl != std::string::npos && cl < head_end ? std::stoul(out.substr(cl + 16)) : 0;
        want = head_end + 4 + length;
      }
    }
  }
  ::close(fd);
  return out;
}

/// Calls an admin endpoint; POSTs carry the admin secret of the start line.
json admin(const EmulatorProcess& p, const std::string& what, bool post = false) {
  httplib::Client c("127.0.0.1", p.port());
  httplib::Headers secret{{"X-Emulator-Admin", p.info()["admin_secret"].get<std::string>()}};
  auto r = post ? c.Post(("/__emulator/" + what).c_str(), secret, "", "application/json")
                : c.Get(("/__emulator/" + what).c_str());
  return body(r);
}

bool is_hex_id(const json& j) {
  if (!j.is_string() || j.get<std::string>().size() != 32) return false;
  return j.get<std::string>().find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace ckp::emu_http_test

using namespace ckp::emu_http_test;

TEST_CASE("start line: base URL, token, account, namespaces, zones") {
  EmulatorProcess p({"--port", "0", "--seed-namespace", "sessions", "--zone", "shop.example=" + std::string(32, 'a'),
                     "--zone", "blog.example"});
  const json& info = p.info();
  CHECK(info["base_url"] == fmt::format("http://127.0.0.1:{}/client/v4", p.port()));
  CHECK(info["token"].get<std::string>().size() == 40);  // generated: none was given
  CHECK(is_hex_id(info["account_id"]));
  CHECK(is_hex_id(info["namespaces"]["sessions"]));
  REQUIRE(info["zones"].size() == 2);
  CHECK(info["zones"][0] == json{{"name", "shop.example"}, {"id", std::string(32, 'a')}});
  CHECK(is_hex_id(info["zones"][1]["id"]));
  CHECK(admin(p, "info") == info);
  CHECK(p.stop(SIGINT) == 0);
}

TEST_CASE("command line errors exit with 2 and no start line") {
  for (auto args : std::vector<std::vector<std::string>>{{"--plan", "gold"},
                                                         {"--rate-limit", "fast"},
                                                         {"--account", "xyz"},
                                                         {"--fault-500", "2"},
                                                         {"--zone", "bad zone"}}) {
    CAPTURE(args[0]);
    CHECK_THROWS_AS(EmulatorProcess p(args), std::runtime_error);
  }
}

TEST_CASE("KV namespaces over HTTP") {
  EmulatorProcess p({"--token", "tok"});
  Client c(p);
  auto created = c.post_json(c.namespaces(), {{"title", "alpha"}});
  REQUIRE(status(created) == 200);
  std::string id = body(created)["result"]["id"];
  CHECK(body(created)["result"] == json{{"id", id}, {"title", "alpha"}, {"supports_url_encoding", true}});
  CHECK(code(c.post_json(c.namespaces(), {{"title", "alpha"}})) == 10014);
  c.post_json(c.namespaces(), {{"title", "beta"}});
  auto list = c.get(c.namespaces() + "?per_page=1&page=2&order=title");
  CHECK(body(list)["result"][0]["title"] == "beta");
  CHECK(body(list)["result_info"]["total_count"] == 2);
  CHECK(status(c.get(c.namespaces() + "?per_page=1001")) == 400);
  CHECK(body(c.get(c.ns_path(id)))["result"]["title"] == "alpha");
  CHECK(body(c.put_json(c.ns_path(id), {{"title", "gamma"}}))["result"]["title"] == "gamma");
  CHECK(status(c.del(c.ns_path(id))) == 200);
  CHECK(code(c.get(c.ns_path(id))) == 10013);
}

TEST_CASE("KV keys, values, metadata and limits over HTTP") {
  EmulatorProcess p({"--token", "tok", "--seed-namespace", "seeded", "--seed-keys", "2500", "--seed-prefix", "user/"});
  Client c(p);
  std::string ns = p.info()["namespaces"]["seeded"];
  std::string base = c.ns_path(ns);

  // Cursor paging through the seeded keys.
  std::vector<std::string> names;
  std::string cursor;
  int pages = 0;
  do {
    auto r = c.get(base + "/keys?limit=1000&prefix=user%2F" + (cursor.empty() ? "" : "&cursor=" + cursor));
    REQUIRE(status(r) == 200);
    json b = body(r);
    for (const auto& k : b["result"]) names.push_back(k["name"]);
    CHECK(b["result_info"]["count"] == b["result"].size());
    cursor = b["result_info"]["cursor"];
    ++pages;
  } while (!cursor.empty() && pages < 10);
  CHECK(pages == 3);
  CHECK(names.size() == 2500);
  CHECK(std::is_sorted(names.begin(), names.end()));
  CHECK(code(c.get(base + "/keys?limit=9")) == 10020);
  CHECK(status(c.get(base + "/keys?limit=1001")) == 400);

  // A key with a slash, a space, a question mark and a euro sign survives the URL.
  const std::string key = "dir/a b?\xE2\x82\xAC";
  const std::string enc = ckp::api::url_encode_component(key);
  REQUIRE(status(c.put(base + "/values/" + enc + "?expiration_ttl=600", std::string("raw\0bytes", 9))) == 200);
  auto read = c.get(base + "/values/" + enc);
  REQUIRE(status(read) == 200);
  CHECK(read->body == std::string("raw\0bytes", 9));
  CHECK(read->get_header_value("Content-Type") == "application/octet-stream");
  CHECK_FALSE(read->get_header_value("expiration").empty());
  auto head = c.http.Head((base + "/values/" + enc).c_str(), c.auth);
  CHECK(status(head) == 200);
  json listed = body(c.get(base + "/keys?prefix=dir%2F"));
  REQUIRE(listed["result"].size() == 1);
  CHECK(listed["result"][0]["name"] == key);
  CHECK(listed["result"][0].contains("expiration"));

  // Multipart with metadata, as wrangler sends it.
  httplib::MultipartFormDataItems form{{"value", "hello", "", ""}, {"metadata", R"({"owner":"me"})", "", ""}};
  auto mp = c.http.Put((base + "/values/greeting").c_str(), c.auth, form);
  CHECK(status(mp) == 200);
  CHECK(body(c.get(base + "/metadata/greeting"))["result"] == json{{"owner", "me"}});
  CHECK(c.get(base + "/values/greeting")->body == "hello");
  CHECK(code(c.get(base + "/values/nope")) == 10009);
  CHECK(status(c.del(base + "/values/greeting")) == 200);
  CHECK(status(c.get(base + "/values/greeting")) == 404);

  // Limits.
  auto long_key = c.put(base + "/values/" + std::string(513, 'k'), "v");
  CHECK(status(long_key) == 414);
  CHECK(code(long_key) == 10030);
  CHECK(status(c.put(base + "/values/" + std::string(512, 'k'), "v")) == 200);
  auto big = c.put(base + "/values/big", std::string(25 * 1024 * 1024 + 1, 'v'));
  CHECK(status(big) == 413);
  CHECK(code(big) == 10022);
  httplib::MultipartFormDataItems fat{{"value", "v", "", ""},
                                      {"metadata", json{{"m", std::string(1100, 'x')}}.dump(), "", ""}};
  auto fat_meta = c.http.Put((base + "/values/fat").c_str(), c.auth, fat);
  CHECK(status(fat_meta) == 413);
  CHECK(code(fat_meta) == 10024);
  CHECK(code(c.put(base + "/values/ttl?expiration_ttl=59", "v")) == 10052);
  CHECK(status(c.put(base + "/values/exp?expiration=10", "v")) == 400);
}

TEST_CASE("KV bulk endpoints over HTTP") {
  EmulatorProcess p({"--token", "tok", "--seed-namespace", "bulk"});
  Client c(p);
  std::string base = c.ns_path(p.info()["namespaces"]["bulk"]);
  json pairs = json::array();
  for (int i = 0; i < 10'000; ++i) pairs.push_back({{"key", fmt::format("k{:05}", i)}, {"value", "v"}});
  auto w = c.put_json(base + "/bulk", pairs);
  REQUIRE(status(w) == 200);
  CHECK(body(w)["result"] == json{{"successful_key_count", 10'000}, {"unsuccessful_keys", json::array()}});
  pairs.push_back({{"key", "one-too-many"}, {"value", "v"}});
  auto over = c.put_json(base + "/bulk", pairs);
  CHECK(status(over) == 400);
  CHECK(code(over) == 10025);
  CHECK(status(c.put_json(base + "/bulk", json::array({{{"key", "b64"}, {"value", "AAEC"}, {"base64", true}}}))) ==
        200);
  CHECK(c.get(base + "/values/b64")->body == std::string("\0\1\2", 3));

  auto got = c.post_json(base + "/bulk/get", {{"keys", {"k00001", "missing"}}, {"withMetadata", true}});
  CHECK(body(got)["result"]["values"] ==
        json{{"k00001", {{"value", "v"}, {"metadata", nullptr}}}, {"missing", nullptr}});
  json keys101 = json::array();
  for (int i = 0; i < 101; ++i) keys101.push_back(fmt::format("k{:05}", i));
  CHECK(code(c.post_json(base + "/bulk/get", {{"keys", keys101}})) == 10025);

  auto del = c.post_json(base + "/bulk/delete", {"k00000", "k00001"});
  CHECK(body(del)["result"]["successful_key_count"] == 2);
  auto legacy = c.del(base + "/bulk", json{"k00002"}.dump());
  CHECK(body(legacy)["result"]["successful_key_count"] == 1);
  CHECK(status(c.get(base + "/values/k00002")) == 404);
  json many = json::array();
  for (int i = 0; i < 10'001; ++i) many.push_back("x");
  CHECK(code(c.post_json(base + "/bulk/delete", many)) == 10025);

  // A bulk write body over 100 MB is refused with 413 before it is parsed.
  auto huge = c.put(base + "/bulk", std::string(100'000'001, ' '), "application/json");
  CHECK(status(huge) == 413);
  CHECK(code(huge) == 10023);
  json stats = admin(p, "stats");
  CHECK(stats["by_endpoint"]["kv.bulk.delete_legacy"] == 1);
  CHECK(stats["stored_keys"] == 9998);
}

TEST_CASE("authentication and accounts over HTTP") {
  const std::string other(32, 'f');
  EmulatorProcess p({"--token", "tok", "--token", "theirs=" + other, "--seed-namespace", "mine"});
  Client c(p);
  httplib::Client anon("127.0.0.1", p.port());
  auto none = anon.Get(c.namespaces().c_str());
  CHECK(status(none) == 403);
  CHECK(code(none) == 10000);
  CHECK(none->get_header_value("Ratelimit").empty());
  CHECK(code(anon.Get(c.namespaces().c_str(), {{"Authorization", "Bearer wrong"}})) == 10000);
  CHECK(code(anon.Get(c.namespaces().c_str(), {{"Authorization", "Basic eDp5"}})) == 6003);
  CHECK(status(anon.Get(c.namespaces().c_str(), {{"X-Auth-Email", "me@example.com"}, {"X-Auth-Key", "tok"}})) == 200);
  auto foreign = c.get("/client/v4/accounts/" + other + "/storage/kv/namespaces");
  CHECK(status(foreign) == 403);
  CHECK(code(foreign) == 10000);
  Client them(p, "theirs");
  them.account = other;
  CHECK(status(them.get(them.namespaces())) == 200);
  CHECK(body(them.get(them.namespaces()))["result"].empty());
}

TEST_CASE("zones and purge over HTTP, purge log, flex bucket without lockout") {
  const std::string zid(32, 'c');
  EmulatorProcess p({"--token", "tok", "--plan", "free", "--zone", "shop.example=" + zid, "--zone", "blog.example"});
  Client c(p);
  auto zones = c.get("/client/v4/zones?per_page=5");
  REQUIRE(status(zones) == 200);
  CHECK(body(zones)["result"].size() == 2);
  CHECK(body(zones)["result_info"]["total_pages"] == 1);
  CHECK(body(c.get("/client/v4/zones?name=shop.example"))["result"][0]["id"] == zid);
  CHECK(status(c.get("/client/v4/zones?per_page=4")) == 400);
  CHECK(status(c.get("/client/v4/zones?per_page=51")) == 400);
  auto zone = c.get("/client/v4/zones/" + zid);
  CHECK(body(zone)["result"]["name"] == "shop.example");
  CHECK(body(zone)["result"]["plan"]["legacy_id"] == "free");
  CHECK(code(c.get("/client/v4/zones/" + std::string(32, 'd'))) == 7003);

  std::string purge = "/client/v4/zones/" + zid + "/purge_cache";
  auto files = c.post_json(purge, {{"files",
                                    {"https://shop.example/a.css",
                                     {{"url", "https://shop.example/b.jpg"}, {"headers", {{"CF-IPCountry", "US"}}}}}}});
  CHECK(status(files) == 200);
  CHECK(body(files)["result"]["id"].get<std::string>().size() == 32);
  CHECK(code(c.post_json(purge, {{"purge_everything", true}, {"hosts", {"shop.example"}}})) == 1092);
  CHECK(code(c.post_json(purge, {{"purge_everything", false}})) == 1013);
  CHECK(code(c.post_json(purge, {{"tags", "t"}})) == 1014);
  json urls = json::array();
  for (int i = 0; i < 101; ++i) urls.push_back(fmt::format("https://shop.example/{}", i));
  CHECK(code(c.post_json(purge, {{"files", urls}})) == 1094);  // free plan: 100 URLs per request
  CHECK(code(c.post_json(purge, {{"tags", {std::string(1025, 't')}}})) == 1100);
  CHECK(code(c.post_json(purge, {{"hosts", {std::string(201, 'h')}}})) == 1114);
  CHECK(code(c.post_json(purge, {{"hosts", {"bad host"}}})) == 1115);

  // The free plan's flex bucket holds 25 requests and refills 5 per minute.
  int accepted = 0;
  std::optional<httplib::Response> last;
  for (int i = 0; i < 30; ++i) {
    auto r = c.post_json(purge, {{"tags", {fmt::format("t{}", i)}}});
    REQUIRE(r);
    if (r->status != 200) {
      last = *r;
      break;
    }
    ++accepted;
  }
  CHECK(accepted == 25);
  REQUIRE(last);
  CHECK(last->status == 429);
  CHECK(json::parse(last->body)["errors"][0]["code"] == 1102);
  CHECK(last->get_header_value("Retry-After") == "12");
  CHECK(status(c.get("/client/v4/zones")) == 200);  // no global lockout

  json log = admin(p, "purges");
  REQUIRE(log.size() == 26);
  CHECK(log[0]["type"] == "files");
  CHECK(log[0]["zone_id"] == zid);
  CHECK(log[0]["items"][1]["headers"]["CF-IPCountry"] == "US");
  CHECK(log[25]["items"] == json{"t24"});
  json stats = admin(p, "stats");
  CHECK(stats["lockouts"] == 0);
  CHECK(stats["rate_limited"] == 1);
  CHECK(stats["by_endpoint"]["purge"].get<int>() >= 34);
}

TEST_CASE("global rate limit and lockout over HTTP (time-scaled: 3 s window, 3 s lockout)") {
  EmulatorProcess p({"--token", "tok", "--rate-limit", "20/300", "--time-scale", "100"});
  Client c(p);
  auto start = std::chrono::steady_clock::now();
  int ok = 0;
  std::optional<httplib::Response> first_429;
  for (int i = 0; i < 200 && !first_429; ++i) {
    auto r = c.get("/client/v4/zones");
    REQUIRE(r);
    CHECK(r->get_header_value("Ratelimit-Policy") == "\"default\";q=20;w=3");
    if (r->status == 200) ++ok;
    else first_429 = *r;
  }
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  REQUIRE(first_429);
  CHECK(ok >= 20);
  if (took < 2.5) CHECK(ok == 20);  // all inside one window: exactly the quota
  CHECK(first_429->status == 429);
  CHECK(json::parse(first_429->body)["errors"][0]["code"] == 971);
  CHECK(first_429->get_header_value("Retry-After") == "3");
  CHECK(first_429->get_header_value("Ratelimit") == "\"default\";r=0;t=3");

  // Locked out: every request is refused, on every endpoint, with a shrinking Retry-After.
  for (int i = 0; i < 5; ++i) {
    auto r = c.get(c.namespaces());
    CHECK(status(r) == 429);
    int retry = std::stoi(r->get_header_value("Retry-After"));
    CHECK(retry >= 1);
    CHECK(retry <= 3);
  }
  json stats = admin(p, "stats");
  CHECK(stats["lockouts"] == 1);
  CHECK(stats["rate_limited"].get<int>() >= 6);

  std::this_thread::sleep_for(std::chrono::milliseconds(3300));
  auto after = c.get("/client/v4/zones");
  CHECK(status(after) == 200);
  CHECK(after->get_header_value("Ratelimit").find("r=19") != std::string::npos);
}

TEST_CASE("admin endpoints: stats, reset restores the start state, clock advance expires keys") {
  EmulatorProcess p({"--token", "tok", "--seed-namespace", "seed", "--seed-keys", "100"});
  Client c(p);
  std::string ns = p.info()["namespaces"]["seed"];
  std::string base = c.ns_path(ns);
  REQUIRE(status(c.put(base + "/values/temp?expiration_ttl=60", "v")) == 200);
  REQUIRE(status(c.post_json(c.namespaces(), {{"title", "extra"}})) == 200);
  CHECK(status(c.del(base + "/values/key%2F0000000")) == 200);

  json stats = admin(p, "stats");
  for (const char* field : {"requests", "by_status", "rate_limited", "lockouts", "by_endpoint", "writes"})
    CHECK_MESSAGE(stats.contains(field), field);
  CHECK(stats["requests"] == 3);
  CHECK(stats["writes"] == 3);
  CHECK(stats["by_status"]["200"] == 3);
  CHECK(stats["stored_keys"] == 100);

  json clock = admin(p, "clock?advance=61", true);
  CHECK(clock["success"] == true);
  CHECK(status(c.get(base + "/values/temp")) == 404);

  CHECK(admin(p, "reset", true)["success"] == true);
  json after = admin(p, "stats");
  CHECK(after["requests"] == 0);
  CHECK(after["stored_keys"] == 100);
  CHECK(after["namespaces"] == 1);
  CHECK(c.get(base + "/values/key%2F0000000")->body == "value-0000000");  // same namespace id, keys back
  CHECK(body(c.get(c.namespaces()))["result"].size() == 1);
  CHECK(admin(p, "purges") == json::array());
  CHECK(status(httplib::Client("127.0.0.1", p.port()).Get("/__emulator/nothing")) == 404);
}

TEST_CASE("CORS headers and preflight with --cors, none without") {
  EmulatorProcess with({"--token", "tok", "--cors"});
  httplib::Client c("127.0.0.1", with.port());
  auto pre = c.Options("/client/v4/zones", {{"Origin", "http://localhost:8080"},
                                            {"Access-Control-Request-Method", "GET"},
                                            {"Access-Control-Request-Headers", "authorization"}});
  REQUIRE(pre);
  CHECK(pre->status == 204);
  CHECK(pre->get_header_value("Access-Control-Allow-Origin") == "*");
  CHECK(pre->get_header_value("Access-Control-Allow-Headers") == "authorization");
  CHECK(pre->get_header_value("Access-Control-Allow-Methods").find("DELETE") != std::string::npos);
  auto get = c.Get("/client/v4/zones", {{"Authorization", "Bearer tok"}, {"Origin", "http://localhost:8080"}});
  CHECK(get->get_header_value("Access-Control-Allow-Origin") == "*");
  CHECK(get->get_header_value("Access-Control-Expose-Headers").find("Ratelimit") != std::string::npos);
  CHECK(c.Get("/client/v4/zones")->get_header_value("Access-Control-Allow-Origin") == "*");  // errors too

  EmulatorProcess without({"--token", "tok"});
  httplib::Client d("127.0.0.1", without.port());
  CHECK(d.Get("/client/v4/zones", {{"Authorization", "Bearer tok"}})
            ->get_header_value("Access-Control-Allow-Origin")
            .empty());
  CHECK(status(d.Options("/client/v4/zones")) == 405);
}

TEST_CASE("faults over HTTP: disconnect, truncate, html, 500, 503, slow, partial bulk, poison prefix") {
  {
    EmulatorProcess p({"--token", "tok", "--seed-namespace", "n", "--fault-disconnect", "1"});
    Client c(p);
    auto r = c.put(c.ns_path(p.info()["namespaces"]["n"]) + "/values/k", "value");
    CHECK_FALSE(r);  // the connection closed mid-response
    json stats = admin(p, "stats");
    CHECK(stats["writes"] == 1);  // ...but the write was applied
    CHECK(stats["stored_keys"] == 1);
    CHECK(stats["faults_injected"] == 1);
  }
  {
    EmulatorProcess p({"--token", "tok", "--fault-truncate", "1"});
    Client c(p);
    auto r = c.get("/client/v4/zones");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(json::parse(r->body, nullptr, false).is_discarded());
    CHECK(r->body.front() == '{');
  }
  for (const char* flag : {"--fault-html", "--fault-502"}) {
    EmulatorProcess p({"--token", "tok", flag, "1"});
    Client c(p);
    auto r = c.get("/client/v4/zones");
    REQUIRE(r);
    CHECK(r->status == 502);
    CHECK(r->get_header_value("Content-Type") == "text/html");
    CHECK(r->body.find("502 Bad Gateway") != std::string::npos);
  }
  {
    EmulatorProcess p({"--token", "tok", "--fault-500", "1"});
    Client c(p);
    CHECK(status(c.get("/client/v4/zones")) == 500);
    EmulatorProcess q({"--token", "tok", "--fault-503", "1"});
    Client d(q);
    CHECK(status(d.get("/client/v4/zones")) == 503);
  }
  {
    EmulatorProcess p({"--token", "tok", "--fault-slow", "1:400"});
    Client c(p);
    auto start = std::chrono::steady_clock::now();
    CHECK(status(c.get("/client/v4/zones")) == 200);
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(400));
  }
  {
    EmulatorProcess p(
        {"--token", "tok", "--seed-namespace", "n", "--fault-partial-bulk", "0.5", "--fault-poison-prefix", "bad/"});
    Client c(p);
    std::string base = c.ns_path(p.info()["namespaces"]["n"]);
    json pairs = json::array();
    for (int i = 0; i < 50; ++i) pairs.push_back({{"key", fmt::format("k{}", i)}, {"value", "v"}});
    pairs.push_back({{"key", "bad/x"}, {"value", "v"}});
    json res = body(c.put_json(base + "/bulk", pairs))["result"];
    std::set<std::string> failed(res["unsuccessful_keys"].begin(), res["unsuccessful_keys"].end());
    CHECK(failed.count("bad/x") == 1);
    CHECK(failed.size() > 5);
    CHECK(res["successful_key_count"] == 51 - static_cast<int>(failed.size()));
    json keys = json::array();
    for (int i = 0; i < 50; ++i) keys.push_back(fmt::format("k{}", i));
    json values = body(c.post_json(base + "/bulk/get", {{"keys", keys}}))["result"]["values"];
    for (const auto& k : keys) CHECK(values[k.get<std::string>()].is_null() == (failed.count(k) == 1));
    CHECK(status(c.put(base + "/values/bad%2Fy", "v")) == 500);
  }
}

TEST_CASE("faults repeat with the same seed") {
  auto run = [](const std::string& seed) {
    EmulatorProcess p({"--token", "tok", "--fault-500", "0.5", "--fault-seed", seed});
    Client c(p);
    std::string s;
    for (int i = 0; i < 40; ++i) s += status(c.get("/client/v4/zones")) == 500 ? 'x' : '.';
    return s;
  };
  std::string a = run("9");
  CHECK(a == run("9"));
  CHECK(a != run("10"));
  CHECK(a.find('x') != std::string::npos);
  CHECK(a.find('.') != std::string::npos);
}

TEST_CASE("bad requests get Cloudflare envelopes and never take the emulator down") {
  EmulatorProcess p({"--token", "tok", "--seed-namespace", "n"});
  Client c(p);
  std::string base = c.ns_path(p.info()["namespaces"]["n"]);
  CHECK(code(c.put(base + "/bulk", "[{", "application/json")) == 6007);
  CHECK(code(c.post(base + "/bulk/delete", "[\"a\"]", "text/plain")) == 6003);
  auto unknown = c.get("/client/v4/accounts/" + c.account + "/workers/scripts");
  CHECK(status(unknown) == 404);
  CHECK(code(unknown) == 7000);
  CHECK(code(c.get("/elsewhere")) == 7000);
  auto patch = c.http.Patch((base + "/keys").c_str(), c.auth, "{}", "application/json");
  CHECK(status(patch) == 405);
  CHECK(code(patch) == 7001);
  CHECK(code(c.get("/client/v4/accounts/not-an-id/storage/kv/namespaces")) == 7003);
  CHECK(code(c.get(base + "/values/%zz")) == 10050);
  CHECK(status(c.post(base + "/bulk/delete", "")) == 400);  // empty body: malformed JSON

  // Requests httplib would never send.
  std::string odd = raw_exchange(p.port(), "FOO /client/v4/zones HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(odd.rfind("HTTP/1.1 400", 0) == 0);
  std::string garbage = raw_exchange(p.port(), "\x01\x02\x03 nonsense\r\n\r\n");
  CHECK(garbage.rfind("HTTP/1.1 400", 0) == 0);
  std::string long_uri =
      raw_exchange(p.port(), "GET /client/v4/" + std::string(10'000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(long_uri.rfind("HTTP/1.1 414", 0) == 0);
  std::string no_length =
      raw_exchange(p.port(), "POST " + base + "/bulk/delete HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok\r\n\r\n");
  CHECK(no_length.rfind("HTTP/1.1 400", 0) == 0);  // answered at once, not after a read timeout

  // Still serving, store intact.
  CHECK(status(c.put(base + "/values/alive", "yes")) == 200);
  CHECK(c.get(base + "/values/alive")->body == "yes");
}

TEST_CASE("latency is slept outside the model lock") {
  EmulatorProcess p({"--token", "tok", "--latency", "500"});
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      Client c(p);
      if (status(c.get("/client/v4/zones")) == 200) ++ok;
    });
  for (auto& t : threads) t.join();
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(ok == 8);
  CHECK(took >= std::chrono::milliseconds(500));
  CHECK(took < std::chrono::milliseconds(3000));  // one after another would take 4 s
}

TEST_CASE("--state keeps the store across restarts") {
  std::string file =
      (std::filesystem::temp_directory_path() / fmt::format("ckp-emu-state-{}.jsonl", ::getpid())).string();
  std::remove(file.c_str());
  std::string ns;
  {
    EmulatorProcess p({"--token", "tok", "--seed-namespace", "kept", "--state", file});  // account generated
    Client c(p);
    ns = p.info()["namespaces"]["kept"];
    REQUIRE(status(c.put(c.ns_path(ns) + "/values/persisted", "across restarts")) == 200);
    CHECK(p.stop() == 0);
  }
  {
    EmulatorProcess p({"--token", "tok", "--seed-namespace", "kept", "--state", file});
    CHECK(p.info()["namespaces"]["kept"] == ns);  // the account comes back from the state file
    Client c(p);
    CHECK(c.get(c.ns_path(ns) + "/values/persisted")->body == "across restarts");
  }
  std::remove(file.c_str());
}

TEST_CASE("every response carries CF-Ray, Date and Server: cloudflare; JSON bodies are utf-8") {
  EmulatorProcess p({"--token", "tok", "--cors", "--seed-namespace", "seed", "--seed-keys", "1"});
  Client c(p);
  std::string ns = p.info()["namespaces"]["seed"];
  std::set<std::string> rays;
  auto edge = [&](const httplib::Result& r, const char* what) {
    INFO(what);
    REQUIRE(r);
    std::string ray = r->get_header_value("CF-Ray");
    CHECK(ray.size() == 20);
    CHECK(ray.find_first_not_of("0123456789abcdef") == 16);
    CHECK(ray.substr(16) == "-SJC");
    CHECK(rays.insert(ray).second);  // never repeats
    CHECK(r->get_header_value_count("CF-Ray") == 1);
    CHECK(r->get_header_value("Server") == "cloudflare");
    CHECK(r->get_header_value_count("Date") == 1);
    // RFC 7231 IMF-fixdate, and the real clock.
    std::string date = r->get_header_value("Date");
    std::tm tm{};
    const char* end = ::strptime(date.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    REQUIRE(end != nullptr);
    CHECK(*end == '\0');
    CHECK(date.size() == 29);
    CHECK(std::abs(static_cast<double>(::timegm(&tm) - std::time(nullptr))) < 60);
  };
  auto ok = c.get("/client/v4/zones");
  edge(ok, "success");
  CHECK(ok->get_header_value("Content-Type") == "application/json; charset=utf-8");
  auto missing = c.get("/client/v4/nothing/here");
  edge(missing, "no route");
  CHECK(missing->get_header_value("Content-Type") == "application/json; charset=utf-8");
  auto unauthorized = Client(p, "wrong").get("/client/v4/zones");
  edge(unauthorized, "unauthorized");
  CHECK(unauthorized->get_header_value("Content-Type") == "application/json; charset=utf-8");
  auto value = c.get(c.ns_path(ns) + "/values/key%2F0000000");
  edge(value, "value");
  CHECK(value->get_header_value("Content-Type") == "application/octet-stream");  // values keep their own type
  auto stats = httplib::Client("127.0.0.1", p.port()).Get("/__emulator/stats");
  edge(stats, "admin");
  CHECK(stats->get_header_value("Content-Type") == "application/json; charset=utf-8");
  edge(httplib::Client("127.0.0.1", p.port()).Options("/client/v4/zones"), "preflight");
  for (int i = 0; i < 50; ++i) edge(c.get("/client/v4/zones"), "many");
  // httplib's own errors (an unparsable request) too.
  std::string raw = raw_exchange(p.port(), "BOGUS\r\n\r\n");
  CHECK(raw.starts_with("HTTP/1.1 400"));
  CHECK(raw.find("\r\nServer: cloudflare\r\n") != std::string::npos);
  CHECK(raw.find("\r\nCF-Ray: ") != std::string::npos);
  CHECK(raw.find("\r\nDate: ") != std::string::npos);
}

TEST_CASE("admin endpoints: loopback Host only, never CORS, tokens never cross-origin, POSTs need the secret") {
  auto dir = std::filesystem::temp_directory_path() / fmt::format("ckp-admin-{}", ::getpid());
  std::filesystem::create_directories(dir);
  std::string state = (dir / "state.ndjson").string();
  std::string secret;
  {
    EmulatorProcess p({"--token", "secret-token-123", "--cors", "--state", state});
    secret = p.info()["admin_secret"].get<std::string>();
    CHECK(secret.size() == 64);
    Client c(p);
    REQUIRE(status(c.post_json(c.namespaces(), {{"title", "precious"}})) == 200);
    httplib::Client a("127.0.0.1", p.port());
    const std::string port = std::to_string(p.port());
    auto no_secrets = [&](const httplib::Result& r, const char* what) {
      INFO(what);
      REQUIRE(r);
      CHECK(r->get_header_value("Access-Control-Allow-Origin").empty());
      CHECK(r->get_header_value("Access-Control-Allow-Headers").empty());
      CHECK(r->body.find("secret-token-123") == std::string::npos);
      CHECK(r->body.find(secret) == std::string::npos);
    };

    // DNS rebinding: a page on evil.example resolved to 127.0.0.1 sends its own name as Host.
    for (const std::string& host :
         std::vector<std::string>{"evil.example:" + port, "evil.example", "127.0.0.1.evil.example:" + port,
                                  "127.0.0.1:" + std::to_string(p.port() + 1), "127.0.0.1"}) {
      INFO(host);
      auto r = a.Get("/__emulator/info", {{"Host", host}});
      CHECK(status(r) == 403);
      no_secrets(r, "foreign host");
    }
    // A cross-origin page (with --cors): refused, no ACAO, no tokens, whatever the Origin.
    for (const char* origin : {"http://evil.example", "null", "http://localhost:1"}) {
      INFO(origin);
      auto r = a.Get("/__emulator/info", {{"Origin", origin}});
      CHECK(status(r) == 403);
      no_secrets(r, "foreign origin");
    }
    auto cross_site = a.Get("/__emulator/stats", {{"Sec-Fetch-Site", "cross-site"}});
    CHECK(status(cross_site) == 403);
    no_secrets(cross_site, "cross-site");
    // Loopback clients (curl, the tests, the benchmarks) are served, still without CORS headers.
    for (const std::string& host :
         std::vector<std::string>{"127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port, "LOCALHOST:" + port}) {
      INFO(host);
      auto r = a.Get("/__emulator/info", {{"Host", host}});
      CHECK(status(r) == 200);
      CHECK(r->get_header_value("Access-Control-Allow-Origin").empty());
    }
    auto same_origin = a.Get("/__emulator/stats", {{"Origin", "http://127.0.0.1:" + port}});
    CHECK(status(same_origin) == 200);
    CHECK(same_origin->get_header_value("Access-Control-Allow-Origin").empty());
    // No preflight for admin endpoints, so no page may send the secret header.
    auto pre = a.Options("/__emulator/reset", {{"Origin", "http://evil.example"},
                                               {"Access-Control-Request-Method", "POST"},
                                               {"Access-Control-Request-Headers", "x-emulator-admin"}});
    CHECK(status(pre) == 403);
    no_secrets(pre, "preflight");

    // The cross-origin "simple" POST that used to wipe the store (and with --state, save it empty).
    auto simple = a.Post("/__emulator/reset", {{"Origin", "http://evil.example"}}, "x", "text/plain");
    CHECK(status(simple) == 403);
    no_secrets(simple, "simple POST");
    CHECK(status(a.Post("/__emulator/reset", "x", "text/plain")) == 403);  // no secret, even from loopback
    CHECK(status(a.Post("/__emulator/reset", {{"X-Emulator-Admin", std::string(64, '0')}}, "", "application/json")) ==
          403);
    CHECK(status(a.Post("/__emulator/clock?advance=100", "", "application/json")) == 403);
    CHECK(status(a.Post("/__emulator/reset", {{"X-Emulator-Admin", secret}, {"Host", "evil.example:" + port}}, "",
                        "application/json")) == 403);
    CHECK(admin(p, "stats")["namespaces"] == 1);  // nothing was wiped
    CHECK(p.stop() == 0);
  }
  {
    // The refused resets did not reach the saved state either; the secret is fresh at every start.
    EmulatorProcess p({"--token", "secret-token-123", "--state", state});
    CHECK(admin(p, "stats")["namespaces"] == 1);
    CHECK(p.info()["admin_secret"].get<std::string>() != secret);
    CHECK(admin(p, "reset", true)["success"] == true);  // with the secret: works
    CHECK(admin(p, "stats")["namespaces"] == 0);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("start line: zones go to the account the tokens name when --account is not given") {
  const std::string acct = "0123456789abcdef0123456789abcdef", zid(32, 'a');
  EmulatorProcess p({"--token", "T=" + acct, "--zone", "example.com=" + zid, "--seed-namespace", "n"});
  CHECK(p.info()["account_id"] == acct);
  CHECK(p.info()["tokens"][0]["account_id"] == acct);
  Client c(p, "T");
  auto zones = c.get("/client/v4/zones");
  REQUIRE(status(zones) == 200);
  REQUIRE(body(zones)["result"].size() == 1);
  CHECK(body(zones)["result"][0]["account"]["id"] == acct);
  CHECK(status(c.post_json("/client/v4/zones/" + zid + "/purge_cache", {{"purge_everything", true}})) == 200);
  CHECK(status(c.get(c.ns_path(p.info()["namespaces"]["n"]) + "/keys")) == 200);  // the seed namespace too
  // --account still wins, and a token without an account gets it.
  const std::string other = "fedcba9876543210fedcba9876543210";
  EmulatorProcess q({"--token", "T=" + acct, "--token", "U", "--account", other, "--zone", "example.com=" + zid});
  CHECK(q.info()["account_id"] == other);
  CHECK(q.info()["tokens"][1]["account_id"] == other);
  Client u(q, "U");
  CHECK(body(u.get("/client/v4/zones"))["result"].size() == 1);
}

TEST_CASE("per-IP limit over HTTP: on by default, --per-ip-limit sets it, 429 971 with Retry-After") {
  EmulatorProcess defaults({"--token", "tok"});
  CHECK(defaults.info()["rate_limit"]["per_ip_per_second"] == 200);

  EmulatorProcess p({"--token", "tok", "--per-ip-limit", "3"});
  Client c(p);
  std::optional<httplib::Result> found;
  for (int i = 0; i < 1000 && !found; ++i) {  // loopback sends far more than 3 a second
    auto r = c.get("/client/v4/zones");
    if (status(r) == 429) found.emplace(std::move(r));
  }
  REQUIRE(found);
  const httplib::Result& refused = *found;
  CHECK(code(refused) == 971);
  CHECK(refused->get_header_value("Retry-After") == "1");
  CHECK_FALSE(refused->has_header("Ratelimit"));
  json stats = admin(p, "stats");
  CHECK(stats["per_ip_limited"].get<int>() >= 1);
  CHECK(stats["lockouts"] == 0);

  EmulatorProcess off({"--token", "tok", "--per-ip-limit", "0", "--rate-limit", "0/1"});
  Client o(off);
  for (int i = 0; i < 300; ++i) REQUIRE(status(o.get("/client/v4/zones")) == 200);
}

TEST_CASE("--list-lag: writes and deletes show in lists after the lag; values at once") {
  EmulatorProcess p({"--token", "tok", "--seed-namespace", "n", "--list-lag", "60"});
  CHECK(p.info()["list_lag_seconds"] == 60.0);
  Client c(p);
  std::string base = c.ns_path(p.info()["namespaces"]["n"]);
  REQUIRE(status(c.put(base + "/values/fresh", "v")) == 200);
  CHECK(c.get(base + "/values/fresh")->body == "v");
  CHECK(body(c.get(base + "/keys"))["result"].empty());
  admin(p, "clock?advance=60", true);
  CHECK(body(c.get(base + "/keys"))["result"].size() == 1);
  REQUIRE(status(c.del(base + "/values/fresh")) == 200);
  CHECK(status(c.get(base + "/values/fresh")) == 404);
  CHECK(body(c.get(base + "/keys"))["result"].size() == 1);  // still listed
  admin(p, "clock?advance=60", true);
  CHECK(body(c.get(base + "/keys"))["result"].empty());
}

TEST_CASE("purge responses state the purge buckets only with --purge-policy-hints") {
  const std::string zid(32, 'a');
  for (bool hints : {false, true}) {
    std::vector<std::string> args{"--token", "tok", "--zone", "example.com=" + zid, "--plan", "pro"};
    if (hints) args.push_back("--purge-policy-hints");
    EmulatorProcess p(args);
    CHECK(p.info()["purge_policy_hints"] == hints);
    Client c(p);
    auto r = c.post_json("/client/v4/zones/" + zid + "/purge_cache", {{"tags", {"t"}}});
    REQUIRE(status(r) == 200);
    std::string policy = r->get_header_value("Ratelimit-Policy");
    CHECK(policy.find("\"default\";q=1200;w=300") == 0);
    CHECK((policy.find("purge-flex") != std::string::npos) == hints);
    CHECK((policy.find("purge-urls") != std::string::npos) == hints);
  }
}

TEST_CASE("Ratelimit t is whole seconds") {
  EmulatorProcess p({"--token", "tok", "--time-scale", "1000"});
  Client c(p);
  auto r = c.get("/client/v4/zones");
  REQUIRE(status(r) == 200);
  CHECK(r->get_header_value("Ratelimit") == "\"default\";r=1199;t=1");  // 0.3 s window, rounded up
}

// httplib matches handlers against the decoded path with std::regex, whose '.' matches neither '\n' nor '\r': the
// front's handlers match "[\s\S]*" so that such keys reach the model, as they reach Cloudflare.
TEST_CASE("keys with a newline over HTTP") {
  EmulatorProcess p({"--token", "tok", "--seed-namespace", "n"});
  Client c(p);
  std::string base = c.ns_path(p.info()["namespaces"]["n"]);
  for (std::string raw : {"a%0Ab", "%0D%0A", "x%01y"}) {
    CAPTURE(raw);
    CHECK(status(c.put(base + "/values/" + raw, "v")) == 200);
    CHECK(status(c.get(base + "/values/" + raw)) == 200);
    CHECK(status(c.del(base + "/values/" + raw)) == 200);
  }
}
