#pragma once
// What a running command has: its options and settings, the HTTP transport and scheduler (created on first use,
// after credentials are checked), blocking calls for one-shot requests, long operations with progress, Ctrl-C
// handling and journals, and confirmation prompts.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "ckp/engine/scheduler.hpp"
#include "ckp/ops/operation.hpp"
#include "ckp/ops/zone_directory.hpp"
#include "ckp/transport/httplib.hpp"
#include "cli/jobs.hpp"
#include "cli/output.hpp"
#include "cli/settings.hpp"

namespace ckp::cli {

/// Ctrl-C and SIGTERM, watched by one thread (they are blocked everywhere else). The first signal asks the running
/// operation to stop gracefully; a second one, or one while no operation runs, exits at once with 130.
class SignalWatcher {
 public:
  /// Blocks SIGINT/SIGTERM in the calling thread (and the threads it creates later) and starts the watcher.
  static void install();
  /// While @p stop is registered, the first signal calls it instead of exiting.
  static void set_stopper(std::function<void()> stop);
  static void clear_stopper();
};

class Runtime {
 public:
  Runtime(GlobalOptions options, Settings settings, std::string command_line)
      : options_(std::move(options)), settings_(std::move(settings)), command_line_(std::move(command_line)) {}
  ~Runtime();

  const GlobalOptions& options() const { return options_; }
  const Settings& settings() const { return settings_; }
  bool json() const { return options_.json; }
  bool verbose() const { return options_.verbosity == "verbose" || options_.verbosity == "debug"; }

  /// Fails (usage) when no credentials are configured, saying how to configure them.
  void require_credentials() const;
  /// The account id, validated; fails (usage) when missing or malformed. @p flag is the command's own value.
  std::string account_id(const std::string& flag = "") const;

  transport::HttplibTransport& http();
  engine::Scheduler& scheduler();

  /// Sends one request and waits for its parsed result (retries and pacing included). Fails the command on error.
  template <class Parse>
  auto call(api::Request request, Parse parse)
      -> std::remove_cvref_t<decltype(parse(std::declval<const api::Response&>()).value())> {
    using R = decltype(parse(std::declval<const api::Response&>()));
    std::optional<R> result;
    scheduler().submit(std::move(request), engine::Cost::api_call(), parse, [&](R r) { result.emplace(std::move(r)); });
    http().run_until([&] { return result.has_value(); });
    if (!result) fail(Error::make(ErrorKind::transport, "no response"));
    if (!*result) fail(result->error());
    return std::move(**result);
  }

  /// Every zone of the account (all pages).
  ops::ZoneDirectory zones(const std::string& account_id = "");
  /// A zone by name or id: an id is taken as is (its name looked up), a name is looked up. Fails if unknown.
  ops::ZoneRef resolve_zone(const std::string& name_or_id);
  /// A namespace by id or title (every page of namespaces is searched for a title).
  std::string resolve_namespace(const std::string& account, const std::string& id_or_title);

  /// A new journaled job for @p op (its id, and a Journal to pass to the operation).
  std::string start_job(const std::string& op);
  engine::Journal* journal() { return journal_.get(); }
  /// Removes the job just started (its operation could not even begin: bad input).
  void discard_job();
  /// Continues an existing job's journal.
  void continue_job(const JobInfo& job);
  const std::string& job_id() const { return job_id_; }

  /// Runs a long operation with progress on stderr and graceful Ctrl-C; prints its report (text or JSON) and
  /// returns the exit code.
  int run_and_report(ops::Operation& op, const std::string& noun, const std::string& verb);
  /// The report as text (after run_and_report's run).
  void print_report(const ops::OpReport& report, const std::string& noun, const std::string& verb) const;

  /// Answers every later confirmation with yes (a command's own --force).
  void assume_yes() { options_.yes = true; }
  /// Asks "question [y/N]" unless --yes. Without a terminal to ask on, fails telling the user to pass --yes.
  bool confirm(const std::string& question) const;

  /// A message on stderr (not with --quiet).
  template <class... Args>
  void note(fmt::format_string<Args...> f, Args&&... args) const {
    if (!options_.quiet && options_.verbosity != "quiet") fmt::print(stderr, f, std::forward<Args>(args)...);
  }

  /// Options for an operation run by run_and_report(): its progress goes to the view, Ctrl-C to its cancel token.
  ops::OpOptions op_options() {
    ops::OpOptions o;
    o.cancel = cancel_;
    o.on_progress = [this](const engine::Progress& p) {
      if (progress_) progress_(p);
    };
    return o;
  }

 private:
  GlobalOptions options_;
  Settings settings_;
  std::string command_line_;
  std::unique_ptr<transport::HttplibTransport> http_;
  std::unique_ptr<engine::Scheduler> scheduler_;
  std::unique_ptr<engine::JournalStore> journal_store_;
  std::unique_ptr<engine::Journal> journal_;
  std::string job_id_;
  engine::CancelToken cancel_;
  std::function<void(const engine::Progress&)> progress_;
};

}  // namespace ckp::cli
