// Uses the installed library the way another program would: builds a request, parses a response.
#include <ckp/ckp.hpp>

#include <cstdio>

int main() {
  auto request = ckp::api::kv::list_keys("023e105f4ecef8ad9ca31a8372d0c353", "0f2ac74b498b48028cb68387c421e279",
                                         {.prefix = "user/", .cursor = "", .limit = 1000});
  ckp::api::Response response;
  response.status = 200;
  response.body =
      R"({"success":true,"errors":[],"messages":[],"result":[{"name":"user/1"}],"result_info":{"count":1,"cursor":""}})";
  auto page = ckp::api::kv::parse_keys(response);
  if (!page || page->keys.size() != 1 || !page->last()) return 1;
  std::printf("ckp %s: %s -> %s\n", ckp::version, request.target().c_str(), page->keys[0].name.c_str());
  return 0;
}
