// The scheduler's shared rules: the one error policy, and per-call patience (SubmitOptions::max_wait).
#include <doctest/doctest.h>

#include "ckp/api/kv.hpp"
#include "ckp/engine/error_policy.hpp"
#include "support/sim_world.hpp"

using namespace ckp;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_CASE("error policy: retry what may pass later, split what the content caused, stop on the rest") {
  using engine::Remedy;
  auto kind = [](ErrorKind k) { return engine::remedy(Error::make(k, "x")); };
  CHECK(kind(ErrorKind::rate_limited) == Remedy::retry);
  CHECK(kind(ErrorKind::server) == Remedy::retry);
  CHECK(kind(ErrorKind::transport) == Remedy::retry);
  CHECK(kind(ErrorKind::timeout) == Remedy::retry);
  CHECK(kind(ErrorKind::malformed_response) == Remedy::retry);
  CHECK(kind(ErrorKind::bad_request) == Remedy::split);
  CHECK(kind(ErrorKind::too_large) == Remedy::split);
  CHECK(kind(ErrorKind::conflict) == Remedy::split);
  CHECK(kind(ErrorKind::invalid_input) == Remedy::split);
  CHECK(kind(ErrorKind::authentication) == Remedy::stop);
  CHECK(kind(ErrorKind::not_found) == Remedy::stop);
  CHECK(kind(ErrorKind::cancelled) == Remedy::stop);
  CHECK(engine::is_fatal(Error::make(ErrorKind::server, "retries ran out")));
  CHECK_FALSE(engine::is_fatal(Error::make(ErrorKind::bad_request, "this batch")));
  api::Response r;
  r.status = 429;
  CHECK(engine::is_pushback(r));
  r.status = 503;
  CHECK_FALSE(engine::is_pushback(r));  // retried, but not a sign of our load
  CHECK(engine::is_pushback(api::Response::failed(api::TransportFailure::reset, "reset")));
}

TEST_CASE("a call that may not wait long ends at once with the wait instead of queueing for minutes") {
  auto config = test::sim_config(milliseconds(5));
  config.rate_limit = {10, 300, 300, 200};
  test::SimWorld w(config);
  engine::SchedulerConfig sc;
  sc.governor.global = config.rate_limit;
  auto scheduler = w.scheduler(sc);
  int ok = 0;
  std::optional<Error> refused;
  for (int i = 0; i < 12; ++i)
    scheduler->submit(
        api::kv::list_keys(test::sim_account, w.ns, {"", "", 10}), engine::Cost::api_call(), api::kv::parse_keys,
        [&](Result<api::kv::KeyPage> r) { r ? (void)++ok : (void)(refused = r.error()); },
        engine::SubmitOptions{.max_wait = seconds(10)});
  const Instant start = w.sim.now();
  w.sim.run_until([&] { return scheduler->idle(); });
  CHECK(ok == 9);  // the quota, less the 1% the governor leaves to other clients of the token
  REQUIRE(refused);
  CHECK(refused->kind == ErrorKind::rate_limited);
  REQUIRE(refused->retry_after);
  CHECK(*refused->retry_after > seconds(10));
  CHECK(w.sim.now() - start < seconds(1));  // nobody waited five minutes
  CHECK(w.server.stats().rate_limited == 0);
}

TEST_CASE("cancel ends calls waiting out a lockout at once, not when the lockout ends") {
  auto config = test::sim_config(milliseconds(5));
  config.rate_limit = {10, 300, 300, 200};  // the 11th call in 5 minutes earns a 429 and a 300 s lockout
  test::SimWorld w(config);
  auto scheduler = w.scheduler({});  // a governor that does not know the quota: it learns it from the 429
  int ok = 0, cancelled = 0, other = 0;
  for (int i = 0; i < 14; ++i)
    scheduler->submit(api::kv::list_keys(test::sim_account, w.ns, {"", "", 10}), engine::Cost::api_call(),
                      api::kv::parse_keys, [&](Result<api::kv::KeyPage> r) {
                        if (r) ++ok;
                        else if (r.error().kind == ErrorKind::cancelled) ++cancelled;
                        else ++other;
                      });
  w.sim.run_until([&] { return w.server.stats().rate_limited > 0 && scheduler->inflight() == 0; });
  REQUIRE_FALSE(scheduler->idle());  // calls wait to be retried after the lockout
  const Instant cancelled_at = w.sim.now();
  scheduler->cancel(Error::make(ErrorKind::cancelled, "stopped on request"));
  CHECK(scheduler->idle());
  CHECK(ok + cancelled + other == 14);
  CHECK(cancelled >= 1);
  CHECK(other == 0);
  w.sim.run_until_time(cancelled_at + seconds(400));  // the retry timers fire later and find nothing to do
  CHECK(ok + cancelled + other == 14);
  CHECK(scheduler->idle());
}
