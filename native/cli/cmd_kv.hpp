#pragma once
// What the `kv …` command files share: the flags that name a namespace and the account + namespace they resolve to,
// and each file's registration function (cmd_kv.cpp calls them in the order `kv --help` lists the commands).

#include <string>

#include <CLI/CLI.hpp>

#include "cli/context.hpp"

namespace ckp::cli {

/// --account-id, --namespace-id, --namespace.
struct NamespaceFlags {
  std::string account_id;
  std::string namespace_id;
  std::string namespace_name;
};

/// Adds --account-id, --namespace-id and --namespace, in that order.
void add_namespace_flags(CLI::App* cmd, NamespaceFlags& f);

/// An account and one of its namespaces, by id.
struct KvTarget {
  std::string account;
  std::string ns;
};

/// Checks the credentials, then resolves the account and the namespace (an id, or a title looked up) that @p f names.
KvTarget kv_target(Context& ctx, const NamespaceFlags& f);

void add_kv_list_command(CLI::App& kv, Context& ctx);        // cmd_kv_list.cpp
void add_kv_get_command(CLI::App& kv, Context& ctx);         // cmd_kv_get.cpp
void add_kv_put_command(CLI::App& kv, Context& ctx);         // cmd_kv_put.cpp
void add_kv_delete_commands(CLI::App& kv, Context& ctx);     // cmd_kv_delete.cpp: delete, delete-legacy
void add_kv_namespace_commands(CLI::App& kv, Context& ctx);  // cmd_kv_namespace.cpp: create, rename, config
void add_kv_transfer_commands(CLI::App& kv, Context& ctx);   // cmd_kv_transfer.cpp: export, import, bulk-write

/// Writes the pairs in @p file to the namespace (kv import and bulk-write, and kv put --bulk): a resumable job, or a
/// check and count with @p dry_run. @p batch_size 0 means the default. Returns the exit code.
int kv_import_file(Context& ctx, const NamespaceFlags& ns, const std::string& file, int batch_size, bool dry_run);

}  // namespace ckp::cli
