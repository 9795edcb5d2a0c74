#pragma once
/// @file
/// Saving and loading the KV store (`cache-kv-purger emulator --state FILE`) as JSON Lines: a header line with the
/// namespaces, then one line per key, so a store of millions of keys streams through a small buffer both ways.
///
/// ```
/// {"format":"cache-kv-purger-emulator-state","version":1,"namespaces":[{"id":…,"title":…,"account_id":…}]}
/// {"ns":"<namespace id>","key":"user/1","value":"…","expiration":1767225600,"metadata":{…}}
/// {"ns":"<namespace id>","key":"blob","value_base64":"AAEC"}      (values that are not UTF-8)
/// ```

#include <istream>
#include <optional>
#include <ostream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ckp/api/base64.hpp"
#include "ckp/api/validate.hpp"
#include "ckp/emu/request.hpp"
#include "ckp/emu/respond.hpp"
#include "ckp/emu/store.hpp"

namespace ckp::emu {

/// The `format` value of a state file's first line (save_state() writes it, load_state() requires it).
inline constexpr const char* state_format = "cache-kv-purger-emulator-state";

/// Writes every namespace and key of @p store to @p out.
inline void save_state(const Store& store, std::ostream& out) {
  nlohmann::json header{{"format", state_format}, {"version", 1}, {"namespaces", nlohmann::json::array()}};
  for (const auto& [id, ns] : store.all())
    header["namespaces"].push_back({{"id", ns.id}, {"title", ns.title}, {"account_id", ns.account_id}});
  out << dump_json(header) << '\n';
  for (const auto& [id, ns] : store.all()) {
    for (const auto& [key, e] : ns.entries()) {
      nlohmann::json line{{"ns", id}, {"key", key}};
      if (api::detail::is_valid_utf8(e.value)) line["value"] = e.value;
      else line["value_base64"] = api::base64_encode(e.value);
      if (e.expiration) line["expiration"] = e.expiration;
      if (!e.metadata.empty())
        if (auto m = parse_json_limited(e.metadata)) line["metadata"] = std::move(*m);
      out << dump_json(line) << '\n';
    }
  }
}

/// Reads a state written by save_state into @p store, replacing its contents. Returns an error message (and
/// leaves @p store untouched) when the input is not a valid state.
inline std::optional<std::string> load_state(Store& store, std::istream& in) {
  Store loaded;
  std::string line;
  if (!std::getline(in, line)) return std::string("the state file is empty");
  auto header = parse_json_limited(line);
  if (!header || !header->is_object() || header->value("format", "") != state_format)
    return std::string("the first line is not a cache-kv-purger emulator state header");
  auto nss = header->find("namespaces");
  if (nss == header->end() || !nss->is_array()) return std::string("the state header has no namespaces");
  for (const auto& ns : *nss) {
    if (!ns.is_object() || !ns.contains("id") || !ns["id"].is_string() || !ns.contains("title") ||
        !ns["title"].is_string() || !ns.contains("account_id") || !ns["account_id"].is_string())
      return std::string("a namespace in the state header lacks id, title or account_id");
    loaded.create(ns["id"].get<std::string>(), ns["account_id"].get<std::string>(), ns["title"].get<std::string>());
  }
  std::size_t number = 1;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    auto j = parse_json_limited(line);
    auto bad = [&](const char* what) { return fmt::format("line {} of the state file: {}", number, what); };
    if (!j || !j->is_object()) return bad("not a JSON object");
    auto ns_id = j->find("ns");
    auto key = j->find("key");
    if (ns_id == j->end() || !ns_id->is_string() || key == j->end() || !key->is_string()) return bad("no ns or key");
    Namespace* ns = loaded.find(ns_id->get_ref<const std::string&>());
    if (!ns) return bad("unknown namespace");
    Entry e;
    if (auto v = j->find("value"); v != j->end() && v->is_string()) {
      e.value = v->get<std::string>();
    } else if (auto b = j->find("value_base64"); b != j->end() && b->is_string()) {
      auto decoded = api::base64_decode(b->get_ref<const std::string&>());
      if (!decoded) return bad("value_base64 is not base64");
      e.value = std::move(*decoded);
    } else {
      return bad("no value");
    }
    if (auto x = j->find("expiration"); x != j->end() && x->is_number_integer()) e.expiration = x->get<std::int64_t>();
    if (auto m = j->find("metadata"); m != j->end() && !m->is_null()) e.metadata = dump_json(*m);
    ns->put(key->get_ref<const std::string&>(), std::move(e));
  }
  store = std::move(loaded);
  return std::nullopt;
}

}  // namespace ckp::emu
