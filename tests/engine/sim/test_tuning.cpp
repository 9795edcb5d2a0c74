// Issue 7's rule, on representative profiles at reduced size: the default adaptive concurrency (LimitConfig{})
// reaches >= 95% of the best fixed concurrency's throughput, with no lockout. Same model as the sweep benchmark
// (benchmarks/sim/concurrency_sweep.cpp), in virtual time, so deterministic: no timing sensitivity.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "../../../benchmarks/sim/tuning_model.hpp"

namespace tuning_test {

struct Swept {
  std::vector<ckp::bench::CellResult> cells;
  ckp::bench::Verdict verdict;
  const ckp::bench::CellResult& fixed(int n) const {
    for (const auto& c : cells)
      if (!c.adaptive && c.fixed == n) return c;
    return cells.front();
  }
  const ckp::bench::CellResult& by_default() const {
    for (const auto& c : cells)
      if (c.is_default) return c;
    return cells.front();
  }
};

/// Runs fixed 1…64 and the default on @p profile of @p w, at @p scale × the benchmark's size.
inline Swept sweep(ckp::bench::Workload w, const std::string& profile, double scale) {
  Swept out;
  for (const auto& p : ckp::bench::profiles_for(w)) {
    if (p.name != profile) continue;
    const auto items = ckp::bench::workload_items(w, p, scale);
    for (const auto& s : ckp::bench::sweep_settings())
      if (!s.adaptive || s.is_default) out.cells.push_back(ckp::bench::run_cell(w, items, p, s));
  }
  REQUIRE(out.cells.size() == 8);
  out.verdict = ckp::bench::verdict(out.cells);
  return out;
}

inline void check_rule(const Swept& s) {
  const auto& d = s.by_default();
  MESSAGE(std::string(ckp::bench::to_string(d.workload))
          << " / " << d.profile << ": default " << d.throughput << "/s, best fixed (" << s.verdict.best_fixed_n << ") "
          << s.verdict.best_fixed << "/s, share " << s.verdict.share() << ", bound " << d.bound.seconds() << " s ("
          << std::string(d.bound.binding()) << "), took " << d.seconds << " s");
  CHECK(d.completed);
  CHECK(d.done == d.items);
  CHECK(d.lockouts == 0);
  CHECK(d.rate_limited == 0);
  CHECK(s.verdict.share() >= 0.95);
}

}  // namespace tuning_test

TEST_CASE("tuning rule: export, latency-bound (200 ms): concurrency matters, the default keeps up") {
  auto s = tuning_test::sweep(ckp::bench::Workload::export_kv, "lat200", 0.4);  // 20,000 keys: 220 calls
  tuning_test::check_rule(s);
  // The profile is one where concurrency matters (else the rule says nothing): one call at a time is far slower.
  CHECK(s.fixed(1).throughput < 0.2 * s.verdict.best_fixed);
  // And the bound is honest: the best run comes close to it but does not beat it by more than the jitter's luck.
  const auto& best = s.fixed(s.verdict.best_fixed_n);
  CHECK(best.ratio() > 0.95);
  CHECK(best.ratio() < 1.10);
}

TEST_CASE("tuning rule: export against a server that serves 8 calls at full speed") {
  auto s = tuning_test::sweep(ckp::bench::Workload::export_kv, "capacity8", 0.4);
  tuning_test::check_rule(s);
  CHECK(s.verdict.best_fixed_n == 8);  // past the capacity, more calls in flight only wait longer
}

TEST_CASE("tuning rule: export with 10% 5xx (one cut of the limit per round trip, not per error)") {
  auto s = tuning_test::sweep(ckp::bench::Workload::export_kv, "5xx-10%", 0.4);
  tuning_test::check_rule(s);
  CHECK(s.by_default().server_errors > 10);
}

TEST_CASE("tuning rule: a short keys-file delete (800 ms calls) is over before a ramp from a low start pays off") {
  auto s = tuning_test::sweep(ckp::bench::Workload::delete_keys, "lat800", 1.0 / 3);  // 100,000 keys: 10 calls
  tuning_test::check_rule(s);
}

TEST_CASE("tuning rule: purge URLs on the free plan (the URL bucket binds) and prefix delete through a spike") {
  tuning_test::check_rule(tuning_test::sweep(ckp::bench::Workload::purge_urls, "free", 0.2));      // 6,000 URLs
  tuning_test::check_rule(tuning_test::sweep(ckp::bench::Workload::delete_prefix, "spike", 0.3));  // 30,000 keys
}

TEST_CASE("tuning rule: the quota drops half-way; the default learns it from the headers without a lockout") {
  auto s = tuning_test::sweep(ckp::bench::Workload::export_kv, "limit-drop", 0.4);
  tuning_test::check_rule(s);
  CHECK(s.by_default().bound.binding() == std::string("window"));
  CHECK(s.by_default().seconds > 300);  // the second half waits for the first calls to leave the window
}

TEST_CASE("tuning bounds: the ideal client reproduces the closed forms") {
  using ckp::bench::Workload;
  auto kv = ckp::bench::kv_profiles();
  const auto& lat200 = kv[1];
  REQUIRE(lat200.name == "lat200");
  // Prefix delete of 100,000 keys: 100 sequential lists at 250 ms (200 + jitter/2), then the last bulk delete of
  // 10,000 keys (250 ms + 10,000 × 20 µs).
  CHECK(ckp::bench::compute_bound(Workload::delete_prefix, 100'000, lat200).seconds() == doctest::Approx(25.45));
  // A window of 100 calls per 300 s: the 250th call waits ⌊249/100⌋ = 2 windows, then takes its latency.
  auto tight = lat200;
  tight.server.rate_limit = {100, 300, 300, 200};
  const auto b = ckp::bench::compute_bound(Workload::delete_keys, 2'500'000, tight);  // 250 bulk deletes
  CHECK(b.seconds() == doctest::Approx(600 + 0.25 + 0.2));
  CHECK(std::string(b.binding()) == "window");
  // URL purge on the free plan: (N − 800)/800 s of bucket, then one latency.
  auto purge = ckp::bench::purge_profiles();
  REQUIRE(purge[0].name == "free");
  CHECK(ckp::bench::compute_bound(Workload::purge_urls, 30'000, purge[0]).seconds() ==
        doctest::Approx((30'000.0 - 800) / 800 + 0.25 + 0.002));
}
