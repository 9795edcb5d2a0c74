// Job: one long operation on the browser's event loop, journaled in browser storage.
#include "job.hpp"

#include <emscripten/emscripten.h>

#include <fmt/format.h>

#include "browser_storage.hpp"
#include "ckp/api/json_integer.hpp"
#include "ckp/api/json_parse.hpp"
#include "ckp/io/records.hpp"
#include "ckp/ops/registry.hpp"
#include "js_values.hpp"

namespace ckp::wasm {

namespace {

std::string new_job_id(Core& core, std::string_view kind) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(core.transport.now().time_since_epoch()).count();
  const auto salt = static_cast<unsigned>(emscripten_random() * 0xffffff);
  return fmt::format("{}-{:x}-{:x}{:06x}", kind, ms, ++core.next_job, salt);
}

double unix_now(const Core& core) { return to_seconds(core.transport.now().time_since_epoch()); }

/// @p j[@p key] when it is a non-negative number, else 0 (browser storage can be edited by hand).
double number_in(const json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  return it != j.end() && it->is_number() && it->get<double>() >= 0 ? it->get<double>() : 0;
}

Error invalid(std::string message) { return Error::make(ErrorKind::invalid_input, std::move(message)); }

Error journal_error(std::string message) { return Error::make(ErrorKind::journal, std::move(message)); }

/// The page's words for spec fields, in errors (the CLI says --tag-field where the page says "Metadata field").
std::string page_name(std::string_view field) {
  static const std::pair<const char*, const char*> names[] = {{"account_id", "the account"},
                                                              {"namespace_id", "the namespace"},
                                                              {"prefix", "“Key prefix”"},
                                                              {"pattern", "the name pattern"},
                                                              {"search", "“Text in the metadata”"},
                                                              {"field", "“Metadata field”"},
                                                              {"value", "“Value”"},
                                                              {"all_keys", "“Every key”"},
                                                              {"batch_size", "“Keys per bulk request”"},
                                                              {"zones", "the zone"},
                                                              {"input", "the list"},
                                                              {"headers", "the headers"},
                                                              {"plan", "the plan"},
                                                              {"zone_concurrency", "zones at once"}};
  for (const auto& [f, name] : names)
    if (field == f) return name;
  return std::string(field);
}

std::unique_ptr<io::RecordSource> records_of(const std::string& text) {
  return io::open_records(std::make_unique<io::StringReader>(text, "purge list"));
}

/// Where the console's operations find their input: the text the page gave (or browser storage kept).
ops::OpEnvironment environment(engine::Scheduler& scheduler, std::string input) {
  ops::OpEnvironment env;
  env.scheduler = &scheduler;
  env.open_input = [input = std::move(input)](const std::string&,
                                              std::uint64_t expected) -> Result<std::unique_ptr<io::RecordSource>> {
    if (expected && expected != input.size())
      return journal_error("the job's input in this browser's storage is not the one it started with");
    return records_of(input);
  };
  return env;
}

}  // namespace

Job::Job(Token, std::shared_ptr<Core> core, std::string id, emscripten::val callbacks)
    : core_(std::move(core)), id_(std::move(id)), callbacks_(std::move(callbacks)) {
  scheduler_ = std::make_unique<engine::Scheduler>(core_->transport, engine::SchedulerConfig{}, core_->governor);
}

Job::~Job() = default;

void Job::open_journal() {
  store_ = std::make_unique<LocalStorageJournalStore>(id_);
  journal_ = std::make_unique<engine::Journal>(*store_);
}

ops::OpOptions Job::options(std::optional<engine::JournalState> resume) {
  ops::OpOptions o;
  o.journal = journal_.get();
  o.resume = std::move(resume);
  // What the job acts on: a job started through one console (one API) is never resumed through another.
  o.target = {{"api_base_url", core_->api_base}};
  o.name_field = page_name;
  // A browser opens at most 6 connections to one host over HTTP/1.1 (the console server's): 4 listing calls at
  // once leave room for the job's deletes or reads and for the page's own calls. More would only queue in the
  // browser, where the engine cannot see them.
  o.list_shards = 4;
  o.cancel = cancel_;
  o.on_progress = [this](const engine::Progress& p) {
    call_js_method(callbacks_, "onProgress", progress_json(p).dump());
    // Every few seconds the job's entry records this run's figures: a tab closed mid-run loses at most those.
    const Instant now = scheduler_->now();
    if (journal_ && meta_.is_object() && now - last_meta_write_ >= std::chrono::seconds(3)) {
      last_meta_write_ = now;
      record_run(p.elapsed, p.requests);
      // Not into an entry another tab has forgotten meanwhile (it would come back without its journal).
      if (read_job_meta(id_).is_object()) write_job_meta(id_, meta_);
    }
  };
  return o;
}

void Job::launch(ops::BuiltOperation built) {
  sink_ = std::move(built.sink);
  op_ = std::move(built.op);
  op_->on_finished = [this](const ops::OpReport& r) { on_finished(r); };
  core_->running[id_] = shared_from_this();
  op_->start();
}

void Job::on_finished(const ops::OpReport&) {
  finished_ = true;
  // The page hears of the end on a fresh turn of the event loop, not from inside the engine's call that finished
  // the operation: there it may drop the job.
  core_->transport.after(Duration{0}, [self = shared_from_this()] {
    self->record_report(self->op_->report());
    call_js_method(self->callbacks_, "onFinished", self->report_.dump());
    self->core_->running.erase(self->id_);
  });
}

void Job::record_report(const ops::OpReport& r) {
  const bool stopped = r.status == ops::OpStatus::cancelled || r.status == ops::OpStatus::failed;
  // A job a resume would stop the same way (input the engine refused, a namespace that is gone) is failed, not
  // interrupted: the page offers no Resume, and the journal is closed so that the Jobs tab offers none either.
  const bool can_help = ops::resume_can_help(r);
  const bool resumable = stopped && can_help && journal_ && store_ && store_->healthy() && !r.dry_run;
  report_ = r.to_json();
  report_["job_id"] = id_;
  report_["resumable"] = resumable;
  report_["resume_can_help"] = !stopped || can_help;
  if (!journal_ || !meta_.is_object()) return;
  if (ops::refused_its_input(r) && !resumed_) {
    // Refused before doing anything (as the CLI does): there is nothing to keep, not even a failed entry.
    meta_ = nullptr;  // nothing more is written for it
    forget_job(id_);
    return;
  }
  // A resume refused before it began (another API or account than the journal's, a spec this version reads
  // differently) leaves the journal as it was: its counts are the job's, and a resume from the right console can
  // still continue it. Only a run that went on and then hit what a resume cannot get past closes the journal.
  const bool refused_resume = resumed_ && r.done == 0 && r.failed == 0 && r.error &&
                              (r.error->kind == ErrorKind::journal || r.error->kind == ErrorKind::invalid_input);
  if (stopped && !can_help && !refused_resume) journal_->finish(to_string(r.status), {r.done, r.failed});
  record_run(r.elapsed, r.requests.sent);
  // The whole job's figures (every run of it), beside this run's.
  report_["job_elapsed_s"] = number_in(meta_, "earlier_elapsed_s") + to_seconds(r.elapsed);
  report_["job_requests"] = static_cast<std::uint64_t>(number_in(meta_, "earlier_requests")) + r.requests.sent;
  report_["job_runs"] = number_in(meta_, "resumes") + 1;
  meta_["status"] = to_string(r.status);
  if (!refused_resume) {  // a refused resume restored nothing: the entry keeps the job's counts
    meta_["done"] = r.done;
    meta_["failed"] = r.failed;
  }
  meta_["updated"] = unix_now(*core_);
  if (r.error) meta_["error"] = r.error->message;
  write_job_meta(id_, meta_);
}

void Job::record_run(Duration elapsed, std::uint64_t requests) {
  meta_["this_run"] = {{"elapsed_s", to_seconds(elapsed)}, {"requests", requests}};
}

void Job::start_run() {
  // The run before this one (finished, cancelled, or cut short by a closed tab: then as of its last progress).
  const json last = meta_.contains("this_run") ? meta_["this_run"] : json();
  meta_["earlier_elapsed_s"] = number_in(meta_, "earlier_elapsed_s") + number_in(last, "elapsed_s");
  meta_["earlier_requests"] = number_in(meta_, "earlier_requests") + number_in(last, "requests");
  meta_["this_run"] = {{"elapsed_s", 0.0}, {"requests", 0}};
}

void Job::fail_early(const Error& e, const std::string& operation) {
  ops::OpReport r;
  r.operation = operation;
  r.status = ops::OpStatus::failed;
  r.error = e;
  finished_ = true;
  report_ = r.to_json();
  report_["job_id"] = id_;
  report_["resumable"] = false;
  core_->transport.after(Duration{0}, [self = shared_from_this()] {
    call_js_method(self->callbacks_, "onFinished", self->report_.dump());
  });
}

json Job::progress_json(const engine::Progress& p) const {
  json j = p.to_json();
  j["job_id"] = id_;
  const Instant now = scheduler_->now(), until = scheduler_->governor().blocked_until();
  j["blocked_s"] = until > now ? to_seconds(until - now) : 0.0;
  // A resumed job's counts include the earlier runs' (done + failed restored from the journal), its `scanned` not.
  j["resumed_at"] = op_ ? op_->report().resumed_at : 0;
  return j;
}

std::string Job::progress() {
  if (op_) return progress_json(op_->progress()).dump();
  return "null";
}

std::shared_ptr<Job> Job::bulk_delete(std::shared_ptr<Core> core, const std::string& spec_json,
                                      emscripten::val callbacks) {
  return start(std::move(core), ops::KvDeleteSpec::op_name, spec_json, "", std::move(callbacks));
}

std::shared_ptr<Job> Job::purge(std::shared_ptr<Core> core, const std::string& spec_json, const std::string& items,
                                emscripten::val callbacks) {
  return start(std::move(core), ops::PurgeSpec::op_name, spec_json, items, std::move(callbacks));
}

std::shared_ptr<Job> Job::start(std::shared_ptr<Core> core, const std::string& op_name, const std::string& page_json,
                                const std::string& items, emscripten::val callbacks) {
  auto spec = api::parse_json_or_discarded(page_json);
  const bool purge = op_name == ops::PurgeSpec::op_name;
  const std::string id = new_job_id(*core, purge ? "purge" : "kv-delete");
  auto job = std::make_shared<Job>(Token{}, core, id, std::move(callbacks));
  if (!spec.is_object()) {
    job->fail_early(invalid("the job's settings are not a JSON object"), op_name);
    return job;
  }
  // The page's spec is the engine's spec (the same JSON the CLI builds); a purge's items travel beside it.
  if (purge) {
    spec["input"] = "purge list";
    spec["input_size"] = items.size();
  }
  const bool dry_run = spec.value("dry_run", false);
  const bool everything = purge && spec.value("kind", "") == api::purge::field_name(api::purge::Kind::everything);
  const auto total = api::json_integer<std::uint64_t>(spec.value("expected_total", nlohmann::json()));
  // A purge can resume only with its input: journal it when the input fits in browser storage.
  const bool journaled = !dry_run && !everything && (!purge || storage_set(job_key_prefix(id) + "input", items));
  if (journaled) {
    job->meta_ = {{"id", id},
                  {"op", op_name},
                  {"label", spec.value("label", purge ? "Cache purge" : "Bulk delete")},
                  {"account_id", spec.value("account_id", "")},
                  {"namespace_id", spec.value("namespace_id", "")},
                  {"namespace_title", spec.value("namespace_title", "")},
                  {"total", total ? json(*total) : json(nullptr)},
                  {"created", unix_now(*core)},
                  {"status", "running"}};
    write_job_meta(id, job->meta_);
    job->open_journal();
  }
  auto options = job->options(std::nullopt);
  options.expected_total = total;
  options.target["account_id"] = spec.value("account_id", "");
  auto built = ops::build_operation(op_name, spec, environment(*job->scheduler_, items), std::move(options), false);
  if (!built) {
    if (journaled) forget_job(id);
    job->journal_.reset();
    job->fail_early(built.error(), op_name);
    return job;
  }
  job->launch(std::move(*built));
  return job;
}

std::shared_ptr<Job> Job::resume(std::shared_ptr<Core> core, const std::string& job_id, emscripten::val callbacks) {
  auto job = std::make_shared<Job>(Token{}, core, job_id, std::move(callbacks));
  json meta = read_job_meta(job_id);
  const std::string op_name = meta.is_object() ? meta.value("op", "") : "";
  if (!meta.is_object()) {
    job->fail_early(journal_error("no journal for job " + job_id + " in this browser's storage"), "resume");
    return job;
  }
  if (core->running.count(job_id)) {
    job->fail_early(journal_error("job " + job_id + " is still running in this page"), op_name);
    return job;
  }
  job->open_journal();
  auto state = engine::Journal::load(*job->store_);
  if (!state) {
    job->journal_.reset();
    job->fail_early(state.error(), op_name);
    return job;
  }
  if (state->end_status) {
    job->journal_.reset();
    job->fail_early(journal_error("job " + job_id + " already ended (" + *state->end_status + "); nothing to resume"),
                    op_name);
    return job;
  }
  std::string input;
  if (state->op == ops::PurgeSpec::op_name) {
    auto stored = storage_get(job_key_prefix(job_id) + "input");
    if (!stored) {
      job->journal_.reset();
      job->fail_early(journal_error("the purge's input is no longer in this browser's storage"), state->op);
      return job;
    }
    input = std::move(*stored);
  }
  job->resumed_ = true;
  job->meta_ = meta;
  job->start_run();
  job->meta_["status"] = "running";
  job->meta_["resumes"] = api::json_integer<int>(meta.value("resumes", nlohmann::json())).value_or(0) + 1;
  write_job_meta(job_id, job->meta_);
  auto options = job->options(*state);
  options.expected_total = api::json_integer<std::uint64_t>(meta.value("total", nlohmann::json()));
  auto built = ops::build_operation(state->op, state->spec, environment(*job->scheduler_, std::move(input)),
                                    std::move(options), true);
  if (!built) {
    job->fail_early(built.error(), state->op);
    return job;
  }
  job->launch(std::move(*built));
  return job;
}

}  // namespace ckp::wasm
