#pragma once
// The configuration file: TOML (read with toml++), one table per profile.
//
//   # comment
//   [default]
//   account_id = "023e105f4ecef8ad9ca31a8372d0c353"
//   concurrency = "auto"
//
//   [staging]                       # or [profile.staging]
//   account_id = "…"
//   api_token_env = "STAGING_CF_TOKEN"
//
// Any valid TOML is read (quoted and dotted keys, literal and multi-line strings, inline tables); keys at the top,
// before any table, belong to [default]. A value is a string, an integer, a float or a boolean; all are kept as text.
// Syntax errors name `file:line:column`; an unknown key (or a key set twice for one profile) names `file:line`, so a
// typo never silently does nothing. Edits are textual: they change one value or add one line, and keep every
// comment, blank line and section where the user put them.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ckp/api/error.hpp"

namespace ckp::cli {

/// Keys the file may set, with one line of help each (also the sample's content).
struct ConfigKey {
  const char* name;     ///< the key, e.g. "account_id"
  const char* help;     ///< one line of help
  const char* example;  ///< an example value, as written in TOML
};
/// Every key the file may set, in the sample's order.
const std::vector<ConfigKey>& config_keys();

/// A parsed file: profile → key → value.
struct ConfigFile {
  std::string path;                                                    ///< the file read (used in messages)
  std::map<std::string, std::map<std::string, std::string>> profiles;  ///< profile → key → value, as text
  std::map<std::string, std::map<std::string, int>> lines;             ///< profile → key → the line that set it

  /// The value of @p key in @p profile, if set.
  std::optional<std::string> get(const std::string& profile, const std::string& key) const;
  /// The line that set @p key in @p profile, or 0.
  int line_of(const std::string& profile, const std::string& key) const;
};

/// Parses @p text as a config file; @p path is only used in messages. Errors: a TOML syntax error names
/// `path:line:column`; an unknown key, a value that is not a string, number or boolean, or a key set twice for one
/// profile (at the top and in [default], or in [x] and [profile.x]) names `path:line`.
Result<ConfigFile> parse_config(const std::string& text, const std::string& path);

/// Reads @p path. A missing file is an empty config; a malformed one is an Error as parse_config() describes.
Result<ConfigFile> read_config(const std::string& path);

/// The commented sample written on first run.
std::string sample_config();

/// Writes the sample to @p path (creating directories, mode 0600) if nothing is there. True if it wrote.
bool ensure_sample_config(const std::string& path);

/// One setting to save: key and value (written as a TOML string).
using ConfigValue = std::pair<std::string, std::string>;

/// Returns @p text with each of @p values set in @p profile, changing nothing else: an existing value is replaced in
/// place (its key's spelling and any comment after it kept); a new key goes on the line after the last key of the
/// profile's table (or after its header when it has none); a missing profile gets a new table at the end. Commented
/// lines are never taken for keys or sections. The result is re-parsed and each value must read back.
/// Errors: @p text is not valid TOML (`path:line:column`), an unknown key, or a profile written as an inline table or
/// dotted keys (where a line cannot be added safely).
Result<std::string> edit_config_text(const std::string& text, const std::string& path, const std::string& profile,
                                     const std::vector<ConfigValue>& values);

/// Sets every one of @p values in @p profile of the file at @p path (see edit_config_text()), all or nothing. A missing
/// file first gets the sample. The file is replaced atomically (temporary file + rename), mode 0600 (it may hold
/// credentials); a symbolic link is followed.
Status set_config_values(const std::string& path, const std::string& profile, const std::vector<ConfigValue>& values);

/// Sets (or replaces) `key = "value"` in @p profile of the file at @p path: set_config_values() with one value.
Status set_config_value(const std::string& path, const std::string& profile, const std::string& key,
                        const std::string& value);

/// What the Go tool's `~/.cache-kv-purger.json` holds that this tool can use.
struct GoConfigImport {
  std::vector<ConfigValue> values;  ///< settings to save: zone (from default_zone), account_id
  /// One line for each field not imported, and why (a credential's value is never included).
  std::vector<std::string> notes;
  bool had_credentials = false;  ///< the file holds a token, key or e-mail (never imported)
};

/// Reads the Go tool's JSON config at @p path. Its fields: `default_zone` → zone, `account_id` → account_id (when 32
/// hex characters). `api_endpoint` (stored but never used by the Go tool), `cache_concurrency` and
/// `multi_zone_concurrency` (overridden by its flags' defaults) are not imported, with a note when not the Go default.
/// A credential field (any name with token, key, secret, password or email) is never imported nor shown.
/// Errors: the file cannot be read, or is not a JSON object.
Result<GoConfigImport> read_go_config(const std::string& path);

/// The Go tool's config file: $HOME/.cache-kv-purger.json.
std::string default_go_config_path();

/// XDG locations: $XDG_CONFIG_HOME/cache-kv-purger/config.toml and $XDG_STATE_HOME/cache-kv-purger/jobs.
std::string default_config_path();
/// See default_config_path().
std::string default_jobs_dir();

/// Creates @p dir and its parents (mode 0700).
Status make_dirs(const std::string& dir);

}  // namespace ckp::cli
