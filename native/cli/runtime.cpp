#include "cli/runtime.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "ckp/api/validate.hpp"
#include "cli/colour.hpp"

namespace ckp::cli {

Runtime::~Runtime() {
  scheduler_.reset();  // before the transport it references
  http_.reset();
}

void Runtime::require_credentials() const {
  if (settings_.credentials.empty())
    fail_usage("no Cloudflare credentials: set CLOUDFLARE_API_TOKEN (or CLOUDFLARE_API_KEY and CLOUDFLARE_EMAIL), "
               "or api_token_env in " +
               settings_.config_path);
}

std::string Runtime::account_id(const std::string& flag) const {
  const std::string id = flag.empty() ? settings_.account_id.value : flag;
  const std::string source = flag.empty() ? settings_.account_id.source : "flag --account-id";
  if (id.empty())
    fail_usage("no account id: pass --account-id, set CLOUDFLARE_ACCOUNT_ID, or run `cache-kv-purger config "
               "set-defaults --account-id ID`");
  if (!api::looks_like_id(id))
    fail_usage(fmt::format("account id '{}' ({}) is not a 32-character hexadecimal Cloudflare id; find yours in the "
                           "dashboard URL or with `cache-kv-purger zones list`",
                           id, source));
  return id;
}

transport::HttplibTransport& Runtime::http() {
  if (!http_) {
    require_credentials();
    transport::HttplibConfig c;
    c.base_url = settings_.api_base_url.value;
    c.credentials = settings_.credentials;
    c.verify_tls = settings_.verify_tls;
    c.read_timeout = from_seconds(std::stod(settings_.timeout.value));
    if (!settings_.verify_tls && c.base_url.rfind("https://", 0) == 0)
      fmt::print(stderr, "{} --insecure: TLS certificates are NOT verified for {}\n", colour::warning_prefix(),
                 c.base_url);
    const auto limit = settings_.limit_config();
    c.workers = limit.max_limit + 2;
    try {
      http_ = std::make_unique<transport::HttplibTransport>(c);
    } catch (const std::exception& e) {
      fail_usage(e.what());
    }
  }
  return *http_;
}

engine::Scheduler& Runtime::scheduler() {
  if (!scheduler_) {
    engine::SchedulerConfig c;
    c.limit = settings_.limit_config();
    c.governor.plan = settings_.plan_profile().value_or(api::PlanProfile::enterprise());
    if (options_.verbosity == "debug") {
      c.on_exchange = [](const api::Request& r, const api::Response& resp, Duration rtt) {
        fmt::print(stderr, "[debug] {} {} -> {} ({:.0f} ms)\n", api::to_string(r.method), r.target(),
                   resp.transport_failed() ? "transport failure: " + resp.failure_detail : std::to_string(resp.status),
                   to_seconds(rtt) * 1000);
      };
    }
    scheduler_ = std::make_unique<engine::Scheduler>(http(), c);
  }
  return *scheduler_;
}

bool Runtime::confirm(const std::string& question) const {
  if (options_.yes) return true;
  // Standard input may be the command's data (`... | cache-kv-purger kv delete --keys-file -`): ask on the
  // controlling terminal then, and refuse when there is none.
  std::FILE* tty = isatty(STDIN_FILENO) ? stdin : std::fopen("/dev/tty", "r");
  if (!tty)
    fail_usage("refusing to change anything without confirmation: no terminal to ask on; pass --yes (after checking "
               "with --dry-run)");
  fmt::print(stderr, "{} [y/N] ", question);
  std::fflush(stderr);
  std::string answer;
  for (int c; (c = std::fgetc(tty)) != EOF && c != '\n';) answer += static_cast<char>(c);
  const bool answered = !answer.empty() || !std::feof(tty);
  if (tty != stdin) std::fclose(tty);
  if (!answered) return false;
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES" || answer == "Yes";
}

}  // namespace ckp::cli
