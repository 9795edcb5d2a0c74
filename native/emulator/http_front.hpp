#pragma once
/// @file
/// The HTTP front of the emulator: serves the emu::Server model on 127.0.0.1 with cpp-httplib under /client/v4,
/// plus admin endpoints under /__emulator. One mutex serializes the model; latency is slept outside it, so slow
/// answers never block other requests.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ckp/emu/server.hpp"

namespace httplib {
class Server;
struct Request;
}  // namespace httplib

namespace ckp::native {

/// The header that carries the admin secret on state-changing admin calls (`POST /__emulator/reset`, `/clock`).
inline constexpr std::string_view admin_secret_header = "X-Emulator-Admin";

/// How the front behaves.
struct FrontOptions {
  bool cors = false;                             ///< add CORS headers (never on admin endpoints) and answer preflights
  std::size_t threads = 128;                     ///< worker threads: each serves one request at a time
  std::size_t max_body = 128u * 1024 * 1024;     ///< larger bodies get 413 before reaching the model
  std::size_t max_connections = 4096;            ///< open connections; beyond, the longest-waiting one is closed
  std::chrono::milliseconds idle_timeout{5000};  ///< a connection's wait for the first byte of a request
  std::chrono::milliseconds header_timeout{10000};  ///< from that first byte to the end of the request head
  std::chrono::seconds read_timeout{5};             ///< one read or write of a body
};

/// Serves a model over HTTP. Connections wait for their request head without holding a thread (bounded_server.hpp).
/// Every response carries `CF-Ray`, `Date` and `Server: cloudflare`; JSON bodies are `application/json;
/// charset=utf-8`.
///
/// Admin endpoints (outside /client/v4) answer only to a loopback `Host` with this port, refuse any foreign `Origin`
/// or cross-site `Sec-Fetch-Site` (403), never carry CORS headers (not even with --cors), and `POST`s need the
/// header `X-Emulator-Admin: <admin_secret()>`:
/// - `GET /__emulator/stats`: counters (Server::stats_json)
/// - `GET /__emulator/purges`: the purge log
/// - `GET /__emulator/keys?namespace=ID&prefix=P`: the live key names (no auth, rate limit or faults; for tests)
/// - `POST /__emulator/reset`: empties the model, then runs the reseed hook (the start state comes back)
/// - `GET /__emulator/info`: the start information
/// - `POST /__emulator/clock?advance=SECONDS`: moves the emulator's clock forward (key expiry, windows)
class HttpFront {
 public:
  /// @p reseed runs (under the model lock) after every reset. @p info is what /__emulator/info returns.
  HttpFront(emu::Server& model, FrontOptions options, std::function<void(emu::Server&)> reseed, nlohmann::json info);
  ~HttpFront();
  HttpFront(const HttpFront&) = delete;
  HttpFront& operator=(const HttpFront&) = delete;

  /// Binds 127.0.0.1:@p port (0 = any free port). Returns the bound port, or -1.
  int bind(int port);
  /// Serves until stop(). Returns false when the server failed.
  bool listen();
  /// Stops listen() (safe from another thread).
  void stop();
  /// Replaces the info document.
  void set_info(nlohmann::json info);
  /// The model's current time: the wall clock plus any admin clock advance.
  Instant now() const;
  /// The per-start secret that state-changing admin calls carry in `X-Emulator-Admin` (64 hex digits).
  const std::string& admin_secret() const { return admin_secret_; }

 private:
  void install_routes();
  /// Why an admin request is refused, or nothing.
  std::optional<std::string> admin_refusal(const httplib::Request& req) const;

  emu::Server& model_;
  FrontOptions options_;
  std::function<void(emu::Server&)> reseed_;
  nlohmann::json info_;
  std::mutex mutex_;  // guards model_ and info_
  std::atomic<std::int64_t> clock_offset_us_{0};
  std::string admin_secret_;
  int port_ = -1;
  std::unique_ptr<httplib::Server> http_;
};

}  // namespace ckp::native
