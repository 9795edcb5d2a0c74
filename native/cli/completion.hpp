#pragma once
// Shell completion scripts (bash — zsh runs it through bashcompinit — and fish), made from the CLI's own definition:
// commands at each level, the global flags after any command, file names for file flags, the values of choice flags,
// and namespace titles and zone names asked of the binary itself (`cache-kv-purger __complete namespaces|zones`).

#include <string>

#include <CLI/CLI.hpp>

namespace ckp::cli {

/// Whether a command is shown (in help, the tree and completion): a hidden one has no group.
inline bool visible(const CLI::App* c) { return !c->get_group().empty(); }
/// Whether an option is shown: a hidden one has no group; `--help` is on every command and is not listed.
inline bool visible(const CLI::Option* o) { return !o->get_group().empty() && o->get_name() != "--help"; }

/// The bash completion script for @p app (zsh: after `autoload -U +X bashcompinit && bashcompinit`).
std::string bash_completion(const CLI::App& app);

/// The fish completion script for @p app.
std::string fish_completion(const CLI::App& app);

}  // namespace ckp::cli
