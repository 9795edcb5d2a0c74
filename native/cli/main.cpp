// cache-kv-purger: the native command line. Each command group registers itself from its own file.
#include <string_view>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "ckp/version.hpp"
#include "cli/colour.hpp"
#include "cli/context.hpp"
#include "cli/jobs.hpp"
#include "cli/suggest.hpp"
#include "console/console_command.hpp"
#include "emulator/emulator_command.hpp"

int main(int argc, char** argv) {
  using namespace ckp::cli;
  // Taken from argv before the parse, because parse errors need them too (the options check the values later):
  // --color decides how errors look; with --json, an error found before any run (a bad flag, a refused selection) is
  // a JSON document on stdout as well, so that a script reading stdout always gets one.
  bool json_asked = false;
  for (int i = 1; i < argc && std::string_view(argv[i]) != "--"; ++i) {
    const std::string_view a = argv[i];
    if (a == "--color" && i + 1 < argc) colour::set_mode(argv[i + 1]);
    else if (a.starts_with("--color=")) colour::set_mode(a.substr(8));
    else if (a == "--json") json_asked = true;
  }
  CLI::App app{"cache-kv-purger: Cloudflare cache purge and Workers KV at scale"};
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  app.set_help_all_flag("--help-all", "Help for every command");
  Context ctx;
  ctx.command_line = masked_command_line(argc, argv);
  add_global_options(app, ctx);
  bool version_flag = false;
  app.add_flag("--version", version_flag, "Print the version")->group("Global options");
  app.require_subcommand(version_flag ? 0 : 1);
  add_config_commands(app, ctx);
  add_zones_commands(app, ctx);
  add_cache_commands(app, ctx);
  add_kv_commands(app, ctx);
  add_sync_commands(app, ctx);
  add_jobs_commands(app, ctx);
  add_tool_commands(app, ctx);
  ckp::native::add_emulator_command(app);
  // The console resolves settings itself (not through ctx.runtime(), whose signal watcher would take the Ctrl-C
  // the console server needs to stop).
  ckp::native::add_console_command(app, [&ctx] {
    auto s = resolve_settings(ctx.options);
    if (!s) fail(s.error());
    return ckp::native::ConsoleSettings{s->api_base_url.value, s->credentials, s->account_id.value, s->verify_tls};
  });
  app.require_subcommand(0, 1);
  int code = exit_code::ok;
  try {
    app.parse(argc, argv);
    if (version_flag && app.get_subcommands().empty()) fmt::print("cache-kv-purger version {}\n", ckp::version);
    else if (app.get_subcommands().empty()) throw CLI::CallForHelp();
    code = ctx.exit_code;
  } catch (const CliError& e) {
    fmt::print(stderr, "{} {}\n", colour::error_prefix(), e.message);
    code = e.code;
    if (json_asked) print_json_error(e.kind, e.message);
  } catch (const CLI::RuntimeError& e) {
    code = e.get_exit_code();  // a command (the emulator) failed and has said why
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) {
      code = app.exit(e) == 0 ? exit_code::ok : exit_code::usage;  // --help, --help-all
    } else {
      const std::string why = explain_parse_error(app, e);
      if (why.empty())
        fmt::print(stderr, "{} {}\nRun with --help for more information.\n", colour::error_prefix(), e.what());
      else fmt::print(stderr, "{} {}\n", colour::error_prefix(), why);
      code = exit_code::usage;
      if (json_asked) print_json_error("invalid_input", why.empty() ? std::string(e.what()) : why);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "{} {}\n", colour::error_prefix(), e.what());
    code = exit_code::failure;
    if (json_asked) print_json_error("internal", e.what());
  }
  ctx.close();
  return code;
}
