#include <doctest/doctest.h>

#include <string>

#include "ckp/api/envelope.hpp"
#include "ckp/api/json_parse.hpp"

using namespace ckp;
using namespace ckp::api;

namespace {
/// @p n arrays nested in each other: `[[…]]`.
std::string arrays(std::size_t n) { return std::string(n, '[') + std::string(n, ']'); }
/// @p n objects nested in each other around a number: `{"a":{"a":…1…}}`.
std::string objects(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += "{\"a\":";
  s += '1';
  return s + std::string(n, '}');
}
}  // namespace

TEST_CASE("parse_json: documents up to the depth limit parse, one deeper is refused with the limit named") {
  CHECK(max_json_depth == 128);
  auto at_limit = parse_json(arrays(max_json_depth));
  REQUIRE(at_limit);
  CHECK(at_limit->dump() == arrays(max_json_depth));
  REQUIRE(parse_json(objects(max_json_depth)));

  for (const auto& deeper : {arrays(max_json_depth + 1), objects(max_json_depth + 1)}) {
    auto r = parse_json(deeper);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::invalid_input);
    CHECK(r.error().message == "nested deeper than 128 levels");
  }

  // Mixed containers count alike; scalars do not count at all.
  CHECK(parse_json(R"({"a":[{"b":[1]}]})", 4));
  CHECK_FALSE(parse_json(R"({"a":[{"b":[1]}]})", 3));
  CHECK(parse_json("42", 0));
  CHECK(parse_json("\"x\"", 0));
  CHECK_FALSE(parse_json("[]", 0));
  CHECK(parse_json("[]", 1));
  CHECK(parse_json("[1,[2],[3],{\"a\":4}]", 2));  // siblings do not add up
}

TEST_CASE("parse_json: 100,000 levels of arrays or objects are refused without exhausting the stack") {
  std::string unclosed_objects;  // `{"a":{"a":…` and no end: refused for its depth before the parser sees the end
  for (int i = 0; i < 100'000; ++i) unclosed_objects += "{\"a\":";
  for (const auto& deep : {arrays(100'000), objects(100'000), std::string(100'000, '['), unclosed_objects}) {
    auto r = parse_json(deep);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "nested deeper than 128 levels");
  }
  CHECK(parse_json_or_discarded(arrays(100'000)).is_discarded());
  // An object's value nested deep under a key, as a kv import line or a purge body would hold it.
  auto r = parse_json(R"({"key":"k","value":"v","metadata":)" + arrays(100'000) + "}");
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "nested deeper than 128 levels");
}

TEST_CASE("parse_json: brackets inside strings do not count toward the depth") {
  const std::string brackets(100'000, '[');
  auto r = parse_json("[\"" + brackets + "\"]", 1);
  REQUIRE(r);
  CHECK((*r)[0].get<std::string>() == brackets);
  auto o = parse_json(R"({"k{[":"]}]}{[\"[{"})", 1);
  REQUIRE(o);
  CHECK((*o)["k{["].get<std::string>() == "]}]}{[\"[{");
  // An escaped backslash ends before the quote: the string closes there, and the array after it counts.
  CHECK_FALSE(parse_json(R"(["\\", [1]])", 1));
  CHECK(parse_json(R"(["\\", [1]])", 2));
  CHECK(parse_json(R"(["\\\"[", 1])", 1));
}

TEST_CASE("parse_json: invalid JSON is still reported as invalid, with where, without echoing the input") {
  auto r = parse_json("{\"a\":");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ErrorKind::invalid_input);
  CHECK(r.error().message.starts_with("not valid JSON (at column 6: "));

  auto lines = parse_json("{\n  \"a\": x\n}");
  REQUIRE_FALSE(lines);
  CHECK(lines.error().message.starts_with("not valid JSON (at line 2, column "));

  const std::string secretish = "[\"" + std::string(5000, 's');  // an unterminated long string
  auto s = parse_json(secretish);
  REQUIRE_FALSE(s);
  CHECK(s.error().message.starts_with("not valid JSON ("));
  CHECK(s.error().message.find("sssss") == std::string::npos);
  CHECK(s.error().message.size() < 300);

  CHECK(parse_json("").error().message.starts_with("not valid JSON"));
  CHECK(parse_json("[1] 2").error().message.starts_with("not valid JSON"));
  CHECK(parse_json("{\"a\":1}", 0).error().message == "nested deeper than 0 levels");
  CHECK(parse_json_or_discarded("{nope").is_discarded());
  CHECK(parse_json_or_discarded("{\"a\":[1]}") == nlohmann::json{{"a", {1}}});
}

TEST_CASE("parse_json: invalid text past the depth limit is refused, either way, without a crash") {
  std::string text(200, '[');
  text += 'x';
  auto r = parse_json(text);
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "nested deeper than 128 levels");  // the parse stops at the first container too deep
}

TEST_CASE("a Cloudflare response nested too deep is a malformed response that says so") {
  auto env = parse_envelope(R"({"success":true,"errors":[],"messages":[],"result":)" + arrays(100'000) + "}", 200);
  REQUIRE_FALSE(env);
  CHECK(env.error().kind == ErrorKind::malformed_response);
  CHECK(env.error().message.find("nested deeper than 128 levels") != std::string::npos);
  auto truncated = parse_envelope(R"({"success":true,"result":[)", 200);
  REQUIRE_FALSE(truncated);
  CHECK(truncated.error().message.find("not valid JSON") != std::string::npos);
}
