#pragma once
// Effective settings: each value comes from a flag, else the environment, else the config file's profile, else a
// built-in default — and remembers which, for `config show`.

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
  std::string profile;
  std::string config_path;
  std::string api_token, api_key, email;
  std::string account_id;
  std::string api_base_url;
  std::string zone;
  std::string plan;
  std::string concurrency;
  std::string limit_algorithm;
  int zone_concurrency = 0;
  double timeout = 0;
  bool insecure = false;
  std::string journal_dir;
  bool allow_new_profile = false;  ///< set by commands that create the profile (config set-defaults)
};

/// A value and where it came from ("flag --account-id", "env CLOUDFLARE_ACCOUNT_ID", "config [default]",
/// "default").
struct Setting {
  std::string value;
  std::string source;
  bool set() const { return !value.empty(); }
};

struct Settings {
  std::string profile = "default";
  std::string config_path;
  Setting account_id, zone, api_base_url, plan, concurrency, limit_algorithm, zone_concurrency, batch_size, timeout,
      journal_dir;
  transport::Credentials credentials;
  std::string credentials_source;  ///< where the credentials came from (never their value)
  bool verify_tls = true;

  api::PlanProfile plan_profile() const;
  engine::LimitConfig limit_config() const;
};

/// Resolves every setting. Reads (and on first run creates) the config file; errors name file and line.
Result<Settings> resolve_settings(const GlobalOptions& g);

/// A value with its secret part hidden, for display: "abcd…wxyz (40 chars)".
std::string mask_secret(const std::string& secret);

}  // namespace ckp::cli
