#pragma once
/// @file
/// One plan's purge limits as a client paces them: Cloudflare's flex purge bucket (tags, hosts, prefixes,
/// everything: requests) and its single-file bucket (URLs), mirrored on the client so that it never has to be told
/// "429".
///
/// A mirror of a server's bucket is only safe if it never believes in more tokens than the server has:
/// - tokens are taken when a call is sent (the server takes them later, when it arrives);
/// - a call taken from a full bucket (the start of a run, or after a pause) stops the refill until an answer comes
///   back: the server's bucket stays full until our calls arrive, refill past the capacity is lost there, and the
///   client cannot know when they arrived (a first call on a new TLS connection arrives well after later ones).
///   Once the bucket is drawn down, client and server refill alike. (Only a one-way delay longer than the bucket
///   takes to refill — 1 s for the URL buckets — could still let the server's bucket sit full unseen; a 429 then
///   is honoured like any other);
/// - a call the server refused before charging it (a 400: too many items, an invalid URL) gives its tokens back;
/// - a 429 empties the bucket and holds it until `Retry-After`.

#include <algorithm>

#include "ckp/api/limits.hpp"
#include "ckp/api/time.hpp"
#include "ckp/engine/token_bucket.hpp"

namespace ckp::engine {

/// One bucket as a client paces it (see the file's comment). Never fails.
class PacedBucket {
 public:
  /// A full bucket of @p capacity tokens refilling at @p rate_per_second.
  PacedBucket(double rate_per_second, double capacity) : bucket_(rate_per_second, capacity) {}

  /// How long until @p units may be sent; Duration::max() means "until a call in flight is answered".
  Duration wait(double units, Instant now) {
    const Duration blocked = blocked_until_ > now ? blocked_until_ - now : Duration{0};
    return std::max(blocked, bucket_.wait(units, now));
  }
  /// A call of @p units is sent at @p now.
  void on_send(double units, Instant now) {
    const bool from_full = bucket_.available(now) >= bucket_.capacity() * 0.99;
    bucket_.take(units, now);
    if (from_full) bucket_.pause(now);
  }
  /// A call of @p units was answered at @p now (or failed in transport). @p charged: false when the server refused
  /// it before charging it — any 4xx but 429.
  void on_answer(double units, bool charged, Instant now) {
    bucket_.resume(now);
    if (!charged) bucket_.give(units, now);
  }
  /// The server said 429: nothing is left, and nothing more until @p retry_after from @p now.
  void on_rate_limited(Duration retry_after, Instant now) {
    bucket_.drain(now);
    blocked_until_ = std::max(blocked_until_, now + retry_after);
  }
  /// The server stated the bucket (a `Ratelimit-Policy` hint): @p quota tokens refilled over @p window_seconds.
  void configure(double quota, double window_seconds) { bucket_.configure(quota / window_seconds, quota); }
  /// Tokens refilled per second, as believed.
  double rate() const { return bucket_.rate(); }

 private:
  TokenBucket bucket_;
  Instant blocked_until_{};
};

/// A plan's two purge buckets.
struct PurgeBuckets {
  /// The buckets of @p plan, full.
  explicit PurgeBuckets(const api::PlanProfile& of)
      : plan(of), flex(of.flex_requests_per_second, static_cast<double>(of.flex_bucket)),
        urls(of.urls_per_second, of.urls_per_second) {}

  api::PlanProfile plan;  ///< whose limits these are
  PacedBucket flex;       ///< flex purge requests
  PacedBucket urls;       ///< URLs of single-file purges
};

}  // namespace ckp::engine
