#include "cli/job_runner.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <optional>

#include "ckp/io/file_reader.hpp"
#include "ckp/io/file_sink.hpp"
#include "ckp/ops/registry.hpp"
#include "cli/progress_view.hpp"
#include "cli/report.hpp"
#include "cli/signals.hpp"
#include "cli/stdin_input.hpp"

namespace ckp::cli {

std::uint64_t InputSpec::size() const {
  if (is_inline()) return text.size();
  struct stat st {};
  return path != "-" && ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

ops::FieldNamer flag_namer(std::string input_flag) {
  return [input_flag = std::move(input_flag)](std::string_view field) -> std::string {
    static const std::pair<const char*, const char*> flags[] = {{"account_id", "--account-id"},
                                                                {"namespace_id", "--namespace"},
                                                                {"batch_size", "--batch-size"},
                                                                {"prefix", "--prefix"},
                                                                {"pattern", "--pattern"},
                                                                {"search", "--search"},
                                                                {"field", "--tag-field"},
                                                                {"value", "--tag-value"},
                                                                {"all_keys", "--all-keys"},
                                                                {"zones", "--zone"},
                                                                {"cache_tags", "--cache-tag"},
                                                                {"zone_concurrency", "--zone-concurrency"},
                                                                {"dry_run", "--dry-run"},
                                                                {"output", "--output"},
                                                                {"headers", "--header"},
                                                                {"plan", "--plan"},
                                                                {"max_pages", "a preview"},
                                                                {"max_batch_bytes", "the batch byte limit"},
                                                                {"input_format", "the input's format"},
                                                                {"input_column", "--csv-column"},
                                                                {"input_field", "--json-field"}};
    if (field == "input") return input_flag;
    for (const auto& [name, flag] : flags)
      if (field == name) return flag;
    return std::string(field);
  };
}

namespace {

/// Where the registry's operations find their inputs and outputs: @p input, and files for exports.
ops::OpEnvironment environment(Runtime& rt, const InputSpec& input) {
  ops::OpEnvironment env;
  env.scheduler = &rt.scheduler();
  env.open_input = [input](const std::string&, std::uint64_t expected) -> Result<std::unique_ptr<io::RecordSource>> {
    if (input.is_inline()) return io::open_records(std::make_unique<io::StringReader>(input.text, input.name()));
    if (expected && input.size() != expected)
      return Error::make(
          ErrorKind::invalid_input,
          fmt::format("{} has changed since the job started ({} bytes then, {} now); resuming would skip "
                      "or repeat lines - start a new job instead",
                      input.path, expected, input.size()));
    return io::open_records(input.path, input.from_stdin ? "standard input" : "");
  };
  env.open_output = [](const std::string& name, bool resuming) -> Result<std::unique_ptr<io::ByteSink>> {
    auto sink = io::FileSink::open(name, resuming);
    if (!sink) return sink.error();
    return std::unique_ptr<io::ByteSink>(std::move(*sink));
  };
  return env;
}

/// What a job acts on, as its journal records it (never a credential).
nlohmann::json target_of(const Runtime& rt, const std::string& account) {
  return {{"api_base_url", rt.settings().api_base_url.value}, {"account_id", account}};
}

/// The input a job recorded: items given as flags are in its journal; a file is named by its spec.
InputSpec recorded_input(const JobInfo& job) {
  for (const auto& note : job.state->notes)
    if (note.contains("job") && note["job"].contains("inline_input") && note["job"]["inline_input"].is_string())
      return {"", note["job"]["inline_input"].get<std::string>()};
  auto input = InputSpec::file(job.state->spec.is_object() ? job.state->spec.value("input", "") : "");
  // A job fed by a pipe reads the copy of standard input kept beside its journal.
  input.from_stdin = !input.path.empty() && input.path == JobStore::stdin_copy_beside(job.path);
  return input;
}

/// The automatic cleanup a new job runs: completed jobs older than the jobs_keep_days setting go (noted on stderr).
void expire_jobs(const Runtime& rt, const JobStore& jobs) {
  const int keep_days = std::stoi(rt.settings().jobs_keep_days.value);  // range-checked by resolve_settings()
  const auto removed = jobs.expire_completed(keep_days, std::time(nullptr));
  if (!removed.empty())
    rt.note("Removed {} completed job{} older than {} days from {} (jobs_keep_days; 0 keeps them)\n", removed.size(),
            removed.size() == 1 ? "" : "s", keep_days, jobs.dir());
}

/// When @p input is standard input ("-"): reads it once into a spool file in the jobs directory, and points the
/// input and @p spec (its "input" and "input_size") at the copy, so that the preview, the checking pass, the run and a
/// resume all read the same bytes.
void use_stdin_copy(Runtime& rt, InputSpec& input, nlohmann::json& spec, const std::string& input_flag) {
  if (input.is_inline() || input.path != "-") return;
  input.path = spooled_stdin(rt.settings().journal_dir.value, input_flag);
  input.from_stdin = true;
  spec["input"] = input.path;
  spec["input_size"] = input.size();
}

}  // namespace

namespace {

/// One run of an operation: its progress goes to a view on stderr, the first Ctrl-C to its cancel token.
class Run {
 public:
  explicit Run(Runtime& rt) : rt_(rt) {}
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  /// Options for the operation: progress and cancellation wired to this run (which must outlive the operation).
  ops::OpOptions options() {
    ops::OpOptions o;
    o.cancel = cancel_;
    o.list_shards = static_cast<std::size_t>(std::stoul(rt_.settings().list_shards.value));
    o.on_progress = [this](const engine::Progress& p) {
      if (progress_) progress_(p);
    };
    return o;
  }

  /// Runs @p op to its end with progress on stderr and graceful Ctrl-C, prints its report (text or JSON) and returns
  /// the exit code. Input a @p fresh job's operation refused before doing anything can never succeed on resume: @p job
  /// is discarded then. (Once something was done, or for a resumed job, the journal stays: it is the only record.)
  int run_and_report(ops::Operation& op, const std::string& noun, const std::string& verb, std::optional<OpenJob>& job,
                     bool fresh = true) {
    ProgressView view(ProgressView::mode_for(rt_.options().progress, rt_.quiet()), noun);
    progress_ = [&view](const engine::Progress& p) { view.update(p); };
    auto& http = rt_.http();
    SignalWatcher::set_stopper([this, &http] {
      cancel_.request_stop();
      http.wake();
    });
    op.start();
    http.run_until([&] { return op.finished(); });
    SignalWatcher::clear_stopper();
    progress_ = nullptr;
    view.close();
    const auto& report = op.report();
    const JobStore jobs(rt_.settings().journal_dir.value);
    if (job && fresh && ops::refused_its_input(report)) {
      jobs.discard(std::move(*job));
      job.reset();
    }
    ReportJob where;
    if (job) where = {job->id, ::access(jobs.path_of(job->id).c_str(), F_OK) == 0};
    print_report(report, rt_.json(), rt_.quiet(), noun, verb, where);
    return report.exit_code();
  }

 private:
  Runtime& rt_;
  engine::CancelToken cancel_;
  std::function<void(const engine::Progress&)> progress_;
};

}  // namespace

int run_job(Runtime& rt, std::string_view op_name, const nlohmann::json& given_spec, const InputSpec& given_input,
            bool journaled, const std::string& input_flag, const std::function<void(ops::Operation&)>& configure) {
  nlohmann::json spec = given_spec;
  InputSpec input = given_input;
  use_stdin_copy(rt, input, spec, input_flag);
  Run run(rt);
  ops::OpOptions options = run.options();
  std::optional<OpenJob> job;
  JobStore jobs(rt.settings().journal_dir.value);
  if (journaled) {
    expire_jobs(rt, jobs);
    auto started = jobs.start(std::string(op_name), rt.command_line(), rt.settings().api_base_url.value);
    if (!started) fail(started.error());
    job.emplace(std::move(*started));
    if (input.from_stdin)  // the job keeps its copy of standard input beside its journal, for a resume
      spec["input"] = input.path = keep_stdin_copy(JobStore::stdin_copy_beside(jobs.path_of(job->id)));
    // The operation journals these with its spec: what the job acts on, and what `jobs list` and a resume need.
    if (input.is_inline() && !input.empty_inline()) job->note["job"]["inline_input"] = input.text;
    options.notes.push_back(job->note);
    options.target = target_of(rt, spec.value("account_id", ""));
    options.journal = job->journal.get();
  }
  options.name_field = flag_namer(input_flag);
  // Builds and checks everything (spec, input lines) before anything is sent; a refusal leaves no job behind.
  auto built = ops::build_operation(op_name, spec, environment(rt, input), std::move(options), false);
  if (!built) {
    if (job) jobs.discard(std::move(*job));
    fail(built.error());
  }
  if (configure) configure(*built->op);
  return run.run_and_report(*built->op, built->noun, built->verb, job);
}

ops::OpReport run_preview(Runtime& rt, std::string_view op_name, const nlohmann::json& given_spec,
                          const InputSpec& given_input, const std::string& input_flag) {
  nlohmann::json spec = given_spec;
  InputSpec input = given_input;
  use_stdin_copy(rt, input, spec, input_flag);
  ops::OpOptions options;
  options.name_field = flag_namer(input_flag);
  auto built = ops::build_operation(op_name, spec, environment(rt, input), std::move(options), false);
  if (!built) fail(built.error());
  built->op->start();
  rt.http().run_until([&] { return built->op->finished(); });
  return built->op->report();
}

int resume_job(Runtime& rt, const JobInfo& info, bool allow_new_target) {
  const auto& state = *info.state;
  const nlohmann::json current = target_of(rt, rt.settings().account_id.value);
  if (auto e = ops::check_target(state, current, allow_new_target))
    fail_usage(fmt::format("refusing to resume job {}: {}. Point CLOUDFLARE_API_BASE_URL (and the account) back at "
                           "the job's target, or pass --allow-new-target to resume it here on purpose",
                           info.id, e->message));
  rt.require_credentials();
  auto reopened = JobStore(rt.settings().journal_dir.value).resume(info);
  if (!reopened) fail(reopened.error());
  std::optional<OpenJob> job(std::move(*reopened));
  Run run(rt);
  ops::OpOptions options = run.options();
  options.journal = job->journal.get();
  options.resume = state;
  // The operation checks the target too, and with the override records the new one in the journal.
  options.target = target_of(rt, state.spec.is_object() ? state.spec.value("account_id", "") : "");
  options.allow_new_target = allow_new_target;
  options.name_field = flag_namer("the job's input");
  rt.note("Resuming {} ({}) from {} done\n", info.id, info.op, grouped(info.done));
  auto built =
      ops::build_operation(info.op, state.spec, environment(rt, recorded_input(info)), std::move(options), true);
  if (!built) fail(built.error());
  return run.run_and_report(*built->op, built->noun, built->verb, job, /*fresh=*/false);
}

}  // namespace ckp::cli
