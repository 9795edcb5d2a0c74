// The shared readers behind every front: values with a key-by-key fallback, and paged listings.
#include <doctest/doctest.h>

#include "ckp/ops/all_pages.hpp"
#include "ckp/ops/value_reader.hpp"
#include "ckp/ops/zone_directory.hpp"
#include "support/sim_world.hpp"

using namespace ckp;
using std::chrono::milliseconds;
using std::chrono::seconds;

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
  ops::read_values(
      *scheduler, test::sim_account, w.ns, names, [&](std::size_t i, ops::ValueRead r) { got[i] = r; },
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
  ops::ZoneDirectory::fetch(*scheduler, test::sim_account,
                            [&](Result<ops::ZoneDirectory> d) { dir.emplace(std::move(d)); });
  w.sim.run_until([&] { return dir.has_value(); });
  REQUIRE(*dir);
  CHECK((*dir)->zones().size() == 120);
  CHECK((*dir)->zone_for_host("www.z7.example")->name == "z7.example");
  CHECK(w.server.stats().by_endpoint["zones.list"] == 3);  // 50 per page
}
