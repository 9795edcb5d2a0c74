// Limit algorithms, as tables of synthetic samples (after Netflix's AIMDLimitTest).
#include <doctest/doctest.h>

#include "ckp/engine/limits/make_limit.hpp"

using namespace ckp;
using namespace ckp::engine;
using std::chrono::milliseconds;

namespace limits_test {
Sample ok(int inflight, int ms = 100) { return {Instant{}, milliseconds(ms), inflight, false}; }
Sample drop(int inflight) { return {Instant{}, milliseconds(100), inflight, true}; }
}  // namespace limits_test
using namespace limits_test;

TEST_CASE("fixed never moves") {
  FixedLimit l(7);
  l.on_sample(drop(7));
  l.on_sample(ok(7));
  CHECK(l.current() == 7);
  CHECK(FixedLimit(0).current() == 1);
}

TEST_CASE("aimd: +1 when in use, x0.9 on drop, ignores idle samples") {
  AimdLimit l({10, 1, 20, 0.9, std::chrono::seconds(5)});
  l.on_sample(ok(5));  // 5*2 >= 10: in use
  CHECK(l.current() == 11);
  l.on_sample(ok(2));  // app-limited
  CHECK(l.current() == 11);
  l.on_sample(drop(11));
  CHECK(l.current() == 9);                                      // floor(11*0.9)
  l.on_sample({Instant{}, std::chrono::seconds(6), 9, false});  // over the timeout counts as a drop
  CHECK(l.current() == 8);
  for (int i = 0; i < 50; ++i) l.on_sample(ok(20));
  CHECK(l.current() == 20);  // clamped at max
  for (int i = 0; i < 50; ++i) l.on_sample(drop(1));
  CHECK(l.current() == 1);  // clamped at min
}

TEST_CASE("aimd validates its config") {
  CHECK_THROWS(AimdLimit({0, 1, 10}));
  CHECK_THROWS(AimdLimit({5, 1, 10, 0.4}));
  CHECK_THROWS(AimdLimit({5, 6, 10}));
}

TEST_CASE("gradient2 grows while latency is flat and shrinks when it rises") {
  Gradient2Limit l({.initial = 4});
  for (int i = 0; i < 40; ++i) l.on_sample(ok(l.current(), 100));
  const int grown = l.current();
  CHECK(grown > 4);
  for (int i = 0; i < 20; ++i) l.on_sample(ok(l.current(), 400));  // 4x latency: queueing
  CHECK(l.current() < grown);
  const int before_drop = l.current();
  l.on_sample(drop(before_drop));
  CHECK(l.current() <= before_drop);
  Gradient2Limit idle({.initial = 4});
  for (int i = 0; i < 40; ++i) idle.on_sample(ok(1, 100));  // app-limited: no growth
  CHECK(idle.current() == 4);
}

TEST_CASE("gradient2: slow start adds 1 per sample until latency rises, then grows by the formula") {
  Gradient2Limit l({.initial = 4, .max_limit = 64});
  for (int i = 0; i < 4; ++i) l.on_sample(ok(l.current(), 100));
  CHECK(l.current() == 8);  // doubled in one round trip's worth of samples
  CHECK(l.in_slow_start());
  l.on_sample(ok(8, 200));  // 1.5 × long / short < 1: queueing ends slow start
  CHECK_FALSE(l.in_slow_start());
  const int after = l.current();
  CHECK(after <= 8);
  for (int i = 0; i < 5; ++i) l.on_sample(ok(l.current(), 100));
  CHECK(l.current() < after + 5);  // +0.2 × queue_size per sample now, not +1
  Gradient2Limit off({.initial = 4, .slow_start = false});
  for (int i = 0; i < 4; ++i) off.on_sample(ok(off.current(), 100));
  CHECK(off.current() == 5);  // 4 → 4.4 → 4.8 → 5.2 → 5.6
}

TEST_CASE("gradient2: one cut per round trip, however many calls of that round trip fail") {
  using std::chrono::milliseconds;
  auto at = [](int send_ms, bool dropped) {
    return Sample{Instant{} + milliseconds(send_ms), milliseconds(100), 20, dropped};
  };
  Gradient2Limit l({.initial = 20, .slow_start = false});
  l.on_sample(at(1000, true));  // sent at 1.0 s, failed at 1.1 s: cut
  CHECK(l.current() == 16);
  l.on_sample(at(1050, true));  // sent before that cut: the cut already answered it
  l.on_sample(at(1099, true));
  CHECK(l.current() == 16);
  l.on_sample(at(1100, true));  // sent after the cut: news
  CHECK(l.current() == 12);     // 16 × 0.8 = 12.8
}

TEST_CASE("vegas grows without queueing, backs off with it") {
  VegasLimit l;
  CHECK(l.current() == 24);
  for (int i = 0; i < 10; ++i) l.on_sample(ok(l.current(), 100));
  const int grown = l.current();
  CHECK(grown > 24);
  for (int i = 0; i < 10; ++i) l.on_sample(ok(l.current(), 1000));
  CHECK(l.current() < grown);
}

TEST_CASE("make_limit") {
  CHECK(make_limit({})->name() == "gradient2");  // the default: gradient2 from 24, within [1, 64]
  CHECK(make_limit({})->current() == 24);
  CHECK(make_limit({"aimd"})->name() == "aimd");
  CHECK(make_limit({"vegas"})->name() == "vegas");
  CHECK(make_limit(LimitConfig::fixed(3))->current() == 3);
  CHECK_THROWS_WITH(make_limit({"magic"}), doctest::Contains("unknown concurrency algorithm"));
}
