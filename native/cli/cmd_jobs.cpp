// `jobs list|show|resume|abort|prune`: the journaled operations kept in the jobs directory.

#include <ctime>
#include <memory>

#include "cli/context.hpp"
#include "cli/job_runner.hpp"
#include "cli/jobs.hpp"

namespace ckp::cli {

namespace {

/// @p t as an ISO time (UTC), or "" for 0.
std::string iso_time(std::time_t t) {
  if (t == 0) return "";
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void jobs_list(Context& ctx) {
  auto& rt = ctx.runtime();
  JobStore jobs(rt.settings().journal_dir.value);
  auto all = jobs.list();
  if (rt.json()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& j : all)
      out.push_back({{"id", j.id},
                     {"op", j.op},
                     {"status", j.status},
                     {"done", j.done},
                     {"failed", j.failed},
                     {"created", j.created},
                     {"updated", iso_time(j.modified)},
                     {"command", j.command},
                     {"target", j.target}});
    return print_json(out);
  }
  if (all.empty()) return (void)fmt::print("No jobs in {}\n", jobs.dir());
  Table t({"ID", "OPERATION", "STATUS", "DONE", "FAILED", "CREATED", "ACCOUNT", "TARGET", "API"});
  for (const auto& j : all) {
    const std::string account = j.target.value("account_id", ""), api = j.target.value("api_base_url", "");
    t.row({j.id, j.op, j.status, grouped(j.done), grouped(j.failed), j.created, account.empty() ? "-" : account,
           describe_target(j.target), api.empty() ? "-" : api});
  }
  t.print();
}

struct PruneFlags {
  std::string older_than = "7d";
  std::vector<std::string> statuses;
  bool dry_run = false;
};

void jobs_prune(Context& ctx, const PruneFlags& f) {
  PruneCriteria criteria;
  auto age = parse_duration(f.older_than);
  if (!age)
    fail_usage(fmt::format("--older-than '{}' is not a duration: a whole number and a unit, s, m, h or d (e.g. 7d)",
                           f.older_than));
  criteria.older_than_seconds = *age;
  if (!f.statuses.empty()) {
    auto statuses = parse_prune_statuses(f.statuses);
    if (!statuses) fail_usage(statuses.error().message);
    criteria.statuses = std::move(*statuses);
  }
  auto& rt = ctx.runtime();
  JobStore jobs(rt.settings().journal_dir.value);
  const auto selected = select_prunable(jobs.list(), criteria, std::time(nullptr));
  nlohmann::json removed = nlohmann::json::array(), failures = nlohmann::json::array();
  for (const auto& j : selected) {
    if (!f.dry_run)
      if (auto r = jobs.remove(j); !r) {
        fmt::print(stderr, "error: {}\n", r.error().message);
        failures.push_back({{"id", j.id}, {"error", r.error().message}});
        continue;
      }
    rt.note("{} {} ({}, {}, last written {})\n", f.dry_run ? "Would remove" : "Removed", j.id,
            j.op.empty() ? "?" : j.op, j.status, iso_time(j.modified));
    removed.push_back(j.id);
  }
  const std::size_t n = removed.size();
  std::string statuses;
  for (const auto& s : criteria.statuses) statuses += (statuses.empty() ? "" : ", ") + s;
  rt.note("{} {} job{} ({}; last written {} or more ago) from {}{}\n", f.dry_run ? "Would remove" : "Removed", n,
          n == 1 ? "" : "s", statuses, f.older_than, jobs.dir(), f.dry_run ? " (dry run: nothing was removed)" : "");
  if (rt.json()) {
    nlohmann::json out{{"dry_run", f.dry_run}, {"removed", removed}, {"count", n}};
    if (!failures.empty()) out["failed"] = failures;
    print_json(out);
  }
  if (!failures.empty()) ctx.exit_code = exit_code::failure;
}

JobInfo find_job(Context& ctx, const std::string& id) {
  JobStore jobs(ctx.runtime().settings().journal_dir.value);
  auto job = jobs.find(id);
  if (!job) fail(job.error());
  if (job->status == "unreadable")
    fail(Error::make(ErrorKind::journal, "the journal of job " + job->id + " cannot be read: " + job->path));
  return *job;
}

void jobs_show(Context& ctx, const std::string& id) {
  auto job = find_job(ctx, id);
  auto& rt = ctx.runtime();
  const auto& st = *job.state;
  if (rt.json()) {
    nlohmann::json failures = nlohmann::json::array();
    for (const auto& f : st.failures) failures.push_back({{"item", f.item}, {"kind", f.kind}, {"reason", f.reason}});
    return print_json({{"id", job.id},
                       {"op", job.op},
                       {"status", job.status},
                       {"spec", st.spec},
                       {"done", job.done},
                       {"failed", job.failed},
                       {"resume", st.resume ? *st.resume : nlohmann::json(nullptr)},
                       {"created", job.created},
                       {"command", job.command},
                       {"failures", failures},
                       {"journal", job.path}});
  }
  fmt::print("Job:       {}\nOperation: {}\nStatus:    {}\nCreated:   {}\nCommand:   {}\nJournal:   {}\n", job.id,
             job.op, job.status, job.created, job.command, job.path);
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
  auto opened = jobs.resume(job);
  if (!opened) fail(opened.error());
  opened->journal->finish("aborted", {job.done, job.failed});
  fmt::print("Aborted job {} after {} done; it will not be resumed.\n", job.id, grouped(job.done));
}

}  // namespace

void add_jobs_commands(CLI::App& app, Context& ctx) {
  auto* jobs = app.add_subcommand("jobs", "Journaled operations: list, show, resume, abort, prune");
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
  auto pf = std::make_shared<PruneFlags>();
  auto* prune =
      jobs->add_subcommand("prune",
                           "Remove old jobs: by default finished ones (completed, partial, aborted) older than 7 days");
  prune->add_option("--older-than", pf->older_than, "Only jobs last written at least this long ago: 30m, 12h, 7d, 0s")
      ->type_name("DURATION")
      ->capture_default_str();
  prune
      ->add_option("--status", pf->statuses,
                   "Only jobs with these statuses (repeatable or comma-separated): completed, partial, aborted, "
                   "resumable (interrupted), unreadable, finished, all (default: finished; a resumable job goes only "
                   "when named)")
      ->type_name("STATUS");
  prune->add_flag("--dry-run", pf->dry_run, "List what would be removed; remove nothing");
  prune->callback([&ctx, pf] { jobs_prune(ctx, *pf); });
}

}  // namespace ckp::cli
