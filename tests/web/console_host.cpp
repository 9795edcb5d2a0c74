// A stand-in for `cache-kv-purger console` while the CLI does not register that command yet: the same server code
// (native/console/), with its settings read from the environment only — CLOUDFLARE_API_BASE_URL,
// CLOUDFLARE_API_TOKEN (or CLOUDFLARE_API_KEY + CLOUDFLARE_EMAIL) and CLOUDFLARE_ACCOUNT_ID. The browser tests use
// the real CLI when it has the command, and this otherwise.
#include <CLI/CLI.hpp>

#include <cstdlib>

#include "console/console_command.hpp"

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"console test host"};
  app.require_subcommand(1);
  ckp::native::add_console_command(app, [] {
    ckp::native::ConsoleSettings s;
    s.base_url = env("CLOUDFLARE_API_BASE_URL");
    s.credentials = {env("CLOUDFLARE_API_TOKEN"), env("CLOUDFLARE_API_KEY"), env("CLOUDFLARE_EMAIL")};
    s.account_id = env("CLOUDFLARE_ACCOUNT_ID");
    return s;
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return 0;
}
