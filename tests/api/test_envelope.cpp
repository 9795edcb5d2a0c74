#include <doctest/doctest.h>

#include "ckp/api/envelope.hpp"
#include "support/support.hpp"

using namespace ckp;
using namespace ckp::api;
using ckp::test::respond;

TEST_CASE("a success envelope with result_info") {
  auto env = read_envelope(respond(200, R"({"success":true,"errors":[],"messages":[{"code":1000,"message":"hi"}],
    "result":[{"id":"x"}],"result_info":{"page":2,"per_page":20,"count":1,"total_count":21,"total_pages":2}})"));
  REQUIRE(env);
  CHECK(env->success);
  CHECK(env->messages == std::vector<ApiMessage>{{1000, "hi"}});
  CHECK(env->result.is_array());
  CHECK(env->result_info.page == 2);
  CHECK(env->result_info.total_pages == 2);
  CHECK_FALSE(env->result_info.cursor);
}

TEST_CASE("counts typed as JSON numbers may arrive as floats") {
  auto env = read_envelope(respond(200, R"({"success":true,"errors":[],"messages":[],"result":[],
    "result_info":{"count":3.0,"cursor":"abc"}})"));
  REQUIRE(env);
  CHECK(env->result_info.count == 3);
  CHECK(env->result_info.cursor == "abc");
}

TEST_CASE("Cloudflare error codes map to kinds with actionable messages") {
  struct Row {
    int status;
    int code;
    ErrorKind kind;
    const char* must_mention;
  };
  const Row rows[] = {
      {403, 10000, ErrorKind::authentication, "check the API token"},
      {429, 971, ErrorKind::rate_limited, "5 minutes"},
      {404, 10009, ErrorKind::not_found, "key not found"},
      {404, 10013, ErrorKind::not_found, "namespace id"},
      {400, 7003, ErrorKind::not_found, "id in the request is wrong"},
      {400, 10014, ErrorKind::conflict, "code 10014"},
      {414, 10033, ErrorKind::too_large, "HTTP 414"},
      {400, 1012, ErrorKind::bad_request, "code 1012"},
      {503, 0, ErrorKind::server, "usually temporary"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.code);
    std::string body = row.code ? fmt::format(R"({{"success":false,"errors":[{{"code":{},"message":"key not found"}}],
      "messages":[],"result":null}})",
                                              row.code)
                                : R"({"success":false,"errors":[],"messages":[],"result":null})";
    auto env = read_envelope(respond(row.status, body));
    REQUIRE_FALSE(env);
    CHECK(env.error().kind == row.kind);
    CHECK(env.error().http_status == row.status);
    CHECK(env.error().code() == row.code);
    CHECK(env.error().message.find(row.must_mention) != std::string::npos);
  }
}

TEST_CASE("429 carries Retry-After") {
  auto env = read_envelope(respond(
      429,
      R"({"success":false,"errors":[{"code":971,"message":"Please wait and consider throttling your request speed"}],"messages":[],"result":null})",
      {{"Retry-After", "120"}}));
  REQUIRE_FALSE(env);
  CHECK(env.error().kind == ErrorKind::rate_limited);
  CHECK(env.error().retryable());
  REQUIRE(env.error().retry_after);
  CHECK(*env.error().retry_after == std::chrono::seconds(120));
  CHECK(env.error().message.find("retry after 120 s") != std::string::npos);
}

TEST_CASE("success:false on HTTP 200 is still an error") {
  auto env = read_envelope(respond(
      200,
      R"({"success":false,"errors":[{"code":1016,"message":"Unable to purge any urls"}],"messages":[],"result":null})"));
  REQUIRE_FALSE(env);
  CHECK(env.error().code() == 1016);
  CHECK_FALSE(env.error().retryable());
}

TEST_CASE("non-envelope bodies become clear errors, never a crash") {
  SUBCASE("HTML from a proxy on 502 is a retryable server error") {
    auto env = read_envelope(respond(502, "<html><body>502 Bad Gateway</body></html>"));
    REQUIRE_FALSE(env);
    CHECK(env.error().kind == ErrorKind::server);
    CHECK(env.error().retryable());
    CHECK(env.error().message.find("HTML page") != std::string::npos);
  }
  SUBCASE("HTML on 200") {
    auto env = read_envelope(respond(200, "  <!DOCTYPE html><p>captive portal</p>"));
    REQUIRE_FALSE(env);
    CHECK(env.error().kind == ErrorKind::malformed_response);
  }
  SUBCASE("truncated JSON") {
    auto env = read_envelope(respond(200, R"({"success":true,"errors":[],"res)"));
    REQUIRE_FALSE(env);
    CHECK(env.error().kind == ErrorKind::malformed_response);
    CHECK(env.error().message.find("truncated") != std::string::npos);
    CHECK(env.error().retryable());
  }
  SUBCASE("empty body") {
    auto env = read_envelope(respond(200, ""));
    REQUIRE_FALSE(env);
    CHECK(env.error().message.find("empty") != std::string::npos);
  }
  SUBCASE("JSON that is not an envelope") {
    for (const char* body : {"[]", "42", "\"x\"", R"({"success":"yes"})", R"({"result":1})", "null"}) {
      CAPTURE(body);
      auto env = read_envelope(respond(200, body));
      REQUIRE_FALSE(env);
      CHECK(env.error().kind == ErrorKind::malformed_response);
    }
  }
  SUBCASE("errors of the wrong shape are tolerated") {
    auto env = read_envelope(respond(400, R"({"success":false,"errors":"boom","messages":7,"result":null})"));
    REQUIRE_FALSE(env);
    CHECK(env.error().kind == ErrorKind::bad_request);
    CHECK(env.error().api_errors.empty());
  }
  SUBCASE("binary garbage") {
    std::string junk("\x00\xff\xfe{", 4);
    auto env = read_envelope(respond(200, junk));
    REQUIRE_FALSE(env);
    CHECK(env.error().kind == ErrorKind::malformed_response);
  }
}

TEST_CASE("transport failures") {
  CHECK(read_envelope(Response::failed(TransportFailure::connect, "connection refused")).error().kind ==
        ErrorKind::transport);
  CHECK(read_envelope(Response::failed(TransportFailure::timeout, "read timeout")).error().kind == ErrorKind::timeout);
  auto tls = read_envelope(Response::failed(TransportFailure::tls, "certificate verify failed"));
  CHECK(tls.error().kind == ErrorKind::tls);
  CHECK_FALSE(tls.error().retryable());
  CHECK(read_envelope(Response::failed(TransportFailure::reset, "")).error().retryable());
}

TEST_CASE("Page::last") {
  Page<int> p;
  p.items = {1, 2};
  p.info.page = 1;
  p.info.total_pages = 2;
  CHECK_FALSE(p.last(2));
  p.info.page = 2;
  CHECK(p.last(2));
  Page<int> q;
  q.items = {1};
  CHECK(q.last(5));
  q.items = {1, 2, 3, 4, 5};
  CHECK_FALSE(q.last(5));
}
