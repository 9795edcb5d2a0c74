#pragma once
/// @file
/// Journals of the console's long operations, kept in the browser's localStorage so that a closed tab (or a crashed
/// browser) can resume them — the browser's counterpart of io/file_journal.hpp.
///
/// Layout, for a job `ID` (all keys start with `ckp.job.ID.`, so forgetting a job is removing that prefix):
/// ```
/// ckp.job.ID.meta           {"id","op","label","created","total",…}   what the page shows in its job list
/// ckp.job.ID.head           {"gen":G,"chunks":N}                      which chunks make up the journal
/// ckp.job.ID.gG.K           lines K of generation G, joined by "\n"   one chunk per sync()
/// ckp.job.ID.input          the input text of a purge (so that it can resume)
/// ```
/// sync() writes only the new lines (one chunk) and then the head, so a sync costs what it adds, and a tab closed
/// between the two writes leaves the previous, consistent journal. Every 64 chunks the journal is rewritten as one
/// chunk of a new generation (head switched last), which keeps reads fast.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ckp/engine/journal.hpp"

namespace ckp::wasm {

/// A JournalStore over localStorage (see the file comment). Lines appended since the last sync() are lost if the
/// tab closes — exactly the journal's contract for an unsynced file.
class LocalStorageJournalStore final : public engine::JournalStore {
 public:
  /// Opens the journal of job @p job_id, reading what it holds so far.
  explicit LocalStorageJournalStore(std::string job_id);

  void append(std::string_view line) override { pending_.emplace_back(line); }
  void sync() override;
  std::vector<std::string> lines() const override;

  /// False once the browser refused a write (storage full): the job then runs on, but may not be resumable.
  bool healthy() const { return healthy_; }

 private:
  std::string key(const std::string& suffix) const { return "ckp.job." + id_ + "." + suffix; }
  void compact();

  std::string id_;
  std::vector<std::string> durable_;
  std::vector<std::string> pending_;
  int gen_ = 0;
  int chunks_ = 0;
  bool healthy_ = true;
};

/// The key prefix of everything stored for @p job_id.
std::string job_key_prefix(const std::string& job_id);
/// Reads a job's meta object (null when the job is unknown).
nlohmann::json read_job_meta(const std::string& job_id);
/// Writes a job's meta object; false when the browser refused it.
bool write_job_meta(const std::string& job_id, const nlohmann::json& meta);
/// Every job with a journal: its meta plus what the journal says (`journal`: op, done, failed, end_status, error).
nlohmann::json list_jobs();
/// Removes everything stored for @p job_id.
void forget_job(const std::string& job_id);

}  // namespace ckp::wasm
