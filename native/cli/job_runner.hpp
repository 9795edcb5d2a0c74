#pragma once
// The CLI's side of the operations registry (ckp/ops/registry.hpp): a command turns its flags into a spec and hands
// it here; a fresh job and `jobs resume` build the operation the same way, from the spec, so that a resumed job runs
// exactly what was started. Inputs are files (re-opened and checked on resume) or, for items given on the command
// line, a JSON array kept in the job's journal.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ckp/ops/operation.hpp"
#include "ckp/ops/spec_error.hpp"
#include "ckp/ops/text_input.hpp"
#include "cli/jobs.hpp"
#include "cli/runtime.hpp"

namespace ckp::cli {

/// An operation's input: a file, or items given as flags — kept as a JSON array, so that they are read exactly
/// (never trimmed, split or taken for comments), and journaled for resume.
struct InputSpec {
  std::string path;         ///< a file ("-" = stdin); empty for items given as flags
  std::string text;         ///< the inline items' text (a JSON array; an older journal's lines are read as lines)
  bool from_stdin = false;  ///< `path` is the copy of standard input ("standard input" in messages)

  static InputSpec file(std::string path) { return {std::move(path), ""}; }
  static InputSpec of_items(const std::vector<std::string>& items) { return {"", ops::json_array_text(items)}; }
  bool is_inline() const { return path.empty(); }
  /// Whether items were given as flags and there are none.
  bool empty_inline() const { return is_inline() && (text.empty() || text == "[]"); }
  /// What specs and messages call it.
  std::string name() const { return is_inline() ? "<command line>" : path; }
  /// The size to record in a spec (a resume against a changed file is refused).
  std::uint64_t size() const;
};

/// How the CLI names spec fields in errors (`field` → `--tag-field`); @p input_flag is the flag that gave the
/// command's input (`--keys-file`, `--files-list`, …).
ops::FieldNamer flag_namer(std::string input_flag = "--keys-file");

/// Fails (usage) when @p spec's validate() refuses it, naming the fields as flags.
template <class Spec>
void require_valid(const Spec& spec, const std::string& input_flag = "--keys-file") {
  if (auto e = spec.validate()) fail(e->to_error(flag_namer(input_flag)));
}

/// Runs a fresh operation: with @p journaled (not for a dry run, nor an export to standard output), starts a job
/// that records the spec, its target and any inline input; builds the operation through the registry (inputs are checked from end to end before anything is sent),
/// runs it with progress and prints the report. Returns the exit code. @p configure may hook into the built
/// operation before it starts.
int run_job(Runtime& rt, std::string_view op_name, const nlohmann::json& spec, const InputSpec& input, bool journaled,
            const std::string& input_flag = "--keys-file", const std::function<void(ops::Operation&)>& configure = {});

/// Runs @p spec (a dry run) to its end without a job, progress or report, and returns its report: the preview a
/// confirmation shows. Fails the command when the spec or its input is refused.
ops::OpReport run_preview(Runtime& rt, std::string_view op_name, const nlohmann::json& spec, const InputSpec& input,
                          const std::string& input_flag = "--keys-file");

/// Resumes @p job from its journal. Refuses (naming both) when the job was started against another API base URL or
/// account than the current settings point at, unless @p allow_new_target.
int resume_job(Runtime& rt, const JobInfo& job, bool allow_new_target);

}  // namespace ckp::cli
