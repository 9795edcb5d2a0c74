// `zones list|get|config`: the zones a token can see, one zone, the default zone.

#include <memory>

#include "ckp/api/validate.hpp"
#include "ckp/api/zones.hpp"
#include "ckp/ops/zone_directory.hpp"
#include "cli/context.hpp"
#include "cli/resolve.hpp"

namespace ckp::cli {

namespace {

struct ZoneFlags {
  std::string account_id;
  std::string domain;
  std::string zone_id;
  std::string zone;
};

void zones_list(Context& ctx, const ZoneFlags& f) {
  auto& rt = ctx.runtime();
  rt.require_credentials();
  std::string account = !f.account_id.empty() ? rt.account_id(f.account_id) : rt.settings().account_id.value;
  nlohmann::json out = nlohmann::json::array();
  Table table({"NAME", "ID", "STATUS", "ACCOUNT"});
  const auto zones =
      rt.await<std::vector<api::zones::Zone>>([&](auto done) { ops::all_zones(rt.scheduler(), account, done); });
  for (const auto& z : zones) {
    out.push_back({{"id", z.id}, {"name", z.name}, {"status", z.status}, {"account_id", z.account_id}});
    table.row({z.name, z.id, z.status, z.account_name.empty() ? z.account_id : z.account_name});
  }
  if (rt.json()) return print_json(out);
  table.print();
  rt.note("{} zone{}\n", table.size(), table.size() == 1 ? "" : "s");
}

void zones_get(Context& ctx, const ZoneFlags& f) {
  auto& rt = ctx.runtime();
  rt.require_credentials();
  auto ref = resolve_zone(rt, f.domain);
  auto z = rt.call(api::zones::get(ref.id), api::zones::parse_get);
  if (rt.json())
    return print_json(
        {{"id", z.id}, {"name", z.name}, {"status", z.status}, {"account_id", z.account_id}, {"plan", z.plan}});
  fmt::print("Name:    {}\nID:      {}\nStatus:  {}\nAccount: {} {}\n", z.name, z.id, z.status, z.account_id,
             z.account_name);
  if (!z.plan.empty()) fmt::print("Plan:    {}\n", z.plan);
  fmt::print("\nPurge it with: cache-kv-purger cache purge files --zone {} https://{}/…\n", z.name, z.name);
}

void zones_config(Context& ctx, const ZoneFlags& f) {
  auto& rt = ctx.runtime();
  const std::string value = !f.zone_id.empty() ? f.zone_id : f.zone;
  if (value.empty()) {
    const auto& z = rt.settings().zone;
    if (rt.json()) return print_json({{"zone", z.value}, {"source", z.source}});
    fmt::print("Default zone: {} ({})\n", z.value.empty() ? "(not set)" : z.value, z.source);
    return;
  }
  std::string id = value;
  if (!api::looks_like_id(value)) {
    rt.require_credentials();
    id = resolve_zone(rt, value).id;
  }
  if (auto s = set_config_value(rt.settings().config_path, rt.settings().profile, "zone", id); !s) fail(s.error());
  rt.note("Default zone set to {} in {} [{}]\n", id, rt.settings().config_path, rt.settings().profile);
}

}  // namespace

void add_zones_commands(CLI::App& app, Context& ctx) {
  auto* zones = app.add_subcommand("zones", "Zones: list, look up, set the default");
  zones->require_subcommand(1);
  auto f = std::make_shared<ZoneFlags>();
  auto* list = zones->add_subcommand("list", "List zones (every page)");
  list->add_option("--account-id", f->account_id, "Only this account's zones");
  list->callback([&ctx, f] { zones_list(ctx, *f); });
  auto* get = zones->add_subcommand("get", "Show a zone");
  get->add_option("domain", f->domain, "Zone name or id")->required();
  get->add_option("--account-id", f->account_id, "(accepted for compatibility)")->group("");
  get->callback([&ctx, f] { zones_get(ctx, *f); });
  auto* config = zones->add_subcommand("config", "Set (or show) the default zone");
  config->add_option("--zone-id", f->zone_id, "Zone id or name to save as the default");
  config->add_option("--zone", f->zone, "Same as --zone-id");
  config->callback([&ctx, f] { zones_config(ctx, *f); });
}

}  // namespace ckp::cli
