// Workers KV endpoints of the model, driven through Server::handle with raw requests built from the reference.
#include "model/support.hpp"

#include "ckp/api/base64.hpp"
#include "ckp/api/kv.hpp"
#include "ckp/api/multipart.hpp"

namespace ckp::emu_kv_test {
using namespace ckp::emu_test;
using api::Method;
const std::string namespaces = "/accounts/" + account + "/storage/kv/namespaces";

api::Request json_req(Method m, std::string path, const json& body) {
  api::Request r(m, std::move(path));
  r.headers.set("Content-Type", "application/json");
  r.body = body.dump();
  return r;
}
}  // namespace ckp::emu_kv_test

using namespace ckp::emu_kv_test;

TEST_CASE("namespaces: create, duplicate title, get, rename, delete") {
  Harness h;
  auto created = h.send(json_req(Method::post, namespaces, {{"title", "sessions"}}));
  CHECK(created.response.status == 200);
  json ns = result_of(created);
  CHECK(ns["title"] == "sessions");
  CHECK(ns["supports_url_encoding"] == true);
  std::string id = ns["id"];
  CHECK(ckp::api::looks_like_id(id));

  auto dup = h.send(json_req(Method::post, namespaces, {{"title", "sessions"}}));
  CHECK(dup.response.status == 400);
  CHECK(failure_code(dup) == 10014);
  CHECK(failure_code(h.send(json_req(Method::post, namespaces, json::object()))) == 10019);
  CHECK(failure_code(h.send(json_req(Method::post, namespaces, {{"title", ""}}))) == 10019);
  CHECK(failure_code(h.send(json_req(Method::post, namespaces, {{"title", std::string(513, 't')}}))) == 10019);
  CHECK(h.send(json_req(Method::post, namespaces, {{"title", std::string(512, 't')}})).response.status == 200);

  auto got = h.send(api::Request(Method::get, namespaces + "/" + id));
  CHECK(result_of(got) == ns);

  auto renamed = h.send(json_req(Method::put, namespaces + "/" + id, {{"title", "sessions-v2"}}));
  CHECK(result_of(renamed)["title"] == "sessions-v2");
  CHECK(result_of(renamed)["id"] == id);
  CHECK(failure_code(h.send(json_req(Method::put, namespaces + "/" + id, {{"title", "test"}}))) == 10014);
  CHECK(h.send(json_req(Method::put, namespaces + "/" + id, {{"title", "sessions-v2"}})).response.status == 200);

  auto deleted = h.send(api::Request(Method::del, namespaces + "/" + id));
  CHECK(deleted.response.status == 200);
  CHECK(result_of(deleted).is_null());
  auto gone = h.send(api::Request(Method::get, namespaces + "/" + id));
  CHECK(gone.response.status == 404);
  CHECK(failure_code(gone) == 10013);
  CHECK(h.server.stats().writes == 5);  // two creates, two renames, one delete
}

TEST_CASE("namespaces: list pages with page/per_page, order and direction") {
  Harness h;
  for (int i = 0; i < 4; ++i) h.server.create_namespace(account, "ns-" + std::to_string(i));
  h.server.create_namespace(other_account, "hidden");
  auto list = [&](std::vector<std::pair<std::string, std::string>> q) {
    api::Request r(Method::get, namespaces);
    r.query = std::move(q);
    return h.send(r);
  };
  auto all = list({{"per_page", "1000"}, {"order", "title"}});
  json body = body_of(all);
  REQUIRE(body["result"].size() == 5);  // "test" + 4; not the other account's
  CHECK(body["result"][0]["title"] == "ns-0");
  CHECK(body["result"][4]["title"] == "test");
  CHECK(body["result_info"] ==
        json{{"page", 1}, {"per_page", 1000}, {"count", 5}, {"total_count", 5}, {"total_pages", 1}});

  auto page2 = body_of(list({{"per_page", "2"}, {"page", "2"}, {"order", "title"}, {"direction", "desc"}}));
  CHECK(page2["result"].size() == 2);
  CHECK(page2["result"][0]["title"] == "ns-2");
  CHECK(page2["result_info"]["total_pages"] == 3);
  CHECK(body_of(list({{"page", "99"}}))["result"].empty());
  CHECK(body_of(list({}))["result_info"]["per_page"] == 20);

  for (auto bad : std::vector<std::pair<std::string, std::string>>{{"per_page", "0"},
                                                                   {"per_page", "1001"},
                                                                   {"page", "0"},
                                                                   {"per_page", "x"},
                                                                   {"order", "size"},
                                                                   {"direction", "up"}}) {
    CAPTURE(bad.first);
    auto r = list({bad});
    CHECK(r.response.status == 400);
    CHECK(failure_code(r) == 10020);
  }
  CHECK(list({{"per_page", "1"}}).response.status == 200);
}

TEST_CASE("namespaces: a token sees only its account") {
  Harness h;
  std::string theirs = h.server.create_namespace(other_account, "theirs");
  auto other_path = h.send(api::Request(Method::get, "/accounts/" + other_account + "/storage/kv/namespaces"));
  CHECK(other_path.response.status == 403);
  CHECK(failure_code(other_path) == 10000);
  auto via_mine = h.send(api::Request(Method::get, namespaces + "/" + theirs + "/keys"));
  CHECK(via_mine.response.status == 404);
  CHECK(failure_code(via_mine) == 10013);
  CHECK(h.send(api::Request(Method::get, "/accounts/" + other_account + "/storage/kv/namespaces/" + theirs), "other")
            .response.status == 200);
}

TEST_CASE("keys: list order, limit bounds, prefix, cursor, count, expiration and metadata") {
  Harness h;
  h.server.seed_keys(h.ns, "user/", 25);
  h.server.put_key(h.ns, "meta", "v", ckp::to_unix_seconds(h.now) + 3600, json{{"owner", "x"}});
  auto list = [&](std::vector<std::pair<std::string, std::string>> q) {
    api::Request r(Method::get, h.ns_path() + "/keys");
    r.query = std::move(q);
    return h.send(r);
  };
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    std::vector<std::pair<std::string, std::string>> q{{"limit", "10"}, {"prefix", "user/"}};
    if (!cursor.empty()) q.emplace_back("cursor", cursor);
    json b = body_of(list(q));
    REQUIRE(b["success"] == true);
    CHECK(b["result_info"]["count"] == b["result"].size());
    for (const auto& k : b["result"]) {
      seen.push_back(k["name"]);
      CHECK_FALSE(k.contains("expiration"));
      CHECK_FALSE(k.contains("metadata"));
    }
    cursor = b["result_info"]["cursor"];
    ++pages;
  } while (!cursor.empty() && pages < 10);
  CHECK(pages == 3);
  REQUIRE(seen.size() == 25);
  CHECK(std::is_sorted(seen.begin(), seen.end()));
  CHECK(seen.front() == "user/0000000");

  json meta = body_of(list({{"prefix", "m"}}));
  REQUIRE(meta["result"].size() == 1);
  CHECK(meta["result"][0] ==
        json{{"name", "meta"}, {"expiration", ckp::to_unix_seconds(h.now) + 3600}, {"metadata", {{"owner", "x"}}}});
  CHECK(meta["result_info"]["cursor"] == "");
  CHECK(body_of(list({}))["result"].size() == 26);  // default limit 1000

  for (std::string bad : {"9", "1001", "0", "ten"}) {
    auto r = list({{"limit", bad}});
    CHECK(r.response.status == 400);
    CHECK(failure_code(r) == 10020);
  }
  CHECK(list({{"limit", "10"}}).response.status == 200);
  CHECK(list({{"limit", "1000"}}).response.status == 200);
  CHECK(failure_code(list({{"cursor", "%%%"}})) == 10020);
}

TEST_CASE("keys: a cursor stays valid while keys are deleted") {
  Harness h;
  h.server.seed_keys(h.ns, "k", 30);
  api::Request first(Method::get, h.ns_path() + "/keys");
  first.query = {{"limit", "10"}};
  json p1 = body_of(h.send(first));
  std::string cursor = p1["result_info"]["cursor"];
  // Delete the whole first page, including the key the cursor names.
  json names = json::array();
  for (const auto& k : p1["result"]) names.push_back(k["name"]);
  CHECK(h.send(json_req(Method::post, h.ns_path() + "/bulk/delete", names)).response.status == 200);
  api::Request next(Method::get, h.ns_path() + "/keys");
  next.query = {{"limit", "10"}, {"cursor", cursor}};
  json p2 = body_of(h.send(next));
  REQUIRE(p2["result"].size() == 10);
  CHECK(p2["result"][0]["name"] == "k0000010");
}

TEST_CASE("values: raw write and read, octet-stream, expiration header, delete") {
  Harness h;
  api::Request put(Method::put, h.ns_path() + "/values/a%2Fb%20c");
  put.body = std::string("bin\0ary\xff", 8);
  put.headers.set("Content-Type", "application/octet-stream");
  put.query = {{"expiration_ttl", "300"}};
  auto w = h.send(put);
  CHECK(w.response.status == 200);
  CHECK(result_of(w).is_null());
  CHECK(h.server.value_of(h.ns, "a/b c", h.now) == std::string("bin\0ary\xff", 8));

  auto r = h.send(api::Request(Method::get, h.ns_path() + "/values/a%2Fb%20c"));
  CHECK(r.response.status == 200);
  CHECK(r.response.body == std::string("bin\0ary\xff", 8));
  CHECK(r.response.headers.get("Content-Type") == "application/octet-stream");
  CHECK(r.response.headers.get("expiration") == std::to_string(ckp::to_unix_seconds(h.now) + 300));

  auto missing = h.send(api::Request(Method::get, h.ns_path() + "/values/nope"));
  CHECK(missing.response.status == 404);
  CHECK(failure_code(missing) == 10009);
  CHECK(body_of(missing)["errors"][0]["message"] == "get: 'key not found'");

  CHECK(h.send(api::Request(Method::del, h.ns_path() + "/values/a%2Fb%20c")).response.status == 200);
  CHECK_FALSE(h.server.value_of(h.ns, "a/b c", h.now));
  CHECK(h.send(api::Request(Method::del, h.ns_path() + "/values/never-there")).response.status == 200);
}

TEST_CASE("values: multipart write with metadata, metadata endpoint") {
  Harness h;
  std::vector<ckp::api::FormPart> parts{{"value", "hello", "", ""},
                                        {"metadata", R"({"a":[1,2]})", "", "application/json"}};
  api::Request put(Method::put, h.ns_path() + "/values/greeting");
  put.headers.set("Content-Type", "multipart/form-data; boundary=XyZ");
  put.body = ckp::api::encode_multipart(parts, "XyZ");
  CHECK(h.send(put).response.status == 200);
  CHECK(h.server.value_of(h.ns, "greeting", h.now) == "hello");
  auto meta = h.send(api::Request(Method::get, h.ns_path() + "/metadata/greeting"));
  CHECK(result_of(meta) == json{{"a", {1, 2}}});
  h.server.put_key(h.ns, "plain", "x");
  CHECK(result_of(h.send(api::Request(Method::get, h.ns_path() + "/metadata/plain"))).is_null());
  auto none = h.send(api::Request(Method::get, h.ns_path() + "/metadata/none"));
  CHECK(none.response.status == 404);
  CHECK(failure_code(none) == 10009);

  // The client library's own request shape is accepted too.
  auto lib = ckp::api::kv::write_value(account, h.ns, "lib key/1", "v", {.metadata = json{{"k", 1}}});
  CHECK(h.send(lib).response.status == 200);
  CHECK(h.server.value_of(h.ns, "lib key/1", h.now) == "v");

  std::vector<ckp::api::FormPart> no_value{{"metadata", "{}", "", ""}};
  put.body = ckp::api::encode_multipart(no_value, "XyZ");
  CHECK(failure_code(h.send(put)) == 10051);
  std::vector<ckp::api::FormPart> bad_meta{{"value", "v", "", ""}, {"metadata", "{not json", "", ""}};
  put.body = ckp::api::encode_multipart(bad_meta, "XyZ");
  CHECK(failure_code(h.send(put)) == 10051);
  put.body = "garbage";
  CHECK(failure_code(h.send(put)) == 10051);
}

TEST_CASE("values: key, value and metadata limits with the right status") {
  Harness h;
  auto put = [&](const std::string& encoded_key, std::string body) {
    api::Request r(Method::put, h.ns_path() + "/values/" + encoded_key);
    r.body = std::move(body);
    return h.send(r);
  };
  CHECK(put(std::string(512, 'k'), "v").response.status == 200);
  auto long_key = put(std::string(513, 'k'), "v");
  CHECK(long_key.response.status == 414);
  CHECK(failure_code(long_key) == 10030);
  CHECK(body_of(long_key)["errors"][0]["message"] == "UTF-8 encoded length of 513 exceeds key length limit of 512.");
  auto long_get = h.send(api::Request(Method::get, h.ns_path() + "/values/" + std::string(513, 'k')));
  CHECK(long_get.response.status == 414);
  // 171 × "€" is 513 bytes in UTF-8 though only 171 characters.
  std::string euros;
  for (int i = 0; i < 171; ++i) euros += "%E2%82%AC";
  CHECK(put(euros, "v").response.status == 414);

  CHECK(put(".", "v").response.status == 400);
  CHECK(failure_code(put("..", "v")) == 10050);
  CHECK(failure_code(put("", "v")) == 10050);
  CHECK(failure_code(put("%FF", "v")) == 10050);  // not UTF-8

  CHECK(put("max", std::string(ckp::api::kv_limits::max_value_bytes, 'v')).response.status == 200);
  auto big = put("big", std::string(ckp::api::kv_limits::max_value_bytes + 1, 'v'));
  CHECK(big.response.status == 413);
  CHECK(failure_code(big) == 10022);
  CHECK_FALSE(h.server.value_of(h.ns, "big", h.now));

  auto meta = [&](std::size_t n) {
    json m{{"m", std::string(n, 'x')}};  // serialized: {"m":"…"} = n + 8 bytes
    auto r = ckp::api::kv::write_value(account, h.ns, "m", "v", {.metadata = m});
    return h.send(r);
  };
  CHECK(meta(1024 - 8).response.status == 200);
  auto big_meta = meta(1024 - 7);
  CHECK(big_meta.response.status == 413);
  CHECK(failure_code(big_meta) == 10024);
}

TEST_CASE("values: expiration and expiration_ttl, and keys expire") {
  Harness h;
  std::int64_t now_s = ckp::to_unix_seconds(h.now);
  auto put = [&](std::vector<std::pair<std::string, std::string>> q, std::string key = "k") {
    api::Request r(Method::put, h.ns_path() + "/values/" + key);
    r.body = "v";
    r.query = std::move(q);
    return h.send(r);
  };
  CHECK(put({{"expiration_ttl", "59"}}).response.status == 400);
  CHECK(failure_code(put({{"expiration_ttl", "59"}})) == 10052);
  CHECK(put({{"expiration_ttl", "abc"}}).response.status == 400);
  CHECK(put({{"expiration", std::to_string(now_s + 59)}}).response.status == 400);
  CHECK(put({{"expiration", std::to_string(now_s - 10)}}).response.status == 400);
  CHECK(put({{"expiration", "99999999999"}}).response.status == 400);  // beyond 32 bits
  CHECK(put({{"expiration", std::to_string(now_s + 60)}}, "abs").response.status == 200);
  // The TTL wins; the (invalid) absolute expiration is ignored.
  CHECK(put({{"expiration", "5"}, {"expiration_ttl", "60"}}, "ttl").response.status == 200);
  auto read = h.send(api::Request(Method::get, h.ns_path() + "/values/ttl"));
  CHECK(read.response.headers.get("expiration") == std::to_string(now_s + 60));
  CHECK(h.server.key_count(h.ns, h.now) == 2);

  h.now += std::chrono::seconds(60);
  CHECK(h.send(api::Request(Method::get, h.ns_path() + "/values/ttl")).response.status == 404);
  CHECK(h.send(api::Request(Method::get, h.ns_path() + "/metadata/abs")).response.status == 404);
  CHECK(body_of(h.send(api::Request(Method::get, h.ns_path() + "/keys")))["result"].empty());
  CHECK(h.server.key_count(h.ns, h.now) == 0);
}

TEST_CASE("bulk write: pairs with base64, metadata, expiration; limits; all-or-nothing validation") {
  Harness h;
  std::int64_t now_s = ckp::to_unix_seconds(h.now);
  json body =
      json::array({{{"key", "a"}, {"value", "text"}},
                   {{"key", "b"}, {"value", ckp::api::base64_encode(std::string("\0\1\2", 3))}, {"base64", true}},
                   {{"key", "c"}, {"value", "m"}, {"metadata", {{"x", 1}}}, {"expiration_ttl", 120}},
                   {{"key", "d"}, {"value", "e"}, {"expiration", now_s + 600}}});
  auto w = h.send(json_req(Method::put, h.ns_path() + "/bulk", body));
  CHECK(w.response.status == 200);
  CHECK(result_of(w) == json{{"successful_key_count", 4}, {"unsuccessful_keys", json::array()}});
  CHECK(h.server.value_of(h.ns, "b", h.now) == std::string("\0\1\2", 3));
  CHECK(result_of(h.send(api::Request(Method::get, h.ns_path() + "/metadata/c"))) == json{{"x", 1}});
  auto keys = body_of(h.send(api::Request(Method::get, h.ns_path() + "/keys")))["result"];
  CHECK(keys[2]["expiration"] == now_s + 120);
  CHECK(keys[3]["expiration"] == now_s + 600);

  auto reject = [&](json items) {
    auto r = h.send(json_req(Method::put, h.ns_path() + "/bulk", items));
    CHECK(r.response.status >= 400);
    CHECK_FALSE(h.server.value_of(h.ns, "new", h.now));
    return r;
  };
  CHECK(failure_code(reject(json::array({{{"key", "new"}, {"value", "v"}}, {{"key", "x"}}}))) == 10051);
  CHECK(failure_code(reject(json::array({{{"key", "new"}, {"value", "v"}}, {{"key", "x"}, {"value", 5}}}))) == 10051);
  CHECK(failure_code(reject(json::array(
            {{{"key", "new"}, {"value", "v"}}, {{"key", "x"}, {"value", "!!"}, {"base64", true}}}))) == 10051);
  CHECK(failure_code(reject(json::array(
            {{{"key", "new"}, {"value", "v"}}, {{"key", "x"}, {"value", "v"}, {"expiration_ttl", 10}}}))) == 10052);
  CHECK(reject(json::array({{{"key", "new"}, {"value", "v"}}, {{"key", std::string(513, 'x')}, {"value", "v"}}}))
            .response.status == 414);
  CHECK(reject(json::array({{{"key", "new"}, {"value", "v"}},
                            {{"key", "x"}, {"value", "v"}, {"metadata", {{"m", std::string(1100, 'x')}}}}}))
            .response.status == 413);
  CHECK(failure_code(reject(json::object())) == 10051);

  json many = json::array();
  for (int i = 0; i < 10'001; ++i) many.push_back({{"key", "k" + std::to_string(i)}, {"value", "v"}});
  auto too_many = h.send(json_req(Method::put, h.ns_path() + "/bulk", many));
  CHECK(too_many.response.status == 400);
  CHECK(failure_code(too_many) == 10025);
  many.erase(many.size() - 1);
  auto max = h.send(json_req(Method::put, h.ns_path() + "/bulk", many));
  CHECK(result_of(max)["successful_key_count"] == 10'000);

  api::Request huge(Method::put, h.ns_path() + "/bulk");
  huge.body.assign(ckp::api::kv_limits::max_bulk_request_bytes + 1, ' ');
  auto over = h.send(huge);
  CHECK(over.response.status == 413);
  CHECK(failure_code(over) == 10023);
}

TEST_CASE("bulk delete: POST …/bulk/delete and the deprecated DELETE …/bulk") {
  Harness h;
  h.server.seed_keys(h.ns, "k", 10);
  auto post = h.send(json_req(Method::post, h.ns_path() + "/bulk/delete", {"k0000000", "k0000001", "missing"}));
  CHECK(result_of(post) == json{{"successful_key_count", 3}, {"unsuccessful_keys", json::array()}});
  auto legacy = h.send(json_req(Method::del, h.ns_path() + "/bulk", {"k0000002"}));
  CHECK(result_of(legacy)["successful_key_count"] == 1);
  CHECK(h.server.key_count(h.ns, h.now) == 7);
  CHECK(h.server.stats().by_endpoint["kv.bulk.delete_legacy"] == 1);

  json many = json::array();
  for (int i = 0; i < 10'001; ++i) many.push_back("k" + std::to_string(i));
  CHECK(failure_code(h.send(json_req(Method::post, h.ns_path() + "/bulk/delete", many))) == 10025);
  CHECK(failure_code(h.send(json_req(Method::post, h.ns_path() + "/bulk/delete", {1, 2}))) == 10051);
  CHECK(failure_code(h.send(json_req(Method::post, h.ns_path() + "/bulk/delete", {{"key", "k"}}))) == 10051);
  CHECK(h.server.key_count(h.ns, h.now) == 7);
}

TEST_CASE("bulk get: text, json, withMetadata, missing keys, limits") {
  Harness h;
  h.server.put_key(h.ns, "t", "plain");
  h.server.put_key(h.ns, "j", R"({"n":1})", ckp::to_unix_seconds(h.now) + 600, json{{"m", true}});
  auto get = [&](json body) { return h.send(json_req(Method::post, h.ns_path() + "/bulk/get", body)); };
  CHECK(result_of(get({{"keys", {"t", "j", "nope"}}})) ==
        json{{"values", {{"t", "plain"}, {"j", R"({"n":1})"}, {"nope", nullptr}}}});
  CHECK(result_of(get({{"keys", {"j"}}, {"type", "json"}})) == json{{"values", {{"j", {{"n", 1}}}}}});
  CHECK(
      result_of(get({{"keys", {"j", "t", "nope"}}, {"withMetadata", true}})) ==
      json{
          {"values",
           {{"j",
             {{"value", R"({"n":1})"}, {"metadata", {{"m", true}}}, {"expiration", ckp::to_unix_seconds(h.now) + 600}}},
            {"t", {{"value", "plain"}, {"metadata", nullptr}}},
            {"nope", nullptr}}}});
  CHECK(failure_code(get({{"keys", {"t"}}, {"type", "json"}})) == 10051);  // "plain" is not JSON
  h.server.put_key(h.ns, "bin", std::string("\xff\xfe", 2));
  CHECK(failure_code(get({{"keys", {"t", "bin"}}})) == 10051);  // not text: refused, never mangled
  CHECK(failure_code(get({{"keys", {"t"}}, {"type", "arrayBuffer"}})) == 10051);
  CHECK(failure_code(get({{"keys", "t"}})) == 10051);
  CHECK(failure_code(get(json::object())) == 10051);
  CHECK(failure_code(get({{"keys", {"t"}}, {"withMetadata", "yes"}})) == 10051);
  json many = json::array();
  for (int i = 0; i < 101; ++i) many.push_back("k" + std::to_string(i));
  CHECK(failure_code(get({{"keys", many}})) == 10025);
  many.erase(100);
  CHECK(result_of(get({{"keys", many}}))["values"].size() == 100);
  CHECK(get({{"keys", {std::string(513, 'k')}}}).response.status == 414);
}

TEST_CASE("KV bad requests: malformed JSON, wrong content type, unknown namespace, bad ids") {
  Harness h;
  auto bad = h.raw(Method::put, h.ns_path() + "/bulk", "[{\"key\":", "application/json");
  CHECK(bad.response.status == 400);
  CHECK(failure_code(bad) == 6007);
  auto type = h.raw(Method::post, h.ns_path() + "/bulk/delete", "[\"a\"]", "text/plain");
  CHECK(type.response.status == 400);
  json b = body_of(type);
  CHECK(b["errors"][0]["code"] == 6003);
  CHECK(b["errors"][0]["error_chain"][0]["code"] == 6105);
  CHECK(h.raw(Method::post, h.ns_path() + "/bulk/delete", "[\"a\"]").response.status == 200);  // no type is fine
  CHECK(
      h.raw(Method::post, h.ns_path() + "/bulk/delete", "[\"a\"]", "application/json; charset=utf-8").response.status ==
      200);

  std::string unknown = "/accounts/" + account + "/storage/kv/namespaces/" + std::string(32, 'e');
  CHECK(failure_code(h.raw(Method::get, unknown + "/keys")) == 10013);
  CHECK(failure_code(h.raw(Method::put, unknown + "/values/k", "v")) == 10013);
  auto bad_id = h.raw(Method::get, "/accounts/" + account + "/storage/kv/namespaces/nothex/keys");
  CHECK(bad_id.response.status == 400);
  json bi = body_of(bad_id);
  CHECK(bi["errors"][0]["code"] == 7003);
  CHECK(bi["errors"][1]["code"] == 7000);
  auto route = h.raw(Method::get, "/accounts/" + account + "/workers/scripts");
  CHECK(route.response.status == 404);
  CHECK(failure_code(route) == 7000);
  auto method = h.raw(Method::patch, h.ns_path() + "/values/k");
  CHECK(method.response.status == 405);
  CHECK(failure_code(method) == 7001);
  CHECK(method.response.headers.get("Allow") == "GET, PUT, DELETE");
}

TEST_CASE("values: keys with a newline or other control bytes can be written, read, listed and deleted") {
  Harness h;
  for (std::string raw : {"a%0Ab", "%0D%0A", "%01", "tab%09x", "%7F"}) {
    const std::string key = *ckp::api::url_decode(raw);
    api::Request put(Method::put, h.ns_path() + "/values/" + raw);
    put.body = "v";
    CHECK_MESSAGE(h.send(put).response.status == 200, raw);
    auto got = h.send(api::Request(Method::get, h.ns_path() + "/values/" + raw));
    CHECK(got.response.status == 200);
    CHECK(got.response.body == "v");
    CHECK(h.server.value_of(h.ns, key, h.now) == "v");
    CHECK(h.send(api::Request(Method::get, h.ns_path() + "/metadata/" + raw)).response.status == 200);
    json listed = result_of(h.send(api::Request(Method::get, h.ns_path() + "/keys")));
    REQUIRE(listed.size() == 1);
    CHECK(listed[0]["name"] == key);
    CHECK(h.send(api::Request(Method::del, h.ns_path() + "/values/" + raw)).response.status == 200);
    CHECK_FALSE(h.server.value_of(h.ns, key, h.now));
  }
}
