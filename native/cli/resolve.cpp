#include "cli/resolve.hpp"

#include "ckp/api/validate.hpp"
#include "ckp/api/zones.hpp"
#include "ckp/ops/all_pages.hpp"

namespace ckp::cli {

ops::ZoneDirectory zone_directory(Runtime& rt, const std::string& account) {
  return rt.await<ops::ZoneDirectory>([&](auto done) { ops::ZoneDirectory::fetch(rt.scheduler(), account, done); });
}

std::vector<api::kv::Namespace> all_namespaces(Runtime& rt, const std::string& account) {
  constexpr int per_page = 1000;
  return rt.await<std::vector<api::kv::Namespace>>([&](auto done) {
    ops::all_pages<api::kv::Namespace>(
        rt.scheduler(), [&](int page) { return api::kv::list_namespaces(account, page, per_page); },
        api::kv::parse_namespaces, per_page, done);
  });
}

ops::ZoneRef resolve_zone(Runtime& rt, const std::string& name_or_id) {
  if (api::looks_like_id(name_or_id)) {
    auto zone = rt.call(api::zones::get(name_or_id), api::zones::parse_get);
    return {zone.id, zone.name};
  }
  api::zones::ListQuery q;
  q.name = name_or_id;
  auto page = rt.call(api::zones::list(q), api::zones::parse_list);
  if (page.items.empty())
    fail_usage(fmt::format("zone '{}' is not visible to this token (`cache-kv-purger zones list` shows the zones it "
                           "can see)",
                           name_or_id));
  return {page.items.front().id, page.items.front().name};
}

std::optional<api::kv::Namespace> find_namespace(Runtime& rt, const std::string& account, const std::string& title) {
  for (auto& ns : all_namespaces(rt, account))
    if (ns.title == title) return std::move(ns);
  return std::nullopt;
}

std::string resolve_namespace(Runtime& rt, const std::string& account, const std::string& id_or_title) {
  if (id_or_title.empty()) fail_usage("no namespace: pass --namespace-id ID or --namespace TITLE");
  if (api::looks_like_id(id_or_title)) return id_or_title;
  if (auto ns = find_namespace(rt, account, id_or_title)) return ns->id;
  fail_usage(fmt::format("no namespace titled '{}' in account {} (`cache-kv-purger kv list` shows them)", id_or_title,
                         account));
}

}  // namespace ckp::cli
