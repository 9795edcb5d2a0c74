#pragma once
/// @file
/// An httplib::Server whose connections cost no thread while they wait: the accept path every local server
/// (`emulator`, `console`) uses, so that slow or idle clients cannot starve the others.
///
/// httplib 0.11 gives every accepted connection to a worker thread, which then waits for the request head (up to
/// the keep-alive timeout for the first byte, and the read timeout again for every later byte). A few hundred idle
/// or half-sent connections therefore occupy every worker and queue the real requests behind them. Here one
/// reactor thread (epoll) holds every connection until its whole request head has arrived, and only then hands it
/// to a worker; after the response, a kept-alive connection goes back to the reactor. So:
/// - a connection waits at most `idle_timeout` for the first byte of a request, and at most `header_timeout` from
///   then for the end of its head (a slow-loris drip is cut at that deadline, however often it sends a byte);
/// - a head larger than `max_header_bytes` closes the connection;
/// - at most `max_connections` connections are held; a new one beyond that closes the one that has waited longest
///   (the accept path is bounded, and a flood cannot lock newcomers out);
/// - the listen backlog is SOMAXCONN, not httplib 0.11's 5 (which also bounds the SYN queue, so a burst of
///   connects had SYNs dropped and retried seconds later);
/// - workers only ever run requests whose head is complete; body reads and writes keep httplib's per-operation
///   read and write timeouts (set_read_timeout, set_write_timeout).

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <memory>

namespace ckp::native {

/// How many connections, threads and seconds a BoundedServer allows.
struct ServerLimits {
  std::size_t workers = 32;                         ///< threads that run handlers (one request each at a time)
  std::size_t max_connections = 4096;               ///< connections held at once (waiting or being served)
  std::chrono::milliseconds idle_timeout{5000};     ///< wait for the first byte of a (next) request
  std::chrono::milliseconds header_timeout{10000};  ///< from the first byte to the end of the request head
  std::size_t max_header_bytes = 32 * 1024;         ///< request line and headers (Cloudflare allows 32 KB)
  std::size_t keep_alive_max_count = 1'000'000;     ///< requests per connection
};

class BoundedServer : public httplib::Server {
 public:
  explicit BoundedServer(ServerLimits limits = {});
  ~BoundedServer() override;
  BoundedServer(const BoundedServer&) = delete;
  BoundedServer& operator=(const BoundedServer&) = delete;

  const ServerLimits& limits() const { return limits_; }

  class Reactor;

 private:
  // httplib calls this on its accept thread for every accepted socket (its task queue here runs tasks inline).
  bool process_and_close_socket(socket_t sock) override;
  // Runs one request whose head is buffered in @p head; returns true when the connection may serve another.
  bool serve_one(int fd, std::string& buffered, bool last);
  friend class Reactor;

  ServerLimits limits_;
  std::shared_ptr<Reactor> reactor_;
};

}  // namespace ckp::native
