#pragma once
/// @file
/// The HTTP server behind `cache-kv-purger console`: on 127.0.0.1 only, it serves the page and the WebAssembly
/// engine (static_files.hpp), answers `GET /console/config` (what the page needs to know — never a credential) and
/// forwards `/client/v4/*` to the API (upstream_proxy.hpp). Every request passes request_guard.hpp's checks first.
/// Connections wait for their request head without holding a thread, with idle and header deadlines
/// (common/bounded_server.hpp), so idle or slow clients cannot starve the page.

#include <memory>
#include <string>

#include "console/static_files.hpp"
#include "console/upstream_proxy.hpp"

namespace httplib {
class Server;
}

namespace ckp::native::console {

/// Everything the server needs.
struct ServerOptions {
  StaticRoots roots;
  UpstreamConfig upstream;
  std::string account_id;              ///< the configured account, if any (the page preselects it)
  std::string secret;                  ///< the per-launch secret (request_guard.hpp)
  std::size_t threads = 32;            ///< workers: each runs one request whose head has fully arrived
  std::size_t max_connections = 1024;  ///< open connections; beyond, the longest-waiting one is closed
};

class ConsoleServer {
 public:
  /// Throws std::invalid_argument when the upstream base URL is unusable.
  explicit ConsoleServer(ServerOptions options);
  ~ConsoleServer();
  ConsoleServer(const ConsoleServer&) = delete;
  ConsoleServer& operator=(const ConsoleServer&) = delete;

  /// Binds 127.0.0.1:@p port (0 = any free port). Returns the bound port, or -1.
  int bind(int port);
  /// Serves until stop(). Returns false when the server failed.
  bool listen();
  /// Stops listen() (safe from another thread).
  void stop();

  /// The URL to open: the page, with the secret in its fragment.
  std::string url() const;
  int port() const { return port_; }

 private:
  void install_routes();

  ServerOptions options_;
  UpstreamProxy proxy_;
  std::unique_ptr<httplib::Server> http_;
  int port_ = -1;
};

}  // namespace ckp::native::console
