// libFuzzer target: the emulator's request handling. Any method, path, query, header and body must get an HTTP
// answer (never a crash or an exception), and the store must stay consistent (listing agrees with the count).
#include <cstdint>
#include <string>

#include "ckp/emu/server.hpp"

namespace {
/// Splits the input into fields separated by 0xFF bytes.
std::vector<std::string> fields(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> out(1);
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == 0xFF) out.emplace_back();
    else out.back() += static_cast<char>(data[i]);
  }
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ckp;
  static const std::string account = "0123456789abcdef0123456789abcdef";
  static emu::Server server = [] {
    emu::Config c;
    c.tokens = {{"t", account}};
    c.zones = {{"example.com", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", account}};
    c.rate_limit.quota = 0;  // off: the fuzzer sends far more than 1200 requests
    return emu::Server(c);
  }();
  static const std::string ns = [] {
    auto id = server.create_namespace(account, "fuzz");
    server.seed_keys(id, "k/", 50);
    return id;
  }();
  if (size == 0) return 0;
  auto f = fields(data + 1, size - 1);
  f.resize(5);
  static const api::Method methods[] = {api::Method::get, api::Method::post,  api::Method::put,
                                        api::Method::del, api::Method::patch, api::Method::head};
  api::Request r(methods[data[0] % 6], "");
  // Paths: often well-formed prefixes, so the fuzzer reaches the handlers, then arbitrary tails.
  static const std::string bases[] = {"/accounts/" + account + "/storage/kv/namespaces", "/zones",
                                      "/zones/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/purge_cache", ""};
  std::string base = bases[(data[0] >> 3) % 4];
  if (base.find("namespaces") != std::string::npos && (data[0] & 0x20)) base += "/" + ns;
  r.path = base + f[0];
  for (std::size_t i = 0; i + 1 < f[1].size(); i += 2) r.query.emplace_back(f[1].substr(i, 1), f[2]);
  if (!(data[0] & 0x40)) r.headers.set("Authorization", "Bearer t");
  if (!f[3].empty()) r.headers.set("Content-Type", f[3]);
  r.body = f[4];
  auto reply = server.handle(r, from_unix_seconds(1'780'000'000));
  if (reply.response.status < 200 || reply.response.status > 599) __builtin_trap();
  const auto now = from_unix_seconds(1'780'000'000);
  if (server.keys_with_prefix(ns, "", now).size() != server.key_count(ns, now)) __builtin_trap();
  return 0;
}
