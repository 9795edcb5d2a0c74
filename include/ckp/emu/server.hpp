#pragma once
/// @file
/// The in-process Cloudflare server model shared by the HTTP emulator (`cache-kv-purger emulator`) and the
/// engine's virtual-time simulator (transport/sim.hpp): Workers KV, Zones and cache purge with Cloudflare's
/// envelopes, limits, rate limits and injectable faults.
///
/// The model does no I/O and reads no clock: each call gets the current time. It is not thread-safe; the HTTP front
/// serializes calls with a mutex. Given the same Config (and fault_seed) and the same calls, it answers the same;
/// with DrawMode::keyed, each call also gets the same latency and faults whatever order the calls come in.
///
/// Order of checks for one request: the per-IP limit (429 971, Retry-After, no Ratelimit headers), route (404 7000 /
/// 405 7001 / 400 7003 / 400 for a malformed key escape), authentication (403 10000,
/// or 400 6003 for a malformed Authorization header), the token's global rate limit (429 971, lockout), the account
/// in the path (403 10000 for another account's id), request-level faults, then the endpoint itself. Responses to
/// authenticated requests carry `Ratelimit` and `Ratelimit-Policy`; routing and authentication failures do not (they
/// are not charged to any token). Every reply, whatever its status, takes the latency model's time, stretched by
/// the server's capacity.
///
/// Example:
/// ```
/// ckp::emu::Config config;
/// config.tokens.push_back({"secret", "0123456789abcdef0123456789abcdef"});
/// ckp::emu::Server server(config);
/// std::string ns = server.create_namespace("0123456789abcdef0123456789abcdef", "sessions");
/// auto request = ckp::api::kv::list_keys("0123456789abcdef0123456789abcdef", ns, {});
/// request.headers.set("Authorization", "Bearer secret");
/// ckp::emu::Reply reply = server.handle(request, ckp::from_unix_seconds(1'767'225'600));
/// ```

#include <cstdint>
#include <deque>
#include <istream>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "ckp/api/http.hpp"
#include "ckp/api/limits.hpp"
#include "ckp/api/time.hpp"
#include "ckp/emu/capacity.hpp"
#include "ckp/emu/config.hpp"
#include "ckp/emu/draws.hpp"
#include "ckp/emu/faults.hpp"
#include "ckp/emu/kv_api.hpp"
#include "ckp/emu/latency_profile.hpp"
#include "ckp/emu/purge_api.hpp"
#include "ckp/emu/random.hpp"
#include "ckp/emu/rate_limiter.hpp"
#include "ckp/emu/respond.hpp"
#include "ckp/emu/routes.hpp"
#include "ckp/emu/state.hpp"
#include "ckp/emu/store.hpp"
#include "ckp/emu/zones_api.hpp"

namespace ckp::emu {

/// What the front must do with a reply.
enum class Delivery {
  normal,      ///< send the response
  disconnect,  ///< close the connection without a complete response (the sim reports TransportFailure::reset)
};

/// The model's answer to one request.
struct Reply {
  api::Response response;  ///< the answer: status, headers (Ratelimit…), envelope body
  /// Answer this long after the request arrived: latency + slow fault, stretched when past the server's capacity.
  Duration delay{0};
  Delivery delivery = Delivery::normal;  ///< whether to send it or drop the connection
};

/// Counters served at GET /__emulator/stats.
struct Stats {
  std::uint64_t requests = 0;                        ///< every request handled
  std::map<int, std::uint64_t> by_status;            ///< responses by HTTP status
  std::uint64_t rate_limited = 0;                    ///< 429 responses
  std::uint64_t per_ip_limited = 0;                  ///< 429 responses of the per-IP limit (also in rate_limited)
  std::uint64_t lockouts = 0;                        ///< times a token entered a lockout
  std::map<std::string, std::uint64_t> by_endpoint;  ///< e.g. "kv.keys.list", "kv.bulk.delete", "purge"
  std::uint64_t faults_injected = 0;                 ///< request faults plus keys failed on purpose in bulk requests
  std::uint64_t writes = 0;                          ///< requests that changed state (dry-run checks use this)
};

/// The server model. Routes are relative to /client/v4 (Request::path starts with "/accounts/…" or "/zones…"),
/// with key names percent-encoded in the path and query values already decoded.
class Server {
 public:
  /// A server with @p config and an empty store (create_namespace() and seed_keys() fill it). Never fails.
  explicit Server(Config config) : config_(std::move(config)) { reset(); }

  /// Handles one request arriving at @p now. Authentication comes from the request's own headers
  /// (`Authorization: Bearer …`, or `X-Auth-Email` + `X-Auth-Key`, where the key is one of the tokens).
  /// Never throws for any request content.
  Reply handle(const api::Request& request, Instant now) {
    ++stats_.requests;
    // Keyed draws are taken for every request, answered or refused, so that a call's n-th attempt is the same
    // attempt whatever happened to other calls.
    const std::optional<RequestDraws> keyed =
        config_.draw_mode == DrawMode::keyed ? std::optional(keyed_.next(request)) : std::nullopt;
    Reply reply;
    Route route = match_route(request.method, request.path);
    ++stats_.by_endpoint[std::string(endpoint_name(route.endpoint))];
    Handled h;
    std::optional<Admission> admission;
    // Cloudflare's per-IP limit comes first: it is enforced before anything looks at the route or the token.
    const Admission ip = per_ip_.admit({}, now);
    Auth auth = ip.admitted && route.problem == RouteProblem::none ? authenticate(request.headers) : Auth{};
    if (!ip.admitted) {
      h.response = failure(429, code::rate_limited, "Please wait and consider throttling your request speed");
      h.response.headers.set("Retry-After", retry_after_value(ip.reset));
      ++stats_.per_ip_limited;
    } else if (route.problem != RouteProblem::none) {
      h.response = route_error(route, request.path);
    } else if (!auth.account) {
      h.response = std::move(auth.error);
    } else {
      if (config_.faults.lockout_after && ++authenticated_ == config_.faults.lockout_after) {
        limiter_.lock_out(auth.token, now);
        ++stats_.lockouts;
        ++stats_.faults_injected;
      }
      admission = limiter_.admit(auth.token, now);
      if (admission->started_lockout) ++stats_.lockouts;
      if (!admission->admitted) {
        h.response = failure(429, code::rate_limited, "Please wait and consider throttling your request speed");
      } else if (!route.account_id.empty() && route.account_id != *auth.account) {
        h.response = authentication_error();
      } else {
        Fault fault = keyed ? FaultInjector::fault_at(config_.faults, keyed->fault) : faults_.draw(config_.faults);
        if (!fault_applies_request(fault)) {
          h.response = fault_response(fault);
          ++stats_.faults_injected;
        } else {
          std::optional<FaultInjector> request_keys;  // keyed: this request's own generator for per-key failures
          if (keyed) request_keys.emplace(keyed->key_seed);
          h = dispatch(route, request, now, *auth.account, request_keys ? *request_keys : faults_);
          stats_.faults_injected += h.key_faults;
          if (fault == Fault::slow) {
            reply.delay += config_.faults.slow_delay;
            ++stats_.faults_injected;
          } else if (fault == Fault::disconnect) {
            reply.delivery = Delivery::disconnect;
            ++stats_.faults_injected;
          } else if (fault == Fault::truncate && truncate_json(h.response)) {
            ++stats_.faults_injected;
          }
        }
      }
    }
    if (admission) add_rate_limit_headers(h.response.headers, *admission);
    if (admission && route.endpoint == Endpoint::purge && config_.purge_policy_hints)
      add_purge_policies(h.response.headers, route.zone_id);
    if (h.wrote) ++stats_.writes;
    reply.delay += latency(route.endpoint, h.items, keyed ? &*keyed : nullptr);
    reply.delay = capacity_.stretch(reply.delay, now, config_.latency.capacity);
    ++stats_.by_status[h.response.status];
    if (h.response.status == 429) ++stats_.rate_limited;
    reply.response = std::move(h.response);
    return reply;
  }

  /// Describes the purge buckets next to the global policy, as `Ratelimit-Policy` members `purge-flex` and
  /// `purge-urls` (q tokens refilled over w seconds). Cloudflare documents no headers for its purge limits, so
  /// purge responses carry them only with Config::purge_policy_hints (off by default): an experiment can let a
  /// client learn a time-scaled emulator's purge rates the way it learns the window. Windows are rounded up, so a
  /// client that trusts them is never faster than the bucket.
  void add_purge_policies(api::Headers& headers, std::string_view zone_id) const {
    api::PlanProfile p = config_.plan;
    for (const auto& z : config_.zones)
      if (z.id == zone_id) p = plan_of(config_, z);
    const double scale = config_.time_scale > 0 ? config_.time_scale : 1;
    std::string policy = headers.get("Ratelimit-Policy").value_or("");
    if (!policy.empty()) policy += ", ";
    policy +=
        fmt::format("\"purge-flex\";q={};w={}, \"purge-urls\";q={};w={}", p.flex_bucket,
                    format_header_seconds(static_cast<double>(p.flex_bucket) / (p.flex_requests_per_second * scale),
                                          true),
                    static_cast<std::int64_t>(p.urls_per_second), format_header_seconds(1.0 / scale, true));
    headers.set("Ratelimit-Policy", policy);
  }

  // Direct access for seeding, tests and the admin endpoints (no auth, no rate limit, no faults):

  /// Creates a namespace in @p account_id and returns its id. When the account already has a namespace with this
  /// title, returns that one's id instead.
  std::string create_namespace(const std::string& account_id, const std::string& title) {
    if (Namespace* ns = store_.find_title(account_id, title)) return ns->id;
    std::string id = hex_id(ids_);
    while (store_.find(id)) id = hex_id(ids_);
    return store_.create(id, account_id, title).id;
  }

  /// Creates a namespace with a given @p id (32 hex characters), e.g. to restore one a client already knows.
  /// Returns false, changing nothing, when the id or the title is taken.
  bool create_namespace(const std::string& account_id, const std::string& title, const std::string& id) {
    if (store_.find(id) || store_.find_title(account_id, title)) return false;
    store_.create(id, account_id, title);
    return true;
  }

  /// The id of @p account_id's namespace titled @p title.
  std::optional<std::string> namespace_id(const std::string& account_id, const std::string& title) const {
    for (const Namespace* ns : store_.in_account(account_id))
      if (ns->title == title) return ns->id;
    return std::nullopt;
  }

  /// @p account_id's namespaces: title → id.
  std::map<std::string, std::string> namespace_titles(const std::string& account_id) const {
    std::map<std::string, std::string> out;
    for (const Namespace* ns : store_.in_account(account_id)) out[ns->title] = ns->id;
    return out;
  }

  /// Inserts @p count keys named prefix + zero-padded index (e.g. "user/0000042") with small values. Fast: 1M < 5 s.
  /// Does nothing for an unknown namespace.
  void seed_keys(const std::string& namespace_id, const std::string& prefix, std::uint64_t count) {
    if (Namespace* ns = store_.find(namespace_id)) ns->seed(prefix, count);
  }

  /// Writes one key directly. @p expiration is Unix seconds (0 = never); @p metadata null = none.
  /// Returns false for an unknown namespace.
  bool put_key(const std::string& namespace_id, const std::string& key, std::string value, std::int64_t expiration = 0,
               const nlohmann::json& metadata = nullptr) {
    Namespace* ns = store_.find(namespace_id);
    if (!ns) return false;
    ns->put(key, Entry{std::move(value), metadata.is_null() ? std::string() : dump_json(metadata), expiration});
    return true;
  }

  /// Number of live (unexpired at @p now) keys in a namespace.
  std::uint64_t key_count(const std::string& namespace_id, Instant now) const {
    const Namespace* ns = store_.find(namespace_id);
    return ns ? ns->live_count(now) : 0;
  }

  /// Whether a key exists (unexpired) and its value.
  std::optional<std::string> value_of(const std::string& namespace_id, const std::string& key, Instant now) const {
    const Namespace* ns = store_.find(namespace_id);
    const Entry* e = ns ? ns->find(key, now) : nullptr;
    if (!e) return std::nullopt;
    return e->value;
  }

  /// All live key names with @p prefix, in order (for test assertions).
  std::vector<std::string> keys_with_prefix(const std::string& namespace_id, const std::string& prefix,
                                            Instant now) const {
    std::vector<std::string> out;
    const Namespace* ns = store_.find(namespace_id);
    if (!ns) return out;
    for (const auto& k : ns->list(prefix, std::nullopt, SIZE_MAX, now).keys) out.push_back(*k.name);
    return out;
  }

  /// Changes the latency model (and capacity) for the following requests; calls in flight keep their time.
  void set_latency(LatencyModel latency) { config_.latency = latency; }
  /// Changes the global limit; windows and lockouts in progress are kept.
  void set_rate_limit(api::GlobalRateLimit limit) {
    config_.rate_limit = limit;
    limiter_.configure(limit, config_.time_scale);
    per_ip_.configure(per_ip_limit(limit), 1);
  }
  /// Changes the fault rates for the following requests (the generator continues its sequence).
  void set_faults(FaultRates faults) { config_.faults = std::move(faults); }
  /// The configuration in force.
  const Config& config() const { return config_; }

  /// A copy of the counters.
  Stats stats() const { return stats_; }

  /// The statistics as served at GET /__emulator/stats.
  nlohmann::json stats_json() const {
    nlohmann::json by_status = nlohmann::json::object(), by_endpoint = nlohmann::json::object();
    for (const auto& [s, n] : stats_.by_status) by_status[std::to_string(s)] = n;
    for (const auto& [e, n] : stats_.by_endpoint) by_endpoint[e] = n;
    return {{"requests", stats_.requests},
            {"by_status", by_status},
            {"rate_limited", stats_.rate_limited},
            {"per_ip_limited", stats_.per_ip_limited},
            {"lockouts", stats_.lockouts},
            {"by_endpoint", by_endpoint},
            {"faults_injected", stats_.faults_injected},
            {"writes", stats_.writes},
            {"namespaces", store_.all().size()},
            {"stored_keys", store_.stored_keys()},
            {"purges", purge_.log().size()},
            {"purges_dropped", purge_.dropped()}};
  }

  nlohmann::json purge_log_json() const {
    return purge_.log_json();
  }  ///< every accepted purge: zone, type, items, time
  /// Every accepted purge still in the log, oldest first.
  const std::deque<PurgeRecord>& purges() const noexcept { return purge_.log(); }

  /// Empties store, stats, logs, rate-limit state and calls in flight, and restarts the seeded generators and the
  /// keyed draws' attempt counts; keeps config.
  void reset() {
    store_.clear();
    stats_ = Stats{};
    purge_.reset();
    limiter_.reset();
    limiter_.configure(config_.rate_limit, config_.time_scale);
    per_ip_.reset();
    per_ip_.configure(per_ip_limit(config_.rate_limit), 1);  // real time: not scaled
    faults_ = FaultInjector(config_.fault_seed);
    keyed_ = KeyedDraws(config_.fault_seed);
    capacity_.reset();
    authenticated_ = 0;
    ids_ = Rng(config_.fault_seed ^ 0x6964735f72616e64ull);        // separate streams, so that enabling latency
    latency_rng_ = Rng(config_.fault_seed ^ 0x6c6174656e6379ull);  // or ids never shifts the fault sequence
    accounts_.clear();
    for (const auto& t : config_.tokens) accounts_[t.token] = t.account_id;
  }

  /// Writes the KV store as JSON Lines (see state.hpp).
  void save_state(std::ostream& out) const { emu::save_state(store_, out); }
  /// Replaces the KV store with one read from @p in; on error returns the message and keeps the store as it was.
  std::optional<std::string> load_state(std::istream& in) { return emu::load_state(store_, in); }

 private:
  struct Auth {
    std::string token;
    const std::string* account = nullptr;
    api::Response error;
  };

  Auth authenticate(const api::Headers& headers) const {
    Auth a;
    std::optional<std::string> token;
    if (auto authz = headers.get("Authorization")) {
      std::string_view v = *authz;
      if (v.size() < 8 || !api::iequals(v.substr(0, 7), "Bearer ")) {
        a.error = invalid_header(code::invalid_authorization, "Invalid format for Authorization header");
        return a;
      }
      v.remove_prefix(7);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
      token = std::string(v);
    } else if (auto key = headers.get("X-Auth-Key"); key && !headers.get("X-Auth-Email").value_or("").empty()) {
      token = *key;
    }
    if (token) {
      if (auto it = accounts_.find(*token); it != accounts_.end()) {
        a.token = *token;
        a.account = &it->second;
        return a;
      }
    }
    a.error = authentication_error();
    return a;
  }

  static api::Response route_error(const Route& route, const std::string& path) {
    switch (route.problem) {
      case RouteProblem::method_not_allowed: {
        api::Response r = failure(405, code::method_not_allowed, "Method not allowed for this route");
        r.headers.set("Allow", route.allow);
        return r;
      }
      case RouteProblem::bad_identifier: return bad_identifier(400, path);
      case RouteProblem::bad_key_encoding: return failure(400, code::invalid_key, "Could not URL-decode key name");
      default: return no_route();
    }
  }

  /// Runs the endpoint; @p key_faults draws the per-key failures of a bulk request.
  Handled dispatch(const Route& route, const api::Request& req, Instant now, const std::string& account,
                   FaultInjector& key_faults) {
    switch (route.endpoint) {
      case Endpoint::zones_list: return list_zones(config_, account, req);
      case Endpoint::zone_get: return get_zone(config_, account, route, req.path);
      case Endpoint::purge: {
        const ZoneSpec* zone = visible_zone(config_, account, route.zone_id);
        if (!zone) return {bad_identifier(404, req.path)};
        return purge_.purge(*zone, req, now, config_, ids_);
      }
      default: {
        const double scale = config_.time_scale > 0 ? config_.time_scale : 1;
        KvContext ctx{store_, ids_, key_faults, config_.faults, from_seconds(to_seconds(config_.list_lag) / scale)};
        return handle_kv(ctx, route, req, now);
      }
    }
  }

  /// base + per_item × @p items (the figures for @p endpoint's kind, when the model has per-kind figures) + a share
  /// of the jitter: @p keyed's, else the next sequential draw.
  Duration latency(Endpoint endpoint, std::size_t items, const RequestDraws* keyed) {
    const LatencyModel& m = config_.latency;
    CallLatency figures{m.base, m.per_item};
    if (const auto kind = static_cast<std::size_t>(call_kind(endpoint)); kind < m.by_kind.size())
      figures = m.by_kind[kind];
    Duration d = figures.base + figures.per_item * static_cast<Duration::rep>(items);
    if (m.jitter > Duration{0}) {
      const double u = keyed ? keyed->latency : latency_rng_.uniform();
      d += Duration{static_cast<Duration::rep>(u * static_cast<double>(m.jitter.count()))};
    }
    return d;
  }

  /// The per-IP limit as a sliding window: per_ip_per_second requests in any one second, no lockout.
  static api::GlobalRateLimit per_ip_limit(const api::GlobalRateLimit& limit) {
    api::GlobalRateLimit ip;
    ip.quota = limit.per_ip_per_second;
    ip.window_seconds = 1;
    ip.lockout_seconds = 0;
    return ip;
  }

  Config config_;
  Store store_;
  SlidingWindowLimiter limiter_;
  SlidingWindowLimiter per_ip_;  // Cloudflare's 200 requests per second per IP; every client is one IP
  PurgeService purge_;
  FaultInjector faults_;    // sequential draws: request faults and per-key failures
  KeyedDraws keyed_;        // keyed draws (DrawMode::keyed)
  CapacityModel capacity_;  // calls in flight, for LatencyModel::capacity
  Rng ids_;
  Rng latency_rng_;                  // sequential draws: latency jitter
  std::uint64_t authenticated_ = 0;  // requests that passed authentication (for FaultRates::lockout_after)
  Stats stats_;
  std::unordered_map<std::string, std::string> accounts_;  // token → account id
};

}  // namespace ckp::emu
