#include "emulator/http_front.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <atomic>
#include <ctime>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "ckp/api/url.hpp"
#include "ckp/emu/respond.hpp"
#include "common/bounded_server.hpp"
#include "common/http_server.hpp"

namespace ckp::native {

namespace {

constexpr std::string_view api_prefix = "/client/v4";
constexpr std::string_view admin_prefix = "/__emulator/";
constexpr const char* json_type = "application/json; charset=utf-8";

/// Splits a raw request target into its still-encoded path and its decoded query pairs.
void split_target(const std::string& target, std::string& path,
                  std::vector<std::pair<std::string, std::string>>& query) {
  auto q = target.find('?');
  path = target.substr(0, q);
  if (q == std::string::npos) return;
  std::string_view rest = std::string_view(target).substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string_view k = pair.substr(0, eq);
    std::string_view v = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    // A malformed escape is kept as sent; the model then rejects the value if it matters.
    query.emplace_back(api::url_decode(k, true).value_or(std::string(k)),
                       api::url_decode(v, true).value_or(std::string(v)));
  }
}

std::optional<api::Method> method_of(const std::string& m) {
  if (m == "GET") return api::Method::get;
  if (m == "HEAD") return api::Method::head;
  if (m == "POST") return api::Method::post;
  if (m == "PUT") return api::Method::put;
  if (m == "PATCH") return api::Method::patch;
  if (m == "DELETE") return api::Method::del;
  return std::nullopt;
}

void add_cors(httplib::Response& res) {
  res.set_header("Access-Control-Allow-Origin", "*");
  res.set_header("Access-Control-Expose-Headers",
                 "Ratelimit, Ratelimit-Policy, Retry-After, expiration, Content-Length");
}

/// Copies a model response into httplib's; with @p disconnect, only half the body is written and the connection
/// is then dropped (the provider returns false, which makes httplib abort and close).
void write(httplib::Response& res, const api::Response& r, bool disconnect) {
  res.status = r.status;
  std::string type = json_type;
  for (const auto& [k, v] : r.headers) {
    if (api::iequals(k, "Content-Type")) type = v == "application/json" ? json_type : v;
    else if (!api::iequals(k, "Content-Length")) res.set_header(k, v);
  }
  if (!disconnect) {
    res.set_content(r.body, type);
    return;
  }
  auto body = std::make_shared<std::string>(r.body);
  std::size_t length = std::max<std::size_t>(body->size(), 2);
  res.set_content_provider(length, type, [body](std::size_t offset, std::size_t, httplib::DataSink& sink) {
    std::size_t half = body->size() / 2;
    if (offset < half) sink.write(body->data() + offset, half - offset);
    return false;
  });
}

void write_json(httplib::Response& res, int status, const nlohmann::json& j) {
  res.status = status;
  res.set_content(emu::dump_json(j), json_type);
}

/// A `CF-Ray` value shaped like Cloudflare's: 16 hex digits, a dash, a data center code. The digits are a counter
/// run through splitmix64 from a random start, so they look random and never repeat within a run.
std::string next_ray() {
  static std::atomic<std::uint64_t> counter{std::random_device{}() * 0x100000001ull};
  std::uint64_t z = counter.fetch_add(0x9e3779b97f4a7c15ull) + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  static constexpr char hex[] = "0123456789abcdef";
  std::string ray(16, '0');
  for (int i = 15; i >= 0; --i, z >>= 4) ray[static_cast<std::size_t>(i)] = hex[z & 15];
  return ray + "-SJC";
}

/// The wall clock as an RFC 7231 IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), independent of the locale.
std::string http_date() {
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char out[40];
  std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return out;
}

/// True when @p host (a Host header) names this server by a loopback address: `127.0.0.1:PORT`, `localhost:PORT`
/// or `[::1]:PORT` (without `:PORT` only on port 80). Anything else may be a DNS-rebinding page.
bool loopback_host(std::string_view host, int port) {
  const std::string suffix = fmt::format(":{}", port);
  std::string_view name = host;
  if (host.ends_with(suffix)) name = host.substr(0, host.size() - suffix.size());
  else if (port != 80) return false;
  return name == "127.0.0.1" || api::iequals(name, "localhost") || name == "[::1]";
}

/// True when @p origin (an Origin header; empty when absent) is this server's own origin.
bool own_origin(std::string_view origin, int port) {
  if (origin.empty()) return true;
  if (!origin.starts_with("http://")) return false;
  return loopback_host(origin.substr(7), port);
}

/// 32 random bytes as 64 hex digits: the per-start admin secret.
std::string make_admin_secret() {
  std::random_device rd;  // getrandom() on Linux
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    auto word = static_cast<std::uint32_t>(rd());
    for (int j = 0; j < 8; ++j, word >>= 4) out += hex[word & 15];
  }
  return out;
}

ServerLimits limits_of(const FrontOptions& o) {
  ServerLimits l;
  l.workers = o.threads == 0 ? 1 : o.threads;
  l.max_connections = o.max_connections;
  l.idle_timeout = o.idle_timeout;
  l.header_timeout = o.header_timeout;
  return l;
}

}  // namespace

HttpFront::HttpFront(emu::Server& model, FrontOptions options, std::function<void(emu::Server&)> reseed,
                     nlohmann::json info)
    : model_(model), options_(options), reseed_(std::move(reseed)), info_(std::move(info)),
      admin_secret_(make_admin_secret()), http_(std::make_unique<BoundedServer>(limits_of(options_))) {
  install_routes();
}

HttpFront::~HttpFront() = default;

Instant HttpFront::now() const {
  auto wall = std::chrono::duration_cast<Duration>(std::chrono::system_clock::now().time_since_epoch());
  return Instant{wall + Duration{clock_offset_us_.load()}};
}

void HttpFront::set_info(nlohmann::json info) {
  std::lock_guard lock(mutex_);
  info_ = std::move(info);
}

int HttpFront::bind(int port) {
  port_ = port == 0 ? http_->bind_to_any_port("127.0.0.1") : (http_->bind_to_port("127.0.0.1", port) ? port : -1);
  return port_;
}

bool HttpFront::listen() { return http_->listen_after_bind(); }

void HttpFront::stop() { http_->stop(); }

std::optional<std::string> HttpFront::admin_refusal(const httplib::Request& req) const {
  if (!loopback_host(req.get_header_value("Host"), port_))
    return "admin endpoints answer only to a loopback Host (127.0.0.1, localhost or [::1] with this port)";
  if (!own_origin(req.get_header_value("Origin"), port_)) return "admin endpoints refuse requests from web pages";
  std::string site = req.get_header_value("Sec-Fetch-Site");
  if (!site.empty() && site != "same-origin" && site != "none") return "admin endpoints refuse cross-site requests";
  if (req.method != "GET" && req.method != "HEAD") {
    std::string given = req.get_header_value(std::string(admin_secret_header).c_str());
    bool match = given.size() == admin_secret_.size();
    unsigned char diff = 0;
    for (std::size_t i = 0; match && i < given.size(); ++i)
      diff |= static_cast<unsigned char>(given[i] ^ admin_secret_[i]);
    if (!match || diff != 0)
      return "state-changing admin calls need the header " + std::string(admin_secret_header) +
             " with the admin_secret of the start line";
  }
  return std::nullopt;
}

void HttpFront::install_routes() {
  httplib::Server& svr = *http_;
  svr.set_tcp_nodelay(true);
  svr.set_payload_max_length(options_.max_body);
  svr.set_read_timeout(options_.read_timeout);
  svr.set_write_timeout(options_.read_timeout);
  bool cors = options_.cors;

  // Every response, errors and admin answers included, carries what Cloudflare's edge adds.
  svr.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    res.set_header("CF-Ray", next_ray());
    res.set_header("Date", http_date());
    res.set_header("Server", "cloudflare");
  });

  // The core: one request to the model, answered after the model's delay.
  auto serve = [this, cors](const httplib::Request& req, httplib::Response& res, std::string body,
                            std::optional<std::string> content_type) {
    auto arrived = std::chrono::steady_clock::now();
    std::string path;
    api::Request mreq;
    split_target(req.target, path, mreq.query);

    if (path.compare(0, admin_prefix.size(), admin_prefix) == 0) {
      // Admin: never CORS; only for clients that name this server by a loopback Host (no DNS rebinding) and are
      // not another web page; state changes also need the per-start secret in a custom header, which no page can
      // send without a preflight (refused below) and no page knows.
      std::string_view what = std::string_view(path).substr(admin_prefix.size());
      if (auto refusal = admin_refusal(req)) return write_json(res, 403, {{"success", false}, {"error", *refusal}});
      std::lock_guard lock(mutex_);
      if (what == "stats" && req.method == "GET") return write_json(res, 200, model_.stats_json());
      if (what == "purges" && req.method == "GET") return write_json(res, 200, model_.purge_log_json());
      if (what == "keys" && req.method == "GET") {
        // The store as it is, for tests: no auth, no rate limit, no faults.
        std::string ns, prefix;
        for (const auto& [k, v] : mreq.query) {
          if (k == "namespace") ns = v;
          if (k == "prefix") prefix = v;
        }
        return write_json(res, 200, model_.keys_with_prefix(ns, prefix, now()));
      }
      if (what == "info" && req.method == "GET") return write_json(res, 200, info_);
      if (what == "reset" && req.method == "POST") {
        model_.reset();
        if (reseed_) reseed_(model_);
        return write_json(res, 200, {{"success", true}});
      }
      if (what == "clock" && req.method == "POST") {
        double advance = 0;
        for (const auto& [k, v] : mreq.query)
          if (k == "advance") advance = std::strtod(v.c_str(), nullptr);
        if (!(advance >= 0 && advance < 1e9))
          return write_json(res, 400, {{"success", false}, {"error", "advance must be a number of seconds ≥ 0"}});
        clock_offset_us_ += static_cast<std::int64_t>(advance * 1e6);
        return write_json(res, 200, {{"success", true}, {"now", to_seconds(now().time_since_epoch())}});
      }
      return write(res, emu::no_route(), false);
    }

    if (cors) add_cors(res);
    auto method = method_of(req.method);
    bool in_api = path.compare(0, api_prefix.size(), api_prefix) == 0 &&
                  (path.size() == api_prefix.size() || path[api_prefix.size()] == '/');
    if (!in_api) return write(res, emu::no_route(), false);
    if (!method) {
      api::Response r = emu::failure(405, emu::code::method_not_allowed, "Method not allowed for this route");
      return write(res, r, false);
    }
    mreq.method = *method;
    mreq.path = path.substr(api_prefix.size());
    if (mreq.path.empty()) mreq.path = "/";
    for (const auto& [k, v] : req.headers) mreq.headers.add(k, v);
    if (content_type) mreq.headers.set("Content-Type", *content_type);
    mreq.body = std::move(body);

    emu::Reply reply;
    {
      std::lock_guard lock(mutex_);
      reply = model_.handle(mreq, now());
    }
    if (reply.delay > Duration{0}) std::this_thread::sleep_until(arrived + reply.delay);
    write(res, reply.response, reply.delivery == emu::Delivery::disconnect);
  };

  auto plain = [serve](const httplib::Request& req, httplib::Response& res) {
    serve(req, res, req.body, std::nullopt);
  };
  auto with_body = [serve](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    auto body = read_request_body(req, reader);
    if (!body.ok) {
      int status = res.status == 413 ? 413 : 400;
      api::Response r = status == 413
                            ? emu::failure(413, emu::code::body_too_large, "Request body too large")
                            : emu::failure(400, emu::code::invalid_body, "The request body could not be read");
      res.set_header("Connection", "close");
      return write(res, r, false);
    }
    serve(req, res, std::move(body.bytes), std::move(body.multipart_type));
  };

  // Handlers match any path: "[\s\S]*", because std::regex's "." matches no newline, and a key may hold one.
  // A request without Content-Length or chunked encoding has no body (RFC 9112 §6.3), but httplib would wait for
  // one until the read timeout: answer such requests before it tries to read.
  svr.set_pre_routing_handler([plain](const httplib::Request& req, httplib::Response& res) {
    bool may_have_body = req.method == "POST" || req.method == "PUT" || req.method == "PATCH" || req.method == "DELETE";
    if (!may_have_body || req.has_header("Content-Length") || req.has_header("Transfer-Encoding"))
      return httplib::Server::HandlerResponse::Unhandled;
    plain(req, res);
    return httplib::Server::HandlerResponse::Handled;
  });
  const char* const any_path = R"([\s\S]*)";
  svr.Get(any_path, plain);
  svr.Post(any_path, with_body);
  svr.Put(any_path, with_body);
  svr.Patch(any_path, with_body);
  svr.Delete(any_path, with_body);
  svr.Post(any_path, plain);
  svr.Put(any_path, plain);
  svr.Patch(any_path, plain);
  svr.Delete(any_path, plain);
  svr.Options(any_path, [cors](const httplib::Request& req, httplib::Response& res) {
    if (req.path.starts_with(admin_prefix))
      return write_json(res, 403, {{"success", false}, {"error", "admin endpoints answer no preflight"}});
    if (!cors)
      return write(res, emu::failure(405, emu::code::method_not_allowed, "Method not allowed for this route"), false);
    add_cors(res);
    res.status = 204;
    res.set_header("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
    std::string asked = req.get_header_value("Access-Control-Request-Headers");
    res.set_header("Access-Control-Allow-Headers",
                   asked.empty() ? "Authorization, Content-Type, X-Auth-Email, X-Auth-Key" : asked);
    res.set_header("Access-Control-Max-Age", "86400");
  });

  // httplib's own errors (unparsable request, body over the limit, URI too long) become Cloudflare envelopes.
  svr.set_error_handler(
      httplib::Server::HandlerWithResponse([cors](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty() || res.content_provider_) return httplib::Server::HandlerResponse::Unhandled;
        if (cors && !req.path.starts_with(admin_prefix)) add_cors(res);
        api::Response r;
        switch (res.status) {
          case 413: r = emu::failure(413, emu::code::body_too_large, "Request body too large"); break;
          case 414: r = emu::failure(414, emu::code::no_route, "Request URI too long"); break;
          case 404: r = emu::no_route(); break;
          default: r = emu::failure(res.status, emu::code::invalid_request_headers, "Bad request"); break;
        }
        res.set_content(r.body, json_type);
        return httplib::Server::HandlerResponse::Handled;
      }));
  svr.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    // The model never throws for request content; this only guards against exhaustion (bad_alloc) and bugs.
    api::Response r = emu::failure(500, emu::code::internal_error, "Internal Server Error");
    res.status = 500;
    res.set_content(r.body, json_type);
  });
}

}  // namespace ckp::native
