#include "console/request_guard.hpp"

#include <fmt/format.h>

#include <array>
#include <fstream>
#include <random>

namespace ckp::native::console {

namespace {

bool names_this_server(std::string_view authority, int port) {
  const std::string p = fmt::format(":{}", port);
  return authority == "127.0.0.1" + p || authority == "localhost" + p;
}

}  // namespace

const char* describe(Verdict v) {
  switch (v) {
    case Verdict::ok: return "ok";
    case Verdict::bad_host: return "the Host header does not name this console server";
    case Verdict::foreign_origin: return "requests from other web pages are refused";
    case Verdict::cross_site: return "cross-site requests are refused";
    case Verdict::missing_secret: return "the console's secret is missing: open the URL the console printed";
    case Verdict::wrong_secret: return "the console's secret is wrong: open the URL the console printed";
  }
  return "refused";
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;  // the secret's length is no secret (64 hex digits)
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

Verdict check_browser_context(const RequestFacts& facts, int port) {
  if (!names_this_server(facts.host, port)) return Verdict::bad_host;
  if (!facts.origin.empty()) {
    const std::string p = fmt::format(":{}", port);
    if (facts.origin != "http://127.0.0.1" + p && facts.origin != "http://localhost" + p)
      return Verdict::foreign_origin;
  }
  if (!facts.sec_fetch_site.empty() && facts.sec_fetch_site != "same-origin" && facts.sec_fetch_site != "none")
    return Verdict::cross_site;
  return Verdict::ok;
}

Verdict check_api_request(const RequestFacts& facts, int port, std::string_view secret) {
  if (auto v = check_browser_context(facts, port); v != Verdict::ok) return v;
  if (facts.secret.empty()) return Verdict::missing_secret;
  if (!constant_time_equal(facts.secret, secret)) return Verdict::wrong_secret;
  return Verdict::ok;
}

std::string make_secret() {
  std::array<unsigned char, 32> bytes{};
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  if (!urandom.read(reinterpret_cast<char*>(bytes.data()), bytes.size())) {
    std::random_device rd;  // a CSPRNG on Linux (getrandom) when /dev/urandom is unreadable
    for (auto& b : bytes) b = static_cast<unsigned char>(rd());
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) out += hex[b >> 4], out += hex[b & 15];
  return out;
}

}  // namespace ckp::native::console
