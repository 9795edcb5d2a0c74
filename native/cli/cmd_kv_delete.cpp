// `kv delete` (and its old name `delete-legacy`): one key, many keys (named, or listed and filtered; streamed and
// resumable), or the namespace itself — previewed and confirmed unless --yes.

#include <memory>
#include <optional>

#include "ckp/api/kv.hpp"
#include "ckp/api/validate.hpp"
#include "ckp/ops/kv_delete.hpp"
#include "cli/cmd_kv.hpp"
#include "cli/kv_selection.hpp"

namespace ckp::cli {

namespace {

struct DeleteFlags {
  NamespaceFlags ns;
  KeySelectionFlags select;
  int batch_size = 0;  // 0: not given (the flag itself refuses anything outside 1-10000)
  bool bulk = false;
  bool namespace_itself = false;
  bool dry_run = false;
  std::string save_keys;
  bool force = false;
};

int delete_namespace(Context& ctx, const CLI::App& cmd, const DeleteFlags& f) {
  for (const char* flag : {"--key", "--keys", "--keys-file", "--prefix", "--pattern", "--search", "--tag-field",
                           "--tag-value", "--all-keys", "--bulk", "--batch-size", "--save-keys"})
    if (given(cmd, flag))
      fail_usage(fmt::format("--namespace-itself deletes the namespace and every key in it; it cannot be combined with "
                             "{} (drop one of them)",
                             flag));
  KvTarget t = kv_target(ctx, f.ns);
  auto& rt = ctx.runtime();
  auto ns = rt.call(api::kv::get_namespace(t.account, t.ns), api::kv::parse_namespace);
  if (f.dry_run) {
    if (rt.json()) print_json({{"dry_run", true}, {"namespace", {{"id", ns.id}, {"title", ns.title}}}});
    else rt.note("DRY RUN: would delete namespace '{}' ({}) and every key in it\n", ns.title, ns.id);
    return exit_code::ok;
  }
  if (!rt.confirm(fmt::format("Delete namespace '{}' ({}) and every key in it?", ns.title, ns.id))) {
    rt.note("Cancelled; nothing was deleted.\n");
    return exit_code::ok;
  }
  rt.call(api::kv::delete_namespace(t.account, t.ns), api::read_ok);
  if (rt.json()) print_json({{"namespace_id", ns.id}, {"title", ns.title}, {"deleted", true}});
  else rt.note("Deleted namespace '{}' ({})\n", ns.title, ns.id);
  return exit_code::ok;
}

int kv_delete(Context& ctx, const CLI::App& cmd, const DeleteFlags& f) {
  auto& rt = ctx.runtime();
  if (f.force) rt.assume_yes();
  if (f.namespace_itself) return delete_namespace(ctx, cmd, f);

  // The selection, checked as a whole before anything is sent (ops/key_selection.hpp has the rule).
  refuse_empty_selection_flags(cmd, f.select);
  const std::string list_flag = key_list_flag(cmd);
  const auto selection = selection_of(f.select);
  if (list_flag.empty() && !selection.filtered() && !selection.all_keys) {
    if (f.bulk || given(cmd, "--tag-value"))
      fail_usage(fmt::format("{} selects nothing by itself: add --prefix, --pattern, --search, --tag-field, --keys or "
                             "--keys-file - or --all-keys for every key",
                             f.bulk ? "--bulk" : "--tag-value"));
    fail_usage("kv delete needs --key KEY, or a selection: --keys, --keys-file, --prefix, --pattern, --search, "
               "--tag-field, or --all-keys for every key");
  }
  if (given(cmd, "--save-keys") && !f.dry_run)
    fail_usage("--save-keys writes what a dry run selects: add --dry-run (then delete with --keys-file)");
  const std::string input_flag = list_flag.empty() ? "--keys-file" : list_flag;
  if (auto e = selection.validate(!list_flag.empty())) fail(e->to_error(flag_namer(input_flag)));

  // One key and nothing else: a single delete.
  const std::string& key = f.select.key;
  if (list_flag == "--key" && !selection.filtered() && !f.bulk && !given(cmd, "--save-keys")) {
    if (auto e = api::validate_key(key)) fail_usage("--key: " + e->message);
    KvTarget t = kv_target(ctx, f.ns);
    if (f.dry_run) {
      if (rt.json()) print_json({{"dry_run", true}, {"key", key}, {"namespace_id", t.ns}});
      else rt.note("DRY RUN: would delete key {} from namespace {}\n", key, t.ns);
      return exit_code::ok;
    }
    if (!rt.confirm(fmt::format("Delete key '{}' from namespace {}?", key, t.ns))) return exit_code::ok;
    rt.call(api::kv::delete_value(t.account, t.ns, key), api::read_ok);
    if (rt.json()) print_json({{"key", key}, {"deleted", true}});
    else rt.note("Deleted key {}\n", key);
    return exit_code::ok;
  }

  KvTarget t = kv_target(ctx, f.ns);
  ops::KvDeleteSpec spec;
  spec.account_id = t.account;
  spec.namespace_id = t.ns;
  spec.select = selection;
  spec.dry_run = f.dry_run;
  if (f.batch_size > 0) spec.batch_size = static_cast<std::size_t>(f.batch_size);
  InputSpec input;
  if (!list_flag.empty()) {
    input = key_list_input(f.select, list_flag);
    spec.source = ops::KvDeleteSpec::Source::keys;
    spec.input = input.name();
    spec.input_size = input.size();
  }
  require_valid(spec, input_flag);

  if (!f.dry_run && !rt.options().yes) {
    // The summary: the same operation as a dry run, cut after the first page of a listing (a key list is read
    // whole: it is local), so that what is shown is what the delete selects.
    auto preview = spec;
    preview.dry_run = true;
    if (spec.source == ops::KvDeleteSpec::Source::listing) preview.max_pages = 1;
    const auto r = run_preview(rt, ops::KvDeleteSpec::op_name, preview.to_json(), input, input_flag);
    if (r.status == ops::OpStatus::failed || r.status == ops::OpStatus::cancelled) fail(*r.error);
    const bool complete = r.extra.value("complete", true);
    auto ns = rt.call(api::kv::get_namespace(t.account, t.ns), api::kv::parse_namespace);
    const std::string what = describe(spec, input);
    if (r.done == 0 && complete) {
      rt.note("Nothing to delete: no {} in namespace '{}'.\n", what, ns.title);
      return exit_code::ok;
    }
    const std::string count =
        complete ? grouped(r.done) + " keys"
                 : fmt::format("at least {} keys (matches among the first {} listed; the rest are counted as the "
                               "delete goes - run --dry-run for a full count)",
                               grouped(r.done), grouped(r.scanned));
    fmt::print(stderr, "About to delete {} from namespace '{}' ({}), account {}:\n  {}\n", what, ns.title, ns.id,
               t.account, count);
    for (std::size_t i = 0; i < r.samples.size() && i < 5; ++i) fmt::print(stderr, "    {}\n", r.samples[i]);
    if (!rt.confirm("Proceed?")) {
      rt.note("Cancelled; nothing was deleted.\n");
      return exit_code::ok;
    }
  }

  std::optional<KeyListWriter> saved;
  if (given(cmd, "--save-keys")) saved.emplace(f.save_keys);
  const int code =
      run_job(rt, ops::KvDeleteSpec::op_name, spec.to_json(), input, !spec.dry_run, input_flag,
              [&](ops::Operation& op) {
                if (saved) static_cast<ops::KvDelete&>(op).on_selected([&](const std::string& k) { saved->add(k); });
              });
  if (saved) {
    saved->finish();
    rt.note("Saved {} key names to {} (delete exactly these with --keys-file {})\n", grouped(saved->count()),
            f.save_keys, f.save_keys);
  }
  return code;
}

}  // namespace

void add_kv_delete_commands(CLI::App& kv, Context& ctx) {
  auto f = std::make_shared<DeleteFlags>();
  auto add_delete = [&](const char* name, const char* help) {
    auto* del = kv.add_subcommand(name, help);
    add_namespace_flags(del, f->ns);
    add_selection_flags(del, f->select);
    add_key_batch_size_flag(del, f->batch_size);
    del->add_option("--keys-file", f->select.keys_file, "File with one key per line (or a JSON array of strings)");
    del->add_flag("--bulk", f->bulk, "Delete many keys");
    del->add_flag("--all-keys", f->select.all_keys, "Every key in the namespace");
    del->add_flag("--namespace-itself", f->namespace_itself, "Delete the namespace and all its keys");
    del->add_flag("--dry-run", f->dry_run, "Count and show what would be deleted; change nothing");
    del->add_option("--save-keys", f->save_keys,
                    "With --dry-run: write every selected key's name to this file (a JSON array; delete exactly those "
                    "with --keys-file)");
    del->add_flag("--force", f->force, "Do not ask (same as --yes)");
    del->callback([&ctx, f, del] { ctx.exit_code = kv_delete(ctx, *del, *f); });
    return del;
  };
  add_delete("delete", "Delete one key, many keys (streamed), or the namespace");
  add_delete("delete-legacy", "Same as delete (the old name)")->group("");
}

}  // namespace ckp::cli
