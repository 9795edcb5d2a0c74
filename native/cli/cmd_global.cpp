// The options every command accepts, on the root command (they may also follow a subcommand).

#include "cli/colour.hpp"
#include "cli/context.hpp"

namespace ckp::cli {

void add_global_options(CLI::App& app, Context& ctx) {
  auto& g = ctx.options;
  const std::string group = "Global options";
  auto add = [&](CLI::Option* o) { o->group(group); };
  add(app.add_option("--verbosity", g.verbosity, "quiet | normal | verbose | debug")
          ->check(CLI::IsMember({"quiet", "normal", "verbose", "debug"})));
  add(app.add_flag("-q,--quiet", g.quiet, "Only errors and requested data"));
  add(app.add_flag("--json", g.json, "Machine-readable JSON output"));
  add(app.add_flag("-y,--yes", g.yes, "Answer yes to confirmations (destructive operations ask otherwise)"));
  add(app.add_option("--progress", g.progress, "auto | bar | json | none (auto: a bar on a terminal)")
          ->check(CLI::IsMember({"auto", "bar", "json", "none"})));
  add(app.add_option("--color", g.color, "auto | always | never (auto: colour on a terminal, unless NO_COLOR is set)")
          ->check(CLI::IsMember({"auto", "always", "never"}))
          ->each([](const std::string& v) { colour::set_mode(v); }));
  add(app.add_option("--profile", g.profile, "Configuration profile (a [section] of the config file)"));
  add(app.add_option("--config", g.config_path,
                     "Configuration file (default: $XDG_CONFIG_HOME/cache-kv-purger/config.toml)"));
  add(app.add_option("--api-token", g.api_token,
                     "API token (prefer CLOUDFLARE_API_TOKEN: flags show up in process lists)"));
  add(app.add_option("--api-key", g.api_key, "Legacy global API key (with --email)"));
  add(app.add_option("--email", g.email, "E-mail of the legacy global API key"));
  add(app.add_option("--account-id", g.account_id, "Account id (default: CLOUDFLARE_ACCOUNT_ID / config)"));
  add(app.add_option("-z,--zone", g.zone, "Zone name or id (default: CLOUDFLARE_ZONE_ID / config)"));
  add(app.add_option("--api-base-url", g.api_base_url,
                     "API base URL, e.g. an emulator (default: CLOUDFLARE_API_BASE_URL)"));
  add(app.add_option("--plan", g.plan,
                     "Pace purges for this plan: free, pro, business, enterprise (default auto: each zone's own)"));
  // Numbers are taken as text and range-checked by resolve_settings() (the same check as for the environment and the
  // config file); an empty value would otherwise pass for "not given".
  const auto not_empty =
      CLI::Validator([](std::string& v) { return v.empty() ? std::string("needs a value") : std::string(); }, "");
  add(app.add_option("--concurrency", g.concurrency, "Requests in flight: auto (adaptive) or 1-256")->check(not_empty));
  add(app.add_option("--limit-algorithm", g.limit_algorithm, "Adaptive algorithm: gradient2, vegas, aimd"));
  add(app.add_option("--zone-concurrency", g.zone_concurrency, "Zones purged at once (1-100)")
          ->type_name("INT")
          ->check(not_empty));
  add(app.add_option("--list-shards", g.list_shards,
                     "Listing calls at once for one prefix (1-64; default 16; 1 = one cursor chain)")
          ->type_name("INT")
          ->check(not_empty));
  add(app.add_option("--timeout", g.timeout, "Seconds a request may take in all (0.001-3600; default 90)")
          ->type_name("FLOAT")
          ->check(not_empty));
  add(app.add_flag("--insecure", g.insecure, "Do not verify TLS certificates (dangerous; warns)"));
  add(app.add_option("--journal-dir", g.journal_dir, "Where job journals are kept"));
  add(app.add_option("--jobs-keep-days", g.jobs_keep_days,
                     "Days a completed job is kept before a new job removes it (0-36500; default 30; 0 = keep)")
          ->type_name("INT")
          ->check(not_empty));
  add(app.add_flag(
      "-v,--verbose", [&g](std::int64_t) { g.verbosity = "verbose"; }, "Same as --verbosity verbose"));
}

}  // namespace ckp::cli
