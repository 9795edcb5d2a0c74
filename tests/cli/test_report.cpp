// cli/report.hpp: an operation's report in words — dry runs, finished runs, failures, and how to resume.

#include <doctest/doctest.h>

#include "cli/report.hpp"
#include "support.hpp"

using namespace ckp;
using namespace ckp::cli;

namespace {

ops::OpReport finished(std::uint64_t done, double seconds) {
  ops::OpReport r;
  r.done = done;
  r.elapsed = from_seconds(seconds);
  r.requests.sent = 12;
  r.requests.retries = 2;
  r.requests.rate_limited = 1;
  return r;
}

ops::Failure failure(std::string item, std::string why) {
  return {std::move(item), Error::make(ErrorKind::not_found, std::move(why))};
}

}  // namespace

TEST_CASE("a finished run: what was done, how fast, the requests") {
  auto r = finished(1234, 2);
  auto text = report_text(r, "keys", "delete", {});
  CHECK(text.summary == "Deleted 1,234 keys in 2.0 s (617/s); 12 requests, 2 retried, 1 rate-limited.\n");
  CHECK(text.problems == "");
  CHECK(report_text(r, "items", "purge", {}).summary.rfind("Purged 1,234 items in 2.0 s", 0) == 0);
  CHECK(report_text(r, "pairs", "write", {}).summary.rfind("Wrote 1,234 pairs", 0) == 0);
  CHECK(report_text(r, "keys", "export", {}).summary.rfind("Exported 1,234 keys", 0) == 0);
  CHECK(report_text(r, "things", "frobnicate", {}).summary.rfind("Processed 1,234 things", 0) == 0);
  r.elapsed = from_seconds(0);
  CHECK(report_text(r, "keys", "delete", {}).summary ==
        "Deleted 1,234 keys in 0.0 s (0/s); 12 requests, 2 retried, 1 rate-limited.\n");
  r.elapsed = from_seconds(3723);
  CHECK(report_text(r, "keys", "delete", {}).summary.rfind("Deleted 1,234 keys in 1:02:03 (0/s)", 0) == 0);
}

TEST_CASE("a finished run: superseded and vanished counts, when there are any") {
  auto r = finished(10, 1);
  r.extra = {{"superseded", 3u}, {"vanished", 0u}};  // counts are unsigned, as the operations write them
  auto out = report_text(r, "pairs", "write", {}).summary;
  CHECK(out.find("\n3 of them were superseded by a later line for the same key, so only the later one was sent.\n") !=
        std::string::npos);
  CHECK(out.find("vanished") == std::string::npos);
  r.extra = {{"vanished", 1200u}};
  CHECK(report_text(r, "keys", "export", {})
            .summary.ends_with(
                "\n1,200 keys vanished between listing and reading (deleted meanwhile) and were not exported.\n"));
}

TEST_CASE("failures: the first 20, then where to see them all") {
  auto r = finished(5, 1);
  r.status = ops::OpStatus::partial;
  r.failed = 25;
  for (int i = 0; i < 25; ++i) r.failures.push_back(failure("k" + std::to_string(i), "gone"));
  auto text = report_text(r, "keys", "delete", {"job-1", true});
  // Failures are problems: shown even with --quiet, which silences the summary.
  CHECK(text.summary.rfind("Deleted 5 keys in", 0) == 0);
  CHECK(text.problems.rfind("25 keys failed:\n  k0: gone\n", 0) == 0);
  CHECK(text.problems.find("  k19: gone\n") != std::string::npos);
  CHECK(text.problems.find("k20") == std::string::npos);
  CHECK(text.problems.ends_with("  … see all with: cache-kv-purger jobs show job-1\n"));  // partial: no resume line
  CHECK(report_text(r, "keys", "delete", {}).problems.find("see all with") == std::string::npos);
}

TEST_CASE("a stopped run: why, and how to resume when its journal was written") {
  auto r = finished(40, 1);
  r.status = ops::OpStatus::cancelled;
  r.error = Error::make(ErrorKind::cancelled, "stopped by Ctrl-C");
  auto text = report_text(r, "keys", "delete", {"job-7", true});
  CHECK(text.summary.rfind("Deleted 40 keys before stopping in", 0) == 0);
  CHECK(text.problems ==
        "interrupted: stopped by Ctrl-C\nProgress is saved. Resume with:\n  cache-kv-purger jobs resume job-7\n");
  // No journal on disk (stopped before the spec was written), or no job: nothing to resume.
  CHECK(report_text(r, "keys", "delete", {"job-7", false}).problems == "interrupted: stopped by Ctrl-C\n");
  CHECK(report_text(r, "keys", "delete", {}).problems == "interrupted: stopped by Ctrl-C\n");

  r.status = ops::OpStatus::failed;
  r.error = Error::make(ErrorKind::authentication, "token revoked");
  CHECK(report_text(r, "keys", "delete", {"job-7", true}).problems ==
        "error: token revoked\nProgress is saved. Resume with:\n  cache-kv-purger jobs resume job-7\n");
  // Bad input can never succeed on resume, nor can a namespace that is not there (ops::resume_can_help).
  r.error = Error::make(ErrorKind::invalid_input, "line 3 is not a key");
  CHECK(report_text(r, "keys", "delete", {"job-7", true}).problems == "error: line 3 is not a key\n");
  r.error = Error::make(ErrorKind::not_found, "namespace not found");
  CHECK(report_text(r, "keys", "delete", {"job-7", true}).problems == "error: namespace not found\n");
  r.error = Error::make(ErrorKind::rate_limited, "locked out");
  CHECK(report_text(r, "keys", "delete", {"job-7", true}).problems ==
        "error: locked out\nProgress is saved. Resume with:\n  cache-kv-purger jobs resume job-7\n");
}

TEST_CASE("a run that stopped before doing anything prints no success-shaped summary") {
  auto r = finished(0, 1);
  r.status = ops::OpStatus::failed;
  r.error = Error::make(ErrorKind::not_found, "zone example.org not found");
  const auto text = report_text(r, "URLs", "purge", {});
  CHECK(text.summary == "");  // never "Purged 0 URLs in ..." before the error
  CHECK(text.problems == "error: zone example.org not found\n");
}

TEST_CASE("a dry run: what would be done, samples, and what could not be") {
  ops::OpReport r;
  r.dry_run = true;
  r.done = 1500;
  r.samples = {"user/1", "user/2"};
  auto text = report_text(r, "keys", "delete", {});
  CHECK(text.summary ==
        "DRY RUN: would delete 1,500 keys; nothing was changed.\n  user/1\n  user/2\n  … and 1,498 more\n");
  CHECK(text.problems == "");

  r.done = 2;
  r.failed = 1;
  r.failures = {failure("bad key", "too long")};
  CHECK(report_text(r, "keys", "delete", {}).summary ==
        "DRY RUN: would delete 2 keys; nothing was changed.\n  user/1\n  user/2\n");
  CHECK(report_text(r, "keys", "delete", {}).problems == "1 keys could not be deleted:\n  bad key: too long\n");
  CHECK(report_text(r, "urls", "purge", {}).problems.find("1 urls could not be handled:\n") != std::string::npos);
}

TEST_CASE("a dry run that stopped must not look like an empty one") {
  ops::OpReport r;
  r.dry_run = true;
  r.status = ops::OpStatus::failed;
  r.error = Error::make(ErrorKind::transport, "connection refused");
  auto text = report_text(r, "keys", "delete", {"job", true});
  CHECK(text.summary == "");
  CHECK(text.problems == "DRY RUN failed: connection refused\nNothing was changed; the count is unknown.\n");
  r.status = ops::OpStatus::cancelled;
  r.error.reset();
  CHECK(report_text(r, "keys", "delete", {}).problems ==
        "DRY RUN interrupted: stopped\nNothing was changed; the count is unknown.\n");
}
