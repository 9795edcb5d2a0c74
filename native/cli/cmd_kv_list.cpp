// `kv list`: the account's namespaces, or the keys of one (a page, every page, filtered, with values).

#include <map>
#include <memory>

#include "cli/cmd_kv.hpp"
#include "cli/kv_read.hpp"
#include "cli/kv_selection.hpp"
#include "cli/resolve.hpp"

namespace ckp::cli {

namespace {

struct ListFlags {
  NamespaceFlags ns;
  KeySelectionFlags select;
  int batch_size = 0;  // accepted like kv delete's; a listing has no batches
  std::string cursor;
  bool all = false;
  bool metadata = false;
  bool values = false;
  bool debug = false;  // accepted for compatibility
  int limit = 0;
};

void list_namespaces(Context& ctx, const std::string& account) {
  auto& rt = ctx.runtime();
  nlohmann::json out = nlohmann::json::array();
  Table table({"ID", "TITLE"});
  for (const auto& ns : all_namespaces(rt, account)) {
    out.push_back({{"id", ns.id}, {"title", ns.title}, {"supports_url_encoding", ns.supports_url_encoding}});
    table.row({ns.id, ns.title});
  }
  if (rt.json()) return print_json(out);
  table.print();
  rt.note("{} namespace{}\n", table.size(), table.size() == 1 ? "" : "s");
}

std::string expiration_text(const std::optional<std::int64_t>& e) { return e ? std::to_string(*e) : ""; }

void kv_list(Context& ctx, const CLI::App& cmd, const ListFlags& f) {
  auto& rt = ctx.runtime();
  if (given(cmd, "--keys"))
    fail_usage("kv list shows one key with --key KEY; --keys is for kv get --bulk and kv delete");
  rt.require_credentials();
  const std::string account = rt.account_id(f.ns.account_id);
  if (f.ns.namespace_id.empty() && f.ns.namespace_name.empty()) return list_namespaces(ctx, account);
  KvTarget t{account,
             resolve_namespace(rt, account, !f.ns.namespace_id.empty() ? f.ns.namespace_id : f.ns.namespace_name)};
  if (!f.select.key.empty()) return show_single_key(ctx, t, f.select.key, true, "");
  const bool all = f.all || !f.select.search.empty() || !f.select.tag_field.empty();
  std::vector<api::kv::Key> keys;
  std::string cursor;
  std::uint64_t count = 0;
  // With --all on a huge namespace, rows are printed as they arrive rather than collected. --json has one shape
  // whatever the flags: {"keys": [...], "cursor", "list_complete"}, streamed here.
  const bool stream = all && !f.values;
  if (stream && rt.json()) fmt::print("{{\"keys\": [");
  if (stream && !rt.json()) fmt::print("NAME\tEXPIRATION{}\n", f.metadata ? "\tMETADATA" : "");
  const std::uint64_t listed = for_each_key(
      ctx, t, selection_of(f.select), f.cursor, f.limit, all,
      [&](const api::kv::Key& k) {
        ++count;
        if (!stream) return keys.push_back(k);
        if (rt.json()) fmt::print("{}\n  {}", count > 1 ? "," : "", key_json(k, nullptr).dump());
        else
          fmt::print("{}\t{}{}\n", k.name, expiration_text(k.expiration),
                     f.metadata && !k.metadata.is_null() ? "\t" + k.metadata.dump() : "");
      },
      &cursor);
  const std::string scanned =
      selection_of(f.select).filtered() && listed != count ? fmt::format(" (of {} listed)", grouped(listed)) : "";
  if (stream) {
    if (rt.json()) fmt::print("\n], \"cursor\": \"\", \"list_complete\": true}}\n");
    rt.note("{} key{}{}\n", grouped(count), count == 1 ? "" : "s", scanned);
    return;
  }
  std::map<std::string, std::string> values;
  if (f.values) {
    std::vector<std::string> names;
    for (const auto& k : keys) names.push_back(k.name);
    values = read_values(ctx, t, names);
  }
  if (rt.json()) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& k : keys) arr.push_back(key_json(k, f.values && values.count(k.name) ? &values[k.name] : nullptr));
    return print_json({{"keys", arr}, {"cursor", cursor}, {"list_complete", cursor.empty()}});
  }
  std::vector<std::string> headers{"NAME", "EXPIRATION"};
  if (f.metadata) headers.push_back("METADATA");
  if (f.values) headers.push_back("VALUE");
  Table table(headers);
  for (const auto& k : keys) {
    std::vector<std::string> row{k.name, expiration_text(k.expiration)};
    if (f.metadata) row.push_back(k.metadata.is_null() ? "" : k.metadata.dump());
    if (f.values) row.push_back(values.count(k.name) ? table_value(values[k.name], 57) : "");
    table.row(row);
  }
  table.print();
  rt.note("{} key{}{}\n", grouped(keys.size()), keys.size() == 1 ? "" : "s", scanned);
  if (!cursor.empty()) rt.note("More keys follow: add --cursor {} (or --all)\n", cursor);
}

}  // namespace

void add_kv_list_command(CLI::App& kv, Context& ctx) {
  auto f = std::make_shared<ListFlags>();
  auto* list = kv.add_subcommand("list", "List namespaces, or the keys of one");
  add_namespace_flags(list, f->ns);
  add_selection_flags(list, f->select);
  add_key_batch_size_flag(list, f->batch_size);
  list->add_option("--cursor", f->cursor, "Continue from this cursor");
  list->add_flag("--all", f->all, "Every page");
  list->add_flag("--metadata", f->metadata, "Show metadata");
  list->add_flag("--values", f->values, "Show values too (bulk get, 100 per request)");
  list->add_flag("--debug", f->debug, "(accepted for compatibility)")->group("");
  list->add_option("--limit", f->limit, "Keys per page (10-1000)")
      ->check(CLI::Range(10, api::kv_limits::max_list_limit));
  list->callback([&ctx, f, list] { kv_list(ctx, *list, *f); });
}

}  // namespace ckp::cli
