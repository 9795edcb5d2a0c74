// libFuzzer target: every parser of API responses and headers, on arbitrary bytes. None may crash, hang or
// throw; each must return a value or an Error.
#include <cstdint>
#include <string>
#include <string_view>

#include "ckp/api.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ckp::api;
  if (size < 2) return 0;
  // First two bytes pick the status; the rest is the body (and header values).
  const int status = 100 + (data[0] | (data[1] << 8)) % 500;
  std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);
  Response r;
  r.status = status;
  r.body = std::string(body);
  r.headers.set("Retry-After", std::string(body.substr(0, 40)));
  r.headers.set("expiration", std::string(body.substr(0, 20)));

  (void)read_envelope(r);
  (void)kv::parse_keys(r);
  (void)kv::parse_namespaces(r);
  (void)kv::parse_namespace(r);
  (void)kv::parse_value(r);
  (void)kv::parse_metadata(r);
  (void)kv::parse_bulk_result(r, 10);
  const std::vector<std::string> keys{"a", "b", std::string(body.substr(0, 8))};
  (void)kv::parse_bulk_get(r, keys, true);
  (void)kv::parse_bulk_get(r, keys, false);
  (void)zones::parse_list(r);
  (void)zones::parse_get(r);
  (void)purge::parse(r);
  (void)parse_ratelimit(body);
  (void)parse_ratelimit_policy(body);
  (void)parse_retry_after(body, ckp::from_unix_seconds(1'780'000'000));
  (void)parse_http_date(body);
  (void)url_decode(body, true);
  (void)parse_url(body);
  (void)base64_decode(body);
  (void)base64_encode(body);
  if (auto boundary = multipart_boundary(body.substr(0, 80))) (void)decode_multipart(body, *boundary);
  (void)decode_multipart(body, "b");
  (void)validate_key(body);
  (void)validate_purge_url(body);
  (void)validate_purge_prefix(body);
  (void)validate_purge_host(body);
  (void)validate_cache_tag(body);
  return 0;
}
