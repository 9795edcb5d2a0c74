#include "cli/runtime.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <iostream>
#include <mutex>
#include <thread>

#include "ckp/api/kv.hpp"
#include "ckp/api/validate.hpp"
#include "ckp/api/zones.hpp"
#include "cli/progress_view.hpp"

namespace ckp::cli {

// --- signals ---------------------------------------------------------------------------------------------------

namespace {
std::mutex stopper_mutex;
std::function<void()> stopper;
bool stop_requested = false;
}  // namespace

void SignalWatcher::install() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      std::lock_guard lock(stopper_mutex);
      if (stopper && !stop_requested) {
        stop_requested = true;
        const char msg[] = "\nstopping: waiting for requests in flight, then saving progress (Ctrl-C again to abort)\n";
        (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
        stopper();
      } else {
        const char msg[] = "\naborted\n";
        (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
        ::_exit(exit_code::interrupted);
      }
    }
  }).detach();
}

void SignalWatcher::set_stopper(std::function<void()> stop) {
  std::lock_guard lock(stopper_mutex);
  stopper = std::move(stop);
  stop_requested = false;
}

void SignalWatcher::clear_stopper() {
  std::lock_guard lock(stopper_mutex);
  stopper = nullptr;
}

// --- runtime ---------------------------------------------------------------------------------------------------

Runtime::~Runtime() {
  scheduler_.reset();  // before the transport it references
  http_.reset();
}

void Runtime::require_credentials() const {
  if (settings_.credentials.empty())
    fail_usage("no Cloudflare credentials: set CLOUDFLARE_API_TOKEN (or CLOUDFLARE_API_KEY and CLOUDFLARE_EMAIL), "
               "or api_token_env in " + settings_.config_path);
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
      fmt::print(stderr, "warning: --insecure: TLS certificates are NOT verified for {}\n", c.base_url);
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
    c.governor.plan = settings_.plan_profile();
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

ops::ZoneDirectory Runtime::zones(const std::string& account) {
  std::optional<Result<ops::ZoneDirectory>> result;
  ops::ZoneDirectory::fetch(scheduler(), account, [&](Result<ops::ZoneDirectory> d) { result.emplace(std::move(d)); });
  http().run_until([&] { return result.has_value(); });
  if (!*result) fail(result->error());
  return std::move(**result);
}

ops::ZoneRef Runtime::resolve_zone(const std::string& name_or_id) {
  if (api::looks_like_id(name_or_id)) {
    auto zone = call(api::zones::get(name_or_id), api::zones::parse_get);
    return {zone.id, zone.name};
  }
  api::zones::ListQuery q;
  q.name = name_or_id;
  auto page = call(api::zones::list(q), api::zones::parse_list);
  if (page.items.empty())
    fail_usage(fmt::format("zone '{}' is not visible to this token (`cache-kv-purger zones list` shows the zones it "
                           "can see)",
                           name_or_id));
  return {page.items.front().id, page.items.front().name};
}

std::string Runtime::resolve_namespace(const std::string& account, const std::string& id_or_title) {
  if (id_or_title.empty()) fail_usage("no namespace: pass --namespace-id ID or --namespace TITLE");
  if (api::looks_like_id(id_or_title)) return id_or_title;
  for (int page = 1;; ++page) {
    auto p = call(api::kv::list_namespaces(account, page, 1000), api::kv::parse_namespaces);
    for (const auto& ns : p.items)
      if (ns.title == id_or_title) return ns.id;
    if (p.items.empty() || p.last(1000)) break;
  }
  fail_usage(fmt::format("no namespace titled '{}' in account {} (`cache-kv-purger kv list` shows them)", id_or_title,
                         account));
}

std::string Runtime::start_job(const std::string& op) {
  JobStore jobs(settings_.journal_dir.value);
  auto created = jobs.create(op);
  if (!created) fail(created.error());
  job_id_ = created->first;
  journal_store_ = std::move(created->second);
  journal_ = std::make_unique<engine::Journal>(*journal_store_);
  std::time_t t = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  journal_->preamble({{"job",
                   {{"id", job_id_},
                    {"created", when},
                    {"command", command_line_},
                    {"api_base_url", settings_.api_base_url.value}}}});
  return job_id_;
}

void Runtime::discard_job() {
  if (job_id_.empty()) return;
  journal_.reset();
  journal_store_.reset();
  std::remove(JobStore(settings_.journal_dir.value).path_of(job_id_).c_str());
  job_id_.clear();
}

void Runtime::continue_job(const JobInfo& job) {
  JobStore jobs(settings_.journal_dir.value);
  auto store = jobs.reopen(job);
  if (!store) fail(store.error());
  job_id_ = job.id;
  journal_store_ = std::move(*store);
  journal_ = std::make_unique<engine::Journal>(*journal_store_);
}

int Runtime::run_and_report(ops::Operation& op, const std::string& noun, const std::string& verb) {
  ProgressView view(ProgressView::mode_for(options_.progress, options_.quiet || options_.verbosity == "quiet"), noun);
  progress_ = [&view](const engine::Progress& p) { view.update(p); };
  SignalWatcher::set_stopper([this] {
    cancel_.request_stop();
    if (http_) http_->wake();
  });
  op.start();
  http().run_until([&] { return op.finished(); });
  SignalWatcher::clear_stopper();
  progress_ = nullptr;
  view.close();
  const auto& report = op.report();
  // Input the operation refused before doing anything can never succeed on resume: no job is kept for it. (Once
  // something was done, the journal stays: it is the only record of what.)
  if (report.status == ops::OpStatus::failed && report.error && report.error->kind == ErrorKind::invalid_input &&
      report.done == 0 && report.failed == 0)
    discard_job();
  if (json()) {
    auto j = report.to_json();
    if (!job_id_.empty()) j["job"] = job_id_;
    print_json(j);
    if (report.error && (report.status == ops::OpStatus::failed || report.status == ops::OpStatus::cancelled))
      fmt::print(stderr, "error: {}\n", report.error->message);
  } else {
    print_report(report, noun, verb);
  }
  return report.exit_code();
}

void Runtime::print_report(const ops::OpReport& r, const std::string& noun, const std::string& verb) const {
  const double secs = to_seconds(r.elapsed);
  if (r.dry_run) {
    const bool stopped = r.status == ops::OpStatus::cancelled || r.status == ops::OpStatus::failed;
    if (stopped) {
      // A failed dry run must not look like an empty one.
      fmt::print(stderr, "DRY RUN {}: {}\nNothing was changed; the count is unknown.\n",
                 r.status == ops::OpStatus::cancelled ? "interrupted" : "failed",
                 r.error ? r.error->message : std::string("stopped"));
      return;
    }
    fmt::print("DRY RUN: would {} {} {}; nothing was changed.\n", verb, grouped(r.done), noun);
    for (const auto& s : r.samples) fmt::print("  {}\n", s);
    if (r.done > r.samples.size()) fmt::print("  … and {} more\n", grouped(r.done - r.samples.size()));
    if (r.failed) fmt::print("{} {} could not be {}:\n", grouped(r.failed), noun, verb == "delete" ? "deleted" : "handled");
    for (std::size_t i = 0; i < r.failures.size() && i < 20; ++i)
      fmt::print("  {}: {}\n", r.failures[i].item, r.failures[i].error.message);
    return;
  }
  std::string past = verb == "delete" ? "Deleted" : verb == "purge" ? "Purged" : verb == "write" ? "Wrote" : verb == "export" ? "Exported" : "Processed";
  fmt::print("{} {} {} in {} ({:.0f}/s); {} requests, {} retried, {} rate-limited.\n", past, grouped(r.done), noun,
             clock_time(secs), secs > 0 ? static_cast<double>(r.done) / secs : 0.0, grouped(r.requests.sent),
             grouped(r.requests.retries), grouped(r.requests.rate_limited));
  if (auto v = r.extra.find("superseded"); v != r.extra.end() && v->is_number_unsigned() && v->get<std::uint64_t>() > 0)
    fmt::print("{} of them were superseded by a later line for the same key, so only the later one was sent.\n",
               grouped(v->get<std::uint64_t>()));
  if (auto v = r.extra.find("vanished"); v != r.extra.end() && v->is_number_unsigned() && v->get<std::uint64_t>() > 0)
    fmt::print("{} {} vanished between listing and reading (deleted meanwhile) and were not exported.\n",
               grouped(v->get<std::uint64_t>()), noun);
  if (r.failed) {
    fmt::print("{} {} failed:\n", grouped(r.failed), noun);
    std::size_t shown = 0;
    for (const auto& f : r.failures) {
      if (shown++ == 20) break;
      fmt::print("  {}: {}\n", f.item, f.error.message);
    }
    if (r.failed > 20 && !job_id_.empty()) fmt::print("  … see all with: cache-kv-purger jobs show {}\n", job_id_);
  }
  if (r.status == ops::OpStatus::cancelled || r.status == ops::OpStatus::failed) {
    if (r.error) fmt::print(stderr, "{}: {}\n", r.status == ops::OpStatus::cancelled ? "interrupted" : "error", r.error->message);
    const bool bad_input = r.error && r.error->kind == ErrorKind::invalid_input;
    // The journal file appears with the operation's spec; stopped before that, there is nothing to resume.
    const bool journaled =
        !job_id_.empty() && ::access(JobStore(settings_.journal_dir.value).path_of(job_id_).c_str(), F_OK) == 0;
    if (journaled && !bad_input)
      fmt::print(stderr, "Progress is saved. Resume with:\n  cache-kv-purger jobs resume {}\n", job_id_);
  }
}

bool Runtime::confirm(const std::string& question) const {
  if (options_.yes) return true;
  if (!isatty(STDIN_FILENO))
    fail_usage("refusing to change anything without confirmation: no terminal to ask on; pass --yes (after checking "
               "with --dry-run)");
  fmt::print(stderr, "{} [y/N] ", question);
  std::fflush(stderr);
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES" || answer == "Yes";
}

}  // namespace ckp::cli
