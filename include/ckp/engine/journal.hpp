#pragma once
/// @file
/// The journal of a long operation, for resume after a crash, a kill or Ctrl-C.
///
/// It is append-only, one JSON object per line:
/// ```
/// {"t":"spec","v":1,"op":"kv.delete","spec":{...},             what the operation is (never a credential), and
///  "target":{"api_base_url":…,"account_id":…}}                 what it acts on: a resume elsewhere is refused
/// {"t":"ckpt","resume":{...},"done":N,"failed":M}              a durable watermark: all work before it is settled;
///                                                              the counts of everything durable so far
/// {"t":"settled","range":[a,b],"done":n,"failed":m}            a piece finished out of order (skipped on resume)
/// {"t":"fail","item":"…","kind":"…","reason":"…"}              an item that failed for good
/// {"t":"note","data":{...}}                                    operation-specific data (e.g. collected cache tags)
/// {"t":"target","target":{...}}                                a resume moved the job to another target, on purpose
/// {"t":"end","status":"completed","done":N,"failed":M}
/// ```
/// A watermark is only written once everything before it is confirmed, so resuming from it never skips work; counts
/// and failures are only written once their items will not be done again, so a resume never counts an item twice.
/// The last line may be torn by a crash; load() ignores a torn last line and rejects corruption anywhere else.
/// Storage is a small interface: a file natively (io/file_journal.hpp), browser storage in the console, memory in
/// tests and the simulator.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ckp/api/error.hpp"
#include "ckp/api/json_integer.hpp"
#include "ckp/api/json_parse.hpp"

namespace ckp::engine {

/// The JSON type of specs, watermarks and notes (nlohmann::json).
using json = nlohmann::json;

/// Where a journal's lines live.
class JournalStore {
 public:
  virtual ~JournalStore() = default;
  /// Appends one line (without its newline).
  virtual void append(std::string_view line) = 0;
  /// Makes every appended line durable (fsync for a file).
  virtual void sync() = 0;
  /// Every line stored so far, in order.
  virtual std::vector<std::string> lines() const = 0;
};

/// A journal in memory. `crash()` forgets lines appended since the last sync(), like a killed process would.
class MemoryJournalStore final : public JournalStore {
 public:
  void append(std::string_view line) override { lines_.emplace_back(line); }
  void sync() override { synced_ = lines_.size(); }
  std::vector<std::string> lines() const override { return lines_; }
  /// Drops the lines appended since the last sync() (what a crash would lose).
  void crash() { lines_.resize(synced_); }

 private:
  std::vector<std::string> lines_;
  std::size_t synced_ = 0;
};

/// Counters carried through checkpoints so that progress continues where it stopped.
struct JournalCounters {
  std::uint64_t done = 0;    ///< items confirmed (OpReport::done)
  std::uint64_t failed = 0;  ///< items failed for good (OpReport::failed)
};

/// One failure as journaled.
struct JournalFailure {
  std::string item;    ///< the item's name (a key, a URL, …)
  std::string kind;    ///< to_string(ErrorKind)
  std::string reason;  ///< Error::message
};

/// What load() recovers.
struct JournalState {
  std::string op;  ///< the operation's name, e.g. `kv.delete`
  json spec;       ///< its spec, as begin() wrote it
  json target;     ///< what it acts on (`api_base_url`, `account_id`), as begin() wrote it; null when not recorded
  std::optional<json> resume;             ///< the last durable watermark, if any
  JournalCounters counters;               ///< everything durable: the last checkpoint plus pieces settled after it
  std::vector<json> settled;              ///< ranges finished out of order (some may lie behind the watermark)
  std::vector<JournalFailure> failures;   ///< every journaled failure, in order
  std::vector<json> notes;                ///< every note(), in order
  std::optional<std::string> end_status;  ///< set when the operation ended ("completed", "failed", …)
};

/// Writes journal lines. Every checkpoint is synced.
///
/// Operations write it (OpOptions::journal); a front keeps the store and, to resume, loads it back and passes the
/// state as OpOptions::resume to a new operation with the same spec.
///
/// Example:
/// ```
/// ckp::engine::MemoryJournalStore store;            // io::FileJournalStore natively
/// ckp::engine::Journal journal(store);
/// ckp::ops::KvDelete op(scheduler, spec, {.journal = &journal, .cancel = cancel});
/// // …stopped by Ctrl-C or a crash; later:
/// ckp::Result<ckp::engine::JournalState> state = ckp::engine::Journal::load(store);
/// if (!state) return fail(state.error());            // ErrorKind::journal: corrupt or incompatible
/// ckp::ops::KvDelete resumed(scheduler, spec, {.journal = &journal, .resume = *state});
/// ```
class Journal {
 public:
  /// Writes to @p store, which must outlive the journal.
  explicit Journal(JournalStore& store) : store_(store) {}

  /// Starts a new journal with the operation's name and spec (after any preamble(), with the target()).
  void begin(std::string_view op, const json& spec) {
    for (const auto& data : preamble_) write(json{{"t", "note"}, {"data", data}});
    preamble_.clear();
    json line{{"t", "spec"}, {"v", 1}, {"op", op}, {"spec", spec}};
    if (!target_.is_null()) line["target"] = target_;
    write(line);
    store_.sync();
  }
  /// Records, with the spec, what the job acts on — e.g. `{"api_base_url": …, "account_id": …}`, never a
  /// credential — so that a resume against anything else can be refused (ops::check_target()).
  void target(json what) { target_ = std::move(what); }
  /// Records that a resumed job now acts on @p what (a front's explicit override of the recorded target).
  void retarget(const json& what) {
    write(json{{"t", "target"}, {"target", what}});
    store_.sync();
  }
  /// Records a front's own bookkeeping about a new job (who started it, with which command) as a note that is
  /// written together with the spec, by begin(). Until then nothing reaches the store: a job killed before its
  /// operation began leaves no journal behind, rather than one that cannot be resumed. Never written when begin()
  /// is not called (a dry run).
  void preamble(const json& data) { preamble_.push_back(data); }
  /// Records a durable watermark: everything before @p resume is settled.
  void checkpoint(const json& resume, const JournalCounters& c) {
    write(json{{"t", "ckpt"}, {"resume", resume}, {"done", c.done}, {"failed", c.failed}});
    store_.sync();
  }
  /// Records a piece of input finished ahead of the watermark, and what it counted.
  void settled(const json& range, const JournalCounters& c) {
    write(json{{"t", "settled"}, {"range", range}, {"done", c.done}, {"failed", c.failed}});
  }
  /// Records an item that failed for good.
  void failure(std::string_view item, const Error& e) {
    write(json{{"t", "fail"}, {"item", item}, {"kind", to_string(e.kind)}, {"reason", e.message}});
  }
  /// Records operation-specific data that must survive a crash (e.g. cache tags collected before keys go).
  /// @p sync: make it durable at once (a killed process loses no written line either way; sync guards against a
  /// machine that goes down).
  void note(const json& data, bool sync = true) {
    write(json{{"t", "note"}, {"data", data}});
    if (sync) store_.sync();
  }
  /// Records the end of the operation.
  void finish(std::string_view status, const JournalCounters& c) {
    write(json{{"t", "end"}, {"status", status}, {"done", c.done}, {"failed", c.failed}});
    store_.sync();
  }
  /// Makes every line written so far durable (JournalStore::sync()).
  void sync() { store_.sync(); }

  /// Reads a journal back. Errors (ErrorKind::journal) name the line that is corrupt.
  static Result<JournalState> load(const JournalStore& store) {
    auto lines = store.lines();
    JournalState st;
    bool have_spec = false;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      json j = api::parse_json_or_discarded(lines[i]);
      if (j.is_discarded() || !j.is_object() || !j.contains("t") || !j["t"].is_string()) {
        if (i + 1 == lines.size() && have_spec) break;  // a torn last line: the write the crash interrupted
        return Error::make(ErrorKind::journal, fmt::format("journal line {} is corrupt", i + 1));
      }
      const std::string t = j["t"].get<std::string>();
      try {
        if (t == "spec") {
          if (auto v = j.find("v"); v == j.end() || api::json_integer<int>(*v) != 1)
            return Error::make(ErrorKind::journal, "journal was written by an incompatible version");
          st.op = j.at("op").get<std::string>();
          st.spec = j.at("spec");
          st.target = j.value("target", json());
          have_spec = true;
        } else if (t == "note") {
          st.notes.push_back(j.at("data"));  // notes may precede the spec (a front's own bookkeeping)
        } else if (!have_spec) {
          return Error::make(ErrorKind::journal, "journal does not start with the operation's spec");
        } else if (t == "ckpt") {
          st.resume = j.at("resume");
          const auto done = api::json_integer<std::uint64_t>(j.at("done"));
          const auto failed = api::json_integer<std::uint64_t>(j.at("failed"));
          if (!done || !failed)
            return Error::make(ErrorKind::journal, fmt::format("journal line {} has a bad checkpoint count", i + 1));
          st.counters = {*done, *failed};
        } else if (t == "target") {
          st.target = j.at("target");
        } else if (t == "settled") {
          st.settled.push_back(j.at("range"));
          // A checkpoint's counts include every piece journaled before it; pieces after it add theirs.
          st.counters.done += api::json_integer<std::uint64_t>(j.value("done", json(0))).value_or(0);
          st.counters.failed += api::json_integer<std::uint64_t>(j.value("failed", json(0))).value_or(0);
        } else if (t == "fail") {
          st.failures.push_back({j.at("item").get<std::string>(), j.value("kind", ""), j.value("reason", "")});
        } else if (t == "end") {
          st.end_status = j.at("status").get<std::string>();
          st.counters = {j.value("done", st.counters.done), j.value("failed", st.counters.failed)};
        }
      } catch (const json::exception&) {
        return Error::make(ErrorKind::journal, fmt::format("journal line {} has a bad field", i + 1));
      }
    }
    if (!have_spec) return Error::make(ErrorKind::journal, "journal is empty");
    return st;
  }

 private:
  void write(const json& j) { store_.append(j.dump()); }
  JournalStore& store_;
  std::vector<json> preamble_;  // notes held for begin()
  json target_;                 // written with the spec
};

}  // namespace ckp::engine
