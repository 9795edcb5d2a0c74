#pragma once
/// @file
/// A long operation started from the page — a bulk delete, its dry-run preview, a cache purge — running on the
/// browser's event loop through the same engine the CLI uses, with progress, cancellation and a journal in browser
/// storage (browser_journal.hpp) from which a later page can resume it.
///
/// The page passes a callbacks object: `onProgress(text)` receives `Progress::to_json()` plus `job_id`, `blocked_s`
/// (how long a 429 still holds calls back) and `resumed_at` (done + failed of earlier runs) about four times a second; `onFinished(text)` receives
/// `OpReport::to_json()` plus `job_id`, `resumable` (Resume may be offered), `resume_can_help` (false: a resume would
/// stop the same way) and, for a journaled job, `job_elapsed_s` / `job_requests` / `job_runs` (every run of the job
/// together), once, on a later turn of the event loop than the engine's own
/// (so the page may drop the job there without pulling it from under the engine).

#include <emscripten/val.h>

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "browser_journal.hpp"
#include "ckp/engine/cancel.hpp"
#include "ckp/engine/journal.hpp"
#include "ckp/engine/scheduler.hpp"
#include "ckp/ops/operation.hpp"
#include "ckp/ops/registry.hpp"
#include "core.hpp"

namespace ckp::wasm {

class Job : public std::enable_shared_from_this<Job> {
 public:
  /// Starts a bulk delete. @p spec_json: the engine's KvDeleteSpec JSON (`{account_id, namespace_id, source:
  /// "listing", all_keys, prefix, pattern, search, field, value, batch_size, dry_run, max_pages}` — the JSON the CLI
  /// builds for the same selection), plus the page's `namespace_title`, `label` and `expected_total`. A real run
  /// (not a dry run) is journaled in browser storage.
  static std::shared_ptr<Job> bulk_delete(std::shared_ptr<Core> core, const std::string& spec_json,
                                          emscripten::val callbacks);
  /// Starts a cache purge of @p items (lines, or a JSON array). @p spec_json: the engine's PurgeSpec JSON (`{kind:
  /// "files"|"tags"|"hosts"|"prefixes"|"purge_everything", account_id, zones: [{id, name}], headers: [[name,
  /// value]] or {name: value}, plan: {name} or "pro", dry_run}`), plus the page's `label`. Journaled (with its input)
  /// when the input fits in browser storage.
  static std::shared_ptr<Job> purge(std::shared_ptr<Core> core, const std::string& spec_json, const std::string& items,
                                    emscripten::val callbacks);
  /// Resumes job @p job_id from its journal: it continues after the last watermark and never skips work.
  static std::shared_ptr<Job> resume(std::shared_ptr<Core> core, const std::string& job_id, emscripten::val callbacks);

  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;
  ~Job();

  const std::string& id() const { return id_; }
  /// Asks the operation to stop: nothing new is sent, calls in flight land, the journal is flushed; the job then
  /// finishes as cancelled and can be resumed.
  void cancel() {
    cancel_.request_stop();
    if (op_) op_->poll_stop();  // at once, not at the next progress tick
  }
  bool finished() const { return finished_; }
  /// The latest progress, as JSON text (see the file comment).
  std::string progress();
  /// The final report as JSON text, or "null" before the end.
  std::string report() const { return report_.dump(); }

 private:
  struct Token {};

 public:
  Job(Token, std::shared_ptr<Core> core, std::string id, emscripten::val callbacks);

 private:
  /// Starts operation @p op_name from the page's spec (see bulk_delete() and purge()).
  static std::shared_ptr<Job> start(std::shared_ptr<Core> core, const std::string& op_name,
                                    const std::string& page_json, const std::string& items, emscripten::val callbacks);
  /// Runs @p built (made on scheduler_) and tracks it in the core until it ends.
  void launch(ops::BuiltOperation built);
  /// Ends a job that could not start (bad spec, missing journal) with @p e.
  void fail_early(const Error& e, const std::string& operation);
  void on_finished(const ops::OpReport& report);
  /// Keeps @p r as the final report (JSON) and updates the job's entry in browser storage.
  void record_report(const ops::OpReport& r);
  nlohmann::json progress_json(const engine::Progress& p) const;
  /// Keeps this run's elapsed time and requests in the job's entry (meta_["this_run"]).
  void record_run(Duration elapsed, std::uint64_t requests);
  /// A resumed run begins: the last run's figures join the earlier runs' (the whole job's totals).
  void start_run();
  /// Opens this job's journal in browser storage.
  void open_journal();
  ops::OpOptions options(std::optional<engine::JournalState> resume);

  std::shared_ptr<Core> core_;
  std::string id_;
  emscripten::val callbacks_;
  engine::CancelToken cancel_;
  nlohmann::json meta_;
  nlohmann::json report_ = nullptr;
  bool finished_ = false;
  bool resumed_ = false;
  Instant last_meta_write_{};
  // Destroyed in reverse: the operation first, then what it points into.
  std::unique_ptr<engine::Scheduler> scheduler_;
  std::unique_ptr<LocalStorageJournalStore> store_;
  std::unique_ptr<engine::Journal> journal_;
  std::unique_ptr<io::ByteSink> sink_;
  std::unique_ptr<ops::Operation> op_;
};

}  // namespace ckp::wasm
