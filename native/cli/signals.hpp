#pragma once
// Ctrl-C and SIGTERM: blocked in every thread and watched by one, so that a long operation can stop gracefully.

#include <functional>

namespace ckp::cli {

/// Ctrl-C and SIGTERM, watched by one thread (they are blocked everywhere else). The first signal asks the running
/// operation to stop gracefully; a second one, or one while no operation runs, exits at once with 130.
class SignalWatcher {
 public:
  /// Blocks SIGINT/SIGTERM in the calling thread (and the threads it creates later) and starts the watcher.
  static void install();
  /// While @p stop is registered, the first signal calls it instead of exiting.
  static void set_stopper(std::function<void()> stop);
  static void clear_stopper();
};

}  // namespace ckp::cli
