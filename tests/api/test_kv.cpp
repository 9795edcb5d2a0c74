#include <doctest/doctest.h>

#include "ckp/api/kv.hpp"
#include "support/support.hpp"

using namespace ckp;
using namespace ckp::api;
using ckp::test::ok;
using ckp::test::query_of;

namespace kv_test {
const std::string account = "023e105f4ecef8ad9ca31a8372d0c353";
const std::string ns = "0f2ac74b498b48028cb68387c421e279";
const std::string base = "/accounts/" + account + "/storage/kv/namespaces";
}  // namespace kv_test
using namespace kv_test;

TEST_CASE("namespace requests") {
  auto list = kv::list_namespaces(account, 2, 5000);
  CHECK(list.method == Method::get);
  CHECK(list.path == base);
  CHECK(query_of(list, "page") == "2");
  CHECK(query_of(list, "per_page") == "1000");
  CHECK(list.request_class == RequestClass::list);

  auto create = kv::create_namespace(account, "My Own Namespace");
  CHECK(create.method == Method::post);
  CHECK(nlohmann::json::parse(create.body) == nlohmann::json{{"title", "My Own Namespace"}});
  CHECK(create.headers.get("content-type") == "application/json");

  CHECK(kv::rename_namespace(account, ns, "t").method == Method::put);
  CHECK(kv::rename_namespace(account, ns, "t").path == base + "/" + ns);
  CHECK(kv::delete_namespace(account, ns).method == Method::del);
  CHECK(kv::get_namespace(account, ns).path == base + "/" + ns);
}

TEST_CASE("parse namespaces (spec example shape)") {
  auto page = kv::parse_namespaces(ok(R"({"errors":[],"messages":[],"success":true,
    "result":[{"id":"0f2ac74b498b48028cb68387c421e279","title":"My Own Namespace","supports_url_encoding":true}],
    "result_info":{"count":1,"page":1,"per_page":20,"total_count":2000}})"));
  REQUIRE(page);
  REQUIRE(page->items.size() == 1);
  CHECK(page->items[0].id == ns);
  CHECK(page->items[0].title == "My Own Namespace");
  CHECK(page->items[0].supports_url_encoding);
  CHECK(page->info.total_count == 2000);
  CHECK_FALSE(kv::parse_namespaces(ok(R"({"success":true,"errors":[],"messages":[],"result":[{"title":"x"}]})")));
  CHECK_FALSE(kv::parse_namespaces(ok(R"({"success":true,"errors":[],"messages":[],"result":{}})")));

  auto one = kv::parse_namespace(ok(R"({"success":true,"errors":[],"messages":[],"result":{"id":"abc","title":"t"}})"));
  REQUIRE(one);
  CHECK(one->id == "abc");
}

TEST_CASE("list keys request and parse") {
  auto r = kv::list_keys(
      account, ns,
      {"user/",
       "6Ck1la0VxJ0djhidm1MdX2FyDGxLKVeeHZZmORS_8XeSuhz9SjIJRaSa2lnsF01tQOHrfTGAP3R5X1Kv5iVUuMbNKhWNAXHOl6ePB0TUL8nw",
       5});
  CHECK(r.path == base + "/" + ns + "/keys");
  CHECK(query_of(r, "limit") == "10");
  CHECK(query_of(r, "prefix") == "user/");
  CHECK(query_of(r, "cursor").starts_with("6Ck1"));
  CHECK(query_of(kv::list_keys(account, ns, {}), "prefix") == "<absent>");

  auto page = kv::parse_keys(ok(R"({"errors":[],"messages":[],"success":true,
    "result":[{"name":"My-Key","expiration":1577836800,"metadata":{"someMetadataKey":"someMetadataValue"}},{"name":"b"}],
    "result_info":{"count":2,"cursor":"6Ck1la0VxJ0djhidm1MdX2FyD"}})"));
  REQUIRE(page);
  REQUIRE(page->keys.size() == 2);
  CHECK(page->keys[0].name == "My-Key");
  CHECK(page->keys[0].expiration == 1577836800);
  CHECK(page->keys[0].metadata["someMetadataKey"] == "someMetadataValue");
  CHECK(page->keys[1].metadata.is_null());
  CHECK_FALSE(page->last());

  for (const char* tail : {R"("result_info":{"count":0,"cursor":""})", R"("result_info":{"count":0,"cursor":null})",
                           R"("result_info":{"count":0})"}) {
    auto last =
        kv::parse_keys(ok(std::string(R"({"success":true,"errors":[],"messages":[],"result":[],)") + tail + "}"));
    REQUIRE(last);
    CHECK(last->last());
  }
  CHECK_FALSE(kv::parse_keys(ok(R"({"success":true,"errors":[],"messages":[],"result":[{"nom":"x"}]})")));
}

TEST_CASE("value paths percent-encode the key as one segment") {
  auto r = kv::read_value(account, ns, "a/b c?d%");
  CHECK(r.path == base + "/" + ns + "/values/a%2Fb%20c%3Fd%25");
  CHECK(kv::read_metadata(account, ns, "x/y").path == base + "/" + ns + "/metadata/x%2Fy");
  CHECK(kv::delete_value(account, ns, "k").method == Method::del);
}

TEST_CASE("read value: raw bytes with the expiration header") {
  auto v = kv::parse_value(ok(std::string("\x00\x01raw", 5), {{"expiration", "1900000000"}}));
  REQUIRE(v);
  CHECK(v->bytes == std::string("\x00\x01raw", 5));
  CHECK(v->expiration == 1900000000);

  Response missing;
  missing.status = 404;
  missing.body =
      R"({"success":false,"errors":[{"code":10009,"message":"get: 'key not found'"}],"messages":[],"result":null})";
  auto e = kv::parse_value(missing);
  REQUIRE_FALSE(e);
  CHECK(e.error().kind == ErrorKind::not_found);
  CHECK(e.error().code() == 10009);
}

TEST_CASE("write value: raw or multipart with metadata") {
  auto raw = kv::write_value(account, ns, "k", "Some Value", {std::nullopt, 1900000000, std::nullopt});
  CHECK(raw.method == Method::put);
  CHECK(raw.body == "Some Value");
  CHECK(raw.headers.get("Content-Type") == "application/octet-stream");
  CHECK(query_of(raw, "expiration") == "1900000000");
  CHECK(query_of(raw, "expiration_ttl") == "<absent>");

  auto multi = kv::write_value(account, ns, "k", "Some Value", {nlohmann::json{{"tag", "a"}}, std::nullopt, 300});
  auto ct = multi.headers.get("Content-Type");
  REQUIRE(ct);
  CHECK(ct->starts_with("multipart/form-data; boundary="));
  auto parts = decode_multipart(multi.body, *multipart_boundary(*ct));
  REQUIRE(parts);
  REQUIRE(parts->size() == 2);
  CHECK((*parts)[0].name == "value");
  CHECK((*parts)[0].content == "Some Value");
  CHECK((*parts)[1].name == "metadata");
  CHECK(nlohmann::json::parse((*parts)[1].content) == nlohmann::json{{"tag", "a"}});
  CHECK(query_of(multi, "expiration_ttl") == "300");
}

TEST_CASE("metadata parse") {
  auto m = kv::parse_metadata(ok(R"({"success":true,"errors":[],"messages":[],"result":{"someMetadataKey":"v"}})"));
  REQUIRE(m);
  CHECK((*m)["someMetadataKey"] == "v");
}

TEST_CASE("bulk write body") {
  std::vector<kv::BulkPair> pairs{{"k1", "v1", false, std::nullopt, std::nullopt, std::nullopt},
                                  {"k2", "AAE=", true, 1900000000, 600, nlohmann::json{{"x", 1}}}};
  auto r = kv::bulk_write(account, ns, pairs);
  CHECK(r.method == Method::put);
  CHECK(r.path == base + "/" + ns + "/bulk");
  auto body = nlohmann::json::parse(r.body);
  REQUIRE(body.size() == 2);
  CHECK(body[0] == nlohmann::json{{"key", "k1"}, {"value", "v1"}});
  CHECK(body[1]["base64"] == true);
  CHECK(body[1]["expiration"] == 1900000000);
  CHECK(body[1]["expiration_ttl"] == 600);
  CHECK(body[1]["metadata"]["x"] == 1);
  CHECK(kv::encoded_size(pairs[0]) == std::string(R"({"key":"k1","value":"v1"})").size() + 1);
}

TEST_CASE("bulk delete, new and deprecated forms") {
  std::vector<std::string> keys{"a", "b/c"};
  auto r = kv::bulk_delete(account, ns, keys);
  CHECK(r.method == Method::post);
  CHECK(r.path == base + "/" + ns + "/bulk/delete");
  CHECK(nlohmann::json::parse(r.body) == nlohmann::json{"a", "b/c"});
  auto legacy = kv::bulk_delete(account, ns, keys, true);
  CHECK(legacy.method == Method::del);
  CHECK(legacy.path == base + "/" + ns + "/bulk");
}

TEST_CASE("bulk result parse") {
  auto partial = kv::parse_bulk_result(
      ok(R"({"success":true,"errors":[],"messages":[],"result":{"successful_key_count":98,"unsuccessful_keys":["x","y"]}})"),
      100);
  REQUIRE(partial);
  CHECK(partial->successful_key_count == 98);
  CHECK(partial->unsuccessful_keys == std::vector<std::string>{"x", "y"});

  auto legacy = kv::parse_bulk_result(ok(R"({"success":true,"errors":[],"messages":[],"result":null})"), 7);
  REQUIRE(legacy);
  CHECK(legacy->successful_key_count == 7);
  CHECK(legacy->unsuccessful_keys.empty());

  auto counted =
      kv::parse_bulk_result(ok(R"({"success":true,"errors":[],"messages":[],"result":{"unsuccessful_keys":["q"]}})"),
                            5);
  REQUIRE(counted);
  CHECK(counted->successful_key_count == 4);

  CHECK_FALSE(kv::parse_bulk_result(
      ok(R"({"success":true,"errors":[],"messages":[],"result":{"successful_key_count":1,"unsuccessful_keys":"x"}})"),
      1));
  CHECK_FALSE(
      kv::parse_bulk_result(ok(R"({"success":true,"errors":[],"messages":[],"result":{"unsuccessful_keys":[1]}})"), 1));
}

TEST_CASE("bulk get request and both result shapes") {
  std::vector<std::string> keys{"key1", "key2", "gone"};
  auto r = kv::bulk_get(account, ns, keys, true, kv::BulkGetType::json);
  CHECK(r.path == base + "/" + ns + "/bulk/get");
  auto body = nlohmann::json::parse(r.body);
  CHECK(body["keys"] == nlohmann::json(keys));
  CHECK(body["withMetadata"] == true);
  CHECK(body["type"] == "json");
  CHECK_FALSE(nlohmann::json::parse(kv::bulk_get(account, ns, keys, false).body).contains("withMetadata"));

  auto plain = kv::parse_bulk_get(
      ok(R"({"success":true,"errors":[],"messages":[],"result":{"values":{"key1":"value1","key2":"value2","gone":null}}})"),
      keys, false);
  REQUIRE(plain);
  CHECK((*plain)[0].found);
  CHECK((*plain)[0].value == "value1");
  CHECK_FALSE((*plain)[2].found);

  auto meta = kv::parse_bulk_get(ok(R"({"success":true,"errors":[],"messages":[],"result":{"values":{
        "key1":{"value":"v1","metadata":{"m":1},"expiration":1900000000},"key2":{"value":{"j":true},"metadata":null}}}})"),
                                 keys, true);
  REQUIRE(meta);
  CHECK((*meta)[0].metadata["m"] == 1);
  CHECK((*meta)[0].expiration == 1900000000);
  CHECK((*meta)[1].value["j"] == true);
  CHECK_FALSE((*meta)[2].found);  // omitted counts as not found

  CHECK_FALSE(kv::parse_bulk_get(ok(R"({"success":true,"errors":[],"messages":[],"result":{}})"), keys, false));
}
