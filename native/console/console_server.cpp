#include "console/console_server.hpp"

#include <httplib.h>

#include <fstream>
#include <iterator>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "ckp/version.hpp"
#include "common/bounded_server.hpp"
#include "common/http_server.hpp"
#include "console/request_guard.hpp"

namespace ckp::native::console {

namespace {

constexpr std::string_view api_prefix = "/client/v4";

/// The page's Content-Security-Policy: its own scripts and the wasm engine, nothing from elsewhere.
constexpr const char* page_csp =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

RequestFacts facts_of(const httplib::Request& req) {
  return {req.get_header_value("Host"), req.get_header_value("Origin"), req.get_header_value("Sec-Fetch-Site"),
          req.get_header_value(std::string(secret_header).c_str())};
}

void refuse(httplib::Response& res, int status, const std::string& why) {
  res.status = status;
  nlohmann::json j{{"success", false},
                   {"errors", {{{"code", 0}, {"message", "console: " + why}}}},
                   {"messages", nlohmann::json::array()},
                   {"result", nullptr}};
  res.set_content(j.dump(), "application/json");
}

void security_headers(httplib::Response& res) {
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Cache-Control", "no-store");
  res.set_header("Cross-Origin-Resource-Policy", "same-origin");
}

}  // namespace

ConsoleServer::ConsoleServer(ServerOptions options)
    : options_(std::move(options)), proxy_(options_.upstream),
      http_(std::make_unique<BoundedServer>(
          ServerLimits{.workers = options_.threads, .max_connections = options_.max_connections})) {
  install_routes();
}

ConsoleServer::~ConsoleServer() = default;

int ConsoleServer::bind(int port) {
  port_ = port == 0 ? http_->bind_to_any_port("127.0.0.1") : (http_->bind_to_port("127.0.0.1", port) ? port : -1);
  return port_;
}

bool ConsoleServer::listen() { return http_->listen_after_bind(); }

void ConsoleServer::stop() { http_->stop(); }

std::string ConsoleServer::url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/#secret=" + options_.secret;
}

void ConsoleServer::install_routes() {
  auto& svr = *http_;
  svr.set_payload_max_length(110u * 1024 * 1024);  // a KV bulk write may be 100 MB

  // Every request: Host, Origin and Sec-Fetch-Site first; API calls and the config also need the secret.
  svr.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    security_headers(res);
    const RequestFacts facts = facts_of(req);
    const bool api = req.path.starts_with(std::string(api_prefix) + "/") || req.path == "/console/config";
    const Verdict v = api ? check_api_request(facts, port_, options_.secret) : check_browser_context(facts, port_);
    if (v == Verdict::ok) return httplib::Server::HandlerResponse::Unhandled;
    refuse(res, 403, describe(v));
    return httplib::Server::HandlerResponse::Handled;
  });

  svr.Get("/console/config", [this](const httplib::Request&, httplib::Response& res) {
    nlohmann::json j{{"version", ckp::version},
                     {"server_credentials", proxy_.has_credentials()},
                     {"account_id", options_.account_id},
                     {"api_base", options_.upstream.base_url},
                     {"api_path", std::string(api_prefix)}};
    res.set_content(j.dump(), "application/json");
  });

  // The raw target keeps key names percent-encoded (a key "a/b" travels as one segment, a%2Fb).
  auto target_of = [](const httplib::Request& req) -> std::optional<std::string_view> {
    std::string_view target = req.target;
    if (!target.starts_with(api_prefix)) return std::nullopt;
    target.remove_prefix(api_prefix.size());
    if (!UpstreamProxy::acceptable_target(target)) return std::nullopt;
    return target;
  };
  auto forward = [this, target_of](const httplib::Request& req, httplib::Response& res) {
    auto target = target_of(req);
    if (!target) return refuse(res, 400, "this API path is not allowed");
    proxy_.forward(req, res, *target, {}, {});
  };
  auto forward_body = [this, target_of](const httplib::Request& req, httplib::Response& res,
                                        const httplib::ContentReader& reader) {
    auto target = target_of(req);
    if (!target) return refuse(res, 400, "this API path is not allowed");
    auto body = read_request_body(req, reader);
    if (!body.ok) return refuse(res, res.status == 413 ? 413 : 400, "the request body could not be read");
    proxy_.forward(req, res, *target, std::move(body.bytes),
                   body.multipart_type.value_or(req.get_header_value("Content-Type")));
  };
  const std::string api_pattern = std::string(api_prefix) + "/.*";
  svr.Get(api_pattern, forward);
  svr.Post(api_pattern, forward_body);
  svr.Put(api_pattern, forward_body);
  svr.Patch(api_pattern, forward_body);
  svr.Delete(api_pattern, forward_body);  // the legacy bulk delete has a body

  svr.Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
    auto file = resolve_static(options_.roots, req.path);
    if (!file) {
      res.status = 404;
      res.set_content("not found\n", "text/plain; charset=utf-8");
      return;
    }
    std::ifstream in(file->path, std::ios::binary);
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (file->content_type.starts_with("text/html")) res.set_header("Content-Security-Policy", page_csp);
    res.set_content(std::move(body), file->content_type.c_str());
  });
}

}  // namespace ckp::native::console
