// Keyed draws (emu/draws.hpp, DrawMode::keyed): a request's fault, latency and per-key failures depend on the seed,
// the request and its attempt, not on the order requests arrive in.
#include "model/support.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "ckp/emu/draws.hpp"

namespace ckp::emu_draws_test {
using namespace ckp::emu_test;
using api::Method;

emu::Config keyed(double error_500 = 0) {
  emu::Config c = config();
  c.draw_mode = emu::DrawMode::keyed;
  c.fault_seed = 7;
  c.faults.error_500 = error_500;
  c.latency = {std::chrono::milliseconds(100), std::chrono::milliseconds(50), {}};
  return c;
}

api::Request get_value(const Harness& h, int i) {
  return api::Request(Method::get, h.ns_path() + "/values/k" + std::to_string(i));
}

/// Sends get_value(0 … n-1) in @p order and returns, per request index, its status and delay.
std::vector<std::pair<int, Duration>> outcomes(const emu::Config& c, const std::vector<int>& order) {
  Harness h(c);
  std::vector<std::pair<int, Duration>> out(order.size());
  for (int i : order) {
    const emu::Reply r = h.send(get_value(h, i));
    out[static_cast<std::size_t>(i)] = {r.response.status, r.delay};
  }
  return out;
}

std::vector<int> ascending(int n) {
  std::vector<int> v(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = i;
  return v;
}
}  // namespace ckp::emu_draws_test

using namespace ckp::emu_draws_test;

TEST_CASE("request_key: method, path, query and body make a call; headers do not") {
  api::Request a(Method::get, "/zones");
  api::Request b = a;
  b.headers.set("Authorization", "Bearer other");
  CHECK(emu::request_key(a) == emu::request_key(b));
  b.method = Method::post;
  CHECK(emu::request_key(a) != emu::request_key(b));
  b = a;
  b.query = {{"page", "2"}};
  CHECK(emu::request_key(a) != emu::request_key(b));
  b = a;
  b.body = "x";
  CHECK(emu::request_key(a) != emu::request_key(b));
  // Fields are separated: moving a character from one field to the next is another call.
  api::Request ab_c(Method::get, "/zones"), a_bc(Method::get, "/zones");
  ab_c.query = {{"ab", "c"}};
  a_bc.query = {{"a", "bc"}};
  CHECK(emu::request_key(ab_c) != emu::request_key(a_bc));
}

TEST_CASE("KeyedDraws: the n-th attempt of a call draws the same, whatever comes between") {
  const api::Request a(Method::get, "/a"), b(Method::get, "/b");
  emu::KeyedDraws one(3), other(3);
  const auto a0 = one.next(a), b0 = one.next(b), a1 = one.next(a);
  const auto b0_first = other.next(b), a0_second = other.next(a), a1_second = other.next(a);
  CHECK(a0.fault == a0_second.fault);
  CHECK(a0.latency == a0_second.latency);
  CHECK(a0.key_seed == a0_second.key_seed);
  CHECK(b0.fault == b0_first.fault);
  CHECK(a1.fault == a1_second.fault);
  CHECK(a1.fault != a0.fault);                          // a retry draws again
  CHECK(a0.fault != a0.latency);                        // the uses of one draw are mixed apart
  CHECK(emu::KeyedDraws(4).next(a).fault != a0.fault);  // another seed, other draws
  for (const auto& d : {a0, b0, a1}) {
    CHECK(d.fault >= 0);
    CHECK(d.fault < 1);
    CHECK(d.latency >= 0);
    CHECK(d.latency < 1);
  }
}

TEST_CASE("keyed draws: each call gets the same fault and latency in any order") {
  const emu::Config c = keyed(0.3);
  const auto forward = outcomes(c, ascending(200));
  std::vector<int> backward = ascending(200);
  std::reverse(backward.begin(), backward.end());
  CHECK(forward == outcomes(c, backward));

  const auto failures = std::count_if(forward.begin(), forward.end(), [](const auto& o) { return o.first == 500; });
  CHECK(failures > 30);  // the rate is still respected (expected 60)
  CHECK(failures < 90);
  std::set<Duration> delays;
  for (const auto& [status, delay] : forward) {
    CHECK(delay >= std::chrono::milliseconds(100));
    CHECK(delay < std::chrono::milliseconds(150));
    delays.insert(delay);
  }
  CHECK(delays.size() > 150);  // jitter is drawn per call

  // Sequential draws, for contrast: the same calls in another order meet other faults.
  emu::Config sequential = c;
  sequential.draw_mode = emu::DrawMode::sequential;
  CHECK(outcomes(sequential, ascending(200)) != outcomes(sequential, backward));
}

TEST_CASE("keyed draws: a retry draws again, the same in every run; reset starts the attempts over") {
  auto statuses = [](Harness& h) {
    std::string s;
    for (int i = 0; i < 100; ++i) s += h.send(get_value(h, i)).response.status == 500 ? 'x' : '.';
    return s;
  };
  Harness h(keyed(0.5));
  const std::string first = statuses(h), second = statuses(h);
  CHECK(first != second);  // second attempts are new draws
  Harness again(keyed(0.5));
  CHECK(statuses(again) == first);
  CHECK(statuses(again) == second);
  h.server.reset();
  h.ns = h.server.create_namespace(account, "test");
  CHECK(statuses(h) == first);
}

TEST_CASE("keyed draws: the keys that fail in a bulk call depend on the call, not on what came before") {
  emu::Config c = keyed();
  c.faults.partial_bulk = 0.5;
  api::Request del(Method::post, "");
  json keys = json::array();
  for (int i = 0; i < 100; ++i) keys.push_back("k" + std::to_string(i));
  del.body = keys.dump();
  auto failed_keys = [&](int calls_before) {
    Harness h(c);
    for (int i = 0; i < calls_before; ++i) h.send(get_value(h, i));
    del.path = h.ns_path() + "/bulk/delete";
    return result_of(h.send(del))["unsuccessful_keys"];
  };
  const json failed = failed_keys(0);
  CHECK(failed.size() > 20);
  CHECK(failed.size() < 80);
  CHECK(failed_keys(5) == failed);
}
