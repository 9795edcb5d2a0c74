// Server capacity (emu/capacity.hpp, LatencyModel::capacity): past the capacity, calls in flight stretch each new
// call's latency by in-flight / capacity.
#include "model/support.hpp"

#include "ckp/emu/capacity.hpp"

namespace ckp::emu_capacity_test {
using namespace ckp::emu_test;
using std::chrono::milliseconds;

api::Request list_zones() { return api::Request(api::Method::get, "/zones"); }
}  // namespace ckp::emu_capacity_test

using namespace ckp::emu_capacity_test;

TEST_CASE("CapacityModel: up to the capacity at full speed, past it stretched; answered calls leave") {
  emu::CapacityModel m;
  CHECK(m.stretch(milliseconds(200), t0, 2) == milliseconds(200));
  CHECK(m.stretch(milliseconds(200), t0, 2) == milliseconds(200));
  CHECK(m.stretch(milliseconds(200), t0, 2) == milliseconds(300));  // 3 in flight for 2: × 3/2
  CHECK(m.stretch(milliseconds(200), t0, 2) == milliseconds(400));  // 4 for 2: × 2
  CHECK(m.in_flight() == 4);
  // At 200 ms the first two are answered: two left, and the new call makes three.
  CHECK(m.stretch(milliseconds(200), t0 + milliseconds(200), 2) == milliseconds(300));
  CHECK(m.stretch(milliseconds(100), t0 + milliseconds(1000), 2) == milliseconds(100));  // all answered
  m.reset();
  CHECK(m.in_flight() == 0);
}

TEST_CASE("CapacityModel: no capacity, no stretch and nothing recorded") {
  emu::CapacityModel m;
  for (int i = 0; i < 10; ++i) CHECK(m.stretch(milliseconds(50), t0, 0) == milliseconds(50));
  CHECK(m.in_flight() == 0);
}

TEST_CASE("server capacity: calls at once past the capacity take longer; set_latency changes it; reset forgets") {
  emu::Config c = config();
  c.latency = {milliseconds(100), {}, {}, 2};
  Harness h(c);
  CHECK(h.send(list_zones()).delay == milliseconds(100));
  CHECK(h.send(list_zones()).delay == milliseconds(100));
  CHECK(h.send(list_zones()).delay == milliseconds(150));
  CHECK(h.server.handle(list_zones(), h.now).delay == milliseconds(200));  // refused calls (403) count too
  h.now += milliseconds(500);
  CHECK(h.send(list_zones()).delay == milliseconds(100));  // the others are answered

  h.server.set_latency({milliseconds(100), {}, {}, 1});
  CHECK(h.send(list_zones()).delay == milliseconds(200));  // the call above is still in flight
  h.server.reset();
  CHECK(h.send(list_zones()).delay == milliseconds(100));
  h.server.set_latency({milliseconds(100), {}, {}, 0});
  for (int i = 0; i < 5; ++i) CHECK(h.send(list_zones()).delay == milliseconds(100));
}
