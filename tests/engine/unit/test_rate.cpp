// Sliding window, token bucket, rate governor and retry policy — all with time passed in.
#include <doctest/doctest.h>

#include "ckp/engine/rate_governor.hpp"
#include "ckp/engine/retry.hpp"

using namespace ckp;
using namespace ckp::engine;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace rate_test {
Instant at(double s) { return Instant{from_seconds(s)}; }
api::Response with_headers(int status, api::Headers h, std::string body = "{}") {
  api::Response r;
  r.status = status;
  r.headers = std::move(h);
  r.body = std::move(body);
  return r;
}
}  // namespace rate_test
using namespace rate_test;

TEST_CASE("sliding window: a slot frees a window after its response") {
  SlidingWindow w(2, seconds(10));
  CHECK(w.wait(at(0)) == Duration{0});
  w.on_send();
  w.on_send();
  CHECK(w.wait(at(0)) == SlidingWindow::until_completion);  // both slots held by calls in flight
  w.on_complete(at(1));
  CHECK(w.wait(at(1)) == seconds(10));  // frees at 1 + 10
  CHECK(w.wait(at(11)) == Duration{0});
  CHECK(w.used(at(11)) == 1);  // the other is still in flight
  w.add_external(1, at(20));
  CHECK(w.wait(at(11)) == seconds(9));  // the other client's call frees its slot at 20
  w.on_send();
  CHECK(w.wait(at(11)) == SlidingWindow::until_completion);
}

TEST_CASE("token bucket refills at its rate") {
  TokenBucket b(5, 25);  // Pro flex purge: 5/s, burst 25
  CHECK(b.wait(1, at(0)) == Duration{0});
  for (int i = 0; i < 25; ++i) b.take(1, at(0));
  CHECK(b.wait(1, at(0)) > milliseconds(199));
  CHECK(b.wait(1, at(0)) <= milliseconds(201));
  CHECK(b.wait(1, at(0.2)) <= Duration{1});
  CHECK(b.available(at(100)) == doctest::Approx(25));
  b.drain(at(100));
  CHECK(b.available(at(100)) == doctest::Approx(0));
  TokenBucket urls(800, 800);
  CHECK(urls.wait(1000, at(0)) == Duration{0});  // a cost above capacity waits only for a full bucket
}

TEST_CASE("governor keeps headroom under the global quota") {
  GovernorConfig c;
  c.global.quota = 100;
  c.global.window_seconds = 60;
  c.global.per_ip_per_second = 100'000;  // the per-IP bucket (5% of the limit up front) out of the way
  RateGovernor g(c);
  int sent = 0;
  while (g.wait(Cost::api_call(), at(0)) == Duration{0}) {
    g.on_send(Cost::api_call(), at(0));
    g.on_response(Cost::api_call(), with_headers(200, {}), at(0));
    ++sent;
  }
  CHECK(sent == 99);  // 1% headroom, at least one request
  CHECK(g.wait(Cost::api_call(), at(0)) == seconds(60));
}

TEST_CASE("governor learns the window from Ratelimit-Policy") {
  RateGovernor g;
  g.on_send(Cost::api_call(), at(0));
  g.on_response(Cost::api_call(), with_headers(200, {{"Ratelimit-Policy", R"("default";q=1200;w=3)"}}), at(0));
  CHECK(g.window().window() == seconds(3));
  CHECK(g.window().quota() == 1188);
  g.on_send(Cost::flex_purge(), at(0));
  g.on_response(Cost::flex_purge(),
                with_headers(200, {{"Ratelimit-Policy", R"("default";q=1200;w=3, "purge-flex";q=500;w=0.1)"}}), at(0));
  CHECK(g.flex_rate() == doctest::Approx(5000));
}

TEST_CASE("governor sees other clients of the token in Ratelimit") {
  GovernorConfig c;
  c.global.quota = 10;
  c.global.window_seconds = 60;
  c.headroom = 0;
  RateGovernor g(c);
  g.on_send(Cost::api_call(), at(0));
  // We sent 1; the server says only 2 remain: 8 used, so 7 by someone else.
  g.on_response(Cost::api_call(), with_headers(200, {{"Ratelimit", R"("default";r=2;t=60)"}}), at(0));
  int sent = 0;
  while (g.wait(Cost::api_call(), at(1)) == Duration{0}) {
    g.on_send(Cost::api_call(), at(1));
    ++sent;
  }
  CHECK(sent == 2);
}

TEST_CASE("a global 429 blocks everything until Retry-After") {
  RateGovernor g;
  g.on_send(Cost::api_call(), at(0));
  g.on_response(
      Cost::api_call(),
      with_headers(429, {{"Retry-After", "300"}},
                   R"({"success":false,"errors":[{"code":971,"message":"Please wait"}],"messages":[],"result":null})"),
      at(0));
  CHECK(g.stats().rate_limited == 1);
  CHECK(g.stats().lockouts == 1);
  CHECK(g.wait(Cost::api_call(), at(10)) == seconds(290));
  CHECK(g.wait(Cost::url_purge(10), at(10)) == seconds(290));
}

TEST_CASE("a lockout shorter than the window holds calls back for the lockout, not for the window") {
  // Cloudflare's 429 says r=0 (nothing left) with the lockout's Retry-After; that is the lockout, not 1,200 calls
  // by someone else that would keep the window full for 5 minutes.
  RateGovernor g;
  g.on_send(Cost::api_call(), at(0));
  g.on_response(
      Cost::api_call(),
      with_headers(429,
                   {{"Retry-After", "40"},
                    {"Ratelimit", R"("default";r=0;t=40)"},
                    {"Ratelimit-Policy", R"("default";q=1200;w=300)"}},
                   R"({"success":false,"errors":[{"code":971,"message":"Please wait"}],"messages":[],"result":null})"),
      at(0));
  CHECK(g.wait(Cost::api_call(), at(10)) == seconds(30));
  CHECK(g.wait(Cost::api_call(), at(41)) == Duration{0});
}

TEST_CASE("a purge-bucket 429 drains that bucket only") {
  GovernorConfig c;
  c.plan = api::PlanProfile::pro();
  RateGovernor g(c);
  g.on_send(Cost::flex_purge(), at(0));
  g.on_response(
      Cost::flex_purge(),
      with_headers(
          429, {{"Retry-After", "1"}},
          R"({"success":false,"errors":[{"code":1102,"message":"rate limited"}],"messages":[],"result":null})"),
      at(0));
  CHECK(g.stats().lockouts == 0);
  CHECK(g.wait(Cost::flex_purge(), at(0)) > Duration{0});
  CHECK(g.wait(Cost::url_purge(10), at(0)) == Duration{0});
}

TEST_CASE("url purge pacing follows the plan") {
  GovernorConfig c;
  c.plan = api::PlanProfile::free();  // 800 URLs/s
  RateGovernor g(c);
  g.on_send(Cost::url_purge(800), at(0));
  g.on_response(Cost::url_purge(800), with_headers(200, {}), at(0));
  CHECK(g.wait(Cost::url_purge(100), at(0)).count() == doctest::Approx(125000).epsilon(0.01));
}

TEST_CASE("retry: full jitter, bounded, honours Retry-After") {
  RetryPolicy p;
  Rng rng(7);
  Error server = Error::make(ErrorKind::server, "boom");
  for (int attempt = 1; attempt < 8; ++attempt) {
    for (int i = 0; i < 100; ++i) {
      Duration d = p.delay(attempt, server, rng);
      CHECK(d >= Duration{0});
      CHECK(d <= std::min(p.cap, Duration(p.base.count() << (attempt - 1))));
    }
  }
  Error limited = Error::make(ErrorKind::rate_limited, "429");
  limited.retry_after = seconds(300);
  CHECK(p.delay(1, limited, rng) >= seconds(300));
  CHECK(p.allows(1, seconds(1), server));
  CHECK_FALSE(p.allows(8, seconds(1), server));
  CHECK_FALSE(p.allows(1, std::chrono::minutes(16), server));
  CHECK_FALSE(p.allows(1, seconds(1), Error::make(ErrorKind::bad_request, "400")));
}

TEST_CASE("rng is deterministic") {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 10; ++i) CHECK(a.next() == b.next());
  CHECK(Rng(42).next() != c.next());
  Rng u(1);
  for (int i = 0; i < 1000; ++i) {
    double x = u.uniform();
    CHECK(x >= 0);
    CHECK(x < 1);
  }
}

TEST_CASE("governor: never more than 95% of the per-IP limit in any one-second span, a burst at once") {
  // Cloudflare's 200 requests per second per IP, read strictly as the emulator enforces it: a sliding second. Calls
  // go as fast as the governor allows, each answered 50 ms after it was sent, for 5 s.
  GovernorConfig c;
  c.global.quota = 1'000'000;  // the global window out of the way
  RateGovernor g(c);
  CHECK(RateGovernor::per_ip_quota(200) == 190);
  std::vector<double> sent;
  std::deque<double> answers;  // when each call in flight is answered, in order
  api::Response ok;
  ok.status = 200;
  double t = 0;
  while (t < 5) {
    while (!answers.empty() && answers.front() <= t) {
      g.on_response(Cost::api_call(), ok, at(answers.front()));
      answers.pop_front();
    }
    const Duration w = g.wait(Cost::api_call(), at(t));
    if (w == Duration{0}) {
      g.on_send(Cost::api_call(), at(t));
      sent.push_back(t);
      answers.push_back(t + 0.05);
    } else if (w == SlidingWindow::until_completion) {
      REQUIRE(!answers.empty());
      t = answers.front();
    } else {
      t = answers.empty() ? t + to_seconds(w) : std::min(t + to_seconds(w), answers.front());
    }
  }
  std::size_t most = 0;
  for (std::size_t i = 0, j = 0; j < sent.size(); ++j) {
    while (sent[j] - sent[i] >= 1.0) ++i;
    most = std::max(most, j - i + 1);
  }
  CHECK(most <= 190);
  CHECK(std::count(sent.begin(), sent.end(), 0.0) == 190);  // a burst of up to 190 goes at once
  CHECK(static_cast<double>(sent.size()) / 5 >= 175);       // sustained: 190 per (1 s + a round trip)
}

TEST_CASE("purge buckets per plan: a Free zone's bucket and an Enterprise zone's are separate") {
  RateGovernor g;  // plan 0: enterprise (the config's)
  const std::size_t free = g.plan_buckets(api::PlanProfile::free());
  CHECK(free != 0);
  CHECK(g.plan_buckets(api::PlanProfile::free()) == free);  // the same plan, the same buckets
  CHECK(g.plan_buckets(api::PlanProfile::enterprise()) == 0);
  CHECK(g.url_rate(free) == doctest::Approx(800));
  CHECK(g.url_rate(0) == doctest::Approx(3000));
  g.on_send(Cost::url_purge(800, free), at(0));
  g.on_response(Cost::url_purge(800, free), with_headers(200, {}), at(0));
  CHECK(g.wait(Cost::url_purge(100, free), at(0)) > Duration{0});  // the Free bucket is empty
  CHECK(g.wait(Cost::url_purge(500, 0), at(0)) == Duration{0});    // the Enterprise one is not
  CHECK(g.wait_shared(at(0)) == Duration{0});
}

TEST_CASE("a purge refused for its content (400) is not charged to the bucket") {
  GovernorConfig c;
  c.plan = api::PlanProfile::pro();  // 1,500 URLs per second, bucket 1,500
  RateGovernor g(c);
  g.on_send(Cost::url_purge(1500), at(0));
  g.on_response(Cost::url_purge(1500), with_headers(400, {}), at(0.01));
  CHECK(g.wait(Cost::url_purge(1500), at(0.01)) == Duration{0});  // the tokens came back
}

TEST_CASE("a purge bucket's 429 holds that bucket until Retry-After, and nothing else") {
  GovernorConfig c;
  c.plan = api::PlanProfile::pro();
  RateGovernor g(c);
  g.on_send(Cost::url_purge(100), at(0));
  g.on_response(
      Cost::url_purge(100),
      with_headers(
          429, {{"Retry-After", "3"}},
          R"({"success":false,"errors":[{"code":1083,"message":"rate limited"}],"messages":[],"result":null})"),
      at(0));
  CHECK(g.wait(Cost::url_purge(1), at(2)) == seconds(1));  // refilled by then, but held until Retry-After
  CHECK(g.wait(Cost::url_purge(1), at(3)) == Duration{0});
  CHECK(g.wait(Cost::flex_purge(), at(0)) == Duration{0});
  CHECK(g.wait(Cost::api_call(), at(0)) == Duration{0});
  CHECK(g.stats().lockouts == 0);
}

TEST_CASE("a purge from a full bucket stops its refill until an answer: the server's bucket was full until then") {
  // Enterprise: 3,000 URLs per second, bucket 3,000. Six calls of 500 empty it at t=0. If they reach the server
  // only at 0.3 s (a slow first connection), its bucket was full (and lost its refill) until then; a client that
  // counted refill from 0 would send a seventh call at 0.17 s and get a 429.
  RateGovernor g;
  for (int i = 0; i < 6; ++i) {
    REQUIRE(g.wait(Cost::url_purge(500), at(0)) == Duration{0});
    g.on_send(Cost::url_purge(500), at(0));
  }
  CHECK(g.wait(Cost::url_purge(500), at(0.2)) == SlidingWindow::until_completion);
  g.on_response(Cost::url_purge(500), with_headers(200, {}), at(0.3));  // arrived at the latest now
  CHECK(g.wait(Cost::url_purge(500), at(0.3)).count() == doctest::Approx(166'667).epsilon(0.01));
  CHECK(g.wait(Cost::url_purge(500), at(0.467)) == Duration{0});
}
