#pragma once
// The configuration file: a small TOML subset with one section per profile.
//
//   # comment
//   [default]
//   account_id = "023e105f4ecef8ad9ca31a8372d0c353"
//   concurrency = "auto"
//
//   [staging]
//   account_id = "…"
//   api_token_env = "STAGING_CF_TOKEN"
//
// Values are "strings" (with \" and \\ escapes), integers, true/false. Unknown keys are errors that name the file
// and line, so a typo never silently does nothing.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ckp/api/error.hpp"

namespace ckp::cli {

/// Keys the file may set, with one line of help each (also the sample's content).
struct ConfigKey {
  const char* name;
  const char* help;
  const char* example;
};
const std::vector<ConfigKey>& config_keys();

/// A parsed file: profile → key → value.
struct ConfigFile {
  std::string path;
  std::map<std::string, std::map<std::string, std::string>> profiles;
  std::map<std::string, std::map<std::string, int>> lines;  ///< profile → key → the line that set it

  /// The value of @p key in @p profile, if set.
  std::optional<std::string> get(const std::string& profile, const std::string& key) const;
  /// The line that set @p key in @p profile, or 0.
  int line_of(const std::string& profile, const std::string& key) const;
};

/// Reads @p path. A missing file is an empty config; a malformed one is an Error naming `path:line`.
Result<ConfigFile> read_config(const std::string& path);

/// The commented sample written on first run.
std::string sample_config();

/// Writes the sample to @p path (creating directories, mode 0600) if nothing is there. True if it wrote.
bool ensure_sample_config(const std::string& path);

/// Sets (or replaces) `key = "value"` in @p profile of the file at @p path, keeping everything else, comments
/// included. Creates the profile section when missing.
Status set_config_value(const std::string& path, const std::string& profile, const std::string& key,
                        const std::string& value);

/// XDG locations: $XDG_CONFIG_HOME/cache-kv-purger/config.toml and $XDG_STATE_HOME/cache-kv-purger/jobs.
std::string default_config_path();
std::string default_jobs_dir();

/// Creates @p dir and its parents (mode 0700).
Status make_dirs(const std::string& dir);

}  // namespace ckp::cli
