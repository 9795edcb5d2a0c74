#include "cli/stdin_input.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "cli/output.hpp"

namespace ckp::cli {

namespace {

struct StdinState {
  std::string claimed_by;  // the flag that reads standard input
  std::string copy;        // the spooled copy's path ("" until spooled)
  bool kept = false;       // moved to a job: not removed at exit
  ~StdinState() {
    if (!copy.empty() && !kept) std::remove(copy.c_str());
  }
};

StdinState& state() {
  static StdinState s;
  return s;
}

[[noreturn]] void fail_io(const std::string& what) {
  fail(Error::make(ErrorKind::io, fmt::format("{}: {}", what, std::strerror(errno))));
}

/// Reads standard input to its end, handing each chunk to @p sink; EINTR is retried.
template <class Sink>
void drain_stdin(Sink&& sink) {
  char buf[64 * 1024];
  for (;;) {
    const ssize_t got = ::read(STDIN_FILENO, buf, sizeof buf);
    if (got == 0) return;
    if (got < 0) {
      if (errno == EINTR) continue;
      fail_io("cannot read standard input");
    }
    sink(buf, static_cast<std::size_t>(got));
  }
}

}  // namespace

void claim_stdin(const std::string& flag) {
  auto& s = state();
  if (!s.claimed_by.empty() && s.claimed_by != flag)
    fail_usage(
        fmt::format("{} - and {} - both read standard input; only one input can come from a pipe", s.claimed_by, flag));
  s.claimed_by = flag;
}

std::string read_stdin(const std::string& flag, std::size_t max_bytes) {
  claim_stdin(flag);
  std::string out;
  drain_stdin([&](const char* data, std::size_t n) {
    if (out.size() + n > max_bytes)
      fail_usage(fmt::format("{} -: standard input is larger than the limit of {} bytes", flag, grouped(max_bytes)));
    out.append(data, n);
  });
  return out;
}

std::string spooled_stdin(const std::string& dir, const std::string& flag) {
  claim_stdin(flag);
  auto& s = state();
  if (!s.copy.empty()) return s.copy;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail(Error::make(ErrorKind::io, fmt::format("cannot create {}: {}", dir, ec.message())));
  std::string path = fmt::format("{}/stdin-{}-XXXXXX", dir, ::getpid());
  const int fd = ::mkstemp(path.data());  // 0600
  if (fd < 0) fail_io("cannot create a copy of standard input in " + dir);
  s.copy = path;
  drain_stdin([&](const char* data, std::size_t n) {
    while (n > 0) {
      const ssize_t put = ::write(fd, data, n);
      if (put < 0 && errno == EINTR) continue;
      if (put < 0) {
        ::close(fd);
        fail_io("cannot write the copy of standard input " + path);
      }
      data += put;
      n -= static_cast<std::size_t>(put);
    }
  });
  if (::close(fd) != 0) fail_io("cannot write the copy of standard input " + path);
  return s.copy;
}

std::string keep_stdin_copy(const std::string& path) {
  auto& s = state();
  if (std::rename(s.copy.c_str(), path.c_str()) != 0) fail_io("cannot keep the copy of standard input as " + path);
  s.copy = path;
  s.kept = true;
  return path;
}

}  // namespace ckp::cli
