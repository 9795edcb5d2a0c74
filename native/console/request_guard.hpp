#pragma once
/// @file
/// Who may use the console server: the decisions, as pure functions over header values, so that tests can state
/// them plainly.
///
/// The server binds 127.0.0.1 only, but every other page open in the user's browser can reach 127.0.0.1 too. So:
/// - the `Host` header must name this server (`127.0.0.1:PORT` or `localhost:PORT`) — defeats DNS rebinding;
/// - an `Origin` header, when a browser sends one, must be this server's own origin;
/// - `Sec-Fetch-Site`, when sent, must be `same-origin` (or `none`, typed into the address bar);
/// - every API call (and the config endpoint) must carry the per-launch secret in the `X-Ckp-Console` header.
///   The secret reaches the page only in the fragment of the URL the server printed (never sent over the network
///   by the browser, never in a Referer), so no other page can know it.

#include <string>
#include <string_view>

namespace ckp::native::console {

/// The header that carries the per-launch secret.
inline constexpr std::string_view secret_header = "X-Ckp-Console";

/// What the request's headers say, as received (empty when absent).
struct RequestFacts {
  std::string host;
  std::string origin;
  std::string sec_fetch_site;
  std::string secret;
};

/// Why a request is refused, or `ok`.
enum class Verdict { ok, bad_host, foreign_origin, cross_site, missing_secret, wrong_secret };

/// The reason for @p v, in words (for the 403 body).
const char* describe(Verdict v);

/// Compares two strings in time independent of where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

/// The checks that apply to every request (static files included): Host, Origin, Sec-Fetch-Site.
Verdict check_browser_context(const RequestFacts& facts, int port);

/// check_browser_context() plus the secret: the checks for API calls and the config endpoint.
Verdict check_api_request(const RequestFacts& facts, int port, std::string_view secret);

/// A fresh random secret: 32 bytes from the system's CSPRNG, as 64 hex digits.
std::string make_secret();

}  // namespace ckp::native::console
