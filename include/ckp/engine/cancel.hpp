#pragma once
/// @file
/// Cooperative cancellation. An operation polls its token; a front sets it (from a signal-watching thread natively,
/// from a button in the browser). The flag is atomic so that setting it from another thread is safe; everything it
/// triggers runs on the engine's loop.

#include <atomic>
#include <memory>

namespace ckp::engine {

/// A shared stop flag: copies share it, so a front keeps one copy and hands another to the operation
/// (OpOptions::cancel). Never fails.
///
/// Example:
/// ```
/// ckp::engine::CancelToken cancel;
/// ckp::ops::KvDelete op(scheduler, spec, {.cancel = cancel});
/// // …on Ctrl-C, from any thread:
/// cancel.request_stop();   // the operation ends as OpStatus::cancelled, exit code 130, resumable
/// ```
class CancelToken {
 public:
  /// A new flag, not set.
  CancelToken() : flag_(std::make_shared<std::atomic<bool>>(false)) {}
  /// Asks the operation to stop: no new calls are admitted, calls in flight finish, the journal is flushed.
  void request_stop() const noexcept { flag_->store(true, std::memory_order_relaxed); }
  /// Whether request_stop() was called on this token or a copy of it.
  bool stop_requested() const noexcept { return flag_->load(std::memory_order_relaxed); }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

}  // namespace ckp::engine
