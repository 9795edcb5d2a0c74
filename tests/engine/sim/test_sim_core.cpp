// The shared pieces behind every front: reading values with fallback, paged listings, per-call patience, and the one
// error policy.
#include <doctest/doctest.h>

#include "ckp/engine/error_policy.hpp"
#include "ckp/ops/all_pages.hpp"
#include "ckp/ops/value_reader.hpp"
#include "ckp/ops/zone_directory.hpp"
#include "world.hpp"

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

TEST_CASE("read_values: bulk get, key-by-key fallback for a chunk with a binary value, vanished and failed keys") {
  test::SimWorld w(test::sim_config(milliseconds(5)));
  std::vector<std::string> names;
  for (int i = 0; i < 250; ++i) {
    names.push_back("v/" + std::to_string(i));
    w.server.put_key(w.ns, names.back(), "value " + std::to_string(i));
  }
  w.server.put_key(w.ns, "v/bin", std::string("\xff\x00\xfe", 3));
  names.push_back("v/bin");
  names.push_back("v/never-there");
  auto scheduler = w.scheduler();
  std::vector<std::optional<ops::ValueRead>> got(names.size());
  std::optional<std::optional<Error>> ended;
  ops::read_values(*scheduler, test::sim_account, w.ns, names, [&](std::size_t i, ops::ValueRead r) { got[i] = r; },
                   [&](std::optional<Error> e) { ended = e; });
  w.sim.run_until([&] { return ended.has_value(); });
  REQUIRE(ended);
  CHECK_FALSE(*ended);
  for (std::size_t i = 0; i < 250; ++i) {
    REQUIRE(got[i]);
    CHECK(got[i]->bytes == "value " + std::to_string(i));
  }
  REQUIRE(got[250]);
  CHECK(got[250]->outcome == ops::ValueRead::Outcome::value);
  CHECK(got[250]->bytes == std::string("\xff\x00\xfe", 3));
  CHECK(got[251]->outcome == ops::ValueRead::Outcome::vanished);
  nlohmann::json j;
  ops::put_value(j, got[250]->bytes);
  CHECK(j == nlohmann::json{{"value", "/wD+"}, {"base64", true}});
  ops::put_value(j, "héllo");
  CHECK(j["value"] == "héllo");
}

TEST_CASE("all_pages: every page of zones, one after the other, and the first error") {
  auto config = test::sim_config(milliseconds(5));
  for (int i = 0; i < 120; ++i)
    config.zones.push_back({"z" + std::to_string(i) + ".example", fmt::format("{:032x}", i + 1), test::sim_account});
  test::SimWorld w(config);
  auto scheduler = w.scheduler();
  std::optional<Result<ops::ZoneDirectory>> dir;
  ops::ZoneDirectory::fetch(*scheduler, test::sim_account, [&](Result<ops::ZoneDirectory> d) { dir.emplace(std::move(d)); });
  w.sim.run_until([&] { return dir.has_value(); });
  REQUIRE(*dir);
  CHECK((*dir)->zones().size() == 120);
  CHECK((*dir)->zone_for_host("www.z7.example")->name == "z7.example");
  CHECK(w.server.stats().by_endpoint["zones.list"] == 3);  // 50 per page
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
    scheduler->submit(api::kv::list_keys(test::sim_account, w.ns, {"", "", 10}), engine::Cost::api_call(),
                      api::kv::parse_keys,
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
