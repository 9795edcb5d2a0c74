#include "emulator/emulator_command.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <thread>

#include "ckp/api/validate.hpp"
#include "ckp/emu/key_shapes.hpp"
#include "ckp/emu/latency_profile.hpp"
#include "ckp/emu/server.hpp"
#include "common/http_server.hpp"
#include "emulator/http_front.hpp"

namespace ckp::native {

namespace {

/// Everything the command line sets.
struct EmulatorOptions {
  int port = 0;
  std::vector<std::string> tokens;
  std::string account;
  std::string state_account;  // the account of the --state file's namespaces (set by run())
  std::string account_name = "Emulated Account";
  std::vector<std::string> zones;
  std::string plan = "enterprise";
  std::string seed_namespace;
  std::uint64_t seed_keys = 0;
  std::string seed_prefix = "key/";
  std::string seed_shape = "sequential";
  std::string latency;
  std::string latency_profile;
  double latency_per_item_ms = 0;
  std::string rate_limit = "1200/300";
  std::int64_t lockout_seconds = 300;
  std::int64_t per_ip_limit = api::GlobalRateLimit{}.per_ip_per_second;
  double list_lag_seconds = 0;
  bool purge_policy_hints = false;
  double time_scale = 1;
  double fault_500 = 0, fault_502 = 0, fault_503 = 0, fault_disconnect = 0, fault_truncate = 0, fault_html = 0;
  std::string fault_slow;
  double fault_partial_bulk = 0;
  std::string fault_poison_prefix;
  std::uint64_t fault_lockout_after = 0;
  std::uint64_t fault_seed = 1;
  bool cors = false;
  std::string state;
  std::size_t threads = 128;
};

/// Random identifiers for what the user did not name: ids are 32 lowercase hex, tokens 40 URL-safe characters.
class IdSource {
 public:
  IdSource() : gen_(std::random_device{}()) {}
  std::string hex_id() { return pick("0123456789abcdef", 32); }
  std::string token() { return pick("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", 40); }

 private:
  std::string pick(std::string_view alphabet, std::size_t n) {
    std::uniform_int_distribution<std::size_t> d(0, alphabet.size() - 1);
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += alphabet[d(gen_)];
    return s;
  }
  std::mt19937_64 gen_;
};

[[noreturn]] void usage_error(const std::string& message) { throw CLI::ValidationError(message); }

double parse_double(const std::string& text, const std::string& what) {
  try {
    std::size_t used = 0;
    double v = std::stod(text, &used);
    if (used != text.size() || !(v >= 0)) throw std::invalid_argument(text);
    return v;
  } catch (const std::exception&) {
    usage_error(fmt::format("{}: \"{}\" is not a non-negative number", what, text));
  }
}

Duration millis(double ms) { return from_seconds(ms / 1000.0); }

/// Builds the model's configuration from the options (and fills in generated ids).
emu::Config make_config(const EmulatorOptions& o, IdSource& ids) {
  emu::Config c;
  auto lower = [](std::string id) {
    for (char& ch : id) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return id;
  };
  // TOKEN=ACCOUNT_ID, split at the last '=' only when an id follows (tokens may contain '=').
  std::vector<std::pair<std::string, std::string>> grants;  // token, its account ("" = the default one)
  for (const auto& spec : o.tokens) {
    auto eq = spec.rfind('=');
    if (eq != std::string::npos && api::looks_like_id(std::string_view(spec).substr(eq + 1)))
      grants.emplace_back(spec.substr(0, eq), lower(spec.substr(eq + 1)));
    else grants.emplace_back(spec, "");
    if (grants.back().first.empty()) usage_error("--token must not be empty");
  }
  // The default account (tokens without one, zones, the seed namespace, the start line's account_id): --account;
  // else, when every --token names an account, the first token's (so `--token T=ACCT --zone …` puts the zones where
  // T sees them, and the start line's token and account_id go together); else the account of the namespaces in the
  // --state file; else a generated one. The start line reports it.
  std::string account = o.account;
  const bool all_named =
      !grants.empty() && std::all_of(grants.begin(), grants.end(), [](const auto& g) { return !g.second.empty(); });
  if (account.empty() && all_named) account = grants.front().second;
  if (account.empty()) account = o.state_account.empty() ? ids.hex_id() : o.state_account;
  if (!api::looks_like_id(account)) usage_error("--account must be 32 hexadecimal characters");
  account = lower(account);
  c.account_name = o.account_name;
  for (auto& [token, acct] : grants) c.tokens.push_back({token, acct.empty() ? account : acct});
  if (c.tokens.empty()) c.tokens.push_back({ids.token(), account});

  for (auto spec : o.zones) {
    // NAME[=ID][:PLAN]
    std::string zone_plan;
    if (auto colon = spec.rfind(':'); colon != std::string::npos) {
      zone_plan = spec.substr(colon + 1);
      spec.resize(colon);
      if (!api::PlanProfile::named(zone_plan))
        usage_error(fmt::format("--zone: the plan of {} must be free, pro, business or enterprise, not \"{}\"", spec,
                                zone_plan));
    }
    auto eq = spec.find('=');
    std::string name = spec.substr(0, eq);
    std::string id = eq == std::string::npos ? ids.hex_id() : spec.substr(eq + 1);
    if (!api::is_valid_hostname(name)) usage_error(fmt::format("--zone: \"{}\" is not a valid zone name", name));
    if (!api::looks_like_id(id))
      usage_error(fmt::format("--zone: the id of {} must be 32 hexadecimal characters", name));
    c.zones.push_back({name, id, account, zone_plan});
  }
  if (c.zones.empty()) c.zones.push_back({"example.com", ids.hex_id(), account});

  auto plan = api::PlanProfile::named(o.plan);
  if (!plan) usage_error("--plan must be free, pro, business or enterprise");
  c.plan = *plan;

  auto slash = o.rate_limit.find('/');
  if (slash == std::string::npos) usage_error("--rate-limit must be REQUESTS/SECONDS, e.g. 1200/300");
  double quota = parse_double(o.rate_limit.substr(0, slash), "--rate-limit");
  double window = parse_double(o.rate_limit.substr(slash + 1), "--rate-limit");
  if (!(window >= 1)) usage_error("--rate-limit: the window must be at least 1 second (shrink it with --time-scale)");
  c.rate_limit.quota = static_cast<std::int64_t>(quota);
  c.rate_limit.window_seconds = static_cast<std::int64_t>(window);
  c.rate_limit.lockout_seconds = o.lockout_seconds;
  if (!(o.time_scale > 0)) usage_error("--time-scale must be greater than 0");
  c.time_scale = o.time_scale;
  if (o.per_ip_limit < 0) usage_error("--per-ip-limit must be 0 (off) or a number of requests per second");
  c.rate_limit.per_ip_per_second = o.per_ip_limit;
  if (!(o.list_lag_seconds >= 0 && o.list_lag_seconds <= 86'400))
    usage_error("--list-lag must be a number of seconds between 0 and 86400");
  c.list_lag = from_seconds(o.list_lag_seconds);
  c.purge_policy_hints = o.purge_policy_hints;

  if (!o.latency.empty()) {
    auto colon = o.latency.find(':');
    c.latency.base = millis(parse_double(o.latency.substr(0, colon), "--latency"));
    if (colon != std::string::npos) c.latency.jitter = millis(parse_double(o.latency.substr(colon + 1), "--latency"));
  }
  c.latency.per_item = millis(o.latency_per_item_ms);
  if (!o.latency_profile.empty()) {
    if (o.latency_profile != "realistic")
      usage_error(fmt::format("--latency-profile '{}': the profile is 'realistic'", o.latency_profile));
    if (!o.latency.empty() || o.latency_per_item_ms != 0)
      usage_error("--latency-profile sets every call's latency: give it without --latency and --latency-per-item");
    c.latency = emu::realistic_latency();
  }

  auto rate = [](double r, const char* flag) {
    if (!(r >= 0 && r <= 1)) usage_error(fmt::format("{} must be a probability between 0 and 1", flag));
    return r;
  };
  c.faults.error_500 = rate(o.fault_500, "--fault-500");
  c.faults.error_502 = rate(o.fault_502, "--fault-502");
  c.faults.error_503 = rate(o.fault_503, "--fault-503");
  c.faults.disconnect = rate(o.fault_disconnect, "--fault-disconnect");
  c.faults.truncate = rate(o.fault_truncate, "--fault-truncate");
  c.faults.html = rate(o.fault_html, "--fault-html");
  c.faults.partial_bulk = rate(o.fault_partial_bulk, "--fault-partial-bulk");
  if (!o.fault_slow.empty()) {
    auto colon = o.fault_slow.find(':');
    c.faults.slow = rate(parse_double(o.fault_slow.substr(0, colon), "--fault-slow"), "--fault-slow");
    if (colon != std::string::npos)
      c.faults.slow_delay = millis(parse_double(o.fault_slow.substr(colon + 1), "--fault-slow"));
  }
  c.faults.poison_prefix = o.fault_poison_prefix;
  c.faults.lockout_after = o.fault_lockout_after;
  c.fault_seed = o.fault_seed;
  return c;
}

/// The account of the namespaces in a state file, so that a restart with --state (and no --account) sees them.
std::string state_account(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::string header;
  if (!in || !std::getline(in, header)) return {};
  auto j = emu::parse_json_limited(header);
  if (!j || !j->is_object() || !j->contains("namespaces") || !(*j)["namespaces"].is_array()) return {};
  for (const auto& ns : (*j)["namespaces"])
    if (ns.is_object() && ns.contains("account_id") && ns["account_id"].is_string() &&
        api::looks_like_id(ns["account_id"].get<std::string>()))
      return ns["account_id"].get<std::string>();
  return {};
}

bool save(const emu::Server& model, const std::string& file) {
  std::string tmp = file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    model.save_state(out);
    out.flush();
    if (!out) return false;
  }
  return std::rename(tmp.c_str(), file.c_str()) == 0;
}

/// Puts --seed-keys names of --seed-shape under --seed-prefix into the seed namespace (the same names every run).
void seed(emu::Server& model, const std::string& namespace_id, const EmulatorOptions& o) {
  const auto shape = emu::parse_key_shape(o.seed_shape).value_or(emu::KeyShape::sequential);
  if (shape == emu::KeyShape::sequential) return model.seed_keys(namespace_id, o.seed_prefix, o.seed_keys);
  for (const auto& name : emu::shaped_names(o.seed_prefix, o.seed_keys, shape, o.fault_seed))
    model.put_key(namespace_id, name, "v");
}

int run(EmulatorOptions o) {
  IdSource ids;
  if (!o.state.empty()) o.state_account = state_account(o.state);
  emu::Config config = make_config(o, ids);
  const std::string account = config.zones.front().account_id;  // the default account (make_config)
  auto model = std::make_unique<emu::Server>(config);

  if (!o.state.empty()) {
    std::ifstream in(o.state, std::ios::binary);
    if (in) {
      if (auto error = model->load_state(in)) {
        std::cerr << "emulator: cannot load --state " << o.state << ": " << *error << "\n";
        return 1;
      }
    }
  }

  // The seeded namespace keeps its id across resets, so clients holding it keep working.
  std::string seed_title = o.seed_namespace.empty() && o.seed_keys > 0 ? "emulator-seed" : o.seed_namespace;
  std::string seed_id;
  auto seed_start = std::chrono::steady_clock::now();
  if (!seed_title.empty()) {
    // A namespace restored from --state keeps its keys: the state file wins over seeding.
    bool restored = model->namespace_id(account, seed_title).has_value();
    seed_id = model->create_namespace(account, seed_title);
    if (!restored) seed(*model, seed_id, o);
  }
  double seed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - seed_start).count();
  auto reseed = [seed_title, seed_id, account, o](emu::Server& m) {
    if (seed_title.empty()) return;
    m.create_namespace(account, seed_title, seed_id);
    seed(m, seed_id, o);
  };

  sigset_t signals = block_stop_signals();
  FrontOptions front_options;
  front_options.cors = o.cors;
  front_options.threads = o.threads;
  HttpFront front(*model, front_options, reseed, {});
  int port = front.bind(o.port);
  if (port < 0) {
    std::cerr << "emulator: cannot listen on 127.0.0.1:" << o.port << "\n";
    return 1;
  }

  nlohmann::json info;
  std::string base = fmt::format("http://127.0.0.1:{}", port);
  info["base_url"] = base + "/client/v4";
  info["admin_url"] = base + "/__emulator";
  info["admin_secret"] = front.admin_secret();  // POSTs to admin_url carry it in X-Emulator-Admin
  info["port"] = port;
  info["token"] = config.tokens.front().token;
  info["tokens"] = nlohmann::json::array();
  for (const auto& t : config.tokens) info["tokens"].push_back({{"token", t.token}, {"account_id", t.account_id}});
  info["account_id"] = account;
  info["namespaces"] = model->namespace_titles(account);
  info["zones"] = nlohmann::json::array();
  for (const auto& z : config.zones) info["zones"].push_back({{"name", z.name}, {"id", z.id}});
  info["plan"] = config.plan.name;
  info["time_scale"] = config.time_scale;
  info["rate_limit"] = {{"quota", config.rate_limit.quota},
                        {"window_seconds", config.rate_limit.window_seconds},
                        {"lockout_seconds", config.rate_limit.lockout_seconds},
                        {"per_ip_per_second", config.rate_limit.per_ip_per_second}};
  info["list_lag_seconds"] = to_seconds(config.list_lag);
  info["purge_policy_hints"] = config.purge_policy_hints;
  info["latency_profile"] = config.latency.by_kind.empty() ? "flat" : "realistic";
  info["seed_keys"] = o.seed_keys;
  info["seed_seconds"] = seed_seconds;
  info["pid"] = static_cast<std::int64_t>(::getpid());
  front.set_info(info);
  std::cout << emu::dump_json(info) << std::endl;  // one line, flushed: tests and scripts read it
  std::cerr << "emulator: serving " << info["base_url"].get<std::string>() << " (Ctrl-C to stop)\n";

  std::thread waiter([&front, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    front.stop();
  });
  bool ok = front.listen();
  if (!ok) ::kill(::getpid(), SIGTERM);  // listen failed on its own: wake the waiter (the signal is blocked)
  waiter.join();

  if (!o.state.empty() && !save(*model, o.state)) {
    std::cerr << "emulator: cannot save --state " << o.state << "\n";
    return 1;
  }
  return ok ? 0 : 1;
}

}  // namespace

void add_emulator_command(CLI::App& app) {
  auto o = std::make_shared<EmulatorOptions>();
  CLI::App* cmd = app.add_subcommand("emulator", "Serve a local emulator of the Cloudflare API (Workers KV, zones, "
                                                 "cache purge) on 127.0.0.1 under /client/v4");
  cmd->add_option("--port", o->port, "Port to listen on (0 = any free port; the start line says which)");
  cmd->add_option("--token", o->tokens, "API token TOKEN[=ACCOUNT_ID] (repeatable; none = generate one)");
  cmd->add_option("--account", o->account, "Account id for tokens and zones without one (default: generated)");
  cmd->add_option("--account-name", o->account_name, "Account name shown in zone objects");
  cmd->add_option("--zone", o->zones, "Zone NAME[=ID][:PLAN] (repeatable; none = example.com; PLAN: its own plan)");
  cmd->add_option("--plan", o->plan, "Plan of zones without their own: free|pro|business|enterprise")
      ->capture_default_str();
  cmd->add_option("--seed-namespace", o->seed_namespace, "Create this namespace at start");
  cmd->add_option("--seed-keys", o->seed_keys, "Put N keys into the seed namespace");
  cmd->add_option("--seed-prefix", o->seed_prefix, "Prefix of seeded key names")->capture_default_str();
  cmd->add_option("--seed-shape", o->seed_shape,
                  "Shape of seeded names: sequential (numbers), uuid, skewed (90% under one sub-prefix), random "
                  "(UTF-8 of every length, control characters), near (names one byte apart)")
      ->check(CLI::IsMember({"sequential", "uuid", "skewed", "random", "near"}))
      ->capture_default_str();
  cmd->add_option("--latency", o->latency, "Answer after MS[:JITTER_MS] milliseconds");
  cmd->add_option("--latency-profile", o->latency_profile,
                  "Per-endpoint latency: 'realistic' (assumed figures, see docs/emulator.md)");
  cmd->add_option("--latency-per-item", o->latency_per_item_ms,
                  "Extra milliseconds per item of bulk and purge requests");
  cmd->add_option("--rate-limit", o->rate_limit, "Global limit per token, REQUESTS/SECONDS (0/1 = off)")
      ->capture_default_str();
  cmd->add_option("--lockout", o->lockout_seconds, "Seconds a token is locked out after going over")
      ->capture_default_str();
  cmd->add_option("--per-ip-limit", o->per_ip_limit,
                  "Requests per second from all clients together (Cloudflare's per-IP limit; real time, not "
                  "scaled; 0 = off)")
      ->capture_default_str();
  cmd->add_option("--list-lag", o->list_lag_seconds,
                  "Seconds a write or delete takes to show in key lists (scaled by --time-scale; 0 = at once)")
      ->capture_default_str();
  cmd->add_flag("--purge-policy-hints", o->purge_policy_hints,
                "Add Ratelimit-Policy members purge-flex/purge-urls to purge responses (Cloudflare sends none)");
  cmd->add_option("--time-scale", o->time_scale, "Divide every window, lockout, bucket refill and Retry-After by X");
  cmd->add_option("--fault-500", o->fault_500, "Rate of 500 responses (request not applied)");
  cmd->add_option("--fault-502", o->fault_502, "Rate of 502 HTML pages (request not applied)");
  cmd->add_option("--fault-503", o->fault_503, "Rate of 503 responses (request not applied)");
  cmd->add_option("--fault-disconnect", o->fault_disconnect, "Rate of connections closed mid-response (applied)");
  cmd->add_option("--fault-truncate", o->fault_truncate, "Rate of 200s with a cut JSON body (applied)");
  cmd->add_option("--fault-html", o->fault_html, "Rate of 502s with an HTML body (request not applied)");
  cmd->add_option("--fault-slow", o->fault_slow, "RATE[:MS] of slow answers (applied; default 2000 ms)");
  cmd->add_option("--fault-partial-bulk", o->fault_partial_bulk, "Rate per key of bulk failures (unsuccessful_keys)");
  cmd->add_option("--fault-poison-prefix", o->fault_poison_prefix, "Keys with this prefix always fail to write/delete");
  cmd->add_option("--fault-lockout-after", o->fault_lockout_after,
                  "Lock the token out at its Nth request, once (429, 971)");
  cmd->add_option("--fault-seed", o->fault_seed, "Seed of the fault generator (runs repeat)");
  cmd->add_flag("--cors", o->cors, "Send CORS headers and answer preflights (for the browser console)");
  cmd->add_option("--state", o->state, "Load the KV store from FILE at start (if it exists), save it on exit");
  cmd->add_option("--threads", o->threads, "HTTP worker threads")->capture_default_str();
  cmd->callback([o] {
    int rc = run(*o);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace ckp::native
