#include "cli/settings.hpp"

#include <cstdlib>

#include <fmt/format.h>

namespace ckp::cli {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

/// flag > env (first set of @p envs) > file > default.
Setting pick(const std::string& flag, const char* flag_name, std::initializer_list<const char*> envs,
             const ConfigFile& file, const std::string& profile, const char* key, std::string fallback) {
  if (!flag.empty()) return {flag, std::string("flag --") + flag_name};
  for (const char* e : envs)
    if (auto v = env(e); !v.empty()) return {v, std::string("env ") + e};
  if (auto v = file.get(profile, key)) return {*v, "config [" + profile + "]"};
  return {std::move(fallback), "default"};
}

}  // namespace

api::PlanProfile Settings::plan_profile() const {
  return api::PlanProfile::named(plan.value).value_or(api::PlanProfile::enterprise());
}

engine::LimitConfig Settings::limit_config() const {
  engine::LimitConfig c;
  c.algorithm = limit_algorithm.value.empty() ? c.algorithm : limit_algorithm.value;
  if (!concurrency.value.empty() && concurrency.value != "auto") c = engine::LimitConfig::fixed(std::stoi(concurrency.value));
  return c;
}

std::string mask_secret(const std::string& secret) {
  // Not even a few characters: they would make the secret easier to find in logs.
  return secret.empty() ? "(not set)" : fmt::format("set ({} chars, hidden)", secret.size());
}

Result<Settings> resolve_settings(const GlobalOptions& g) {
  Settings s;
  s.profile = !g.profile.empty() ? g.profile : !env("CKP_PROFILE").empty() ? env("CKP_PROFILE") : "default";
  s.config_path = !g.config_path.empty() ? g.config_path : default_config_path();
  if (g.config_path.empty() && ensure_sample_config(s.config_path) && !g.quiet)
    fmt::print(stderr, "Created a sample configuration at {} (every setting in it is commented out; edit it to set "
                       "defaults).\n", s.config_path);
  auto file = read_config(s.config_path);
  if (!file) return std::move(file).error();
  if (s.profile != "default" && !file->profiles.count(s.profile) && !g.allow_new_profile)
    return Error::make(ErrorKind::invalid_input,
                       fmt::format("profile '{}' is not in {} (add a [{}] section)", s.profile, s.config_path, s.profile));

  s.account_id = pick(g.account_id, "account-id", {"CLOUDFLARE_ACCOUNT_ID"}, *file, s.profile, "account_id", "");
  s.zone = pick(g.zone, "zone", {"CLOUDFLARE_ZONE_ID"}, *file, s.profile, "zone", "");
  s.api_base_url = pick(g.api_base_url, "api-base-url", {"CLOUDFLARE_API_BASE_URL", "CF_API_BASE_URL"}, *file,
                        s.profile, "api_base_url", "https://api.cloudflare.com/client/v4");
  s.plan = pick(g.plan, "plan", {"CLOUDFLARE_PLAN"}, *file, s.profile, "plan", "enterprise");
  s.concurrency = pick(g.concurrency, "concurrency", {"CLOUDFLARE_MAX_CONCURRENCY", "CLOUDFLARE_CACHE_CONCURRENCY"}, *file,
                       s.profile, "concurrency", "auto");
  s.limit_algorithm = pick(g.limit_algorithm, "limit-algorithm", {}, *file, s.profile, "limit_algorithm", "");
  s.zone_concurrency = pick(g.zone_concurrency > 0 ? std::to_string(g.zone_concurrency) : "", "zone-concurrency",
                            {"CLOUDFLARE_MULTI_ZONE_CONCURRENCY"}, *file, s.profile, "zone_concurrency", "3");
  s.batch_size = pick("", "batch-size", {"CLOUDFLARE_BATCH_SIZE"}, *file, s.profile, "batch_size", "10000");
  s.timeout = pick(g.timeout > 0 ? fmt::format("{}", g.timeout) : "", "timeout", {"CLOUDFLARE_API_TIMEOUT"}, *file,
                   s.profile, "timeout", "90");
  s.journal_dir = pick(g.journal_dir, "journal-dir", {}, *file, s.profile, "journal_dir", default_jobs_dir());
  if (s.journal_dir.value.rfind("~/", 0) == 0) s.journal_dir.value = env("HOME") + s.journal_dir.value.substr(1);

  // Credentials: a token beats a key + e-mail at every level; flags beat the environment beat the file.
  if (!g.api_token.empty()) {
    s.credentials.token = g.api_token;
    s.credentials_source = "flag --api-token";
  } else if (!g.api_key.empty() && !g.email.empty()) {
    s.credentials = {"", g.api_key, g.email};
    s.credentials_source = "flags --api-key/--email";
  } else if (auto t = env("CLOUDFLARE_API_TOKEN"); !t.empty()) {
    s.credentials.token = t;
    s.credentials_source = "env CLOUDFLARE_API_TOKEN";
  } else if (auto k = env("CLOUDFLARE_API_KEY"), e = env("CLOUDFLARE_EMAIL"); !k.empty() && !e.empty()) {
    s.credentials = {"", k, e};
    s.credentials_source = "env CLOUDFLARE_API_KEY/CLOUDFLARE_EMAIL";
  } else if (auto var = file->get(s.profile, "api_token_env"); var && !env(var->c_str()).empty()) {
    s.credentials.token = env(var->c_str());
    s.credentials_source = "env " + *var + " (config [" + s.profile + "])";
  } else if (auto ft = file->get(s.profile, "api_token")) {
    s.credentials.token = *ft;
    s.credentials_source = "config [" + s.profile + "]";
  } else if (auto fk = file->get(s.profile, "api_key"), fe = file->get(s.profile, "email"); fk && fe) {
    s.credentials = {"", *fk, *fe};
    s.credentials_source = "config [" + s.profile + "]";
  }
  s.verify_tls = !g.insecure;

  // Validate what can be validated before anything is sent.
  auto bad = [](std::string what) { return Error::make(ErrorKind::invalid_input, std::move(what)); };
  if (!api::PlanProfile::named(s.plan.value))
    return bad(fmt::format("plan '{}' ({}) is not one of free, pro, business, enterprise", s.plan.value, s.plan.source));
  if (s.concurrency.value != "auto") {
    char* end = nullptr;
    long n = std::strtol(s.concurrency.value.c_str(), &end, 10);
    if (!end || *end || n < 1 || n > 256)
      return bad(fmt::format("concurrency '{}' ({}) must be \"auto\" or a number from 1 to 256", s.concurrency.value,
                             s.concurrency.source));
  }
  if (!s.limit_algorithm.value.empty()) {
    try {
      engine::make_limit({s.limit_algorithm.value});
    } catch (const std::exception& e) {
      return bad(fmt::format("{} ({})", e.what(), s.limit_algorithm.source));
    }
  }
  {
    char* end = nullptr;
    const double seconds = std::strtod(s.timeout.value.c_str(), &end);
    if (!end || *end || s.timeout.value.empty() || !(seconds > 0 && seconds <= 3600))
      return bad(fmt::format("timeout '{}' ({}) must be a number of seconds from 0 to 3600", s.timeout.value,
                             s.timeout.source));
  }
  if (!api::parse_url(s.api_base_url.value))
    return bad(fmt::format("API base URL '{}' ({}) is not an absolute http(s) URL", s.api_base_url.value,
                           s.api_base_url.source));
  return s;
}

}  // namespace ckp::cli
