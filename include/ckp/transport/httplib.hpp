#pragma once
/// @file
/// The native transport, on cpp-httplib: worker threads each holding a keep-alive client; completions are posted
/// back to the engine's loop, which runs in the thread that calls run_until() — so the engine stays single-threaded.
///
/// TLS certificates are always verified for https (system CA bundle) unless the caller explicitly turns it off.
/// `HTTPS_PROXY` / `HTTP_PROXY` (and `NO_PROXY`) are honoured, with `user:password@` for proxy Basic auth.
/// Credentials are added here, at the edge, so they never pass through the engine, its journal or its logs.
///
/// Every request ends within its timeout, as a whole: cpp-httplib's own timeouts are per read, so a server that
/// trickles a byte at a time (headers or body) would hold a request forever; a watchdog thread stops the client of
/// any request past its deadline. A header value holding a control character is never sent.
///
/// Needs cpp-httplib (Debian: libcpp-httplib-dev; link with pkg-config `cpp-httplib`).
///
/// Example:
/// ```
/// ckp::transport::HttplibTransport http({.base_url = "https://api.cloudflare.com/client/v4",
///                                        .credentials = {.token = getenv("CLOUDFLARE_API_TOKEN")}});
/// ckp::engine::Scheduler scheduler(http);
/// ```

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "ckp/api/url.hpp"
#include "ckp/api/validate.hpp"
#include "ckp/transport/transport.hpp"
#include "ckp/version.hpp"

namespace ckp::transport {

/// How to authenticate: an API token, or a legacy global API key with its e-mail.
struct Credentials {
  std::string token;    ///< an API token, sent as `Authorization: Bearer …` (wins when set)
  std::string api_key;  ///< a legacy global API key, sent as `X-Auth-Key`
  std::string email;    ///< the e-mail that goes with api_key, sent as `X-Auth-Email`
  /// True when neither a token nor a complete key + e-mail pair is set.
  bool empty() const { return token.empty() && (api_key.empty() || email.empty()); }
};

/// Settings of an HttplibTransport.
struct HttplibConfig {
  std::string base_url = "https://api.cloudflare.com/client/v4";  ///< absolute http(s) URL of the API base
  Credentials credentials;                                        ///< added to every request; never seen by the engine
  int workers = 66;  ///< parallel connections: the largest concurrency limit plus the reserved listing slots
  Duration connect_timeout = std::chrono::seconds(10);  ///< then TransportFailure::connect or timeout
  Duration read_timeout = std::chrono::seconds(90);     ///< per read (and write); then TransportFailure::reset
  /// The whole exchange (connect, send, response headers and body) must end within this, or the request fails
  /// with TransportFailure::timeout; zero: read_timeout. It also caps the connect and per-read timeouts.
  Duration request_timeout{0};
  bool verify_tls = true;  ///< only an explicit `--insecure` turns this off
  std::string ca_bundle;   ///< empty: the system bundle
  /// Proxy URL; empty: read HTTPS_PROXY / HTTP_PROXY (and NO_PROXY) from the environment.
  std::optional<std::string> proxy;
  /// Extra headers on every request (e.g. the console proxy's own).
  std::vector<std::pair<std::string, std::string>> extra_headers;
};

namespace detail {

inline std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

/// A proxy: where it is, and the credentials for it (from `http://user:password@host:port`, percent-decoded).
struct ProxySetting {
  api::Url url;          ///< the proxy's address (http; HTTPS targets go through a CONNECT tunnel)
  std::string user;      ///< empty: no Proxy-Authorization
  std::string password;  ///< never printed
};

/// Parses a proxy URL as HTTPS_PROXY holds it: `[http://][user:password@]host[:port]` (no scheme means http).
/// Returns nullopt when it is not a valid URL.
inline std::optional<ProxySetting> parse_proxy(std::string text) {
  if (text.find("://") == std::string::npos) text = "http://" + text;
  const std::size_t authority = text.find("://") + 3;
  const std::size_t at = text.find('@', authority), slash = text.find('/', authority);
  ProxySetting p;
  if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
    const std::string userinfo = text.substr(authority, at - authority);
    const std::size_t colon = userinfo.find(':');
    auto user = api::url_decode(userinfo.substr(0, colon));
    auto password = api::url_decode(colon == std::string::npos ? "" : userinfo.substr(colon + 1));
    if (!user || !password) return std::nullopt;
    p.user = std::move(*user);
    p.password = std::move(*password);
    text.erase(authority, at + 1 - authority);
  }
  auto url = api::parse_url(text);
  if (!url) return std::nullopt;
  p.url = std::move(*url);
  return p;
}

/// The proxy for @p target from the environment, honouring NO_PROXY (and never for loopback).
/// @throws std::invalid_argument naming the variable (not its value, which may hold a password) when the variable is
/// set but not a valid proxy URL: going direct instead would fail later with a confusing error, or bypass a proxy
/// the user relies on.
inline std::optional<ProxySetting> proxy_for(const api::Url& target) {
  if (target.host == "localhost" || target.host == "127.0.0.1" || target.host == "::1") return std::nullopt;
  std::string no_proxy = env("NO_PROXY").empty() ? env("no_proxy") : env("NO_PROXY");
  for (std::size_t start = 0; start <= no_proxy.size();) {
    auto comma = no_proxy.find(',', start);
    std::string entry = no_proxy.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    while (!entry.empty() && entry.front() == ' ') entry.erase(entry.begin());
    while (!entry.empty() && entry.back() == ' ') entry.pop_back();
    if (!entry.empty() && entry.front() == '.') entry.erase(entry.begin());
    if (entry == "*" || (!entry.empty() && (target.host == entry || target.host.ends_with("." + entry))))
      return std::nullopt;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  const bool https = target.scheme == "https";
  const char* name = https ? (env("HTTPS_PROXY").empty() ? "https_proxy" : "HTTPS_PROXY")
                           : (env("HTTP_PROXY").empty() ? "http_proxy" : "HTTP_PROXY");
  const std::string value = env(name);
  if (value.empty()) return std::nullopt;
  auto p = parse_proxy(value);
  if (!p)
    throw std::invalid_argument(std::string(name) +
                                " is set but is not a valid proxy URL ([http://][user:password@]host[:port])");
  return p;
}

/// Routes @p client through @p proxy (no-op without one), with Basic auth when it has credentials.
inline void use_proxy(httplib::Client& client, const std::optional<ProxySetting>& proxy) {
  if (!proxy) return;
  client.set_proxy(proxy->url.host, proxy->url.effective_port());
  if (!proxy->user.empty()) client.set_proxy_basic_auth(proxy->user, proxy->password);
}

/// What is wrong with the first header of @p headers whose name or value holds a control character (e.g. "header
/// Authorization has a line feed (LF) at character 41 of 48"), or nullopt when none does. CR or LF would end the
/// header early and let the rest pass for other headers (header injection); the value itself is never quoted, as it
/// may be a credential.
inline std::optional<std::string> header_problem(const httplib::Headers& headers) {
  for (const auto& [name, value] : headers) {
    if (auto bad = api::control_character_in(name)) return "a header name has " + *bad;
    if (auto bad = api::control_character_in(value)) return "header " + name + " has " + *bad;
  }
  return std::nullopt;
}

inline api::TransportFailure failure_of(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection:
    case httplib::Error::BindIPAddress: return api::TransportFailure::connect;
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLLoadingCerts:
    case httplib::Error::SSLServerVerification: return api::TransportFailure::tls;
    case httplib::Error::Canceled: return api::TransportFailure::cancelled;
    case httplib::Error::ConnectionTimeout: return api::TransportFailure::timeout;
    case httplib::Error::Read:
    case httplib::Error::Write:
    case httplib::Error::ExceedRedirectCount:
    case httplib::Error::UnsupportedMultipartBoundaryChars:
    case httplib::Error::Compression: return api::TransportFailure::reset;
    default: return api::TransportFailure::other;
  }
}

}  // namespace detail

/// The native Transport (see the file's comment). Thread-safe where it must be: send() and after() are called on
/// the loop thread, the workers only post completions; wake() may be called from any thread.
///
/// Example, an operation to its end:
/// ```
/// ckp::transport::HttplibTransport http({.base_url = base_url, .credentials = {.token = token}});
/// ckp::engine::Scheduler scheduler(http);
/// ckp::ops::KvDelete op(scheduler, spec);
/// ckp::ops::OpReport report = ckp::ops::run(http, op);   // runs the loop in this thread
/// ```
class HttplibTransport {
 public:
  /// Throws std::invalid_argument when the base URL is not an absolute http(s) URL.
  explicit HttplibTransport(HttplibConfig config) : config_(std::move(config)) {
    auto url = api::parse_url(config_.base_url);
    if (!url) throw std::invalid_argument("API base URL '" + config_.base_url + "' is not an absolute http(s) URL");
    base_ = *url;
    base_path_ = base_.path;
    while (!base_path_.empty() && base_path_.back() == '/') base_path_.pop_back();
    if (config_.proxy) {
      if (!config_.proxy->empty()) {
        proxy_ = detail::parse_proxy(*config_.proxy);
        // The value is not echoed: it may hold a password.
        if (!proxy_) throw std::invalid_argument("the proxy URL is not valid ([http://][user:password@]host[:port])");
      }
    } else {
      proxy_ = detail::proxy_for(base_);
    }
    // Instants count from the Unix epoch but advance with the monotonic clock: a system clock step must not
    // distort timers.
    epoch_offset_ = std::chrono::duration_cast<Duration>(std::chrono::system_clock::now().time_since_epoch()) -
                    std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now().time_since_epoch());
    request_timeout_ = config_.request_timeout > Duration{0} ? config_.request_timeout : config_.read_timeout;
    const int workers = std::max(1, config_.workers);
    for (int i = 0; i < workers; ++i) watches_.push_back(std::make_unique<Watch>());  // before any thread reads them
    watchdog_ = std::thread([this] { watch(); });
    for (int i = 0; i < workers; ++i)
      workers_.emplace_back([this, i] { work(*watches_[static_cast<std::size_t>(i)]); });
  }

  HttplibTransport(const HttplibTransport&) = delete;
  HttplibTransport& operator=(const HttplibTransport&) = delete;

  /// Waits for requests in flight to finish (each within its timeout), then stops the workers and the watchdog.
  ~HttplibTransport() {
    {
      std::lock_guard lock(jobs_mutex_);
      stopping_ = true;
    }
    jobs_cv_.notify_all();
    for (auto& t : workers_) t.join();
    {
      std::lock_guard lock(watch_mutex_);
      watch_stopping_ = true;
    }
    watch_cv_.notify_all();
    watchdog_.join();
  }

  /// Unix-epoch time that advances with the monotonic clock.
  Instant now() const {
    return Instant{std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now().time_since_epoch()) +
                   epoch_offset_};
  }

  /// Queues @p request for a worker; @p on_response runs later inside run_until(), with the response or a
  /// transport failure (connect, timeout, reset, tls, other).
  void send(api::Request request, ResponseHandler on_response) {
    {
      std::lock_guard lock(jobs_mutex_);
      jobs_.push_back({std::move(request), std::move(on_response)});
      ++in_flight_;
    }
    jobs_cv_.notify_one();
  }

  /// Runs @p fn inside run_until() once @p delay has passed.
  void after(Duration delay, TimerHandler fn) {
    timers_.push({now() + std::max(delay, Duration{0}), timer_seq_++, std::move(fn)});
  }

  /// Runs the loop — completions and timers, in this thread — until @p done() holds. Returns false if nothing is
  /// left that could ever make it hold (no requests in flight, no timers).
  bool run_until(const std::function<bool()>& done) {
    while (!done()) {
      run_due_timers();
      if (done()) break;
      std::unique_lock lock(done_mutex_);
      if (completions_.empty()) {
        if (in_flight_.load() == 0 && timers_.empty()) return done();
        if (timers_.empty()) {
          done_cv_.wait(lock, [&] { return !completions_.empty(); });
        } else {
          const auto wait = timers_.top().at - now();
          if (wait > Duration{0}) done_cv_.wait_for(lock, wait, [&] { return !completions_.empty(); });
        }
      }
      auto ready = std::move(completions_);
      completions_.clear();
      lock.unlock();
      for (auto& c : ready) {
        --in_flight_;
        c.handler(std::move(c.response));
      }
    }
    return true;
  }

  /// Wakes run_until() so that it re-checks its condition (safe from any thread, e.g. a signal watcher).
  void wake() {
    {
      std::lock_guard lock(done_mutex_);
      completions_.push_back({[](api::Response) {}, {}});
      ++in_flight_;
    }
    done_cv_.notify_one();
  }

  /// The parsed API base URL.
  const api::Url& base() const { return base_; }

 private:
  struct Job {
    api::Request request;
    ResponseHandler handler;
  };
  struct Completion {
    ResponseHandler handler;
    api::Response response;
  };
  using Clock = std::chrono::steady_clock;
  /// The request a worker is performing, as the watchdog sees it.
  struct Watch {
    std::mutex mutex;                   // guards the fields; held by the watchdog while it stops the client
    httplib::Client* client = nullptr;  // the worker's client while a request is in progress, else null
    Clock::time_point deadline{};       // when the watchdog stops it (again, if it is still not over)
    bool expired = false;               // the watchdog has stopped this request
  };
  struct Timer {
    Instant at;
    std::uint64_t seq;
    TimerHandler fn;
    bool operator>(const Timer& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  void run_due_timers() {
    while (!timers_.empty() && timers_.top().at <= now()) {
      auto fn = std::move(const_cast<Timer&>(timers_.top()).fn);
      timers_.pop();
      fn();
    }
  }

  std::unique_ptr<httplib::Client> make_client() const {
    auto client = std::make_unique<httplib::Client>(base_.scheme + "://" + base_.host + ":" +
                                                    std::to_string(base_.effective_port()));
    // No phase may outlast the whole request. This also bounds how long the watchdog's stop() can wait: the client
    // holds its socket mutex while it connects.
    const auto connect =
        std::chrono::duration_cast<std::chrono::microseconds>(std::min(config_.connect_timeout, request_timeout_));
    const auto read =
        std::chrono::duration_cast<std::chrono::microseconds>(std::min(config_.read_timeout, request_timeout_));
    client->set_connection_timeout(connect.count() / 1'000'000, connect.count() % 1'000'000);
    client->set_read_timeout(read.count() / 1'000'000, read.count() % 1'000'000);
    client->set_write_timeout(read.count() / 1'000'000, read.count() % 1'000'000);
    client->set_keep_alive(true);
    client->set_follow_location(false);
    client->enable_server_certificate_verification(config_.verify_tls);
    if (!config_.ca_bundle.empty()) client->set_ca_cert_path(config_.ca_bundle.c_str());
    detail::use_proxy(*client, proxy_);
    return client;
  }

  httplib::Headers headers_for(const api::Request& r) const {
    httplib::Headers h;
    for (const auto& [k, v] : r.headers) h.emplace(k, v);
    const auto& c = config_.credentials;
    if (!c.token.empty()) h.emplace("Authorization", "Bearer " + c.token);
    else if (!c.api_key.empty()) h.emplace("X-Auth-Key", c.api_key), h.emplace("X-Auth-Email", c.email);
    for (const auto& [k, v] : config_.extra_headers) h.emplace(k, v);
    h.emplace("User-Agent", std::string("cache-kv-purger/") + ckp::version);
    h.emplace("Accept", "application/json");
    return h;
  }

  /// The host (and proxy) requests go to, e.g. "api.example.com:443 via proxy 10.0.0.1:3128".
  std::string where() const {
    std::string w = base_.host + ":" + std::to_string(base_.effective_port());
    if (proxy_) w += " via proxy " + proxy_->url.host + ":" + std::to_string(proxy_->url.effective_port());
    return w;
  }

  /// What failed and where, e.g. "Connection error talking to api.example.com:443 via proxy 10.0.0.1:3128": the
  /// user sees which host (or proxy) to check.
  std::string failure_detail(httplib::Error e) const { return httplib::to_string(e) + " error talking to " + where(); }

  api::Response perform(httplib::Client& client, const api::Request& r) const {
    const std::string target = base_path_ + r.target();
    const auto headers = headers_for(r);
    if (auto bad = detail::header_problem(headers))
      return api::Response::failed(api::TransportFailure::refused,
                                   *bad + " (the request to " + where() + " was not sent)");
    const std::string type = r.headers.get("Content-Type").value_or("application/octet-stream");
    httplib::Result res{nullptr, httplib::Error::Unknown};
    switch (r.method) {
      case api::Method::get: res = client.Get(target, headers); break;
      case api::Method::head: res = client.Head(target, headers); break;
      case api::Method::del:
        res = r.body.empty() ? client.Delete(target, headers) : client.Delete(target, headers, r.body, type);
        break;
      case api::Method::post: res = client.Post(target, headers, r.body, type); break;
      case api::Method::put: res = client.Put(target, headers, r.body, type); break;
      case api::Method::patch: res = client.Patch(target, headers, r.body, type); break;
    }
    if (!res) return api::Response::failed(detail::failure_of(res.error()), failure_detail(res.error()));
    api::Response out;
    out.status = res->status;
    out.body = std::move(res->body);
    for (const auto& [k, v] : res->headers) out.headers.add(k, v);
    return out;
  }

  void work(Watch& watch) {
    auto client = make_client();
    for (;;) {
      Job job;
      {
        std::unique_lock lock(jobs_mutex_);
        jobs_cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      {
        std::lock_guard lock(watch.mutex);
        watch.client = client.get();
        watch.deadline = Clock::now() + request_timeout_;
        watch.expired = false;
      }
      {
        std::lock_guard lock(watch_mutex_);
        watch_changed_ = true;
      }
      watch_cv_.notify_one();
      api::Response response = perform(*client, job.request);
      bool expired = false;
      {
        std::lock_guard lock(watch.mutex);  // also waits out a stop() in progress: the client may be replaced below
        watch.client = nullptr;
        expired = watch.expired;
      }
      if (expired && response.transport_failed())
        response = api::Response::failed(api::TransportFailure::timeout,
                                         fmt::format("no complete response within the request timeout ({:g} s) from {}",
                                                     std::chrono::duration<double>(request_timeout_).count(), where()));
      if (response.transport_failed()) client = make_client();  // a fresh connection after a failure
      {
        std::lock_guard lock(done_mutex_);
        completions_.push_back({std::move(job.handler), std::move(response)});
      }
      done_cv_.notify_one();
    }
  }

  /// The watchdog: stops the client of every request past its deadline. Client::stop() shuts the socket down, so
  /// the read or write the worker is blocked in fails at once. A stopped request that is somehow still running a
  /// second later (it was between two sockets) is stopped again.
  void watch() {
    std::unique_lock lock(watch_mutex_);
    while (!watch_stopping_) {
      watch_changed_ = false;
      lock.unlock();
      auto next = Clock::time_point::max();
      for (auto& w : watches_) {
        std::lock_guard guard(w->mutex);
        if (!w->client) continue;
        if (const auto now = Clock::now(); w->deadline <= now) {
          w->expired = true;
          w->deadline = now + std::chrono::seconds(1);
          w->client->stop();
        }
        next = std::min(next, w->deadline);
      }
      lock.lock();
      const auto woken = [&] { return watch_stopping_ || watch_changed_; };
      if (next == Clock::time_point::max()) watch_cv_.wait(lock, woken);
      else watch_cv_.wait_until(lock, next, woken);
    }
  }

  HttplibConfig config_;
  Duration request_timeout_{};
  api::Url base_;
  std::string base_path_;
  std::optional<detail::ProxySetting> proxy_;
  Duration epoch_offset_{};

  std::mutex jobs_mutex_;
  std::condition_variable jobs_cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;

  std::mutex done_mutex_;
  std::condition_variable done_cv_;
  std::vector<Completion> completions_;
  std::atomic<int> in_flight_{0};

  std::vector<std::unique_ptr<Watch>> watches_;  // one per worker; the vector itself never changes after construction
  std::mutex watch_mutex_;                       // guards the two flags below, for the watchdog's sleep
  std::condition_variable watch_cv_;
  bool watch_changed_ = false;  // a request started: its deadline may be the next one
  bool watch_stopping_ = false;
  std::thread watchdog_;

  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;  // loop thread only
  std::uint64_t timer_seq_ = 0;
};

static_assert(Transport<HttplibTransport>);

}  // namespace ckp::transport
