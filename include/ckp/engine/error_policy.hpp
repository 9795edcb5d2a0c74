#pragma once
/// @file
/// How the engine treats an error: the one place that decides it, for every call and every operation.
///
/// | what happened                                                          | remedy                                  |
/// |------------------------------------------------------------------------|-----------------------------------------|
/// | 429, 5xx, no answer, a timeout, a cut-off body (Error::retryable())    | the same request again, later (retry)   |
/// | a batch refused for its content: 400, 413, a conflict, bad input       | split the batch; an item refused alone  |
/// |                                                                        | is reported failed (split)              |
/// | anything else: authentication, a missing namespace or zone, retries    | stop the operation; it stays resumable  |
/// | exhausted, cancelled                                                   | (stop)                                  |
///
/// The Scheduler retries (bounded by RetryPolicy); what still fails reaches the caller, and a BatchRunner splits or
/// stops by remedy(). Separately, for the concurrency limit, is_pushback() says which answers mean "too much".

#include "ckp/api/error.hpp"
#include "ckp/api/http.hpp"

namespace ckp::engine {

/// What to do about an error (see the file's comment).
enum class Remedy {
  retry,  ///< send the same request again after a backoff
  split,  ///< the batch's content is at fault: split it, report items refused alone
  stop,   ///< nothing smaller or later would help here: stop the operation (resumable)
};

/// The remedy for @p e. A retryable error that reaches an operation (its retries ran out) stops it.
constexpr Remedy remedy(const Error& e) noexcept {
  switch (e.kind) {
    case ErrorKind::bad_request:
    case ErrorKind::too_large:
    case ErrorKind::conflict:
    case ErrorKind::invalid_input: return Remedy::split;
    default: return e.retryable() ? Remedy::retry : Remedy::stop;
  }
}

/// True when, after the scheduler's retries, @p e must stop the operation: no smaller batch could fix it
/// (authentication, a missing namespace or zone, the API unreachable after every retry, cancellation).
constexpr bool is_fatal(const Error& e) noexcept { return remedy(e) != Remedy::split; }

/// True when @p r is push-back for the concurrency limit: a 429, or no answer at all. A 5xx is retried but is not
/// push-back: Cloudflare's 5xx are not a sign of our load (measured: shrinking on them lost 15-30% of throughput
/// under 10% 5xx); real overload shows as rising latency, which the latency-based limits follow.
inline bool is_pushback(const api::Response& r) { return r.transport_failed() || r.status == 429; }

}  // namespace ckp::engine
