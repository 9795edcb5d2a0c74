#pragma once
/// @file
/// Forwards the page's `/client/v4/*` calls to the configured API base (api.cloudflare.com, or an emulator), because
/// api.cloudflare.com sends no CORS headers and a page cannot call it directly.
///
/// Only what an API call needs crosses: method, path and query (as sent, still percent-encoded), body, Content-Type
/// and Accept; back come status, body and the headers the engine reads (Content-Type, Ratelimit, Ratelimit-Policy,
/// Retry-After, expiration). When the server holds credentials it adds them and drops any the page sent, so the
/// token never reaches the browser; otherwise it passes on the page's own `Authorization` (a token typed into the
/// page). TLS certificates are verified unless the user turned that off for the whole program.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ckp/api/url.hpp"
#include "ckp/transport/httplib.hpp"

namespace ckp::native::console {

/// Where and how to forward.
struct UpstreamConfig {
  std::string base_url = "https://api.cloudflare.com/client/v4";
  transport::Credentials credentials;
  bool verify_tls = true;
  int connect_timeout_s = 10;
  int read_timeout_s = 90;
};

class UpstreamProxy {
 public:
  /// Throws std::invalid_argument when the base URL is not an absolute http(s) URL.
  explicit UpstreamProxy(UpstreamConfig config);
  UpstreamProxy(const UpstreamProxy&) = delete;
  UpstreamProxy& operator=(const UpstreamProxy&) = delete;
  ~UpstreamProxy();

  /// Forwards @p req with @p body (of type @p content_type; empty: none); @p api_target is the raw target after
  /// `/client/v4` (e.g. `/zones?page=2`). Safe to call from many server threads at once (each takes its own
  /// keep-alive connection from a pool).
  void forward(const httplib::Request& req, httplib::Response& res, std::string_view api_target, std::string body,
               const std::string& content_type);

  /// True when a raw API target is acceptable: a path of segments none of which decodes to `.` or `..` (which an
  /// upstream would resolve out of /client/v4), with no control characters or backslashes.
  static bool acceptable_target(std::string_view api_target);

  bool has_credentials() const { return !config_.credentials.empty(); }
  const UpstreamConfig& config() const { return config_; }

 private:
  std::unique_ptr<httplib::Client> acquire();
  void release(std::unique_ptr<httplib::Client> client);

  UpstreamConfig config_;
  api::Url base_;
  std::string base_path_;
  std::optional<transport::detail::ProxySetting> proxy_;
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<httplib::Client>> pool_;
};

}  // namespace ckp::native::console
