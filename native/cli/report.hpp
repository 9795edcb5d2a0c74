#pragma once
// How an operation's report (ops::OpReport) is shown when it ends: the `--json` document, or a few lines of text
// (what was done, how fast, what failed, how to resume).

#include <string>

#include "ckp/ops/operation.hpp"

namespace ckp::cli {

/// The job a report belongs to, for the lines that point at it.
struct ReportJob {
  std::string id;          ///< "" when the run kept no job (a dry run, an export to stdout, refused input)
  bool journaled = false;  ///< its journal file exists (it appears with the operation's spec): it can be resumed
};

/// A report in words, for stderr (stdout carries only data: an export's NDJSON, a listing, a --json document).
struct ReportText {
  std::string summary;   ///< what was done, how fast, notes: silenced by --quiet
  std::string problems;  ///< what failed, why the run stopped, how to resume: always shown
};

/// The text form of @p report. @p noun is what the operation counts ("keys"), @p verb what it does to them ("delete").
ReportText report_text(const ops::OpReport& report, const std::string& noun, const std::string& verb,
                       const ReportJob& job);

/// Prints @p report: with @p json its JSON document (with "job": the job's id) on stdout and, when it stopped on an
/// error, "error: …" on stderr; else report_text() on stderr, its summary only when not @p quiet.
void print_report(const ops::OpReport& report, bool json, bool quiet, const std::string& noun, const std::string& verb,
                  const ReportJob& job);

}  // namespace ckp::cli
