#include "cli/settings.hpp"

#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>

#include "ckp/api/validate.hpp"

namespace ckp::cli {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

/// flag > env (first set of @p envs) > file > default; but when the profile was chosen (@p chosen_by is not ""), the
/// values it sets go before the environment's. Setting::why says which of env and file won over the other, and why.
Setting pick_setting(const std::string& flag, const char* flag_name, std::initializer_list<const char*> envs,
                     const ConfigFile& file, const std::string& profile, const std::string& chosen_by, const char* key,
                     std::string fallback) {
  if (!flag.empty()) return {flag, std::string("flag --") + flag_name};
  std::optional<Setting> from_env, from_file;
  for (const char* e : envs)
    if (auto v = env(e); !v.empty() && !from_env) from_env = Setting{v, std::string("env ") + e};
  if (auto v = file.get(profile, key)) from_file = Setting{*v, "config [" + profile + "]", file.line_of(profile, key)};
  if (from_file && (!chosen_by.empty() || !from_env)) {
    if (from_env)
      from_file->why = fmt::format("beats {}: profile [{}] was chosen by {}", from_env->source, profile, chosen_by);
    return *from_file;
  }
  if (from_env) {
    if (from_file)
      from_env->why = fmt::format("beats config [{}] (line {}): the environment beats the file unless the profile is "
                                  "chosen with --profile",
                                  profile, from_file->line);
    return *from_env;
  }
  return {std::move(fallback), "default"};
}

/// True when @p text is a whole number from @p lo to @p hi, written plainly (no '+', spaces, point or exponent).
bool whole_in(const std::string& text, long long lo, long long hi) {
  long long n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  return ec == std::errc() && end == text.data() + text.size() && n >= lo && n <= hi;
}

// The valid ranges. A fixed concurrency above 256 would only queue behind the rate governor; 100 zones at once is
// the bound of the cache purge commands' own --zone-concurrency.
constexpr int max_concurrency = 256;
constexpr int max_zone_concurrency = 100;
// Listing calls at once for one prefix: beyond 64 a split's shards cannot all be listed at once anyway.
constexpr int max_list_shards = 64;
constexpr double min_timeout_s = 0.001, max_timeout_s = 3600;
// Completed jobs are kept up to 100 years; 0 keeps them forever.
constexpr int max_jobs_keep_days = 36500;

}  // namespace

std::string numeric_setting_problem(const std::string& key, const std::string& value) {
  if (key == "concurrency")
    return value == "auto" || whole_in(value, 1, max_concurrency)
               ? ""
               : fmt::format("must be \"auto\" or a whole number from 1 to {}", max_concurrency);
  if (key == "zone_concurrency")
    return whole_in(value, 1, max_zone_concurrency)
               ? ""
               : fmt::format("must be a whole number from 1 to {}", max_zone_concurrency);
  if (key == "list_shards")
    return whole_in(value, 1, max_list_shards)
               ? ""
               : fmt::format("must be a whole number from 1 (the plain cursor chain) to {}", max_list_shards);
  if (key == "batch_size")
    return whole_in(value, 1, api::kv_limits::max_bulk_items)
               ? ""
               : fmt::format("must be a whole number from 1 to {}", api::kv_limits::max_bulk_items);
  if (key == "jobs_keep_days")
    return whole_in(value, 0, max_jobs_keep_days)
               ? ""
               : fmt::format("must be a whole number of days from 0 (keep every job) to {}", max_jobs_keep_days);
  if (key == "timeout") {
    double seconds = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    // "nan" and "inf" parse, and fail the comparisons.
    const bool ok =
        ec == std::errc() && end == value.data() + value.size() && seconds >= min_timeout_s && seconds <= max_timeout_s;
    return ok ? "" : fmt::format("must be a number of seconds from {} to {}", min_timeout_s, max_timeout_s);
  }
  return "";
}

std::optional<api::PlanProfile> Settings::plan_profile() const { return api::PlanProfile::named(plan.value); }

engine::LimitConfig Settings::limit_config() const {
  engine::LimitConfig c;
  c.algorithm = limit_algorithm.value.empty() ? c.algorithm : limit_algorithm.value;
  // A value marked invalid (settings resolved for display only) leaves the limit adaptive instead of throwing.
  if (concurrency.value != "auto" && numeric_setting_problem("concurrency", concurrency.value).empty())
    c = engine::LimitConfig::fixed(std::stoi(concurrency.value));
  return c;
}

std::string mask_secret(const std::string& secret) {
  // Not even a few characters: they would make the secret easier to find in logs.
  return secret.empty() ? "(not set)" : fmt::format("set ({} chars, hidden)", secret.size());
}

Result<Settings> resolve_settings(const GlobalOptions& g) {
  Settings s;
  s.profile = !g.profile.empty() ? g.profile : !env("CKP_PROFILE").empty() ? env("CKP_PROFILE") : "default";
  s.profile_source = !g.profile.empty() ? "flag --profile" : !env("CKP_PROFILE").empty() ? "env CKP_PROFILE" : "";
  s.config_path = !g.config_path.empty() ? g.config_path : default_config_path();
  if (g.config_path.empty() && ensure_sample_config(s.config_path) && !g.quiet) {
    fmt::print(stderr,
               "Created a sample configuration at {} (every setting in it is commented out; edit it to set "
               "defaults).\n",
               s.config_path);
    // The Go tool's config, if there is one: suggest importing it, once (on this first run), on stderr.
    if (!g.importing_go_config && ::access(default_go_config_path().c_str(), R_OK) == 0)
      fmt::print(stderr,
                 "Found the Go tool's configuration {}: import its default zone and account with `cache-kv-purger "
                 "config import-go`.\n",
                 default_go_config_path());
  }
  auto file = read_config(s.config_path);
  if (!file) return std::move(file).error();
  if (s.profile != "default" && !file->profiles.count(s.profile) && !g.allow_new_profile)
    return Error::make(ErrorKind::invalid_input, fmt::format("profile '{}' is not in {} (add a [{}] section)",
                                                             s.profile, s.config_path, s.profile));

  // pick(): pick_setting() for this profile.
  auto pick = [&](const std::string& flag, const char* flag_name, std::initializer_list<const char*> envs,
                  const ConfigFile& f, const std::string& profile, const char* key, std::string fallback) {
    return pick_setting(flag, flag_name, envs, f, profile, s.profile_source, key, std::move(fallback));
  };
  s.account_id = pick(g.account_id, "account-id", {"CLOUDFLARE_ACCOUNT_ID"}, *file, s.profile, "account_id", "");
  s.zone = pick(g.zone, "zone", {"CLOUDFLARE_ZONE_ID"}, *file, s.profile, "zone", "");
  s.api_base_url = pick(g.api_base_url, "api-base-url", {"CLOUDFLARE_API_BASE_URL", "CF_API_BASE_URL"}, *file,
                        s.profile, "api_base_url", "https://api.cloudflare.com/client/v4");
  s.plan = pick(g.plan, "plan", {"CLOUDFLARE_PLAN"}, *file, s.profile, "plan", "auto");
  s.concurrency = pick(g.concurrency, "concurrency", {"CLOUDFLARE_MAX_CONCURRENCY", "CLOUDFLARE_CACHE_CONCURRENCY"},
                       *file, s.profile, "concurrency", "auto");
  s.limit_algorithm = pick(g.limit_algorithm, "limit-algorithm", {}, *file, s.profile, "limit_algorithm", "");
  s.zone_concurrency = pick(g.zone_concurrency, "zone-concurrency", {"CLOUDFLARE_MULTI_ZONE_CONCURRENCY"}, *file,
                            s.profile, "zone_concurrency", "3");
  s.list_shards = pick(g.list_shards, "list-shards", {"CKP_LIST_SHARDS"}, *file, s.profile, "list_shards", "16");
  s.batch_size = pick("", "batch-size", {"CLOUDFLARE_BATCH_SIZE"}, *file, s.profile, "batch_size", "10000");
  s.timeout = pick(g.timeout, "timeout", {"CLOUDFLARE_API_TIMEOUT"}, *file, s.profile, "timeout", "90");
  s.journal_dir = pick(g.journal_dir, "journal-dir", {}, *file, s.profile, "journal_dir", default_jobs_dir());
  s.jobs_keep_days =
      pick(g.jobs_keep_days, "jobs-keep-days", {"CKP_JOBS_KEEP_DAYS"}, *file, s.profile, "jobs_keep_days", "30");
  if (s.journal_dir.value.rfind("~/", 0) == 0) s.journal_dir.value = env("HOME") + s.journal_dir.value.substr(1);

  // Credentials: a token beats a key + e-mail at every level; flags beat the environment beat the file — except that a
  // profile chosen by --profile or CKP_PROFILE goes before the environment, like its other values. `named` says where
  // each one came from, by the name the user knows it by, for the check below.
  std::vector<std::pair<std::string, std::string>> named;
  auto in_file = [&](const char* key) {
    const int line = file->line_of(s.profile, key);
    return fmt::format("{} in {}{} [{}]", key, s.config_path, line ? fmt::format(":{}", line) : std::string(),
                       s.profile);
  };
  auto from_flags = [&] {
    if (!g.api_token.empty()) {
      s.credentials.token = g.api_token;
      s.credentials_source = "flag --api-token";
      named = {{"--api-token", g.api_token}};
    } else if (!g.api_key.empty() && !g.email.empty()) {
      s.credentials = {"", g.api_key, g.email};
      s.credentials_source = "flags --api-key/--email";
      named = {{"--api-key", g.api_key}, {"--email", g.email}};
    }
    return !s.credentials_source.empty();
  };
  // Where the environment's credentials would come from ("" when it has none).
  const std::string env_credentials = !env("CLOUDFLARE_API_TOKEN").empty() ? "env CLOUDFLARE_API_TOKEN"
                                      : !env("CLOUDFLARE_API_KEY").empty() && !env("CLOUDFLARE_EMAIL").empty()
                                          ? "env CLOUDFLARE_API_KEY/CLOUDFLARE_EMAIL"
                                          : "";
  auto from_env = [&] {
    if (auto t = env("CLOUDFLARE_API_TOKEN"); !t.empty()) {
      s.credentials.token = t;
      named = {{"CLOUDFLARE_API_TOKEN", t}};
    } else if (auto k = env("CLOUDFLARE_API_KEY"), e = env("CLOUDFLARE_EMAIL"); !k.empty() && !e.empty()) {
      s.credentials = {"", k, e};
      named = {{"CLOUDFLARE_API_KEY", k}, {"CLOUDFLARE_EMAIL", e}};
    }
    s.credentials_source = env_credentials;
    return !s.credentials_source.empty();
  };
  auto from_file = [&] {
    if (auto var = file->get(s.profile, "api_token_env"); var && !env(var->c_str()).empty()) {
      s.credentials.token = env(var->c_str());
      s.credentials_source = "env " + *var + " (config [" + s.profile + "])";
      named = {{*var + " (named by " + in_file("api_token_env") + ")", s.credentials.token}};
    } else if (auto ft = file->get(s.profile, "api_token")) {
      s.credentials.token = *ft;
      s.credentials_source = "config [" + s.profile + "]";
      named = {{in_file("api_token"), *ft}};
    } else if (auto fk = file->get(s.profile, "api_key"), fe = file->get(s.profile, "email"); fk && fe) {
      s.credentials = {"", *fk, *fe};
      s.credentials_source = "config [" + s.profile + "]";
      named = {{in_file("api_key"), *fk}, {in_file("email"), *fe}};
    }
    return !s.credentials_source.empty();
  };
  const auto token_var = file->get(s.profile, "api_token_env");
  const bool file_has_credentials = (token_var && !env(token_var->c_str()).empty()) ||
                                    file->get(s.profile, "api_token") ||
                                    (file->get(s.profile, "api_key") && file->get(s.profile, "email"));
  if (!from_flags()) {
    if (!s.profile_source.empty()) {
      if (from_file()) {
        if (!env_credentials.empty())
          s.credentials_why =
              fmt::format("beats {}: profile [{}] was chosen by {}", env_credentials, s.profile, s.profile_source);
      } else {
        from_env();
      }
    } else if (from_env()) {
      if (file_has_credentials)
        s.credentials_why = fmt::format("beats the credentials in config [{}]: the environment beats the file unless "
                                        "the profile is chosen with --profile",
                                        s.profile);
    } else {
      from_file();
    }
  }
  // A variable named by api_token_env that is not set is worth a word: the token came from somewhere else, or nowhere.
  if (token_var && env(token_var->c_str()).empty() && s.credentials_source.rfind("flag", 0) != 0)
    s.credentials_why +=
        fmt::format("{}api_token_env names {}, which is not set", s.credentials_why.empty() ? "" : "; ", *token_var);
  s.verify_tls = !g.insecure;

  // A credential goes into a request header: a control character there (a newline pasted with the token) would
  // break or inject headers. Refused always, even by `config show`; the value itself is never printed.
  for (const auto& [where, value] : named)
    if (auto bad = api::control_character_in(value))
      return Error::make(ErrorKind::invalid_input,
                         fmt::format("the credential in {} has {}; credentials must not contain control characters "
                                     "(was a newline copied with it?). Nothing was sent.",
                                     where, *bad));

  // Validate what can be validated before anything is sent: each problem is marked on its setting.
  if (s.plan.value != "auto" && !api::PlanProfile::named(s.plan.value))
    s.plan.problem = "is not one of auto (each zone's own plan), free, pro, business, enterprise";
  if (!s.limit_algorithm.value.empty()) {
    try {
      engine::make_limit({s.limit_algorithm.value});
    } catch (const std::exception& e) {
      s.limit_algorithm.problem = fmt::format("is not valid: {}", e.what());
    }
  }
  if (!api::parse_url(s.api_base_url.value)) s.api_base_url.problem = "is not an absolute http(s) URL";
  const std::pair<const char*, Setting*> numeric[] = {{"concurrency", &s.concurrency},
                                                      {"zone_concurrency", &s.zone_concurrency},
                                                      {"list_shards", &s.list_shards},
                                                      {"batch_size", &s.batch_size},
                                                      {"timeout", &s.timeout},
                                                      {"jobs_keep_days", &s.jobs_keep_days}};
  for (auto [key, setting] : numeric) setting->problem = numeric_setting_problem(key, setting->value);

  // The first problem fails, naming the setting, its value, where it came from (file and line) and the valid range —
  // unless the command only shows or fixes settings; a flag typed right now fails even then.
  const std::pair<const char*, const Setting*> all[] = {{"plan", &s.plan},
                                                        {"limit_algorithm", &s.limit_algorithm},
                                                        {"api_base_url", &s.api_base_url},
                                                        {"concurrency", &s.concurrency},
                                                        {"zone_concurrency", &s.zone_concurrency},
                                                        {"list_shards", &s.list_shards},
                                                        {"batch_size", &s.batch_size},
                                                        {"timeout", &s.timeout},
                                                        {"jobs_keep_days", &s.jobs_keep_days}};
  for (auto [key, setting] : all) {
    if (setting->problem.empty()) continue;
    if (g.allow_invalid_settings && setting->source.rfind("flag ", 0) != 0) continue;
    const std::string origin =
        setting->line ? fmt::format("{} at {}:{}", setting->source, s.config_path, setting->line) : setting->source;
    return Error::make(ErrorKind::invalid_input,
                       fmt::format("{} '{}' ({}) {}", key, setting->value, origin, setting->problem));
  }
  return s;
}

}  // namespace ckp::cli
