#include <doctest/doctest.h>

#include "ckp/api/envelope.hpp"
#include "ckp/api/rate_headers.hpp"

using namespace ckp;
using namespace ckp::api;

TEST_CASE("Ratelimit and Ratelimit-Policy") {
  auto s = parse_ratelimit(R"("default";r=50;t=30)");
  REQUIRE(s.size() == 1);
  CHECK(s[0].policy == "default");
  CHECK(s[0].remaining == 50);
  CHECK(s[0].reset_seconds == 30);

  auto p = parse_ratelimit_policy(R"("burst";q=100;w=60, "daily";q=1000;w=86400)");
  REQUIRE(p.size() == 2);
  CHECK(p[0].quota == 100);
  CHECK(p[0].window_seconds == 60);
  CHECK(p[1].policy == "daily");
  CHECK(p[1].window_seconds == 86400);
}

TEST_CASE("decimal windows from a time-scaled emulator") {
  auto p = parse_ratelimit_policy(R"("default";q=1200;w=0.3)");
  REQUIRE(p.size() == 1);
  CHECK(*p[0].window_seconds == doctest::Approx(0.3));
  auto s = parse_ratelimit(R"("default";r=10;t=1.25, "x";t=1.2345, "y";t=-0.5)");
  CHECK(*s[0].reset_seconds == doctest::Approx(1.25));
  CHECK_FALSE(s[1].reset_seconds);
  CHECK(*s[2].reset_seconds == doctest::Approx(-0.5));
}

TEST_CASE("malformed rate headers are skipped, not fatal") {
  CHECK(parse_ratelimit("").empty());
  auto s = parse_ratelimit(R"(garbage;r=abc;t=;;=5, "x";r=-1)");
  REQUIRE(s.size() == 2);
  CHECK_FALSE(s[0].remaining);
  CHECK_FALSE(s[0].reset_seconds);
  CHECK(s[1].remaining == -1);
}

TEST_CASE("Retry-After as seconds or HTTP date") {
  Instant now = from_unix_seconds(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
  CHECK(parse_retry_after("120", now) == std::chrono::seconds(120));
  CHECK(parse_retry_after(" 0 ", now) == Duration{0});
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:51:37 GMT", now) == std::chrono::seconds(120));
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:40:00 GMT", now) == Duration{0});
  CHECK_FALSE(parse_retry_after("-5", now));
  CHECK_FALSE(parse_retry_after("soon", now));
  CHECK_FALSE(parse_retry_after("Sun, 06 Xyz 1994 08:51:37 GMT", now));
  CHECK(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT") == 0);
  CHECK(parse_http_date("Tue, 29 Feb 2028 12:00:00 GMT") == 1835438400);
}

TEST_CASE("an absurd Retry-After is capped instead of overflowing the clock (a fuzzing find)") {
  Instant now = from_unix_seconds(784111777);
  CHECK(parse_retry_after("555555555555555", now) == max_retry_after);
  CHECK(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now) == max_retry_after);
  Response r;
  r.status = 429;
  r.headers.set("Retry-After", "555555555555555");
  r.body = R"({"success":false,"errors":[{"code":971,"message":"Please wait"}]})";
  auto env = read_envelope(r);
  REQUIRE_FALSE(env);
  CHECK(env.error().retry_after == max_retry_after);
}
