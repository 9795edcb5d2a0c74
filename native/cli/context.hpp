#pragma once
// The state a command handler sees: parsed global options, and the Runtime made from them on first use.

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/runtime.hpp"
#include "cli/settings.hpp"
#include "cli/signals.hpp"
#include "cli/split_list.hpp"

namespace ckp::cli {

struct Context {
  GlobalOptions options;
  std::string command_line;
  int exit_code = exit_code::ok;

  /// Settings resolved from flags, environment and config; fails the command on a configuration error.
  Runtime& runtime() {
    if (!runtime_) {
      // Before any thread exists (the transport's workers inherit the blocked signals).
      SignalWatcher::install();
      auto settings = resolve_settings(options);
      if (!settings) fail(settings.error());
      runtime_ = std::make_unique<Runtime>(options, std::move(*settings), command_line);
    }
    return *runtime_;
  }
  /// Drops the runtime (joins transport threads) before exit.
  void close() { runtime_.reset(); }

 private:
  std::unique_ptr<Runtime> runtime_;
};

// Each command group registers itself.
void add_global_options(CLI::App& app, Context& ctx);
void add_config_commands(CLI::App& app, Context& ctx);
void add_zones_commands(CLI::App& app, Context& ctx);
void add_cache_commands(CLI::App& app, Context& ctx);
void add_kv_commands(CLI::App& app, Context& ctx);
void add_sync_commands(CLI::App& app, Context& ctx);
void add_jobs_commands(CLI::App& app, Context& ctx);
void add_tool_commands(CLI::App& app, Context& ctx);

}  // namespace ckp::cli
