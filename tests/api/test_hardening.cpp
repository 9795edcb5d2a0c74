// Hardening: control characters in header values, and journal files with a torn last line.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "ckp/api/validate.hpp"
#include "ckp/engine/journal.hpp"
#include "ckp/io/file_journal.hpp"

using ckp::api::control_character_in;
using ckp::io::FileJournalStore;

TEST_CASE("control_character_in names the first control character and where, never the text") {
  CHECK_FALSE(control_character_in(""));
  CHECK_FALSE(control_character_in("abcDEF012-_.~ ~!\xC3\xBC"));  // printable ASCII, space, UTF-8
  CHECK(control_character_in("secret\n") == "a line feed (LF) at character 7 of 7");
  CHECK(control_character_in("se\r\ncret") == "a carriage return (CR) at character 3 of 8");
  CHECK(control_character_in("a\tb") == "a tab at character 2 of 3");
  CHECK(control_character_in(std::string("a\0b", 3)) == "a NUL byte at character 2 of 3");
  CHECK(control_character_in("x\x1b[0m") == "a control character (0x1b) at character 2 of 5");
  CHECK(control_character_in("x\x7f") == "a control character (0x7f) at character 2 of 2");
  CHECK(control_character_in("token-value\n")->find("token") == std::string::npos);
}

namespace {

/// A scratch journal path, removed at the end of the test.
struct TempJournal {
  std::string dir, path;
  TempJournal() {
    char tmpl[] = "/tmp/ckp-journal-XXXXXX";
    dir = ::mkdtemp(tmpl);
    path = dir + "/job.jsonl";
  }
  ~TempJournal() {
    std::remove(path.c_str());
    ::rmdir(dir.c_str());
  }
  void append_raw(const std::string& bytes) const {
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out << bytes;
  }
  std::string contents() const {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
};

}  // namespace

TEST_CASE("reopening a journal cuts a torn last line, so the next line does not glue onto it") {
  TempJournal tmp;
  {
    auto store = FileJournalStore::open(tmp.path);
    REQUIRE(store);
    ckp::engine::Journal journal(**store);
    journal.begin("test.op", {{"n", 1}});
    journal.note({{"step", 1}});
  }
  tmp.append_raw(R"({"t":"note","data":{"st)");  // a process killed mid-append

  {
    auto store = FileJournalStore::open(tmp.path);  // what `jobs resume` does
    REQUIRE(store);
    CHECK((*store)->lines().size() == 2);  // the torn bytes are gone already
    ckp::engine::Journal journal(**store);
    journal.note({{"step", 2}});
  }
  tmp.append_raw(R"({"t":"no)");  // killed again
  {
    auto store = FileJournalStore::open(tmp.path);
    REQUIRE(store);
    ckp::engine::Journal journal(**store);
    journal.note({{"step", 3}});
  }

  const auto lines = FileJournalStore::read_lines(tmp.path);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].find(R"("t":"spec")") != std::string::npos);
  for (int step = 1; step <= 3; ++step)
    CHECK(lines[step].find("{\"step\":" + std::to_string(step) + "}") != std::string::npos);
  CHECK(tmp.contents().back() == '\n');
  ckp::io::JournalFileView view(tmp.path);
  auto state = ckp::engine::Journal::load(view);
  REQUIRE_MESSAGE(state, state.error().message);
  CHECK(state->op == "test.op");
  CHECK(state->notes.size() == 3);
}

TEST_CASE("a journal holding nothing but a torn line is emptied on reopening") {
  TempJournal tmp;
  tmp.append_raw(R"({"t":"spec","v":1,"op":"te)");
  auto store = FileJournalStore::open(tmp.path);
  REQUIRE(store);
  CHECK(tmp.contents().empty());
  (*store)->append(R"({"t":"note","data":{}})");
  CHECK(tmp.contents() == "{\"t\":\"note\",\"data\":{}}\n");
}

TEST_CASE("reopening a journal that ends with a whole line changes nothing") {
  TempJournal tmp;
  tmp.append_raw("{\"a\":1}\n{\"b\":2}\n");
  auto store = FileJournalStore::open(tmp.path);
  REQUIRE(store);
  CHECK(tmp.contents() == "{\"a\":1}\n{\"b\":2}\n");
  (*store)->append("{\"c\":3}");
  CHECK(tmp.contents() == "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
}

TEST_CASE("a torn line longer than one read block is cut whole") {
  TempJournal tmp;
  tmp.append_raw("{\"a\":1}\n" + std::string(10000, 'x'));
  auto store = FileJournalStore::open(tmp.path);
  REQUIRE(store);
  CHECK(tmp.contents() == "{\"a\":1}\n");
}

#ifdef CKP_TEST_HTTPLIB  // the native transport: linked with cpp-httplib when the native build is on (tests/CMakeLists.txt)

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "ckp/api/envelope.hpp"
#include "ckp/transport/httplib.hpp"

namespace {

/// A loopback server that answers a byte every 100 ms, for ever: after complete response headers, or in the middle
/// of them. A per-read timeout never fires against it. One connection at a time; counts them.
class SlowServer {
 public:
  explicit SlowServer(bool trickle_headers) : trickle_headers_(trickle_headers) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 8) == 0);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~SlowServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  int connections() const { return connections_; }

 private:
  void serve() {
    for (;;) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      ++connections_;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        request.append(buf, static_cast<std::size_t>(n));
      }
      const std::string head =
          trickle_headers_ ? "HTTP/1.1 200 OK\r\nX-Slow: " : "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n";
      (void)!::send(c, head.data(), head.size(), MSG_NOSIGNAL);
      while (!stop_) {
        pollfd p{c, POLLIN, 0};
        if (::poll(&p, 1, 100) > 0 && ::recv(c, buf, sizeof buf, 0) <= 0) break;  // the client closed it
        if (::send(c, "a", 1, MSG_NOSIGNAL) != 1) break;
      }
      ::close(c);
    }
  }

  bool trickle_headers_;
  int fd_ = -1, port_ = 0;
  std::atomic<int> connections_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

/// Sends one GET through @p http and waits for its response (or failure).
ckp::api::Response exchange(ckp::transport::HttplibTransport& http, ckp::api::Request request) {
  std::optional<ckp::api::Response> out;
  http.send(std::move(request), [&](ckp::api::Response r) { out = std::move(r); });
  http.run_until([&] { return out.has_value(); });
  REQUIRE(out);
  return std::move(*out);
}

ckp::transport::HttplibConfig config_for(int port) {
  ckp::transport::HttplibConfig c;
  c.base_url = "http://127.0.0.1:" + std::to_string(port) + "/client/v4";
  c.credentials.token = "token-for-tests";
  c.workers = 1;
  c.read_timeout = std::chrono::seconds(10);  // per read: never reached by a byte every 100 ms
  c.request_timeout = std::chrono::milliseconds(500);
  return c;
}

}  // namespace

TEST_CASE("HttplibTransport: a request ends within its whole-request timeout, however slowly bytes trickle in") {
  for (bool trickle_headers : {false, true}) {
    CAPTURE(trickle_headers);
    SlowServer server(trickle_headers);
    ckp::transport::HttplibTransport http(config_for(server.port()));
    const auto start = std::chrono::steady_clock::now();
    auto r = exchange(http, ckp::api::Request{ckp::api::Method::get, "/slow"});
    const auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(r.failure == ckp::api::TransportFailure::timeout);
    CHECK(r.failure_detail.find("request timeout (0.5 s)") != std::string::npos);
    CHECK(r.failure_detail.find("127.0.0.1:" + std::to_string(server.port())) != std::string::npos);
    CHECK(elapsed >= std::chrono::milliseconds(450));
    CHECK(elapsed < std::chrono::seconds(3));
    CHECK(ckp::api::read_envelope(r).error().kind == ckp::ErrorKind::timeout);  // retried by the scheduler
  }
}

TEST_CASE("HttplibTransport: a header value with a control character is never sent") {
  SlowServer server(false);
  SUBCASE("a request header") {
    ckp::transport::HttplibTransport http(config_for(server.port()));
    ckp::api::Request request{ckp::api::Method::get, "/x"};
    request.headers.set("X-Test", "a\r\nX-Injected: 1");
    auto r = exchange(http, request);
    CHECK(r.failure == ckp::api::TransportFailure::refused);
    CHECK(r.failure_detail.find("header X-Test has a carriage return (CR) at character 2 of 16") != std::string::npos);
    auto e = ckp::api::read_envelope(r).error();
    CHECK(e.kind == ckp::ErrorKind::invalid_input);
    CHECK_FALSE(e.retryable());
  }
  SUBCASE("a credential") {
    auto config = config_for(server.port());
    config.credentials.token = "secret-value\n";
    ckp::transport::HttplibTransport http(config);
    auto r = exchange(http, ckp::api::Request{ckp::api::Method::get, "/x"});
    CHECK(r.failure == ckp::api::TransportFailure::refused);
    CHECK(r.failure_detail.find("header Authorization has a line feed (LF)") != std::string::npos);
    CHECK(r.failure_detail.find("secret-value") == std::string::npos);
  }
  CHECK(server.connections() == 0);
}

#endif  // CKP_TEST_HTTPLIB
