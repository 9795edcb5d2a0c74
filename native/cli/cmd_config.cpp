// `config init|show|set-defaults|import-go`: the configuration file, the effective settings, and the Go tool's
// config imported.

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "ckp/api/validate.hpp"
#include "cli/context.hpp"
#include "cli/resolve.hpp"

namespace ckp::cli {

namespace {

struct ConfigFlags {
  std::string zone, account_id, api_endpoint, plan;
  std::string concurrency, timeout, batch_size, zone_concurrency;  // as typed: checked by numeric_setting_problem()
  bool force = false;
  std::string go_file;  // config import-go --file
};

void config_show(Context& ctx) {
  auto& rt = ctx.runtime();
  const auto& s = rt.settings();
  std::vector<std::pair<std::string, const Setting*>> rows{{"api_base_url", &s.api_base_url},
                                                           {"account_id", &s.account_id},
                                                           {"zone", &s.zone},
                                                           {"plan", &s.plan},
                                                           {"concurrency", &s.concurrency},
                                                           {"limit_algorithm", &s.limit_algorithm},
                                                           {"zone_concurrency", &s.zone_concurrency},
                                                           {"list_shards", &s.list_shards},
                                                           {"batch_size", &s.batch_size},
                                                           {"timeout", &s.timeout},
                                                           {"journal_dir", &s.journal_dir},
                                                           {"jobs_keep_days", &s.jobs_keep_days}};
  const std::string cred = !s.credentials.token.empty() ? "API token " + mask_secret(s.credentials.token)
                           : !s.credentials.api_key.empty()
                               ? "API key " + mask_secret(s.credentials.api_key) + " for " + s.credentials.email
                               : "(none)";
  // A bad value (resolve_settings() lets this command through) is shown with what is wrong, and where.
  auto source = [&](const Setting& v) { return v.line ? fmt::format("{} (line {})", v.source, v.line) : v.source; };
  if (rt.json()) {
    nlohmann::json j{{"config_file", s.config_path},
                     {"profile", s.profile},
                     {"profile_source", s.profile_source.empty() ? "default" : s.profile_source},
                     {"credentials",
                      {{"kind", !s.credentials.token.empty()     ? "token"
                                : !s.credentials.api_key.empty() ? "key"
                                                                 : "none"},
                       {"source", s.credentials_source}}}};
    if (!s.credentials_why.empty()) j["credentials"]["why"] = s.credentials_why;
    for (const auto& [k, v] : rows) {
      j[k] = {{"value", v->value}, {"source", v->source}};
      if (!v->why.empty()) j[k]["why"] = v->why;
      if (!v->problem.empty()) j[k]["invalid"] = fmt::format("{} '{}' ({}) {}", k, v->value, source(*v), v->problem);
    }
    return print_json(j);
  }
  fmt::print("Config file: {}\nProfile:     {}{}\n\n", s.config_path, s.profile,
             s.profile_source.empty()
                 ? ""
                 : fmt::format(" (chosen by {}: its values beat the environment)", s.profile_source));
  Table t({"SETTING", "VALUE", "SOURCE"});
  t.row({"credentials", cred, s.credentials_source.empty() ? "-" : s.credentials_source});
  int invalid = 0;
  for (const auto& [k, v] : rows) {
    std::string value = v->value.empty() ? "(not set)" : v->value;
    if (!v->problem.empty()) value += "  INVALID: " + v->problem, ++invalid;
    t.row({k, value, source(*v)});
  }
  t.print();
  // Why a value won where two levels set one (the environment and the file).
  std::vector<std::string> why;
  if (!s.credentials_why.empty())
    why.push_back(fmt::format("credentials: {} {}", s.credentials_source, s.credentials_why));
  for (const auto& [k, v] : rows)
    if (!v->why.empty()) why.push_back(fmt::format("{}: {} {}", k, source(*v), v->why));
  if (!why.empty()) fmt::print("\nWhy:\n");
  for (const auto& line : why) fmt::print("  {}\n", line);
  if (invalid)
    fmt::print(stderr,
               "\n{} invalid setting{}: commands refuse to run until {} fixed (edit {} or use `cache-kv-purger "
               "config set-defaults`).\n",
               invalid, invalid == 1 ? "" : "s", invalid == 1 ? "it is" : "they are", s.config_path);
}

void config_set_defaults(Context& ctx, const ConfigFlags& f) {
  // Every value is checked before anything is written (even the first-run sample): a refused command changes nothing.
  if (!f.account_id.empty() && !api::looks_like_id(f.account_id))
    fail_usage("account id '" + f.account_id + "' is not 32 hex characters");
  if (!f.plan.empty() && f.plan != "auto" && !api::PlanProfile::named(f.plan))
    fail_usage("plan must be auto (each zone's own plan), free, pro, business or enterprise");
  const std::pair<const char*, const std::string*> numeric[] = {{"concurrency", &f.concurrency},
                                                                {"timeout", &f.timeout},
                                                                {"batch_size", &f.batch_size},
                                                                {"zone_concurrency", &f.zone_concurrency}};
  for (auto [key, value] : numeric) {
    if (value->empty()) continue;
    if (auto problem = numeric_setting_problem(key, *value); !problem.empty()) {
      std::string flag = key;
      std::replace(flag.begin(), flag.end(), '_', '-');
      fail_usage(fmt::format("--{} '{}' {}; nothing was saved", flag, *value, problem));
    }
  }
  auto& rt = ctx.runtime();
  const auto& s = rt.settings();
  // The zone is checked as `zones config` checks it: looked up through the API (a name or an id), and saved as its
  // id. A zone the token cannot see is refused, and nothing is saved.
  std::string zone_id;
  if (!f.zone.empty()) {
    rt.require_credentials();
    try {
      auto ref = resolve_zone(rt, f.zone);
      zone_id = ref.id;
      if (!ref.name.empty() && ref.name != f.zone) rt.note("Zone {} is {}\n", f.zone, ref.name);
      else if (ref.id != f.zone) rt.note("Zone {} is {}\n", f.zone, ref.id);
    } catch (const CliError& e) {
      throw CliError{e.code, fmt::format("--zone '{}': {}; nothing was saved", f.zone, e.message)};
    }
  }
  std::vector<ConfigValue> values;
  auto set = [&](const char* key, const std::string& value) {
    if (!value.empty()) values.emplace_back(key, value);
  };
  set("zone", zone_id);
  set("account_id", f.account_id);
  set("api_base_url", f.api_endpoint);
  set("plan", f.plan);
  set("concurrency", f.concurrency);
  set("timeout", f.timeout);
  set("batch_size", f.batch_size);
  set("zone_concurrency", f.zone_concurrency);
  if (values.empty()) return (void)fmt::print("No configuration changes were made.\n");
  // All at once: one edit of the file, replaced atomically.
  if (auto r = set_config_values(s.config_path, s.profile, values); !r) fail(r.error());
  fmt::print("Successfully updated configuration ({} [{}]).\n", s.config_path, s.profile);
}

/// `config import-go`: the Go tool's JSON config into a profile of this tool's TOML file. Values already set
/// differently in the profile are kept unless --force; credentials are never imported nor printed.
void config_import_go(Context& ctx, const ConfigFlags& f) {
  const std::string from = f.go_file.empty() ? default_go_config_path() : f.go_file;
  auto go = read_go_config(from);
  if (!go) fail(go.error());
  auto& rt = ctx.runtime();
  const auto& s = rt.settings();
  auto file = read_config(s.config_path);
  if (!file) fail(file.error());
  std::vector<ConfigValue> values;
  nlohmann::json imported = nlohmann::json::object(), kept = nlohmann::json::object();
  for (const auto& [key, value] : go->values) {
    auto current = file->get(s.profile, key);
    if (current && *current != value && !f.force) {
      kept[key] = *current;
      go->notes.push_back(fmt::format("{}: kept '{}' already in [{}] (the Go file has '{}'; --force replaces it)", key,
                                      *current, s.profile, value));
      continue;
    }
    imported[key] = value;
    if (current != value) values.emplace_back(key, value);
  }
  if (!values.empty())
    if (auto r = set_config_values(s.config_path, s.profile, values); !r) fail(r.error());
  if (rt.json())
    return print_json({{"from", from},
                       {"config_file", s.config_path},
                       {"profile", s.profile},
                       {"imported", imported},
                       {"kept", kept},
                       {"credentials_found", go->had_credentials},
                       {"notes", go->notes}});
  for (const auto& note : go->notes) fmt::print(stderr, "note: {}\n", note);
  if (imported.empty()) return (void)fmt::print("Nothing to import from {}.\n", from);
  std::string list;
  for (const auto& [key, value] : imported.items())
    list += fmt::format("{}{} = {}", list.empty() ? "" : ", ", key, value.get<std::string>());
  fmt::print("Imported {} from {} into {} [{}].\n", list, from, s.config_path, s.profile);
}

/// On the run that writes the first config file, a word about the Go tool's config when there is one (stderr).
void suggest_go_import(const GlobalOptions& g) {
  if (g.quiet || ::access(default_go_config_path().c_str(), R_OK) != 0) return;
  fmt::print(stderr,
             "Found the Go tool's configuration {}: import its default zone and account with `cache-kv-purger config "
             "import-go`.\n",
             default_go_config_path());
}

}  // namespace

void add_config_commands(CLI::App& app, Context& ctx) {
  auto* config = app.add_subcommand("config", "Configuration: init, show, set-defaults, import-go");
  config->require_subcommand(1);
  auto f = std::make_shared<ConfigFlags>();
  auto* init = config->add_subcommand("init", "Write a commented sample configuration file");
  init->add_flag("--force", f->force, "Replace an existing file (a backup is kept)");
  init->callback([&ctx, f] {
    const std::string path = ctx.options.config_path.empty() ? default_config_path() : ctx.options.config_path;
    if (f->force && ::access(path.c_str(), F_OK) == 0) {
      if (std::rename(path.c_str(), (path + ".bak").c_str()) != 0)
        fail(Error::make(ErrorKind::io, "cannot back up " + path));
      fmt::print(stderr, "Moved the old file to {}.bak\n", path);
    }
    if (!ensure_sample_config(path)) fail_usage(path + " already exists (use --force to replace it)");
    fmt::print("Wrote {}\n", path);
    if (!f->force) suggest_go_import(ctx.options);
  });
  config->add_subcommand("show", "Show the effective settings and where each comes from")->callback([&ctx] {
    ctx.options.allow_invalid_settings = true;  // shows a bad value, marked, instead of refusing to start
    config_show(ctx);
  });
  auto* set =
      config->add_subcommand("set-defaults", "Save defaults in the configuration file (the --profile's section)");
  set->add_option("--zone", f->zone, "Default zone: a name or an id, checked through the API and saved as its id");
  set->add_option("--account-id", f->account_id, "Default account id");
  set->add_option("--api-endpoint", f->api_endpoint, "API base URL");
  set->add_option("--plan", f->plan, "Plan: free, pro, business, enterprise");
  set->add_option("--concurrency", f->concurrency, "\"auto\" or 1-256");
  set->add_option("--timeout", f->timeout, "Request timeout in seconds (0.001-3600)")->type_name("FLOAT");
  set->add_option("--batch-size", f->batch_size, "KV bulk batch size (1-10000)")->type_name("INT");
  set->add_option("--zone-concurrency", f->zone_concurrency, "Zones purged at once (1-100)")->type_name("INT");
  set->callback([&ctx, f] {
    ctx.options.allow_new_profile = true;
    ctx.options.allow_invalid_settings = true;  // so that it can replace a bad value in the file
    config_set_defaults(ctx, *f);
  });
  auto* import_go = config->add_subcommand(
      "import-go",
      "Import the Go tool's ~/.cache-kv-purger.json (default zone, account id) into the --profile's section");
  import_go->add_option("--file", f->go_file, "The Go tool's config file (default: ~/.cache-kv-purger.json)")
      ->type_name("PATH");
  import_go->add_flag("--force", f->force, "Replace values the profile already sets differently");
  import_go->callback([&ctx, f] {
    ctx.options.allow_new_profile = true;
    ctx.options.allow_invalid_settings = true;  // like set-defaults: importing must work beside a bad value
    ctx.options.importing_go_config = true;
    config_import_go(ctx, *f);
  });
}

}  // namespace ckp::cli
