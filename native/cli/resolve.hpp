#pragma once
// Names to ids: zones by name or id, KV namespaces by title or id — looked up through the API, every page.

#include <optional>
#include <string>
#include <vector>

#include "ckp/api/kv.hpp"
#include "ckp/ops/zone_directory.hpp"
#include "cli/runtime.hpp"

namespace ckp::cli {

/// Every zone of the account (all pages).
ops::ZoneDirectory zone_directory(Runtime& rt, const std::string& account_id = "");

/// A zone by name or id: an id is taken as is (its name looked up), a name is looked up. Fails (usage) if unknown.
ops::ZoneRef resolve_zone(Runtime& rt, const std::string& name_or_id);

/// Every namespace of @p account (all pages).
std::vector<api::kv::Namespace> all_namespaces(Runtime& rt, const std::string& account);

/// The namespace titled @p title in @p account, if there is one (every page is searched).
std::optional<api::kv::Namespace> find_namespace(Runtime& rt, const std::string& account, const std::string& title);

/// A namespace by id or title: an id is taken as is, a title is looked up. Fails (usage) when empty or unknown.
std::string resolve_namespace(Runtime& rt, const std::string& account, const std::string& id_or_title);

}  // namespace ckp::cli
