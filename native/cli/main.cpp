// cache-kv-purger: the native command line. Commands register themselves from their folders.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "ckp/version.hpp"
#include "emulator/emulator_command.hpp"

int main(int argc, char** argv) {
  CLI::App app{"cache-kv-purger: Cloudflare cache purge and Workers KV at scale"};
  app.require_subcommand(1);
  app.add_subcommand("version", "Print the version")->callback([] { fmt::print("cache-kv-purger {}\n", ckp::version); });
  ckp::native::add_emulator_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // a command failed and has said why
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // help (0) or a usage error (2)
  }
  return 0;
}
