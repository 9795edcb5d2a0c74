#pragma once
// Starts the real `cache-kv-purger emulator` as a child process, reads its JSON start line, and stops it again
// (always: the destructor stops it, and the child dies with its parent via PR_SET_PDEATHSIG). Used by the HTTP
// tests and the emulator benchmark.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace ckp::testing {

/// A running emulator process.
class EmulatorProcess {
 public:
  /// Starts @p binary (default: $CKP_BINARY) as `binary emulator args...` and waits up to @p timeout for its start
  /// line. Throws std::runtime_error when it cannot start.
  explicit EmulatorProcess(const std::vector<std::string>& args, std::string binary = {},
                           std::chrono::seconds timeout = std::chrono::seconds(60)) {
    if (binary.empty()) {
      const char* env = std::getenv("CKP_BINARY");
      if (!env) throw std::runtime_error("CKP_BINARY is not set (the path of cache-kv-purger)");
      binary = env;
    }
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    std::vector<std::string> argv_s{binary, "emulator"};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test, even if it crashes
      ::dup2(fds[1], STDOUT_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char c;
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{fds[0], POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      if (::read(fds[0], &c, 1) != 1) break;
      if (c == '\n') break;
      line += c;
    }
    ::close(fds[0]);
    info_ = nlohmann::json::parse(line, nullptr, false);
    if (!info_.is_object() || !info_.contains("port")) {
      stop();
      throw std::runtime_error("the emulator did not print its start line; got: \"" + line + "\"");
    }
  }

  EmulatorProcess(const EmulatorProcess&) = delete;
  EmulatorProcess& operator=(const EmulatorProcess&) = delete;
  ~EmulatorProcess() { stop(); }

  /// Sends @p sig and waits for the exit (SIGKILL after 15 s). Returns the exit code, or 128 + signal.
  int stop(int sig = SIGTERM) {
    if (pid_ <= 0) return exit_code_;
    ::kill(pid_, sig);
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return exit_code_;
  }

  /// Resident memory of the process in bytes (from /proc), or 0.
  std::size_t rss_bytes() const {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    std::string key;
    while (status >> key) {
      if (key == "VmRSS:") {
        std::size_t kb = 0;
        status >> kb;
        return kb * 1024;
      }
      status.ignore(4096, '\n');
    }
    return 0;
  }

  const nlohmann::json& info() const { return info_; }
  int port() const { return info_["port"].get<int>(); }
  std::string token() const { return info_["token"].get<std::string>(); }
  std::string account() const { return info_["account_id"].get<std::string>(); }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  nlohmann::json info_;
};

}  // namespace ckp::testing
