#include <doctest/doctest.h>

#include "ckp/api/http.hpp"
#include "ckp/api/url.hpp"

using namespace ckp::api;

TEST_CASE("url_encode_component keeps only unreserved characters") {
  CHECK(url_encode_component("abcXYZ019-_.~") == "abcXYZ019-_.~");
  CHECK(url_encode_component("a/b c") == "a%2Fb%20c");
  CHECK(url_encode_component("key:!%?#&=+") == "key%3A%21%25%3F%23%26%3D%2B");
  CHECK(url_encode_component("\xC3\xBC") == "%C3%BC");  // ü
  CHECK(url_encode_component("") == "");
}

TEST_CASE("url_decode inverts encoding and rejects broken escapes") {
  CHECK(url_decode("a%2Fb%20c") == "a/b c");
  CHECK(url_decode("%C3%bc") == "\xC3\xBC");
  CHECK(url_decode("a+b") == "a+b");
  CHECK(url_decode("a+b", true) == "a b");
  CHECK_FALSE(url_decode("%"));
  CHECK_FALSE(url_decode("%4"));
  CHECK_FALSE(url_decode("%zz"));
  CHECK_FALSE(url_decode("abc%2"));
}

TEST_CASE("Request::target encodes the query") {
  Request r{Method::get, "/zones"};
  r.query = {{"name", "example.com"}, {"account.id", "a b"}};
  CHECK(r.target() == "/zones?name=example.com&account.id=a%20b");
  Request bare{Method::get, "/zones"};
  CHECK(bare.target() == "/zones");
}

TEST_CASE("parse_url accepts absolute http(s) URLs only") {
  auto u = parse_url("HTTPS://WWW.Example.com:8443/a/b?x=1#frag");
  REQUIRE(u);
  CHECK(u->scheme == "https");
  CHECK(u->host == "www.example.com");
  CHECK(u->port == 8443);
  CHECK(u->path == "/a/b?x=1#frag");
  CHECK(u->origin() == "https://www.example.com:8443");

  auto plain = parse_url("http://example.com");
  REQUIRE(plain);
  CHECK(plain->path.empty());
  CHECK(plain->effective_port() == 80);

  auto v6 = parse_url("http://[::1]:8080/x");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->origin() == "http://[::1]:8080");

  CHECK_FALSE(parse_url("www.example.com/path"));
  CHECK_FALSE(parse_url("ftp://example.com/"));
  CHECK_FALSE(parse_url("https:///nohost"));
  CHECK_FALSE(parse_url("https://exa mple.com/"));
  CHECK_FALSE(parse_url("https://user:pw@example.com/"));
  CHECK_FALSE(parse_url("https://example.com:0/"));
  CHECK_FALSE(parse_url("https://example.com:99999/"));
  CHECK_FALSE(parse_url("https://example.com:/"));
  CHECK_FALSE(parse_url("https://-bad.example.com/"));
}

TEST_CASE("is_valid_hostname") {
  CHECK(is_valid_hostname("example.com"));
  CHECK(is_valid_hostname("a-b.c_d.example.com."));
  CHECK(is_valid_hostname("localhost"));
  CHECK_FALSE(is_valid_hostname(""));
  CHECK_FALSE(is_valid_hostname("a..b"));
  CHECK_FALSE(is_valid_hostname("-a.com"));
  CHECK_FALSE(is_valid_hostname("a-.com"));
  CHECK_FALSE(is_valid_hostname(std::string(64, 'a') + ".com"));
  CHECK(is_valid_hostname(std::string(63, 'a') + ".com"));
  CHECK_FALSE(is_valid_hostname("example.com/path"));
}

TEST_CASE("Headers are case-insensitive") {
  Headers h{{"Content-Type", "application/json"}};
  CHECK(h.get("content-type") == "application/json");
  h.set("CONTENT-TYPE", "text/plain");
  CHECK(h.size() == 1);
  CHECK(h.get("Content-Type") == "text/plain");
  h.add("X-A", "1");
  h.add("x-a", "2");
  CHECK(h.get("X-a") == "1");
  h.erase("x-A");
  CHECK_FALSE(h.has("X-A"));
}
