#pragma once
// Journaled jobs: each long operation writes its journal to <jobs dir>/<id>.jsonl (mode 0600), so that
// `jobs list|show|resume|abort` can find it after a crash, a kill or Ctrl-C.

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ckp/api/error.hpp"
#include "ckp/engine/journal.hpp"
#include "ckp/io/file_journal.hpp"

namespace ckp::cli {

/// What `jobs list` shows of one job.
struct JobInfo {
  std::string id;
  std::string path;
  std::string op;
  std::string status;   ///< completed | partial | aborted | resumable | unreadable
  std::string created;  ///< ISO time
  std::string command;  ///< the command line that started it (secrets masked)
  std::uint64_t done = 0, failed = 0;
  std::optional<engine::JournalState> state;
  /// When the journal was last written (the file's modification time): a job's age for `jobs prune` counts from it,
  /// so a job ended or interrupted long after it started is as old as its last step.
  std::time_t modified = 0;
  /// What the job acts on: {"api_base_url", "account_id", "namespace_id"?, "zones"?: [{"id", "name"}]} from its
  /// journal's target and spec (an empty object when unreadable).
  nlohmann::json target = nlohmann::json::object();
};

/// Which jobs `jobs prune` removes: those with one of @p statuses whose journal was last written at least
/// @p older_than_seconds ago.
struct PruneCriteria {
  std::int64_t older_than_seconds = 7 * 86400;  ///< minimum age (0: any age)
  /// JobInfo::status values; by default the finished ones. A resumable (interrupted or failed) or unreadable job is
  /// only ever selected when named here.
  std::vector<std::string> statuses = {"completed", "partial", "aborted"};
};

/// Parses a duration for `--older-than`: a whole number and a unit, `s`, `m`, `h` or `d` ("90s", "15m", "12h",
/// "7d"). Returns the seconds, or nullopt when @p text is not of that form (a bare number has no unit: refused).
std::optional<std::int64_t> parse_duration(std::string_view text);

/// Parses `--status` values (each may be a comma-separated list): completed, partial, aborted, resumable (or
/// interrupted, its alias), unreadable, finished (= completed, partial, aborted) and all. Returns the JobInfo statuses
/// they name, each once, or an invalid_input error naming the unknown value and the valid ones.
Result<std::vector<std::string>> parse_prune_statuses(const std::vector<std::string>& values);

/// The jobs of @p jobs that @p criteria selects at time @p now (see PruneCriteria), in their given order.
std::vector<JobInfo> select_prunable(const std::vector<JobInfo>& jobs, const PruneCriteria& criteria, std::time_t now);

/// A one-line description of what a job acts on, for tables: "namespace ID", "zone NAME", "3 zones: a, b, c",
/// "namespace ID -> zone NAME" (a sync purge), or "-".
std::string describe_target(const nlohmann::json& target);

/// A job open for writing: its id and its journal. The operation writes the journal (OpOptions::journal); `note` is
/// what `jobs list` shows of a new job, for the operation to journal with its spec (OpOptions::notes).
struct OpenJob {
  std::string id;
  std::unique_ptr<io::FileJournalStore> store;
  std::unique_ptr<engine::Journal> journal;  ///< writes to `store` (declared after it, so destroyed before it)
  nlohmann::json note;                       ///< {"job": {id, created, command, api_base_url}} for a new job
};

class JobStore {
 public:
  explicit JobStore(std::string dir) : dir_(std::move(dir)) {}

  /// A new job for @p op with its journal, and the note that tells `jobs list` about it: {"job": {id, created,
  /// command (@p command_line, secrets already masked), api_base_url}}.
  Result<OpenJob> start(const std::string& op, const std::string& command_line, const std::string& api_base_url);
  /// An existing job's journal, opened for appending (resume, abort).
  Result<OpenJob> resume(const JobInfo& job) const;
  /// Closes @p job and removes its journal file (its operation could not even begin: bad input).
  void discard(OpenJob job) const;
  /// Every job, newest first.
  std::vector<JobInfo> list() const;
  /// The job whose id is @p id or starts with it (unique).
  Result<JobInfo> find(const std::string& id) const;
  /// Removes @p job's journal file; an error says why it could not.
  Status remove(const JobInfo& job) const;
  /// Automatic cleanup, cheap enough for every new job: removes the jobs that ended `completed` and whose journal
  /// was last written more than @p keep_days days before @p now (0 keeps every job). Only files old enough are read.
  /// Returns the jobs removed; a file that cannot be removed is left (and not returned).
  std::vector<JobInfo> expire_completed(int keep_days, std::time_t now) const;
  const std::string& dir() const { return dir_; }
  /// The journal file of job @p id.
  std::string path_of(const std::string& id) const { return dir_ + "/" + id + ".jsonl"; }
  /// The copy of standard input a job fed by a pipe keeps beside its journal at @p journal_path (`<id>.stdin`).
  static std::string stdin_copy_beside(const std::string& journal_path) {
    const std::string_view ext = ".jsonl";
    const bool journal = journal_path.ends_with(ext);
    return (journal ? journal_path.substr(0, journal_path.size() - ext.size()) : journal_path) + ".stdin";
  }

 private:
  /// A new job for @p op: its id and an open journal store (the file appears with the journal's first record).
  Result<std::pair<std::string, std::unique_ptr<io::FileJournalStore>>> create(const std::string& op);
  JobInfo read(const std::string& id) const;
  /// Opens an existing job's journal file for appending.
  Result<std::unique_ptr<io::FileJournalStore>> reopen(const JobInfo& job) const;
  std::string dir_;
};

/// The command line as a string, with the values of secret flags masked.
std::string masked_command_line(int argc, char** argv);

}  // namespace ckp::cli
