// Job: one long operation on the browser's event loop, journaled in browser storage.
#include "job.hpp"

#include <emscripten/emscripten.h>

#include <fmt/format.h>

#include "browser_storage.hpp"
#include "ckp/api/json_integer.hpp"
#include "ckp/engine/records.hpp"
#include "ckp/ops/kv_delete.hpp"
#include "ckp/ops/purge.hpp"
#include "js_values.hpp"

namespace ckp::wasm {

namespace {

std::string new_job_id(Core& core, std::string_view kind) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(core.transport.now().time_since_epoch()).count();
  const auto salt = static_cast<unsigned>(emscripten_random() * 0xffffff);
  return fmt::format("{}-{:x}-{:x}{:06x}", kind, ms, ++core.next_job, salt);
}

double unix_now(const Core& core) { return to_seconds(core.transport.now().time_since_epoch()); }

Error invalid(std::string message) { return Error::make(ErrorKind::invalid_input, std::move(message)); }

Error journal_error(std::string message) { return Error::make(ErrorKind::journal, std::move(message)); }

/// The KvDeleteSpec in the page's JSON, or why it is not one.
Result<ops::KvDeleteSpec> delete_spec(const json& j) {
  ops::KvDeleteSpec s;
  s.account_id = j.value("account_id", "");
  s.namespace_id = j.value("namespace_id", "");
  if (s.account_id.empty()) return invalid("choose an account first");
  if (s.namespace_id.empty()) return invalid("choose a namespace first");
  const std::string selector = j.value("selector", "prefix");
  if (selector == "prefix") s.selector = ops::KvDeleteSpec::Selector::prefix;
  else if (selector == "metadata") s.selector = ops::KvDeleteSpec::Selector::metadata;
  else if (selector == "search") s.selector = ops::KvDeleteSpec::Selector::search;
  else return invalid("unknown selection '" + selector + "' (prefix, metadata or search)");
  s.prefix = j.value("prefix", "");
  s.field = j.value("field", "");
  s.value = j.value("value", "");
  s.search = j.value("search", "");
  if (s.selector == ops::KvDeleteSpec::Selector::metadata && s.field.empty()) return invalid("name the metadata field to match");
  if (s.selector == ops::KvDeleteSpec::Selector::search && s.search.empty()) return invalid("enter the text to search the metadata for");
  if (auto b = j.find("batch_size"); b != j.end() && b->is_number_integer()) {
    const auto n = b->get<std::int64_t>();
    if (n < 1 || n > static_cast<std::int64_t>(api::kv_limits::max_bulk_items)) return invalid("batch size must be 1-10000");
    s.batch_size = static_cast<std::size_t>(n);
  }
  s.dry_run = j.value("dry_run", false);
  return s;
}

/// The PurgeSpec in the page's JSON, or why it is not one.
Result<ops::PurgeSpec> purge_spec(const json& j, std::uint64_t input_size) {
  ops::PurgeSpec s;
  const std::string kind = j.value("kind", "files");
  bool known = false;
  for (auto k : {api::purge::Kind::files, api::purge::Kind::tags, api::purge::Kind::hosts, api::purge::Kind::prefixes,
                 api::purge::Kind::everything})
    if (kind == api::purge::field_name(k)) s.kind = k, known = true;
  if (!known) return invalid("unknown purge type '" + kind + "'");
  s.account_id = j.value("account_id", "");
  if (auto zs = j.find("zones"); zs != j.end() && zs->is_array())
    for (const auto& z : *zs)
      if (z.is_object() && z.contains("id") && z["id"].is_string()) s.zones.push_back({z["id"], z.value("name", "")});
  if (s.zones.empty() && s.account_id.empty()) return invalid("choose an account or a zone first");
  if (auto hs = j.find("headers"); hs != j.end()) {
    if (hs->is_object()) {
      for (auto& [k, v] : hs->items()) {
        if (!v.is_string()) return invalid("header " + k + " must have a text value");
        s.headers.emplace_back(k, v.get<std::string>());
      }
    } else if (hs->is_array()) {
      for (const auto& h : *hs)
        if (h.is_array() && h.size() == 2 && h[0].is_string() && h[1].is_string()) s.headers.emplace_back(h[0], h[1]);
    }
  }
  const std::string plan = j.value("plan", "enterprise");
  auto profile = api::PlanProfile::named(plan);
  if (!profile) return invalid("unknown plan '" + plan + "' (free, pro, business or enterprise)");
  s.plan = *profile;
  s.input = "purge list";
  s.input_size = input_size;
  s.dry_run = j.value("dry_run", false);
  return s;
}

std::unique_ptr<engine::RecordSource> records_of(const std::string& text) {
  return engine::open_records(std::make_unique<engine::StringReader>(text, "purge list"));
}

}  // namespace

Job::Job(Token, std::shared_ptr<Core> core, std::string id, emscripten::val callbacks)
    : core_(std::move(core)), id_(std::move(id)), callbacks_(std::move(callbacks)) {
  scheduler_ = std::make_unique<engine::Scheduler>(core_->transport);
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
  o.cancel = cancel_;
  o.on_progress = [this](const engine::Progress& p) { call_js_method(callbacks_, "onProgress", progress_json(p).dump()); };
  return o;
}

void Job::launch(std::unique_ptr<ops::Operation> op) {
  op_ = std::move(op);
  op_->on_finished = [this](const ops::OpReport& r) { on_finished(r); };
  core_->running[id_] = shared_from_this();
  op_->start();
}

void Job::on_finished(const ops::OpReport&) {
  finished_ = true;
  // The report is read on a fresh turn of the event loop, not now: a stopped operation may finish while the batch
  // that ended it is still being counted (see the note in job.hpp), and the rest of that batch lands before then.
  // The page hears of the end there too, where it may drop the job.
  core_->transport.after(Duration{0}, [self = shared_from_this()] {
    self->record_report(self->op_->report());
    call_js_method(self->callbacks_, "onFinished", self->report_.dump());
    self->core_->running.erase(self->id_);
  });
}

void Job::record_report(const ops::OpReport& r) {
  const bool stopped = r.status == ops::OpStatus::cancelled || r.status == ops::OpStatus::failed;
  const bool resumable = stopped && journal_ && store_ && store_->healthy() && !r.dry_run;
  report_ = r.to_json();
  report_["job_id"] = id_;
  report_["resumable"] = resumable;
  if (journal_ && meta_.is_object()) {
    meta_["status"] = to_string(r.status);
    meta_["done"] = r.done;
    meta_["failed"] = r.failed;
    meta_["updated"] = unix_now(*core_);
    if (r.error) meta_["error"] = r.error->message;
    write_job_meta(id_, meta_);
  }
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
  return j;
}

std::string Job::progress() {
  if (op_) return progress_json(op_->progress()).dump();
  return "null";
}

std::shared_ptr<Job> Job::bulk_delete(std::shared_ptr<Core> core, const std::string& spec_json, emscripten::val callbacks) {
  auto j = json::parse(spec_json, nullptr, false);
  const std::string id = new_job_id(*core, "kv-delete");
  auto job = std::make_shared<Job>(Token{}, core, id, std::move(callbacks));
  if (!j.is_object()) {
    job->fail_early(invalid("the bulk delete's settings are not a JSON object"), ops::KvDeleteSpec::op_name);
    return job;
  }
  auto spec = delete_spec(j);
  if (!spec) {
    job->fail_early(spec.error(), ops::KvDeleteSpec::op_name);
    return job;
  }
  const auto total = api::json_integer<std::uint64_t>(j.value("expected_total", nlohmann::json()));
  if (!spec->dry_run) {
    job->meta_ = {{"id", id},
                  {"op", ops::KvDeleteSpec::op_name},
                  {"label", j.value("label", "Bulk delete")},
                  {"account_id", spec->account_id},
                  {"namespace_id", spec->namespace_id},
                  {"namespace_title", j.value("namespace_title", "")},
                  {"total", total ? json(*total) : json(nullptr)},
                  {"created", unix_now(*core)},
                  {"status", "running"}};
    write_job_meta(id, job->meta_);
    job->open_journal();
  }
  auto op = std::make_unique<ops::KvDelete>(*job->scheduler_, std::move(*spec), job->options(std::nullopt), nullptr, total);
  job->launch(std::move(op));
  return job;
}

std::shared_ptr<Job> Job::purge(std::shared_ptr<Core> core, const std::string& spec_json, const std::string& items,
                                emscripten::val callbacks) {
  auto j = json::parse(spec_json, nullptr, false);
  const std::string id = new_job_id(*core, "purge");
  auto job = std::make_shared<Job>(Token{}, core, id, std::move(callbacks));
  if (!j.is_object()) {
    job->fail_early(invalid("the purge's settings are not a JSON object"), ops::PurgeSpec::op_name);
    return job;
  }
  auto spec = purge_spec(j, items.size());
  if (!spec) {
    job->fail_early(spec.error(), ops::PurgeSpec::op_name);
    return job;
  }
  const bool everything = spec->kind == api::purge::Kind::everything;
  // A purge can resume only with its input: journal it when the input fits in browser storage.
  if (!spec->dry_run && !everything && storage_set(job_key_prefix(id) + "input", items)) {
    job->meta_ = {{"id", id},
                  {"op", ops::PurgeSpec::op_name},
                  {"label", j.value("label", "Cache purge")},
                  {"account_id", spec->account_id},
                  {"created", unix_now(*core)},
                  {"total", nullptr},
                  {"status", "running"}};
    write_job_meta(id, job->meta_);
    job->open_journal();
  }
  auto op = std::make_unique<ops::Purge>(*job->scheduler_, std::move(*spec), everything ? nullptr : records_of(items),
                                         job->options(std::nullopt));
  job->launch(std::move(op));
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
    job->fail_early(journal_error("job " + job_id + " already ended (" + *state->end_status + "); nothing to resume"), op_name);
    return job;
  }
  job->meta_ = meta;
  job->meta_["status"] = "running";
  job->meta_["resumes"] = api::json_integer<int>(meta.value("resumes", nlohmann::json())).value_or(0) + 1;
  write_job_meta(job_id, job->meta_);
  const auto total = api::json_integer<std::uint64_t>(meta.value("total", nlohmann::json()));

  if (state->op == ops::KvDeleteSpec::op_name) {
    auto spec = ops::KvDeleteSpec::from_json(state->spec);
    if (!spec) {
      job->fail_early(spec.error(), state->op);
      return job;
    }
    auto op = std::make_unique<ops::KvDelete>(*job->scheduler_, std::move(*spec), job->options(std::move(*state)), nullptr, total);
    job->launch(std::move(op));
  } else if (state->op == ops::PurgeSpec::op_name) {
    auto spec = ops::PurgeSpec::from_json(state->spec);
    auto input = storage_get(job_key_prefix(job_id) + "input");
    if (!spec || !input || input->size() != spec->input_size) {
      job->fail_early(spec ? journal_error("the purge's input is no longer in this browser's storage") : spec.error(), state->op);
      return job;
    }
    auto op = std::make_unique<ops::Purge>(*job->scheduler_, std::move(*spec), records_of(*input), job->options(std::move(*state)));
    job->launch(std::move(op));
  } else {
    job->fail_early(journal_error("job " + job_id + " is a '" + state->op + "', which the console cannot resume"), state->op);
  }
  return job;
}

}  // namespace ckp::wasm
