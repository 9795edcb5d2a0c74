#pragma once
/// @file
/// Fault injection: which request-level fault (if any) hits a request, which keys of a bulk request fail, and the
/// responses the faults produce. Deterministic: every draw comes from one seeded generator.

#include <string_view>

#include "ckp/api/http.hpp"
#include "ckp/emu/config.hpp"
#include "ckp/emu/random.hpp"
#include "ckp/emu/respond.hpp"

namespace ckp::emu {

/// A request-level fault.
enum class Fault { none, error_500, error_502, error_503, html, slow, disconnect, truncate };

/// Whether the request is still applied to the store when @p f hits it.
constexpr bool fault_applies_request(Fault f) noexcept {
  return f == Fault::none || f == Fault::slow || f == Fault::disconnect || f == Fault::truncate;
}

/// Draws faults from a generator seeded with Config::fault_seed (sequential draws), or with a request's own seed
/// (keyed draws, see DrawMode).
class FaultInjector {
 public:
  /// An injector whose draws are fixed by @p seed.
  explicit FaultInjector(std::uint64_t seed = 1) : rng_(seed) {}

  /// One draw per request: the rates are stacked in declaration order over a single uniform number.
  Fault draw(const FaultRates& r) { return fault_at(r, rng_.uniform()); }

  /// The fault that a uniform number @p u in [0, 1) picks: the rates are stacked in declaration order, and @p u
  /// falls in one of them or past them all (Fault::none).
  static Fault fault_at(const FaultRates& r, double u) {
    const std::pair<double, Fault> stack[] = {{r.error_500, Fault::error_500},
                                              {r.error_502, Fault::error_502},
                                              {r.error_503, Fault::error_503},
                                              {r.slow, Fault::slow},
                                              {r.disconnect, Fault::disconnect},
                                              {r.truncate, Fault::truncate},
                                              {r.html, Fault::html}};
    double edge = 0;
    for (const auto& [rate, fault] : stack) {
      edge += rate > 0 ? rate : 0;
      if (u < edge) return fault;
    }
    return Fault::none;
  }

  /// Whether @p key of a bulk write/delete fails: always for the poison prefix, else with partial_bulk's rate.
  bool key_fails(const FaultRates& r, std::string_view key) {
    if (!r.poison_prefix.empty() && key.substr(0, r.poison_prefix.size()) == r.poison_prefix) return true;
    return r.partial_bulk > 0 && rng_.chance(r.partial_bulk);
  }

  /// Whether a single-key write/delete of @p key hits the poison prefix.
  static bool poisoned(const FaultRates& r, std::string_view key) {
    return !r.poison_prefix.empty() && key.substr(0, r.poison_prefix.size()) == r.poison_prefix;
  }

 private:
  Rng rng_;
};

/// The 502 page a proxy in front of the API would send.
inline api::Response bad_gateway_page() {
  api::Response r;
  r.status = 502;
  r.headers.set("Content-Type", "text/html");
  r.body =
      "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n"
      "<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n";
  return r;
}

/// The response of a fault that replaces the request (500, 502, 503, html).
inline api::Response fault_response(Fault f) {
  switch (f) {
    case Fault::error_500: return failure(500, code::internal_error, "Internal Server Error");
    case Fault::error_503: return failure(503, code::unavailable, "Service temporarily unavailable");
    default: return bad_gateway_page();
  }
}

/// Cuts a JSON body short (keeps at most half, and always drops the closing brace) and makes the status 200.
/// Returns false, changing nothing, when the body is not JSON.
inline bool truncate_json(api::Response& r) {
  auto type = r.headers.get("Content-Type");
  if (!type || type->find("json") == std::string::npos || r.body.size() < 2) return false;
  r.body.resize(r.body.size() / 2);
  r.status = 200;
  return true;
}

}  // namespace ckp::emu
