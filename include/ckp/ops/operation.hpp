#pragma once
/// @file
/// What every long operation shares: its report, progress ticks, cancellation and deadlines, and how it ends.
///
/// An operation is a state machine on the transport's loop. start() begins it; it calls the API through the
/// Scheduler; when it is done — or stopped by a fatal error, Ctrl-C or a deadline — it waits for calls in flight to
/// land, writes its last watermark, and finishes with a report. `run()` drives one to the end on a blocking
/// transport (native or simulated).
///
/// The operation owns its journal (OpOptions::journal): start() checks the spec, then either writes the spec line
/// (with the front's target and notes) or, resuming, checks that the journal is this spec's and this target's and
/// restores the counts; progress is journaled as it becomes durable (StreamingOp); the end line closes it. A front
/// only provides the store.
///
/// Errors never escape as exceptions: an operation ends with an OpReport whose status says how it ended, whose
/// `error` says why it stopped (invalid_input for a bad spec or input, journal for a resume that does not match,
/// authentication / not_found / an exhausted retry for the API, cancelled for Ctrl-C or a deadline) and whose
/// `failures` list the items that failed for good.
///
/// Example:
/// ```
/// ckp::ops::KvDelete op(scheduler, spec, {.on_progress = print_bar});
/// ckp::ops::OpReport report = ckp::ops::run(transport, op);
/// return report.exit_code();
/// ```

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ckp/api/error.hpp"
#include "ckp/api/kv.hpp"
#include "ckp/engine/batch_runner.hpp"
#include "ckp/engine/cancel.hpp"
#include "ckp/engine/journal.hpp"
#include "ckp/engine/progress.hpp"
#include "ckp/engine/scheduler.hpp"
#include "ckp/ops/spec_error.hpp"

namespace ckp::ops {

/// The JSON type of specs and reports (nlohmann::json).
using json = nlohmann::json;

/// An item that failed for good, and why.
struct Failure {
  std::string item;  ///< the item's name: a key, a URL, a tag…
  Error error;       ///< why the API refused it
};

/// How an operation ended.
enum class OpStatus {
  completed,  ///< everything done
  partial,    ///< everything settled, some items failed (see failures)
  failed,     ///< stopped by an error; resumable from the journal
  cancelled,  ///< stopped by the user or a deadline; resumable from the journal
};

/// A short name for @p s: "completed", "partial", "failed" or "cancelled" (stable; used in `--json` output).
constexpr const char* to_string(OpStatus s) noexcept {
  switch (s) {
    case OpStatus::completed: return "completed";
    case OpStatus::partial: return "partial";
    case OpStatus::failed: return "failed";
    case OpStatus::cancelled: return "cancelled";
  }
  return "failed";
}

/// Whether resuming an operation that stopped with @p why can get further than this run did: it was stopped on
/// purpose (a cancel, a deadline), or by something that passes or that is fixed outside the job (a rate limit, the
/// network, the server, the credentials). Not when the operation refused its spec or input, the namespace or zone
/// does not exist, a request is too large, or the journal does not match: a resume would stop the same way.
constexpr bool resume_can_help(ErrorKind why) noexcept {
  switch (why) {
    case ErrorKind::cancelled:
    case ErrorKind::rate_limited:
    case ErrorKind::server:
    case ErrorKind::transport:
    case ErrorKind::timeout:
    case ErrorKind::tls:
    case ErrorKind::malformed_response:
    case ErrorKind::authentication:
    case ErrorKind::io: return true;
    case ErrorKind::invalid_input:
    case ErrorKind::not_found:
    case ErrorKind::conflict:
    case ErrorKind::too_large:
    case ErrorKind::bad_request:
    case ErrorKind::journal: return false;
  }
  return false;
}

/// The outcome of an operation.
struct OpReport {
  std::string operation;                  ///< the operation's name, e.g. `kv.delete`
  OpStatus status = OpStatus::completed;  ///< how it ended
  bool dry_run = false;                   ///< nothing was changed
  std::uint64_t done = 0;                 ///< items confirmed by the API (in a dry run: items that would be acted on)
  std::uint64_t failed = 0;               ///< items that failed for good
  std::uint64_t scanned = 0;              ///< items examined
  std::vector<Failure> failures;          ///< the first OpOptions::max_failures_kept failures
  std::vector<std::string> samples;       ///< a few of the items acted on (or that would be, in a dry run)
  std::optional<Error> error;             ///< why it stopped, for failed and cancelled
  Duration elapsed{0};                    ///< from start() to the end
  std::uint64_t resumed_at = 0;           ///< done + failed restored from the journal (0 for a fresh run): this
                                          ///< run did done + failed - resumed_at of them in `elapsed`
  engine::SchedulerStats requests;        ///< the scheduler's counters at the end (requests sent, retries, 429s, …)
  json extra = json::object();            ///< operation-specific figures (e.g. purge ids, zones)
  json spec;                              ///< the spec it ran (Spec::to_json()), the same whichever front built it

  /// The process exit code for this outcome: 0 ok, 1 failure, 2 bad input, 3 partial failure, 130 interrupted.
  int exit_code() const {
    switch (status) {
      case OpStatus::completed: return 0;
      case OpStatus::partial: return 3;
      case OpStatus::cancelled: return 130;
      case OpStatus::failed: return error && error->kind == ErrorKind::invalid_input ? 2 : 1;
    }
    return 1;
  }

  /// The stable `--json` form.
  json to_json() const {
    json f = json::array();
    for (const auto& x : failures)
      f.push_back({{"item", x.item}, {"kind", to_string(x.error.kind)}, {"reason", x.error.message}});
    json j{{"operation", operation},
           {"status", to_string(status)},
           {"dry_run", dry_run},
           {"done", done},
           {"failed", failed},
           {"scanned", scanned},
           {"failures", f},
           {"samples", samples},
           {"elapsed_s", to_seconds(elapsed)},
           {"resumed_at", resumed_at},
           {"requests",
            {{"sent", requests.sent},
             {"retries", requests.retries},
             {"rate_limited", requests.rate_limited},
             {"server_errors", requests.server_errors},
             {"transport_errors", requests.transport_errors}}}};
    j["error"] = error ? json{{"kind", to_string(error->kind)}, {"message", error->message}} : json(nullptr);
    if (!spec.is_null()) j["spec"] = spec;
    for (auto& [k, v] : extra.items()) j[k] = v;
    return j;
  }
};

/// Whether resuming the job that ended with @p r can get further (resume_can_help(ErrorKind) of why it stopped);
/// false for a job that did not stop (completed or partial: nothing is left to resume).
inline bool resume_can_help(const OpReport& r) { return r.error && resume_can_help(r.error->kind); }

/// Whether the operation refused its spec or input before settling any item: a fresh job that ends so keeps nothing
/// (a resume would refuse it again, and there is no progress to keep), so a front discards it.
inline bool refused_its_input(const OpReport& r) {
  return r.status == OpStatus::failed && r.error && r.error->kind == ErrorKind::invalid_input && r.done == 0 &&
         r.failed == 0;
}

/// Checks that a journal was started against @p current — the same API base URL and account (`{"api_base_url":…,
/// "account_id":…}`; an empty or missing account on either side is not compared) — so that a job started on one
/// API or account is never resumed on another by accident. Returns an ErrorKind::journal error naming both targets.
/// @p allow_change turns the refusal off (a front's explicit override).
inline std::optional<Error> check_target(const engine::JournalState& st, const json& current, bool allow_change) {
  if (allow_change) return std::nullopt;
  auto text = [](const json& t, const char* field) {
    std::string v = t.is_object() ? t.value(field, "") : "";
    while (v.size() > 1 && v.back() == '/') v.pop_back();
    return v;
  };
  auto describe = [&](const json& t) {
    std::string out = text(t, "api_base_url").empty() ? "an unrecorded API" : "API " + text(t, "api_base_url");
    if (!text(t, "account_id").empty()) out += ", account " + text(t, "account_id");
    return out;
  };
  const bool base_differs = text(st.target, "api_base_url") != text(current, "api_base_url");
  const bool account_differs = !text(st.target, "account_id").empty() && !text(current, "account_id").empty() &&
                               text(st.target, "account_id") != text(current, "account_id");
  if (!base_differs && !account_differs) return std::nullopt;
  return Error::make(ErrorKind::journal, "this job was started against " + describe(st.target) +
                                             ", but this environment points at " + describe(current) +
                                             "; resuming would act on a different target");
}

/// Checks that a journal's spec is the same operation as @p wanted (a resume must not change what is deleted).
inline std::optional<Error> check_same_spec(const engine::JournalState& st, std::string_view op, const json& wanted) {
  if (st.op != op || st.spec != wanted)
    return Error::make(ErrorKind::journal, "the journal belongs to a different operation (" + st.op + " " +
                                               st.spec.dump() + "); refusing to resume it as " + std::string(op) + " " +
                                               wanted.dump());
  return std::nullopt;
}

/// Options every operation takes. All are optional.
///
/// Example:
/// ```
/// ckp::ops::OpOptions options;
/// options.on_progress = [](const ckp::engine::Progress& p) { std::fprintf(stderr, "%llu done\n", (unsigned long long)p.done); };
/// options.cancel = cancel;                                   // a CancelToken the program keeps a copy of
/// options.deadline = transport.now() + std::chrono::minutes(30);
/// ```
struct OpOptions {
  /// Where to journal for resume; null = no journal.
  engine::Journal* journal = nullptr;
  /// The journal's current state, when resuming (from Journal::load). The operation continues from its watermark.
  std::optional<engine::JournalState> resume;
  /// Called every progress_interval with a snapshot, and once more at the end (Progress::finished set).
  std::function<void(const engine::Progress&)> on_progress;
  /// How often progress is reported, and how often `cancel` and `deadline` are checked.
  Duration progress_interval = std::chrono::milliseconds(250);
  /// Set it (from anywhere) to stop the operation: it ends as OpStatus::cancelled, resumable.
  engine::CancelToken cancel;
  /// When this time passes the operation stops as if cancelled (ErrorKind::cancelled, "deadline passed").
  std::optional<Instant> deadline;
  /// How many failures OpReport::failures keeps (all are counted and journaled).
  std::size_t max_failures_kept = 1000;
  /// How many items OpReport::samples keeps.
  std::size_t samples = 10;
  /// How many items there are, when the front knows it better than the operation (e.g. from a preview): progress
  /// then shows a total and an ETA.
  std::optional<std::uint64_t> expected_total;
  /// What the job acts on, journaled with its spec (`{"api_base_url": …, "account_id": …}`, never a credential);
  /// a resume is refused against another target (check_target()).
  json target;
  /// A resume may act on another target than the journal's: the front's explicit override (the journal records
  /// the new target).
  bool allow_new_target = false;
  /// The front's own bookkeeping about a new job (who started it, its inline input), journaled before the spec.
  std::vector<json> notes;
  /// Names spec fields in the front's words in the operation's errors (see SpecError); default: the field's name.
  FieldNamer name_field;
  /// A listing's calls at once (ops/key_lister.hpp): 1 = the plain cursor chain; unset = the lister's default (16).
  /// The console keeps it under the browser's connections per host.
  std::optional<std::size_t> list_shards;
};

/// The base of every long operation (see the file's comment): KvDelete, KvExport, KvImport, Purge, SyncPurge.
///
/// A subclass implements begin() and work_finished(), calls the API through `scheduler_`, counts with add_done()
/// and add_failure(), and calls maybe_finish() after every event; stop() ends it early. Drive one with run(), or
/// with start() and the transport's own loop (the browser's).
class Operation {
 public:
  virtual ~Operation() = default;
  Operation(const Operation&) = delete;
  Operation& operator=(const Operation&) = delete;

  /// Begins the operation. Completion is observed with finished() / on_finished.
  void start() {
    started_ = true;
    started_at_ = scheduler_.now();
    if (auto e = open_journal()) stop(*e);
    else begin();
    // After begin(): a resumed operation has restored its counts, and its rate starts from them, not from zero.
    report_.resumed_at = report_.done + report_.failed;
    scanned_at_start_ = report_.scanned;
    meter_.update(report_.done + report_.failed, started_at_);
    tick();
    maybe_finish();
  }
  /// Checks OpOptions::cancel and the deadline now rather than at the next progress tick: a front that has just set
  /// the token calls it so that the operation stops at once (it may finish inside this call).
  void poll_stop() {
    if (finished_ || !started_) return;
    check_stop(scheduler_.now());
    maybe_finish();
  }
  /// Whether the operation has ended (its report is final).
  bool finished() const { return finished_; }
  /// The report: final once finished(), counts so far before.
  const OpReport& report() const { return report_; }
  /// Called once when the operation finishes.
  std::function<void(const OpReport&)> on_finished;

  /// A progress snapshot now.
  engine::Progress progress() {
    engine::Progress p;
    p.operation = report_.operation;
    p.phase = finished_ ? "done" : stopping_ ? "stopping" : phase();
    p.done = report_.done;
    p.failed = report_.failed;
    p.scanned = report_.scanned;
    p.total = total();
    const Instant now = scheduler_.now();
    p.elapsed = now - started_at_;
    p.rate = meter_.update(report_.done + report_.failed, now);
    const double secs = to_seconds(p.elapsed);
    const std::uint64_t this_run = p.done + p.failed >= report_.resumed_at ? p.done + p.failed - report_.resumed_at : 0;
    p.average_rate = secs > 0 ? static_cast<double>(this_run) / secs : 0;
    // The ETA is at this run's average pace (the rate the bar and the summary show): the recent rate starts from the
    // zero of a run's first moments (zones looked up, a first page listed) and would overstate the time left.
    const auto left_at = [&](std::uint64_t left, double per_second) -> std::optional<Duration> {
      if (per_second <= 0) return std::nullopt;
      return from_seconds(static_cast<double>(left) / per_second);
    };
    if (p.total && *p.total >= p.done + p.failed) p.eta = left_at(*p.total - p.done - p.failed, p.average_rate);
    if (!p.total && !finished_) p.estimated_scan = estimated_scan();
    if (p.estimated_scan && *p.estimated_scan > p.scanned && secs > 0)
      p.eta = left_at(*p.estimated_scan - p.scanned,
                      static_cast<double>(p.scanned - std::min(p.scanned, scanned_at_start_)) / secs);
    if (!finished_) p.rate_wait = scheduler_.rate_wait();
    p.concurrency = scheduler_.concurrency_limit();
    p.inflight = scheduler_.inflight();
    p.requests = scheduler_.stats().sent;
    p.rate_limited = scheduler_.stats().rate_limited;
    p.retries = scheduler_.stats().retries;
    p.finished = finished_;
    return p;
  }

 protected:
  /// An operation called @p name (OpReport::operation) making its calls through @p scheduler.
  Operation(std::string name, engine::Scheduler& scheduler, OpOptions options)
      : scheduler_(scheduler), options_(std::move(options)) {
    report_.operation = std::move(name);
  }

  /// Starts the work (first calls; a resumed operation's own state). The journal is open by then: the spec line
  /// is written, or the resumed journal's counts are restored.
  virtual void begin() = 0;
  /// Checks the spec as a whole before anything happens (the operation stops with the error); none by default.
  virtual std::optional<Error> check_spec() const { return std::nullopt; }
  /// True when the operation has nothing left to start (its own producers are exhausted and idle).
  virtual bool work_finished() const = 0;
  /// Called once before the report is final: write the last watermark, fill report_.extra.
  virtual void on_finalize() {}
  /// What it is doing now, for progress (e.g. "listing and deleting").
  virtual std::string phase() const { return "working"; }
  /// How many items there are to do, when known (progress shows a total and an ETA then).
  virtual std::optional<std::uint64_t> total() const { return options_.expected_total; }
  /// How many items a listing will examine in all, estimated, while total() is unknown; none by default.
  virtual std::optional<std::uint64_t> estimated_scan() const { return std::nullopt; }

  /// Items confirmed by the API.
  void add_done(std::uint64_t n = 1) { report_.done += n; }
  /// An item failed for good: counted and kept (up to a bound). The operation journals it once its outcome is
  /// durable (journal_progress()), so that a resume, which may do it again, does not report it twice.
  void add_failure(std::string item, const Error& e) {
    ++report_.failed;
    if (report_.failures.size() < options_.max_failures_kept) report_.failures.push_back({std::move(item), e});
  }
  /// Keeps @p item as a sample, up to OpOptions::samples.
  void add_sample(const std::string& item) {
    if (report_.samples.size() < options_.samples) report_.samples.push_back(item);
  }

  /// Stops the operation: nothing new is admitted, calls in flight land, then it finishes as failed or cancelled.
  void stop(Error reason) {
    if (stopping_ || finished_) return;
    stopping_ = true;
    stop_reason_ = reason;
    scheduler_.cancel(std::move(reason));
  }
  /// Whether stop() was called (or cancellation / the deadline stopped it).
  bool stopping() const { return stopping_; }

  /// Finishes the operation if it is done (or stopped and quiet). Call after every event.
  void maybe_finish() {
    if (finished_ || !started_) return;
    if (!scheduler_.idle()) return;
    if (!stopping_ && !work_finished()) return;
    finished_ = true;
    on_finalize();
    report_.elapsed = scheduler_.now() - started_at_;
    report_.requests = scheduler_.stats();
    if (stopping_) {
      report_.status = stop_reason_->kind == ErrorKind::cancelled ? OpStatus::cancelled : OpStatus::failed;
      report_.error = stop_reason_;
      if (options_.journal) options_.journal->sync();  // resumable: no end line
    } else {
      report_.status = report_.failed ? OpStatus::partial : OpStatus::completed;
      if (options_.journal) options_.journal->finish(to_string(report_.status), {report_.done, report_.failed});
    }
    if (options_.on_progress) options_.on_progress(progress());
    if (on_finished) on_finished(report_);
  }

  /// Writes @p data into the journal (not in a dry run), durably unless @p sync is false.
  void journal_note(const json& data, bool sync = true) {
    if (options_.journal && !report_.dry_run) options_.journal->note(data, sync);
  }
  /// The journal to write progress to: none in a dry run.
  engine::Journal* journal() const { return report_.dry_run ? nullptr : options_.journal; }
  /// A spec field's name in the front's words (OpOptions::name_field), for messages.
  std::string field_name(std::string_view field) const {
    return options_.name_field ? options_.name_field(field) : "`" + std::string(field) + "`";
  }

  /// Restores counters from a journal being resumed: the counts and failures of everything durable.
  void restore_counters(const engine::JournalState& st) {
    durable_ = st.counters;
    report_.done = st.counters.done;
    report_.failed = st.counters.failed;
    for (const auto& f : st.failures) {
      if (report_.failures.size() >= options_.max_failures_kept) break;
      ErrorKind kind = ErrorKind::bad_request;
      for (auto k : {ErrorKind::invalid_input, ErrorKind::not_found, ErrorKind::conflict, ErrorKind::too_large})
        if (f.kind == to_string(k)) kind = k;
      report_.failures.push_back({f.item, Error::make(kind, f.reason)});
    }
  }

  /// How a batched item settled: its input segment, and the failure when it failed for good (null when confirmed).
  template <class Payload>
  using Settle = std::function<void(const Payload&, std::uint64_t segment, const Error* failure)>;

  /// BatchRunner hooks every operation wants: a confirmed item counts as done, a failed one goes to the report,
  /// either way the operation settles it (@p settle); a fatal error stops the operation; and after each outcome
  /// the operation checks whether it is finished. The caller adds `send` (and `bytes`).
  template <class Payload>
  typename engine::BatchRunner<Payload>::Hooks settling_hooks(std::function<std::string(const Payload&)> id,
                                                              Settle<Payload> settle) {
    typename engine::BatchRunner<Payload>::Hooks h;
    h.id = id;
    h.confirmed = [this, settle](const Payload& p, std::uint64_t segment) {
      add_done();
      settle(p, segment, nullptr);
    };
    h.failed = [this, settle, id](const Payload& p, std::uint64_t segment, const Error& e) {
      add_failure(id(p), e);
      settle(p, segment, &e);
    };
    h.fatal = [this](const Error& e) { stop(e); };
    h.after_outcome = [this] { maybe_finish(); };
    return h;
  }

  engine::Scheduler& scheduler_;  ///< where the operation's calls go
  OpOptions options_;             ///< as given to the constructor
  OpReport report_;               ///< filled as the operation goes
  /// The counts a journal checkpoint may record: items whose outcome will not be redone by a resume
  /// (journal_progress() adds to it).
  engine::JournalCounters durable_;

 private:
  /// Checks the spec; then begins the journal (a fresh job) or checks and restores it (a resume).
  std::optional<Error> open_journal() {
    if (auto e = check_spec()) return e;
    if (options_.resume) {
      const auto& st = *options_.resume;
      if (auto e = check_same_spec(st, report_.operation, report_.spec)) return e;
      if (!options_.target.is_null()) {
        if (auto e = check_target(st, options_.target, options_.allow_new_target)) return e;
        if (options_.journal && check_target(st, options_.target, false)) options_.journal->retarget(options_.target);
      }
      restore_counters(st);
      return std::nullopt;
    }
    if (journal()) {
      for (const auto& note : options_.notes) journal()->preamble(note);
      if (!options_.target.is_null()) journal()->target(options_.target);
      journal()->begin(report_.operation, report_.spec);
    }
    return std::nullopt;
  }

  /// Stops the operation when it was asked to (the cancel token) or its deadline has passed.
  void check_stop(Instant now) {
    if (!stopping_ && options_.cancel.stop_requested())
      stop(Error::make(ErrorKind::cancelled, "stopped on request; the journal holds the progress so far"));
    if (!stopping_ && options_.deadline && now >= *options_.deadline)
      stop(Error::make(ErrorKind::cancelled, "the operation's deadline passed"));
  }

  void tick() {
    if (finished_) return;
    check_stop(scheduler_.now());
    if (options_.on_progress) options_.on_progress(progress());
    maybe_finish();
    // The timer may outlive the operation (it is never cancelled), so it checks that the operation is alive.
    if (!finished_)
      scheduler_.transport().after(options_.progress_interval, [this, alive = std::weak_ptr<int>(alive_)] {
        if (alive.lock()) tick();
      });
  }

  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  Instant started_at_{};
  bool started_ = false;
  bool stopping_ = false;
  bool finished_ = false;
  std::optional<Error> stop_reason_;
  engine::RateMeter meter_;
  std::uint64_t scanned_at_start_ = 0;  // items examined before this run (a resume): a listing's pace is this run's
};

/// Sends a KV bulk write or bulk delete of @p items items and reports it as a BatchOutcome (the keys the API
/// reported as unsuccessful, or the error that failed the call).
inline void submit_bulk(engine::Scheduler& scheduler, api::Request request, std::size_t items,
                        std::function<void(engine::BatchOutcome)> done) {
  scheduler.submit(
      std::move(request), engine::Cost::api_call(),
      [items](const api::Response& r) { return api::kv::parse_bulk_result(r, items); },
      [done = std::move(done)](Result<api::kv::BulkResult> res) {
        if (!res) return done({res.error(), {}});
        done({std::nullopt, std::move(res->unsuccessful_keys)});
      });
}

/// Runs @p op to the end on a transport that can drive its own loop (SimTransport, HttplibTransport): start(),
/// then `transport.run_until(op.finished())`. Returns the report (final unless the loop ran dry first); errors are
/// in it, never thrown.
///
/// Example:
/// ```
/// ckp::ops::OpReport report = ckp::ops::run(sim, op);
/// if (report.status != ckp::ops::OpStatus::completed) std::puts(report.to_json().dump().c_str());
/// ```
template <class T>
OpReport run(T& transport, Operation& op) {
  op.start();
  transport.run_until([&] { return op.finished(); });
  return op.report();
}

}  // namespace ckp::ops
