#include "cli/signals.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <mutex>
#include <thread>

#include "cli/output.hpp"

namespace ckp::cli {

namespace {
std::mutex stopper_mutex;
std::function<void()> stopper;
bool stop_requested = false;
}  // namespace

void SignalWatcher::install() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      std::lock_guard lock(stopper_mutex);
      if (stopper && !stop_requested) {
        stop_requested = true;
        const char msg[] = "\nstopping: waiting for requests in flight, then saving progress (Ctrl-C again to abort)\n";
        (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
        stopper();
      } else {
        const char msg[] = "\naborted\n";
        (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
        ::_exit(exit_code::interrupted);
      }
    }
  }).detach();
}

void SignalWatcher::set_stopper(std::function<void()> stop) {
  std::lock_guard lock(stopper_mutex);
  stopper = std::move(stop);
  stop_requested = false;
}

void SignalWatcher::clear_stopper() {
  std::lock_guard lock(stopper_mutex);
  stopper = nullptr;
}

}  // namespace ckp::cli
