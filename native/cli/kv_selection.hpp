#pragma once
// Which keys a `kv` command's flags select: the selection flags, the checks that refuse a selection given by mistake,
// what is made of them (the filters, the key list as an input, the words a confirmation shows), and the file a dry run
// saves the selected key names to. The rule itself is ops::KeySelection's (ckp/ops/key_selection.hpp).

#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <string>
#include <utility>

#include <CLI/CLI.hpp>

#include "ckp/ops/key_selection.hpp"
#include "ckp/ops/kv_delete.hpp"
#include "cli/job_runner.hpp"

namespace ckp::cli {

/// The selection flags of kv list, get and delete. `keys_file` and `all_keys` are kv delete's only.
struct KeySelectionFlags {
  std::string key;        ///< --key
  std::string keys;       ///< --keys "a,b,c" or @FILE
  std::string keys_file;  ///< --keys-file
  std::string prefix;     ///< --prefix
  std::string pattern;    ///< --pattern
  std::string search;     ///< --search
  std::string tag_field;  ///< --tag-field
  std::string tag_value;  ///< --tag-value
  bool all_keys = false;  ///< --all-keys
};

/// Adds --key, --keys, --prefix, --pattern, --search, --tag-field and --tag-value, in that order.
void add_selection_flags(CLI::App* cmd, KeySelectionFlags& f);

/// Adds `--batch-size` for keys (1-10000), as kv list, get and delete take it.
void add_key_batch_size_flag(CLI::App* cmd, int& batch_size);

/// Whether @p flag was given on the command line of @p cmd (with any value, even an empty one).
bool given(const CLI::App& cmd, const char* flag);

/// Fails (usage) naming the first of @p flags given with an empty value (an unset shell variable, say): a destructive
/// command would otherwise quietly stop narrowing. With @p prefix_hint, a refused --prefix adds "pass --all-keys to
/// mean every key".
void refuse_empty_flags(const CLI::App& cmd, std::initializer_list<std::pair<const char*, const std::string*>> flags,
                        bool prefix_hint);

/// kv delete's check: refuse_empty_flags() over --key, --keys, --keys-file, --prefix, --pattern, --search and
/// --tag-field.
void refuse_empty_selection_flags(const CLI::App& cmd, const KeySelectionFlags& f);

/// The flag that names keys one by one (`--key`, `--keys` or `--keys-file`; "" for none) on @p cmd. Fails (usage)
/// when more than one was given.
std::string key_list_flag(const CLI::App& cmd);

/// The filters the flags give: every one given must match (ops/key_selection.hpp).
ops::KeySelection selection_of(const KeySelectionFlags& f);

/// The key list named by @p flag (`--key`, `--keys` "a,b" or "@FILE", `--keys-file`) as an input. Fails (usage) for
/// `--keys @` without a file name.
InputSpec key_list_input(const KeySelectionFlags& f, const std::string& flag);

/// In words: which keys a delete spec selects ("keys starting with 'user/', and whose metadata contains 'x'").
std::string describe(const ops::KvDeleteSpec& spec, const InputSpec& input);

/// Writes key names as a JSON array, one per line as they come — exact whatever bytes a name holds, and readable
/// back with --keys-file. Fails (io) when the file cannot be written.
class KeyListWriter {
 public:
  /// Writes to @p path ("-": standard output).
  explicit KeyListWriter(const std::string& path);
  void add(const std::string& key);
  /// Closes the array and the file.
  void finish();
  std::uint64_t count() const { return count_; }

 private:
  std::string path_;
  std::ofstream file_;
  std::ostream& out_;  // file_, or std::cout for "-"
  std::uint64_t count_ = 0;
};

}  // namespace ckp::cli
