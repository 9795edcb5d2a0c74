#include "cli/report.hpp"

#include <cstdio>
#include <iterator>

#include <fmt/format.h>

#include "cli/colour.hpp"
#include "cli/output.hpp"

namespace ckp::cli {

namespace {

/// A count from the report's operation-specific figures, 0 when absent.
std::uint64_t extra_count(const ops::OpReport& r, const char* name) {
  auto v = r.extra.find(name);
  return v != r.extra.end() && v->is_number_unsigned() ? v->get<std::uint64_t>() : 0;
}

}  // namespace

ReportText report_text(const ops::OpReport& r, const std::string& noun, const std::string& verb, const ReportJob& job) {
  ReportText text;
  auto out = std::back_inserter(text.summary);
  auto err = std::back_inserter(text.problems);
  const double secs = to_seconds(r.elapsed);
  const bool stopped = r.status == ops::OpStatus::cancelled || r.status == ops::OpStatus::failed;
  if (r.dry_run) {
    if (stopped) {
      // A failed dry run must not look like an empty one.
      fmt::format_to(err, "DRY RUN {}: {}\nNothing was changed; the count is unknown.\n",
                     r.status == ops::OpStatus::cancelled ? "interrupted" : "failed",
                     r.error ? r.error->message : std::string("stopped"));
      return text;
    }
    fmt::format_to(out, "DRY RUN: would {} {} {}; nothing was changed.\n", verb, grouped(r.done), noun);
    for (const auto& s : r.samples) fmt::format_to(out, "  {}\n", s);
    if (r.done > r.samples.size()) fmt::format_to(out, "  … and {} more\n", grouped(r.done - r.samples.size()));
    if (r.failed)
      fmt::format_to(err, "{} {} could not be {}:\n", grouped(r.failed), noun,
                     verb == "delete" ? "deleted" : "handled");
    for (std::size_t i = 0; i < r.failures.size() && i < 20; ++i)
      fmt::format_to(err, "  {}: {}\n", r.failures[i].item, r.failures[i].error.message);
    return text;
  }
  const std::string past = verb == "delete"   ? "Deleted"
                           : verb == "purge"  ? "Purged"
                           : verb == "write"  ? "Wrote"
                           : verb == "export" ? "Exported"
                                              : "Processed";
  // A run that stopped says what it did before stopping, never a success-shaped "Purged 0 URLs"; one that stopped
  // before doing anything only says why (below).
  // The rate is this run's (what the progress bar showed); a resumed job's count is the whole job's.
  const std::uint64_t this_run = r.done + r.failed >= r.resumed_at ? r.done + r.failed - r.resumed_at : 0;
  const double rate = secs > 0 ? static_cast<double>(this_run) / secs : 0.0;
  const std::string when = r.resumed_at > 0 ? fmt::format(" in all ({} in this run, {}, {:.0f}/s)", grouped(this_run),
                                                          clock_time(secs), rate)
                                            : fmt::format(" in {} ({:.0f}/s)", clock_time(secs), rate);
  if (!stopped || r.done > 0)
    fmt::format_to(out, "{} {} {}{}{}; {} requests, {} retried, {} rate-limited.\n", past, grouped(r.done), noun,
                   stopped ? " before stopping" : "", when, grouped(r.requests.sent), grouped(r.requests.retries),
                   grouped(r.requests.rate_limited));
  if (auto n = extra_count(r, "superseded"))
    fmt::format_to(out,
                   "{} of them were superseded by a later line for the same key, so only the later one was sent.\n",
                   grouped(n));
  if (auto n = extra_count(r, "duplicates"))
    fmt::format_to(out, "{} item{} given more than once {} purged once.\n", grouped(n), n == 1 ? "" : "s",
                   n == 1 ? "was" : "were");
  if (auto notes = r.extra.find("notes"); notes != r.extra.end() && notes->is_array())
    for (const auto& note : *notes)
      if (note.is_string()) fmt::format_to(out, "Note: {}.\n", note.get<std::string>());
  if (auto n = extra_count(r, "vanished"))
    fmt::format_to(out, "{} {} vanished between listing and reading (deleted meanwhile) and were not exported.\n",
                   grouped(n), noun);
  if (r.failed) {
    fmt::format_to(err, "{} {} failed:\n", grouped(r.failed), noun);
    std::size_t shown = 0;
    for (const auto& f : r.failures) {
      if (shown++ == 20) break;
      fmt::format_to(err, "  {}: {}\n", f.item, f.error.message);
    }
    if (r.failed > 20 && !job.id.empty())
      fmt::format_to(err, "  … see all with: cache-kv-purger jobs show {}\n", job.id);
  }
  if (stopped) {
    if (r.error)
      fmt::format_to(err, "{}: {}\n", r.status == ops::OpStatus::cancelled ? "interrupted" : "error", r.error->message);
    // Only when a resume can get further (not after bad input, a namespace or zone that is not there, …); and the
    // journal file appears with the operation's spec: stopped before that, there is nothing to resume.
    if (!job.id.empty() && job.journaled && ops::resume_can_help(r))
      fmt::format_to(err, "Progress is saved. Resume with:\n  cache-kv-purger jobs resume {}\n", job.id);
  }
  return text;
}

void print_report(const ops::OpReport& report, bool json, bool quiet, const std::string& noun, const std::string& verb,
                  const ReportJob& job) {
  if (json) {
    auto j = report.to_json();
    if (!job.id.empty()) j["job"] = job.id;
    print_json(j);
    if (report.error && (report.status == ops::OpStatus::failed || report.status == ops::OpStatus::cancelled))
      fmt::print(stderr, "{} {}\n", colour::error_prefix(), report.error->message);
    return;
  }
  auto text = report_text(report, noun, verb, job);
  // On a terminal: the summary line (the first, after a run) green, yellow when some items failed, red when stopped;
  // "error:" red.
  if (!report.dry_run && !text.summary.empty()) {
    const auto tint = report.status == ops::OpStatus::completed ? colour::Colour::green
                      : report.status == ops::OpStatus::partial ? colour::Colour::yellow
                                                                : colour::Colour::red;
    const auto end = text.summary.find('\n');
    text.summary = colour::paint(stderr, tint, text.summary.substr(0, end)) +
                   (end == std::string::npos ? std::string() : text.summary.substr(end));
  }
  for (std::size_t at = 0; at < text.problems.size(); at = text.problems.find('\n', at) + 1) {
    if (text.problems.compare(at, 6, "error:") == 0) text.problems.replace(at, 6, colour::error_prefix());
    if (text.problems.find('\n', at) == std::string::npos) break;
  }
  if (!quiet) std::fwrite(text.summary.data(), 1, text.summary.size(), stderr);
  std::fwrite(text.problems.data(), 1, text.problems.size(), stderr);
}

}  // namespace ckp::cli
