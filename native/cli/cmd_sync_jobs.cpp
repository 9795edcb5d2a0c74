// `sync purge` (delete KV keys by metadata, then purge the cache tags they name) and `jobs list|show|resume|abort`.

#include "cli/context.hpp"
#include "ckp/ops/sync_purge.hpp"
#include "cli/job_runner.hpp"

namespace ckp::cli {

namespace {

struct SyncFlags {
  std::string account_id, namespace_id, namespace_name, search, tag_field, tag_value, zone, prefix;
  std::vector<std::string> cache_tags;
  bool derived_tags = false;
  bool extract_tags = true;
  bool dry_run = false;
  bool verbose = false;
  int batch_size = 0, concurrency = 0;
};

int sync_purge(Context& ctx, const CLI::App& cmd, const SyncFlags& f) {
  auto& rt = ctx.runtime();
  for (auto [flag, value] : {std::pair{"--prefix", &f.prefix}, {"--search", &f.search}, {"--tag-field", &f.tag_field}})
    if (cmd.count(flag) && value->empty())
      fail_usage(fmt::format("{} was given an empty value (an unset shell variable?); an empty filter selects nothing "
                             "and is refused",
                             flag));
  ops::SyncPurgeSpec spec;
  spec.select.prefix = f.prefix;
  spec.select.search = f.search;
  spec.select.field = f.tag_field;
  spec.select.value = f.tag_value;
  if (!spec.select.needs_metadata()) fail_usage("sync purge needs --search TEXT or --tag-field FIELD (every filter given must match)");
  if (auto e = spec.select.validate(false)) fail(e->to_error(flag_namer()));
  rt.require_credentials();
  const std::string account = rt.account_id(f.account_id);
  spec.account_id = account;
  spec.namespace_id = rt.resolve_namespace(account, !f.namespace_id.empty() ? f.namespace_id : f.namespace_name);
  for (const auto& t : f.cache_tags)
    for (const auto& part : split_list(t)) spec.cache_tags.push_back(part);
  spec.extract_tags = f.extract_tags;
  spec.derived_tags = f.derived_tags;
  spec.plan = rt.settings().plan_profile();
  spec.dry_run = f.dry_run;
  const std::string zone = !f.zone.empty() ? f.zone : rt.settings().zone.value;
  if (zone.empty()) fail_usage("sync purge needs --zone NAME (where the tags are purged)");
  spec.zones = {rt.resolve_zone(zone)};
  require_valid(spec);
  std::vector<std::string> parts;
  if (!f.prefix.empty()) parts.push_back(fmt::format("start with '{}'", f.prefix));
  if (!f.search.empty()) parts.push_back(fmt::format("have metadata containing '{}'", f.search));
  if (!f.tag_field.empty())
    parts.push_back(f.tag_value.empty() ? fmt::format("have metadata field '{}'", f.tag_field)
                                        : fmt::format("have metadata {} = '{}'", f.tag_field, f.tag_value));
  std::string what;
  for (std::size_t i = 0; i < parts.size(); ++i) what += (i ? " and " : "") + parts[i];
  if (!f.dry_run && !rt.confirm(fmt::format("Delete the keys in namespace {} that {}, and then purge their cache tags "
                                            "on {}?",
                                            spec.namespace_id, what, spec.zones[0].name)))
    return exit_code::ok;
  return run_job(rt, ops::SyncPurgeSpec::op_name, spec.to_json(), {}, !f.dry_run);
}

void jobs_list(Context& ctx) {
  auto& rt = ctx.runtime();
  JobStore jobs(rt.settings().journal_dir.value);
  auto all = jobs.list();
  if (rt.json()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& j : all)
      out.push_back({{"id", j.id}, {"op", j.op}, {"status", j.status}, {"done", j.done}, {"failed", j.failed},
                     {"created", j.created}, {"command", j.command}});
    return print_json(out);
  }
  if (all.empty()) return (void)fmt::print("No jobs in {}\n", jobs.dir());
  Table t({"ID", "OPERATION", "STATUS", "DONE", "FAILED", "CREATED"});
  for (const auto& j : all) t.row({j.id, j.op, j.status, grouped(j.done), grouped(j.failed), j.created});
  t.print();
}

JobInfo find_job(Context& ctx, const std::string& id) {
  JobStore jobs(ctx.runtime().settings().journal_dir.value);
  auto job = jobs.find(id);
  if (!job) fail(job.error());
  if (job->status == "unreadable") fail(Error::make(ErrorKind::journal, "the journal of job " + job->id + " cannot be read: " + job->path));
  return *job;
}

void jobs_show(Context& ctx, const std::string& id) {
  auto job = find_job(ctx, id);
  auto& rt = ctx.runtime();
  const auto& st = *job.state;
  if (rt.json()) {
    nlohmann::json failures = nlohmann::json::array();
    for (const auto& f : st.failures) failures.push_back({{"item", f.item}, {"kind", f.kind}, {"reason", f.reason}});
    return print_json({{"id", job.id}, {"op", job.op}, {"status", job.status}, {"spec", st.spec}, {"done", job.done},
                       {"failed", job.failed}, {"resume", st.resume ? *st.resume : nlohmann::json(nullptr)},
                       {"created", job.created}, {"command", job.command}, {"failures", failures}, {"journal", job.path}});
  }
  fmt::print("Job:       {}\nOperation: {}\nStatus:    {}\nCreated:   {}\nCommand:   {}\nJournal:   {}\n", job.id, job.op,
             job.status, job.created, job.command, job.path);
  fmt::print("Done:      {}\nFailed:    {}\nSpec:      {}\n", grouped(job.done), grouped(job.failed), st.spec.dump());
  if (st.resume) fmt::print("Watermark: {}\n", st.resume->dump());
  if (!st.failures.empty()) {
    fmt::print("\nFailures:\n");
    for (const auto& f : st.failures) fmt::print("  {}: {}\n", f.item, f.reason);
  }
  if (job.status == "resumable") fmt::print("\nResume with: cache-kv-purger jobs resume {}\n", job.id);
}

int jobs_resume(Context& ctx, const std::string& id, bool allow_new_target) {
  auto job = find_job(ctx, id);
  if (job.status != "resumable")
    fail_usage(fmt::format("job {} is {}; only an interrupted or failed job can be resumed", job.id, job.status));
  return resume_job(ctx.runtime(), job, allow_new_target);
}

void jobs_abort(Context& ctx, const std::string& id) {
  auto job = find_job(ctx, id);
  auto& rt = ctx.runtime();
  if (job.status != "resumable") fail_usage(fmt::format("job {} is already {}", job.id, job.status));
  JobStore jobs(rt.settings().journal_dir.value);
  auto store = jobs.reopen(job);
  if (!store) fail(store.error());
  engine::Journal journal(**store);
  journal.finish("aborted", {job.done, job.failed});
  fmt::print("Aborted job {} after {} done; it will not be resumed.\n", job.id, grouped(job.done));
}

}  // namespace

void add_sync_commands(CLI::App& app, Context& ctx) {
  auto* sync = app.add_subcommand("sync", "Combined KV and cache operations");
  sync->require_subcommand(1);
  auto f = std::make_shared<SyncFlags>();
  auto* purge = sync->add_subcommand("purge", "Delete KV keys by metadata, then purge the cache tags they name");
  purge->add_option("--account-id", f->account_id, "Account id");
  purge->add_option("--namespace-id", f->namespace_id, "Namespace id");
  purge->add_option("--namespace", f->namespace_name, "Namespace title (or id)");
  purge->add_option("--prefix", f->prefix, "Only keys with this prefix");
  purge->add_option("--search", f->search, "Keys whose metadata contains this text (case-insensitive)");
  purge->add_option("--tag-field", f->tag_field, "Keys whose metadata has this field…");
  purge->add_option("--tag-value", f->tag_value, "…with this value");
  purge->add_option("--zone", f->zone, "Zone where the cache tags are purged");
  purge->add_option("--cache-tag", f->cache_tags, "Purge these tags (repeatable) instead of those in the metadata");
  purge->add_flag("--derived-tags", f->derived_tags, "Also purge tags derived from the search term (the Go tool's scheme)");
  purge->add_flag("--extract-tags,!--no-extract-tags", f->extract_tags, "Read tags from the keys' metadata (default on)");
  purge->add_flag("--dry-run", f->dry_run, "Count and show; change nothing");
  purge->add_option("--batch-size", f->batch_size, "(accepted for compatibility)")->group("");
  purge->add_flag("-v,--verbose", f->verbose, "More detail");
  purge->callback([&ctx, f, purge] { ctx.exit_code = sync_purge(ctx, *purge, *f); });
}

void add_jobs_commands(CLI::App& app, Context& ctx) {
  auto* jobs = app.add_subcommand("jobs", "Journaled operations: list, show, resume, abort");
  jobs->require_subcommand(1);
  auto id = std::make_shared<std::string>();
  jobs->add_subcommand("list", "List jobs, newest first")->callback([&ctx] { jobs_list(ctx); });
  auto* show = jobs->add_subcommand("show", "Show a job: spec, progress, failures");
  show->add_option("id", *id, "Job id (or its unique start)")->required();
  show->callback([&ctx, id] { jobs_show(ctx, *id); });
  auto* resume = jobs->add_subcommand("resume", "Continue an interrupted or failed job from its watermark");
  resume->add_option("id", *id, "Job id (or its unique start)")->required();
  auto allow_new_target = std::make_shared<bool>(false);
  resume->add_flag("--allow-new-target", *allow_new_target,
                   "Resume even though the API base URL or account now differs from the job's (the job then continues "
                   "there)");
  resume->callback([&ctx, id, allow_new_target] { ctx.exit_code = jobs_resume(ctx, *id, *allow_new_target); });
  auto* abort = jobs->add_subcommand("abort", "Mark a job as abandoned (it will not be resumed)");
  abort->add_option("id", *id, "Job id (or its unique start)")->required();
  abort->callback([&ctx, id] { jobs_abort(ctx, *id); });
}

}  // namespace ckp::cli
