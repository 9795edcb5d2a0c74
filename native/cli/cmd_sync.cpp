// `sync purge`: delete KV keys by metadata, then purge the cache tags they name.

#include <memory>

#include "ckp/ops/sync_purge.hpp"
#include "cli/context.hpp"
#include "cli/job_runner.hpp"
#include "cli/kv_selection.hpp"
#include "cli/resolve.hpp"

namespace ckp::cli {

namespace {

struct SyncFlags {
  std::string account_id, namespace_id, namespace_name, search, tag_field, tag_value, zone, prefix;
  std::vector<std::string> cache_tags;
  bool derived_tags = false;
  bool extract_tags = true;
  bool dry_run = false;
  bool verbose = false;
  int batch_size = 0, concurrency = 0;
};

int sync_purge(Context& ctx, const CLI::App& cmd, const SyncFlags& f) {
  auto& rt = ctx.runtime();
  refuse_empty_flags(cmd, {{"--prefix", &f.prefix}, {"--search", &f.search}, {"--tag-field", &f.tag_field}}, false);
  ops::SyncPurgeSpec spec;
  spec.select.prefix = f.prefix;
  spec.select.search = f.search;
  spec.select.field = f.tag_field;
  spec.select.value = f.tag_value;
  if (!spec.select.needs_metadata())
    fail_usage("sync purge needs --search TEXT or --tag-field FIELD (every filter given must match)");
  if (auto e = spec.select.validate(false)) fail(e->to_error(flag_namer()));
  rt.require_credentials();
  const std::string account = rt.account_id(f.account_id);
  spec.account_id = account;
  spec.namespace_id = resolve_namespace(rt, account, !f.namespace_id.empty() ? f.namespace_id : f.namespace_name);
  for (const auto& t : f.cache_tags)
    for (const auto& part : split_list(t)) spec.cache_tags.push_back(part);
  spec.extract_tags = f.extract_tags;
  spec.derived_tags = f.derived_tags;
  spec.plan = rt.settings().plan_profile();
  spec.dry_run = f.dry_run;
  const std::string zone = !f.zone.empty() ? f.zone : rt.settings().zone.value;
  if (zone.empty()) fail_usage("sync purge needs --zone NAME (where the tags are purged)");
  spec.zones = {resolve_zone(rt, zone)};
  require_valid(spec);
  std::vector<std::string> parts;
  if (!f.prefix.empty()) parts.push_back(fmt::format("start with '{}'", f.prefix));
  if (!f.search.empty()) parts.push_back(fmt::format("have metadata containing '{}'", f.search));
  if (!f.tag_field.empty())
    parts.push_back(f.tag_value.empty() ? fmt::format("have metadata field '{}'", f.tag_field)
                                        : fmt::format("have metadata {} = '{}'", f.tag_field, f.tag_value));
  std::string what;
  for (std::size_t i = 0; i < parts.size(); ++i) what += (i ? " and " : "") + parts[i];
  if (!f.dry_run && !rt.confirm(fmt::format("Delete the keys in namespace {} that {}, and then purge their cache tags "
                                            "on {}?",
                                            spec.namespace_id, what, spec.zones[0].name)))
    return exit_code::ok;
  return run_job(rt, ops::SyncPurgeSpec::op_name, spec.to_json(), {}, !f.dry_run);
}

}  // namespace

void add_sync_commands(CLI::App& app, Context& ctx) {
  auto* sync = app.add_subcommand("sync", "Combined KV and cache operations");
  sync->require_subcommand(1);
  auto f = std::make_shared<SyncFlags>();
  auto* purge = sync->add_subcommand("purge", "Delete KV keys by metadata, then purge the cache tags they name");
  purge->add_option("--account-id", f->account_id, "Account id");
  purge->add_option("--namespace-id", f->namespace_id, "Namespace id");
  purge->add_option("--namespace", f->namespace_name, "Namespace title (or id)");
  purge->add_option("--prefix", f->prefix, "Only keys with this prefix");
  purge->add_option("--search", f->search, "Keys whose metadata contains this text (case-insensitive)");
  purge->add_option("--tag-field", f->tag_field, "Keys whose metadata has this field…");
  purge->add_option("--tag-value", f->tag_value, "…with this value");
  purge->add_option("--zone", f->zone, "Zone where the cache tags are purged");
  purge->add_option("--cache-tag", f->cache_tags, "Purge these tags (repeatable) instead of those in the metadata");
  purge->add_flag("--derived-tags", f->derived_tags,
                  "Also purge tags derived from the search term (the Go tool's scheme)");
  purge->add_flag("--extract-tags,!--no-extract-tags", f->extract_tags,
                  "Read tags from the keys' metadata (default on)");
  purge->add_flag("--dry-run", f->dry_run, "Count and show; change nothing");
  purge->add_option("--batch-size", f->batch_size, "(accepted for compatibility)")->group("");
  purge->add_flag("-v,--verbose", f->verbose, "More detail");
  purge->callback([&ctx, f, purge] { ctx.exit_code = sync_purge(ctx, *purge, *f); });
}

}  // namespace ckp::cli
