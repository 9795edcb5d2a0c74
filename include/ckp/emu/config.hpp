#pragma once
/// @file
/// Configuration of the emulated Cloudflare server: tokens, zones, plan, the global rate limit, time scale,
/// latency and capacity, injected faults and how they are drawn. Plain aggregates with defaulted members; the server
/// model copies them.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ckp/api/limits.hpp"
#include "ckp/api/time.hpp"

namespace ckp::emu {

/// The kinds of call a latency profile tells apart (emu/latency_profile.hpp maps each endpoint to one).
enum class CallKind {
  list,         ///< a page of keys, zones or namespaces
  bulk_write,   ///< PUT …/bulk
  bulk_delete,  ///< POST …/bulk/delete (and the legacy DELETE …/bulk)
  bulk_get,     ///< POST …/bulk/get
  value,        ///< one value or its metadata: GET, PUT, DELETE …/values/KEY, GET …/metadata/KEY
  purge,        ///< POST /zones/ID/purge_cache
  other,        ///< namespaces created, renamed, deleted; one zone
};
/// How many CallKind values there are.
inline constexpr std::size_t call_kinds = 7;

/// One kind of call's figures in a per-kind profile.
struct CallLatency {
  Duration base{0};      ///< every call of this kind
  Duration per_item{0};  ///< plus this per item (key written, deleted or read; URL or tag purged)
};

/// How long the server takes to answer: base + U[0, jitter) + per_item × items in a bulk/purge request, stretched
/// when more calls are in flight than the server's capacity. Latency is real time the front waits; it is NOT divided
/// by Config::time_scale.
struct LatencyModel {
  Duration base{0};      ///< every answer
  Duration jitter{0};    ///< plus a uniform random part in [0, jitter)
  Duration per_item{0};  ///< plus this per item of a bulk or purge request
  /// Calls the server serves at full speed at once (every request it handles counts, whatever its token); 0 = no
  /// limit. A call that arrives with n calls in flight (itself included) and n > capacity takes n / capacity times
  /// its latency, as a processor-sharing server would: past the capacity, more concurrency only makes each call
  /// slower. Without it latency never depends on load, and a client can only gain by sending more at once.
  int capacity = 0;
  /// Per-kind figures, indexed by CallKind, that replace `base` and `per_item` (jitter and capacity still apply);
  /// empty: every call takes base + per_item × items. See realistic_latency() (emu/latency_profile.hpp).
  std::vector<CallLatency> by_kind;
};

/// Where the model's random numbers (request faults, latency jitter, per-key bulk failures) come from.
enum class DrawMode {
  /// One seeded generator per stream, drawn in the order requests arrive. The same calls in the same order give
  /// the same run; in another order (another client setting), a given call gets other draws.
  sequential,
  /// Each request's draws come from a hash of Config::fault_seed, the request (method, path, query, body) and its
  /// attempt (how many times this same request was handled before). Every client that sends the same calls sees
  /// the same latency and faults for each call, in whatever order and at whatever concurrency it sends them
  /// (common random numbers): two client settings then differ by what they do, not by the luck of the draw. The
  /// model remembers an attempt count per distinct request, so memory grows with the distinct requests served.
  keyed,
};

/// Injected faults. Every rate is a probability per request in [0, 1]; draws come from Config::fault_seed (see
/// DrawMode), so a run repeats exactly. At most one request-level fault is drawn per request (the rates are stacked
/// in the order below, so their sum should stay ≤ 1). Faults are drawn only for requests that passed authentication
/// and the global rate limit.
struct FaultRates {
  double error_500 = 0;                           ///< 500 envelope; the request is NOT applied
  double error_502 = 0;                           ///< 502 HTML page from a "proxy"; NOT applied
  double error_503 = 0;                           ///< 503 envelope; NOT applied
  double slow = 0;                                ///< applied normally, answered `slow_delay` later
  Duration slow_delay = std::chrono::seconds(2);  ///< how much later a `slow` answer comes
  double disconnect = 0;    ///< applied, then the connection is closed before the response is complete
  double truncate = 0;      ///< applied, then a 200 whose JSON body is cut short (only JSON responses are cut)
  double html = 0;          ///< NOT applied; a 502 with an HTML body (same as error_502, separate knob)
  double partial_bulk = 0;  ///< per KEY of a bulk write/delete: reported in unsuccessful_keys and NOT applied
  /// Keys starting with this prefix always fail in bulk writes/deletes (listed in unsuccessful_keys, not applied)
  /// and single-key writes/deletes of them get 500. Empty = none. Lets tests know exactly which keys truly fail.
  std::string poison_prefix;
  /// When non-zero, the token that sends the Nth authenticated request is locked out right then (429, code 971,
  /// Retry-After), once — a lockout a client did not cause, to test that it waits and loses nothing.
  std::uint64_t lockout_after = 0;
};

/// One API token and the account it may act on.
struct TokenGrant {
  std::string token;       ///< the secret, as sent in `Authorization: Bearer …` (or `X-Auth-Key`)
  std::string account_id;  ///< the one account it may act on (32 hex characters)
};

/// A zone the emulator knows.
struct ZoneSpec {
  std::string name;        ///< e.g. `example.com`
  std::string id;          ///< 32 hex chars
  std::string account_id;  ///< the owning account; tokens of other accounts do not see the zone
  std::string plan;        ///< the zone's plan (free, pro, business, enterprise); empty: Config::plan
};

/// Everything that configures the server model.
struct Config {
  std::vector<TokenGrant> tokens;                 ///< at least one; requests with any other token get 403 code 10000
  std::string account_name = "Emulated Account";  ///< shown in zone objects
  std::vector<ZoneSpec> zones;                    ///< the zones served (GET /zones, purge)
  api::PlanProfile plan = api::PlanProfile::enterprise();  ///< purge caps and buckets of zones without a plan
  /// Per token: quota per window, lockout on exceed; quota ≤ 0 disables it. Also `per_ip_per_second`,
  /// Cloudflare's limit of 200 requests per second per client IP, enforced on every request the model sees (routed
  /// or not, authenticated or not, before anything else): more than that many in any one-second span get 429 code
  /// 971 with `Retry-After`, no lockout; ≤ 0 disables it. The per-IP second is REAL time, never divided by
  /// time_scale: it limits the wall-clock rate, which a client paces in real time whatever the emulator's scale.
  /// The model has no client address and treats all clients as one IP (the HTTP emulator listens on loopback only,
  /// and the processes of one machine share one address at Cloudflare).
  api::GlobalRateLimit rate_limit;
  double time_scale = 1.0;       ///< every window, lockout, bucket refill and Retry-After shrinks by this factor
  LatencyModel latency;          ///< how long answers take (Reply::delay)
  FaultRates faults;             ///< injected faults (none by default)
  std::uint64_t fault_seed = 1;  ///< seeds faults, ids and latency jitter: the same seed, the same run
  DrawMode draw_mode = DrawMode::sequential;  ///< how faults and jitter are drawn (ids are always sequential)
  /// Workers KV is eventually consistent: a written or deleted key can take up to about 60 s to show in a list.
  /// With a lag L, a listing at time t shows every key as it was at t − L (writes and deletes through the API;
  /// keys seeded or put directly count as old). Reads of values, metadata and bulk get stay exact. Divided by
  /// time_scale like every other period. 0 = lists are immediately consistent.
  Duration list_lag{0};
  /// Adds `Ratelimit-Policy` members `purge-flex` and `purge-urls` to purge responses, stating the purge buckets.
  /// Cloudflare documents no such header, so it is off by default: a client must pace purges from the plan's
  /// documented limits, 429 and `Retry-After`. On only for experiments and for tests of hint parsing.
  bool purge_policy_hints = false;
  /// The purge log keeps at most this many entries (older ones are dropped and counted), so a long benchmark
  /// cannot grow memory without bound.
  std::size_t purge_log_limit = 100'000;
};

/// The plan of @p zone: its own, else @p config's.
inline api::PlanProfile plan_of(const Config& config, const ZoneSpec& zone) {
  if (auto own = api::PlanProfile::named(zone.plan)) return *own;
  return config.plan;
}

}  // namespace ckp::emu
