#pragma once
/// @file
/// The one error type of the engine, and `Result<T>`: a value or an Error.

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "ckp/api/time.hpp"

namespace ckp {

/// What went wrong, coarsely: decides retry, exit code and how a front presents it.
enum class ErrorKind {
  invalid_input,       ///< rejected before sending: a key too long, a URL without scheme, a malformed file line
  authentication,      ///< 401/403, Cloudflare code 10000: token missing, wrong or without permission
  not_found,           ///< 404: key (10009), namespace (10013), zone or route (7003)
  conflict,            ///< the object already exists (a namespace title)
  too_large,           ///< 413/414: a key, value, metadata or request body over Cloudflare's limit
  bad_request,         ///< any other 4xx
  rate_limited,        ///< 429 (code 971 globally; purge buckets): wait, then retry
  server,              ///< 5xx from Cloudflare or a proxy
  transport,           ///< no HTTP response: connection refused, reset, DNS
  timeout,             ///< no HTTP response in time
  tls,                 ///< TLS handshake or certificate verification failed
  malformed_response,  ///< a response that is not a Cloudflare envelope (HTML error page, truncated, empty)
  cancelled,           ///< the operation was cancelled by the user or a deadline
  journal,             ///< a journal could not be read, or does not match the operation being resumed
  io,                  ///< a local file could not be read or written
};

/// A short name for @p kind (stable; used in `--json` output and failure reports).
constexpr const char* to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::invalid_input: return "invalid_input";
    case ErrorKind::authentication: return "authentication";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::conflict: return "conflict";
    case ErrorKind::too_large: return "too_large";
    case ErrorKind::bad_request: return "bad_request";
    case ErrorKind::rate_limited: return "rate_limited";
    case ErrorKind::server: return "server";
    case ErrorKind::transport: return "transport";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::tls: return "tls";
    case ErrorKind::malformed_response: return "malformed_response";
    case ErrorKind::cancelled: return "cancelled";
    case ErrorKind::journal: return "journal";
    case ErrorKind::io: return "io";
  }
  return "unknown";
}

/// One item of a Cloudflare envelope's `errors` or `messages` array.
struct ApiMessage {
  int code = 0;         ///< Cloudflare's numeric code, e.g. 10009 (key not found) or 971 (rate-limit lockout)
  std::string message;  ///< its text, as sent
  /// Member-wise equality.
  bool operator==(const ApiMessage&) const = default;
};

/// An error with enough detail for a user to act on it: the engine's one error type, carried by Result.
///
/// Parsers build it from a response (api/envelope.hpp), operations from their own checks; `kind` decides whether
/// the Scheduler retries it (retryable()) and which exit code a front reports.
///
/// Example:
/// ```
/// ckp::Error e = ckp::Error::make(ckp::ErrorKind::invalid_input, "line 3: a key longer than 512 bytes");
/// std::printf("%s: %s\n", ckp::to_string(e.kind), e.message.c_str());   // invalid_input: line 3: …
/// ```
struct Error {
  ErrorKind kind = ErrorKind::bad_request;  ///< the coarse category
  /// One line: what happened and, where we know, what to do about it. Never contains credentials.
  std::string message;
  /// HTTP status, when a response arrived.
  int http_status = 0;
  /// Cloudflare's own codes and messages, as sent.
  std::vector<ApiMessage> api_errors;
  /// How long the server asked us to wait (from `Retry-After`), if it said.
  std::optional<Duration> retry_after;

  /// The first Cloudflare error code, or 0.
  int code() const noexcept { return api_errors.empty() ? 0 : api_errors.front().code; }

  /// True when sending the same request again may succeed: rate limits, 5xx, transport failures, timeouts and
  /// bodies that were cut off. Every call this engine makes is idempotent, so retrying these is safe.
  bool retryable() const noexcept {
    switch (kind) {
      case ErrorKind::rate_limited:
      case ErrorKind::server:
      case ErrorKind::transport:
      case ErrorKind::timeout:
      case ErrorKind::malformed_response: return true;
      default: return false;
    }
  }

  /// An Error of @p kind with @p message and nothing else (no HTTP status, no API codes).
  static Error make(ErrorKind kind, std::string message) {
    Error e;
    e.kind = kind;
    e.message = std::move(message);
    return e;
  }
};

/// Either a value of type T or an Error. A small stand-in for C++23's `std::expected`, which neither GCC 12 in C++20
/// mode nor Emscripten 3.1.6's libc++ provide.
///
/// Every parser and fallible function of the engine returns one; nothing in the engine throws for a failed call.
/// Accessing the value of an error (or the error of a value) throws std::bad_variant_access: check ok() first.
///
/// Example:
/// ```
/// ckp::Result<ckp::api::kv::KeyPage> page = ckp::api::kv::parse_keys(response);
/// if (!page) return fail(page.error().message);   // ErrorKind, HTTP status and Cloudflare's codes are in error()
/// for (const auto& key : page->keys) use(key.name);
/// ```
template <class T>
class [[nodiscard]] Result {
 public:
  /// A success holding @p value.
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  /// A failure holding @p error.
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

  /// True when this holds a value.
  bool ok() const noexcept { return v_.index() == 0; }
  /// Same as ok().
  explicit operator bool() const noexcept { return ok(); }

  /// The value. Throws std::bad_variant_access when this holds an error.
  T& value() & { return std::get<0>(v_); }
  /// @copydoc value()
  const T& value() const& { return std::get<0>(v_); }
  /// The value, moved out. Throws std::bad_variant_access when this holds an error.
  T&& value() && { return std::get<0>(std::move(v_)); }
  /// Member access to the value (throws like value()).
  T* operator->() { return &value(); }
  /// @copydoc operator->()
  const T* operator->() const { return &value(); }
  /// The value (throws like value()).
  T& operator*() & { return value(); }
  /// @copydoc operator*()
  const T& operator*() const& { return value(); }

  /// The error. Throws std::bad_variant_access when this holds a value.
  const Error& error() const& { return std::get<1>(v_); }
  /// The error, moved out. Throws std::bad_variant_access when this holds a value.
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

/// The empty value, for `Result<Unit>` (success carries nothing).
struct Unit {
  /// Every Unit equals every other.
  bool operator==(const Unit&) const = default;
};
/// Success without a value, or an Error.
using Status = Result<Unit>;

}  // namespace ckp
