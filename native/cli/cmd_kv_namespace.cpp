// `kv create`, `kv rename` (a namespace) and `kv config` (the default account for KV).

#include <memory>
#include <optional>

#include "ckp/api/kv.hpp"
#include "ckp/api/validate.hpp"
#include "cli/cmd_kv.hpp"
#include "cli/resolve.hpp"

namespace ckp::cli {

namespace {

struct CreateFlags {
  std::string account_id;
  std::string title;
  bool namespace_flag = false;  // --namespace: accepted for compatibility (always true)
};

struct RenameFlags {
  NamespaceFlags ns;
  std::string title;
};

struct KvConfigFlags {
  std::string account_id;
  bool show = false;
};

void kv_create(Context& ctx, const CreateFlags& f) {
  auto& rt = ctx.runtime();
  rt.require_credentials();
  if (auto e = api::validate_namespace_title(f.title)) fail(*e);
  const std::string account = rt.account_id(f.account_id);
  if (auto existing = find_namespace(rt, account, f.title))
    fail(Error::make(ErrorKind::conflict,
                     fmt::format("a namespace titled '{}' already exists ({})", f.title, existing->id)));
  const auto retries_before = rt.scheduler().stats().retries;
  std::optional<Result<api::kv::Namespace>> created;
  rt.scheduler().submit(api::kv::create_namespace(account, f.title), engine::Cost::api_call(), api::kv::parse_namespace,
                        [&](Result<api::kv::Namespace> r) { created.emplace(std::move(r)); });
  rt.http().run_until([&] { return created.has_value(); });
  if (!*created && created->error().kind == ErrorKind::conflict && rt.scheduler().stats().retries > retries_before) {
    // It did not exist a moment ago, and the create was retried: an attempt whose answer was lost (a dropped
    // connection) made it, and the retry found it. That namespace is ours.
    if (auto ours = find_namespace(rt, account, f.title)) created.emplace(*ours);
  }
  if (!*created) fail(created->error());
  const auto& ns = **created;
  if (rt.json()) return print_json({{"id", ns.id}, {"title", ns.title}});
  fmt::print("Created namespace '{}'\nID: {}\n", ns.title, ns.id);
}

void kv_rename(Context& ctx, const RenameFlags& f) {
  if (auto e = api::validate_namespace_title(f.title)) fail(*e);
  KvTarget t = kv_target(ctx, f.ns);
  auto& rt = ctx.runtime();
  rt.call(api::kv::rename_namespace(t.account, t.ns, f.title), api::read_ok);
  // The rename response has no reliable body across API versions: read the namespace back.
  auto ns = rt.call(api::kv::get_namespace(t.account, t.ns), api::kv::parse_namespace);
  if (rt.json()) return print_json({{"id", ns.id}, {"title", ns.title}});
  rt.note("Renamed namespace {} to '{}'\n", ns.id, ns.title);
}

void kv_config(Context& ctx, const KvConfigFlags& f) {
  auto& rt = ctx.runtime();
  if (!f.account_id.empty()) {
    if (!api::looks_like_id(f.account_id)) fail_usage("account id '" + f.account_id + "' is not 32 hex characters");
    if (auto s = set_config_value(rt.settings().config_path, rt.settings().profile, "account_id", f.account_id); !s)
      fail(s.error());
    rt.note("Saved account_id in {} [{}]\n", rt.settings().config_path, rt.settings().profile);
  } else if (f.show) {
    const auto& a = rt.settings().account_id;
    if (rt.json()) return print_json({{"account_id", a.value}, {"source", a.source}});
    fmt::print("Account ID: {} ({})\n", a.value.empty() ? "(not set)" : a.value, a.source);
  } else {
    fail_usage("kv config needs --account-id ID or --show");
  }
}

}  // namespace

void add_kv_namespace_commands(CLI::App& kv, Context& ctx) {
  auto create_flags = std::make_shared<CreateFlags>();
  auto* create = kv.add_subcommand("create", "Create a namespace");
  create->add_option("--account-id", create_flags->account_id, "Account id");
  create->add_option("--title", create_flags->title, "Title")->required();
  create->add_flag("--namespace", create_flags->namespace_flag, "(compatibility; always true)")->group("");
  create->callback([&ctx, create_flags] { kv_create(ctx, *create_flags); });

  auto rename_flags = std::make_shared<RenameFlags>();
  auto* rename = kv.add_subcommand("rename", "Rename a namespace");
  add_namespace_flags(rename, rename_flags->ns);
  rename->add_option("--title", rename_flags->title, "New title")->required();
  rename->callback([&ctx, rename_flags] { kv_rename(ctx, *rename_flags); });

  auto config_flags = std::make_shared<KvConfigFlags>();
  auto* config = kv.add_subcommand("config", "Set or show the default account for KV");
  config->add_option("--account-id", config_flags->account_id, "Save this account id as the default");
  config->add_flag("--show", config_flags->show, "Show the current default");
  config->callback([&ctx, config_flags] { kv_config(ctx, *config_flags); });
}

}  // namespace ckp::cli
