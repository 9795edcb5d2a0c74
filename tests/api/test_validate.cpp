#include <doctest/doctest.h>

#include "ckp/api/purge.hpp"
#include "ckp/api/text.hpp"
#include "ckp/api/validate.hpp"

using namespace ckp;
using namespace ckp::api;

namespace validate_test {
std::string message_of(const std::optional<Error>& e) { return e ? e->message : std::string("<ok>"); }
}  // namespace validate_test
using validate_test::message_of;

TEST_CASE("validate_key") {
  CHECK_FALSE(validate_key("a"));
  CHECK_FALSE(validate_key(std::string(512, 'k')));
  CHECK_FALSE(validate_key("über/ключ:1"));
  auto too_long = validate_key(std::string(513, 'k'));
  REQUIRE(too_long);
  CHECK(too_long->kind == ErrorKind::invalid_input);
  CHECK(too_long->message.find("513 bytes") != std::string::npos);
  CHECK(too_long->message.find("512") != std::string::npos);
  CHECK(too_long->message.size() < 200);  // the key is shortened in the message
  CHECK(message_of(validate_key("")).find("empty") != std::string::npos);
  CHECK(validate_key("."));
  CHECK(validate_key(".."));
  CHECK_FALSE(validate_key("..."));
  CHECK(message_of(validate_key("bad\xff")).find("UTF-8") != std::string::npos);
  CHECK(validate_key("\xC0\x80"));      // overlong
  CHECK(validate_key("\xED\xA0\x80"));  // surrogate
  CHECK(validate_key("\xE2\x82"));      // truncated sequence
  // multi-byte characters count in bytes: 171 × 3 = 513 bytes
  std::string wide;
  for (int i = 0; i < 171; ++i) wide += "\xE2\x82\xAC";
  CHECK(validate_key(wide));
}

TEST_CASE("validate_metadata, value size, expirations") {
  CHECK_FALSE(validate_metadata(nlohmann::json{{"a", 1}}));
  nlohmann::json big{{"blob", std::string(1020, 'x')}};
  auto e = validate_metadata(big, "k1");
  REQUIRE(e);
  CHECK(e->message.find("\"k1\"") != std::string::npos);
  CHECK(e->message.find("1024") != std::string::npos);
  CHECK_FALSE(validate_value_size(25 * 1024 * 1024));
  CHECK(validate_value_size(25 * 1024 * 1024 + 1));
  CHECK_FALSE(validate_expiration_ttl(60));
  CHECK(message_of(validate_expiration_ttl(59)).find("60") != std::string::npos);
  CHECK_FALSE(validate_expiration(1000 + 60, 1000));
  CHECK(validate_expiration(1000 + 59, 1000));
  CHECK(validate_expiration(5'000'000'000, 1000));
}

TEST_CASE("purge inputs") {
  CHECK_FALSE(validate_purge_url("https://www.example.com/a.css"));
  CHECK_FALSE(validate_purge_url("http://example.com"));
  CHECK(message_of(validate_purge_url("www.example.com/a.css")).find("absolute") != std::string::npos);
  CHECK(validate_purge_url("ftp://example.com/x"));

  CHECK_FALSE(validate_purge_prefix("www.example.com/foo"));
  CHECK_FALSE(validate_purge_prefix("www.example.com"));
  CHECK(message_of(validate_purge_prefix("https://www.example.com/foo")).find("scheme") != std::string::npos);
  std::string deep = "example.com";
  for (int i = 0; i < 32; ++i) deep += "/d";
  CHECK(message_of(validate_purge_prefix(deep)).find("32 path separators") != std::string::npos);

  CHECK_FALSE(validate_purge_host("images.example.com"));
  CHECK(validate_purge_host("https://images.example.com"));
  CHECK(validate_purge_host("images.example.com/path"));
  CHECK(message_of(validate_purge_host(std::string(201, 'a'))).find("200") != std::string::npos);

  CHECK_FALSE(validate_cache_tag("product-123"));
  CHECK(validate_cache_tag(""));
  CHECK(validate_cache_tag("a,b"));
  CHECK(message_of(validate_cache_tag(std::string(1025, 't'))).find("1024") != std::string::npos);
}

TEST_CASE("identifiers and titles") {
  CHECK(looks_like_id("023e105f4ecef8ad9ca31a8372d0c353"));
  CHECK_FALSE(looks_like_id("example.com"));
  CHECK_FALSE(looks_like_id("023e105f4ecef8ad9ca31a8372d0c35g"));
  CHECK(validate_namespace_title(""));
  CHECK_FALSE(validate_namespace_title("prod-cache"));
  CHECK(validate_namespace_title(std::string(513, 't')));
}

TEST_CASE("validate_write: one check of a put, whichever front makes it") {
  const std::int64_t now = 1'780'000'000;
  CHECK_FALSE(ckp::api::validate_write("k", 10, std::nullopt, std::nullopt, std::nullopt, now));
  CHECK(ckp::api::validate_write("", 10, std::nullopt, std::nullopt, std::nullopt, now));
  CHECK(ckp::api::validate_write("k", 26u << 20, std::nullopt, std::nullopt, std::nullopt, now));
  CHECK(
      ckp::api::validate_write("k", 1, nlohmann::json{{"a", std::string(1100, 'x')}}, std::nullopt, std::nullopt, now));
  CHECK(ckp::api::validate_write("k", 1, std::nullopt, -100, std::nullopt, now)->message.find("too short") !=
        std::string::npos);
  CHECK(ckp::api::validate_write("k", 1, std::nullopt, 60, now + 3600, now)->message.find("not both") !=
        std::string::npos);
  CHECK(ckp::api::validate_write("k", 1, std::nullopt, std::nullopt, now + 30, now));
  CHECK_FALSE(ckp::api::validate_write("k", 1, std::nullopt, std::nullopt, now + 3600, now));
}

TEST_CASE("parse_metadata: JSON text from a flag or a form, checked") {
  CHECK(*ckp::api::parse_metadata(R"({"type":"page"})") == nlohmann::json{{"type", "page"}});
  CHECK(ckp::api::parse_metadata("{nope").error().message.find("not valid JSON") != std::string::npos);
  CHECK(ckp::api::parse_metadata(std::string(200, '[') + std::string(200, ']')).error().message.find("deeper") !=
        std::string::npos);
  CHECK(ckp::api::parse_metadata(nlohmann::json{{"a", std::string(1100, 'x')}}.dump()).error().message.find("1024") !=
        std::string::npos);
}

TEST_CASE("purge kinds by name, and the text helpers") {
  CHECK(ckp::api::purge::kind_named("tags") == ckp::api::purge::Kind::tags);
  CHECK(ckp::api::purge::kind_named("purge_everything") == ckp::api::purge::Kind::everything);
  CHECK_FALSE(ckp::api::purge::kind_named("everything"));
  for (auto k : ckp::api::purge::all_kinds) CHECK(ckp::api::purge::kind_named(ckp::api::purge::field_name(k)) == k);
  CHECK(ckp::api::ascii_lower("WWW.Ünï.COM") == "www.Ünï.com");
  CHECK(ckp::api::trim_blanks(" \t x y \t") == "x y");
}
