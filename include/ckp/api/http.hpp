#pragma once
/// @file
/// HTTP values exchanged between the engine and a transport: a Request goes out, a Response comes back.
/// Paths are relative to the API base (for Cloudflare, `https://api.cloudflare.com/client/v4`).

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ckp/api/url.hpp"

namespace ckp::api {

/// HTTP request method.
enum class Method { get, post, put, patch, del, head };

/// The method's name on the wire, e.g. `"DELETE"`.
constexpr std::string_view to_string(Method m) noexcept {
  switch (m) {
    case Method::get: return "GET";
    case Method::post: return "POST";
    case Method::put: return "PUT";
    case Method::patch: return "PATCH";
    case Method::del: return "DELETE";
    case Method::head: return "HEAD";
  }
  return "GET";
}

/// Compares two ASCII strings ignoring case (HTTP header names).
inline bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

/// An ordered list of header fields; names compare case-insensitively.
class Headers {
 public:
  /// One field: name and value.
  using Field = std::pair<std::string, std::string>;

  /// No fields.
  Headers() = default;
  /// The given fields, in order, e.g. `{{"Content-Type", "application/json"}}`.
  Headers(std::initializer_list<Field> fields) : fields_(fields) {}

  /// The first value of @p name, if present.
  std::optional<std::string> get(std::string_view name) const {
    for (const auto& [k, v] : fields_)
      if (iequals(k, name)) return v;
    return std::nullopt;
  }
  /// Whether a field named @p name is present.
  bool has(std::string_view name) const { return get(name).has_value(); }
  /// Replaces every field named @p name with one field.
  void set(std::string name, std::string value) {
    erase(name);
    fields_.emplace_back(std::move(name), std::move(value));
  }
  /// Appends a field (keeps existing ones of the same name).
  void add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
  /// Removes every field named @p name.
  void erase(std::string_view name) {
    std::erase_if(fields_, [&](const Field& f) { return iequals(f.first, name); });
  }
  /// Iteration over the fields in order (each a Field).
  auto begin() const { return fields_.begin(); }
  /// @copydoc begin()
  auto end() const { return fields_.end(); }
  /// The number of fields (repeated names count each time).
  std::size_t size() const { return fields_.size(); }
  /// True when there is no field.
  bool empty() const { return fields_.empty(); }

 private:
  std::vector<Field> fields_;
};

/// What kind of request this is, for scheduling: each class has its own rate and concurrency treatment.
enum class RequestClass { list, bulk, purge, read, write, admin };

/// An API request, relative to the API base URL. Carries no credentials: the transport adds them, so that secrets
/// never pass through the engine, its journal or its logs.
///
/// The builders in api/kv.hpp, api/zones.hpp and api/purge.hpp make them; a transport sends them.
///
/// Example:
/// ```
/// ckp::api::Request r = ckp::api::kv::list_keys(account_id, namespace_id, {.prefix = "user/"});
/// // r.method == Method::get, r.target() == "/accounts/…/storage/kv/namespaces/…/keys?limit=1000&prefix=user%2F"
/// ```
struct Request {
  /// A GET of the empty path.
  Request() = default;
  /// A request of method @p m for path @p p (already percent-encoded), scheduled as @p cls.
  Request(Method m, std::string p, RequestClass cls = RequestClass::read)
      : method(m), path(std::move(p)), request_class(cls) {}

  Method method = Method::get;  ///< the HTTP method
  /// Path below the API base, already percent-encoded, e.g. `/zones/abc/purge_cache`.
  std::string path;
  /// Query parameters, not yet encoded (the transport encodes them with `target()`).
  std::vector<std::pair<std::string, std::string>> query;
  Headers headers;   ///< request headers (Content-Type when there is a body); never credentials
  std::string body;  ///< the body, already encoded (JSON, multipart or raw bytes)
  RequestClass request_class = RequestClass::read;  ///< how the Scheduler treats it (listing calls go first)

  /// Path plus the encoded query string, e.g. `/zones?name=example.com&page=2`.
  std::string target() const;
};

/// Why a request produced no HTTP response at all.
enum class TransportFailure {
  none,       ///< a response arrived
  connect,    ///< could not connect (refused, DNS, unreachable)
  timeout,    ///< connect or read timed out
  reset,      ///< connection closed before a complete response arrived
  tls,        ///< TLS handshake or certificate verification failed
  cancelled,  ///< the caller cancelled the request
  refused,    ///< not sent: the transport found it malformed (e.g. a control character in a header); not retried
  other       ///< any other failure (see Response::failure_detail)
};

/// The result of one request: either an HTTP response (any status) or a transport failure.
struct Response {
  int status = 0;                                     ///< HTTP status; 0 when the request failed in transport
  Headers headers;                                    ///< response headers (names as received)
  std::string body;                                   ///< the body, as received
  TransportFailure failure = TransportFailure::none;  ///< why no response arrived, or none
  /// Human-readable detail of a transport failure (never contains credentials).
  std::string failure_detail;

  /// True when no HTTP response arrived (see failure).
  bool transport_failed() const noexcept { return failure != TransportFailure::none; }
  /// True for an HTTP response with a 2xx status. (A 2xx body may still hold `success: false`: parse it.)
  bool ok() const noexcept { return !transport_failed() && status >= 200 && status < 300; }

  /// A response that never arrived.
  static Response failed(TransportFailure why, std::string detail) {
    Response r;
    r.failure = why;
    r.failure_detail = std::move(detail);
    return r;
  }
};

inline std::string Request::target() const {
  std::string t = path;
  char sep = '?';
  for (const auto& [k, v] : query) {
    t += sep;
    t += url_encode_component(k);
    t += '=';
    t += url_encode_component(v);
    sep = '&';
  }
  return t;
}

}  // namespace ckp::api
