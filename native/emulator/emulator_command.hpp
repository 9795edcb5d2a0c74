#pragma once
/// @file
/// `cache-kv-purger emulator`: runs the local Cloudflare API emulator (KV, zones, purge) on 127.0.0.1.

namespace CLI {
class App;
}

namespace ckp::native {

/// Registers the `emulator` subcommand on @p app. Running it serves until SIGINT/SIGTERM; on start it prints one
/// JSON line to stdout with base_url, port, token, account_id, namespaces {title: id} and zones [{name, id}].
void add_emulator_command(CLI::App& app);

}  // namespace ckp::native
