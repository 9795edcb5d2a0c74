// `jobs list|show|resume|abort`: the journaled operations kept in the jobs directory.

#include <memory>

#include "cli/context.hpp"
#include "cli/job_runner.hpp"
#include "cli/jobs.hpp"

namespace ckp::cli {

namespace {

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
                     {"command", j.command}});
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
