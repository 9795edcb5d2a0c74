#include "common/bounded_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace ckp::native {

namespace {

using Clock = std::chrono::steady_clock;

int millis(time_t sec, time_t usec) { return static_cast<int>(sec * 1000 + usec / 1000); }

/// Waits up to @p ms for @p events on @p fd.
bool wait_for(int fd, short events, int ms) {
  pollfd p{fd, events, 0};
  int n;
  do {
    n = ::poll(&p, 1, ms);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return false;
  if (events == POLLOUT) return (p.revents & POLLOUT) && !(p.revents & (POLLERR | POLLHUP));
  return true;  // readable, or closed (recv then returns 0)
}

void close_connection(int fd) {
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

/// True when @p buf holds a whole request head (it ends at the first empty CRLF line, as httplib reads it).
bool head_complete(const std::string& buf, std::size_t searched_from) {
  std::size_t from = searched_from > 3 ? searched_from - 3 : 0;
  return buf.find("\r\n\r\n", from) != std::string::npos;
}

void address_of(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  int rc = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len)
                : ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  if (rc != 0) return;
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    port = ntohs(a->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    port = ntohs(a->sin6_port);
  }
  ip = text;
}

/// httplib's view of one connection: the bytes the reactor already read come first, then the socket, with
/// httplib's per-operation read and write timeouts.
class BufferedStream final : public httplib::Stream {
 public:
  BufferedStream(int fd, std::string buffered, int read_ms, int write_ms)
      : fd_(fd), buf_(std::move(buffered)), read_ms_(read_ms), write_ms_(write_ms) {}

  bool is_readable() const override { return pos_ < buf_.size() || wait_for(fd_, POLLIN, read_ms_); }
  bool is_writable() const override { return wait_for(fd_, POLLOUT, write_ms_); }

  ssize_t read(char* ptr, std::size_t size) override {
    if (pos_ >= buf_.size()) {
      buf_.clear();
      pos_ = 0;
      if (!wait_for(fd_, POLLIN, read_ms_)) return -1;
      if (size >= chunk) return receive(ptr, size);  // large body reads skip the buffer
      buf_.resize(chunk);
      ssize_t n = receive(buf_.data(), buf_.size());
      buf_.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
      if (n <= 0) return n;
    }
    std::size_t n = std::min(size, buf_.size() - pos_);
    std::memcpy(ptr, buf_.data() + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, std::size_t size) override {
    if (!is_writable()) return -1;
    ssize_t n;
    do {
      n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { address_of(fd_, true, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { address_of(fd_, false, ip, port); }
  socket_t socket() const override { return fd_; }

  /// What was read but not consumed (the start of a pipelined next request).
  std::string take_rest() { return pos_ < buf_.size() ? buf_.substr(pos_) : std::string{}; }

 private:
  static constexpr std::size_t chunk = 16 * 1024;
  ssize_t receive(char* ptr, std::size_t size) {
    ssize_t n;
    do {
      n = ::recv(fd_, ptr, size, MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  int fd_;
  std::string buf_;
  std::size_t pos_ = 0;
  int read_ms_;
  int write_ms_;
};

}  // namespace

/// The epoll thread that holds waiting connections, and the workers that serve complete heads.
class BoundedServer::Reactor {
 public:
  explicit Reactor(BoundedServer& server) : server_(server) {}
  ~Reactor() { shutdown(); }

  void start() {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wake_;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
    running_ = true;
    loop_thread_ = std::thread([this] { loop(); });
    std::size_t n = std::max<std::size_t>(1, server_.limits_.workers);
    for (std::size_t i = 0; i < n; ++i) workers_.emplace_back([this] { work(); });
  }

  /// Hands a connection to the reactor (thread-safe): a fresh one (@p served = 0, nothing buffered), or a kept-alive
  /// one after its @p served-th response with what was already read of the next request.
  void add(int fd, std::string buffered, std::size_t served) {
    {
      std::lock_guard lock(incoming_mutex_);
      if (!running_) {
        close_connection(fd);
        return;
      }
      incoming_.push_back({fd, std::move(buffered), served});
    }
    std::uint64_t one = 1;
    [[maybe_unused]] auto ignored = ::write(wake_, &one, sizeof one);
  }

  void shutdown() {
    {
      std::lock_guard lock(incoming_mutex_);
      if (!running_) return;
      running_ = false;
    }
    std::uint64_t one = 1;
    [[maybe_unused]] auto ignored = ::write(wake_, &one, sizeof one);
    loop_thread_.join();
    {
      std::lock_guard lock(jobs_mutex_);
      stopping_ = true;
    }
    jobs_cv_.notify_all();
    for (auto& t : workers_) t.join();
    for (auto& job : incoming_) close_connection(job.fd);
    incoming_.clear();
    ::close(epoll_);
    ::close(wake_);
  }

 private:
  struct Job {
    int fd;
    std::string buffered;
    std::size_t served;
  };
  struct Waiting {
    std::string buffered;
    std::size_t served = 0;
    Clock::time_point deadline;
    bool started = false;  // the first byte of the request arrived
  };

  void loop() {
    std::vector<epoll_event> events(256);
    auto last_sweep = Clock::now();
    while (true) {
      int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 100);
      {
        std::lock_guard lock(incoming_mutex_);
        if (!running_) break;
      }
      for (int i = 0; i < n; ++i) {
        int fd = events[static_cast<std::size_t>(i)].data.fd;
        if (fd == wake_) {
          std::uint64_t count;
          while (::read(wake_, &count, sizeof count) > 0) {
          }
          continue;
        }
        on_readable(fd);
      }
      take_incoming();
      auto now = Clock::now();
      if (now - last_sweep >= std::chrono::milliseconds(100)) {
        last_sweep = now;
        sweep(now);
      }
    }
    for (auto& [fd, w] : waiting_) drop(fd, false);
    waiting_.clear();
  }

  void take_incoming() {
    std::deque<Job> batch;
    {
      std::lock_guard lock(incoming_mutex_);
      batch.swap(incoming_);
    }
    for (auto& job : batch) {
      if (job.served == 0) {
        held_ += 1;
        if (held_ > server_.limits_.max_connections && !evict_oldest()) {
          held_ -= 1;
          close_connection(job.fd);
          continue;
        }
      }
      if (!job.buffered.empty() && head_complete(job.buffered, 0)) {
        dispatch(std::move(job));
        continue;
      }
      Waiting w;
      w.served = job.served;
      w.started = !job.buffered.empty();
      w.buffered = std::move(job.buffered);
      w.deadline = Clock::now() + (w.started ? server_.limits_.header_timeout : server_.limits_.idle_timeout);
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.fd = job.fd;
      if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, job.fd, &ev) != 0) {
        held_ -= 1;
        close_connection(job.fd);
        continue;
      }
      waiting_.emplace(job.fd, std::move(w));
    }
  }

  void on_readable(int fd) {
    auto it = waiting_.find(fd);
    if (it == waiting_.end()) return;
    Waiting& w = it->second;
    std::size_t before = w.buffered.size();
    char chunk[16 * 1024];
    while (true) {
      ssize_t n = ::recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
      if (n > 0) {
        w.buffered.append(chunk, static_cast<std::size_t>(n));
        if (w.buffered.size() > server_.limits_.max_header_bytes) break;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      return drop(fd, true);  // closed by the client, or an error
    }
    if (!w.started && !w.buffered.empty()) {
      w.started = true;
      w.deadline = Clock::now() + server_.limits_.header_timeout;
    }
    if (head_complete(w.buffered, before)) {
      ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
      Job job{fd, std::move(w.buffered), w.served};
      waiting_.erase(it);
      return dispatch(std::move(job));
    }
    if (w.buffered.size() > server_.limits_.max_header_bytes) drop(fd, true);
  }

  void sweep(Clock::time_point now) {
    std::vector<int> expired;
    for (const auto& [fd, w] : waiting_)
      if (w.deadline <= now) expired.push_back(fd);
    for (int fd : expired) drop(fd, true);
  }

  /// Closes the waiting connection closest to its deadline to make room; false when none is waiting.
  bool evict_oldest() {
    if (waiting_.empty()) return false;
    auto oldest = std::min_element(waiting_.begin(), waiting_.end(),
                                   [](const auto& a, const auto& b) { return a.second.deadline < b.second.deadline; });
    drop(oldest->first, true);
    return true;
  }

  /// Closes a waiting connection; with @p erase, also forgets it.
  void drop(int fd, bool erase) {
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
    close_connection(fd);
    held_ -= 1;
    if (erase) waiting_.erase(fd);
  }

  void dispatch(Job job) {
    {
      std::lock_guard lock(jobs_mutex_);
      jobs_.push_back(std::move(job));
    }
    jobs_cv_.notify_one();
  }

  void work() {
    while (true) {
      Job job;
      {
        std::unique_lock lock(jobs_mutex_);
        jobs_cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
        if (stopping_) {
          close_connection(job.fd);
          held_ -= 1;
          continue;
        }
      }
      bool last = job.served + 1 >= server_.limits_.keep_alive_max_count;
      if (server_.serve_one(job.fd, job.buffered, last)) {
        add(job.fd, std::move(job.buffered), job.served + 1);
      } else {
        close_connection(job.fd);
        held_ -= 1;
      }
    }
  }

  BoundedServer& server_;
  int epoll_ = -1;
  int wake_ = -1;
  std::thread loop_thread_;
  std::vector<std::thread> workers_;

  std::mutex incoming_mutex_;  // guards incoming_ and running_
  std::deque<Job> incoming_;
  bool running_ = false;

  std::unordered_map<int, Waiting> waiting_;  // the loop thread's own
  std::atomic<std::size_t> held_{0};

  std::mutex jobs_mutex_;  // guards jobs_ and stopping_
  std::condition_variable jobs_cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
};

namespace {

/// httplib's task queue, run inline on its accept thread: every task only hands a socket to the reactor.
class InlineQueue final : public httplib::TaskQueue {
 public:
  explicit InlineQueue(std::shared_ptr<BoundedServer::Reactor> reactor) : reactor_(std::move(reactor)) {}
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override;

 private:
  std::shared_ptr<BoundedServer::Reactor> reactor_;
};

}  // namespace

void InlineQueue::shutdown() { reactor_->shutdown(); }

BoundedServer::BoundedServer(ServerLimits limits) : limits_(limits) {
  set_keep_alive_max_count(limits_.keep_alive_max_count);
  new_task_queue = [this] {
    // httplib 0.11 listens with a backlog of 5: a burst of connections overflows it and the kernel drops SYNs (the
    // client then waits 1 s, 3 s, ... to retry). listen() again on the bound socket only widens the queue.
    ::listen(svr_sock_, SOMAXCONN);
    reactor_ = std::make_shared<Reactor>(*this);
    reactor_->start();
    return new InlineQueue(reactor_);
  };
}

BoundedServer::~BoundedServer() {
  if (reactor_) reactor_->shutdown();
}

bool BoundedServer::process_and_close_socket(socket_t sock) {
  reactor_->add(sock, {}, 0);
  return true;
}

bool BoundedServer::serve_one(int fd, std::string& buffered, bool last) {
  BufferedStream stream(fd, std::move(buffered), millis(read_timeout_sec_, read_timeout_usec_),
                        millis(write_timeout_sec_, write_timeout_usec_));
  bool closed = false;
  bool ok = process_request(stream, last, closed, nullptr);
  buffered = stream.take_rest();
  return ok && !closed && !last && svr_sock_ != INVALID_SOCKET;
}

}  // namespace ckp::native
