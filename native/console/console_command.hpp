#pragma once
/// @file
/// `cache-kv-purger console`: serves the browser console (the page in web/ and the engine built to WebAssembly) on
/// 127.0.0.1, and proxies its API calls to Cloudflare (or to an emulator).

#include <functional>
#include <string>

#include "ckp/transport/httplib.hpp"

namespace CLI {
class App;
}

namespace ckp::native {

/// What the console needs from the CLI's own configuration (flag > environment > config file > default).
struct ConsoleSettings {
  std::string base_url;                     ///< the API base; empty = https://api.cloudflare.com/client/v4
  ckp::transport::Credentials credentials;  ///< when set, they stay in the server: the browser never sees them
  std::string account_id;                   ///< preselected in the page when set
  bool verify_tls = true;
};

/// Registers the `console` subcommand on @p app. @p settings is called when the command runs (after the command line
/// is parsed). Running it serves until SIGINT/SIGTERM; on start it prints one JSON line to stdout:
/// `{"url": "http://127.0.0.1:PORT/#secret=…", "port": PORT, "api_base": …, "server_credentials": bool, "pid": …}`.
void add_console_command(CLI::App& app, std::function<ConsoleSettings()> settings);

}  // namespace ckp::native
