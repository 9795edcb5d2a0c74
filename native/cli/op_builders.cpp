#include "cli/op_builders.hpp"

#include <sys/stat.h>

#include "ckp/io/file_reader.hpp"
#include "ckp/io/file_sink.hpp"

namespace ckp::cli {

std::uint64_t input_size(const InputSpec& input) {
  if (input.is_inline()) return input.inline_text.size();
  struct stat st {};
  return input.path != "-" && ::stat(input.path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

std::unique_ptr<engine::RecordSource> open_input(const InputSpec& input, std::uint64_t expected_size) {
  if (input.is_inline())
    return engine::open_records(std::make_unique<engine::StringReader>(input.inline_text, input.name()));
  if (expected_size && input_size(input) != expected_size)
    fail_usage(fmt::format("{} has changed since the job started ({} bytes then, {} now); resuming would skip or "
                           "repeat lines - start a new job instead",
                           input.path, expected_size, input_size(input)));
  auto src = io::open_records(input.path);
  if (!src) fail(src.error());
  return std::move(*src);
}

BuiltOp build_delete(Runtime& rt, const ops::KvDeleteSpec& spec, const InputSpec& input, ops::OpOptions options,
                     bool resuming) {
  std::unique_ptr<engine::RecordSource> keys;
  std::optional<std::uint64_t> total;
  if (spec.selector == ops::KvDeleteSpec::Selector::keys) {
    keys = open_input(input, resuming ? spec.input_size : 0);
    // Validate every line before the first delete: a bad line 90,000 must stop the job before anything is sent.
    auto count = ops::preflight_items(*keys, false, [](std::string_view k) { return api::validate_key(k); });
    if (!count) fail(count.error());
    total = *count;
  }
  (void)rt;
  return {std::make_unique<ops::KvDelete>(rt.scheduler(), spec, std::move(options), std::move(keys), total), nullptr,
          "keys", "delete"};
}

BuiltOp build_import(Runtime& rt, const ops::KvImportSpec& spec, const InputSpec& input, ops::OpOptions options,
                     bool resuming) {
  auto src = open_input(input, resuming ? spec.input_size : 0);
  auto count = ops::preflight_import(*src, to_unix_seconds(rt.http().now()));
  if (!count) fail(count.error());
  return {std::make_unique<ops::KvImport>(rt.scheduler(), spec, std::move(src), std::move(options), *count), nullptr,
          "pairs", "write"};
}

BuiltOp build_export(Runtime& rt, const ops::KvExportSpec& spec, ops::OpOptions options, bool resuming) {
  auto sink = io::FileSink::open(spec.output, resuming);
  if (!sink) fail(sink.error());
  BuiltOp b;
  b.sink = std::move(*sink);
  b.op = std::make_unique<ops::KvExport>(rt.scheduler(), spec, *b.sink, std::move(options));
  b.noun = "keys";
  b.verb = "export";
  return b;
}

BuiltOp build_purge(Runtime& rt, const ops::PurgeSpec& spec, const InputSpec& input, ops::OpOptions options,
                    bool resuming) {
  std::unique_ptr<engine::RecordSource> items;
  if (spec.kind != api::purge::Kind::everything) items = open_input(input, resuming ? spec.input_size : 0);
  const char* noun = spec.kind == api::purge::Kind::files      ? "URLs"
                     : spec.kind == api::purge::Kind::tags     ? "tags"
                     : spec.kind == api::purge::Kind::hosts    ? "hosts"
                     : spec.kind == api::purge::Kind::prefixes ? "prefixes"
                                                               : "zones";
  return {std::make_unique<ops::Purge>(rt.scheduler(), spec, std::move(items), std::move(options)), nullptr, noun,
          "purge"};
}

BuiltOp build_sync_purge(Runtime& rt, const ops::SyncPurgeSpec& spec, ops::OpOptions options) {
  return {std::make_unique<ops::SyncPurge>(rt.scheduler(), spec, std::move(options)), nullptr, "keys", "delete"};
}

namespace {
/// The inline input a job recorded, if any.
InputSpec recorded_input(const JobInfo& job, const std::string& path) {
  InputSpec in;
  in.path = path;
  for (const auto& note : job.state->notes)
    if (note.contains("job") && note["job"].contains("inline_input")) {
      in.path.clear();
      in.inline_text = note["job"]["inline_input"].get<std::string>();
    }
  return in;
}
template <class Spec>
Spec parse_spec(const JobInfo& job) {
  auto spec = Spec::from_json(job.state->spec);
  if (!spec) fail(spec.error());
  return std::move(*spec);
}
}  // namespace

BuiltOp build_from_journal(Runtime& rt, const JobInfo& job, ops::OpOptions options) {
  const std::string& op = job.op;
  if (op == ops::KvDeleteSpec::op_name) {
    auto spec = parse_spec<ops::KvDeleteSpec>(job);
    return build_delete(rt, spec, recorded_input(job, spec.input), std::move(options), true);
  }
  if (op == ops::KvImportSpec::op_name) {
    auto spec = parse_spec<ops::KvImportSpec>(job);
    return build_import(rt, spec, recorded_input(job, spec.input), std::move(options), true);
  }
  if (op == ops::KvExportSpec::op_name) return build_export(rt, parse_spec<ops::KvExportSpec>(job), std::move(options), true);
  if (op == ops::PurgeSpec::op_name) {
    auto spec = parse_spec<ops::PurgeSpec>(job);
    return build_purge(rt, spec, recorded_input(job, spec.input), std::move(options), true);
  }
  if (op == ops::SyncPurgeSpec::op_name) return build_sync_purge(rt, parse_spec<ops::SyncPurgeSpec>(job), std::move(options));
  fail_usage(fmt::format("job {} is a '{}' operation, which this version cannot resume", job.id, op));
}

int run_job(Runtime& rt, const std::string& op_name, const InputSpec& input, bool dry_run,
            const std::function<BuiltOp(ops::OpOptions)>& build) {
  ops::OpOptions options = rt.op_options();
  if (!dry_run) {
    rt.start_job(op_name);
    if (input.is_inline() && !input.inline_text.empty())
      rt.journal()->note({{"job", {{"inline_input", input.inline_text}}}});
    options.journal = rt.journal();
  }
  BuiltOp built;
  try {
    built = build(options);  // validates the input: a bad line stops here, before anything is sent
  } catch (...) {
    rt.discard_job();
    throw;
  }
  return rt.run_and_report(*built.op, built.noun, built.verb);
}

}  // namespace ckp::cli
