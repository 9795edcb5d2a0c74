// `kv …`: namespaces, keys, values — list, get, put, delete (one key, many, by prefix/metadata/search/pattern, or
// the namespace itself), create, rename, config, and the streamed bulk operations export, import/bulk-write. Each
// command group is in its own cmd_kv_*.cpp; this file adds the group and what its commands share.

#include "cli/cmd_kv.hpp"

#include "cli/resolve.hpp"

namespace ckp::cli {

void add_namespace_flags(CLI::App* c, NamespaceFlags& f) {
  c->add_option("--account-id", f.account_id, "Cloudflare account id (default: config / CLOUDFLARE_ACCOUNT_ID)");
  c->add_option("--namespace-id", f.namespace_id, "Namespace id");
  c->add_option("--namespace", f.namespace_name, "Namespace title (or id)");
}

KvTarget kv_target(Context& ctx, const NamespaceFlags& f) {
  auto& rt = ctx.runtime();
  rt.require_credentials();
  KvTarget t;
  t.account = rt.account_id(f.account_id);
  t.ns = resolve_namespace(rt, t.account, !f.namespace_id.empty() ? f.namespace_id : f.namespace_name);
  return t;
}

void add_kv_commands(CLI::App& app, Context& ctx) {
  auto* kv = app.add_subcommand("kv", "Workers KV: namespaces, keys, values, bulk operations");
  kv->require_subcommand(1);
  add_kv_list_command(*kv, ctx);
  add_kv_get_command(*kv, ctx);
  add_kv_put_command(*kv, ctx);
  add_kv_delete_commands(*kv, ctx);
  add_kv_namespace_commands(*kv, ctx);
  add_kv_transfer_commands(*kv, ctx);
}

}  // namespace ckp::cli
