#pragma once
/// @file
/// The simulator transport: virtual time and a discrete-event queue, serving requests from an in-process server
/// model (normally the emulator's emu::Server, with its latency model, rate limits and faults).
///
/// Nothing here reads a clock or sleeps: a simulated hour takes as long as its events take to process, and the same
/// inputs and seeds give the same run, event for event. This is our version of quinn-proto's test "pair".
///
/// Example:
/// ```
/// ckp::emu::Server server(config);
/// ckp::transport::SimTransport sim(server, {.token = "t"});
/// ckp::engine::Scheduler scheduler(sim);
/// scheduler.submit(...);
/// sim.run();   // until no events remain
/// ```

#include <cstdint>
#include <functional>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "ckp/emu/server.hpp"
#include "ckp/transport/transport.hpp"

namespace ckp::transport {

/// Settings of a simulated client.
struct SimConfig {
  /// The API token the simulated client presents (added as `Authorization: Bearer …`).
  std::string token = "sim-token";
  /// Where virtual time starts: 2026-06-01T00:00:00Z, so KV expirations behave as they would today.
  Instant start = from_unix_seconds(1'780'272'000);
  /// Extra network round trip added to every exchange, on top of the server's own delay.
  Duration network_rtt{0};
};

/// A Transport in virtual time over an in-process server (see the file's comment). Never fails by itself: what a
/// request gets is what the server model answers (including its injected faults).
class SimTransport {
 public:
  /// Computes the server's reply to a request arriving at a given time.
  using Handler = std::function<emu::Reply(const api::Request&, Instant)>;

  /// Serves requests from @p server (which must outlive the transport).
  SimTransport(emu::Server& server, SimConfig config = {})
      : SimTransport([&server](const api::Request& r, Instant t) { return server.handle(r, t); }, std::move(config)) {}
  /// Serves requests from @p handler: any function from (request, arrival time) to a reply.
  explicit SimTransport(Handler handler, SimConfig config = {})
      : handler_(std::move(handler)), config_(std::move(config)), now_(config_.start) {}
  SimTransport(const SimTransport&) = delete;
  SimTransport& operator=(const SimTransport&) = delete;

  /// Virtual time: SimConfig::start, advanced by step() to each event's time.
  Instant now() const { return now_; }

  /// The server handles the request at once (it arrives now); the response is delivered after the server's delay
  /// plus the network round trip. A `disconnect` reply arrives as TransportFailure::reset.
  void send(api::Request request, ResponseHandler on_response) {
    ++requests_;
    request.headers.set("Authorization", "Bearer " + config_.token);
    emu::Reply reply = handler_(request, now_);
    api::Response response =
        reply.delivery == emu::Delivery::disconnect
            ? api::Response::failed(api::TransportFailure::reset, "connection closed by the server")
            : std::move(reply.response);
    schedule(now_ + reply.delay + config_.network_rtt,
             [h = std::move(on_response), r = std::move(response)]() mutable { h(std::move(r)); });
  }

  /// Queues @p fn as an event @p delay from now (a negative delay counts as zero).
  void after(Duration delay, TimerHandler fn) { schedule(now_ + std::max(delay, Duration{0}), std::move(fn)); }

  /// Runs the earliest event, advancing virtual time to it. False when no event is left.
  bool step() {
    if (events_.empty()) return false;
    Event e = std::move(const_cast<Event&>(events_.top()));
    events_.pop();
    now_ = std::max(now_, e.at);
    ++events_run_;
    e.fn();
    return true;
  }

  /// Runs until no event is left.
  void run() {
    while (step()) {
    }
  }

  /// Runs until @p done() holds or no event is left; returns done().
  bool run_until(const std::function<bool()>& done) {
    while (!done() && step()) {
    }
    return done();
  }

  /// Runs every event due before @p deadline, then sets the clock to it (used to "kill" a run at a moment).
  void run_until_time(Instant deadline) {
    while (!events_.empty() && events_.top().at <= deadline) step();
    now_ = std::max(now_, deadline);
  }

  /// Drops every pending event: in-flight requests never answer, timers never fire (a process killed mid-run).
  void discard_pending() { events_ = {}; }

  /// Requests sent so far.
  std::uint64_t requests() const { return requests_; }
  /// Events run so far (responses delivered and timers fired).
  std::uint64_t events_run() const { return events_run_; }
  /// Events waiting to run.
  std::size_t pending() const { return events_.size(); }

 private:
  struct Event {
    Instant at;
    std::uint64_t seq;  // ties resolve in scheduling order, so runs repeat exactly
    std::function<void()> fn;
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  void schedule(Instant at, std::function<void()> fn) { events_.push({at, next_seq_++, std::move(fn)}); }

  Handler handler_;
  SimConfig config_;
  Instant now_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  std::uint64_t next_seq_ = 0;
  std::uint64_t requests_ = 0;
  std::uint64_t events_run_ = 0;
};

static_assert(Transport<SimTransport>);

}  // namespace ckp::transport
