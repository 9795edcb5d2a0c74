#pragma once
/// @file
/// The browser transport, on Emscripten's fetch API: requests go out as asynchronous XMLHttpRequests on the
/// browser's event loop, timers are `setTimeout`, and every handler runs on that one loop — so the engine stays
/// single-threaded, exactly as with the native and simulated transports.
///
/// Time is the Unix epoch (`Date.now()`, read once) advanced by the monotonic `performance.now()`, so that a clock
/// change on the machine never distorts the engine's timers and rate windows.
///
/// Credentials are added here, at the edge, as with transport/httplib.hpp. In the browser console the API base is
/// normally the console server's same-origin proxy (`/client/v4`); the token is then either held by that server
/// (the page sends none) or typed into the page and kept in this object's memory only.
///
/// Compiled only by Emscripten (link with `-sFETCH=1`; `-sFETCH_SUPPORT_INDEXEDDB=0` keeps IndexedDB out of it).
///
/// Example:
/// ```
/// ckp::transport::FetchTransport fetch({.base_url = "/client/v4", .extra_headers = {{"X-Ckp-Console", secret}}});
/// ckp::engine::Scheduler scheduler(fetch);
/// ckp::ops::KvDelete op(scheduler, spec, options);
/// op.start();  // returns at once; the browser's event loop drives it from here
/// ```

#ifndef __EMSCRIPTEN__
#error "ckp/transport/fetch.hpp needs Emscripten (it uses emscripten_fetch and the browser's event loop)"
#endif

#include <emscripten/emscripten.h>
#include <emscripten/eventloop.h>
#include <emscripten/fetch.h>
#include <emscripten/html5.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ckp/transport/transport.hpp"

namespace ckp::transport {

/// Settings of a FetchTransport.
struct FetchConfig {
  /// The API base: an absolute URL, or a path on the page's own origin (the console proxy's `/client/v4`).
  std::string base_url = "/client/v4";
  /// An API token to send as `Authorization: Bearer …`; empty when a proxy adds the credentials.
  std::string token;
  /// Extra headers on every request (e.g. the console server's per-launch secret).
  std::vector<std::pair<std::string, std::string>> extra_headers;
  /// A request that has not completed after this long fails with TransportFailure::timeout.
  Duration timeout = std::chrono::seconds(90);
};

namespace detail {

/// Parses `getAllResponseHeaders()` text ("name: value\r\n" lines) into @p out.
inline void parse_response_headers(std::string_view text, api::Headers& out) {
  while (!text.empty()) {
    auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    out.add(std::string(line.substr(0, colon)), std::string(value));
  }
}

/// Counters shared between a transport and its requests in flight (which may outlive it).
struct FetchShared {
  int in_flight = 0;
  bool in_send = false;  ///< set while emscripten_fetch() runs: a completion then must not run inside send()
};

/// One request in flight: owns everything emscripten_fetch() points into until it completes.
struct FetchCall {
  ResponseHandler handler;
  std::string url;
  std::string body;
  std::vector<std::string> header_storage;   ///< name, value, name, value, …
  std::vector<const char*> header_pointers;  ///< into header_storage, null-terminated
  double started_ms = 0;
  double timeout_ms = 0;
  std::shared_ptr<FetchShared> shared;
};

/// A timer's function, owned until it fires.
struct FetchTimer {
  TimerHandler fn;
};

inline void run_timer(void* user) {
  std::unique_ptr<FetchTimer> timer(static_cast<FetchTimer*>(user));
  timer->fn();
}

/// Delivers a completion; when it arrived synchronously (inside send()), on the next turn of the event loop.
inline void deliver(std::unique_ptr<FetchCall> call, api::Response response) {
  auto shared = call->shared;
  if (shared->in_send) {
    auto* timer = new FetchTimer{[c = std::shared_ptr<FetchCall>(std::move(call)), r = std::move(response)]() mutable {
      --c->shared->in_flight;
      c->handler(std::move(r));
    }};
    emscripten_set_timeout(run_timer, 0, timer);
    return;
  }
  --shared->in_flight;
  call->handler(std::move(response));
}

/// Turns a finished emscripten_fetch_t into a Response and closes it.
inline void on_fetch_done(emscripten_fetch_t* fetch) {
  std::unique_ptr<FetchCall> call(static_cast<FetchCall*>(fetch->userData));
  api::Response response;
  const unsigned status = fetch->status;
  if (status == 0 || status == 0xffff) {
    const double elapsed = emscripten_get_now() - call->started_ms;
    if (status == 0xffff) response = api::Response::failed(api::TransportFailure::cancelled, "the request was aborted");
    else if (call->timeout_ms > 0 && elapsed + 50 >= call->timeout_ms)
      response = api::Response::failed(api::TransportFailure::timeout,
                                       "no answer within " +
                                           std::to_string(static_cast<long>(call->timeout_ms / 1000)) + " s");
    else
      response = api::Response::failed(api::TransportFailure::connect,
                                       "the browser could not reach " + call->url + " (network error or blocked)");
  } else {
    response.status = static_cast<int>(status);
    if (fetch->data && fetch->numBytes) response.body.assign(fetch->data, static_cast<std::size_t>(fetch->numBytes));
    const std::size_t length = emscripten_fetch_get_response_headers_length(fetch);
    if (length > 0) {
      std::string text(length, '\0');
      emscripten_fetch_get_response_headers(fetch, text.data(), length);
      text.resize(std::strlen(text.c_str()));
      parse_response_headers(text, response.headers);
    }
  }
  emscripten_fetch_close(fetch);
  deliver(std::move(call), std::move(response));
}

}  // namespace detail

/// A Transport on the browser's event loop (see the file comment).
class FetchTransport {
 public:
  /// A transport with @p config (a trailing `/` of the base URL is dropped). Never fails: a request that cannot
  /// be made fails later, through its handler.
  explicit FetchTransport(FetchConfig config) : config_(std::move(config)) {
    while (!config_.base_url.empty() && config_.base_url.back() == '/') config_.base_url.pop_back();
    epoch_ms_ = emscripten_date_now() - emscripten_get_now();
  }
  FetchTransport(const FetchTransport&) = delete;
  FetchTransport& operator=(const FetchTransport&) = delete;

  /// Unix-epoch time that advances with the monotonic clock.
  Instant now() const {
    const double ms = epoch_ms_ + emscripten_get_now();
    return Instant{Duration{static_cast<Duration::rep>(ms * 1000.0)}};
  }

  /// Starts @p request; @p on_response runs later on the event loop, never inside this call.
  void send(api::Request request, ResponseHandler on_response) {
    auto call = std::make_unique<detail::FetchCall>();
    call->handler = std::move(on_response);
    call->url = config_.base_url + request.target();
    call->body = std::move(request.body);
    call->shared = shared_;
    for (const auto& [k, v] : request.headers) call->header_storage.insert(call->header_storage.end(), {k, v});
    if (!config_.token.empty())
      call->header_storage.insert(call->header_storage.end(), {"Authorization", "Bearer " + config_.token});
    for (const auto& [k, v] : config_.extra_headers) call->header_storage.insert(call->header_storage.end(), {k, v});
    if (!request.headers.has("Accept"))
      call->header_storage.insert(call->header_storage.end(), {"Accept", "application/json"});
    for (const auto& s : call->header_storage) call->header_pointers.push_back(s.c_str());
    call->header_pointers.push_back(nullptr);

    emscripten_fetch_attr_t attr;
    emscripten_fetch_attr_init(&attr);
    const std::string_view method = api::to_string(request.method);
    std::memcpy(attr.requestMethod, method.data(), method.size());
    attr.requestMethod[method.size()] = '\0';
    // REPLACE: always from the network, never from Emscripten's IndexedDB cache.
    attr.attributes = EMSCRIPTEN_FETCH_LOAD_TO_MEMORY | EMSCRIPTEN_FETCH_REPLACE;
    attr.onsuccess = detail::on_fetch_done;
    attr.onerror = detail::on_fetch_done;
    attr.requestHeaders = call->header_pointers.data();
    if (!call->body.empty()) {
      attr.requestData = call->body.data();
      attr.requestDataSize = call->body.size();
    }
    call->timeout_ms =
        static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(config_.timeout).count());
    attr.timeoutMSecs = static_cast<unsigned long>(call->timeout_ms);
    call->started_ms = emscripten_get_now();
    const std::string url = call->url;
    auto* raw = call.release();  // owned by the fetch until on_fetch_done
    attr.userData = raw;
    ++shared_->in_flight;
    shared_->in_send = true;
    emscripten_fetch_t* started = emscripten_fetch(&attr, url.c_str());
    if (!started) {  // refused before anything was sent (out of memory): fail it, asynchronously as always
      detail::deliver(std::unique_ptr<detail::FetchCall>(raw),
                      api::Response::failed(api::TransportFailure::other, "the browser refused to start the request"));
    }
    shared_->in_send = false;
  }

  /// Runs @p fn after @p delay (a browser timer; never inside this call).
  void after(Duration delay, TimerHandler fn) {
    const double ms = std::max(0.0, static_cast<double>(delay.count()) / 1000.0);
    emscripten_set_timeout(detail::run_timer, ms, new detail::FetchTimer{std::move(fn)});
  }

  /// Replaces the token sent with later requests (empty: send none).
  void set_token(std::string token) { config_.token = std::move(token); }
  /// Whether a token is set (requests then carry `Authorization`).
  bool has_token() const { return !config_.token.empty(); }
  /// Requests sent and not yet answered.
  int in_flight() const { return shared_->in_flight; }
  /// The settings in force.
  const FetchConfig& config() const { return config_; }

 private:
  FetchConfig config_;
  double epoch_ms_ = 0;
  std::shared_ptr<detail::FetchShared> shared_ = std::make_shared<detail::FetchShared>();
};

static_assert(Transport<FetchTransport>);

}  // namespace ckp::transport
