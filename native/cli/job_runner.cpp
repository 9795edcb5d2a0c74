#include "cli/job_runner.hpp"

#include <sys/stat.h>

#include "ckp/io/file_reader.hpp"
#include "ckp/io/file_sink.hpp"
#include "ckp/ops/registry.hpp"

namespace ckp::cli {

std::uint64_t InputSpec::size() const {
  if (is_inline()) return text.size();
  struct stat st {};
  return path != "-" && ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

ops::FieldNamer flag_namer(std::string input_flag) {
  return [input_flag = std::move(input_flag)](std::string_view field) -> std::string {
    static const std::pair<const char*, const char*> flags[] = {
        {"account_id", "--account-id"}, {"namespace_id", "--namespace"},   {"batch_size", "--batch-size"},
        {"prefix", "--prefix"},         {"pattern", "--pattern"},          {"search", "--search"},
        {"field", "--tag-field"},       {"value", "--tag-value"},          {"all_keys", "--all-keys"},
        {"zones", "--zone"},            {"cache_tags", "--cache-tag"},     {"zone_concurrency", "--zone-concurrency"},
        {"dry_run", "--dry-run"},       {"output", "--output"},            {"headers", "--header"},
        {"plan", "--plan"},             {"max_pages", "a preview"},        {"max_batch_bytes", "the batch byte limit"}};
    if (field == "input") return input_flag;
    for (const auto& [name, flag] : flags)
      if (field == name) return flag;
    return std::string(field);
  };
}

namespace {

/// Where the registry's operations find their inputs and outputs: @p input, and files for exports.
ops::OpEnvironment environment(Runtime& rt, const InputSpec& input, const std::string& input_flag) {
  ops::OpEnvironment env;
  env.scheduler = &rt.scheduler();
  env.open_input = [input](const std::string&, std::uint64_t expected) -> Result<std::unique_ptr<engine::RecordSource>> {
    if (input.is_inline())
      return engine::open_records(std::make_unique<engine::StringReader>(input.text, input.name()));
    if (expected && input.size() != expected)
      return Error::make(ErrorKind::invalid_input,
                         fmt::format("{} has changed since the job started ({} bytes then, {} now); resuming would skip "
                                     "or repeat lines - start a new job instead",
                                     input.path, expected, input.size()));
    return io::open_records(input.path);
  };
  env.open_output = [](const std::string& name, bool resuming) -> Result<std::unique_ptr<engine::ByteSink>> {
    auto sink = io::FileSink::open(name, resuming);
    if (!sink) return sink.error();
    return std::unique_ptr<engine::ByteSink>(std::move(*sink));
  };
  env.name_field = flag_namer(input_flag);
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
  return InputSpec::file(job.state->spec.is_object() ? job.state->spec.value("input", "") : "");
}

}  // namespace

int run_job(Runtime& rt, std::string_view op_name, const nlohmann::json& spec, const InputSpec& input, bool journaled,
            const std::string& input_flag, const std::function<void(ops::Operation&)>& configure) {
  ops::OpOptions options = rt.op_options();
  if (journaled) {
    rt.start_job(std::string(op_name));
    rt.journal()->target(target_of(rt, spec.value("account_id", "")));
    if (input.is_inline() && !input.empty_inline()) rt.journal()->note({{"job", {{"inline_input", input.text}}}});
    options.journal = rt.journal();
  }
  // Builds and checks everything (spec, input lines) before anything is sent; a refusal leaves no job behind.
  auto built = ops::build_operation(op_name, spec, environment(rt, input, input_flag), std::move(options), false);
  if (!built) {
    rt.discard_job();
    fail(built.error());
  }
  if (configure) configure(*built->op);
  return rt.run_and_report(*built->op, built->noun, built->verb);
}

ops::OpReport run_preview(Runtime& rt, std::string_view op_name, const nlohmann::json& spec, const InputSpec& input,
                          const std::string& input_flag) {
  auto built = ops::build_operation(op_name, spec, environment(rt, input, input_flag), ops::OpOptions{}, false);
  if (!built) fail(built.error());
  built->op->start();
  rt.http().run_until([&] { return built->op->finished(); });
  return built->op->report();
}

int resume_job(Runtime& rt, const JobInfo& job, bool allow_new_target) {
  const auto& state = *job.state;
  const nlohmann::json current = target_of(rt, rt.settings().account_id.value);
  if (auto e = ops::check_target(state, current, allow_new_target))
    fail_usage(fmt::format("refusing to resume job {}: {}. Point CLOUDFLARE_API_BASE_URL (and the account) back at "
                           "the job's target, or pass --allow-new-target to resume it here on purpose",
                           job.id, e->message));
  rt.require_credentials();
  rt.continue_job(job);
  if (allow_new_target && ops::check_target(state, current, false))
    rt.journal()->retarget(target_of(rt, state.spec.is_object() ? state.spec.value("account_id", "") : ""));
  ops::OpOptions options = rt.op_options();
  options.journal = rt.journal();
  options.resume = state;
  rt.note("Resuming {} ({}) from {} done\n", job.id, job.op, grouped(job.done));
  auto built = ops::build_operation(job.op, state.spec, environment(rt, recorded_input(job), "the job's input"),
                                    std::move(options), true);
  if (!built) fail(built.error());
  return rt.run_and_report(*built->op, built->noun, built->verb);
}

}  // namespace ckp::cli
