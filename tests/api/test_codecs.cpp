#include <doctest/doctest.h>

#include "ckp/api/base64.hpp"
#include "ckp/api/multipart.hpp"

using namespace ckp::api;

TEST_CASE("base64 round trips (RFC 4648 vectors)") {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    CHECK(base64_encode(plain) == encoded);
    CHECK(base64_decode(encoded) == plain);
  }
  std::string binary;
  for (int i = 0; i < 256; ++i) binary += static_cast<char>(i);
  CHECK(base64_decode(base64_encode(binary)) == binary);
  CHECK(base64_decode("Zm9v") == "foo");
  CHECK(base64_decode("Zg") == "f");  // padding optional
  CHECK_FALSE(base64_decode("Zm9v!"));
  CHECK_FALSE(base64_decode("Z"));
}

TEST_CASE("multipart encode and decode") {
  std::vector<FormPart> parts{{"value", "hello\r\n--world", "", ""},
                              {"metadata", R"({"a":1})", "", "application/json"}};
  std::string boundary = choose_boundary(parts);
  std::string body = encode_multipart(parts, boundary);
  auto back = decode_multipart(body, boundary);
  REQUIRE(back);
  REQUIRE(back->size() == 2);
  CHECK((*back)[0].name == "value");
  CHECK((*back)[0].content == "hello\r\n--world");
  CHECK((*back)[1].name == "metadata");
  CHECK((*back)[1].content_type == "application/json");
  CHECK((*back)[1].content == R"({"a":1})");

  CHECK(multipart_boundary("multipart/form-data; boundary=abc") == "abc");
  CHECK(multipart_boundary("multipart/form-data; boundary=\"a b\"; charset=x") == "a b");
  CHECK_FALSE(multipart_boundary("multipart/form-data"));
}

TEST_CASE("boundary avoids content") {
  std::vector<FormPart> parts{{"value", "ckp-boundary-0-7f3a91c2", "", ""}};
  CHECK(choose_boundary(parts) == "ckp-boundary-1-7f3a91c2");
}

TEST_CASE("malformed multipart is rejected") {
  CHECK_FALSE(decode_multipart("no delimiter here", "b"));
  CHECK_FALSE(decode_multipart("--b\r\nContent-Disposition: form-data; name=\"v\"\r\n\r\nunterminated", "b"));
  CHECK_FALSE(decode_multipart("--bX", "b"));
  auto fname =
      decode_multipart("--b\r\nContent-Disposition: form-data; filename=\"f.txt\"; name=\"value\"\r\n\r\nx\r\n--b--",
                       "b");
  REQUIRE(fname);
  CHECK((*fname)[0].name == "value");
  CHECK((*fname)[0].filename == "f.txt");
}
