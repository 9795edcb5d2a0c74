// Cloudflare's per-IP limit (200 requests per second) in the model: on by default, a sliding second in real time,
// before routing and authentication, 429 code 971 with Retry-After and no lockout.

#include "model/support.hpp"

namespace ckp::emu_per_ip_test {
using namespace ckp::emu_test;
using api::Method;

api::Request ip_list_keys(const Harness& h) { return api::Request(Method::get, h.ns_path() + "/keys"); }

emu::Config per_ip(std::int64_t per_second, double scale = 1) {
  emu::Config c = config();
  c.rate_limit.per_ip_per_second = per_second;
  c.time_scale = scale;
  return c;
}

}  // namespace ckp::emu_per_ip_test

using namespace ckp::emu_per_ip_test;

TEST_CASE("per-IP limit: on by default at Cloudflare's 200 requests per second") {
  CHECK(emu::Config{}.rate_limit.per_ip_per_second == 200);
  emu::Config c = config();
  c.rate_limit.per_ip_per_second = emu::Config{}.rate_limit.per_ip_per_second;
  Harness h(c);
  for (int i = 0; i < 200; ++i) REQUIRE(h.send(ip_list_keys(h)).response.status == 200);
  auto over = h.send(ip_list_keys(h));
  CHECK(over.response.status == 429);
  CHECK(failure_code(over) == 971);
  CHECK(body_of(over)["errors"][0]["message"] == "Please wait and consider throttling your request speed");
  CHECK(over.response.headers.get("Retry-After") == "1");
  // Not a token's limit: no Ratelimit headers, and no lockout.
  CHECK_FALSE(over.response.headers.has("Ratelimit"));
  CHECK_FALSE(over.response.headers.has("Ratelimit-Policy"));
  CHECK(h.server.stats().lockouts == 0);
  CHECK(h.server.stats().per_ip_limited == 1);
  CHECK(h.server.stats().rate_limited == 1);
  CHECK(h.server.stats_json()["per_ip_limited"] == 1);
}

TEST_CASE("per-IP limit: every client is one IP; it comes before routing and authentication") {
  Harness h(per_ip(3));
  CHECK(h.send(ip_list_keys(h)).response.status == 200);
  CHECK(h.send(api::kv::list_namespaces(other_account), "other").response.status == 200);  // another token
  CHECK(h.send(api::Request(Method::get, "/nowhere")).response.status == 404);             // counted too
  CHECK(h.send(ip_list_keys(h), "wrong-token").response.status == 429);                    // before authentication
  CHECK(h.send(api::Request(Method::get, "/nowhere")).response.status == 429);             // before routing
  CHECK(h.send(api::kv::list_namespaces(other_account), "other").response.status == 429);
}

TEST_CASE("per-IP limit: a sliding second; refused requests do not count; Retry-After rounds up") {
  Harness h(per_ip(2));
  using std::chrono::milliseconds;
  const Instant start = h.now;
  REQUIRE(h.send(ip_list_keys(h)).response.status == 200);
  h.now = start + milliseconds(600);
  REQUIRE(h.send(ip_list_keys(h)).response.status == 200);
  h.now = start + milliseconds(999);
  auto refused = h.send(ip_list_keys(h));
  CHECK(refused.response.status == 429);
  CHECK(refused.response.headers.get("Retry-After") == "1");  // 1 ms, in whole seconds, at least 1
  h.now = start + milliseconds(1000);                         // the first request has left the second
  CHECK(h.send(ip_list_keys(h)).response.status == 200);
  h.now = start + milliseconds(1500);
  CHECK(h.send(ip_list_keys(h)).response.status == 429);
  h.now = start + milliseconds(1600);
  CHECK(h.send(ip_list_keys(h)).response.status == 200);
}

TEST_CASE("per-IP limit: real time, not divided by the time scale") {
  Harness h(per_ip(2, 1000));
  const Instant start = h.now;
  REQUIRE(h.send(ip_list_keys(h)).response.status == 200);
  REQUIRE(h.send(ip_list_keys(h)).response.status == 200);
  h.now = start + std::chrono::milliseconds(500);  // half a real second: still the same second at any scale
  CHECK(h.send(ip_list_keys(h)).response.status == 429);
  h.now = start + std::chrono::seconds(1);
  CHECK(h.send(ip_list_keys(h)).response.status == 200);
}

TEST_CASE("per-IP limit: 0 turns it off; set_rate_limit changes it") {
  Harness h(per_ip(0));
  for (int i = 0; i < 1000; ++i) REQUIRE(h.send(ip_list_keys(h)).response.status == 200);
  api::GlobalRateLimit limit = h.server.config().rate_limit;
  limit.per_ip_per_second = 1;
  h.server.set_rate_limit(limit);
  CHECK(h.send(ip_list_keys(h)).response.status == 200);
  CHECK(h.send(ip_list_keys(h)).response.status == 429);
}
