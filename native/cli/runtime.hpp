#pragma once
// What a running command has: its options and settings, the HTTP transport and scheduler (created on first use,
// after credentials are checked), blocking calls for one-shot requests, and confirmation prompts. Names are resolved
// in resolve.hpp; long operations run as jobs through job_runner.hpp.

#include <memory>
#include <optional>
#include <string>

#include "ckp/engine/scheduler.hpp"
#include "ckp/transport/httplib.hpp"
#include "cli/output.hpp"
#include "cli/settings.hpp"

namespace ckp::cli {

class Runtime {
 public:
  Runtime(GlobalOptions options, Settings settings, std::string command_line)
      : options_(std::move(options)), settings_(std::move(settings)), command_line_(std::move(command_line)) {}
  ~Runtime();

  const GlobalOptions& options() const { return options_; }
  const Settings& settings() const { return settings_; }
  /// The command line that started this process (secrets masked), as a job records it.
  const std::string& command_line() const { return command_line_; }
  bool json() const { return options_.json; }
  bool verbose() const { return options_.verbosity == "verbose" || options_.verbosity == "debug"; }
  /// --quiet, or --verbosity quiet.
  bool quiet() const { return options_.quiet || options_.verbosity == "quiet"; }

  /// Fails (usage) when no credentials are configured, saying how to configure them.
  void require_credentials() const;
  /// The account id, validated; fails (usage) when missing or malformed. @p flag is the command's own value.
  std::string account_id(const std::string& flag = "") const;

  transport::HttplibTransport& http();
  engine::Scheduler& scheduler();

  /// Runs an asynchronous engine function to its end and returns its result; fails the command on error.
  /// @p start(done) begins it, and it calls done(Result<T>) once.
  template <class T, class Start>
  T await(Start start) {
    std::optional<Result<T>> result;
    start([&](Result<T> r) { result.emplace(std::move(r)); });
    http().run_until([&] { return result.has_value(); });
    if (!result) fail(Error::make(ErrorKind::transport, "no response"));
    if (!*result) fail(result->error());
    return std::move(**result);
  }

  /// Sends one request and waits for its parsed result (retries and pacing included). Fails the command on error.
  template <class Parse>
  auto call(api::Request request, Parse parse)
      -> std::remove_cvref_t<decltype(parse(std::declval<const api::Response&>()).value())> {
    using R = decltype(parse(std::declval<const api::Response&>()));
    using T = std::remove_cvref_t<decltype(std::declval<R>().value())>;
    return await<T>([&](auto done) { scheduler().submit(std::move(request), engine::Cost::api_call(), parse, done); });
  }

  /// Answers every later confirmation with yes (a command's own --force).
  void assume_yes() { options_.yes = true; }
  /// Asks "question [y/N]" unless --yes. Without a terminal to ask on, fails telling the user to pass --yes.
  bool confirm(const std::string& question) const;

  /// A message on stderr (not with --quiet).
  template <class... Args>
  void note(fmt::format_string<Args...> f, Args&&... args) const {
    if (!quiet()) fmt::print(stderr, f, std::forward<Args>(args)...);
  }

 private:
  GlobalOptions options_;
  Settings settings_;
  std::string command_line_;
  std::unique_ptr<transport::HttplibTransport> http_;
  std::unique_ptr<engine::Scheduler> scheduler_;
};

}  // namespace ckp::cli
