#pragma once
// Standard input as a file input ("-"): read once, by one flag. A command may read its input several times — the
// confirmation's preview, the checking pass, the run, and a resume days later — and a pipe can be read only once, so
// an operation's input is first copied (streamed, 64 KiB at a time) to a spool file next to the job journals; a job
// keeps its copy beside its journal, for `jobs resume`.

#include <cstddef>
#include <string>

namespace ckp::cli {

/// Marks standard input as taken by @p flag; a second flag asking for it ("--files-list - --zone-list -") is refused,
/// naming both.
void claim_stdin(const std::string& flag);

/// All of standard input, for inputs read whole (a single value, a zone list, a request body). Refuses more than
/// @p max_bytes (naming @p flag and the limit) instead of holding an unbounded stream in memory.
std::string read_stdin(const std::string& flag, std::size_t max_bytes);

/// Standard input copied to a file in @p dir (created 0700 if missing; the file is 0600), once per process: every
/// call returns the same path. The copy is removed at exit unless keep_stdin_copy() moved it to a job.
std::string spooled_stdin(const std::string& dir, const std::string& flag);

/// Moves the spooled copy to @p path (a job's `<id>.stdin`, kept with its journal) and returns @p path.
std::string keep_stdin_copy(const std::string& path);

}  // namespace ckp::cli
