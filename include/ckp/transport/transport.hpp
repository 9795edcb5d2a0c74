#pragma once
/// @file
/// The Transport concept: the only way the engine reaches the network, the clock and timers.
///
/// A transport sends a Request and later calls the handler with the Response (or a transport failure), gives the
/// current time, and runs a function after a delay. Every handler runs on the transport's own loop, one at a time,
/// so the engine is single-threaded. Three models ship: transport/httplib.hpp (native threads), transport/fetch.hpp
/// (the browser's event loop) and transport/sim.hpp (virtual time).
///
/// Example, a transport that answers every request with 200 at once:
/// ```
/// struct Echo {
///   ckp::Instant t{};
///   ckp::Instant now() const { return t; }
///   void send(ckp::api::Request, ckp::transport::ResponseHandler h) { ckp::api::Response r; r.status = 200; h(r); }
///   void after(ckp::Duration, ckp::transport::TimerHandler fn) { fn(); }
/// };
/// static_assert(ckp::transport::Transport<Echo>);
/// ```

#include <concepts>
#include <functional>
#include <utility>

#include "ckp/api/http.hpp"
#include "ckp/api/time.hpp"

namespace ckp::transport {

/// Called once with the outcome of a request.
using ResponseHandler = std::function<void(api::Response)>;
/// Called once when a timer fires.
using TimerHandler = std::function<void()>;

/// What the engine needs from a transport:
/// - `now()`: the current Instant (Unix-epoch based; virtual in a simulator). It must never go backwards.
/// - `send(request, on_response)`: sends @p request (adding credentials and the base URL) and later calls
///   `on_response` exactly once with the Response — or with Response::failed() when no HTTP response arrived; a
///   transport never throws for a failed request. Preferably not from inside send() itself.
/// - `after(delay, fn)`: calls `fn` once, no earlier than @p delay from now. Timers are never cancelled.
/// Every handler runs on the loop that runs the engine, one at a time.
///
/// Example: see the file's comment, and docs/examples/custom_transport.cpp for a transport that wraps another.
template <class T>
concept Transport = requires(T& t, api::Request request, ResponseHandler on_response, Duration delay, TimerHandler fn) {
  { t.now() } -> std::same_as<Instant>;
  t.send(std::move(request), std::move(on_response));
  t.after(delay, std::move(fn));
};

/// A non-owning, type-erased reference to any Transport, so that the engine's classes need not be templates.
/// The referenced transport must outlive the reference.
class TransportRef {
 public:
  /// Refers to @p t, which must outlive this reference and its copies.
  template <Transport T>
    requires(!std::same_as<T, TransportRef>)  // copying a TransportRef must copy it, not wrap it
  TransportRef(T& t)  // NOLINT(google-explicit-constructor): a reference wrapper, like std::function_ref
      : self_(&t), now_([](void* s) { return static_cast<T*>(s)->now(); }),
        send_([](void* s, api::Request r, ResponseHandler h) { static_cast<T*>(s)->send(std::move(r), std::move(h)); }),
        after_([](void* s, Duration d, TimerHandler f) { static_cast<T*>(s)->after(d, std::move(f)); }) {}

  /// The referenced transport's now().
  Instant now() const { return now_(self_); }
  /// Forwards to the referenced transport's send().
  void send(api::Request request, ResponseHandler on_response) const {
    send_(self_, std::move(request), std::move(on_response));
  }
  /// Forwards to the referenced transport's after().
  void after(Duration delay, TimerHandler fn) const { after_(self_, delay, std::move(fn)); }

 private:
  void* self_;
  Instant (*now_)(void*);
  void (*send_)(void*, api::Request, ResponseHandler);
  void (*after_)(void*, Duration, TimerHandler);
};

static_assert(Transport<TransportRef>);

}  // namespace ckp::transport
