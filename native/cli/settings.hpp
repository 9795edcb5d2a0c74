#pragma once
// Effective settings: each value comes from a flag, else the environment, else the config file's profile, else a
// built-in default — and remembers which, for `config show`. A profile chosen explicitly (--profile, CKP_PROFILE)
// goes before the environment: the values it sets beat the environment's, credentials included.

#include <optional>
#include <string>

#include "ckp/api/error.hpp"
#include "ckp/api/limits.hpp"
#include "ckp/engine/limits/make_limit.hpp"
#include "ckp/transport/httplib.hpp"
#include "cli/config_file.hpp"

namespace ckp::cli {

/// Options every command accepts (set on the root command; they may appear after a subcommand too).
struct GlobalOptions {
  std::string verbosity = "normal";  ///< quiet | normal | verbose | debug (the Go tool's flag)
  bool quiet = false;
  bool json = false;
  bool yes = false;
  std::string progress = "auto";  ///< auto | bar | json | none
  std::string color = "auto";     ///< auto | always | never (colour on stderr/stdout; see cli/colour.hpp)
  std::string profile;
  std::string config_path;
  std::string api_token, api_key, email;
  std::string account_id;
  std::string api_base_url;
  std::string zone;
  std::string plan;
  // Numbers are kept as typed and checked by resolve_settings(), so that no value (0, -1, nan) is dropped unseen.
  std::string concurrency;
  std::string limit_algorithm;
  std::string zone_concurrency;
  std::string list_shards;
  std::string timeout;
  bool insecure = false;
  std::string journal_dir;
  std::string jobs_keep_days;      ///< days a completed job's journal is kept (0 = forever); checked like the numbers
  bool allow_new_profile = false;  ///< set by commands that create the profile (config set-defaults)
  /// Set by `config import-go`: the first run does not suggest the import it is doing.
  bool importing_go_config = false;
  /// Set by the commands that show or fix settings (config show, config set-defaults): a bad value from the
  /// environment or the config file is marked in Setting::problem instead of failing. A bad flag always fails.
  bool allow_invalid_settings = false;
};

/// A value and where it came from ("flag --account-id", "env CLOUDFLARE_ACCOUNT_ID", "config [default]",
/// "default").
struct Setting {
  std::string value;
  std::string source;
  int line = 0;         ///< the config file's line, when it came from there
  std::string problem;  ///< why the value is not valid ("" when it is), e.g. "must be a whole number from 1 to 256"
  /// Why this source won over another level that set a value too ("" when no other did), e.g. "beats env
  /// CLOUDFLARE_ACCOUNT_ID: profile [prod] was chosen by --profile". Flags always win and are not explained.
  std::string why;
  bool set() const { return !value.empty(); }
};

struct Settings {
  std::string profile = "default";
  /// What chose the profile: "flag --profile", "env CKP_PROFILE", or "" (not chosen: [default]). When chosen, the
  /// values the profile sets beat the environment's.
  std::string profile_source;
  std::string config_path;
  Setting account_id, zone, api_base_url, plan, concurrency, limit_algorithm, zone_concurrency, list_shards, batch_size,
      timeout, journal_dir, jobs_keep_days;
  transport::Credentials credentials;
  std::string credentials_source;  ///< where the credentials came from (never their value)
  std::string credentials_why;     ///< as Setting::why, for the credentials (never their value)
  bool verify_tls = true;

  std::optional<api::PlanProfile> plan_profile() const;
  engine::LimitConfig limit_config() const;
};

/// Resolves every setting. Reads (and on first run creates) the config file; errors name file and line. A value out
/// of range fails (naming it, where it came from and the valid range) unless g.allow_invalid_settings, which marks
/// it in Setting::problem instead. Credentials with control characters always fail, naming where they came from.
Result<Settings> resolve_settings(const GlobalOptions& g);

/// The one range check of a numeric setting (concurrency, zone_concurrency, list_shards, batch_size, timeout,
/// jobs_keep_days), for flags, the environment and the config file alike: "" when @p value is valid for @p key, else
/// what a valid value is, e.g. "must be a number of seconds greater than 0 and at most 3600".
std::string numeric_setting_problem(const std::string& key, const std::string& value);

/// A value with its secret part hidden, for display: "abcd…wxyz (40 chars)".
std::string mask_secret(const std::string& secret);

}  // namespace ckp::cli
