#include "emulator/http_front.hpp"

#include <httplib.h>

#include <thread>
#include <utility>
#include <vector>

#include "ckp/api/url.hpp"
#include "ckp/emu/respond.hpp"
#include "common/http_server.hpp"

namespace ckp::native {

namespace {

constexpr std::string_view api_prefix = "/client/v4";
constexpr std::string_view admin_prefix = "/__emulator/";

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
  std::string type = "application/json";
  for (const auto& [k, v] : r.headers) {
    if (api::iequals(k, "Content-Type")) type = v;
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
  res.set_content(emu::dump_json(j), "application/json");
}

}  // namespace

HttpFront::HttpFront(emu::Server& model, FrontOptions options, std::function<void(emu::Server&)> reseed,
                     nlohmann::json info)
    : model_(model), options_(options), reseed_(std::move(reseed)), info_(std::move(info)),
      http_(std::make_unique<httplib::Server>()) {
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
  if (port == 0) return http_->bind_to_any_port("127.0.0.1");
  return http_->bind_to_port("127.0.0.1", port) ? port : -1;
}

bool HttpFront::listen() { return http_->listen_after_bind(); }

void HttpFront::stop() { http_->stop(); }

void HttpFront::install_routes() {
  httplib::Server& svr = *http_;
  std::size_t threads = options_.threads == 0 ? 1 : options_.threads;
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  svr.set_keep_alive_max_count(1'000'000);
  svr.set_tcp_nodelay(true);
  svr.set_payload_max_length(options_.max_body);
  bool cors = options_.cors;

  // The core: one request to the model, answered after the model's delay.
  auto serve = [this, cors](const httplib::Request& req, httplib::Response& res, std::string body,
                            std::optional<std::string> content_type) {
    auto arrived = std::chrono::steady_clock::now();
    if (cors) add_cors(res);
    std::string path;
    api::Request mreq;
    split_target(req.target, path, mreq.query);

    if (path.compare(0, admin_prefix.size(), admin_prefix) == 0) {
      std::string_view what = std::string_view(path).substr(admin_prefix.size());
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

  // A request without Content-Length or chunked encoding has no body (RFC 9112 §6.3), but httplib would wait for
  // one until the read timeout: answer such requests before it tries to read.
  svr.set_pre_routing_handler([plain](const httplib::Request& req, httplib::Response& res) {
    bool may_have_body = req.method == "POST" || req.method == "PUT" || req.method == "PATCH" || req.method == "DELETE";
    if (!may_have_body || req.has_header("Content-Length") || req.has_header("Transfer-Encoding"))
      return httplib::Server::HandlerResponse::Unhandled;
    plain(req, res);
    return httplib::Server::HandlerResponse::Handled;
  });
  svr.Get(".*", plain);
  svr.Post(".*", with_body);
  svr.Put(".*", with_body);
  svr.Patch(".*", with_body);
  svr.Delete(".*", with_body);
  svr.Post(".*", plain);
  svr.Put(".*", plain);
  svr.Patch(".*", plain);
  svr.Delete(".*", plain);
  svr.Options(".*", [cors](const httplib::Request& req, httplib::Response& res) {
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
  svr.set_error_handler(httplib::Server::HandlerWithResponse([cors](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty() || res.content_provider_) return httplib::Server::HandlerResponse::Unhandled;
    if (cors) add_cors(res);
    api::Response r;
    switch (res.status) {
      case 413: r = emu::failure(413, emu::code::body_too_large, "Request body too large"); break;
      case 414: r = emu::failure(414, emu::code::no_route, "Request URI too long"); break;
      case 404: r = emu::no_route(); break;
      default: r = emu::failure(res.status, emu::code::invalid_request_headers, "Bad request"); break;
    }
    res.set_content(r.body, "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }));
  svr.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    // The model never throws for request content; this only guards against exhaustion (bad_alloc) and bugs.
    api::Response r = emu::failure(500, emu::code::internal_error, "Internal Server Error");
    res.status = 500;
    res.set_content(r.body, "application/json");
  });
}

}  // namespace ckp::native
