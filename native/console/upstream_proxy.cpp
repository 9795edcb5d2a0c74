#include "console/upstream_proxy.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <array>

#include "ckp/version.hpp"

namespace ckp::native::console {

namespace {

/// Response headers worth passing back to the page's engine.
constexpr std::array<std::string_view, 6> passed_back = {"Content-Type", "Ratelimit",  "Ratelimit-Policy",
                                                         "Retry-After",  "expiration", "CF-Ray"};

/// A Cloudflare-shaped error envelope, so the page's engine reads a proxy failure like any other.
std::string envelope_error(const std::string& message) {
  nlohmann::json j{{"success", false},
                   {"errors", {{{"code", 0}, {"message", message}}}},
                   {"messages", nlohmann::json::array()},
                   {"result", nullptr}};
  return j.dump();
}

/// Why the upstream could not be reached, in words.
std::string describe(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection: return "the connection was refused or the host is unreachable";
    case httplib::Error::ConnectionTimeout: return "the connection timed out";
    case httplib::Error::Read: return "the connection broke while reading the answer (or it timed out)";
    case httplib::Error::Write: return "the connection broke while sending the request";
    case httplib::Error::SSLConnection: return "the TLS handshake failed";
    case httplib::Error::SSLLoadingCerts: return "the system's CA certificates could not be loaded";
    case httplib::Error::SSLServerVerification: return "its TLS certificate could not be verified";
    default: return httplib::to_string(e);
  }
}

}  // namespace

UpstreamProxy::UpstreamProxy(UpstreamConfig config) : config_(std::move(config)) {
  auto url = api::parse_url(config_.base_url);
  if (!url) throw std::invalid_argument("API base URL '" + config_.base_url + "' is not an absolute http(s) URL");
  base_ = *url;
  base_path_ = base_.path;
  while (!base_path_.empty() && base_path_.back() == '/') base_path_.pop_back();
  proxy_ = transport::detail::proxy_for(base_);
}

UpstreamProxy::~UpstreamProxy() = default;

bool UpstreamProxy::acceptable_target(std::string_view target) {
  if (target.empty() || target.front() != '/') return false;
  for (char c : target)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\' || c == '#') return false;
  std::string_view path = target.substr(0, target.find('?'));
  while (!path.empty()) {
    path.remove_prefix(1);  // the '/'
    const auto slash = path.find('/');
    // "%2e%2e" is "..", too: RFC 3986 lets a server decode unreserved characters before resolving dot segments.
    auto decoded = api::url_decode(path.substr(0, slash));
    if (!decoded || *decoded == "." || *decoded == "..") return false;
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return true;
}

std::unique_ptr<httplib::Client> UpstreamProxy::acquire() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!pool_.empty()) {
      auto c = std::move(pool_.back());
      pool_.pop_back();
      return c;
    }
  }
  auto client =
      std::make_unique<httplib::Client>(fmt::format("{}://{}:{}", base_.scheme, base_.host, base_.effective_port()));
  client->set_connection_timeout(config_.connect_timeout_s, 0);
  client->set_read_timeout(config_.read_timeout_s, 0);
  client->set_write_timeout(config_.read_timeout_s, 0);
  client->set_keep_alive(true);
  client->set_follow_location(false);
  client->enable_server_certificate_verification(config_.verify_tls);
  transport::detail::use_proxy(*client, proxy_);
  return client;
}

void UpstreamProxy::release(std::unique_ptr<httplib::Client> client) {
  std::lock_guard lock(pool_mutex_);
  if (pool_.size() < 64) pool_.push_back(std::move(client));
}

void UpstreamProxy::forward(const httplib::Request& req, httplib::Response& res, std::string_view api_target,
                            std::string body, const std::string& content_type) {
  httplib::Request out;
  out.method = req.method;
  out.path = base_path_ + std::string(api_target);
  out.body = std::move(body);
  // headers.emplace, not set_header: set_header silently drops a value with CR or LF, and the request would go out
  // without it (a token lost, a confusing 401). Every value is checked below instead.
  auto& h = out.headers;
  if (!content_type.empty()) h.emplace("Content-Type", content_type);
  if (req.has_header("Accept")) h.emplace("Accept", req.get_header_value("Accept"));
  const auto& c = config_.credentials;
  if (!c.token.empty()) {
    h.emplace("Authorization", "Bearer " + c.token);
  } else if (!c.api_key.empty() && !c.email.empty()) {
    h.emplace("X-Auth-Key", c.api_key);
    h.emplace("X-Auth-Email", c.email);
  } else {
    // No server-side credentials: the page's own (a token typed into it) pass through.
    for (const char* name : {"Authorization", "X-Auth-Key", "X-Auth-Email"})
      if (req.has_header(name)) h.emplace(name, req.get_header_value(name));
  }
  h.emplace("User-Agent", std::string("cache-kv-purger-console/") + ckp::version);
  if (auto bad = transport::detail::header_problem(h)) {
    res.status = 400;
    res.set_content(envelope_error("the console did not forward the request: " + *bad), "application/json");
    return;
  }

  auto client = acquire();
  httplib::Result result = client->send(out);
  if (!result) {
    res.status = 502;
    res.set_content(envelope_error(fmt::format("the console could not reach {}://{}: {}", base_.scheme, base_.host,
                                               describe(result.error()))),
                    "application/json");
    return;  // the client is dropped: a fresh connection next time
  }
  res.status = result->status;
  for (auto name : passed_back) {
    const std::string key(name);
    if (result->has_header(key)) res.set_header(key, result->get_header_value(key));
  }
  res.body = std::move(result->body);
  release(std::move(client));
}

}  // namespace ckp::native::console
