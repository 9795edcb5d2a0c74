#pragma once
// Builds the long operations from their specs — the same code for a fresh command and for `jobs resume`, so that
// a resumed job runs exactly what was started. Inputs are files (re-opened and checked on resume) or, for items
// given on the command line, text kept in the job's journal.

#include <memory>
#include <optional>
#include <string>

#include "ckp/engine/records.hpp"
#include "ckp/engine/sink.hpp"
#include "ckp/ops/kv_delete.hpp"
#include "ckp/ops/kv_export.hpp"
#include "ckp/ops/kv_import.hpp"
#include "ckp/ops/purge.hpp"
#include "ckp/ops/sync_purge.hpp"
#include "cli/runtime.hpp"

namespace ckp::cli {

/// An operation ready to run, with what it reads and writes and how to talk about it.
struct BuiltOp {
  std::unique_ptr<ops::Operation> op;
  std::unique_ptr<engine::ByteSink> sink;  ///< export output, owned here
  std::string noun;                        ///< "keys", "URLs", "tags", …
  std::string verb;                        ///< "delete", "purge", "write", "export"
};

/// An operation's input: a file, or text given on the command line (kept in the journal for resume).
struct InputSpec {
  std::string path;    ///< a file ("-" = stdin), or
  std::string inline_text;  ///< items joined by newlines
  bool is_inline() const { return path.empty(); }
  std::string name() const { return is_inline() ? "<command line>" : path; }
};

/// Opens @p input as records; checks its size against @p expected_size when resuming (0 = don't check).
std::unique_ptr<engine::RecordSource> open_input(const InputSpec& input, std::uint64_t expected_size = 0);
/// The size to record in a spec for @p input.
std::uint64_t input_size(const InputSpec& input);

BuiltOp build_delete(Runtime& rt, const ops::KvDeleteSpec& spec, const InputSpec& input, ops::OpOptions options,
                     bool resuming);
BuiltOp build_import(Runtime& rt, const ops::KvImportSpec& spec, const InputSpec& input, ops::OpOptions options,
                     bool resuming);
BuiltOp build_export(Runtime& rt, const ops::KvExportSpec& spec, ops::OpOptions options, bool resuming);
BuiltOp build_purge(Runtime& rt, const ops::PurgeSpec& spec, const InputSpec& input, ops::OpOptions options,
                    bool resuming);
BuiltOp build_sync_purge(Runtime& rt, const ops::SyncPurgeSpec& spec, ops::OpOptions options);

/// Rebuilds the operation a job's journal describes, to resume it.
BuiltOp build_from_journal(Runtime& rt, const JobInfo& job, ops::OpOptions options);

/// Runs a freshly built, journaled operation: starts a job (unless a dry run), records inline input for resume,
/// runs with progress, prints the report. Returns the exit code.
int run_job(Runtime& rt, const std::string& op_name, const InputSpec& input, bool dry_run,
            const std::function<BuiltOp(ops::OpOptions)>& build);

}  // namespace ckp::cli
