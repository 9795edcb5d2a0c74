#pragma once
// Journaled jobs: each long operation writes its journal to <jobs dir>/<id>.jsonl (mode 0600), so that
// `jobs list|show|resume|abort` can find it after a crash, a kill or Ctrl-C.

#include <memory>
#include <optional>
#include <string>
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
};

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
  const std::string& dir() const { return dir_; }
  /// The journal file of job @p id.
  std::string path_of(const std::string& id) const { return dir_ + "/" + id + ".jsonl"; }

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
