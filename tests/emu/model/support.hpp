#pragma once
// Helpers shared by the in-process emulator model tests.

#include <doctest/doctest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "ckp/api/http.hpp"
#include "ckp/emu/server.hpp"

namespace ckp::emu_test {

using json = nlohmann::json;

inline const std::string account = "0123456789abcdef0123456789abcdef";
inline const std::string other_account = "fedcba9876543210fedcba9876543210";
inline const std::string zone_id = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
inline const std::string other_zone_id = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
/// 2026-01-01T00:00:00Z: the tests' clock starts here.
inline const Instant t0 = from_unix_seconds(1'767'225'600);

/// A configuration with two tokens in two accounts, a zone in each, and the global and per-IP limits out of the
/// way (the tests send many requests at one instant; test_per_ip.cpp turns the per-IP limit on).
inline emu::Config config() {
  emu::Config c;
  c.tokens = {{"tok", account}, {"other", other_account}};
  c.zones = {{"example.com", zone_id, account}, {"other.org", other_zone_id, other_account}};
  c.rate_limit.quota = 1'000'000;
  c.rate_limit.per_ip_per_second = 0;
  return c;
}

/// A server, a clock and a namespace, with helpers to send requests as a token.
struct Harness {
  explicit Harness(emu::Config c = config()) : server(std::move(c)) { ns = server.create_namespace(account, "test"); }

  emu::Reply send(api::Request r, const std::string& token = "tok") {
    r.headers.set("Authorization", "Bearer " + token);
    return server.handle(r, now);
  }
  /// Sends a request with a raw method, path, body and content type.
  emu::Reply raw(api::Method m, std::string path, std::string body = {}, std::string content_type = {},
                 std::vector<std::pair<std::string, std::string>> query = {}) {
    api::Request r(m, std::move(path));
    r.body = std::move(body);
    if (!content_type.empty()) r.headers.set("Content-Type", content_type);
    r.query = std::move(query);
    return send(std::move(r));
  }
  std::string ns_path() const { return "/accounts/" + account + "/storage/kv/namespaces/" + ns; }

  emu::Server server;
  Instant now = t0;
  std::string ns;
};

/// The JSON body of a reply (discarded when not JSON).
inline json body_of(const emu::Reply& r) { return json::parse(r.response.body, nullptr, false); }

/// The first error code of an envelope reply (0 when none).
inline int code_of(const emu::Reply& r) {
  json b = body_of(r);
  if (!b.is_object() || !b.contains("errors") || !b["errors"].is_array() || b["errors"].empty()) return 0;
  return b["errors"][0].value("code", 0);
}

/// Checks the Cloudflare failure envelope shape and returns the first code.
inline int failure_code(const emu::Reply& r) {
  json b = body_of(r);
  REQUIRE(b.is_object());
  CHECK(b["success"] == false);
  CHECK(b["result"].is_null());
  CHECK(b["messages"] == json::array());
  REQUIRE(b["errors"].is_array());
  REQUIRE_FALSE(b["errors"].empty());
  CHECK(b["errors"][0]["message"].is_string());
  return b["errors"][0]["code"].get<int>();
}

/// The `result` of a success envelope (checks the envelope).
inline json result_of(const emu::Reply& r) {
  json b = body_of(r);
  REQUIRE(b.is_object());
  CHECK(b["success"] == true);
  CHECK(b["errors"] == json::array());
  CHECK(b["messages"] == json::array());
  return b["result"];
}

}  // namespace ckp::emu_test

// Test bodies live at global scope; these names keep them short.
namespace api = ckp::api;
namespace emu = ckp::emu;
using ckp::Duration;
using ckp::Instant;
