// cli/output.hpp (numbers and times as shown, errors and their exit codes) and cli/split_list.hpp.

#include <doctest/doctest.h>

#include <limits>

#include "cli/output.hpp"
#include "cli/split_list.hpp"
#include "support.hpp"

using namespace ckp;
using namespace ckp::cli;

TEST_CASE("grouped() puts a comma between every three digits") {
  CHECK(grouped(0) == "0");
  CHECK(grouped(7) == "7");
  CHECK(grouped(999) == "999");
  CHECK(grouped(1000) == "1,000");
  CHECK(grouped(10000) == "10,000");
  CHECK(grouped(100000) == "100,000");
  CHECK(grouped(1234567) == "1,234,567");
  CHECK(grouped(std::numeric_limits<std::uint64_t>::max()) == "18,446,744,073,709,551,615");
}

TEST_CASE("clock_time(): tenths of a second below 10 s, then m:ss, then h:mm:ss") {
  CHECK(clock_time(0) == "0.0 s");
  CHECK(clock_time(4.24) == "4.2 s");
  CHECK(clock_time(9.94) == "9.9 s");
  CHECK(clock_time(10) == "0:10");
  CHECK(clock_time(59.4) == "0:59");
  CHECK(clock_time(59.5) == "1:00");  // rounded to the nearest second
  CHECK(clock_time(125) == "2:05");
  CHECK(clock_time(3599.4) == "59:59");
  CHECK(clock_time(3600) == "1:00:00");
  CHECK(clock_time(3723) == "1:02:03");
  CHECK(clock_time(36000 + 61) == "10:01:01");
}

TEST_CASE("split_list(): items trimmed of blanks and tabs, empty ones dropped") {
  using V = std::vector<std::string>;
  CHECK(split_list("") == V{});
  CHECK(split_list("a") == V{"a"});
  CHECK(split_list("a,b,c") == V{"a", "b", "c"});
  CHECK(split_list(" a , b\t,\tc ") == V{"a", "b", "c"});
  CHECK(split_list(",,a,, ,b,") == V{"a", "b"});
  CHECK(split_list(" , ") == V{});
  // Only blanks and tabs are trimmed, and only around an item.
  CHECK(split_list("a b, c\n") == V{"a b", "c\n"});
  CHECK(split_list("#x,y") == V{"#x", "y"});
}

TEST_CASE("fail(): bad input exits 2 (usage), every other error 1; fail_usage() exits 2") {
  const auto usage = test::cli_error_of([] { fail(Error::make(ErrorKind::invalid_input, "bad flag")); });
  CHECK(usage.first == exit_code::usage);
  CHECK(usage.second == "bad flag");
  for (auto kind : {ErrorKind::io, ErrorKind::transport, ErrorKind::conflict, ErrorKind::journal}) {
    const auto e = test::cli_error_of([kind] { fail(Error::make(kind, "it broke")); });
    CHECK(e.first == exit_code::failure);
    CHECK(e.second == "it broke");
  }
  CHECK(test::cli_error_of([] { fail_usage("say it right"); }) == std::pair<int, std::string>{2, "say it right"});
  CHECK(exit_code::ok == 0);
  CHECK(exit_code::partial == 3);
  CHECK(exit_code::interrupted == 130);
}
