// cli/settings.hpp: where each setting comes from (flag > environment > config file > default), the one range check
// of numeric settings, credentials and their checks.

#include <doctest/doctest.h>

#include <sys/stat.h>

#include "cli/settings.hpp"
#include "support.hpp"

using namespace ckp;
using namespace ckp::cli;

namespace {

/// Global options reading the config file @p path (no first-run sample is written for an explicit file).
GlobalOptions options_with_config(const std::string& path) {
  GlobalOptions g;
  g.config_path = path;
  return g;
}

/// The error message of resolve_settings(@p g), or "" when it succeeds.
std::string settings_error(const GlobalOptions& g) {
  auto s = resolve_settings(g);
  return s ? "" : s.error().message;
}

}  // namespace

TEST_CASE("numeric_setting_problem(): the valid ranges, written plainly") {
  const std::string concurrency = "must be \"auto\" or a whole number from 1 to 256";
  for (const char* ok : {"auto", "1", "8", "256"}) CHECK(numeric_setting_problem("concurrency", ok) == "");
  for (const char* bad : {"0", "257", "-1", "+5", " 5", "5 ", "5.0", "1e2", "", "AUTO", "0x10"})
    CHECK_MESSAGE(numeric_setting_problem("concurrency", bad) == concurrency, bad);

  const std::string zones = "must be a whole number from 1 to 100";
  for (const char* ok : {"1", "3", "100"}) CHECK(numeric_setting_problem("zone_concurrency", ok) == "");
  for (const char* bad : {"0", "101", "auto", "2.5", ""})
    CHECK(numeric_setting_problem("zone_concurrency", bad) == zones);

  const std::string batch = "must be a whole number from 1 to 10000";
  for (const char* ok : {"1", "100", "10000"}) CHECK(numeric_setting_problem("batch_size", ok) == "");
  for (const char* bad : {"0", "10001", "-5", "1,000"}) CHECK(numeric_setting_problem("batch_size", bad) == batch);

  const std::string timeout = "must be a number of seconds from 0.001 to 3600";
  for (const char* ok : {"0.001", "0.5", "1", "90", "1e3", "3600"})
    CHECK_MESSAGE(numeric_setting_problem("timeout", ok) == "", ok);
  for (const char* bad : {"0", "0.0009", "3600.5", "-1", "nan", "inf", "90s", " 90", "", "auto"})
    CHECK_MESSAGE(numeric_setting_problem("timeout", bad) == timeout, bad);

  const std::string keep = "must be a whole number of days from 0 (keep every job) to 36500";
  for (const char* ok : {"0", "1", "30", "36500"}) CHECK(numeric_setting_problem("jobs_keep_days", ok) == "");
  for (const char* bad : {"-1", "36501", "7d", "1.5", "", "never"})
    CHECK_MESSAGE(numeric_setting_problem("jobs_keep_days", bad) == keep, bad);

  // Keys without a range are not checked here.
  CHECK(numeric_setting_problem("plan", "anything") == "");
}

TEST_CASE("a setting comes from the flag, else the environment, else the profile in the file, else the default") {
  test::ScratchDir dir;
  test::EnvGuard env;
  env.clear_settings();
  const std::string config = dir / "config.toml";
  test::write_file(config, "# comment\n"
                           "[default]\n"
                           "account_id = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n"
                           "zone = \"file.example\"\n"
                           "\n"
                           "[staging]\n"
                           "account_id = \"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"\n");
  auto g = options_with_config(config);

  SUBCASE("the default profile of the file") {
    auto s = resolve_settings(g);
    REQUIRE(s);
    CHECK(s->profile == "default");
    CHECK(s->config_path == config);
    CHECK(s->account_id.value == "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    CHECK(s->account_id.source == "config [default]");
    CHECK(s->account_id.line == 3);
    CHECK(s->zone.value == "file.example");
    CHECK(s->zone.line == 4);
  }
  SUBCASE("the environment beats the file") {
    env.set("CLOUDFLARE_ACCOUNT_ID", "cccccccccccccccccccccccccccccccc");
    auto s = resolve_settings(g);
    REQUIRE(s);
    CHECK(s->account_id.value == "cccccccccccccccccccccccccccccccc");
    CHECK(s->account_id.source == "env CLOUDFLARE_ACCOUNT_ID");
    CHECK(s->account_id.line == 0);
    CHECK(s->zone.source == "config [default]");  // the others still come from the file
  }
  SUBCASE("a flag beats the environment") {
    env.set("CLOUDFLARE_ACCOUNT_ID", "cccccccccccccccccccccccccccccccc");
    g.account_id = "dddddddddddddddddddddddddddddddd";
    auto s = resolve_settings(g);
    REQUIRE(s);
    CHECK(s->account_id.value == "dddddddddddddddddddddddddddddddd");
    CHECK(s->account_id.source == "flag --account-id");
  }
  SUBCASE("--profile picks the section; what the section lacks falls back to the default, not to [default]") {
    g.profile = "staging";
    auto s = resolve_settings(g);
    REQUIRE(s);
    CHECK(s->profile == "staging");
    CHECK(s->account_id.value == "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    CHECK(s->account_id.source == "config [staging]");
    CHECK(s->account_id.line == 7);
    CHECK(s->zone.value == "");
    CHECK(s->zone.source == "default");
  }
  SUBCASE("CKP_PROFILE picks the section when --profile is not given") {
    env.set("CKP_PROFILE", "staging");
    auto s = resolve_settings(g);
    REQUIRE(s);
    CHECK(s->profile == "staging");
    CHECK(s->account_id.value == "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    g.profile = "default";
    CHECK(resolve_settings(g)->account_id.value == "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  }
  SUBCASE("a profile the file does not have is refused, unless the command creates it") {
    g.profile = "prod";
    CHECK(settings_error(g) == "profile 'prod' is not in " + config + " (add a [prod] section)");
    g.allow_new_profile = true;
    auto s = resolve_settings(g);
    REQUIRE(s);
    CHECK(s->profile == "prod");
  }
  SUBCASE("built-in defaults") {
    auto s = resolve_settings(options_with_config(dir / "missing.toml"));
    REQUIRE(s);
    CHECK(s->account_id.value == "");
    CHECK(s->account_id.source == "default");
    CHECK(s->api_base_url.value == "https://api.cloudflare.com/client/v4");
    CHECK(s->plan.value == "auto");
    CHECK(s->concurrency.value == "auto");
    CHECK(s->zone_concurrency.value == "3");
    CHECK(s->batch_size.value == "10000");
    CHECK(s->timeout.value == "90");
    CHECK(s->limit_algorithm.value == "");
    CHECK(s->verify_tls);
    CHECK(s->credentials.empty());
    CHECK(s->credentials_source == "");
  }
}

TEST_CASE("a profile chosen by --profile or CKP_PROFILE beats the environment for the values it sets, and says why") {
  test::ScratchDir dir;
  test::EnvGuard env;
  env.clear_settings();
  const std::string config = dir / "config.toml";
  test::write_file(config, "[default]\n"
                           "account_id = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n"
                           "[prod]\n"
                           "account_id = \"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"\n");
  env.set("CLOUDFLARE_ACCOUNT_ID", "cccccccccccccccccccccccccccccccc");
  env.set("CLOUDFLARE_ZONE_ID", "env.example");
  auto g = options_with_config(config);

  SUBCASE("no profile chosen: the environment beats [default], and says so") {
    auto s = resolve_settings(g);
    REQUIRE(s);
    CHECK(s->profile_source == "");
    CHECK(s->account_id.value == "cccccccccccccccccccccccccccccccc");
    CHECK(s->account_id.why == "beats config [default] (line 2): the environment beats the file unless the profile "
                               "is chosen with --profile");
    CHECK(s->zone.why == "");  // only one level set it
  }
  SUBCASE("--profile prod: its account id beats the environment's; what it does not set still comes from there") {
    g.profile = "prod";
    auto s = resolve_settings(g);
    REQUIRE(s);
    CHECK(s->profile_source == "flag --profile");
    CHECK(s->account_id.value == "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    CHECK(s->account_id.source == "config [prod]");
    CHECK(s->account_id.why == "beats env CLOUDFLARE_ACCOUNT_ID: profile [prod] was chosen by flag --profile");
    CHECK(s->zone.value == "env.example");
    CHECK(s->zone.source == "env CLOUDFLARE_ZONE_ID");
    g.account_id = "dddddddddddddddddddddddddddddddd";  // a flag still beats everything
    CHECK(resolve_settings(g)->account_id.source == "flag --account-id");
  }
  SUBCASE("--profile default, named explicitly, goes before the environment too") {
    g.profile = "default";
    auto s = resolve_settings(g);
    REQUIRE(s);
    CHECK(s->account_id.value == "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  }
  SUBCASE("CKP_PROFILE chooses as --profile does") {
    env.set("CKP_PROFILE", "prod");
    auto s = resolve_settings(g);
    REQUIRE(s);
    CHECK(s->profile_source == "env CKP_PROFILE");
    CHECK(s->account_id.value == "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    CHECK(s->account_id.why == "beats env CLOUDFLARE_ACCOUNT_ID: profile [prod] was chosen by env CKP_PROFILE");
  }
}

TEST_CASE("credentials of a chosen profile beat the environment's; unchosen, the environment's win, and both say why") {
  test::ScratchDir dir;
  test::EnvGuard env;
  env.clear_settings();
  const std::string config = dir / "config.toml";
  test::write_file(config, "[default]\napi_token = \"default-token\"\n"
                           "[staging]\napi_token_env = \"STAGING_TOKEN\"\n"
                           "[keyed]\napi_key = \"file-key\"\nemail = \"file@example.com\"\n");
  env.set("CLOUDFLARE_API_TOKEN", "env-token");
  env.set("STAGING_TOKEN", "staging-token");
  auto g = options_with_config(config);

  auto s = resolve_settings(g);
  REQUIRE(s);
  CHECK(s->credentials.token == "env-token");
  CHECK(s->credentials_why == "beats the credentials in config [default]: the environment beats the file unless the "
                              "profile is chosen with --profile");

  g.profile = "staging";
  s = resolve_settings(g);
  REQUIRE(s);
  CHECK(s->credentials.token == "staging-token");
  CHECK(s->credentials_source == "env STAGING_TOKEN (config [staging])");
  CHECK(s->credentials_why == "beats env CLOUDFLARE_API_TOKEN: profile [staging] was chosen by flag --profile");

  g.profile = "keyed";
  s = resolve_settings(g);
  REQUIRE(s);
  CHECK(s->credentials.api_key == "file-key");
  CHECK(s->credentials.token == "");
  CHECK(s->credentials_source == "config [keyed]");

  // The variable api_token_env names is not set: the environment's token is used, and that is said.
  env.set("STAGING_TOKEN", std::nullopt);
  g.profile = "staging";
  s = resolve_settings(g);
  REQUIRE(s);
  CHECK(s->credentials.token == "env-token");
  CHECK(s->credentials_source == "env CLOUDFLARE_API_TOKEN");
  CHECK(s->credentials_why == "api_token_env names STAGING_TOKEN, which is not set");

  g.api_token = "flag-token";  // flags beat a chosen profile too
  CHECK(resolve_settings(g)->credentials_source == "flag --api-token");
}

TEST_CASE("the first of two environment variables wins; the second is a fallback") {
  test::ScratchDir dir;
  test::EnvGuard env;
  env.clear_settings();
  const auto g = options_with_config(dir / "none.toml");
  env.set("CF_API_BASE_URL", "http://second.test/client/v4");
  CHECK(resolve_settings(g)->api_base_url.value == "http://second.test/client/v4");
  CHECK(resolve_settings(g)->api_base_url.source == "env CF_API_BASE_URL");
  env.set("CLOUDFLARE_API_BASE_URL", "http://first.test/client/v4");
  CHECK(resolve_settings(g)->api_base_url.value == "http://first.test/client/v4");
  CHECK(resolve_settings(g)->api_base_url.source == "env CLOUDFLARE_API_BASE_URL");

  env.set("CLOUDFLARE_CACHE_CONCURRENCY", "4");
  CHECK(resolve_settings(g)->concurrency.source == "env CLOUDFLARE_CACHE_CONCURRENCY");
  env.set("CLOUDFLARE_MAX_CONCURRENCY", "6");
  CHECK(resolve_settings(g)->concurrency.value == "6");
}

TEST_CASE("an empty value counts as not set, at every level") {
  test::ScratchDir dir;
  test::EnvGuard env;
  env.clear_settings();
  test::write_file(dir / "config.toml", "zone = \"from-file\"\n");
  env.set("CLOUDFLARE_ZONE_ID", "");
  auto s = resolve_settings(options_with_config(dir / "config.toml"));
  REQUIRE(s);
  CHECK(s->zone.value == "from-file");
  CHECK(s->zone.source == "config [default]");
}

TEST_CASE("a bad numeric or named value fails, naming it, where it came from and what is valid") {
  test::ScratchDir dir;
  test::EnvGuard env;
  env.clear_settings();
  const std::string config = dir / "config.toml";
  test::write_file(config, "[default]\n\nconcurrency = \"300\"\n");
  auto g = options_with_config(config);
  CHECK(settings_error(g) ==
        "concurrency '300' (config [default] at " + config + ":3) must be \"auto\" or a whole number from 1 to 256");

  test::write_file(config, "");
  env.set("CLOUDFLARE_API_TIMEOUT", "0");
  CHECK(settings_error(g) == "timeout '0' (env CLOUDFLARE_API_TIMEOUT) must be a number of seconds from 0.001 to 3600");
  env.set("CLOUDFLARE_API_TIMEOUT", std::nullopt);

  g.zone_concurrency = "0";
  CHECK(settings_error(g) == "zone_concurrency '0' (flag --zone-concurrency) must be a whole number from 1 to 100");
  g.zone_concurrency = "";

  env.set("CLOUDFLARE_BATCH_SIZE", "20000");
  CHECK(settings_error(g) == "batch_size '20000' (env CLOUDFLARE_BATCH_SIZE) must be a whole number from 1 to 10000");
  env.set("CLOUDFLARE_BATCH_SIZE", std::nullopt);

  g.plan = "gold";
  CHECK(settings_error(g) ==
        "plan 'gold' (flag --plan) is not one of auto (each zone's own plan), free, pro, business, enterprise");
  g.plan = "";

  g.api_base_url = "api.cloudflare.com";
  CHECK(settings_error(g) == "api_base_url 'api.cloudflare.com' (flag --api-base-url) is not an absolute http(s) URL");
  g.api_base_url = "";

  g.limit_algorithm = "magic";
  CHECK(settings_error(g).rfind("limit_algorithm 'magic' (flag --limit-algorithm) is not valid: ", 0) == 0);
}

TEST_CASE("the commands that show or fix settings see a bad value marked instead; a bad flag fails even then") {
  test::ScratchDir dir;
  test::EnvGuard env;
  env.clear_settings();
  const std::string config = dir / "config.toml";
  test::write_file(config, "timeout = 0\n");
  auto g = options_with_config(config);
  g.allow_invalid_settings = true;
  auto s = resolve_settings(g);
  REQUIRE(s);
  CHECK(s->timeout.value == "0");
  CHECK(s->timeout.line == 1);
  CHECK(s->timeout.problem == "must be a number of seconds from 0.001 to 3600");
  CHECK(s->concurrency.problem == "");
  // Marked invalid, the concurrency leaves the limit adaptive rather than failing.
  env.set("CLOUDFLARE_MAX_CONCURRENCY", "0");
  s = resolve_settings(g);
  REQUIRE(s);
  CHECK(s->concurrency.problem != "");
  CHECK(s->limit_config().algorithm == engine::LimitConfig{}.algorithm);

  g.concurrency = "0";
  CHECK(settings_error(g) == "concurrency '0' (flag --concurrency) must be \"auto\" or a whole number from 1 to 256");
}

TEST_CASE("limit_config(): a number is a fixed limit, auto the adaptive default or the algorithm named") {
  Settings s;
  s.concurrency.value = "auto";
  auto adaptive = s.limit_config();
  CHECK(adaptive.algorithm == engine::LimitConfig{}.algorithm);
  CHECK(adaptive.max_limit == engine::LimitConfig{}.max_limit);
  s.limit_algorithm.value = "aimd";
  CHECK(s.limit_config().algorithm == "aimd");
  s.concurrency.value = "12";
  auto fixed = s.limit_config();
  CHECK(fixed.algorithm == "fixed");
  CHECK(fixed.initial == 12);
  CHECK(fixed.max_limit == 12);

  s.plan.value = "pro";
  CHECK(s.plan_profile()->name == "pro");
  s.plan.value = "auto";  // each zone's own plan, read from its zone object
  CHECK_FALSE(s.plan_profile());
}

TEST_CASE("credentials: a token beats a key + e-mail at every level; flags beat the environment beat the file") {
  test::ScratchDir dir;
  test::EnvGuard env;
  env.clear_settings();
  const std::string config = dir / "config.toml";
  test::write_file(config,
                   "[default]\napi_token = \"file-token\"\napi_key = \"file-key\"\nemail = \"file@example.com\"\n");
  auto g = options_with_config(config);

  auto s = resolve_settings(g);
  REQUIRE(s);
  CHECK(s->credentials.token == "file-token");
  CHECK(s->credentials_source == "config [default]");

  env.set("STAGING_TOKEN", "named-token");
  test::write_file(config, "[default]\napi_token_env = \"STAGING_TOKEN\"\napi_token = \"file-token\"\n");
  s = resolve_settings(g);
  CHECK(s->credentials.token == "named-token");
  CHECK(s->credentials_source == "env STAGING_TOKEN (config [default])");

  env.set("CLOUDFLARE_API_KEY", "env-key");
  env.set("CLOUDFLARE_EMAIL", "env@example.com");
  s = resolve_settings(g);
  CHECK(s->credentials.token == "");
  CHECK(s->credentials.api_key == "env-key");
  CHECK(s->credentials.email == "env@example.com");
  CHECK(s->credentials_source == "env CLOUDFLARE_API_KEY/CLOUDFLARE_EMAIL");

  env.set("CLOUDFLARE_API_TOKEN", "env-token");
  s = resolve_settings(g);
  CHECK(s->credentials.token == "env-token");
  CHECK(s->credentials_source == "env CLOUDFLARE_API_TOKEN");

  g.api_key = "flag-key";  // without --email: not a pair, so not used
  CHECK(resolve_settings(g)->credentials.token == "env-token");
  g.email = "flag@example.com";
  s = resolve_settings(g);
  CHECK(s->credentials.api_key == "flag-key");
  CHECK(s->credentials_source == "flags --api-key/--email");

  g.api_token = "flag-token";
  s = resolve_settings(g);
  CHECK(s->credentials.token == "flag-token");
  CHECK(s->credentials_source == "flag --api-token");

  g.insecure = true;
  CHECK_FALSE(resolve_settings(g)->verify_tls);
}

TEST_CASE("a credential with a control character is refused, naming where it came from but never its value") {
  test::ScratchDir dir;
  test::EnvGuard env;
  env.clear_settings();
  const std::string config = dir / "config.toml";
  auto g = options_with_config(config);
  g.allow_invalid_settings = true;  // even `config show` refuses it

  env.set("CLOUDFLARE_API_TOKEN", "secret-token\n");
  auto message = settings_error(g);
  CHECK(message == "the credential in CLOUDFLARE_API_TOKEN has a line feed (LF) at character 13 of 13; credentials "
                   "must not contain control characters (was a newline copied with it?). Nothing was sent.");
  CHECK(message.find("secret-token") == std::string::npos);

  env.set("CLOUDFLARE_API_TOKEN", std::nullopt);
  test::write_file(config, "\napi_key = \"key\\tpart\"\nemail = \"me@example.com\"\n");
  message = settings_error(g);
  CHECK(message.rfind("the credential in api_key in " + config + ":2 [default] has a tab at character 4 of 8;", 0) ==
        0);
  CHECK(message.find("key\tpart") == std::string::npos);
}

TEST_CASE("journal_dir: ~/ is the home directory; the default is under XDG_STATE_HOME") {
  test::ScratchDir dir;
  test::EnvGuard env{{"HOME", "/home/someone"}, {"XDG_STATE_HOME", dir.path()}};
  env.clear_settings();
  auto g = options_with_config(dir / "none.toml");
  auto s = resolve_settings(g);
  REQUIRE(s);
  CHECK(s->journal_dir.value == dir.path() + "/cache-kv-purger/jobs");
  CHECK(s->journal_dir.source == "default");
  g.journal_dir = "~/jobs";
  CHECK(resolve_settings(g)->journal_dir.value == "/home/someone/jobs");
}

TEST_CASE("without --config, the first run writes a commented sample at the XDG location (mode 0600)") {
  test::ScratchDir dir;
  test::EnvGuard env{{"XDG_CONFIG_HOME", dir.path()}};
  env.clear_settings();
  GlobalOptions g;
  g.quiet = true;
  auto s = resolve_settings(g);
  REQUIRE(s);
  const std::string path = dir.path() + "/cache-kv-purger/config.toml";
  CHECK(s->config_path == path);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(test::read_file(path) == sample_config());
  CHECK(s->account_id.source == "default");  // every setting in the sample is commented out
}

TEST_CASE("mask_secret() says whether a secret is set and how long it is, never any of it") {
  CHECK(mask_secret("") == "(not set)");
  CHECK(mask_secret("abcdefghijklmnopqrstuvwxyz0123456789ABCD") == "set (40 chars, hidden)");
}
